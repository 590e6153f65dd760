// The official Flashphoner Web SDK (npm @flashphoner/websdk, its files served unchanged) against a real
// host's WCS WebSocket, in Debian's Chromium with fake devices. The pages come from a second origin listed
// in allowed_origins, as WCS pages usually do: the SDK's own demo "WebRTC as RTMP re-publishing" publishes
// to nginx-rtmp, which records it (ffprobe: H.264 + AAC) and sees it leave on Stop (on_publish_done); a
// target whose on_publish refuses gives FAILED with WCS's info; a page from an origin that is not listed gets
// no session.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { silentLog, consoleLog } from '../../src-relay/log.js';
import { createHost, type Host } from '../../src-main/host.js';
import { launchChromium } from '../helpers/chromium.js';
import { probeStreams } from '../helpers/media.js';
import { startPageServer, type PageServer } from '../helpers/page-server.js';
import { removeDir, startNginxRtmp, wsHostOverrides, type NginxRtmp } from '../helpers/servers.js';
import { call } from '../helpers/http-client.js';
import { waitFor } from '../helpers/wait.js';

const SDK_DIR = dirname(createRequire(import.meta.url).resolve('@flashphoner/websdk/package.json'));
const DEMO = '/examples/demo/streaming/webrtc-as-rtmp-republishing/webrtc-as-rtmp-republishing.html';
/** A page of our own that loads the SDK bundle the way WCS pages do and leaves the rest to the test. */
const SCRIPTED_PAGE = '/castbridge-test.html';
const SCRIPTED_HTML = '<!doctype html><title>WCS SDK</title><div id="display" style="width:320px;height:240px"></div><script src="/flashphoner.js"></script>';
const STEP_TIMEOUT_MS = 45_000;
/** How long the demo publishes before Stop: several GOPs of audio and video. */
const PUBLISH_MS = 4000;
const log = process.env.CASTBRIDGE_TEST_VERBOSE ? consoleLog : silentLog;

/** The SDK package folder as it is, plus SCRIPTED_PAGE, on an origin of its own. */
function serveSdk(): Promise<PageServer> {
  return startPageServer({ files: { [SCRIPTED_PAGE]: SCRIPTED_HTML }, root: SDK_DIR });
}

