// Measuring what a lossy audio codec did to a signal: the test signal (a 1 kHz tone, then speech-like noise),
// the delay between input and decoded output, the tone's frequency and level, the waveform SNR and a
// third-octave band-energy error. Used by the audio bench and the AAC quality test.
import { mulberry32 } from './prng.js';
import { residualDb, toneAmplitude } from './tone.js';

export const RATE = 48000;
export const TONE_HZ = 1000;
/** −12 dBFS: loud, with headroom. */
export const TONE_AMPLITUDE = 8192;

/** A deterministic stereo test signal of `seconds`: a 1 kHz tone for the first `toneSeconds`, then speech-like noise. */
export function testSignal(seconds: number, toneSeconds: number, seed = 1): Int16Array {
  const frames = Math.round(seconds * RATE);
  const toneEnd = Math.round(toneSeconds * RATE);
  const out = new Int16Array(frames * 2);
  for (let f = 0; f < toneEnd && f < frames; f++) {
    const v = Math.round(TONE_AMPLITUDE * Math.sin((2 * Math.PI * TONE_HZ * f) / RATE));
    out[2 * f] = out[2 * f + 1] = v;
  }
  const speech = speechLike(frames - toneEnd, seed);
  out.set(speech, toneEnd * 2);
  return out;
}

/**
 * Speech-like stereo noise: syllables of 80–300 ms separated by 40–350 ms gaps (and a longer pause now and
 * then), each a voiced buzz (a 90–240 Hz pulse train with a gliding pitch) mixed with breath noise, shaped by
 * two formant resonators that move from syllable to syllable. The right channel is the left one at 80 % with
 * a little independent noise, so the encoder's stereo coding has something to do.
 */
export function speechLike(frames: number, seed: number): Int16Array {
  const rand = mulberry32(seed);
  const out = new Int16Array(frames * 2);
  const f1 = new Resonator();
  const f2 = new Resonator();
  const f3 = new Resonator();
  let f = 0;
  let phase = 0;
  while (f < frames) {
    const syllable = Math.round((0.08 + 0.22 * rand()) * RATE);
    const gap = Math.round((rand() < 0.1 ? 0.4 + 0.4 * rand() : 0.04 + 0.31 * rand()) * RATE);
    const voiced = rand() < 0.8;
    const pitchStart = 90 + 150 * rand();
    const pitchEnd = pitchStart * (0.8 + 0.4 * rand());
    f1.tune(300 + 500 * rand(), 80);
    f2.tune(900 + 1600 * rand(), 120);
    f3.tune(2500 + 1000 * rand(), 200);
    const level = 0.4 + 0.6 * rand();
    for (let i = 0; i < syllable && f < frames; i++, f++) {
      const env = level * Math.sin((Math.PI * i) / syllable) ** 2;
      const pitch = pitchStart + ((pitchEnd - pitchStart) * i) / syllable;
      phase += pitch / RATE;
      let excitation = (rand() * 2 - 1) * (voiced ? 0.15 : 0.8);
      if (voiced && phase >= 1) {
        phase -= 1;
        excitation += 4;
      }
      const y = f1.step(excitation) + 0.6 * f2.step(excitation) + 0.3 * f3.step(excitation);
      const left = clamp16(6000 * env * y);
      out[2 * f] = left;
      out[2 * f + 1] = clamp16(0.8 * left + 120 * (rand() * 2 - 1) * env);
    }
    for (let i = 0; i < gap && f < frames; i++, f++) {
      // Room noise at about −70 dBFS between syllables.
      out[2 * f] = Math.round((rand() * 2 - 1) * 10);
      out[2 * f + 1] = Math.round((rand() * 2 - 1) * 10);
    }
  }
  return out;
}

function clamp16(v: number): number {
  return Math.max(-32768, Math.min(32767, Math.round(v)));
}

