import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type OpusScriptType from 'opusscript';
import { OpusDecoder } from '../../../src-relay/codec/audio/opus.js';
import { channelOf, residualDb, sine, toneAmplitude } from '../../helpers/tone.js';

const require = createRequire(import.meta.url);
const OpusScript = require('opusscript') as typeof OpusScriptType;
const FRAME = 960; // 20 ms at 48 kHz, what Chromium sends

function encodeTone(freq: number, packets: number, channels: 1 | 2): Buffer[] {
  const encoder = new OpusScript(48000, channels, OpusScript.Application.AUDIO);
  try {
    const out: Buffer[] = [];
    for (let p = 0; p < packets; p++) {
      const pcm = sine(freq, 48000, FRAME, 12000, channels, p * FRAME);
      out.push(encoder.encode(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), FRAME));
    }
    return out;
  } finally {
    encoder.delete();
  }
}

describe('OpusDecoder', () => {
  for (const channels of [1, 2] as const) {
    test(`a 440 Hz ${channels === 1 ? 'mono (as Chromium sends)' : 'stereo'} Opus stream decodes to 960 stereo frames per 20 ms at 440 Hz`, () => {
      const decoder = new OpusDecoder();
      try {
        const pcm: number[] = [];
        for (const packet of encodeTone(440, 50, channels)) {
          const frame = decoder.decode(packet);
          assert.equal(frame.length, FRAME * 2);
          for (const v of frame) pcm.push(v);
        }
        for (const c of [0, 1]) {
          const x = channelOf(pcm, 2, c).subarray(FRAME * 5); // past the codec's start-up
          const amp = toneAmplitude(x, 48000, 440);
          assert.ok(amp > 9000 && amp < 15000, `440 Hz amplitude ${amp.toFixed(0)}`);
          assert.ok(toneAmplitude(x, 48000, 880) < amp / 100);
          assert.ok(residualDb(x, 48000, 440) < -20, `residual ${residualDb(x, 48000, 440).toFixed(1)} dB`);
        }
      } finally {
        decoder.destroy();
      }
    });
  }

  test('a lost packet is concealed with exactly the frames asked for, and decoding goes on', () => {
    const decoder = new OpusDecoder();
    try {
      const packets = encodeTone(440, 10, 1);
      for (const p of packets.slice(0, 5)) decoder.decode(p);
      assert.equal(decoder.decodeLost(FRAME).length, FRAME * 2);
      assert.equal(decoder.decodeLost(FRAME * 4).length, FRAME * 8); // longer than libopus's 60 ms per call
      const long = decoder.decodeLost(48000); // 1 s: concealment fades, then plain silence
      assert.equal(long.length, 96000);
      assert.ok(long.subarray(24000).every((v) => v === 0));
      assert.equal(decoder.decode(packets[6]!).length, FRAME * 2);
    } finally {
      decoder.destroy();
    }
  });

  test('eight decoders in one process, interleaved, each decode its own stream cleanly', () => {
    // One decoder per published stream share one libopus heap: a decoder writing outside its buffers
    // (as opusscript's own wrapper does) breaks the others' audio or aborts the module at the third.
    const streams = [220, 330, 440, 550, 660, 770, 880, 300].map((freq) => ({ freq, packets: encodeTone(freq, 30, 1), decoder: new OpusDecoder(), pcm: [] as number[] }));
    try {
      for (let p = 0; p < 30; p++) {
        for (const s of streams) for (const v of s.decoder.decode(s.packets[p]!)) s.pcm.push(v);
      }
      for (const s of streams) {
        const x = channelOf(s.pcm, 2, 0).subarray(FRAME * 5);
        const amp = toneAmplitude(x, 48000, s.freq);
        assert.ok(amp > 9000 && amp < 15000, `${s.freq} Hz amplitude ${amp.toFixed(0)}`);
        assert.ok(residualDb(x, 48000, s.freq) < -20, `${s.freq} Hz residual ${residualDb(x, 48000, s.freq).toFixed(1)} dB`);
      }
    } finally {
      for (const s of streams) s.decoder.destroy();
    }
  });

  test('bad input is an error naming the problem, not a crash', () => {
    const decoder = new OpusDecoder();
    assert.throws(() => decoder.decode(Buffer.alloc(0)), /empty Opus packet/);
    assert.throws(() => decoder.decode(Buffer.alloc(5000)), /5000 bytes exceeds 3825/);
    assert.throws(() => decoder.decodeLost(-1), /lost frames must be an integer 0–480000, got -1/);
    decoder.destroy();
    assert.throws(() => decoder.decode(Buffer.from([0xf8, 0xff, 0xfe])), /after destroy/);
  });
});
