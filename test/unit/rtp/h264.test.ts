import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { loadRtpFixture } from '../../helpers/rtp-fixture.js';
import { H264Depacketizer, type H264Output, type H264RtpPacket } from '../../../src-relay/rtp/h264.js';
import { ReorderBuffer } from '../../../src-relay/rtp/reorder.js';
import { h264Params } from '../../../src-relay/codec/h264.js';

const SPS = Buffer.from('6742c01f8c8d40', 'hex');
const PPS = Buffer.from('68ce3c80', 'hex');
const IDR = Buffer.from([0x65, ...Array.from({ length: 40 }, (_, i) => i)]);
const P = (n: number) => Buffer.from([0x41, n, 2, 3, 4, 5]);

let seq = 1000;
function pkt(payload: Buffer, timestamp: number, marker: boolean): H264RtpPacket {
  return { sequenceNumber: seq++ & 0xffff, timestamp, marker, payload };
}

function stapA(...nalus: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0x78])]; // F=0 NRI=3 type=24
  for (const n of nalus) {
    const size = Buffer.alloc(2);
    size.writeUInt16BE(n.length);
    parts.push(size, n);
  }
  return Buffer.concat(parts);
}

/** Splits a NAL unit into FU-A payloads of at most `size` fragment bytes (RFC 6184 §5.8). */
function fuA(nalu: Buffer, size: number): Buffer[] {
  const indicator = (nalu[0] & 0xe0) | 28;
  const type = nalu[0] & 0x1f;
  const body = nalu.subarray(1);
  const out: Buffer[] = [];
  for (let at = 0; at < body.length; at += size) {
    const start = at === 0 ? 0x80 : 0;
    const end = at + size >= body.length ? 0x40 : 0;
    out.push(Buffer.concat([Buffer.from([indicator, start | end | type]), body.subarray(at, at + size)]));
  }
  return out;
}

/** An IDR picture: STAP-A(SPS, PPS) then the IDR in FU-A fragments, marker on the last. */
function keyframePackets(ts: number): H264RtpPacket[] {
  const fus = fuA(IDR, 16);
  return [pkt(stapA(SPS, PPS), ts, false), ...fus.map((p, i) => pkt(p, ts, i === fus.length - 1))];
}

function run(d: H264Depacketizer, packets: H264RtpPacket[]): H264Output[] {
  return packets.flatMap((packet) => d.processInput({ kind: 'packet', packet }));
}

function frames(outputs: H264Output[]) {
  return outputs.filter((o): o is Extract<H264Output, { kind: 'frame' }> => o.kind === 'frame');
}

