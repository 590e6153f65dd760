// VP9 Bitstream & Decoding Process Specification v0.6 — the start of uncompressed_header() (§6.2) and
// superframes (Annex B); and the VPCodecConfigurationRecord of the VP Codec ISO Media File Format
// Binding (§2.2, the vpcC box), which Enhanced RTMP's vp09 SequenceStart carries. Pure functions, no I/O.
import { Bits } from './bits.js';

const FRAME_MARKER = 2;
const SYNC_CODE = 0x498342;
const CS_RGB = 7;

export interface Vp9FrameInfo {
  keyframe: boolean;
  /** An intra-only inter frame: decodable alone only together with earlier references' state. */
  intraOnly: boolean;
  showFrame: boolean;
  showExistingFrame: boolean;
  profile: number;
  /** Set on key frames and intra-only frames (the header carries the color config there). */
  bitDepth?: 8 | 10 | 12;
  /** color_space (§7.2: 0 unknown, 1 BT.601, 2 BT.709, 3 SMPTE-170, 4 SMPTE-240, 5 BT.2020, 7 sRGB). */
  colorSpace?: number;
  fullRange?: boolean;
  subsamplingX?: number;
  subsamplingY?: number;
  /** frame_width_minus_1 + 1, when the header has frame_size(): key and intra-only frames, and inter frames
   *  whose size is no reference's (the upper spatial layers of a key picture). */
  width?: number;
  height?: number;
}

//  uncompressed_header() (§6.2), as far as the frame size:
//  frame_marker f(2)=2 | profile_low_bit f(1) | profile_high_bit f(1) | [profile 3: reserved_zero f(1)]
//  show_existing_frame f(1) → frame_to_show_map_idx f(3), end
//  frame_type f(1) (0 = KEY_FRAME) | show_frame f(1) | error_resilient_mode f(1)
//  key frame:  frame_sync_code f(24) | color_config() | frame_size(): width-1 f(16), height-1 f(16)
//  otherwise:  [!show_frame: intra_only f(1)] | [!error_resilient: reset_frame_context f(2)]
//              intra_only: frame_sync_code | [profile > 0: color_config()] | refresh_frame_flags f(8) | frame_size()
//              inter: refresh_frame_flags f(8) | 3 × (ref_frame_idx f(3), sign_bias f(1)) |
//                     frame_size_with_refs(): found_ref f(1) up to 3 times, none found → frame_size()
/** The frame's uncompressed header. Throws, naming what is wrong, on a truncated or foreign one. */
export function vp9FrameInfo(frame: Buffer): Vp9FrameInfo {
  const r = new Bits(frame, 'VP9 uncompressed header');
  if (r.f(2) !== FRAME_MARKER) throw new Error('VP9 frame_marker is not 2: not a VP9 frame');
  const profile = r.f(1) | (r.f(1) << 1);
  if (profile === 3) r.f(1);
  const base = { keyframe: false, intraOnly: false, showFrame: false, showExistingFrame: false, profile };
  if (r.flag()) return { ...base, showExistingFrame: true, showFrame: true };
  const keyframe = r.f(1) === 0;
  const showFrame = r.flag();
  const errorResilient = r.flag();
  if (keyframe) {
    syncCode(r);
    return { ...base, keyframe, showFrame, ...colorConfig(r, profile), ...frameSize(r) };
  }
  const intraOnly = showFrame ? false : r.flag();
  if (!errorResilient) r.f(2); // reset_frame_context
  if (!intraOnly) {
    r.f(8); // refresh_frame_flags
    r.f(12); // 3 × (ref_frame_idx f(3), ref_frame_sign_bias f(1))
    // frame_size_with_refs(): the size of a reference, or (no found_ref) its own frame_size().
    for (let i = 0; i < 3; i++) if (r.flag()) return { ...base, showFrame };
    return { ...base, showFrame, ...frameSize(r) };
  }
  syncCode(r);
  const color = profile > 0 ? colorConfig(r, profile) : { bitDepth: 8 as const, colorSpace: 1, fullRange: false, subsamplingX: 1, subsamplingY: 1 };
  r.f(8); // refresh_frame_flags
  return { ...base, intraOnly, showFrame, ...color, ...frameSize(r) };
}

