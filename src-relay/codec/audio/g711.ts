// ITU-T G.711 — Pulse code modulation (PCM) of voice frequencies: A-law (§2, Tables 1a/1b) and µ-law
// (§3, Tables 2a/2b). Pure functions on 16-bit linear PCM; the segment/quantisation arithmetic is the one
// of the reference implementation distributed with the recommendation (Sun Microsystems' g711.c).
//
// A code word (after the even-bit inversion of A-law / the full inversion of µ-law):
//   7   6 5 4   3 2 1 0
//  +---+-------+---------+
//  | S |  seg  |  quant  |   S: sign (1 = positive), seg: chord 0–7, quant: step inside the chord
//  +---+-------+---------+

/** A-law code words are transmitted with the even bits inverted (G.711 §2, note to Table 1a). */
const ALAW_XOR = 0x55;
/** µ-law code words are transmitted with every bit inverted (G.711 §3). */
const ULAW_XOR = 0xff;
const SIGN_BIT = 0x80;
const SEG_SHIFT = 4;
const SEG_MASK = 0x70;
const QUANT_MASK = 0x0f;
/** µ-law bias added before the segment search (G.711 Table 2a: decision values are offset by 33 in 14-bit). */
const ULAW_BIAS = 0x84;
/** Largest 14-bit magnitude µ-law encodes before clipping (8158 + bias fits the last chord). */
const ULAW_CLIP = 8159;

/** Upper end of each A-law chord in 13-bit magnitude. */
const ALAW_SEG_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff] as const;
/** Upper end of each µ-law chord in 14-bit magnitude (biased). */
const ULAW_SEG_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff] as const;

function segment(value: number, ends: readonly number[]): number {
  for (let seg = 0; seg < ends.length; seg++) if (value <= ends[seg]!) return seg;
  return ends.length;
}

/** One 16-bit linear sample → one A-law byte (G.711 §2). */
export function linearToAlaw(sample: number): number {
  let pcm = sample >> 3; // 13-bit linear
  let mask: number;
  if (pcm >= 0) {
    mask = ALAW_XOR | SIGN_BIT;
  } else {
    mask = ALAW_XOR;
    pcm = -pcm - 1;
  }
  const seg = segment(pcm, ALAW_SEG_END);
  if (seg >= 8) return 0x7f ^ mask;
  const quant = seg < 2 ? (pcm >> 1) & QUANT_MASK : (pcm >> seg) & QUANT_MASK;
  return ((seg << SEG_SHIFT) | quant) ^ mask;
}

/** One A-law byte → 16-bit linear, the mid-point of its decision interval (G.711 Table 1b). */
export function alawToLinear(code: number): number {
  const a = (code ^ ALAW_XOR) & 0xff;
  let t = (a & QUANT_MASK) << 4;
  const seg = (a & SEG_MASK) >> SEG_SHIFT;
  if (seg === 0) t += 8;
  else t = (t + 0x108) << (seg - 1);
  return a & SIGN_BIT ? t : -t;
}

/** One 16-bit linear sample → one µ-law byte (G.711 §3). */
export function linearToUlaw(sample: number): number {
  let pcm = sample >> 2; // 14-bit linear
  let mask: number;
  if (pcm < 0) {
    pcm = -pcm;
    mask = 0x7f;
  } else {
    mask = ULAW_XOR;
  }
  if (pcm > ULAW_CLIP) pcm = ULAW_CLIP;
  pcm += ULAW_BIAS >> 2;
  const seg = segment(pcm, ULAW_SEG_END);
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << SEG_SHIFT) | ((pcm >> (seg + 1)) & QUANT_MASK)) ^ mask;
}

/** One µ-law byte → 16-bit linear (G.711 Table 2b). */
export function ulawToLinear(code: number): number {
  const u = ~code & 0xff;
  let t = ((u & QUANT_MASK) << 3) + ULAW_BIAS;
  t <<= (u & SEG_MASK) >> SEG_SHIFT;
  return u & SIGN_BIT ? ULAW_BIAS - t : t - ULAW_BIAS;
}

const ALAW_DECODE = Int16Array.from({ length: 256 }, (_, i) => alawToLinear(i));
const ULAW_DECODE = Int16Array.from({ length: 256 }, (_, i) => ulawToLinear(i));

export function encodeAlaw(pcm: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = linearToAlaw(pcm[i]!);
  return out;
}

export function encodeUlaw(pcm: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = linearToUlaw(pcm[i]!);
  return out;
}

export function decodeAlaw(b: Buffer): Int16Array {
  const out = new Int16Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = ALAW_DECODE[b[i]!]!;
  return out;
}

export function decodeUlaw(b: Buffer): Int16Array {
  const out = new Int16Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = ULAW_DECODE[b[i]!]!;
  return out;
}