describe('H.264 RTP depacketizer (RFC 6184)', () => {
  test('STAP-A + FU-A reassemble an IDR access unit with its parameter sets', () => {
    const d = new H264Depacketizer();
    const out = frames(run(d, keyframePackets(9000)));
    assert.equal(out.length, 1);
    assert.equal(out[0].keyframe, true);
    assert.equal(out[0].timestamp, 9000);
    assert.deepEqual(out[0].nalus, [SPS, PPS, IDR]);
  });

  test('single NAL unit packets form a picture; a timestamp change ends a picture without marker', () => {
    const d = new H264Depacketizer();
    run(d, keyframePackets(0));
    const out = frames(run(d, [pkt(P(1), 3000, false), pkt(P(2), 6000, true)]));
    assert.deepEqual(out.map((f) => [f.timestamp, f.keyframe, f.nalus.length]), [
      [3000, false, 1],
      [6000, false, 1],
    ]);
    assert.deepEqual(out[0].nalus[0], P(1));
  });

  test('pictures before the first IDR are dropped and a keyframe is requested once', () => {
    const d = new H264Depacketizer();
    const out = run(d, [pkt(P(1), 0, true), pkt(P(2), 3000, true), ...keyframePackets(6000)]);
    assert.deepEqual(out.map((o) => o.kind), ['dropped', 'dropped', 'frame']);
    assert.deepEqual(out.map((o) => o.kind === 'dropped' && o.requestKeyframe), [true, false, false]);
  });

  test('a lost FU-A fragment drops that picture and every non-IDR after it until the next IDR', () => {
    const d = new H264Depacketizer();
    run(d, keyframePackets(0));
    const big = Buffer.concat([Buffer.from([0x41]), Buffer.alloc(100, 7)]);
    const fus = fuA(big, 30).map((p, i, all) => pkt(p, 3000, i === all.length - 1));
    const outputs: H264Output[] = [];
    outputs.push(...d.processInput({ kind: 'packet', packet: fus[0] }));
    outputs.push(...d.processInput({ kind: 'lost', count: 1 }));
    for (const p of fus.slice(2)) outputs.push(...d.processInput({ kind: 'packet', packet: p }));
    outputs.push(...run(d, [pkt(P(3), 6000, true)]));
    outputs.push(...run(d, keyframePackets(9000)));
    assert.deepEqual(outputs.map((o) => o.kind), ['dropped', 'dropped', 'frame']);
    const first = outputs[0] as Extract<H264Output, { kind: 'dropped' }>;
    assert.equal(first.requestKeyframe, true);
    assert.match(first.reason, /lost/);
    assert.equal((outputs[2] as Extract<H264Output, { kind: 'frame' }>).keyframe, true);
    assert.equal(d.toJSON().droppedFrames, 2);
  });

  test('a loss between pictures damages the next picture, not the finished one', () => {
    const d = new H264Depacketizer();
    const out: H264Output[] = [...run(d, keyframePackets(0))];
    out.push(...d.processInput({ kind: 'lost', count: 2 }));
    out.push(...run(d, [pkt(P(1), 6000, true)]));
    assert.deepEqual(out.map((o) => o.kind), ['frame', 'dropped']);
  });

  test('an FU-A continuation without a start, or start and end both set, is never forwarded', () => {
    for (const bad of [Buffer.from([0x7c, 0x05, 1, 2, 3]), Buffer.from([0x7c, 0xc5, 1, 2, 3])]) {
      const d = new H264Depacketizer();
      run(d, keyframePackets(0));
      const out = run(d, [pkt(bad, 3000, true)]);
      assert.deepEqual(out.map((o) => o.kind), ['dropped']);
    }
  });

  test('an FU-A unfinished at the marker drops the picture', () => {
    const d = new H264Depacketizer();
    run(d, keyframePackets(0));
    const fus = fuA(Buffer.concat([Buffer.from([0x41]), Buffer.alloc(50, 1)]), 20);
    const out = run(d, [pkt(fus[0], 3000, false), pkt(fus[1], 3000, true)]);
    assert.equal(out.length, 1);
    assert.equal(out[0].kind, 'dropped');
  });

  test('garbage and truncated payloads never throw and never produce a frame', () => {
    const payloads = [
      Buffer.alloc(0),
      Buffer.from([0x80]), // forbidden_zero_bit
      Buffer.from([0x78]), // STAP-A with no unit
      Buffer.from([0x78, 0x00]), // STAP-A with half a size field
      Buffer.from([0x78, 0x00, 0x09, 0x67]), // STAP-A unit longer than the payload
      Buffer.from([0x78, 0x00, 0x00]), // STAP-A unit of size 0
      Buffer.from([0x7c]), // FU-A without FU header
      Buffer.from([0x7c, 0x85]), // FU-A without fragment
      Buffer.from([0x79, 1, 2]), // STAP-B: interleaved mode only
      Buffer.from([0x7a, 1, 2]), // MTAP16
      Buffer.from([0x7d, 1, 2]), // FU-B
    ];
    const d = new H264Depacketizer();
    run(d, keyframePackets(0));
    let ts = 3000;
    for (const payload of payloads) {
      const out = run(d, [pkt(payload, ts, true)]);
      assert.ok(out.every((o) => o.kind === 'dropped'), `payload ${payload.toString('hex')} gave ${JSON.stringify(out)}`);
      ts += 3000;
    }
    // Random bytes: never an exception.
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256);
    for (let i = 0; i < 2000; i++) {
      const payload = Buffer.from(Array.from({ length: rand() % 40 }, rand));
      d.processInput({ kind: 'packet', packet: pkt(payload, ts, rand() % 3 === 0) });
      if (i % 5 === 0) ts += 3000;
    }
    assert.ok(d.toJSON().malformedPackets >= payloads.length - 1);
  });

  test('reserved types 0, 30, 31 are ignored (§5.4) without damaging the picture', () => {
    const d = new H264Depacketizer();
    run(d, keyframePackets(0));
    const out = frames(run(d, [pkt(Buffer.from([0x1e, 1]), 3000, false), pkt(P(1), 3000, true)]));
    assert.equal(out.length, 1);
    assert.deepEqual(out[0].nalus, [P(1)]);
  });

  test('a captured Chromium stream replays into 20 whole pictures, the first an IDR with a 320x180 SPS', () => {
    const packets = loadFixture();
    assert.equal(packets.length, 38);

    const run1 = frames(run(new H264Depacketizer(), packets));
    assert.equal(run1.length, 20);
    assert.equal(run1[0].keyframe, true);
    assert.ok(run1.slice(1).every((f) => !f.keyframe));
    const sps = run1[0].nalus.find((n) => (n[0] & 0x1f) === 7)!;
    const pps = run1[0].nalus.find((n) => (n[0] & 0x1f) === 8)!;
    const params = h264Params(sps, pps);
    assert.deepEqual([params.width, params.height], [320, 180]);

    // The same packets shuffled within a small window and duplicated come out identical through the
    // reorder buffer (the first packet stays first: it fixes where the sequence starts).
    const shuffled = packets.slice();
    for (let i = 1; i + 2 < shuffled.length; i += 4) [shuffled[i], shuffled[i + 2]] = [shuffled[i + 2], shuffled[i]];
    shuffled.splice(10, 0, shuffled[5]);
    const reorder = new ReorderBuffer<H264RtpPacket>();
    const d = new H264Depacketizer();
    const out: H264Output[] = [];
    for (const packet of shuffled) {
      for (const released of reorder.processInput({ packet, now: 0 })) out.push(...d.processInput(released));
    }
    assert.deepEqual(frames(out), run1);
    assert.equal(reorder.toJSON().duplicates + reorder.toJSON().late, 1);
  });

  test('what it forwards decodes with ffmpeg without an error, with or without loss', () => {
    const packets = loadFixture();
    const whole = frames(run(new H264Depacketizer(), packets));
    assert.deepEqual(decodeWithFfmpeg(whole), { frames: 20, errors: '' });

    // Lose the first packet (an FU-A start) of a multi-packet P picture: only the pictures before it
    // may go out.
    const pictureEnds = packets.flatMap((p, i) => (p.marker ? [i] : []));
    const lossAt = packets.findIndex((p, i) => i > pictureEnds[3] && !p.marker && packets[i + 1]?.timestamp === p.timestamp);
    assert.ok(lossAt > 0, 'the fixture has a picture of two or more packets after the fourth');
    const d = new H264Depacketizer();
    const reorder = new ReorderBuffer<H264RtpPacket>({ maxPackets: 2 });
    const out: H264Output[] = [];
    packets.forEach((packet, i) => {
      if (i === lossAt) return;
      for (const released of reorder.processInput({ packet, now: 0 })) out.push(...d.processInput(released));
    });
    const kept = frames(out);
    assert.ok(kept.length < 20 && kept.length >= 4, `pictures up to the loss are kept (${kept.length})`);
    assert.ok(kept.every((f) => f.timestamp < packets[lossAt].timestamp));
    assert.ok(out.some((o) => o.kind === 'dropped' && o.requestKeyframe));
    assert.deepEqual(decodeWithFfmpeg(kept), { frames: kept.length, errors: '' });
  });
});

function loadFixture(): H264RtpPacket[] {
  return loadRtpFixture('chromium-h264-320x180.bin');
}

/** Decodes access units (as an Annex B stream) with Debian's ffmpeg; returns frames and error lines. */
function decodeWithFfmpeg(aus: { nalus: Buffer[] }[]): { frames: number; errors: string } {
  const startCode = Buffer.from([0, 0, 0, 1]);
  const annexB = Buffer.concat(aus.flatMap((au) => au.nalus.flatMap((n) => [startCode, n])));
  const result = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'h264', '-i', 'pipe:0', '-f', 'framemd5', 'pipe:1'], {
    input: annexB,
    timeout: 30_000,
  });
  assert.equal(result.status, 0, `ffmpeg failed: ${result.stderr}`);
  const frameLines = result.stdout.toString().split('\n').filter((l) => /^\s*0,/.test(l));
  return { frames: frameLines.length, errors: result.stderr.toString().trim() };
}
