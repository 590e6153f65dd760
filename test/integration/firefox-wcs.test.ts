// Stock Firefox (VP8/VP9/AV1, no H.264) through the official Flashphoner Web SDK's own demo "WebRTC as RTMP
// re-publishing", its files served unchanged, against a real host's WCS WebSocket: nginx-rtmp records the
// republished stream as H.264 + AAC (the stream's transcoder), and sees it leave on Stop.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { consoleLog, silentLog } from '../../src-relay/log.js';
import { createHost, type Host } from '../../src-main/host.js';
import { launchFirefox } from '../helpers/firefox.js';
import { probeStreams, videoPacketTimes } from '../helpers/media.js';
import { startPageServer, type PageServer } from '../helpers/page-server.js';
import { removeDir, startNginxRtmp, wsHostOverrides, type NginxRtmp } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

const SDK_DIR = dirname(createRequire(import.meta.url).resolve('@flashphoner/websdk/package.json'));
const DEMO = '/examples/demo/streaming/webrtc-as-rtmp-republishing/webrtc-as-rtmp-republishing.html';
const STEP_TIMEOUT_MS = 45_000;
const PUBLISH_MS = 5000;
const log = process.env.CASTBRIDGE_TEST_VERBOSE ? consoleLog : silentLog;

describe('Firefox through the official WCS Web SDK demo', { timeout: 240_000 }, () => {
  let dataDir: string;
  let host: Host;
  let nginx: NginxRtmp;
  let pages: PageServer;
  let browser: Browser;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'castbridge-ffwcs-'));
    [nginx, pages, browser] = await Promise.all([startNginxRtmp(), startPageServer({ files: {}, root: SDK_DIR }), launchFirefox()]);
    host = await createHost({ dataDir, log, overrides: await wsHostOverrides(pages.origin) });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await host?.close();
    await Promise.all([nginx?.stop(), pages?.close()]);
    if (dataDir) removeDir(dataDir);
  });

  async function statusIs(page: Page, text: string): Promise<void> {
    await page.waitForFunction((t) => document.querySelector('#status')?.textContent?.includes(t) ?? false, { timeout: STEP_TIMEOUT_MS }, text);
  }

  test('PUBLISHING, nginx records rtmp_<name> as H.264 + AAC, Stop ends it', async () => {
    assert.ok(host.wcsUrl, 'the host serves the WCS protocol');
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(`${pages.origin}${DEMO}`);
    await page.waitForSelector('#publishBtn');
    // tsx compiles with esbuild's keepNames: functions declared inside page.evaluate call its __name helper.
    await page.evaluate('globalThis.__name ??= (f) => f');
    await page.evaluate(
      (wcs, rtmp) => {
        const set = (id: string, value: string): void => {
          (document.getElementById(id) as HTMLInputElement).value = value;
        };
        set('url', wcs);
        set('rtmpUrl', rtmp);
        set('streamName', 'ffwcs');
      },
      host.wcsUrl!,
      nginx.url('live'),
    );
    await page.click('#publishBtn');
    await statusIs(page, 'PUBLISHING');
    const published = await nginx.waitForPublish(1, STEP_TIMEOUT_MS);
    assert.equal(published.name, 'rtmp_ffwcs');
    const stream = host.registry.get('ffwcs');
    assert.ok(stream, 'the stream is published');
    assert.notEqual(stream.videoCodec, 'h264', 'Firefox sends no H.264');
    await new Promise((r) => setTimeout(r, PUBLISH_MS));
    await page.click('#publishBtn');
    await statusIs(page, 'UNPUBLISHED');
    await waitFor('the stream ends on Stop', () => !host.registry.get('ffwcs'), 15_000);
    await nginx.waitForPublishDone(1, STEP_TIMEOUT_MS);
    const recording = await nginx.waitForRecording(STEP_TIMEOUT_MS);
    const streams = await probeStreams(recording);
    assert.equal(streams.video?.codec, 'h264');
    assert.ok((streams.video?.width ?? 0) > 0 && (streams.video?.height ?? 0) > 0, JSON.stringify(streams));
    assert.equal(streams.audio?.codec, 'aac');
    const frames = await videoPacketTimes(recording);
    assert.ok(frames.length > 30, `${frames.length} H.264 frames`);
    assert.deepEqual(pageErrors, []);
    await page.close();
  });
});
