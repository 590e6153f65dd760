// A LiveStream's video layers (src-relay/streams.ts): ordered largest first, the stream's own events
// carrying the primary (largest) layer — a new primary only from its first keyframe on — a bitrate
// measured per layer, and keyframe requests reaching the source with the layer's rid.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamRegistry, type StreamSource, type VideoLayer } from '../../src-relay/streams.js';
import type { H264Params, VideoFrame } from '../../src-relay/media.js';

/** A source that records what the stream asks of it. */
function source(): StreamSource & { keyframeRequests: Array<string | undefined>; closed: string[] } {
  const keyframeRequests: Array<string | undefined> = [];
  const closed: string[] = [];
  return { description: 'test', keyframeRequests, closed, requestKeyframe: (rid) => keyframeRequests.push(rid), close: (reason) => closed.push(reason) };
}

/** Parameter sets of a picture size (only width/height matter to the stream; SPS bytes tell them apart). */
function params(width: number, height: number): H264Params {
  return { sps: Buffer.from([0x67, 0x42, 0xc0, 0x1f, width >> 4, height >> 4]), pps: Buffer.from([0x68, 0xce]), width, height, profile: 0x42, compatibility: 0xc0, level: 0x1f };
}

function frame(dts: number, keyframe: boolean, bytes = 1000): VideoFrame {
  return { codec: 'h264', dts, cts: 0, keyframe, nalus: [Buffer.alloc(bytes, keyframe ? 0x65 : 0x41)] };
}

function sizes(layers: readonly VideoLayer[]): string[] {
  return layers.map((l) => `${l.rid ?? '-'}:${l.width}x${l.height}`);
}

describe('LiveStream video layers', () => {
  test('layers are ordered largest first; each new layer or new order is announced', () => {
    const stream = new StreamRegistry().publish('cam', source());
    const announced: string[][] = [];
    stream.on('layers', (layers) => announced.push(sizes(layers)));
    const low = stream.layer('l');
    assert.equal(stream.layer('l'), low, 'get-or-create gives the same layer');
    low.pushParams(params(320, 180));
    const high = stream.layer('h');
    const mid = stream.layer('m');
    mid.pushParams(params(640, 360));
    high.pushParams(params(1280, 720));
    assert.deepEqual(sizes(stream.layers), ['h:1280x720', 'm:640x360', 'l:320x180']);
    assert.deepEqual(announced, [
      ['l:0x0'],
      ['l:320x180', 'h:0x0'],
      ['l:320x180', 'h:0x0', 'm:0x0'],
      ['m:640x360', 'l:320x180', 'h:0x0'],
      ['h:1280x720', 'm:640x360', 'l:320x180'],
    ]);
  });

  test("the stream's video and params follow the primary layer; a new primary starts at its keyframe", () => {
    const src = source();
    const stream = new StreamRegistry().publish('cam', src);
    const seen: string[] = [];
    stream.on('video', (f) => seen.push(`${f.dts}${f.keyframe ? 'K' : ''}`));
    const streamParams: string[] = [];
    stream.on('params', (p) => streamParams.push(`${p.width}x${p.height}`));

    const low = stream.layer('l');
    low.pushParams(params(320, 180));
    low.pushVideo(frame(0, true));
    low.pushVideo(frame(33, false));
    assert.deepEqual(seen, ['0K', '33'], 'the first layer is primary from its first picture');
    assert.deepEqual(src.keyframeRequests, []);

    // The high layer appears: it is primary now, but its P-frames are not forwarded before its keyframe,
    // and neither are the low layer's pictures any more.
    const high = stream.layer('h');
    high.pushParams(params(1280, 720));
    assert.equal(stream.params?.width, 1280);
    assert.deepEqual(src.keyframeRequests, ['h'], 'the new primary is asked for a keyframe');
    high.pushVideo(frame(66, false));
    low.pushVideo(frame(66, false));
    assert.deepEqual(seen, ['0K', '33']);
    high.pushVideo(frame(100, true));
    high.pushVideo(frame(133, false));
    low.pushVideo(frame(133, false));
    assert.deepEqual(seen, ['0K', '33', '100K', '133']);
    assert.deepEqual(streamParams, ['320x180', '1280x720']);

    // Each layer still emits its own pictures.
    const lowFrames: number[] = [];
    low.on('video', (f) => lowFrames.push(f.dts));
    low.pushVideo(frame(166, false));
    assert.deepEqual(lowFrames, [166]);
  });

  test('parameter sets that change while the new primary awaits its keyframe come with that keyframe', () => {
    const stream = new StreamRegistry().publish('cam', source());
    const events: string[] = [];
    stream.on('params', (p) => events.push(`params ${p.width}x${p.height}`));
    stream.on('video', (f) => events.push(`video ${f.dts}${f.keyframe ? 'K' : ''}`));
    const low = stream.layer('l');
    low.pushParams(params(320, 180));
    low.pushVideo(frame(0, true));
    const high = stream.layer('h');
    high.pushParams(params(1280, 720));
    high.pushParams(params(1280, 712));
    high.pushVideo(frame(33, true));
    assert.deepEqual(events, ['params 320x180', 'video 0K', 'params 1280x720', 'params 1280x712', 'video 33K']);
  });

  test('bitrate is measured per layer over the last two seconds of frames', () => {
    const stream = new StreamRegistry().publish('cam', source());
    const high = stream.layer('h');
    const low = stream.layer('l');
    assert.equal(high.bitrateKbps, 0, 'no frames yet');
    // 30 fps for 4 s: high 10 000 bytes a frame (2.4 Mb/s), low 1 000 bytes (240 kb/s).
    for (let i = 0; i < 120; i++) {
      high.pushVideo(frame(i * 33.333, i === 0, 10_000));
      low.pushVideo(frame(i * 33.333, i === 0, 1_000));
    }
    assert.ok(Math.abs(high.bitrateKbps - 2400) < 80, `high ${high.bitrateKbps} kb/s`);
    assert.ok(Math.abs(low.bitrateKbps - 240) < 8, `low ${low.bitrateKbps} kb/s`);
    // A drop to a tenth shows within the window.
    for (let i = 120; i < 200; i++) high.pushVideo(frame(i * 33.333, false, 1_000));
    assert.ok(Math.abs(high.bitrateKbps - 240) < 8, `high after the drop ${high.bitrateKbps} kb/s`);
  });

  test('keyframe requests reach the source with the layer rid; the stream asks its primary', () => {
    const src = source();
    const stream = new StreamRegistry().publish('cam', src);
    const mid = stream.layer('m');
    mid.pushParams(params(640, 360));
    const low = stream.layer('l');
    low.pushParams(params(320, 180));
    low.requestKeyframe();
    mid.requestKeyframe();
    stream.requestKeyframe();
    assert.deepEqual(src.keyframeRequests, ['l', 'm', 'm']);

    // A stream without simulcast: one layer, rid undefined, through the stream's own push methods.
    const plainSource = source();
    const plain = new StreamRegistry().publish('plain', plainSource);
    plain.pushParams(params(1280, 720));
    plain.pushVideo(frame(0, true));
    assert.deepEqual(sizes(plain.layers), ['-:1280x720']);
    plain.requestKeyframe();
    plain.layers[0]!.requestKeyframe();
    assert.deepEqual(plainSource.keyframeRequests, [undefined, undefined]);

    // Nothing reaches the source once the stream ended.
    stream.end('over');
    low.requestKeyframe();
    assert.deepEqual(src.keyframeRequests, ['l', 'm', 'm']);
    assert.deepEqual(src.closed, ['over']);
  });
});
