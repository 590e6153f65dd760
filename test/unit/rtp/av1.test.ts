import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Av1Depacketizer } from '../../../src-relay/rtp/av1.js';
import type { DepacketizerOutput, VideoRtpPacket } from '../../../src-relay/rtp/frame-assembler.js';
import { FRAME_LIMITS } from '../../../src-relay/rtp/frame-assembler.js';
import { av1IsKeyframe, ObuType, splitObus, writeLeb128 } from '../../../src-relay/codec/av1.js';
import { ReorderBuffer } from '../../../src-relay/rtp/reorder.js';
import { decodeWithFfmpeg, loadRtpFixture } from '../../helpers/rtp-fixture.js';
import { packetizeAv1 } from '../../helpers/av1-packetizer.js';
import { spawnSync } from 'node:child_process';

type Frame = Extract<DepacketizerOutput, { kind: 'frame' }>;
type Dropped = Extract<DepacketizerOutput, { kind: 'dropped' }>;

function run(d: Av1Depacketizer, packets: VideoRtpPacket[]): DepacketizerOutput[] {
  return packets.flatMap((packet) => d.processInput({ kind: 'packet', packet }));
}
const frames = (out: DepacketizerOutput[]) => out.filter((o): o is Frame => o.kind === 'frame');

let seq = 100;
function pkt(payload: Buffer, timestamp: number, marker: boolean): VideoRtpPacket {
  return { sequenceNumber: seq++ & 0xffff, timestamp, marker, payload };
}

/** An OBU as RTP carries it: header without size field (obu_has_size_field 0), then the payload. */
const obu = (type: number, payload: Buffer) => Buffer.concat([Buffer.from([type << 3]), payload]);
/** The same OBU in the low-overhead format, as the depacketizer must emit it. */
const sized = (type: number, payload: Buffer) => Buffer.concat([Buffer.from([(type << 3) | 2]), writeLeb128(payload.length), payload]);

/** A payload: aggregation header, then elements; W = 0 (every element with a length) unless `w` is given. */
function payload(flags: { z?: boolean; y?: boolean; n?: boolean; w?: number }, ...elements: Buffer[]): Buffer {
  const w = flags.w ?? 0;
  const header = (flags.z ? 0x80 : 0) | (flags.y ? 0x40 : 0) | (w << 4) | (flags.n ? 0x08 : 0);
  const parts = elements.flatMap((e, i) => (w !== 0 && i === w - 1 ? [e] : [writeLeb128(e.length), e]));
  return Buffer.concat([Buffer.from([header]), ...parts]);
}

const FRAME = Buffer.from([0x10, ...Array.from({ length: 60 }, (_, i) => i)]); // frame_type 0 after show_existing_frame 0
const INTER = Buffer.from([0x30, 9, 9, 9]); // show_existing_frame 0, frame_type 1 (INTER_FRAME)
const SEQ = Buffer.from('0000000004 3cfecc01a008'.replace(/ /g, ''), 'hex'); // Chromium's 320x180 sequence header payload

/** A key temporal unit sent with N = 1: [TD], sequence header, then a frame OBU in 3 fragments. */
function keyTu(ts: number): VideoRtpPacket[] {
  const frameObu = obu(ObuType.frame, FRAME);
  return [
    pkt(payload({ n: true, y: true }, obu(ObuType.temporalDelimiter, Buffer.alloc(0)), obu(ObuType.sequenceHeader, SEQ), frameObu.subarray(0, 20)), ts, false),
    pkt(payload({ z: true, y: true, w: 1 }, frameObu.subarray(20, 40)), ts, false),
    pkt(payload({ z: true, w: 1 }, frameObu.subarray(40)), ts, true),
  ];
}

