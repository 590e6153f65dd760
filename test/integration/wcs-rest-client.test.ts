// The official WCS REST client (`flashphoner-rest-api.js` of npm @flashphoner/websdk, loaded unchanged) drives
// every `push` function against a real host: a page on another origin listed in allowed_origins publishes
// Chromium's fake camera over WHIP and calls `FlashphonerRestApi.instance(host).push.*` through real XHRs
// (CORS preflights included); nginx-rtmp is the target and its recording is probed. A page from an origin
// that is not listed gets nothing.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { encodeWav } from '../../src-relay/codec/audio/wav.js';
import { silentLog } from '../../src-relay/log.js';
import { createHost, type Host } from '../../src-main/host.js';
import { launchChromium, publishWhip, type WhipPublication } from '../helpers/chromium.js';
import { probeStreams } from '../helpers/media.js';
import { startPageServer, type PageServer } from '../helpers/page-server.js';
import { removeDir, startNginxRtmp, PLAIN_HOST, type NginxRtmp } from '../helpers/servers.js';
import { push } from '../helpers/http-client.js';
import { waitFor } from '../helpers/wait.js';

const STREAM = 'cam1';
const SDK_DIR = dirname(createRequire(import.meta.url).resolve('@flashphoner/websdk/package.json'));
const REST_CLIENT = readFileSync(join(SDK_DIR, 'flashphoner-rest-api.js'));
const PAGE = '<!doctype html><title>WCS REST client</title><script src="/flashphoner-rest-api.js"></script>';
/** How long the transponder publishes before it is terminated, so the recording holds a few GOPs. */
const PUBLISH_MS = 3000;

type Outcome = { ok: true; value: unknown } | { ok: false; error?: string };
interface Transponder {
  mediaSessionId: string;
  streamName: string;
  rtmpUrl: string;
  muted: boolean;
  soundEnabled: boolean;
  status: string;
}

/** Calls `FlashphonerRestApi.instance(base).push[fn](...args)` in the page; its promise's outcome. */
function restCall(page: Page, base: string, fn: string, ...args: unknown[]): Promise<Outcome> {
  return page.evaluate(
    async ({ base, fn, args }) => {
      type Api = { instance(url: string): { push: Record<string, (...a: unknown[]) => Promise<unknown>> } };
      const api = (window as unknown as { FlashphonerRestApi: Api }).FlashphonerRestApi.instance(base);
      try {
        return { ok: true as const, value: await api.push[fn]!(...args) };
      } catch (err) {
        // The client rejects a non-200 answer with the XHR (or nothing); a thrown Error is the client's own.
        return err instanceof Error ? { ok: false as const, error: `${err.name}: ${err.message}` } : { ok: false as const };
      }
    },
    { base, fn, args },
  );
}

function value<T>(outcome: Outcome, what: string): T {
  assert.ok(outcome.ok, `${what} was rejected`);
  return outcome.value as T;
}

