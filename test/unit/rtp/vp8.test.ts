import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Vp8Depacketizer } from '../../../src-relay/rtp/vp8.js';
import { FRAME_LIMITS, type DepacketizerOutput, type VideoRtpPacket } from '../../../src-relay/rtp/frame-assembler.js';
import { vp8KeyframeInfo } from '../../../src-relay/codec/vp8.js';
import { decodeWithFfmpeg, loadRtpFixture } from '../../helpers/rtp-fixture.js';
import { encodeToRtpAndIvf } from '../../helpers/ffmpeg-rtp.js';

type Frame = Extract<DepacketizerOutput, { kind: 'frame' }>;
type Dropped = Extract<DepacketizerOutput, { kind: 'dropped' }>;

function run(d: Vp8Depacketizer, packets: VideoRtpPacket[]): DepacketizerOutput[] {
  return packets.flatMap((packet) => d.processInput({ kind: 'packet', packet }));
}
const frames = (out: DepacketizerOutput[]) => out.filter((o): o is Frame => o.kind === 'frame');

let seq = 500;
const pkt = (payload: Buffer, timestamp: number, marker: boolean): VideoRtpPacket => ({ sequenceNumber: seq++ & 0xffff, timestamp, marker, payload });

/** A key frame: frame tag with key_frame 0, start code, 64x48. */
const KEY = Buffer.from([0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 64, 0, 48, 0, ...Array(30).fill(7)]);
const INTER = Buffer.from([0x51, 0x01, 0x00, 1, 2, 3, 4]);

/** Descriptor bytes: S/PID first, optional extension flags with their fields. */
function desc(start: boolean, ext?: { pictureId?: number; tl0?: number; tidKey?: number }): Buffer {
  if (!ext) return Buffer.from([start ? 0x10 : 0x00]);
  const bytes = [start ? 0x90 : 0x80, 0];
  if (ext.pictureId !== undefined) {
    bytes[1] |= 0x80;
    bytes.push(...(ext.pictureId > 127 ? [0x80 | (ext.pictureId >> 8), ext.pictureId & 0xff] : [ext.pictureId]));
  }
  if (ext.tl0 !== undefined) (bytes[1] |= 0x40), bytes.push(ext.tl0);
  if (ext.tidKey !== undefined) (bytes[1] |= 0x30), bytes.push(ext.tidKey);
  return Buffer.from(bytes);
}

function framePackets(frame: Buffer, ts: number, ext?: Parameters<typeof desc>[1], size = 12): VideoRtpPacket[] {
  const out: VideoRtpPacket[] = [];
  for (let at = 0; at < frame.length; at += size) {
    out.push(pkt(Buffer.concat([desc(at === 0, ext), frame.subarray(at, at + size)]), ts, at + size >= frame.length));
  }
  return out;
}