/** A two-pole resonator (RBJ band-pass, 0 dB peak) retuned per syllable. */
class Resonator {
  private b0 = 0;
  private a1 = 0;
  private a2 = 0;
  private x1 = 0;
  private x2 = 0;
  private y1 = 0;
  private y2 = 0;

  tune(freq: number, bandwidth: number): void {
    const w = (2 * Math.PI * freq) / RATE;
    const alpha = Math.sin(w) * Math.sinh(((Math.LN2 / 2) * (bandwidth / freq) * w) / Math.sin(w));
    const a0 = 1 + alpha;
    this.b0 = alpha / a0;
    this.a1 = (-2 * Math.cos(w)) / a0;
    this.a2 = (1 - alpha) / a0;
  }

  step(x: number): number {
    const y = this.b0 * x - this.b0 * this.x2 - this.a1 * this.y1 - this.a2 * this.y2;
    this.x2 = this.x1;
    this.x1 = x;
    this.y2 = this.y1;
    this.y1 = y;
    return y;
  }
}

/** One channel of interleaved stereo. */
export function channel(stereo: Int16Array, c: 0 | 1, start = 0, end = stereo.length / 2): Float64Array {
  const from = Math.max(0, start);
  const to = Math.min(end, stereo.length / 2);
  const out = new Float64Array(Math.max(0, to - from));
  for (let i = 0; i < out.length; i++) out[i] = stereo[2 * (from + i) + c]!;
  return out;
}

/**
 * How many samples later `decoded` starts than `input` (the encoder's priming plus any padding), found by
 * cross-correlating a window of the left channel that starts at `at`, over lags 0..maxLag.
 */
export function findDelay(input: Int16Array, decoded: Int16Array, at: number, maxLag = 4096, window = RATE / 2): number {
  const x = channel(input, 0, at, at + window);
  let best = 0;
  let bestScore = -Infinity;
  for (let lag = 0; lag <= maxLag; lag++) {
    const y = decoded.subarray(2 * (at + lag));
    if (y.length < 2 * window) break;
    let dot = 0;
    let energy = 0;
    for (let i = 0; i < window; i++) {
      const v = y[2 * i]!;
      dot += x[i]! * v;
      energy += v * v;
    }
    const score = energy > 0 ? dot / Math.sqrt(energy) : 0;
    if (score > bestScore) {
      bestScore = score;
      best = lag;
    }
  }
  return best;
}

/** The strongest frequency in `x` (Hz): the peak of an averaged 4096-point spectrum, refined by a Goertzel scan. */
export function peakFrequency(x: ArrayLike<number>, rate = RATE): number {
  const n = 4096;
  const power = new Float64Array(n / 2);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  const window = hann(n);
  for (let start = 0; start + n <= x.length; start += n) {
    for (let i = 0; i < n; i++) {
      re[i] = x[start + i]! * window[i]!;
      im[i] = 0;
    }
    fft(re, im);
    for (let k = 1; k < n / 2; k++) power[k]! += re[k]! * re[k]! + im[k]! * im[k]!;
  }
  let peak = 1;
  for (let k = 2; k < n / 2; k++) if (power[k]! > power[peak]!) peak = k;
  const binHz = rate / n;
  let best = peak * binHz;
  let bestAmp = 0;
  const refine = x.length > 2 * rate ? Array.prototype.slice.call(x, 0, 2 * rate) : x;
  for (let f = (peak - 1) * binHz; f <= (peak + 1) * binHz; f += 0.1) {
    const amp = toneAmplitude(refine as ArrayLike<number>, rate, f);
    if (amp > bestAmp) {
      bestAmp = amp;
      best = f;
    }
  }
  return best;
}

export interface ToneReport {
  /** Strongest frequency of the decoded tone. */
  hz: number;
  /** Decoded level minus input level at 1 kHz (dB). */
  levelDb: number;
  /** Energy that is not the tone, relative to the whole (dB): noise and distortion the codec added. */
  thdnDb: number;
}

