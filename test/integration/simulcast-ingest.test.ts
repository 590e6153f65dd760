// Debian Chromium (fake camera 1280x720@30, fake mic) publishes three-layer H.264 simulcast (RFC 8853:
// rids h, m, l at 1, 1/2 and 1/4 of the size) over WHIP into WebRtcIngest. The LiveStream must get three
// layers of three sizes, each with whole pictures at the camera's rate starting at a keyframe, a keyframe
// of its own when asked (PLI to its SSRC), bitrates ordered by size, and timestamps on one clock: the
// same captured picture has the same time in every layer, so switching layers does not jump time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { WebRtcIngest } from '../../src-relay/webrtc/ingest.js';
import { StreamRegistry, type LiveStream, type VideoLayer } from '../../src-relay/streams.js';
import type { VideoFrame } from '../../src-relay/media.js';
import { consoleLog, type LogFields } from '../../src-relay/log.js';
import { launchChromium, publishWhip, THREE_LAYERS, type WhipPublication } from '../helpers/chromium.js';
import { startWhipServer, type TestWhipServer } from '../helpers/whip-server.js';
import { waitFor } from '../helpers/wait.js';

/** Chromium allots bitrate to the layers as its bandwidth estimate ramps up: all three may take seconds. */
const ALL_LAYERS_TIMEOUT_MS = 20_000;
const MEASURE_MS = 3000;

interface LayerRecord {
  layer: VideoLayer;
  frames: Array<VideoFrame & { at: number }>;
}

/** The ingest's session of a stream (its PLI counts per layer, and the StreamSource side of the stream). */
function sessionOf(ingest: WebRtcIngest, name: string): { toJSON(): Record<string, unknown>; requestKeyframe(rid?: string): void } {
  const sessions = (ingest as unknown as { sessions: Map<string, ReturnType<typeof sessionOf>> }).sessions;
  const session = sessions.get(ingest.sessionOf(name) ?? '');
  assert.ok(session, `a session publishes ${name}`);
  return session;
}

