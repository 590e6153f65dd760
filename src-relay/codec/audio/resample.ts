// Band-limited sample-rate conversion, any rate to any rate, streaming.
// J. O. Smith, "Digital Audio Resampling" (bandlimited interpolation, https://ccrma.stanford.edu/~jos/resample/):
// each output sample is the input convolved with a Kaiser-windowed sinc low-pass centred on the output
// instant, the kernel stretched by min(1, outRate/inRate) so that downsampling filters below the new Nyquist.
//
//   input   x[n]:  ─●───●───●───●───●───●───●─
//   output  y[k]:  ──○─────○─────○─────○─────   y[k] = Σ x[n]·g·h((n − k·in/out)·g),  g = min(1, out/in)
//                      ├─ kernel spans ±ZERO_CROSSINGS/g input samples ─┤
//
// Output sample k is exactly the input instant k·inRate/outRate (no group delay in the timing): the filter
// needs ±halfWidth input samples of look-ahead, so outputs are emitted once enough input has arrived, and
// flush() supplies zeros for the tail. Positions are tracked with integers, so long streams never drift.

/** Kaiser window and kernel design (Kaiser & Schafer 1980): β for ~80 dB stop-band attenuation. */
const KERNEL = {
  /** Zero crossings of the sinc on each side: sets the transition width (≈ 7.5 % of the lower rate). */
  zeroCrossings: 32,
  /** Kaiser β = 0.1102·(A − 8.7) for A = 80 dB. */
  beta: 7.857,
  /** Kernel table resolution: samples per zero crossing (linear interpolation in between). */
  resolution: 256,
  /** Cut-off as a fraction of the lower Nyquist frequency: leaves room for the transition band. */
  rolloff: 0.92,
} as const;

/** Largest precomputed polyphase table (floats): 4 MB. */
const MAX_PHASE_TABLE = 1 << 20;

/** Rates outside this range are refused (sane audio, bounded look-ahead buffers). */
export const RATE_LIMITS = { min: 1000, max: 768000 } as const;

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

/** h(u) for u = 0 … zeroCrossings in units of zero crossings, tabulated once. */
const KERNEL_TABLE: Float64Array = (() => {
  const { zeroCrossings, beta, resolution, rolloff } = KERNEL;
  const size = zeroCrossings * resolution + 2;
  const table = new Float64Array(size);
  const i0Beta = besselI0(beta);
  for (let i = 0; i < size; i++) {
    const u = i / resolution;
    const r = u / zeroCrossings;
    const window = r >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - r * r)) / i0Beta;
    const x = Math.PI * u * rolloff;
    table[i] = (u === 0 ? 1 : Math.sin(x) / x) * rolloff * window;
  }
  return table;
})();

function kernelAt(u: number): number {
  const pos = Math.abs(u) * KERNEL.resolution;
  const i = Math.floor(pos);
  if (i >= KERNEL_TABLE.length - 1) return 0;
  const frac = pos - i;
  return KERNEL_TABLE[i]! + (KERNEL_TABLE[i + 1]! - KERNEL_TABLE[i]!) * frac;
}

function checkRate(name: string, rate: number): void {
  if (!Number.isInteger(rate) || rate < RATE_LIMITS.min || rate > RATE_LIMITS.max) {
    throw new RangeError(`${name} must be an integer ${RATE_LIMITS.min}–${RATE_LIMITS.max} Hz, got ${rate}`);
  }
}

/** Streaming resampler on planar float channels (−1…1). */
export class FloatResampler {
  private readonly gain: number;
  private readonly halfWidth: number;
  /** Input/output positions repeat every outRate/gcd outputs: one precomputed set of taps per phase. */
  private readonly rateGcd: number;
  private readonly phaseTaps: Float32Array | undefined;
  /** Pending input per channel; index 0 is absolute input sample `base`. */
  private pending: Float32Array[];
  private pendingLength = 0;
  private base = 0;
  /** Next output sample's position in the input: `pos + rem / outRate`. */
  private pos = 0;
  private rem = 0;
  private inputCount = 0;
  private outputCount = 0;

