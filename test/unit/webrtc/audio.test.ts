import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type OpusScriptType from 'opusscript';
import { AudioDepacketizer } from '../../../src-relay/webrtc/audio.js';
import { encodeUlaw } from '../../../src-relay/codec/audio/g711.js';
import type { PcmChunk } from '../../../src-relay/media.js';

const OpusScript = createRequire(import.meta.url)('opusscript') as typeof OpusScriptType;

/** 20 ms Opus packets of a 440 Hz mono tone, as Chromium sends (48 kHz, mono). */
function opusTone(packets: number): Buffer[] {
  const encoder = new OpusScript(48000, 1, OpusScript.Application.AUDIO);
  const out: Buffer[] = [];
  for (let p = 0; p < packets; p++) {
    const pcm = Buffer.alloc(960 * 2);
    for (let i = 0; i < 960; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * (p * 960 + i)) / 48000)), 2 * i);
    out.push(encoder.encode(pcm, 960));
  }
  encoder.delete();
  return out;
}

function assertContiguous(chunks: PcmChunk[]): void {
  for (let i = 1; i < chunks.length; i++) {
    const expected = chunks[i - 1].time + chunks[i - 1].samples.length / 2 / 48;
    assert.ok(Math.abs(chunks[i].time - expected) < 1e-6, `chunk ${i} at ${chunks[i].time}, expected ${expected}`);
  }
}

describe('audio RTP to 48 kHz stereo PCM', () => {
  test('Opus packets decode to contiguous 20 ms stereo chunks starting at the mapped time', () => {
    const d = new AudioDepacketizer('opus', 48000);
    const chunks = opusTone(10).flatMap((payload, i) => d.processInput({ sequenceNumber: i, timestamp: 1000 + i * 960, payload }, 500 + i * 20));
    assert.equal(chunks.length, 10);
    assert.equal(chunks[0].time, 500);
    assert.ok(chunks.every((c) => c.samples.length === 960 * 2));
    assertContiguous(chunks);
    const peak = Math.max(...chunks.slice(2).flatMap((c) => Array.from(c.samples, Math.abs)));
    assert.ok(peak > 4000, `the tone survives decoding (peak ${peak})`);
    d.destroy();
  });

  test('a lost Opus packet is concealed: the timeline has no hole', () => {
    const d = new AudioDepacketizer('opus', 48000);
    const packets = opusTone(6);
    const chunks: PcmChunk[] = [];
    for (const i of [0, 1, 2, 4, 5]) chunks.push(...d.processInput({ sequenceNumber: i, timestamp: i * 960, payload: packets[i] }, i * 20));
    assert.equal(chunks.length, 6);
    assertContiguous(chunks);
    assert.equal(chunks[3].time, 60);
    assert.equal(chunks[3].samples.length, 960 * 2);
    assert.equal(d.toJSON().concealedMs, 20);
    d.destroy();
  });

  test('a stall longer than 200 ms restarts the timeline at the mapped time; old packets are dropped', () => {
    const d = new AudioDepacketizer('opus', 48000);
    const packets = opusTone(3);
    d.processInput({ sequenceNumber: 0, timestamp: 0, payload: packets[0] }, 0);
    const after = d.processInput({ sequenceNumber: 1, timestamp: 48000 * 3, payload: packets[1] }, 3000);
    assert.deepEqual(after.map((c) => c.time), [3000]);
    assert.deepEqual(d.processInput({ sequenceNumber: 2, timestamp: 48000 * 3 - 960, payload: packets[2] }, 2980), []);
    assert.equal(d.toJSON().lateDropped, 1);
    assert.deepEqual(d.toJSON().stalls, 1);
    d.destroy();
  });

  test('a timestamp base that jumps far back (sender restart) continues the timeline instead of going silent', () => {
    const d = new AudioDepacketizer('opus', 48000);
    const packets = opusTone(4);
    const chunks = [
      ...d.processInput({ sequenceNumber: 0, timestamp: 1_000_000, payload: packets[0] }, 0),
      ...d.processInput({ sequenceNumber: 1, timestamp: 1_000_960, payload: packets[1] }, 20),
      ...d.processInput({ sequenceNumber: 2, timestamp: 5_000, payload: packets[2] }, 40),
      ...d.processInput({ sequenceNumber: 3, timestamp: 5_960, payload: packets[3] }, 60),
    ];
    assert.equal(chunks.length, 4);
    assertContiguous(chunks);
    assert.equal(d.toJSON().resyncs, 1);
    d.destroy();
  });

  test('a corrupt Opus payload never throws; the next packet shows the gap, which is concealed', () => {
    const d = new AudioDepacketizer('opus', 48000);
    const packets = opusTone(3);
    const chunks = [
      ...d.processInput({ sequenceNumber: 0, timestamp: 0, payload: packets[0] }, 0),
      ...d.processInput({ sequenceNumber: 1, timestamp: 960, payload: Buffer.alloc(5000, 0xff) }, 20),
      ...d.processInput({ sequenceNumber: 2, timestamp: 1920, payload: packets[2] }, 40),
    ];
    assert.equal(d.toJSON().decodeErrors, 1);
    assertContiguous(chunks);
    assert.equal(chunks[chunks.length - 1].time, 40);
    d.destroy();
  });

  test('PCMU at 8 kHz mono becomes 48 kHz stereo with contiguous times', () => {
    const d = new AudioDepacketizer('pcmu', 8000);
    const chunks: PcmChunk[] = [];
    for (let p = 0; p < 10; p++) {
      const pcm = new Int16Array(160);
      for (let i = 0; i < 160; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (p * 160 + i)) / 8000));
      chunks.push(...d.processInput({ sequenceNumber: p, timestamp: p * 160, payload: encodeUlaw(pcm) }, p * 20));
    }
    assertContiguous(chunks);
    const frames = chunks.reduce((n, c) => n + c.samples.length / 2, 0);
    assert.ok(frames > 9000 && frames <= 9600, `~200 ms at 48 kHz, got ${frames} frames`);
    const last = chunks[chunks.length - 1].samples;
    for (let i = 0; i < last.length; i += 2) assert.equal(last[i], last[i + 1], 'mono is copied to both sides');
    d.destroy();
  });
});
