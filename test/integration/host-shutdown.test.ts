// Clean shutdown with a live transponder: `castbridge --headless` gets SIGTERM while a transponder is
// PUBLISHING. The target must see FCUnpublish and deleteStream before the socket closes (so YouTube & co.
// end the broadcast at once instead of waiting for a timeout), and the process exits 0.
// Source: Chromium's fake camera over the child host's /whip. Target: our RTMP test server, which records
// every command it receives.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, publishWhip } from '../helpers/chromium.js';
import { startRtmpTestServer, type RtmpTestServer } from '../helpers/rtmp-auth-server.js';
import { removeDir } from '../helpers/servers.js';
import { push } from '../helpers/http-client.js';
import { waitFor } from '../helpers/wait.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'castbridge.js');
const START_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 30_000;

describe('castbridge --headless: SIGTERM with a live transponder', { timeout: 180_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'castbridge-shutdown-'));
  let child: ChildProcess | undefined;
  let browser: Browser | undefined;
  let target: RtmpTestServer | undefined;

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await browser?.close().catch(() => undefined);
    await target?.close();
    removeDir(dataDir);
  });

  test('the target sees FCUnpublish and deleteStream before the socket closes; the process exits 0', async () => {
    target = await startRtmpTestServer();
    const settings = ['rest_http_port=0', 'rest_https_enabled=false', 'local_rtmp_enabled=false', 'ws_port=0', 'wss_port=0'];
    child = spawn(process.execPath, [BIN, '--headless', '--data-dir', dataDir, ...settings.flatMap((s) => ['--set', s])], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CASTBRIDGE_LOG: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const url = await waitFor(`the studio URL:\n${stdout}\n${stderr}`, () => /studio: (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout)?.[1], START_TIMEOUT_MS);

    browser = await launchChromium({ fps: 15 });
    const page = await browser.newPage();
    await page.goto(`${url}/rest-api/openapi.json`);
    await publishWhip(page, `${url}/whip/cam`, { width: 320, height: 240, fps: 15 });

    const published = target.nextPublish();
    const startup = await push(url, 'startup', { streamName: 'cam', rtmpUrl: `${target.baseUrl}/live` });
    assert.equal(startup.status, 200, startup.text);
    const record = await published;
    assert.equal(record.streamName, 'rtmp_cam');
    await waitFor('media on the target', () => record.media.length >= 10, 20_000);
    const status = await push(url, 'find_all', {});
    assert.equal(status.json()[0]?.status, 'PUBLISHING');

    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), EXIT_TIMEOUT_MS))]);
    assert.equal(code, 0, `exit code after SIGTERM\n${stderr.slice(-2000)}`);
    await waitFor('the target socket to close', () => record.ended, 10_000);
    const fcUnpublish = record.commands.indexOf('FCUnpublish');
    const deleteStream = record.commands.indexOf('deleteStream');
    assert.ok(fcUnpublish >= 0, `FCUnpublish received; commands: ${record.commands.join(',')}`);
    assert.ok(deleteStream > fcUnpublish, `deleteStream after FCUnpublish; commands: ${record.commands.join(',')}`);
    assert.match(stderr, /event=host.stopped/);
  });
});