  constructor(
    readonly inRate: number,
    readonly outRate: number,
    readonly channels: number,
  ) {
    checkRate('inRate', inRate);
    checkRate('outRate', outRate);
    if (!Number.isInteger(channels) || channels < 1 || channels > 8) {
      throw new RangeError(`channels must be an integer 1–8, got ${channels}`);
    }
    this.gain = Math.min(1, outRate / inRate);
    this.halfWidth = Math.ceil(KERNEL.zeroCrossings / this.gain) + 1;
    this.rateGcd = gcd(inRate, outRate);
    this.phaseTaps = this.buildPhaseTaps();
    this.pending = Array.from({ length: channels }, () => new Float32Array(0));
  }

  process(input: Float32Array[]): Float32Array[] {
    if (input.length !== this.channels) {
      throw new RangeError(`expected ${this.channels} channels, got ${input.length}`);
    }
    this.append(input);
    return this.produce(false);
  }

  /** Emits the remaining output as if the input were followed by silence; the resampler then restarts. */
  flush(): Float32Array[] {
    const out = this.produce(true);
    this.pending = this.pending.map(() => new Float32Array(0));
    this.pendingLength = this.base = this.pos = this.rem = this.inputCount = this.outputCount = 0;
    return out;
  }

  private append(input: Float32Array[]): void {
    const added = input[0]!.length;
    for (const channel of input) {
      if (channel.length !== added) throw new RangeError(`channel lengths differ: ${channel.length} vs ${added}`);
    }
    const needed = this.pendingLength + added;
    if (needed > this.pending[0]!.length) {
      const capacity = Math.max(needed, this.pending[0]!.length * 2, 1024);
      this.pending = this.pending.map((old) => {
        const grown = new Float32Array(capacity);
        grown.set(old.subarray(0, this.pendingLength));
        return grown;
      });
    }
    for (let c = 0; c < this.channels; c++) this.pending[c]!.set(input[c]!, this.pendingLength);
    this.pendingLength = needed;
    this.inputCount += added;
  }

  private produce(final: boolean): Float32Array[] {
    // Outputs whose kernel lies entirely inside the received input (or all outputs up to the end when final).
    const lastOutput = final
      ? Math.ceil((this.inputCount * this.outRate) / this.inRate)
      : Math.max(0, Math.floor(((this.inputCount - this.halfWidth - 1) * this.outRate) / this.inRate) + 1);
    const count = Math.max(0, lastOutput - this.outputCount);
    const out = Array.from({ length: this.channels }, () => new Float32Array(count));
    const width = 2 * this.halfWidth;
    const taps = this.phaseTaps;
    for (let k = 0; k < count; k++) {
      const start = this.pos - this.halfWidth + 1; // first input sample the kernel can reach
      const first = Math.max(start, 0);
      const last = Math.min(this.pos + this.halfWidth, this.inputCount - 1);
      const centre = this.pos + this.rem / this.outRate;
      const tapOffset = taps ? (this.rem / this.rateGcd) * width - start : 0;
      for (let c = 0; c < this.channels; c++) {
        const source = this.pending[c]!;
        const shift = -this.base;
        let acc = 0;
        if (taps) {
          for (let n = first; n <= last; n++) acc += source[n + shift]! * taps[tapOffset + n]!;
        } else {
          for (let n = first; n <= last; n++) acc += source[n + shift]! * kernelAt((n - centre) * this.gain) * this.gain;
        }
        out[c]![k] = acc;
      }
      this.rem += this.inRate;
      while (this.rem >= this.outRate) {
        this.rem -= this.outRate;
        this.pos++;
      }
    }
    this.outputCount += count;
    this.discardConsumed();
    return out;
  }

  /** Taps for every phase (output position modulo the rate ratio), when that table stays small. */
  private buildPhaseTaps(): Float32Array | undefined {
    const phases = this.outRate / this.rateGcd;
    const width = 2 * this.halfWidth;
    if (phases * width > MAX_PHASE_TABLE) return undefined; // e.g. 44101 → 48000: evaluate the kernel directly
    const taps = new Float32Array(phases * width);
    for (let phase = 0; phase < phases; phase++) {
      const frac = (phase * this.rateGcd) / this.outRate; // the centre's offset past `pos`
      for (let j = 0; j < width; j++) {
        const offset = j - this.halfWidth + 1 - frac; // n − centre
        taps[phase * width + j] = kernelAt(offset * this.gain) * this.gain;
      }
    }
    return taps;
  }

