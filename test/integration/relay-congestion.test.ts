// Congestion through a real transponder (docs/DESIGN.md §3): a stream fed from code pushes to the
// test RTMP server (test/helpers/rtmp-auth-server.ts) through a proxy that first passes everything, then
// forwards at a trickle (a slow uplink), then stops reading altogether (a black hole). Checked:
//  - slow uplink: inter frames are dropped (stats.droppedFrames), the queue stays bounded (stats.queuedMs),
//    keyframes are asked of the source, and the audio that reaches the server has no gap while video does;
//  - black hole: the transponder goes RECONNECTING with BLACK_HOLE, memory bounded. The test server never
//    acknowledges, so this is the drain rule (send buffers fill, then PublisherDefaults.blackHoleMs);
//  - black hole at nginx-rtmp, which acknowledges per the window we announce: RECONNECTING < 16 s after
//    the stall (the acknowledgement rule: blackHoleMs + at most one window of stream + a watchdog tick).
// The source behaves like a WebRTC encoder: a keyframe answers a request (at most one per 500 ms, as
// libwebrtc rate-limits them), otherwise one every 10 s.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { readFlv } from '../../src-relay/flv/file.js';
import { TagType, videoTagInfo } from '../../src-relay/flv/tags.js';
import { h264Params, parseAvcDecoderConfigurationRecord } from '../../src-relay/codec/h264.js';
import type { H264Params } from '../../src-relay/media.js';
import { MessageType } from '../../src-relay/rtmp/control.js';
import { StreamRegistry } from '../../src-relay/streams.js';
import { TransponderManager } from '../../src-relay/transponder/manager.js';
import { consoleLog, silentLog } from '../../src-relay/log.js';
import { startRtmpTestServer } from '../helpers/rtmp-auth-server.js';
import { startNginxRtmp } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

const log = process.env.CASTBRIDGE_TEST_VERBOSE ? consoleLog : silentLog;
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'flv', 'testsrc-64x48-0.5s.flv');
const FRAME_MS = 40; // 25 fps
const PCM_CHUNK_MS = 20;
/** ~1.5 MB/s of video, far more than the trickle. */
const INTER_BYTES = 60_000;
const KEYFRAME_BYTES = 100_000;
const KEYFRAME_MIN_GAP_MS = 500;
const KEYFRAME_PERIOD_MS = 10_000;
const TRICKLE_BYTES_PER_S = 300_000;
const OPEN_MS = 1000;
const TRICKLE_MS = 6000;
const DRAIN_TIMEOUT_MS = 10_000;
/** Drain rule: PublisherDefaults.blackHoleMs (13 s) plus time for the socket buffers to fill, on a loaded machine. */
const BLACK_HOLE_WITHIN_MS = 25_000;
/** Acknowledgement rule: the detection goal (docs/DESIGN.md §3, ~15 s) with a margin for a loaded machine. */
const ACK_BLACK_HOLE_WITHIN_MS = 16_000;
/** PublisherDefaults.maxQueueMs is 700; queued keyframes and a stats sample's timing add some. */
const QUEUED_MS_BOUND = 2500;
const HEAP_GROWTH_BOUND = 150 * 1024 * 1024;

type ProxyMode = 'open' | 'trickle' | 'stall';