describe('VP8 RTP depacketizer (RFC 7741)', () => {
  test('every descriptor form (no extension, 7/15-bit PictureID, TL0PICIDX, TID/KEYIDX) gives back the frame', () => {
    const exts = [undefined, { pictureId: 5 }, { pictureId: 0x1234 }, { pictureId: 300, tl0: 9, tidKey: 0x40 }, { tl0: 1 }, { tidKey: 0x20 }];
    for (const ext of exts) {
      const d = new Vp8Depacketizer();
      const out = frames(run(d, [...framePackets(KEY, 0, ext), ...framePackets(INTER, 3000, ext)]));
      assert.deepEqual(out.map((f) => [f.keyframe, f.data]), [[true, KEY], [false, INTER]], JSON.stringify(ext));
      assert.deepEqual(vp8KeyframeInfo(out[0].data), { width: 64, height: 48 });
      assert.equal(vp8KeyframeInfo(out[1].data), undefined);
    }
  });

  test('inter frames before the first key frame are dropped, asking for a key frame once', () => {
    const d = new Vp8Depacketizer();
    const out = run(d, [...framePackets(INTER, 0), ...framePackets(INTER, 3000), ...framePackets(KEY, 6000)]);
    assert.deepEqual(out.map((o) => o.kind), ['dropped', 'dropped', 'frame']);
    assert.deepEqual(out.map((o) => o.kind === 'dropped' && o.requestKeyframe), [true, false, false]);
  });

  test('a frame whose first packet was lost, or a lost middle packet, is dropped until the next key frame', () => {
    for (const lose of [0, 1]) {
      const d = new Vp8Depacketizer();
      run(d, framePackets(KEY, 0));
      const big = Buffer.concat([INTER, Buffer.alloc(30, 3)]);
      const packets = framePackets(big, 3000);
      const out: DepacketizerOutput[] = [];
      packets.forEach((packet, i) => out.push(...d.processInput(i === lose ? { kind: 'lost', count: 1 } : { kind: 'packet', packet })));
      out.push(...run(d, [...framePackets(INTER, 6000), ...framePackets(KEY, 9000)]));
      assert.deepEqual(out.map((o) => o.kind), ['dropped', 'dropped', 'frame'], `lost packet ${lose}`);
      assert.equal((out[0] as Dropped).requestKeyframe, true);
    }
  });

  test('malformed descriptors are counted and never forwarded; random bytes never throw', () => {
    const cases: [string, Buffer][] = [
      ['extension byte missing', Buffer.from([0x90])],
      ['PictureID cut', Buffer.from([0x90, 0x80])],
      ['descriptor only', Buffer.from([0x90, 0x80, 0x85, 0x01])],
      ['key frame without its start code', Buffer.from([0x10, 0x50, 0x02, 0x00, 0x11, 0x22, 0x33, 1, 0, 1, 0])],
    ];
    for (const [name, bad] of cases) {
      const d = new Vp8Depacketizer();
      run(d, framePackets(KEY, 0));
      const out = run(d, [pkt(bad, 3000, true)]);
      assert.deepEqual(out.map((o) => o.kind), ['dropped'], name);
    }
    const twice = new Vp8Depacketizer();
    run(twice, framePackets(KEY, 0));
    assert.deepEqual(run(twice, [pkt(Buffer.concat([desc(true), INTER]), 3000, false), pkt(Buffer.concat([desc(true), INTER]), 3000, true)]).map((o) => o.kind), ['dropped']);
    assert.equal(twice.toJSON().malformedPackets, 1);

    let state = 3;
    const rand = () => ((state = (state * 1103515245 + 12345) & 0x7fffffff) >> 8) & 0xff;
    const d = new Vp8Depacketizer();
    let ts = 0;
    for (let i = 0; i < 3000; i++) {
      d.processInput({ kind: 'packet', packet: pkt(Buffer.from(Array.from({ length: rand() % 24 }, rand)), ts, rand() % 3 === 0) });
      if (i % 4 === 0) ts += 3000;
    }
    assert.ok(d.toJSON().malformedPackets > 0);
  });

  test('a frame of more packets than the limit is dropped, holding nothing meanwhile', () => {
    const d = new Vp8Depacketizer();
    run(d, framePackets(KEY, 0));
    const out = run(d, [pkt(Buffer.concat([desc(true), INTER]), 3000, false)]);
    for (let i = 0; i < FRAME_LIMITS.maxPacketsPerFrame; i++) out.push(...run(d, [pkt(Buffer.from([0x00, 0xaa]), 3000, false)]));
    out.push(...run(d, [pkt(Buffer.from([0x00, 0xaa]), 3000, true)]));
    assert.deepEqual(out.map((o) => o.kind), ['dropped']);
    assert.match((out[0] as Dropped).reason, /more than 16384 packets/);
  });

  test("Chromium's VP8 capture reassembles into every frame, which ffmpeg decodes without an error; a loss drops frames until the second key frame", () => {
    const packets = loadRtpFixture('chromium-vp8-320x180.bin');
    const whole = frames(run(new Vp8Depacketizer(), packets));
    assert.equal(whole.length, new Set(packets.map((p) => p.timestamp)).size);
    assert.deepEqual(vp8KeyframeInfo(whole[0].data), { width: 320, height: 180 });
    const secondKey = whole.findIndex((f, i) => i > 0 && f.keyframe);
    assert.ok(secondKey > 5);
    assert.deepEqual(decodeWithFfmpeg('vp8', whole.map((f) => f.data)), { frames: whole.length, width: 320, height: 180, errors: '' });

    const lost = whole.findIndex((f, i) => i >= 5 && packets.filter((p) => p.timestamp === f.timestamp).length > 1);
    const lossAt = packets.findIndex((p) => p.timestamp === whole[lost].timestamp) + 1; // a middle packet
    const d = new Vp8Depacketizer();
    const out: DepacketizerOutput[] = [];
    packets.forEach((packet, i) => out.push(...d.processInput(i === lossAt ? { kind: 'lost', count: 1 } : { kind: 'packet', packet })));
    const sent = frames(out);
    assert.deepEqual(sent.map((f) => f.timestamp), [...whole.slice(0, lost), ...whole.slice(secondKey)].map((f) => f.timestamp));
    assert.equal(out.filter((o) => o.kind === 'dropped').length, secondKey - lost);
    assert.deepEqual(decodeWithFfmpeg('vp8', sent.map((f) => f.data)), { frames: sent.length, width: 320, height: 180, errors: '' });
  });

  test("ffmpeg's own VP8 packetizer: the frames that come out are the encoder's frames, byte for byte", async () => {
    const { packets, frames: encoded } = await encodeToRtpAndIvf('vp8', { frames: 20, gop: 10, packetSize: 400 });
    assert.ok(packets.length > encoded.length, 'frames span several packets');
    const out = frames(run(new Vp8Depacketizer(), packets));
    assert.equal(out.length, encoded.length);
    out.forEach((f, i) => assert.ok(f.data.equals(encoded[i]), `frame ${i} differs from the encoder's`));
    assert.deepEqual(out.flatMap((f, i) => (f.keyframe ? [i] : [])), [0, 10]);
  });
});
