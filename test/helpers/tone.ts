// Test helpers: synthesised tones and a single-bin DFT (Goertzel-style projection) to find them again.

/** Interleaved 16-bit sine, the same on every channel. */
export function sine(freq: number, rate: number, frames: number, amplitude: number, channels = 1, startFrame = 0): Int16Array {
  const out = new Int16Array(frames * channels);
  for (let f = 0; f < frames; f++) {
    const v = Math.round(amplitude * Math.sin((2 * Math.PI * freq * (f + startFrame)) / rate));
    for (let c = 0; c < channels; c++) out[f * channels + c] = v;
  }
  return out;
}

/** One channel of interleaved samples. */
export function channelOf(samples: ArrayLike<number>, channels: number, channel: number): Float64Array {
  const out = new Float64Array(Math.floor(samples.length / channels));
  for (let f = 0; f < out.length; f++) out[f] = samples[f * channels + channel]!;
  return out;
}

/** Amplitude of the sinusoid at `freq` (Goertzel: the DFT bin at that exact frequency). */
export function toneAmplitude(x: ArrayLike<number>, rate: number, freq: number): number {
  const w = (2 * Math.PI * freq) / rate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let n = 0; n < x.length; n++) {
    const s0 = x[n]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(power, 0))) / x.length;
}

/** Energy left after removing the tone at `freq`, relative to the total, in dB (−∞ for a pure tone). */
export function residualDb(x: ArrayLike<number>, rate: number, freq: number): number {
  let total = 0;
  for (let n = 0; n < x.length; n++) total += x[n]! * x[n]!;
  const amp = toneAmplitude(x, rate, freq);
  const tone = (x.length * amp * amp) / 2;
  return 10 * Math.log10(Math.max(total - tone, 1e-12) / total);
}

export function rms(x: ArrayLike<number>): number {
  let sum = 0;
  for (let n = 0; n < x.length; n++) sum += x[n]! * x[n]!;
  return Math.sqrt(sum / Math.max(x.length, 1));
}

export function maxAbs(x: ArrayLike<number>): number {
  let max = 0;
  for (let n = 0; n < x.length; n++) max = Math.max(max, Math.abs(x[n]!));
  return max;
}