/**
 * What a picture (one frame, or the spatial layers of one picture in a superframe) says: its first
 * frame's header, with the largest frame size any of its frames states (the top spatial layer's, the size
 * a player shows). Throws as vp9FrameInfo does.
 */
export function vp9PictureInfo(picture: Buffer): Vp9FrameInfo {
  const infos = vp9SuperframeFrames(picture).map(vp9FrameInfo);
  if (infos.length === 0) throw new Error('VP9 picture is empty');
  const sized = infos.filter((i) => i.width !== undefined && i.height !== undefined);
  const largest = sized.reduce<Vp9FrameInfo | undefined>((a, b) => (!a || b.width! * b.height! > a.width! * a.height! ? b : a), undefined);
  return { ...infos[0], ...(largest ? { width: largest.width, height: largest.height } : {}) };
}

function syncCode(r: Bits): void {
  const code = r.f(24);
  if (code !== SYNC_CODE) throw new Error(`VP9 frame_sync_code is 0x${code.toString(16)}, expected 0x498342`);
}

/** color_config() (§6.2.2). */
function colorConfig(r: Bits, profile: number): Required<Pick<Vp9FrameInfo, 'bitDepth' | 'colorSpace' | 'fullRange' | 'subsamplingX' | 'subsamplingY'>> {
  const bitDepth = profile >= 2 ? (r.flag() ? 12 : 10) : 8;
  const colorSpace = r.f(3);
  if (colorSpace === CS_RGB) {
    if (profile === 1 || profile === 3) r.f(1); // reserved_zero
    return { bitDepth, colorSpace, fullRange: true, subsamplingX: 0, subsamplingY: 0 };
  }
  const fullRange = r.flag();
  if (profile === 1 || profile === 3) {
    const subsamplingX = r.f(1);
    const subsamplingY = r.f(1);
    r.f(1); // reserved_zero
    return { bitDepth, colorSpace, fullRange, subsamplingX, subsamplingY };
  }
  return { bitDepth, colorSpace, fullRange, subsamplingX: 1, subsamplingY: 1 };
}

function frameSize(r: Bits): { width: number; height: number } {
  return { width: r.f(16) + 1, height: r.f(16) + 1 };
}

//  Superframe index (Annex B), at the end of a chunk holding several frames:
//  +-----+---+-----+--------------------------------+-----+---+-----+
//  | 110 |mag| n-1 | n frame sizes, (mag+1) bytes LE| 110 |mag| n-1 |
//  +-----+---+-----+--------------------------------+-----+---+-----+
const SUPERFRAME_MARKER = 0b110;
const MAX_SUPERFRAME_FRAMES = 8;

/** The frames of a chunk: those its superframe index lists, or the chunk itself. Throws on an index that does not add up. */
export function vp9SuperframeFrames(chunk: Buffer): Buffer[] {
  if (chunk.length === 0) return [];
  const last = chunk[chunk.length - 1];
  if (last >> 5 !== SUPERFRAME_MARKER) return [chunk];
  const bytes = ((last >> 3) & 0x03) + 1;
  const count = (last & 0x07) + 1;
  const indexSize = 2 + bytes * count;
  if (chunk.length < indexSize || chunk[chunk.length - indexSize] !== last) return [chunk];
  const frames: Buffer[] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const size = chunk.readUIntLE(chunk.length - indexSize + 1 + i * bytes, bytes);
    if (offset + size > chunk.length - indexSize) throw new Error(`VP9 superframe frame ${i} of ${size} bytes runs past the ${chunk.length - indexSize} bytes of frames`);
    frames.push(chunk.subarray(offset, offset + size));
    offset += size;
  }
  return frames;
}

