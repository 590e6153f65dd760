import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { downmixToStereo, FloatResampler, Resampler } from '../../../src-relay/codec/audio/resample.js';
import { channelOf, residualDb, rms, sine, toneAmplitude } from '../../helpers/tone.js';

/** Resamples in uneven chunks (streaming), then flushes. */
function resampleStreaming(input: Int16Array, inRate: number, outRate: number, channels: number): Int16Array {
  const r = new Resampler(inRate, outRate, channels);
  const parts: Int16Array[] = [];
  const sizes = [1, 7, 480, 1023, 4096];
  let offset = 0;
  for (let i = 0; offset < input.length; i++) {
    const frames = sizes[i % sizes.length]!;
    const end = Math.min(input.length, offset + frames * channels);
    parts.push(r.process(input.subarray(offset, end)));
    offset = end;
  }
  parts.push(r.flush());
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The middle of a signal, away from the start-up and flush transients. */
function middle(x: Float64Array, rate: number): Float64Array {
  const skip = Math.round(rate * 0.05);
  return x.subarray(skip, x.length - skip);
}

describe('Resampler (windowed-sinc, any rate to any rate)', () => {
  for (const inRate of [11025, 44100, 96000]) {
    test(`a 1 kHz sine at ${inRate} Hz → 48 kHz keeps its frequency, length and level, with little else`, () => {
      const seconds = 1;
      const input = sine(1000, inRate, inRate * seconds, 16000, 2);
      const out = resampleStreaming(input, inRate, 48000, 2);
      assert.equal(out.length / 2, 48000 * seconds);
      for (const c of [0, 1]) {
        const x = middle(channelOf(out, 2, c), 48000);
        const at1k = toneAmplitude(x, 48000, 1000);
        assert.ok(Math.abs(at1k - 16000) < 16000 * 0.01, `1 kHz amplitude ${at1k.toFixed(0)}, expected ~16000`);
        for (const other of [500, 900, 1100, 2000, 3000, 10000]) {
          assert.ok(toneAmplitude(x, 48000, other) < 16000 * 1e-3, `energy at ${other} Hz`);
        }
        const residual = residualDb(x, 48000, 1000);
        assert.ok(residual < -60, `residual ${residual.toFixed(1)} dB, want < -60 dB`);
      }
    });
  }

  test('the output is on the input clock: sample k of 48 kHz is the input instant k/48000 s', () => {
    // A sine of phase 0 at t=0 stays phase 0: compare with a sine synthesised at 48 kHz directly.
    const out = resampleStreaming(sine(1000, 44100, 44100, 16000), 44100, 48000, 1);
    const direct = sine(1000, 48000, 48000, 16000);
    let maxErr = 0;
    for (let k = 2400; k < 45600; k++) maxErr = Math.max(maxErr, Math.abs(out[k]! - direct[k]!));
    assert.ok(maxErr < 40, `max deviation from the ideal 48 kHz sine: ${maxErr}`);
  });

  test('downsampling removes what the new rate cannot carry (no aliasing)', () => {
    // 30 kHz at 96 kHz would alias to 18 kHz at 48 kHz; 5 kHz at 48 kHz would alias to 3 kHz at 8 kHz.
    for (const [inRate, outRate, freq] of [
      [96000, 48000, 30000],
      [48000, 8000, 5000],
      [48000, 16000, 9000],
    ] as const) {
      const out = resampleStreaming(sine(freq, inRate, inRate, 16000), inRate, outRate, 1);
      const level = rms(middle(Float64Array.from(out), outRate));
      assert.ok(level < 16000 * 1e-3, `${freq} Hz ${inRate}→${outRate}: leftover rms ${level.toFixed(2)}`);
    }
  });

  test('48 kHz → 8 kHz keeps a 1 kHz tone (the G.711 path)', () => {
    const out = resampleStreaming(sine(1000, 48000, 48000, 16000), 48000, 8000, 1);
    assert.equal(out.length, 8000);
    const x = middle(Float64Array.from(out), 8000);
    assert.ok(Math.abs(toneAmplitude(x, 8000, 1000) - 16000) < 160);
    assert.ok(residualDb(x, 8000, 1000) < -60);
  });

  test('memory stays bounded on a long stream', () => {
    const r = new FloatResampler(44100, 48000, 1);
    const chunk = [new Float32Array(441)];
    let produced = 0;
    for (let i = 0; i < 2000; i++) produced += r.process(chunk)[0]!.length;
    produced += r.flush()[0]!.length;
    assert.equal(produced, 2000 * 480);
  });

  test('rejects rates and channel counts it cannot handle, naming the value', () => {
    assert.throws(() => new Resampler(0, 48000, 2), /inRate must be an integer 1000–768000 Hz, got 0/);
    assert.throws(() => new Resampler(48000, 44100.5, 2), /outRate .* got 44100.5/);
    assert.throws(() => new Resampler(48000, 8000, 9), /channels must be an integer 1–8, got 9/);
    assert.throws(() => new Resampler(48000, 8000, 2).process(new Int16Array(3)), /not a multiple of 2 channels/);
  });
});

describe('downmixToStereo', () => {
  test('mono goes to both sides, stereo is unchanged', () => {
    const m = Float32Array.from([0.5, -0.25]);
    assert.deepEqual(downmixToStereo([m]).map((c) => Array.from(c)), [[0.5, -0.25], [0.5, -0.25]]);
    const l = Float32Array.from([0.1]);
    const r = Float32Array.from([0.2]);
    assert.deepEqual(downmixToStereo([l, r]).map((c) => Array.from(c)), [[l[0]], [r[0]]]);
  });

  test('5.1 drops LFE, puts centre in the middle and cannot clip at full scale', () => {
    const ones = () => Float32Array.from([1]);
    const [left, right] = downmixToStereo([ones(), ones(), ones(), ones(), ones(), ones()]);
    assert.ok(Math.abs(left[0]! - 1) < 1e-6 && Math.abs(right[0]! - 1) < 1e-6);
    const lfeOnly = [0, 0, 0, 1, 0, 0].map((v) => Float32Array.from([v]));
    assert.deepEqual(downmixToStereo(lfeOnly).map((c) => c[0]), [0, 0]);
    const centreOnly = [0, 0, 1, 0, 0, 0].map((v) => Float32Array.from([v]));
    const [cl, cr] = downmixToStereo(centreOnly);
    assert.ok(cl[0]! > 0 && Math.abs(cl[0]! - cr[0]!) < 1e-9);
  });
});