  /** Drops input no future output can reach, keeping memory bounded by the kernel width. */
  private discardConsumed(): void {
    const keepFrom = Math.max(this.base, this.pos - this.halfWidth);
    const drop = keepFrom - this.base;
    if (drop <= 0) return;
    for (const channel of this.pending) channel.copyWithin(0, drop, this.pendingLength);
    this.pendingLength -= drop;
    this.base = keepFrom;
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

const INT16_SCALE = 32768;

export function int16ToPlanar(samples: Int16Array, channels: number): Float32Array[] {
  const frames = Math.floor(samples.length / channels);
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++) out[c]![f] = samples[f * channels + c]! / INT16_SCALE;
  }
  return out;
}

export function planarToInt16(planar: Float32Array[]): Int16Array {
  const channels = planar.length;
  const frames = channels === 0 ? 0 : planar[0]!.length;
  const out = new Int16Array(frames * channels);
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++) {
      const v = Math.round(planar[c]![f]! * INT16_SCALE);
      out[f * channels + c] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
  }
  return out;
}

/** Streaming resampler on interleaved signed 16-bit PCM. */
export class Resampler {
  private readonly inner: FloatResampler;
  private readonly identity: boolean;

  constructor(inRate: number, outRate: number, readonly channels: number) {
    this.inner = new FloatResampler(inRate, outRate, channels);
    this.identity = inRate === outRate;
  }

  process(input: Int16Array): Int16Array {
    if (input.length % this.channels !== 0) {
      throw new RangeError(`interleaved input length ${input.length} is not a multiple of ${this.channels} channels`);
    }
    if (this.identity) return input.slice();
    return planarToInt16(this.inner.process(int16ToPlanar(input, this.channels)));
  }

  flush(): Int16Array {
    if (this.identity) return new Int16Array(0);
    return planarToInt16(this.inner.flush());
  }
}

/**
 * Any channel count → stereo. Mono goes to both sides; 3+ channels follow the WAVE channel order
 * (L, R, C, LFE, then surround pairs): centre and surrounds at −3 dB to both/their side, LFE dropped,
 * then scaled so a full-scale input on every channel cannot clip.
 */
export function downmixToStereo(channels: Float32Array[]): [Float32Array, Float32Array] {
  if (channels.length === 0) throw new RangeError('downmix needs at least 1 channel, got 0');
  if (channels.length === 1) return [channels[0]!.slice(), channels[0]!.slice()];
  if (channels.length === 2) return [channels[0]!.slice(), channels[1]!.slice()];
  const MINUS_3DB = Math.SQRT1_2;
  const left: [number, number][] = [[0, 1]];
  const right: [number, number][] = [[1, 1]];
  for (let c = 2; c < channels.length; c++) {
    if (c === 2) {
      left.push([c, MINUS_3DB]);
      right.push([c, MINUS_3DB]);
    } else if (c === 3 && channels.length >= 6) {
      continue; // LFE
    } else {
      const toLeft = channels.length >= 6 ? c % 2 === 0 : c % 2 === 1;
      (toLeft ? left : right).push([c, MINUS_3DB]);
    }
  }
  return [mixDown(channels, left), mixDown(channels, right)];
}

function mixDown(channels: Float32Array[], gains: [number, number][]): Float32Array {
  const frames = channels[0]!.length;
  const norm = 1 / gains.reduce((sum, [, g]) => sum + g, 0);
  const out = new Float32Array(frames);
  for (const [c, g] of gains) {
    const source = channels[c]!;
    const k = g * norm;
    for (let f = 0; f < frames; f++) out[f]! += source[f]! * k;
  }
  return out;
}

/** Interleaved stereo → mono (average), for the 8/16 kHz mono encoders. */
export function stereoToMono(samples: Int16Array): Int16Array {
  const out = new Int16Array(samples.length >> 1);
  for (let f = 0; f < out.length; f++) out[f] = (samples[2 * f]! + samples[2 * f + 1]!) >> 1;
  return out;
}