describe('the official WCS REST client against a live host', { timeout: 240_000 }, () => {
  let dataDir: string;
  let host: Host;
  let nginx: NginxRtmp;
  let allowedPage: PageServer;
  let foreignPage: PageServer;
  let browser: Browser;
  let page: Page;
  let publication: WhipPublication;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'castbridge-wcs-rest-'));
    nginx = await startNginxRtmp();
    const files = { '/index.html': PAGE, '/flashphoner-rest-api.js': REST_CLIENT };
    allowedPage = await startPageServer({ files });
    foreignPage = await startPageServer({ files });
    host = await createHost({
      dataDir,
      log: silentLog,
      overrides: { ...PLAIN_HOST, allowed_origins: allowedPage.origin },
    });
    const tone = new Int16Array(48000).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 48000)));
    writeFileSync(join(host.mediaDir(), 'tone.wav'), encodeWav(tone, 48000, 1, 16));
    browser = await launchChromium({ fps: 15 });
    page = await browser.newPage();
    await page.goto(`${allowedPage.origin}/index.html`);
    publication = await publishWhip(page, `${host.httpUrl}/whip/${STREAM}`, { width: 320, height: 240, fps: 15 });
    await waitFor("the stream's first SPS/PPS", () => host.registry.get(STREAM)?.params, 30_000);
  });

  after(async () => {
    await publication?.stop().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await host?.close();
    await nginx?.stop();
    await allowedPage?.close();
    await foreignPage?.close();
    if (dataDir) removeDir(dataDir);
  });

  test('every push function works unchanged, and the stream arrives at nginx-rtmp with H.264 and AAC', async () => {
    const base = host.httpUrl;
    const rtmpUrl = nginx.url('live');
    const t = value<Transponder>(await restCall(page, base, 'push', STREAM, rtmpUrl), 'push.push');
    assert.equal(t.streamName, `rtmp_${STREAM}`);
    assert.equal(t.rtmpUrl, rtmpUrl);
    const published = await nginx.waitForPublish(1, 20_000);
    assert.equal(published.name, `rtmp_${STREAM}`);

    const found = value<Transponder[]>(await restCall(page, base, 'find', STREAM), 'push.find');
    assert.deepEqual(found.map((x) => x.mediaSessionId), [t.mediaSessionId]);
    const foundByUrl = value<Transponder[]>(await restCall(page, base, 'find', `rtmp_${STREAM}`, rtmpUrl), 'push.find with rtmpUrl');
    assert.equal(foundByUrl[0]?.mediaSessionId, t.mediaSessionId);
    const all = value<Transponder[]>(await restCall(page, base, 'findAll'), 'push.findAll (a body-less GET)');
    assert.equal(all.length, 1);
    assert.equal(all[0]!.status, 'PUBLISHING');

    assert.equal(value<Transponder>(await restCall(page, base, 'mute', t.mediaSessionId), 'push.mute').muted, true);
    assert.equal(value<Transponder>(await restCall(page, base, 'unmute', t.mediaSessionId), 'push.unmute').muted, false);
    const soundOn = value<Transponder>(await restCall(page, base, 'soundOn', t.mediaSessionId, 'tone.wav', true), 'push.soundOn');
    assert.equal(soundOn.soundEnabled, true);
    // soundOff of the client (2.0.276) builds its body from `soundFile` and `loop`, which are not its
    // parameters: in a page that does not define them it throws before any request, against WCS too.
    const broken = await restCall(page, base, 'soundOff', t.mediaSessionId);
    assert.deepEqual(broken, { ok: false, error: 'ReferenceError: soundFile is not defined' });
    await page.evaluate(() => Object.assign(window, { soundFile: undefined, loop: undefined }));
    assert.equal(value<Transponder>(await restCall(page, base, 'soundOff', t.mediaSessionId), 'push.soundOff').soundEnabled, false);
    assert.equal((await restCall(page, base, 'soundOn', t.mediaSessionId, 'missing.wav', false)).ok, false, 'a missing sound file is refused');

    await page.waitForTimeout(PUBLISH_MS);
    value(await restCall(page, base, 'terminate', t.mediaSessionId), 'push.terminate');
    assert.equal((await restCall(page, base, 'find', STREAM)).ok, false, 'find after terminate is refused (404)');
    assert.equal((await restCall(page, base, 'findAll')).ok, false, 'findAll with no transponder is refused (404)');
    assert.equal((await push(base, 'find_all', {})).status, 404);

    const recording = await nginx.waitForRecording(20_000);
    const streams = await probeStreams(recording);
    assert.equal(streams.video?.codec, 'h264');
    assert.equal(streams.video?.width, 320);
    assert.equal(streams.video?.height, 240);
    assert.equal(streams.audio?.codec, 'aac');
    assert.ok(streams.durationSec > 2, `recording lasts ${streams.durationSec} s`);
  });

  test('the same client on a page whose origin is not in allowed_origins gets nothing', async () => {
    const other = await browser.newPage();
    try {
      await other.goto(`${foreignPage.origin}/index.html`);
      const before = host.transponders.list().length;
      assert.equal((await restCall(other, host.httpUrl, 'push', STREAM, nginx.url('live'))).ok, false);
      assert.equal((await restCall(other, host.httpUrl, 'findAll')).ok, false);
      assert.equal(host.transponders.list().length, before, 'no transponder was started by the foreign page');
    } finally {
      await other.close();
    }
  });
});
