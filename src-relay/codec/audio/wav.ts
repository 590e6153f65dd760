// RIFF WAVE reader and writer.
// Microsoft "Multimedia Programming Interface and Data Specifications 1.0" (1991), RIFF and the WAVE form;
// WAVE_FORMAT_EXTENSIBLE from Microsoft's "Multiple Channel Audio Data and WAVE Files" (2001, mmreg.h).
//
//   offset  size  field
//   0       4     "RIFF"
//   4       4     riff size (LE) = file length − 8
//   8       4     "WAVE"
//   12      …     chunks: id (4 ASCII) | size (4, LE) | data (size bytes) | pad byte if size is odd
//
//   "fmt " chunk (≥ 16 bytes):
//   0 wFormatTag(2) | 2 nChannels(2) | 4 nSamplesPerSec(4) | 8 nAvgBytesPerSec(4) | 12 nBlockAlign(2)
//   14 wBitsPerSample(2) | 16 cbSize(2) | 18 wValidBitsPerSample(2) | 20 dwChannelMask(4) | 24 SubFormat GUID(16)
//
// Decisions on damaged files (outside bytes: every size is checked against the buffer before use):
// - riff size 0 or 0xFFFFFFFF, any chunk size 0xFFFFFFFF, a `fmt ` or other chunk running past the end of
//   the file, a data size of 0, `data` before `fmt `: rejected with a WavError naming the value.
// - a `data` chunk whose size runs past the end of the file (a recording cut short) is clamped to the whole
//   sample frames present, with a warning in `warnings`; likewise a riff size larger than the file.

import { downmixToStereo, FloatResampler, planarToInt16 } from './resample.js';
import { PCM_RATE } from '../../media.js';

export class WavError extends Error {
  override name = 'WavError';
}

/** wFormatTag values (mmreg.h). */
export const WaveFormat = { pcm: 0x0001, ieeeFloat: 0x0003, alaw: 0x0006, mulaw: 0x0007, extensible: 0xfffe } as const;
/** KSDATAFORMAT_SUBTYPE_* GUIDs are {0000xxxx-0000-0010-8000-00AA00389B71}: this is the tail after the tag. */
const SUBFORMAT_GUID_TAIL = Buffer.from([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]);

const RIFF_HEADER_SIZE = 12;
const CHUNK_HEADER_SIZE = 8;
const FMT_MIN_SIZE = 16;
const FMT_EXTENSIBLE_SIZE = 40;
const UNKNOWN_SIZE = 0xffffffff;
/**
 * maxSeconds bounds what one sound costs: decoded to 48 kHz stereo s16 a 600 s sound is 115 MB, and its
 * resampling work is bounded too. Without it a 30 MB file of 8-bit mono at 1000 Hz (8 hours) asked for
 * 1.4 G output samples: the host stopped answering for minutes, then ran out of memory.
 */
export const WAV_LIMITS = { maxChannels: 8, minRate: 1000, maxRate: 768000, maxSeconds: 600 } as const;
const PCM_BITS = [8, 16, 24, 32] as const;
const FLOAT_BITS = [32, 64] as const;

export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  format: 'pcm' | 'float';
  frames: number;
  /** One array per channel, samples in −1…1. */
  channelData: Float32Array[];
  /** Non-fatal repairs (clamped sizes). */
  warnings: string[];
}

