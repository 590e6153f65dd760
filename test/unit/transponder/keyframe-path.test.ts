// When a copy of H.264 gets the stream's H.264 encode for its keyframes (transponder/keyframe-path.ts): the
// rule, the option's bounds, the keyframe interval each layer measures, the pictures kept for the encoder to
// start from, and the follower's change from the publisher's layer to the encode's without two pictures for
// one instant.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamRegistry } from '../../../src-relay/streams.js';
import type { H264Frame, VideoFrame } from '../../../src-relay/media.js';
import { h264Params } from '../../../src-relay/codec/h264.js';
import { silentLog } from '../../../src-relay/log.js';
import {
  DEFAULT_MAX_KEYFRAME_INTERVAL_MS,
  KeyframePathWatch,
  keyframeTranscodeReason,
  maxKeyframeIntervalProblem,
} from '../../../src-relay/transponder/keyframe-path.js';
import { GopKeeper } from '../../../src-relay/transponder/transcode/gop.js';
import { LayerFollower } from '../../../src-relay/transponder/layer-follower.js';
import { KeyframeScheduler } from '../../../src-relay/transponder/keyframes.js';
import { TransponderManager } from '../../../src-relay/transponder/manager.js';
import { TransponderError } from '../../../src-relay/transponder/service.js';

// 320x240 Baseline SPS and a PPS (libx264's).
const SPS = Buffer.from('6742c00da6811e0a7f8c04400000030040000007a3c50aa8', 'hex');
const PPS = Buffer.from('68ce3c80', 'hex');
const frame = (dts: number, keyframe = false, size = 10): H264Frame => ({ codec: 'h264', dts, cts: 0, keyframe, nalus: [Buffer.alloc(size, keyframe ? 0x65 : 0x41)] });
const source = (ignoresKeyframeRequests = false) => ({ requestKeyframe: () => undefined, close: () => undefined, description: 'test', ignoresKeyframeRequests });

describe('the rule: a copy whose keyframes come too far apart from a publisher that ignores requests', () => {
  test('only a publisher that ignores keyframe requests, only past the target\'s maximum', () => {
    assert.equal(DEFAULT_MAX_KEYFRAME_INTERVAL_MS, 4000);
    assert.equal(keyframeTranscodeReason({ ignoresRequests: false, spacingMs: 10_000 }, 4000), undefined, 'a publisher that answers gets its keyframes asked for');
    assert.equal(keyframeTranscodeReason({ ignoresRequests: true, spacingMs: 4000 }, 4000), undefined, 'exactly the maximum is fine');
    assert.equal(keyframeTranscodeReason({ ignoresRequests: true, spacingMs: 0 }, 4000), undefined, 'nothing measured yet');
    assert.equal(
      keyframeTranscodeReason({ ignoresRequests: true, spacingMs: 10_033 }, 4000),
      'keyframes every 10.0 s and the publisher ignores keyframe requests; the target takes at most 4 s',
    );
    assert.match(keyframeTranscodeReason({ ignoresRequests: true, spacingMs: 3000 }, 2500) ?? '', /takes at most 2\.5 s$/);
  });

  test('options.maxKeyframeIntervalMs: a whole number of ms from 1000 to 3600000, else named', () => {
    assert.equal(maxKeyframeIntervalProblem(undefined), undefined);
    assert.equal(maxKeyframeIntervalProblem(12_000), undefined);
    for (const bad of [999, 3_600_001, 2500.5, '4000', null]) {
      assert.match(maxKeyframeIntervalProblem(bad) ?? '', /^options\.maxKeyframeIntervalMs must be a whole number of ms from 1000 to 3600000, got /, String(bad));
    }
  });

  test('the watch hands over the encode once the rule says so, or says once what keeps it from running', () => {
    const layer = { keyframeSpacingMs: 3000, keyframeIntervalMs: 0 };
    const stream = { ignoresKeyframeRequests: true };
    let asked = 0;
    const watch = new KeyframePathWatch<string>(undefined, () => (asked++, 'no H.264 decoder') as string);
    assert.equal(watch.check(stream, layer), undefined, '3 s is within 4 s');
    layer.keyframeSpacingMs = 5000;
    assert.deepEqual(watch.check(stream, layer), { problem: 'keyframes every 5.0 s and the publisher ignores keyframe requests; the target takes at most 4 s, but the H.264 transcoder cannot run: no H.264 decoder' });
    assert.equal(watch.check(stream, layer), undefined, 'said once');
    assert.equal(asked, 1);
    assert.match(watch.toJSON(stream, layer).videoPathProblem ?? '', /cannot run/);

    const encode = { name: 'the encode' };
    const ok = new KeyframePathWatch(12_000, () => encode);
    assert.equal(ok.check(stream, layer), undefined, '5 s is within the target\'s 12 s');
    layer.keyframeSpacingMs = 12_500;
    layer.keyframeIntervalMs = 12_500;
    assert.deepEqual(ok.check(stream, layer), { transcoder: encode, reason: 'keyframes every 12.5 s and the publisher ignores keyframe requests; the target takes at most 12 s' });
    assert.deepEqual(ok.toJSON(stream, layer), { sourceKeyframes: { intervalMs: 12_500, ignoresRequests: true } });
  });
});

