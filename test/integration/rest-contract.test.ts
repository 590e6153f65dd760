// The WCS push API contract (docs/DESIGN.md §4) against the real thing: the host (real
// TransponderManager, WebRTC ingest), Chromium publishing over WHIP to the host's own /whip route, and
// nginx-rtmp as the target, checked at nginx's on_publish hook. Every method and status, over HTTP and
// HTTPS; startup options, prefix, full_url, flash version and auto push. One Chromium, one shared stream.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { encodeWav } from '../../src-relay/codec/audio/wav.js';
import { silentLog } from '../../src-relay/log.js';
import { createHost, type Host } from '../../src-main/host.js';
import { launchChromium, publishWhip, type WhipPublication } from '../helpers/chromium.js';
import { startNginxRtmp, removeDir, type NginxRtmp } from '../helpers/servers.js';
import { probeStreams } from '../helpers/media.js';
import { call, push, type Reply } from '../helpers/http-client.js';
import { waitFor } from '../helpers/wait.js';

const STREAM = 'cam1';
/** How long the G.711 transponder publishes before it is ended and its recording probed. */
const PCMA_PUBLISH_MS = 3000;

/** How often the contract test polls the host for a condition. */
const POLL_MS = 250;
const SCHEMES = ['http', 'https'] as const;

