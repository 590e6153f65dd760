// Transponders when the target misbehaves, with real parts: nginx-rtmp killed mid-stream and restarted on
// the same port (RECONNECTING, then PUBLISHING again, the new recording starting on a keyframe); a stream
// name refused by nginx's on_publish (FAILED, not retried forever); stop while reconnecting; the publisher
// closing its tab (stream and transponders end cleanly).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { WebRtcIngest } from '../../src-relay/webrtc/ingest.js';
import { StreamRegistry } from '../../src-relay/streams.js';
import { consoleLog, silentLog } from '../../src-relay/log.js';
import { TransponderManager } from '../../src-relay/transponder/manager.js';
import type { TransponderJSON } from '../../src-relay/transponder/service.js';
import { launchChromium, publishWhip } from '../helpers/chromium.js';
import { waitFor } from '../helpers/wait.js';
import { startWhipServer, type TestWhipServer } from '../helpers/whip-server.js';
import { freePort, nginxRtmpConf } from '../helpers/servers.js';
import { keyframeTimes, probeStreams, videoPacketTimes } from '../helpers/media.js';

const log = process.env.CASTBRIDGE_TEST_VERBOSE ? consoleLog : silentLog;
/** Names starting with this are refused by the on_publish hook (HTTP 403), as a bad stream key would be. */
const DENIED_PREFIX = 'denied';
/** Video frames the recording made after a reconnect must hold (the source runs ≥ 30 more for the keyframe wait). */
const MIN_FRAMES_AFTER_RECONNECT = 60;

/**
 * nginx-rtmp that can be killed (SIGKILL, a crash) and started again on the same port, with an on_publish
 * hook refusing names that start with DENIED_PREFIX. (test/helpers/servers.ts's nginx cannot restart.)
 */