/** A TCP proxy whose client → server direction can be slowed to a trickle or stopped. */
async function startThrottle(upstreamPort: number): Promise<{ port: number; setMode(mode: ProxyMode): void; close(): Promise<void> }> {
  let mode: ProxyMode = 'open';
  const sockets = new Set<Socket>();
  const clients = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((client) => {
    const upstream = connect(upstreamPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('data', (data: Buffer) => {
      upstream.write(data);
      if (mode === 'open') return;
      client.pause();
      if (mode === 'stall') return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (mode !== 'stall') client.resume();
      }, (data.length / TRICKLE_BYTES_PER_S) * 1000);
      timers.add(timer);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    setMode: (m) => {
      mode = m;
      if (m === 'stall') for (const c of clients) c.pause();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function fixtureParams(): H264Params {
  for (const tag of readFlv(readFileSync(FIXTURE))) {
    if (tag.type === TagType.video && videoTagInfo(tag.body).sequenceHeader) {
      const record = parseAvcDecoderConfigurationRecord(tag.body.subarray(5));
      return h264Params(record.sps[0]!, record.pps[0]!);
    }
  }
  throw new Error(`${FIXTURE} has no AVC sequence header`);
}

describe('a transponder under congestion, then into a black hole', { timeout: 90_000 }, () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  test('slow target: video dropped, audio not, queue bounded, keyframes asked; stalled target: RECONNECTING (BLACK_HOLE)', async (t0) => {
    const server = await startRtmpTestServer();
    cleanups.push(() => server.close());
    const proxy = await startThrottle(server.port);
    cleanups.push(() => proxy.close());

    const registry = new StreamRegistry();
    let keyframeWanted = false;
    const requestsAt: number[] = [];
    const stream = registry.publish('congested', {
      requestKeyframe: () => {
        requestsAt.push(performance.now());
        keyframeWanted = true;
      },
      close: () => undefined,
      description: 'test',
    });
    // Periodic requests every 60 s (the most allowed): within this test every request is a start or congestion.
    const manager = new TransponderManager(registry, () => ({ streamNamePrefix: '', fullUrl: false, keyframeIntervalMs: 60_000, log }));
    cleanups.push(() => manager.stopAll());
    cleanups.push(() => stream.end('test over'));
    stream.pushParams(fixtureParams());

    const startedAt = performance.now();
    let videoMs = 0;
    let pcmMs = 0;
    let lastKeyframeAt = -Infinity;
    let framesSent = 0;
    const pump = setInterval(() => {
      const now = performance.now() - startedAt;
      for (; pcmMs <= now; pcmMs += PCM_CHUNK_MS) stream.pushPcm({ time: pcmMs, samples: new Int16Array(48 * PCM_CHUNK_MS * 2).fill(3000) });
      for (; videoMs <= now; videoMs += FRAME_MS) {
        const keyframe = (keyframeWanted && videoMs - lastKeyframeAt >= KEYFRAME_MIN_GAP_MS) || videoMs - lastKeyframeAt >= KEYFRAME_PERIOD_MS;
        if (keyframe) {
          keyframeWanted = false;
          lastKeyframeAt = videoMs;
        }
        const nalu = Buffer.alloc(keyframe ? KEYFRAME_BYTES : INTER_BYTES, 0x5a);
        nalu[0] = keyframe ? 0x65 : 0x41; // nal_unit_type 5 (IDR) / 1 (non-IDR), RFC 6184 §1.3
        stream.pushVideo({ codec: 'h264', dts: videoMs, cts: 0, keyframe, nalus: [nalu] });
        framesSent++;
      }
    }, 10);
    cleanups.push(() => clearInterval(pump));

    const t = manager.startup({ streamName: 'congested', rtmpUrl: `rtmp://127.0.0.1:${proxy.port}/live`, options: { audioCodec: 'pcmu' } });
    const get = () => manager.find({ mediaSessionId: t.mediaSessionId })[0]!;
    await waitFor('PUBLISHING', () => get()?.status === 'PUBLISHING', 15_000);
    await new Promise((r) => setTimeout(r, OPEN_MS));
    const requestsBeforeTrickle = requestsAt.length;
    assert.ok(requestsBeforeTrickle >= 1, 'a keyframe was asked for on publishing');
    assert.equal(get().stats.droppedFrames, 0, 'nothing dropped while the target keeps up');

    // Slow uplink.
    proxy.setMode('trickle');
    const heapBefore = process.memoryUsage().heapUsed;
    let maxQueuedMs = 0;
    const trickleEnd = Date.now() + TRICKLE_MS;
    while (Date.now() < trickleEnd) {
      maxQueuedMs = Math.max(maxQueuedMs, get().stats.queuedMs);
      await new Promise((r) => setTimeout(r, 100));
    }
    const slow = get();
    assert.equal(slow.status, 'PUBLISHING');
    assert.ok(slow.stats.droppedFrames > 0, `droppedFrames ${slow.stats.droppedFrames} on a ${TRICKLE_BYTES_PER_S / 1000} kB/s uplink`);
    assert.ok(maxQueuedMs > 0 && maxQueuedMs <= QUEUED_MS_BOUND, `queuedMs peaked at ${maxQueuedMs} ms`);
    assert.ok(requestsAt.length > requestsBeforeTrickle, `keyframe requests: ${requestsBeforeTrickle} before congestion, ${requestsAt.length} after`);

    // The uplink recovers: what was queued and sent drains to the server, which then holds every audio frame
    // of the congested time in a gapless run, and video with frames missing.
    proxy.setMode('open');
    const drainedAt = performance.now() - startedAt;
    await waitFor('the server to catch up', () => (server.publishes[0]?.media.filter((m) => m.typeId === MessageType.audio).at(-1)?.timestamp ?? 0) > drainedAt - 2000, DRAIN_TIMEOUT_MS);
    const record = server.publishes[0]!;
    const audio = record.media.filter((m) => m.typeId === MessageType.audio).map((m) => m.timestamp);
    const video = record.media.filter((m) => m.typeId === MessageType.video).map((m) => m.timestamp);
    assert.ok(audio.length > 200, `${audio.length} audio frames reached the server`);
    for (let i = 1; i < audio.length; i++) {
      const step = audio[i]! - audio[i - 1]!;
      assert.ok(step >= 0 && step <= PCM_CHUNK_MS + 5, `audio gap of ${step} ms at ${audio[i - 1]} ms (frame ${i})`);
    }
    const videoSpan = video.at(-1)! - video[0]!;
    const expectedFrames = videoSpan / FRAME_MS;
    assert.ok(video.length < expectedFrames * 0.8, `${video.length} video messages over ${videoSpan} ms (${expectedFrames.toFixed(0)} frames' worth): frames were dropped`);

    // Black hole.
    proxy.setMode('stall');
    const stalledAt = performance.now();
    await waitFor('RECONNECTING after the black hole', () => get().status === 'RECONNECTING', BLACK_HOLE_WITHIN_MS);
    const reconnecting = get();
    assert.match(reconnecting.info ?? '', /BLACK_HOLE/);
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(heapGrowth < HEAP_GROWTH_BOUND, `heap grew ${(heapGrowth / 1048576).toFixed(1)} MiB`);
    t0.diagnostic(
      `${framesSent} frames sent, ${slow.stats.droppedFrames} dropped on the trickle, queuedMs peak ${maxQueuedMs}, ` +
        `${requestsAt.length} keyframe requests, RECONNECTING ${((performance.now() - stalledAt) / 1000).toFixed(1)} s after the stall`,
    );
  });
});

describe('a transponder to nginx-rtmp, into a black hole', { timeout: 60_000 }, () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  test('the target stops acknowledging: RECONNECTING (BLACK_HOLE) within 16 s of the stall', async (t0) => {
    const nginx = await startNginxRtmp();
    cleanups.push(() => nginx.stop());
    const proxy = await startThrottle(nginx.port);
    cleanups.push(() => proxy.close());
    const registry = new StreamRegistry();
    let keyframeWanted = false;
    const stream = registry.publish('dark', { requestKeyframe: () => (keyframeWanted = true), close: () => undefined, description: 'test' });
    const manager = new TransponderManager(registry, () => ({ streamNamePrefix: '', fullUrl: false, keyframeIntervalMs: 60_000, log }));
    cleanups.push(() => manager.stopAll());
    cleanups.push(() => stream.end('test over'));
    stream.pushParams(fixtureParams());
    const startedAt = performance.now();
    let videoMs = 0;
    let pcmMs = 0;
    let lastKeyframeAt = -Infinity;
    // ~1 Mb/s: 5 kB inter frames at 25 fps, a keyframe when asked (at most every 500 ms) or every 10 s.
    const pump = setInterval(() => {
      const now = performance.now() - startedAt;
      for (; pcmMs <= now; pcmMs += PCM_CHUNK_MS) stream.pushPcm({ time: pcmMs, samples: new Int16Array(48 * PCM_CHUNK_MS * 2).fill(3000) });
      for (; videoMs <= now; videoMs += FRAME_MS) {
        const keyframe = (keyframeWanted && videoMs - lastKeyframeAt >= KEYFRAME_MIN_GAP_MS) || videoMs - lastKeyframeAt >= KEYFRAME_PERIOD_MS;
        if (keyframe) {
          keyframeWanted = false;
          lastKeyframeAt = videoMs;
        }
        const nalu = Buffer.alloc(keyframe ? 20_000 : 5000, 0x5a);
        nalu[0] = keyframe ? 0x65 : 0x41;
        stream.pushVideo({ codec: 'h264', dts: videoMs, cts: 0, keyframe, nalus: [nalu] });
      }
    }, 10);
    cleanups.push(() => clearInterval(pump));

    const t = manager.startup({ streamName: 'dark', rtmpUrl: `rtmp://127.0.0.1:${proxy.port}/live`, options: { audioCodec: 'pcmu' } });
    const get = () => manager.find({ mediaSessionId: t.mediaSessionId })[0]!;
    await waitFor('PUBLISHING', () => get()?.status === 'PUBLISHING', 15_000);
    await new Promise((r) => setTimeout(r, 3000));
    proxy.setMode('stall');
    const stalledAt = performance.now();
    await waitFor('RECONNECTING after the black hole', () => get().status === 'RECONNECTING', 30_000);
    const detectedMs = performance.now() - stalledAt;
    const info = get().info ?? '';
    t0.diagnostic(`RECONNECTING ${(detectedMs / 1000).toFixed(1)} s after the stall: ${info}`);
    assert.match(info, /BLACK_HOLE/);
    assert.match(info, /acknowledg/, 'detected by the acknowledgement rule');
    assert.ok(detectedMs < ACK_BLACK_HOLE_WITHIN_MS, `RECONNECTING ${(detectedMs / 1000).toFixed(1)} s after the stall`);
  });
});