describe('WCS REST contract on a real host, stream and target', { timeout: 300_000 }, () => {
  let dataDir: string;
  let host: Host;
  let nginx: NginxRtmp;
  let browser: Browser;
  let page: Page;
  let publication: WhipPublication;
  let ca: string;
  const base = (scheme: (typeof SCHEMES)[number]) => (scheme === 'http' ? host.httpUrl : host.httpsUrl!);

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'castbridge-contract-'));
    nginx = await startNginxRtmp({ apps: ['live', 'other'] });
    host = await createHost({
      dataDir,
      log: silentLog,
      overrides: { rest_http_port: '0', rest_https_port: '0', local_rtmp_enabled: 'false', ws_port: '0', wss_port: '0' },
    });
    ca = readFileSync(join(dataDir, 'https-cert.pem'), 'utf8');
    const tone = new Int16Array(48000).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 48000)));
    writeFileSync(join(host.mediaDir(), 'tone.wav'), encodeWav(tone, 48000, 1, 16));
    writeFileSync(join(host.mediaDir(), 'text.wav'), 'RIFF but not really');
    browser = await launchChromium({ fps: 15 });
    page = await browser.newPage();
    await page.goto(`${host.httpUrl}/rest-api/openapi.json`);
    publication = await publishWhip(page, `${host.httpUrl}/whip/${STREAM}`, { width: 320, height: 240, fps: 15 });
    await waitFor('the stream\'s first SPS/PPS', () => host.registry.get(STREAM)?.params, 30_000);
  });

  after(async () => {
    await publication?.stop().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await host?.close();
    await nginx?.stop();
    if (dataDir) removeDir(dataDir);
  });

  for (const scheme of SCHEMES) {
    test(`${scheme}: every method with every status`, async () => {
      const b = base(scheme);
      const rtmpUrl = nginx.url(scheme === 'http' ? 'live' : 'other');
      const publishesBefore = nginx.publishes.length;

      const started = await push(b, 'startup', { streamName: STREAM, rtmpUrl }, ca);
      assert.equal(started.status, 200, started.text);
      const t = started.json();
      assert.match(t.mediaSessionId, /^[a-z0-9]{26}$/);
      assert.equal(t.streamName, `rtmp_${STREAM}`);
      assert.equal(t.rtmpUrl, rtmpUrl);
      assert.equal(t.muted, false);
      assert.equal(t.soundEnabled, false);
      assert.deepEqual(t.options, {});
      assert.ok(['CONNECTING', 'PUBLISHING'].includes(t.status));
      const published = await nginx.waitForPublish(publishesBefore + 1, 20_000);
      assert.equal(published.app, scheme === 'http' ? 'live' : 'other');
      assert.equal(published.name, `rtmp_${STREAM}`);

      assert.equal((await push(b, 'startup', { streamName: STREAM, rtmpUrl }, ca)).status, 409);
      assert.equal((await push(b, 'startup', { streamName: 'nobody', rtmpUrl }, ca)).status, 404);
      const badBodies: unknown[] = [
        '{"streamName":',
        { rtmpUrl },
        { streamName: STREAM },
        { streamName: 1, rtmpUrl },
        { streamName: STREAM, rtmpUrl: 42 },
        { streamName: STREAM, rtmpUrl: 'http://127.0.0.1/live' },
        { streamName: STREAM, rtmpUrl: 'rtmp://no-such-host.invalid/live' },
        { streamName: STREAM, rtmpUrl, options: { action: 'dance' } },
      ];
      for (const body of badBodies) {
        const res = await push(b, 'startup', body, ca);
        assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.text}`);
        assert.equal(typeof res.json().error, 'string');
      }
      // options.videoCodecs: a codec no target takes is refused, naming the option.
      const badCodecs = await push(b, 'startup', { streamName: STREAM, rtmpUrl: `${rtmpUrl}/codecs`, rtmpTransponderFullUrl: true, options: { videoCodecs: ['h264', 'mpeg2'] } }, ca);
      assert.equal(badCodecs.status, 400, badCodecs.text);
      assert.match(String(badCodecs.json().error), /videoCodecs/);
      const plain = await push(b, 'startup', 'streamName=cam1', ca, { 'content-type': 'text/plain' });
      assert.equal(plain.status, 415);
      const huge = await push(b, 'startup', { streamName: STREAM, rtmpUrl, pad: 'x'.repeat(200_000) }, ca);
      assert.equal(huge.status, 413);

      for (const query of [{ streamName: STREAM }, { streamName: `rtmp_${STREAM}` }, { rtmpUrl }, { mediaSessionId: t.mediaSessionId }]) {
        const res = await push(b, 'find', query, ca);
        assert.equal(res.status, 200, JSON.stringify(query));
        assert.ok(res.json().some((x: { mediaSessionId: string }) => x.mediaSessionId === t.mediaSessionId), JSON.stringify(query));
      }
      assert.equal((await push(b, 'find', { mediaSessionId: 'nosuchsession' }, ca)).status, 404);
      const all = await push(b, 'find_all', {}, ca);
      assert.equal(all.status, 200);
      assert.ok(all.json().length >= 1);

      const id = { mediaSessionId: t.mediaSessionId };
      assert.equal((await push(b, 'mute', id, ca)).json().muted, true);
      assert.equal((await push(b, 'unmute', id, ca)).json().muted, false);
      const soundOn = await push(b, 'sound_on', { ...id, soundFile: 'tone.wav', loop: true }, ca);
      assert.equal(soundOn.status, 200, soundOn.text);
      assert.equal(soundOn.json().soundEnabled, true);
      assert.equal((await push(b, 'sound_on', { ...id, soundFile: 'missing.wav' }, ca)).status, 404);
      assert.equal((await push(b, 'sound_on', { ...id, soundFile: '../castbridge.properties' }, ca)).status, 400);
      assert.equal((await push(b, 'sound_on', { ...id, soundFile: 'text.wav' }, ca)).status, 400);
      const off = await push(b, 'sound_off', id, ca);
      assert.equal(off.status, 200);
      assert.equal(off.json().soundEnabled, false);
      for (const m of ['mute', 'unmute', 'sound_off', 'terminate']) assert.equal((await push(b, m, { mediaSessionId: 'nosuchsession' }, ca)).status, 404, m);
      assert.equal((await push(b, 'sound_on', { mediaSessionId: 'nosuchsession', soundFile: 'tone.wav' }, ca)).status, 404);

      assert.equal((await push(b, 'terminate', id, ca)).status, 200);
      assert.equal((await push(b, 'find', id, ca)).status, 404);
      assert.equal((await push(b, 'find_all', {}, ca)).status, 404);
    });
  }

  /** Starts a transponder, waits for nginx's on_publish, terminates it; returns what nginx saw. */
  async function publishOnce(body: Record<string, unknown>): Promise<{ reply: Reply; seen: (typeof nginx.publishes)[number] }> {
    const before = nginx.publishes.length;
    const reply = await push(host.httpUrl, 'startup', { streamName: STREAM, ...body });
    assert.equal(reply.status, 200, reply.text);
    const seen = await nginx.waitForPublish(before + 1, 20_000);
    assert.equal((await push(host.httpUrl, 'terminate', { mediaSessionId: reply.json().mediaSessionId })).status, 200);
    return { reply, seen };
  }

  test('startup options: mute, sound_on, audioCodec and the flash version act at creation', async () => {
    const muted = await publishOnce({ rtmpUrl: nginx.url('live'), options: { action: 'mute' }, rtmpFlashVersion: 'ContractTest/1.0' });
    assert.equal(muted.reply.json().muted, true);
    assert.equal(muted.seen.flashver, 'ContractTest/1.0', 'nginx keeps 32 characters: a short flashVer');
    const sound = await publishOnce({ rtmpUrl: nginx.url('live'), options: { action: 'sound_on', soundFile: 'tone.wav', loop: true } });
    assert.equal(sound.reply.json().soundEnabled, true);
    assert.equal((await push(host.httpUrl, 'startup', { streamName: STREAM, rtmpUrl: nginx.url('live'), options: { action: 'sound_on', soundFile: 'nope.wav' } })).status, 404);

    const pcma = await push(host.httpUrl, 'startup', {
      streamName: STREAM,
      rtmpUrl: `${nginx.url('other')}/pcma_probe`,
      rtmpTransponderFullUrl: true,
      options: { audioCodec: 'pcma' },
    });
    assert.equal(pcma.status, 200, pcma.text);
    const id = pcma.json().mediaSessionId as string;
    // Publishing for a few seconds, however long a loaded machine takes to get there.
    await waitFor(`the pcma transponder publishing for ${PCMA_PUBLISH_MS} ms`, async () => {
      const [t] = (await push(host.httpUrl, 'find', { mediaSessionId: id })).json() as Array<{ status: string; stats: { uptimeMs: number } }>;
      return t?.status === 'PUBLISHING' && t.stats.uptimeMs >= PCMA_PUBLISH_MS;
    }, 30_000, POLL_MS);
    await push(host.httpUrl, 'terminate', { mediaSessionId: id });
    const file = await waitFor('the pcma recording', () => nginx.recordings().find((f) => basename(f).startsWith('pcma_probe')), 20_000);
    // nginx finishes the file after the unpublish: probe until it reads, then check the codec.
    let probed: Awaited<ReturnType<typeof probeStreams>> | undefined;
    await waitFor('an audio track in the pcma recording', async () => (probed = await probeStreams(file).catch(() => undefined))?.audio !== undefined, 20_000, POLL_MS);
    assert.match(JSON.stringify(probed), /pcm_alaw/, `recording carries G.711 A-law: ${JSON.stringify(probed)}`);
  });

  test('the prefix and full_url settings and the per-request full-url override, at on_publish', async () => {
    const put = (body: object) => call(`${host.httpUrl}/api/settings`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await put({ rtmp_transponder_stream_name_prefix: 'cb_' })).status, 200);
    assert.equal((await publishOnce({ rtmpUrl: nginx.url('live') })).seen.name, `cb_${STREAM}`);
    assert.equal((await put({ rtmp_transponder_stream_name_prefix: '' })).status, 200);
    assert.equal((await publishOnce({ rtmpUrl: nginx.url('live') })).seen.name, STREAM);
    assert.equal((await put({ rtmp_transponder_stream_name_prefix: null })).status, 200);

    const keyed = await publishOnce({ rtmpUrl: `${nginx.url('live')}/my_stream_key`, rtmpTransponderFullUrl: true });
    assert.equal(keyed.seen.app, 'live');
    assert.equal(keyed.seen.name, 'my_stream_key', 'the last segment is the name, no prefix');

    assert.equal((await put({ rtmp_transponder_full_url: true })).status, 200);
    const query = await publishOnce({ rtmpUrl: `${nginx.url('live')}?user=u1&pass=p1` });
    assert.equal(query.seen.name, `rtmp_${STREAM}`);
    assert.match(`${query.seen.tcurl} ${JSON.stringify(query.seen.args)}`, /user=u1|"user":"u1"/, `query sent: ${JSON.stringify(query.seen)}`);
    assert.equal((await put({ rtmp_transponder_full_url: false })).status, 200);
    const dropped = await publishOnce({ rtmpUrl: `${nginx.url('live')}?user=u2` });
    assert.doesNotMatch(`${dropped.seen.tcurl} ${JSON.stringify(dropped.seen.args)}`, /u2/, 'query not sent by default');
  });

  test('auto push: a stream that starts publishing gets a transponder to rtmp_push_auto_start_url', async () => {
    const put = (body: object) => call(`${host.httpUrl}/api/settings`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await put({ rtmp_push_auto_start: true, rtmp_push_auto_start_url: nginx.url('other') })).status, 200);
    const before = nginx.publishes.length;
    const second = await publishWhip(page, `${host.httpUrl}/whip/cam2`, { width: 320, height: 240, fps: 15, audio: false });
    try {
      const seen = await nginx.waitForPublish(before + 1, 30_000);
      assert.equal(seen.app, 'other');
      assert.equal(seen.name, 'rtmp_cam2');
      const found = await push(host.httpUrl, 'find', { streamName: 'cam2' });
      assert.equal(found.status, 200);
    } finally {
      await second.stop();
      await put({ rtmp_push_auto_start: false });
    }
    await waitFor('the auto-push transponder ends with its stream', () => host.transponders.find({ streamName: 'cam2' }).length === 0, 15_000);
  });

  test('WHIP: a second publisher of the same name gets 409; DELETE of the Location ends the stream', async () => {
    const offer = await page.evaluate(async () => {
      const pc = new RTCPeerConnection();
      pc.addTransceiver('video', { direction: 'sendonly' });
      const o = await pc.createOffer();
      pc.close();
      return o.sdp!;
    });
    const dup = await call(`${host.httpUrl}/whip/${STREAM}`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: offer });
    assert.equal(dup.status, 409, dup.text);
    assert.equal((await call(`${host.httpUrl}/whip/x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 415);
    assert.equal((await call(`${host.httpUrl}/whip/x`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'hello' })).status, 400);
    assert.equal((await call(`${host.httpUrl}${new URL(publication.location).pathname}x`, { method: 'DELETE' })).status, 404);

    const third = await publishWhip(page, `${host.httpUrl}/whip/cam3`, { width: 320, height: 240, fps: 15, audio: false });
    try {
      const location = new URL(third.location);
      assert.match(location.pathname, /^\/whip\/cam3\/[\w-]+$/);
      assert.ok(host.registry.get('cam3'), 'published');
      assert.equal((await call(location.href, { method: 'DELETE' })).status, 200);
      await waitFor('DELETE ends the stream', () => !host.registry.get('cam3'), 10_000);
    } finally {
      await third.stop();
    }
  });

  test('the events WebSocket works over HTTPS (wss) with the host certificate', async () => {
    const ws = new WebSocket(`${host.httpsUrl!.replace(/^https/, 'wss')}/ws`, { ca });
    try {
      const hello = await new Promise<{ type: string }>((resolve, reject) => {
        ws.once('message', (d) => resolve(JSON.parse(d.toString())));
        ws.once('error', reject);
      });
      assert.equal(hello.type, 'hello');
    } finally {
      ws.close();
    }
  });
});