describe('what the relay measures and keeps of a layer\'s keyframes', () => {
  test('a layer\'s keyframe interval, and the spacing so far when no keyframe came for longer', () => {
    const stream = new StreamRegistry().publish('cam', source(true));
    assert.equal(stream.ignoresKeyframeRequests, true);
    const layer = stream.layer();
    assert.deepEqual([layer.keyframeIntervalMs, layer.keyframeSpacingMs], [0, 0]);
    layer.pushVideo(frame(1000));
    assert.deepEqual([layer.keyframeIntervalMs, layer.keyframeSpacingMs], [0, 0], 'no keyframe yet');
    layer.pushVideo(frame(2000, true));
    layer.pushVideo(frame(4500));
    assert.deepEqual([layer.keyframeIntervalMs, layer.keyframeSpacingMs], [0, 2500], 'one keyframe: the time since it');
    layer.pushVideo(frame(12_000, true));
    assert.deepEqual([layer.keyframeIntervalMs, layer.keyframeSpacingMs], [10_000, 10_000]);
    layer.pushVideo(frame(13_000, true));
    layer.pushVideo(frame(13_500));
    assert.deepEqual([layer.keyframeIntervalMs, layer.keyframeSpacingMs], [1000, 1000], 'the last interval, not the longest ever');
  });

  test('the pictures since the last keyframe, within the limits', () => {
    const gop = new GopKeeper({ frames: 4, bytes: 100 });
    gop.push(frame(0));
    assert.equal(gop.frames.length, 0, 'nothing to decode it from');
    gop.push(frame(10, true));
    gop.push(frame(20));
    assert.deepEqual(gop.frames.map((f) => f.dts), [10, 20]);
    gop.push(frame(30, true));
    assert.deepEqual(gop.frames.map((f) => f.dts), [30], 'a keyframe starts over');
    for (const dts of [40, 50, 60]) gop.push(frame(dts));
    assert.equal(gop.frames.length, 4);
    gop.push(frame(70));
    assert.deepEqual(gop.frames, [], 'past the frame limit: nothing until the next keyframe');
    gop.push(frame(80));
    assert.deepEqual(gop.frames, []);
    gop.push(frame(90, true, 60));
    gop.push(frame(100, false, 50));
    assert.deepEqual(gop.frames, [], 'past the byte limit');
  });
});

