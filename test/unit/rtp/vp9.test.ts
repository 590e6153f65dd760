import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Vp9Depacketizer, readVp9Descriptor } from '../../../src-relay/rtp/vp9.js';
import type { DepacketizerOutput, VideoRtpPacket } from '../../../src-relay/rtp/frame-assembler.js';
import { buildVp9Superframe, vp9FrameInfo, vp9PictureInfo, vp9SuperframeFrames } from '../../../src-relay/codec/vp9.js';
import { decodeWithFfmpeg, loadRtpFixture } from '../../helpers/rtp-fixture.js';
import { encodeToRtpAndIvf } from '../../helpers/ffmpeg-rtp.js';

type Frame = Extract<DepacketizerOutput, { kind: 'frame' }>;
type Dropped = Extract<DepacketizerOutput, { kind: 'dropped' }>;

function run(d: Vp9Depacketizer, packets: VideoRtpPacket[]): DepacketizerOutput[] {
  return packets.flatMap((packet) => d.processInput({ kind: 'packet', packet }));
}
const frames = (out: DepacketizerOutput[]) => out.filter((o): o is Frame => o.kind === 'frame');

let seq = 900;
const pkt = (payload: Buffer, timestamp: number, marker: boolean): VideoRtpPacket => ({ sequenceNumber: seq++ & 0xffff, timestamp, marker, payload });

// A 64x48 key frame header (marker 2, profile 0, frame_type 0, show_frame 1, sync code, color_config, size)
// and an inter frame header whose size is its first reference's (found_ref 1).
const KEY = Buffer.from([0x82, 0x49, 0x83, 0x42, 0x00, 0x03, 0xf0, 0x02, 0xf0, ...Array(24).fill(9)]);
const INTER = Buffer.from([0x86, 0x00, 0x00, 0x02, 0xff, 0xff, 1, 2, 3]);

interface Desc {
  pictureId?: number;
  /** Non-flexible layer indices: TID/U/SID/D byte and TL0PICIDX. */
  layer?: { sid: number; tl0?: number };
  /** Flexible mode: reference P_DIFFs. */
  refs?: number[];
  /** A scalability structure: layer sizes (Y) and picture groups (G) of [tid, refs]. */
  ss?: { sizes?: [number, number][]; groups?: number[][] };
}

function desc(d: Desc, flags: { begin: boolean; end: boolean; inter: boolean }): Buffer {
  const bytes: number[] = [0];
  const flexible = d.refs !== undefined;
  if (d.pictureId !== undefined) (bytes[0] |= 0x80), bytes.push(...(d.pictureId > 127 ? [0x80 | (d.pictureId >> 8), d.pictureId & 0xff] : [d.pictureId]));
  if (d.layer) (bytes[0] |= 0x20), bytes.push(d.layer.sid << 1, ...(flexible ? [] : [d.layer.tl0 ?? 0]));
  if (flexible) bytes[0] |= 0x10;
  if (flags.inter) bytes[0] |= 0x40;
  if (flexible && flags.inter) d.refs!.forEach((r, i, all) => bytes.push((r << 1) | (i < all.length - 1 ? 1 : 0)));
  if (flags.begin) bytes[0] |= 0x08;
  if (flags.end) bytes[0] |= 0x04;
  if (d.ss) {
    bytes[0] |= 0x02;
    const sizes = d.ss.sizes ?? [];
    bytes.push((Math.max(sizes.length, 1) - 1) << 5 | (sizes.length ? 0x10 : 0) | (d.ss.groups ? 0x08 : 0));
    for (const [w, h] of sizes) bytes.push(w >> 8, w & 0xff, h >> 8, h & 0xff);
    if (d.ss.groups) {
      bytes.push(d.ss.groups.length);
      for (const refs of d.ss.groups) bytes.push((1 << 5) | (refs.length << 2), ...refs);
    }
  }
  return Buffer.from(bytes);
}

/** A layer frame split into packets of `size` bytes; `marker` on its last packet. */
function layerPackets(frame: Buffer, ts: number, d: Desc, opts: { inter: boolean; marker?: boolean; size?: number }): VideoRtpPacket[] {
  const size = opts.size ?? 10;
  const out: VideoRtpPacket[] = [];
  for (let at = 0; at < frame.length; at += size) {
    const end = at + size >= frame.length;
    out.push(pkt(Buffer.concat([desc(d, { begin: at === 0, end, inter: opts.inter }), frame.subarray(at, at + size)]), ts, end && (opts.marker ?? true)));
  }
  return out;
}