/** One chunk of several frames (the spatial layers of one picture), with the superframe index after them. */
export function buildVp9Superframe(frames: Buffer[]): Buffer {
  if (frames.length === 1) return frames[0];
  if (frames.length < 1 || frames.length > MAX_SUPERFRAME_FRAMES) throw new Error(`a VP9 superframe holds 1–${MAX_SUPERFRAME_FRAMES} frames, got ${frames.length}`);
  const largest = Math.max(...frames.map((f) => f.length));
  const bytes = largest < 2 ** 8 ? 1 : largest < 2 ** 16 ? 2 : largest < 2 ** 24 ? 3 : 4;
  const marker = (SUPERFRAME_MARKER << 5) | ((bytes - 1) << 3) | (frames.length - 1);
  const index = Buffer.alloc(2 + bytes * frames.length);
  index[0] = marker;
  frames.forEach((f, i) => index.writeUIntLE(f.length, 1 + i * bytes, bytes));
  index[index.length - 1] = marker;
  return Buffer.concat([...frames, index]);
}

/** VP9 levels (VP9 Levels and Decoder Testing): the largest luma sample rate and picture size of each. */
const LEVELS: readonly [level: number, maxSampleRate: number, maxPictureSize: number][] = [
  [10, 829440, 36864],
  [11, 2764800, 73728],
  [20, 4608000, 122880],
  [21, 9216000, 245760],
  [30, 20736000, 552960],
  [31, 36864000, 983040],
  [40, 83558400, 2228224],
  [41, 160432128, 2228224],
  [50, 311951360, 8912896],
  [51, 588251136, 8912896],
  [52, 1176502272, 8912896],
  [60, 1176502272, 35651584],
  [61, 2353004544, 35651584],
  [62, 4706009088, 35651584],
];

/** The lowest level that fits the size (and the frame rate, when known); 0 when none does. */
export function vp9Level(width: number, height: number, fps?: number): number {
  const pictureSize = width * height;
  const sampleRate = fps ? pictureSize * fps : 0;
  return LEVELS.find(([, rate, size]) => sampleRate <= rate && pictureSize <= size)?.[0] ?? 0;
}

/** ISO/IEC 23001-8 matrix coefficients for VP9's color_space; primaries and transfer are not in the bitstream. */
const MATRIX_OF_COLOR_SPACE = [2, 5, 1, 6, 7, 9, 2, 0];
const UNSPECIFIED = 2;

//  VPCodecConfigurationRecord (VP Codec ISO Media File Format Binding §2.2), after the FullBox version 1
//  and flags 0 that ffmpeg's MP4 and FLV muxers both write in front of it:
//  profile u8 | level u8 | bitDepth u4, chromaSubsampling u3, videoFullRangeFlag u1 | colourPrimaries u8 |
//  transferCharacteristics u8 | matrixCoefficients u8 | codecInitializationDataSize u16 = 0
/**
 * The record of a key frame's header. chromaSubsampling 1 for 4:2:0 (VP9 does not say where chroma is
 * sited; ffmpeg writes 1, "collocated with luma", unless told otherwise), 2 for 4:2:2, 3 for 4:4:4.
 * Throws for a header without color config (an inter frame) or 4:4:0, which the record cannot express.
 */
export function vpCodecConfigurationRecord(info: Vp9FrameInfo, fps?: number): Buffer {
  const { bitDepth, subsamplingX, subsamplingY, colorSpace, fullRange, width, height } = info;
  if (bitDepth === undefined || subsamplingX === undefined || subsamplingY === undefined || colorSpace === undefined || width === undefined || height === undefined) {
    throw new Error('a VPCodecConfigurationRecord needs the header of a key frame (color config and size)');
  }
  const chroma = subsamplingX && subsamplingY ? 1 : subsamplingX ? 2 : subsamplingY ? -1 : 3;
  if (chroma < 0) throw new Error('VP9 4:4:0 subsampling has no VPCodecConfigurationRecord chromaSubsampling value');
  return Buffer.from([
    1, 0, 0, 0,
    info.profile,
    vp9Level(width, height, fps),
    (bitDepth << 4) | (chroma << 1) | Number(fullRange),
    UNSPECIFIED,
    UNSPECIFIED,
    MATRIX_OF_COLOR_SPACE[colorSpace],
    0, 0,
  ]);
}