describe('the follower\'s change from the publisher\'s layer to the encode\'s', () => {
  test('the old layer goes on until the encode\'s keyframe; nothing of its instant or later is sent twice', () => {
    const registry = new StreamRegistry();
    const publisher = registry.publish('cam', source(true));
    const encode = registry.publish('cam-h264', source());
    const params = h264Params(SPS, PPS);
    publisher.pushParams(params);
    encode.layer();
    const sent: { dts: number; from: string; keyframe: boolean }[] = [];
    const switched: string[] = [];
    const schedulers: KeyframeScheduler[] = [];
    const follower = new LayerFollower(publisher, {}, undefined, {
      video: (f: VideoFrame) => (sent.push({ dts: f.dts, from: (f as H264Frame).nalus[0]![0] === 0x99 ? 'encode' : 'publisher', keyframe: f.keyframe }), true),
      switching: (next) => switched.push(String(next.width)),
      arrived: () => undefined,
      changed: () => undefined,
      publishing: () => true,
      videoSent: () => sent.length > 0,
      finished: () => false,
      keyframesOf: (layer) => {
        const scheduler = new KeyframeScheduler(layer, 2000, () => false);
        schedulers.push(scheduler);
        return scheduler;
      },
      log: silentLog,
      mediaSessionId: 'test',
    });
    try {
      publisher.pushVideo(frame(0, true));
      for (let dts = 33; dts < 1000; dts += 33) publisher.pushVideo(frame(dts));
      follower.redirect(encode, 3000);
      // The publisher's pictures go on past the instant of the encode's first keyframe, which comes late.
      for (let dts = 1023; dts <= 1650; dts += 33) publisher.pushVideo(frame(dts));
      encode.pushParams(params);
      const encoded = (dts: number, keyframe = false): H264Frame => ({ codec: 'h264', dts, cts: 0, keyframe, nalus: [Buffer.from([0x99])] });
      encode.pushVideo(encoded(1254, true));
      publisher.pushVideo(frame(1683));
      encode.pushVideo(encoded(1287));
      assert.equal(follower.current, encode.layers[0], 'the encode\'s layer is sent');
      assert.deepEqual(switched.length, 1, 'the new size\'s metadata went out');
      const dts = sent.map((s) => s.dts);
      assert.deepEqual(dts, [...dts].sort((a, b) => a - b), 'timestamps only grow');
      assert.equal(new Set(dts).size, dts.length, 'no instant twice');
      const first = sent.findIndex((s) => s.from === 'encode');
      assert.deepEqual(sent[first], { dts: 1254, from: 'encode', keyframe: true }, 'the encode starts with its keyframe, at its own instant');
      assert.ok(sent.slice(0, first).every((s) => s.from === 'publisher' && s.dts < 1254), 'before it, the publisher\'s pictures up to that instant');
      assert.equal(sent[first - 1]?.dts, 1221, 'and every one of them: no gap');
      assert.ok(sent.slice(first).every((s) => s.from === 'encode'), 'after it, only the encode');
    } finally {
      follower.close();
      for (const s of schedulers) s.close();
    }
  });
});

describe('startup with the facts known', () => {
  test('a target started after the publisher went too long without a keyframe gets the encode from its start; a bad maximum is refused', async () => {
    const registry = new StreamRegistry();
    const stream = registry.publish('cam', source(true));
    stream.pushParams(h264Params(SPS, PPS));
    stream.pushVideo(frame(0, true));
    for (let dts = 33; dts <= 6000; dts += 33) stream.pushVideo(frame(dts));
    const manager = new TransponderManager(registry, () => ({ streamNamePrefix: '', fullUrl: true, keyframeIntervalMs: 2000 }));
    try {
      // Port 9 (discard): nothing listens; the transponder retries while the test reads find.
      const encoded = manager.startup({ streamName: 'cam', rtmpUrl: 'rtmp://127.0.0.1:9/live/a' });
      assert.deepEqual([encoded.videoCodec, encoded.videoPath], ['h264', 'transcode']);
      assert.equal(encoded.videoPathReason, 'keyframes every 6.0 s and the publisher ignores keyframe requests; the target takes at most 4 s');
      assert.deepEqual(encoded.sourceKeyframes, { intervalMs: 0, ignoresRequests: true });
      const copied = manager.startup({ streamName: 'cam', rtmpUrl: 'rtmp://127.0.0.1:9/live/b', options: { maxKeyframeIntervalMs: 10_000 } });
      assert.deepEqual([copied.videoPath, copied.videoPathReason], ['copy', undefined]);
      assert.throws(
        () => manager.startup({ streamName: 'cam', rtmpUrl: 'rtmp://127.0.0.1:9/live/c', options: { maxKeyframeIntervalMs: 500 } }),
        (e: unknown) => e instanceof TransponderError && e.status === 400 && /maxKeyframeIntervalMs must be a whole number of ms from 1000/.test(e.message),
      );
    } finally {
      await manager.stopAll();
      stream.end('test over');
    }
  });
});