/** PLIs sent so far to each layer's SSRC, by rid. */
function plisByRid(ingest: WebRtcIngest, name: string): Record<string, number> {
  const layers = sessionOf(ingest, name).toJSON().layers as Array<{ rid: string; keyframes: { plis: number } }>;
  return Object.fromEntries(layers.map((l) => [l.rid, l.keyframes.plis]));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

describe('simulcast ingest from Chromium over WHIP', { timeout: 180_000 }, () => {
  const registry = new StreamRegistry();
  const events: Array<{ event: string; fields: LogFields }> = [];
  const log = (event: string, fields: LogFields = {}): void => {
    events.push({ event, fields });
    if (process.env.CASTBRIDGE_TEST_VERBOSE) consoleLog(event, fields);
  };
  const ingest = new WebRtcIngest(registry, { log });
  /** Each stream's layers by rid, as they appear. */
  const layersOf = new Map<string, Map<string, LayerRecord>>();
  registry.on('published', (s) => {
    const layers = new Map<string, LayerRecord>();
    layersOf.set(s.name, layers);
    s.on('layers', (list) => {
      for (const layer of list) {
        if (layer.rid === undefined || layers.has(layer.rid)) continue;
        const record: LayerRecord = { layer, frames: [] };
        layers.set(layer.rid, record);
        layer.on('video', (frame) => record.frames.push({ ...frame, at: performance.now() }));
      }
    });
  });
  let whip: TestWhipServer;
  let browser: Browser;
  let page: Page;
  let publication: WhipPublication | undefined;

  before(async () => {
    whip = await startWhipServer(ingest);
    browser = await launchChromium({ fps: 30 });
    page = await browser.newPage();
    await page.goto(`${whip.base}/`);
  });

  after(async () => {
    await publication?.stop().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await ingest.closeAll();
    await whip?.close();
  });

  test('three layers of three sizes, each at the camera rate with keyframes on request, on one clock', async (t) => {
    publication = await publishWhip(page, `${whip.base}/whip/sim`, { width: 1280, height: 720, fps: 30, simulcast: THREE_LAYERS });
    const offer = whip.offers[0] ?? '';
    assert.match(offer, /^a=simulcast:send h;m;l\r?$/m, 'Chromium offered three rids');
    const stream: LiveStream | undefined = registry.get('sim');
    const layers = layersOf.get('sim')!;

    const started = performance.now();
    await waitFor(
      'three layers with parameter sets and pictures',
      () => layers.size === 3 && [...layers.values()].every((r) => r.layer.params && r.frames.length > 0),
      ALL_LAYERS_TIMEOUT_MS,
    );
    t.diagnostic(`all three layers after ${Math.round(performance.now() - started)} ms`);
    assert.ok(stream);
    const sizes = stream.layers.map((l) => `${l.rid}:${l.width}x${l.height}`);
    assert.deepEqual(sizes, ['h:1280x720', 'm:640x360', 'l:320x180'], 'largest first');
    assert.equal(stream.params?.width, 1280, "the stream's own params are the primary (largest) layer's");

    const announced = events.filter((e) => e.event === 'ingest.layer' && layers.has(String(e.fields.rid)));
    assert.deepEqual(announced.map((e) => e.fields.rid).sort(), ['h', 'l', 'm'], 'ingest.layer logged once per layer');
    assert.equal(new Set(announced.map((e) => e.fields.ssrc)).size, 3, 'three SSRCs');

    for (const record of layers.values()) {
      assert.equal(record.frames[0]!.keyframe, true, `layer ${record.layer.rid} starts at a keyframe`);
    }

    // The layers' pictures are put on one timeline once the sender reports match them (a second or two).
    await waitFor('every layer on the timeline', () => (sessionOf(ingest, 'sim').toJSON().timeline as { locked: string[] }).locked.length === 3, 15_000);
    const from = performance.now();
    await new Promise((r) => setTimeout(r, MEASURE_MS));
    const bitrates: Record<string, number> = {};
    for (const [rid, record] of layers) {
      const frames = record.frames.filter((f) => f.at >= from);
      for (let i = 1; i < record.frames.length; i++) {
        assert.ok(record.frames[i]!.dts > record.frames[i - 1]!.dts, `layer ${rid}: dts increases`);
      }
      const spanMs = frames[frames.length - 1]!.dts - frames[0]!.dts;
      const fps = ((frames.length - 1) * 1000) / spanMs;
      bitrates[rid] = record.layer.bitrateKbps;
      t.diagnostic(`layer ${rid} ${record.layer.width}x${record.layer.height}: ${fps.toFixed(1)} fps, ${record.layer.bitrateKbps} kb/s`);
      assert.ok(fps > 20 && fps < 40, `layer ${rid}: ~30 fps on the stream clock, got ${fps.toFixed(1)}`);
    }
    assert.ok(bitrates.h! > bitrates.m! && bitrates.m! > bitrates.l! && bitrates.l! > 0, `bitrates ordered by size: ${JSON.stringify(bitrates)}`);

    t.diagnostic(`timeline: ${JSON.stringify(sessionOf(ingest, 'sim').toJSON().timeline)}`);
    // One clock: every picture of a lower layer has a picture of the highest at the same time.
    const high = layers.get('h')!.frames.filter((f) => f.at >= from).map((f) => f.dts);
    for (const rid of ['m', 'l']) {
      const offsets = layers
        .get(rid)!
        .frames.filter((f) => f.at >= from + 200 && f.at < from + MEASURE_MS - 200)
        .map((f) => Math.min(...high.map((d) => Math.abs(d - f.dts))));
      t.diagnostic(`layer ${rid} vs h: median ${median(offsets)} ms, max ${Math.max(...offsets)} ms`);
      assert.ok(median(offsets) <= 1 && Math.max(...offsets) <= 2, `layer ${rid}'s pictures sit at the highest layer's times (median ${median(offsets)} ms, max ${Math.max(...offsets)})`);
    }

    // A keyframe request of one layer is answered by a keyframe of that layer (PLI to its SSRC).
    for (const [rid, record] of layers) {
      const asked = performance.now();
      const others = [...layers.values()].filter((r) => r !== record);
      const plisBefore = plisByRid(ingest, 'sim');
      record.layer.requestKeyframe();
      const plisAfter = plisByRid(ingest, 'sim');
      for (const other of Object.keys(plisBefore)) {
        assert.equal(plisAfter[other]! - plisBefore[other]!, other === rid ? 1 : 0, `asking layer ${rid}: one PLI, to ${rid}'s SSRC only (${other})`);
      }
      const answer = await waitFor(`a keyframe of layer ${rid}`, () => record.frames.find((f) => f.at > asked && f.keyframe), 2000);
      await new Promise((r) => setTimeout(r, 500));
      // Chromium's H.264 simulcast encodes every layer's keyframe from the same captured picture: where
      // the others sent one too, it must carry the same time (one frame apart would be 33 ms).
      const othersKeyframes = others.flatMap((r) => r.frames.filter((f) => f.at > asked && f.keyframe).slice(0, 1).map((f) => ({ rid: r.layer.rid, dts: f.dts })));
      t.diagnostic(
        `layer ${rid}: keyframe ${Math.round(answer.at - asked)} ms after the request at ${answer.dts}; the others' keyframes meanwhile: ${othersKeyframes.map((k) => `${k.rid}@${k.dts}`).join(' ') || 'none'}`,
      );
      for (const k of othersKeyframes) assert.ok(Math.abs(k.dts - answer.dts) <= 2, `keyframes of one picture at one time: ${rid}@${answer.dts}, ${k.rid}@${k.dts}`);
    }

    // Without a rid, the stream's source asks the primary (largest) layer.
    const before = plisByRid(ingest, 'sim');
    sessionOf(ingest, 'sim').requestKeyframe(undefined);
    const afterPli = plisByRid(ingest, 'sim');
    assert.deepEqual(afterPli, { ...before, h: before.h! + 1 }, 'requestKeyframe(undefined) is a PLI to the highest layer');

    const ended = new Promise((resolve) => stream.once('end', resolve));
    await publication.stop();
    publication = undefined;
    await ended;
  });

  // The SDK's own publishing code (src-renderer/sdk/publish-peer.ts, bundled for the page) with
  // simulcast on: three layers from a 720p capture, two from 360p, one (no simulcast) from 240p. Video
  // only: the layers are what is looked at here.
  test('the SDK publishes simulcast: layers by capture size', async (t) => {
    const bundle = await build({
      entryPoints: [join(import.meta.dirname, '..', '..', 'src-renderer', 'sdk', 'publish-peer.ts')],
      bundle: true,
      format: 'iife',
      globalName: 'castbridgePublishPeer',
      write: false,
      target: 'chrome120',
    });
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
    const cases = [
      { name: 'sdk720', width: 1280, height: 720, sizes: ['h:1280x720', 'm:640x360', 'l:320x180'] },
      { name: 'sdk360', width: 640, height: 360, sizes: ['h:640x360', 'm:320x180'] },
      { name: 'sdk240', width: 426, height: 240, sizes: ['-:426x240'] },
    ];
    for (const c of cases) {
      const offered = await page.evaluate(
        async ({ name, width, height }) => {
          type PublishPeerModule = typeof import('../../src-renderer/sdk/publish-peer.js');
          const sdk = (window as unknown as { castbridgePublishPeer: PublishPeerModule }).castbridgePublishPeer;
          const media = await navigator.mediaDevices.getUserMedia({ video: { width: { exact: width }, height: { exact: height } }, audio: false });
          const peer = await sdk.createPublishPeer(media, { simulcast: true });
          const response = await fetch(`/whip/${name}`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: peer.offerSdp });
          const answer = await response.text();
          if (response.status !== 201) throw new Error(`WHIP POST answered ${response.status}: ${answer}`);
          await sdk.applyAnswer(peer, answer);
          const w = window as unknown as { __sdkPeers?: RTCPeerConnection[] };
          (w.__sdkPeers ??= []).push(peer.pc);
          return { layers: peer.videoLayers, simulcast: /^a=simulcast:.*$/m.exec(peer.offerSdp)?.[0] ?? 'none' };
        },
        { name: c.name, width: c.width, height: c.height },
      );
      const stream = registry.get(c.name);
      assert.ok(stream);
      await waitFor(
        `${c.name}: ${c.sizes.length} layer(s) with pictures`,
        () => stream.layers.length === c.sizes.length && stream.layers.every((l) => l.params) && stream.layers.every((l) => l.bitrateKbps > 0),
        ALL_LAYERS_TIMEOUT_MS,
      );
      const sizes = stream.layers.map((l) => `${l.rid ?? '-'}:${l.width}x${l.height}`);
      t.diagnostic(`${c.name}: offered ${offered.simulcast}; layers ${sizes.join(' ')}`);
      assert.equal(offered.layers, c.sizes.length);
      assert.deepEqual(sizes, c.sizes);
    }
    await page.evaluate(() => {
      for (const pc of (window as unknown as { __sdkPeers?: RTCPeerConnection[] }).__sdkPeers ?? []) pc.close();
    });
  });
});