describe('the official WCS Web SDK against Castbridge', { timeout: 300_000 }, () => {
  let dataDir: string;
  let host: Host;
  let nginx: NginxRtmp;
  let listed: PageServer;
  let unlisted: PageServer;
  let browser: Browser;
  let context: BrowserContext;
  const pageErrors: string[] = [];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'castbridge-wcs-'));
    // A stream key nginx's on_publish refuses (403), as an ingest refuses a wrong key.
    const refusePublish = (publish: { name: string }) => publish.name.startsWith('rtmp_refused');
    [nginx, listed, unlisted] = await Promise.all([startNginxRtmp({ refusePublish }), serveSdk(), serveSdk()]);
    host = await createHost({ dataDir, log, overrides: await wsHostOverrides(listed.origin) });
    browser = await launchChromium({ fps: 30 });
    context = await browser.newContext();
    // tsx compiles this file with esbuild's keepNames: functions declared inside page.evaluate callbacks call
    // its __name helper, which the page does not have.
    await context.addInitScript('globalThis.__name = (f) => f;');
  });

  after(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await host?.close();
    await Promise.all([nginx?.stop(), listed?.close(), unlisted?.close()]);
    if (dataDir) removeDir(dataDir);
  });

  async function open(server: PageServer, path: string): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(`${path}: ${error.message}`));
    if (process.env.CASTBRIDGE_TEST_VERBOSE) page.on('console', (m) => console.log(`[page] ${m.text()}`));
    await page.goto(`${server.origin}${path}`);
    return page;
  }

  test('the SDK\'s demo "WebRTC as RTMP re-publishing", unchanged: PUBLISHING, nginx records rtmp_<name> with H.264 + AAC, Stop gives UNPUBLISHED', async () => {
    assert.ok(host.wcsUrl, 'the host serves the WCS protocol');
    const page = await open(listed, DEMO);
    await page.locator('#url').fill(host.wcsUrl!);
    await page.locator('#rtmpUrl').fill(nginx.url('live'));
    await page.locator('#streamName').fill('wcsdemo');
    const before = nginx.publishes.length;
    await page.locator('#publishBtn').click();
    await page.locator('#status', { hasText: 'PUBLISHING' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    const published = await nginx.waitForPublish(before + 1, STEP_TIMEOUT_MS);
    assert.equal(published.app, 'live');
    assert.equal(published.name, 'rtmp_wcsdemo', 'WCS\'s default prefix rtmp_ is applied');

    // The republish is an ordinary transponder: REST (as WCS's find_all) sees it.
    const found = await call(`${host.httpUrl}/rest-api/push/find_all`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(found.status, 200);
    const transponders = found.json() as Array<{ streamName: string; rtmpUrl: string; status: string }>;
    assert.deepEqual(transponders.map((t) => [t.streamName, t.rtmpUrl]), [['rtmp_wcsdemo', nginx.url('live')]]);

    await page.waitForTimeout(PUBLISH_MS);
    await page.locator('#publishBtn', { hasText: 'Stop' }).click();
    await page.locator('#status', { hasText: 'UNPUBLISHED' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await waitFor('the stream ends on Stop', () => !host.registry.get('wcsdemo'), 15_000);
    const done = await nginx.waitForPublishDone(1, STEP_TIMEOUT_MS);
    assert.deepEqual([done.app, done.name], ['live', 'rtmp_wcsdemo'], 'nginx saw the publisher leave (on_publish_done)');
    const recording = await nginx.waitForRecording(STEP_TIMEOUT_MS);
    const streams = await probeStreams(recording);
    assert.equal(streams.video?.codec, 'h264');
    assert.ok((streams.video?.width ?? 0) > 0 && (streams.video?.height ?? 0) > 0, JSON.stringify(streams));
    assert.equal(streams.audio?.codec, 'aac');
    assert.ok(streams.durationSec > 2, `recording lasts ${streams.durationSec} s`);
    assert.deepEqual(pageErrors, []);
    await page.close();
  });

  test('in a page of our own: what the SDK is told about unserved requests, and a disconnect ends the stream', async () => {
    const page = await open(listed, SCRIPTED_PAGE);
    const result = await page.evaluate(async (urlServer) => {
      const fp = (window as unknown as { Flashphoner: any }).Flashphoner;
      await fp.init({});
      const S = fp.constants.SESSION_STATUS;
      const ST = fp.constants.STREAM_STATUS;
      const warnings: string[] = [];
      const { session, user } = await new Promise<{ session: any; user: any }>((resolve, reject) => {
        const s = fp.createSession({ urlServer });
        s.on(S.ESTABLISHED, (session: any, user: any) => resolve({ session, user }))
          .on(S.FAILED, () => reject(new Error('session FAILED')))
          .on(S.WARN, (w: { info: string }) => warnings.push(w.info));
      });
      const outcome = (stream: any, statuses: string[]) =>
        new Promise<string>((resolve) => {
          for (const status of statuses) stream.on(status, () => resolve(`${status}: ${stream.getInfo()}`));
          setTimeout(() => resolve('no status in 20 s'), 20_000);
        });
      const display = document.getElementById('display');
      const playerDisplay = document.body.appendChild(document.createElement('div'));
      const player = session.createStream({ name: 'nobody', display: playerDisplay });
      const played = outcome(player, [ST.PLAYING, ST.FAILED]);
      player.play();
      const available = await session.createStream({ name: 'nobody', display: playerDisplay }).available().then(() => 'available', () => 'rejected');
      const data = await session.sendData({ hello: 1 }).then(() => 'accepted', () => 'rejected');
      const cam = session.createStream({ name: 'wcsgone', display, cacheLocalResources: true, receiveVideo: false, receiveAudio: false });
      const publishing = outcome(cam, [ST.PUBLISHING, ST.FAILED]);
      cam.publish();
      return { user: { sessionId: user.sessionId, authToken: user.authToken }, played: await played, available, data, publishing: await publishing, warnings };
    }, host.wcsUrl!);
    assert.equal(result.played.split(':')[0], 'FAILED', result.played);
    assert.match(result.played, /playing is not supported/);
    assert.equal(result.available, 'rejected');
    assert.equal(result.data, 'rejected');
    assert.equal(result.publishing, 'PUBLISHING: undefined');
    assert.match(result.user.sessionId, /^[0-9a-f-]{36}$/);
    assert.ok(host.registry.get('wcsgone'), 'published');
    const status = await page.evaluate(() => {
      const fp = (window as unknown as { Flashphoner: any }).Flashphoner;
      const session = fp.getSessions()[0];
      return new Promise<string>((resolve) => {
        session.on(fp.constants.SESSION_STATUS.DISCONNECTED, () => resolve('DISCONNECTED'));
        session.disconnect();
      });
    });
    assert.equal(status, 'DISCONNECTED');
    await waitFor('the stream ends with its session', () => !host.registry.get('wcsgone'), 15_000);
    assert.deepEqual(pageErrors, []);
    await page.close();
  });

  test('a target whose on_publish refuses the stream: FAILED with WCS\'s info "Failed by RTMP writer error"', async () => {
    const page = await open(listed, SCRIPTED_PAGE);
    const outcome = await page.evaluate(
      async ({ urlServer, rtmpUrl }) => {
        const fp = (window as unknown as { Flashphoner: any }).Flashphoner;
        await fp.init({});
        const S = fp.constants.SESSION_STATUS;
        const ST = fp.constants.STREAM_STATUS;
        const session = await new Promise<any>((resolve, reject) => {
          fp.createSession({ urlServer }).on(S.ESTABLISHED, resolve).on(S.FAILED, () => reject(new Error('session FAILED')));
        });
        const seen: string[] = [];
        const stream = session.createStream({ name: 'refused', display: document.getElementById('display'), cacheLocalResources: true, receiveVideo: false, receiveAudio: false, rtmpUrl });
        const failed = new Promise<string>((resolve) => {
          stream.on(ST.PUBLISHING, () => seen.push(ST.PUBLISHING));
          stream.on(ST.FAILED, () => resolve(stream.getInfo()));
          setTimeout(() => resolve(`no FAILED in 40 s; saw ${seen.join(',')}`), 40_000);
        });
        stream.publish();
        const info = await failed;
        return { info, seen, expected: fp.constants.STREAM_STATUS_INFO.FAILED_BY_RTMP_WRITER_ERROR, session: session.status() };
      },
      { urlServer: host.wcsUrl!, rtmpUrl: nginx.url('live') },
    );
    assert.equal(outcome.expected, 'Failed by RTMP writer error');
    assert.equal(outcome.info, outcome.expected);
    assert.deepEqual(outcome.seen, ['PUBLISHING'], 'the camera was publishing before the target refused');
    assert.equal(outcome.session, 'ESTABLISHED', 'the session survives');
    assert.ok(nginx.refused.some((p) => p.name === 'rtmp_refused'), 'nginx refused the publish');
    await waitFor('the failed stream is ended', () => !host.registry.get('refused'), 15_000);
    assert.equal(host.transponders.find({ streamName: 'refused' }).filter((t) => t.status !== 'FAILED').length, 0);
    await page.close();
  });

  test('wss:// (the host\'s self-signed certificate, accepted by the browser): session ESTABLISHED', async () => {
    assert.ok(host.wcsTlsUrl);
    const trusting = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
      await trusting.addInitScript('globalThis.__name = (f) => f;');
      const page = await trusting.newPage();
      await page.goto(`${listed.origin}${SCRIPTED_PAGE}`);
      const status = await page.evaluate(async (urlServer) => {
        const fp = (window as unknown as { Flashphoner: any }).Flashphoner;
        await fp.init({});
        const S = fp.constants.SESSION_STATUS;
        return new Promise<string>((resolve) => {
          fp.createSession({ urlServer }).on(S.ESTABLISHED, () => resolve('ESTABLISHED')).on(S.FAILED, () => resolve('FAILED'));
          setTimeout(() => resolve('no answer in 10 s'), 10_000);
        });
      }, host.wcsTlsUrl!);
      assert.equal(status, 'ESTABLISHED');
    } finally {
      await trusting.close();
    }
  });

  test('a page from an origin not in allowed_origins gets no session', async () => {
    const page = await open(unlisted, SCRIPTED_PAGE);
    const outcome = await page.evaluate(async (urlServer) => {
      const fp = (window as unknown as { Flashphoner: any }).Flashphoner;
      await fp.init({});
      const S = fp.constants.SESSION_STATUS;
      return new Promise<string>((resolve) => {
        fp.createSession({ urlServer })
          .on(S.ESTABLISHED, () => resolve('ESTABLISHED'))
          .on(S.FAILED, () => resolve('FAILED'))
          .on(S.DISCONNECTED, () => resolve('DISCONNECTED'));
        setTimeout(() => resolve('no answer in 10 s'), 10_000);
      });
    }, host.wcsUrl!);
    assert.ok(outcome === 'FAILED' || outcome === 'DISCONNECTED', outcome);
    await page.close();
  });
});