class RestartableNginx {
  readonly dir = mkdtempSync(join(tmpdir(), 'castbridge-reconnect-'));
  readonly recordDir = join(this.dir, 'rec');
  readonly publishCalls: string[] = [];
  private child: ChildProcess | undefined;
  private readonly hooks = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const fields = new URLSearchParams(body);
      const name = fields.get('name') ?? '';
      if (fields.get('call') === 'publish') this.publishCalls.push(name);
      res.writeHead(fields.get('call') === 'publish' && name.startsWith(DENIED_PREFIX) ? 403 : 200).end();
    });
  });

  constructor(readonly port: number) {
    mkdirSync(this.recordDir);
  }

  url(): string {
    return `rtmp://127.0.0.1:${this.port}/live`;
  }

  recordings(): string[] {
    return readdirSync(this.recordDir)
      .filter((f) => f.endsWith('.flv'))
      .sort()
      .map((f) => join(this.recordDir, f));
  }

  async start(): Promise<void> {
    if (!this.hooks.listening) await new Promise<void>((r) => this.hooks.listen(0, '127.0.0.1', r));
    const hook = `http://127.0.0.1:${(this.hooks.address() as AddressInfo).port}`;
    const conf = join(this.dir, 'nginx.conf');
    writeFileSync(conf, nginxRtmpConf({ dir: this.dir, listen: `127.0.0.1:${this.port}`, recordDir: this.recordDir, hooks: { url: hook, events: ['publish'] } }));
    this.child = spawn('/usr/sbin/nginx', ['-p', this.dir, '-e', join(this.dir, 'error.log'), '-c', conf], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await isListening(this.port))) {
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`nginx did not listen on ${this.port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGKILL: the server vanishes as in a crash. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGQUIT: graceful, recordings are finalized. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.stop();
    await new Promise((r) => this.hooks.close(r));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('transponders when the target fails', { timeout: 300_000 }, () => {
  const registry = new StreamRegistry();
  const ingest = new WebRtcIngest(registry, { log });
  const manager = new TransponderManager(registry, () => ({ streamNamePrefix: 'rtmp_', fullUrl: false, keyframeIntervalMs: 2000, log }));
  const history: TransponderJSON[] = [];
  const removed: TransponderJSON[] = [];
  manager.on('changed', (t) => history.push(t));
  manager.on('removed', (t) => removed.push(t));
  let whip: TestWhipServer;
  let nginx: RestartableNginx;
  let browser: Browser;
  let page: Page;

  const current = (id: string): TransponderJSON | undefined => manager.find({ mediaSessionId: id })[0];

  before(async () => {
    nginx = new RestartableNginx(await freePort());
    [whip, , browser] = await Promise.all([startWhipServer(ingest), nginx.start(), launchChromium({ fps: 30 })]);
    page = await browser.newPage();
    await page.goto(`${whip.base}/`);
    await publishWhip(page, `${whip.base}/whip/cam`, { width: 640, height: 360, fps: 30 });
    await waitFor('the stream to carry video', () => registry.get('cam')?.params !== undefined, 30_000);
  });

  after(async () => {
    await manager.stopAll().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await ingest.closeAll().catch(() => undefined);
    await whip?.close();
    await nginx?.close();
  });

  test('the target is killed and restarted: RECONNECTING, then PUBLISHING, and the new recording starts with a keyframe', async () => {
    const t = manager.startup({ streamName: 'cam', rtmpUrl: nginx.url() });
    await waitFor('PUBLISHING', () => current(t.mediaSessionId)?.status === 'PUBLISHING', 20_000);
    await new Promise((r) => setTimeout(r, 2500));
    const firstRecording = nginx.recordings();
    await nginx.kill();
    await waitFor('RECONNECTING', () => current(t.mediaSessionId)?.status === 'RECONNECTING', 20_000);
    const reconnecting = current(t.mediaSessionId)!;
    assert.ok((reconnecting.stats.attempt ?? 0) >= 1, `attempt ${reconnecting.stats.attempt}`);
    assert.ok((reconnecting.stats.nextRetryAt ?? 0) > 0);
    assert.ok(reconnecting.info, 'the reason is shown');

    await new Promise((r) => setTimeout(r, 1500));
    await nginx.start();
    await waitFor('PUBLISHING again', () => current(t.mediaSessionId)?.status === 'PUBLISHING', 40_000);
    const back = current(t.mediaSessionId)!;
    assert.equal(back.stats.reconnects, 1);
    assert.equal(back.stats.attempt, undefined);
    // At least 4 s and enough camera frames for the count below, however slowly a loaded machine runs.
    let framesSince = 0;
    const countFrame = () => void framesSince++;
    const source = registry.get('cam')!;
    source.on('video', countFrame);
    const since = Date.now();
    try {
      await waitFor(`${MIN_FRAMES_AFTER_RECONNECT + 30} camera frames and 4 s`, () => framesSince >= MIN_FRAMES_AFTER_RECONNECT + 30 && Date.now() - since >= 4000, 60_000);
    } finally {
      source.off('video', countFrame);
    }
    await manager.terminate(t.mediaSessionId);
    await nginx.stop(); // finalizes the recording
    await nginx.start();

    const second = nginx.recordings().filter((f) => !firstRecording.includes(f));
    assert.equal(second.length, 1, `one new recording after the restart: ${nginx.recordings().join(', ')}`);
    const summary = await probeStreams(second[0]!);
    assert.equal(summary.video?.codec, 'h264');
    assert.equal(summary.video?.width, 640);
    const keys = await keyframeTimes(second[0]!);
    const times = await videoPacketTimes(second[0]!);
    assert.ok(times.length > MIN_FRAMES_AFTER_RECONNECT, `${times.length} video frames recorded after reconnecting`);
    assert.equal(keys[0], times[0], 'the first video frame after reconnecting is a keyframe');
    // One keyframe starts the connection and the 2 s cadence counts from it: no second IDR just after it.
    assert.ok(keys.length >= 2, `keyframes at ${keys.join(', ')}`);
    assert.ok(keys[1]! - keys[0]! >= 1.5 && keys[1]! - keys[0]! <= 2.25, `the first two keyframes at ${keys[0]} and ${keys[1]} s (all: ${keys.join(', ')})`);
    const statuses = history.filter((h) => h.mediaSessionId === t.mediaSessionId).map((h) => h.status);
    assert.deepEqual([...new Set(statuses)], ['CONNECTING', 'PUBLISHING', 'RECONNECTING', 'STOPPED']);
  });

  test('a stream name the server refuses (on_publish 403) ends FAILED with a reason, without retrying forever', async () => {
    const secret = `${DENIED_PREFIX}_k3y_s3cr3t`;
    const t = manager.startup({ streamName: 'cam', rtmpUrl: `${nginx.url()}/${secret}`, rtmpTransponderFullUrl: true });
    await waitFor('FAILED', () => current(t.mediaSessionId)?.status === 'FAILED', 30_000);
    const failed = current(t.mediaSessionId)!;
    assert.ok(failed.info && failed.info.length > 10, `reason: ${failed.info}`);
    assert.ok(!failed.info.includes(secret), 'the reason does not show the stream key');
    const calls = nginx.publishCalls.filter((n) => n === secret).length;
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(nginx.publishCalls.filter((n) => n === secret).length, calls, 'no more attempts once FAILED');
    assert.equal(current(t.mediaSessionId)?.status, 'FAILED');
    // a FAILED transponder can be replaced by a new startup to the same URL
    await manager.terminate(t.mediaSessionId);
    assert.equal(current(t.mediaSessionId), undefined);
  });

  test('terminate while reconnecting stops at once, before the next try', async () => {
    const t = manager.startup({ streamName: 'cam', rtmpUrl: nginx.url() });
    await waitFor('PUBLISHING', () => current(t.mediaSessionId)?.status === 'PUBLISHING', 20_000);
    await nginx.kill();
    await waitFor('RECONNECTING', () => current(t.mediaSessionId)?.status === 'RECONNECTING', 20_000);
    const { nextRetryAt } = current(t.mediaSessionId)!.stats;
    await manager.terminate(t.mediaSessionId);
    assert.ok(Date.now() < nextRetryAt!, 'terminate did not wait for the next retry');
    assert.equal(history.filter((h) => h.mediaSessionId === t.mediaSessionId).at(-1)?.status, 'STOPPED');
    assert.ok(removed.some((r) => r.mediaSessionId === t.mediaSessionId));
    await nginx.start();
  });

  test('the publisher closes its tab: the stream and its transponders end cleanly', async () => {
    const t = manager.startup({ streamName: 'cam', rtmpUrl: nginx.url() });
    await waitFor('PUBLISHING', () => current(t.mediaSessionId)?.status === 'PUBLISHING', 20_000);
    const stream = registry.get('cam')!;
    const ended = new Promise<string>((resolve) => stream.once('end', resolve));
    await page.close();
    await Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error('stream did not end within 15 s')), 15_000))]);
    await waitFor('the transponder removed', () => removed.some((r) => r.mediaSessionId === t.mediaSessionId), 10_000);
    assert.deepEqual(manager.list(), []);
    assert.equal(registry.get('cam'), undefined);
    assert.equal(removed.find((r) => r.mediaSessionId === t.mediaSessionId)?.status, 'STOPPED');
  });
});