/** Compares the left channel of `input` frames [start, end) with `decoded` shifted by `delay`. */
export function compareTone(input: Int16Array, decoded: Int16Array, delay: number, start: number, end: number): ToneReport {
  const x = channel(input, 0, start, end);
  const y = channel(decoded, 0, start + delay, end + delay);
  const hz = peakFrequency(y);
  const levelDb = 20 * Math.log10(toneAmplitude(y, RATE, TONE_HZ) / toneAmplitude(x, RATE, TONE_HZ));
  return { hz, levelDb, thdnDb: residualDb(y, RATE, TONE_HZ) };
}

export interface NoiseReport {
  /** Waveform SNR of the decoded signal against the input, both channels (dB). */
  snrDb: number;
  /** Mean |difference| of third-octave band energies, 125 Hz–16 kHz, in 21 ms frames with sound (dB). */
  bandErrorDb: number;
}

const BAND_CENTERS = Array.from({ length: 22 }, (_, k) => 125 * 2 ** (k / 3));

export function compareNoise(input: Int16Array, decoded: Int16Array, delay: number, start: number, end: number): NoiseReport {
  let signal = 0;
  let noise = 0;
  let errorSum = 0;
  let errorCount = 0;
  for (const c of [0, 1] as const) {
    const x = channel(input, c, start, end);
    const y = channel(decoded, c, start + delay, end + delay);
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) {
      signal += x[i]! * x[i]!;
      noise += (x[i]! - y[i]!) ** 2;
    }
    const bx = bandEnergies(x.subarray(0, n));
    const by = bandEnergies(y.subarray(0, n));
    let loudest = 0;
    for (const e of bx) loudest = Math.max(loudest, e);
    for (let i = 0; i < bx.length; i++) {
      // Bands more than 50 dB below the loudest band-frame are silence or room noise: not judged.
      if (bx[i]! < loudest * 1e-5) continue;
      errorSum += Math.abs(10 * Math.log10(Math.max(by[i]!, 1e-9) / bx[i]!));
      errorCount++;
    }
  }
  return { snrDb: 10 * Math.log10(signal / Math.max(noise, 1e-9)), bandErrorDb: errorSum / Math.max(errorCount, 1) };
}

/** Third-octave band energies of consecutive 1024-sample Hann frames, flattened frame by frame. */
function bandEnergies(x: Float64Array): Float64Array {
  const n = 1024;
  const frames = Math.floor(x.length / n);
  const out = new Float64Array(frames * BAND_CENTERS.length);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  const window = hann(n);
  const binHz = RATE / n;
  const edges = BAND_CENTERS.map((c) => [Math.ceil((c * 2 ** (-1 / 6)) / binHz), Math.floor((c * 2 ** (1 / 6)) / binHz)] as const);
  for (let f = 0; f < frames; f++) {
    for (let i = 0; i < n; i++) {
      re[i] = x[f * n + i]! * window[i]!;
      im[i] = 0;
    }
    fft(re, im);
    edges.forEach(([lo, hi], b) => {
      let e = 0;
      for (let k = lo; k <= Math.max(lo, hi); k++) e += re[k]! * re[k]! + im[k]! * im[k]!;
      out[f * BAND_CENTERS.length + b] = e;
    });
  }
  return out;
}

const hannCache = new Map<number, Float64Array>();
function hann(n: number): Float64Array {
  let w = hannCache.get(n);
  if (!w) {
    w = new Float64Array(n);
    for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
    hannCache.set(n, w);
  }
  return w;
}

/** In-place iterative radix-2 FFT; `re.length` must be a power of two. */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    const wr = Math.cos(angle);
    const wi = Math.sin(angle);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const tr = re[b]! * cr - im[b]! * ci;
        const ti = re[b]! * ci + im[b]! * cr;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a]! += tr;
        im[a]! += ti;
        const next = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = next;
      }
    }
  }
}
