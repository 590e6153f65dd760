// Opus decoded only while a consumer needs PCM (src-relay/webrtc/audio.ts): undecoded packets move the
// timeline exactly as decoded ones, and the first chunk after decoding resumes matches what an uninterrupted
// decoder gives (the decoder is reset and warmed up on the last packets it skipped).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type OpusScriptType from 'opusscript';
import { AudioDepacketizer } from '../../../src-relay/webrtc/audio.js';
import { OpusDecoder, opusPacketFrames } from '../../../src-relay/codec/audio/opus.js';
import type { PcmChunk } from '../../../src-relay/media.js';

const OpusScript = createRequire(import.meta.url)('opusscript') as typeof OpusScriptType;

/** 20 ms Opus packets of a mono signal with moving pitch and level (not a steady tone). */
function opusSignal(packets: number): Buffer[] {
  const frameSize = 960;
  const channels = 1;
  const encoder = new OpusScript(48000, channels, OpusScript.Application.AUDIO);
  const out: Buffer[] = [];
  let phase = 0;
  for (let p = 0; p < packets; p++) {
    const pcm = Buffer.alloc(frameSize * 2 * channels);
    for (let i = 0; i < frameSize; i++) {
      const t = (p * frameSize + i) / 48000;
      phase += (2 * Math.PI * (300 + 200 * Math.sin(2 * Math.PI * 1.3 * t))) / 48000;
      const v = Math.round((6000 + 4000 * Math.sin(2 * Math.PI * 3 * t)) * (Math.sin(phase) + 0.3 * Math.sin(3.1 * phase)));
      for (let c = 0; c < channels; c++) pcm.writeInt16LE(v, 2 * (i * channels + c));
    }
    out.push(encoder.encode(pcm, frameSize));
  }
  encoder.delete();
  return out;
}

function snrDb(reference: Int16Array, actual: Int16Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    signal += reference[i]! ** 2;
    noise += (reference[i]! - actual[i]!) ** 2;
  }
  return noise === 0 ? Infinity : 10 * Math.log10(signal / noise);
}

/** Feeds packets i (in order, `lost` left out) with `decode(i)` saying whether to decode; all chunks out. */
function run(packets: Buffer[], decode: (i: number) => boolean, lost: number[] = []): { chunks: Array<PcmChunk & { packet: number }>; d: AudioDepacketizer } {
  const d = new AudioDepacketizer('opus', 48000);
  const chunks: Array<PcmChunk & { packet: number }> = [];
  packets.forEach((payload, i) => {
    if (lost.includes(i)) return;
    for (const chunk of d.processInput({ sequenceNumber: i, timestamp: 5000 + i * 960, payload }, 1000 + i * 20, decode(i))) chunks.push({ ...chunk, packet: i });
  });
  return { chunks, d };
}

describe('Opus decoded on demand', () => {
  test('packets not decoded move the timeline as decoded ones do: the chunks after resuming start at the same times', () => {
    const packets = opusSignal(40);
    const always = run(packets, () => true);
    const onDemand = run(packets, (i) => i >= 25);
    assert.equal(onDemand.chunks.length, 15);
    const reference = always.chunks.filter((c) => c.packet >= 25);
    assert.deepEqual(onDemand.chunks.map((c) => c.time), reference.map((c) => c.time));
    assert.deepEqual(onDemand.chunks.map((c) => c.samples.length), reference.map((c) => c.samples.length));
    assert.equal(onDemand.d.toJSON().packets, 40);
    always.d.destroy();
    onDemand.d.destroy();
  });

  test('the first chunk after decoding resumes matches an uninterrupted decoder (warm-up), unlike a cold decoder', () => {
    const packets = opusSignal(60);
    const always = run(packets, () => true);
    const reference = always.chunks.find((c) => c.packet === 40)!.samples;
    const onDemand = run(packets, (i) => i >= 40);
    const first = onDemand.chunks[0]!;
    assert.equal(first.packet, 40);
    assert.equal(first.time, 1000 + 40 * 20);
    const warm = snrDb(reference, first.samples);
    // What a decoder that starts cold on packet 40 gives.
    const cold = new OpusDecoder();
    const coldSnr = snrDb(reference, cold.decode(packets[40]!));
    cold.destroy();
    assert.ok(warm > 50, `first chunk after warm-up: SNR ${warm.toFixed(1)} dB against the uninterrupted decode`);
    assert.ok(warm > coldSnr + 10, `warm-up ${warm.toFixed(1)} dB, cold start ${coldSnr.toFixed(1)} dB`);
    // And every later chunk as well.
    for (const chunk of onDemand.chunks.slice(1)) {
      const ref = always.chunks.find((c) => c.packet === chunk.packet)!.samples;
      assert.ok(snrDb(ref, chunk.samples) > 50, `packet ${chunk.packet}`);
    }
    always.d.destroy();
    onDemand.d.destroy();
  });

  test('decoding stopped and resumed again, and a loss while not decoding: no concealment counted, the timeline has no hole', () => {
    const packets = opusSignal(50);
    const decode = (i: number): boolean => i < 10 || (i >= 30 && i < 35) || i >= 45;
    const { chunks, d } = run(packets, decode, [20, 21]);
    assert.equal(d.toJSON().concealedMs, 0);
    assert.deepEqual(chunks.map((c) => c.packet), [...Array(10).keys(), 30, 31, 32, 33, 34, 45, 46, 47, 48, 49]);
    for (const c of chunks) assert.equal(c.time, 1000 + c.packet * 20, `packet ${c.packet}`);
    d.destroy();
  });

  test("a packet's duration is read from its TOC without decoding (RFC 6716 §3.1): 2.5 to 60 ms, codes 0–3", () => {
    // opusscript's encoder wrapper addresses its input at twice the allocation: only small mono frames are safe.
    for (const channels of [1] as const) {
      const encoder = new OpusScript(48000, channels, OpusScript.Application.AUDIO);
      const decoder = new OpusDecoder();
      for (const frameSize of [120, 240, 480, 960]) {
        const pcm = Buffer.alloc(frameSize * 2 * channels);
        for (let i = 0; i < pcm.length / 2; i++) pcm.writeInt16LE(Math.round(5000 * Math.sin(i / 7)), 2 * i);
        const packet = encoder.encode(pcm, frameSize);
        assert.equal(opusPacketFrames(packet), decoder.decode(packet).length / 2, `${frameSize} samples, ${channels} channel(s)`);
        assert.equal(opusPacketFrames(packet), frameSize);
      }
      decoder.destroy();
      encoder.delete();
    }
    assert.equal(opusPacketFrames(Buffer.alloc(0)), 0);
    assert.equal(opusPacketFrames(Buffer.from([(31 << 3) | 3])), 0, 'code 3 without its count byte');
    assert.equal(opusPacketFrames(Buffer.from([(31 << 3) | 3, 4])), 4 * 960, 'code 3, 4 CELT frames of 20 ms');
    assert.equal(opusPacketFrames(Buffer.from([(3 << 3) | 0])), 2880, 'SILK NB 60 ms');
    assert.equal(opusPacketFrames(Buffer.from([(2 << 3) | 1])), 2 * 1920, 'code 1: two SILK frames of 40 ms');
    assert.equal(opusPacketFrames(Buffer.from([(15 << 3) | 4 | 2])), 2 * 960, 'code 2, stereo: two hybrid FB frames of 20 ms');
  });
});
