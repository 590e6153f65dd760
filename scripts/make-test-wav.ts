// Generates assets/media/test.wav, the default sound shipped in the media folder (REST `sound_on` with
// soundFile "test.wav"): a 2.5 s three-note bell chime (A5, C#6, E6: an A major arpeggio around 1 kHz),
// 48 kHz 16-bit stereo, peak −6 dBFS, notes panned slightly apart. Deterministic: same bytes every run.
//   node --import tsx scripts/make-test-wav.ts [out.wav]

import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeWav } from '../src-relay/codec/audio/wav.js';

const RATE = 48000;
const SECONDS = 2.5;
const PEAK = 10 ** (-6 / 20); // −6 dBFS
const ATTACK_S = 0.004; // avoids a click at each strike
const FADE_OUT_S = 0.15;

/** A bell note: fundamental plus decaying partials (ratios of a struck metal bar, softened). */
const PARTIALS = [
  { ratio: 1, gain: 1, decay: 2.2 },
  { ratio: 2, gain: 0.35, decay: 3.5 },
  { ratio: 3, gain: 0.12, decay: 5 },
  { ratio: 4.2, gain: 0.05, decay: 7 },
] as const;

const NOTES = [
  { freq: 880.0, start: 0.0, pan: -0.3 },
  { freq: 1108.73, start: 0.3, pan: 0.0 },
  { freq: 1318.51, start: 0.6, pan: 0.3 },
] as const;

export function makeChime(): Float32Array {
  const frames = Math.round(RATE * SECONDS);
  const left = new Float64Array(frames);
  const right = new Float64Array(frames);
  for (const note of NOTES) {
    // Constant-power pan law.
    const angle = ((note.pan + 1) * Math.PI) / 4;
    const [gl, gr] = [Math.cos(angle), Math.sin(angle)];
    for (let f = Math.round(note.start * RATE); f < frames; f++) {
      const t = f / RATE - note.start;
      const attack = Math.min(1, t / ATTACK_S);
      let v = 0;
      for (const p of PARTIALS) v += p.gain * Math.exp(-p.decay * t) * Math.sin(2 * Math.PI * note.freq * p.ratio * t);
      left[f]! += v * attack * gl;
      right[f]! += v * attack * gr;
    }
  }
  let peak = 0;
  for (let f = 0; f < frames; f++) peak = Math.max(peak, Math.abs(left[f]!), Math.abs(right[f]!));
  const out = new Float32Array(frames * 2);
  const fadeFrames = Math.round(FADE_OUT_S * RATE);
  for (let f = 0; f < frames; f++) {
    const fade = Math.min(1, (frames - 1 - f) / fadeFrames);
    out[2 * f] = (left[f]! / peak) * PEAK * fade;
    out[2 * f + 1] = (right[f]! / peak) * PEAK * fade;
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'assets', 'media', 'test.wav');
  const wav = encodeWav(makeChime(), RATE, 2, 16);
  writeFileSync(out, wav);
  console.log(`wrote ${out}: ${wav.length} bytes, ${SECONDS} s, ${RATE} Hz 16-bit stereo`);
}