describe('VP9 RTP depacketizer (RFC 9628)', () => {
  test('non-flexible and flexible descriptors, with and without scalability structure, give back the frame', () => {
    const forms: Desc[] = [
      {},
      { pictureId: 7 },
      { pictureId: 0x2345, layer: { sid: 0, tl0: 4 } },
      { pictureId: 300, refs: [1] },
      { pictureId: 300, refs: [1, 2, 3], layer: { sid: 0 } },
      { pictureId: 9, ss: { sizes: [[64, 48]], groups: [[1], [1, 2], []] } },
      { ss: {} },
    ];
    for (const form of forms) {
      const d = new Vp9Depacketizer();
      const key = layerPackets(KEY, 0, form, { inter: false });
      const inter = layerPackets(INTER, 3000, { ...form, ss: undefined }, { inter: true });
      const out = frames(run(d, [...key, ...inter]));
      assert.deepEqual(out.map((f) => [f.keyframe, f.data]), [[true, KEY], [false, INTER]], JSON.stringify(form));
      const descriptor = readVp9Descriptor(key[0].payload);
      assert.ok(typeof descriptor !== 'string' && descriptor.begin && !descriptor.interPredicted);
    }
  });

  test('the spatial layers of one picture are joined into one superframe', () => {
    const d = new Vp9Depacketizer();
    const base = { pictureId: 1, layer: { sid: 0, tl0: 0 } };
    const top = { pictureId: 1, layer: { sid: 1, tl0: 0 } };
    const out = frames(
      run(d, [
        ...layerPackets(KEY, 0, base, { inter: false, marker: false }),
        ...layerPackets(INTER, 0, top, { inter: false }),
        ...layerPackets(INTER, 3000, base, { inter: true, marker: false }),
        ...layerPackets(INTER, 3000, top, { inter: true }),
      ]),
    );
    assert.equal(out.length, 2);
    assert.equal(out[0].keyframe, true);
    assert.deepEqual(out[0].data, buildVp9Superframe([KEY, INTER]));
    assert.deepEqual(vp9SuperframeFrames(out[0].data), [KEY, INTER]);
    assert.equal(out[1].keyframe, false);
  });

  test('a key frame header sent as inter-predicted (P = 1) is not a keyframe; frames before one are dropped', () => {
    const d = new Vp9Depacketizer();
    const out = run(d, [...layerPackets(KEY, 0, {}, { inter: true }), ...layerPackets(INTER, 3000, {}, { inter: true }), ...layerPackets(KEY, 6000, {}, { inter: false })]);
    assert.deepEqual(out.map((o) => o.kind), ['dropped', 'dropped', 'frame']);
    assert.deepEqual(out.map((o) => o.kind === 'dropped' && o.requestKeyframe), [true, false, false]);
  });

  test('a lost first or middle packet drops the picture and what follows until the next keyframe', () => {
    for (const lose of [0, 1]) {
      const d = new Vp9Depacketizer();
      run(d, layerPackets(KEY, 0, {}, { inter: false }));
      const packets = layerPackets(Buffer.concat([INTER, Buffer.alloc(30, 5)]), 3000, {}, { inter: true });
      const out: DepacketizerOutput[] = [];
      packets.forEach((packet, i) => out.push(...d.processInput(i === lose ? { kind: 'lost', count: 1 } : { kind: 'packet', packet })));
      out.push(...run(d, [...layerPackets(INTER, 6000, {}, { inter: true }), ...layerPackets(KEY, 9000, {}, { inter: false })]));
      assert.deepEqual(out.map((o) => o.kind), ['dropped', 'dropped', 'frame'], `lost packet ${lose}`);
      assert.equal((out[0] as Dropped).requestKeyframe, true);
    }
  });

  test('malformed descriptors and layer framing are counted and never forwarded; random bytes never throw', () => {
    const cases: [string, Buffer][] = [
      ['picture id cut', Buffer.from([0x8c, 0x81])],
      ['layer indices cut', Buffer.from([0x2c, 0x00])],
      ['four reference indices', Buffer.from([0x5c, 0x03, 0x03, 0x03, 0x02, 0x86])],
      ['scalability structure sizes cut', Buffer.from([0x0e, 0x10, 0x00, 0x40])],
      ['scalability structure groups cut', Buffer.from([0x0e, 0x08, 0x02, 0x24])],
      ['descriptor only', Buffer.from([0x8c, 0x05])],
      ['not a VP9 frame', Buffer.from([0x0c, 0x00, 0x11, 0x22])],
    ];
    for (const [name, bad] of cases) {
      const d = new Vp9Depacketizer();
      run(d, layerPackets(KEY, 0, {}, { inter: false }));
      const out = run(d, [pkt(bad, 3000, true)]);
      assert.deepEqual(out.map((o) => o.kind), ['dropped'], name);
    }
    // B while a layer frame is open; a picture ending without E; nine layer frames in one picture.
    for (const packets of [
      Array.from({ length: 9 }, (_, i) => pkt(Buffer.concat([desc({}, { begin: true, end: true, inter: true }), INTER]), 3000, i === 8)),
      [pkt(Buffer.concat([desc({}, { begin: true, end: false, inter: true }), INTER]), 3000, false), pkt(Buffer.concat([desc({}, { begin: true, end: true, inter: true }), INTER]), 3000, true)],
      [pkt(Buffer.concat([desc({}, { begin: true, end: false, inter: true }), INTER]), 3000, true)],
    ]) {
      const d = new Vp9Depacketizer();
      run(d, layerPackets(KEY, 0, {}, { inter: false }));
      assert.deepEqual(run(d, packets).map((o) => o.kind), ['dropped']);
    }
    let state = 5;
    const rand = () => ((state = (state * 1103515245 + 12345) & 0x7fffffff) >> 8) & 0xff;
    const d = new Vp9Depacketizer();
    let ts = 0;
    for (let i = 0; i < 3000; i++) {
      d.processInput({ kind: 'packet', packet: pkt(Buffer.from(Array.from({ length: rand() % 24 }, rand)), ts, rand() % 3 === 0) });
      if (i % 4 === 0) ts += 3000;
    }
    assert.ok(d.toJSON().malformedPackets > 0);
  });

  test("Chromium's VP9 capture reassembles into every frame, which ffmpeg decodes without an error; a loss drops frames until the second keyframe", () => {
    const packets = loadRtpFixture('chromium-vp9-320x180.bin');
    const whole = frames(run(new Vp9Depacketizer(), packets));
    assert.equal(whole.length, new Set(packets.map((p) => p.timestamp)).size);
    const info = vp9FrameInfo(whole[0].data);
    assert.deepEqual([info.keyframe, info.width, info.height, info.profile, info.bitDepth], [true, 320, 180, 0, 8]);
    const secondKey = whole.findIndex((f, i) => i > 0 && f.keyframe);
    assert.ok(secondKey > 5);
    assert.deepEqual(decodeWithFfmpeg('vp9', whole.map((f) => f.data)), { frames: whole.length, width: 320, height: 180, errors: '' });

    const lost = whole.findIndex((f, i) => i >= 5 && packets.filter((p) => p.timestamp === f.timestamp).length > 1);
    const lossAt = packets.findIndex((p) => p.timestamp === whole[lost].timestamp) + 1;
    const d = new Vp9Depacketizer();
    const out: DepacketizerOutput[] = [];
    packets.forEach((packet, i) => out.push(...d.processInput(i === lossAt ? { kind: 'lost', count: 1 } : { kind: 'packet', packet })));
    const sent = frames(out);
    assert.deepEqual(sent.map((f) => f.timestamp), [...whole.slice(0, lost), ...whole.slice(secondKey)].map((f) => f.timestamp));
    assert.equal(out.filter((o) => o.kind === 'dropped').length, secondKey - lost);
    assert.deepEqual(decodeWithFfmpeg('vp9', sent.map((f) => f.data)), { frames: sent.length, width: 320, height: 180, errors: '' });
  });

  test("Chromium's two-spatial-layer VP9 (L2T1) comes out as one superframe per picture that ffmpeg decodes without an error", () => {
    const packets = loadRtpFixture('chromium-vp9-svc-640x360.bin');
    const out = frames(run(new Vp9Depacketizer(), packets));
    assert.equal(out.length, new Set(packets.map((p) => p.timestamp)).size);
    assert.ok(out.every((f) => vp9SuperframeFrames(f.data).length === 2), 'each picture holds its two layer frames');
    assert.equal(out.filter((f) => f.keyframe).length, 2);
    const key = vp9PictureInfo(out[0].data);
    assert.deepEqual([key.keyframe, key.width, key.height], [true, 640, 360]);
    const decoded = decodeWithFfmpeg('vp9', out.map((f) => f.data), { width: 640, height: 360 });
    assert.equal(decoded.errors, '');
    assert.ok(decoded.frames >= out.length);
  });

  test("ffmpeg's own VP9 packetizer: the frames that come out are the encoder's frames, byte for byte", async () => {
    const { packets, frames: encoded } = await encodeToRtpAndIvf('vp9', { frames: 20, gop: 10, packetSize: 400 });
    assert.ok(packets.length > encoded.length, 'frames span several packets');
    const out = frames(run(new Vp9Depacketizer(), packets));
    assert.equal(out.length, encoded.length);
    out.forEach((f, i) => assert.ok(f.data.equals(encoded[i]), `frame ${i} differs from the encoder's`));
    assert.deepEqual(out.flatMap((f, i) => (f.keyframe ? [i] : [])), [0, 10]);
  });
});