describe('AV1 RTP depacketizer (AOM RTP payload format v1.0)', () => {
  test('fragments across packets join; OBUs get their size field; the temporal delimiter is dropped', () => {
    const out = frames(run(new Av1Depacketizer(), keyTu(3000)));
    assert.equal(out.length, 1);
    assert.equal(out[0].keyframe, true);
    assert.deepEqual(out[0].data, Buffer.concat([sized(ObuType.sequenceHeader, SEQ), sized(ObuType.frame, FRAME)]));
  });

  test('W = 1..3 elements, an element that already has its size field, and tile-list/padding OBUs dropped', () => {
    const d = new Av1Depacketizer();
    run(d, keyTu(0));
    const withSize = sized(ObuType.frame, INTER);
    const out = frames(
      run(d, [
        pkt(payload({ w: 3 }, obu(ObuType.metadata, Buffer.from([1, 2])), obu(ObuType.tileList, Buffer.from([7])), withSize), 3000, false),
        pkt(payload({ w: 2 }, obu(ObuType.padding, Buffer.from([0, 0])), obu(ObuType.tileGroup, Buffer.from([5, 6]))), 3000, true),
      ]),
    );
    assert.equal(out.length, 1);
    assert.equal(out[0].keyframe, false);
    assert.deepEqual(out[0].data, Buffer.concat([sized(ObuType.metadata, Buffer.from([1, 2])), withSize, sized(ObuType.tileGroup, Buffer.from([5, 6]))]));
  });

  test('a key frame with a sequence header is a keyframe even without the N bit; an inter frame is not', () => {
    const d = new Av1Depacketizer();
    const out = run(d, [
      pkt(payload({}, obu(ObuType.sequenceHeader, SEQ), obu(ObuType.frame, FRAME)), 0, true),
      pkt(payload({}, obu(ObuType.frame, INTER)), 3000, true),
    ]);
    assert.deepEqual(frames(out).map((f) => f.keyframe), [true, false]);
  });

  test('frames before the first keyframe are dropped, asking for one once', () => {
    const d = new Av1Depacketizer();
    const out = run(d, [pkt(payload({}, obu(ObuType.frame, INTER)), 0, true), pkt(payload({}, obu(ObuType.frame, INTER)), 3000, true), ...keyTu(6000)]);
    assert.deepEqual(out.map((o) => o.kind), ['dropped', 'dropped', 'frame']);
    assert.deepEqual(out.map((o) => o.kind === 'dropped' && o.requestKeyframe), [true, false, false]);
  });

  test('a lost middle fragment drops the temporal unit and what follows until the next keyframe', () => {
    const d = new Av1Depacketizer();
    run(d, keyTu(0));
    const tu = keyTu(3000);
    const out: DepacketizerOutput[] = [];
    out.push(...d.processInput({ kind: 'packet', packet: tu[0] }));
    out.push(...d.processInput({ kind: 'lost', count: 1 }));
    out.push(...d.processInput({ kind: 'packet', packet: tu[2] }));
    out.push(...run(d, [pkt(payload({}, obu(ObuType.frame, INTER)), 6000, true), ...keyTu(9000)]));
    assert.deepEqual(out.map((o) => o.kind), ['dropped', 'dropped', 'frame']);
    assert.equal((out[0] as Dropped).requestKeyframe, true);
    assert.match((out[0] as Dropped).reason, /lost/);
    assert.equal(d.toJSON().droppedFrames, 2);
  });

  test('malformed payloads are counted, never forwarded, never throw', () => {
    const cases: [string, Buffer][] = [
      ['one byte', Buffer.from([0x00])],
      ['truncated leb128 length', Buffer.from([0x00, 0x80, 0x80])],
      ['leb128 longer than 8 bytes', Buffer.from([0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x30])],
      ['element longer than the payload', Buffer.from([0x00, 0x7f, 0x30, 1, 2])],
      ['huge element length', Buffer.concat([Buffer.from([0x00]), writeLeb128(0xfffffff0), Buffer.from([0x30, 1])])],
      ['element of length 0', Buffer.from([0x00, 0x00])],
      ['fragment without its start (Z = 1)', payload({ z: true, w: 1 }, Buffer.from([1, 2, 3]))],
      ['W = 3 with one element', Buffer.from([0x30, 0x30, 1, 2])],
      ['forbidden bit in the OBU header', payload({ w: 1 }, Buffer.from([0xb0, 1]))],
      ['obu_size past its element', payload({ w: 1 }, Buffer.from([0x32, 0x09, 1]))],
    ];
    for (const [name, bad] of cases) {
      const d = new Av1Depacketizer();
      run(d, keyTu(0));
      const out = run(d, [pkt(bad, 3000, true)]);
      assert.deepEqual(out.map((o) => o.kind), ['dropped'], name);
      assert.equal(d.toJSON().malformedPackets, 1, name);
    }
    // A fragment left open when a new OBU starts (Z = 0), or at the marker.
    for (const tail of [payload({}, obu(ObuType.frame, INTER)), payload({ z: true, y: true, w: 1 }, Buffer.from([1]))]) {
      const d = new Av1Depacketizer();
      run(d, keyTu(0));
      const out = run(d, [pkt(payload({ y: true, w: 1 }, obu(ObuType.frame, INTER)), 3000, false), pkt(tail, 3000, true)]);
      assert.deepEqual(out.map((o) => o.kind), ['dropped']);
    }
    // Random bytes.
    let state = 11;
    const rand = () => ((state = (state * 1103515245 + 12345) & 0x7fffffff) >> 8) & 0xff;
    const d = new Av1Depacketizer();
    let ts = 0;
    for (let i = 0; i < 3000; i++) {
      d.processInput({ kind: 'packet', packet: pkt(Buffer.from(Array.from({ length: rand() % 48 }, rand)), ts, rand() % 3 === 0) });
      if (i % 4 === 0) ts += 3000;
    }
    assert.ok(d.toJSON().malformedPackets > 100);
  });

  test('an OBU fragmented without end stops growing at the frame limit', () => {
    const d = new Av1Depacketizer();
    run(d, keyTu(0));
    const piece = Buffer.alloc(1200, 0x55);
    const out: DepacketizerOutput[] = [];
    out.push(...run(d, [pkt(payload({ y: true, w: 1 }, Buffer.concat([Buffer.from([0x30]), piece])), 3000, false)]));
    const count = Math.ceil(FRAME_LIMITS.maxFrameBytes / piece.length) + 10;
    for (let i = 0; i < count; i++) out.push(...run(d, [pkt(payload({ z: true, y: true, w: 1 }, piece), 3000, false)]));
    out.push(...run(d, [pkt(payload({ z: true, w: 1 }, piece), 3000, true)]));
    assert.deepEqual(out.map((o) => o.kind), ['dropped']);
    assert.match((out[0] as Dropped).reason, /exceeds/);
  });

  test("Chromium's AV1 capture reassembles into every temporal unit, which ffmpeg decodes without an error", () => {
    const packets = loadRtpFixture('chromium-av1-320x180.bin');
    const out = frames(run(new Av1Depacketizer(), packets));
    const timestamps = new Set(packets.map((p) => p.timestamp));
    assert.equal(out.length, timestamps.size);
    assert.deepEqual(out.flatMap((f, i) => (f.keyframe ? [i] : [])).length, 2, 'the capture starts with a keyframe and has a second (PLI)');
    assert.equal(out[0].keyframe, true);
    for (const f of out) {
      const types = splitObus(f.data).map((o) => o.type); // throws unless every OBU has a valid size field
      assert.ok(!types.includes(ObuType.temporalDelimiter));
      assert.equal(types.includes(ObuType.sequenceHeader), f.keyframe);
    }
    assert.deepEqual(decodeWithFfmpeg('av1', out.map((f) => f.data)), { frames: out.length, width: 320, height: 180, errors: '' });

    // Through the reorder buffer, shuffled: the same frames.
    const shuffled = packets.slice();
    for (let i = 1; i + 2 < shuffled.length; i += 4) [shuffled[i], shuffled[i + 2]] = [shuffled[i + 2], shuffled[i]];
    const reorder = new ReorderBuffer<VideoRtpPacket>();
    const d = new Av1Depacketizer();
    const again: DepacketizerOutput[] = [];
    for (const packet of shuffled) for (const released of reorder.processInput({ packet, now: 0 })) again.push(...d.processInput(released));
    assert.deepEqual(frames(again), out);
  });

  test('a packet lost in the capture drops frames until the second keyframe; what goes out still decodes cleanly', () => {
    const packets = loadRtpFixture('chromium-av1-320x180.bin');
    const whole = frames(run(new Av1Depacketizer(), packets));
    const secondKey = whole.findIndex((f, i) => i > 0 && f.keyframe);
    // The first packet of a temporal unit of two or more packets, after the fifth.
    const lost = whole.findIndex((f, i) => i >= 5 && packets.filter((p) => p.timestamp === f.timestamp).length > 1);
    assert.ok(lost > 0 && lost < secondKey);
    const lossAt = packets.findIndex((p) => p.timestamp === whole[lost].timestamp);
    const d = new Av1Depacketizer();
    const out: DepacketizerOutput[] = [];
    packets.forEach((packet, i) => {
      if (i === lossAt) out.push(...d.processInput({ kind: 'lost', count: 1 }));
      else out.push(...d.processInput({ kind: 'packet', packet }));
    });
    const sent = frames(out);
    assert.deepEqual(sent.map((f) => f.timestamp), [...whole.slice(0, lost), ...whole.slice(secondKey)].map((f) => f.timestamp));
    const drops = out.filter((o): o is Dropped => o.kind === 'dropped');
    assert.equal(drops.length, secondKey - lost);
    assert.equal(drops[0].requestKeyframe, true);
    assert.deepEqual(decodeWithFfmpeg('av1', sent.map((f) => f.data)), { frames: sent.length, width: 320, height: 180, errors: '' });
  });

  test("libaom's temporal units, packetized from the spec with fragments and aggregation, come out byte for byte", () => {
    const encode = spawnSync(
      'ffmpeg',
      ['-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=30', '-frames:v', '12', '-c:v', 'libaom-av1', '-cpu-used', '8', '-g', '6', '-f', 'obu', 'pipe:1'],
      { timeout: 60_000 },
    );
    assert.equal(encode.status, 0, String(encode.stderr));
    // Temporal units of the encoder's stream, without their temporal delimiters.
    const units: Buffer[][] = [];
    for (const o of splitObus(encode.stdout)) {
      if (o.type === ObuType.temporalDelimiter) units.push([]);
      else units.at(-1)!.push(o.obu);
    }
    const encoded = units.map((u) => Buffer.concat(u));
    assert.equal(encoded.length, 12);
    for (const maxPayload of [120, 1200]) {
      let sequence = 0;
      const packets = encoded.flatMap((tu, i) => {
        const out = packetizeAv1(tu, { timestamp: i * 3000, firstSequence: sequence, keyframe: av1IsKeyframe(tu), maxPayload });
        sequence += out.length;
        return out;
      });
      const out = frames(run(new Av1Depacketizer(), packets));
      assert.equal(out.length, encoded.length, `max payload ${maxPayload}`);
      out.forEach((f, i) => assert.ok(f.data.equals(encoded[i]), `temporal unit ${i} differs (max payload ${maxPayload})`));
      assert.deepEqual(out.flatMap((f, i) => (f.keyframe ? [i] : [])), [0, 6]);
    }
  });
});