interface FmtChunk {
  format: 'pcm' | 'float';
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

function fourcc(buf: Buffer, offset: number): string {
  return buf.toString('latin1', offset, offset + 4);
}

function printable(id: string): string {
  return JSON.stringify(id);
}

export function parseWav(buf: Buffer): WavInfo {
  if (buf.length < RIFF_HEADER_SIZE) throw new WavError(`file is ${buf.length} bytes, shorter than the 12-byte RIFF header`);
  const magic = fourcc(buf, 0);
  if (magic !== 'RIFF') {
    const hint = magic === 'RIFX' || magic === 'RF64' ? ` (${magic} is not supported)` : '';
    throw new WavError(`not a RIFF file: starts with ${printable(magic)}${hint}`);
  }
  if (fourcc(buf, 8) !== 'WAVE') throw new WavError(`RIFF form type is ${printable(fourcc(buf, 8))}, not "WAVE"`);
  const warnings: string[] = [];
  const riffSize = buf.readUInt32LE(4);
  if (riffSize === 0 || riffSize === UNKNOWN_SIZE || riffSize < 4) {
    throw new WavError(`RIFF size ${riffSize} is not a real size (file is ${buf.length} bytes)`);
  }
  let end = CHUNK_HEADER_SIZE + riffSize;
  if (end > buf.length) {
    warnings.push(`RIFF size ${riffSize} runs past the end of the ${buf.length}-byte file; read up to the end`);
    end = buf.length;
  }

  let fmt: FmtChunk | undefined;
  let offset = RIFF_HEADER_SIZE;
  while (offset + CHUNK_HEADER_SIZE <= end) {
    const id = fourcc(buf, offset);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + CHUNK_HEADER_SIZE;
    if (size === UNKNOWN_SIZE) throw new WavError(`chunk ${printable(id)} at byte ${offset} has size 0xFFFFFFFF (unknown length)`);
    if (id === 'data') {
      if (!fmt) throw new WavError(`"data" chunk at byte ${offset} comes before the "fmt " chunk`);
      return readData(buf, body, size, end, fmt, warnings);
    }
    if (body + size > end) {
      throw new WavError(`chunk ${printable(id)} at byte ${offset} declares ${size} bytes but only ${end - body} remain`);
    }
    if (id === 'fmt ') {
      if (fmt) throw new WavError(`second "fmt " chunk at byte ${offset}`);
      fmt = parseFmt(buf.subarray(body, body + size));
    }
    offset = body + size + (size & 1); // RIFF: chunks are word-aligned, odd sizes are followed by a pad byte
  }
  if (!fmt) throw new WavError('no "fmt " chunk before the end of the file');
  throw new WavError('no "data" chunk before the end of the file');
}

function parseFmt(chunk: Buffer): FmtChunk {
  if (chunk.length < FMT_MIN_SIZE) throw new WavError(`"fmt " chunk is ${chunk.length} bytes, needs at least ${FMT_MIN_SIZE}`);
  let tag = chunk.readUInt16LE(0);
  const channels = chunk.readUInt16LE(2);
  const sampleRate = chunk.readUInt32LE(4);
  const blockAlign = chunk.readUInt16LE(12);
  const bitsPerSample = chunk.readUInt16LE(14);
  if (tag === WaveFormat.extensible) tag = extensibleSubformat(chunk, bitsPerSample);
  let format: 'pcm' | 'float';
  if (tag === WaveFormat.pcm) format = 'pcm';
  else if (tag === WaveFormat.ieeeFloat) format = 'float';
  else throw new WavError(`unsupported WAVE format tag 0x${tag.toString(16).padStart(4, '0')} (only PCM 0x0001 and IEEE float 0x0003)`);
  if (channels < 1 || channels > WAV_LIMITS.maxChannels) {
    throw new WavError(`channel count must be 1–${WAV_LIMITS.maxChannels}, got ${channels}`);
  }
  if (sampleRate < WAV_LIMITS.minRate || sampleRate > WAV_LIMITS.maxRate) {
    throw new WavError(`sample rate must be ${WAV_LIMITS.minRate}–${WAV_LIMITS.maxRate} Hz, got ${sampleRate}`);
  }
  const allowed: readonly number[] = format === 'pcm' ? PCM_BITS : FLOAT_BITS;
  if (!allowed.includes(bitsPerSample)) {
    throw new WavError(`${format} bits per sample must be one of ${allowed.join('/')}, got ${bitsPerSample}`);
  }
  if (blockAlign === 0) throw new WavError('block align is 0');
  const expectedAlign = (channels * bitsPerSample) / 8;
  if (blockAlign !== expectedAlign) {
    throw new WavError(`block align ${blockAlign} does not match ${channels} channels × ${bitsPerSample} bits (${expectedAlign})`);
  }
  return { format, channels, sampleRate, blockAlign, bitsPerSample };
}

/** WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the SubFormat GUID. */
function extensibleSubformat(chunk: Buffer, containerBits: number): number {
  if (chunk.length < FMT_EXTENSIBLE_SIZE) {
    throw new WavError(`WAVE_FORMAT_EXTENSIBLE "fmt " chunk is ${chunk.length} bytes, needs ${FMT_EXTENSIBLE_SIZE}`);
  }
  const cbSize = chunk.readUInt16LE(16);
  if (cbSize < FMT_EXTENSIBLE_SIZE - 18) throw new WavError(`WAVE_FORMAT_EXTENSIBLE cbSize is ${cbSize}, needs at least 22`);
  const validBits = chunk.readUInt16LE(18);
  if (validBits > containerBits) {
    throw new WavError(`valid bits per sample ${validBits} exceed the ${containerBits}-bit container`);
  }
  if (!chunk.subarray(26, 40).equals(SUBFORMAT_GUID_TAIL)) {
    throw new WavError(`unsupported WAVE_FORMAT_EXTENSIBLE SubFormat GUID ${chunk.subarray(24, 40).toString('hex')}`);
  }
  return chunk.readUInt16LE(24);
}

function readData(buf: Buffer, body: number, size: number, end: number, fmt: FmtChunk, warnings: string[]): WavInfo {
  if (size === 0) throw new WavError('"data" chunk size is 0: no audio');
  let available = size;
  if (body + size > end) {
    available = end - body;
    warnings.push(`"data" size ${size} runs past the end of the file; clamped to the ${available} bytes present`);
  }
  const frames = Math.floor(available / fmt.blockAlign);
  if (frames === 0) {
    throw new WavError(`"data" holds ${available} bytes, less than one ${fmt.blockAlign}-byte sample frame`);
  }
  const seconds = frames / fmt.sampleRate;
  if (seconds > WAV_LIMITS.maxSeconds) {
    throw new WavError(
      `the sound lasts ${seconds.toFixed(1)} s (${frames} frames at ${fmt.sampleRate} Hz), longer than the ${WAV_LIMITS.maxSeconds} s a sound may last`,
    );
  }
  const channelData = Array.from({ length: fmt.channels }, () => new Float32Array(frames));
  const read = sampleReader(buf, fmt);
  const bytesPerSample = fmt.bitsPerSample / 8;
  for (let f = 0; f < frames; f++) {
    const frameOffset = body + f * fmt.blockAlign;
    for (let c = 0; c < fmt.channels; c++) channelData[c]![f] = read(frameOffset + c * bytesPerSample);
  }
  return {
    sampleRate: fmt.sampleRate,
    channels: fmt.channels,
    bitsPerSample: fmt.bitsPerSample,
    format: fmt.format,
    frames,
    channelData,
    warnings,
  };
}

/** Sample → −1…1. 8-bit PCM is unsigned (offset 128); wider PCM is signed two's complement. */
function sampleReader(buf: Buffer, fmt: FmtChunk): (offset: number) => number {
  if (fmt.format === 'float') {
    return fmt.bitsPerSample === 32 ? (o) => clampUnit(buf.readFloatLE(o)) : (o) => clampUnit(buf.readDoubleLE(o));
  }
  switch (fmt.bitsPerSample) {
    case 8:
      return (o) => (buf[o]! - 128) / 128;
    case 16:
      return (o) => buf.readInt16LE(o) / 32768;
    case 24:
      return (o) => buf.readIntLE(o, 3) / 8388608;
    default:
      return (o) => buf.readInt32LE(o) / 2147483648;
  }
}

/** Float WAVs may hold NaN or values past full scale: keep them from poisoning the mix. */
function clampUnit(v: number): number {
  if (Number.isNaN(v)) return 0;
  return v > 1 ? 1 : v < -1 ? -1 : v;
}

/** Any readable WAV → 48 kHz interleaved stereo 16-bit, what the mixer plays. */
export function decodeWavTo48kStereo(buf: Buffer): Int16Array {
  const wav = parseWav(buf);
  let stereo: Float32Array[] = downmixToStereo(wav.channelData);
  if (wav.sampleRate !== PCM_RATE) {
    const resampler = new FloatResampler(wav.sampleRate, PCM_RATE, 2);
    const head = resampler.process(stereo);
    const tail = resampler.flush();
    stereo = [0, 1].map((c) => concat(head[c]!, tail[c]!));
  }
  return planarToInt16(stereo);
}

/** Input frames resampled between two yields to the event loop: about 10–20 ms of work. */
const ASYNC_BLOCK_SECONDS = 1;

/**
 * decodeWavTo48kStereo for a server: the resampling (the costly part, ~10 ms per second of sound) runs in
 * blocks with a yield to the event loop between them, so a long sound does not stall the relay's media and
 * the other requests while it decodes. Same output as the synchronous form (the resampler streams).
 */
export async function decodeWavTo48kStereoAsync(buf: Buffer): Promise<Int16Array> {
  const wav = parseWav(buf);
  const stereo: Float32Array[] = downmixToStereo(wav.channelData);
  if (wav.sampleRate === PCM_RATE) return planarToInt16(stereo);
  const resampler = new FloatResampler(wav.sampleRate, PCM_RATE, 2);
  const block = Math.max(1, Math.round(wav.sampleRate * ASYNC_BLOCK_SECONDS));
  const parts: Float32Array[][] = [];
  for (let frame = 0; frame < wav.frames; frame += block) {
    parts.push(resampler.process(stereo.map((c) => c.subarray(frame, frame + block))));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  parts.push(resampler.flush());
  return planarToInt16([0, 1].map((c) => concatAll(parts.map((p) => p[c]!))));
}

function concatAll(arrays: Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Interleaved samples → a canonical WAV (16-byte `fmt `). Int16 input is full-scale 16-bit, Float32 input is
 * −1…1; both are written at `bits` (8/16/24/32 PCM, or 32/64 float when `float`).
 */
export function encodeWav(
  samples: Int16Array | Float32Array,
  sampleRate: number,
  channels: number,
  bits: 8 | 16 | 24 | 32 | 64 = 16,
  float = false,
): Buffer {
  if (samples.length % channels !== 0) throw new RangeError(`${samples.length} samples are not a multiple of ${channels} channels`);
  if (float ? bits !== 32 && bits !== 64 : bits === 64) throw new RangeError(`${float ? 'float' : 'PCM'} WAV cannot be ${bits}-bit`);
  const bytes = bits / 8;
  const dataSize = samples.length * bytes;
  const out = Buffer.alloc(RIFF_HEADER_SIZE + CHUNK_HEADER_SIZE + FMT_MIN_SIZE + CHUNK_HEADER_SIZE + dataSize + (dataSize & 1));
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(out.length - 8, 4);
  out.write('WAVEfmt ', 8, 'latin1');
  out.writeUInt32LE(FMT_MIN_SIZE, 16);
  out.writeUInt16LE(float ? WaveFormat.ieeeFloat : WaveFormat.pcm, 20);
  out.writeUInt16LE(channels, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * channels * bytes, 28);
  out.writeUInt16LE(channels * bytes, 32);
  out.writeUInt16LE(bits, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(dataSize, 40);
  const unit = samples instanceof Int16Array ? 1 / 32768 : 1;
  for (let i = 0; i < samples.length; i++) writeSample(out, 44 + i * bytes, samples[i]! * unit, bits, float);
  return out;
}

function writeSample(out: Buffer, offset: number, v: number, bits: number, float: boolean): void {
  if (float) {
    if (bits === 32) out.writeFloatLE(v, offset);
    else out.writeDoubleLE(v, offset);
    return;
  }
  const scale = 2 ** (bits - 1);
  const q = Math.max(-scale, Math.min(scale - 1, Math.round(v * scale)));
  if (bits === 8) out[offset] = q + 128;
  else out.writeIntLE(q, offset, bits / 8);
}
