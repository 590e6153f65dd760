// AV1 Bitstream & Decoding Process Specification (AOM, 2019) — OBUs in the low-overhead bitstream format
// (§5.2, Annex B is not used), the sequence header (§5.5) and the first bits of a frame header (§5.9.2);
// and the AV1CodecConfigurationRecord of the AV1 Codec ISO Media File Format Binding (§2.3.3), which MP4's
// av1C box and Enhanced RTMP's av01 SequenceStart carry. Pure functions, no I/O.
import { Bits } from './bits.js';

/** obu_type (§6.2.2). */
export const ObuType = {
  sequenceHeader: 1,
  temporalDelimiter: 2,
  frameHeader: 3,
  tileGroup: 4,
  metadata: 5,
  frame: 6,
  redundantFrameHeader: 7,
  tileList: 8,
  padding: 15,
} as const;

/** leb128() (§4.10.5): at most 8 bytes, a value below 2^32. */
const LEB128_MAX_BYTES = 8;

/** A leb128 value and the bytes it took; undefined when it is truncated or too large. */
export function readLeb128(data: Buffer, offset: number): { value: number; length: number } | undefined {
  let value = 0;
  for (let i = 0; i < LEB128_MAX_BYTES; i++) {
    if (offset + i >= data.length) return undefined;
    const byte = data[offset + i];
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return value > 0xffffffff ? undefined : { value, length: i + 1 };
  }
  return undefined;
}

export function writeLeb128(value: number): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new Error(`leb128 value ${value} is outside 0–2^32-1`);
  const bytes: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0);
  return Buffer.from(bytes);
}

//  obu_header() (§5.3.2):
//  +-+-+-+-+-+-+-+-+
//  |F| type  |X|S|R|   F forbidden, X obu_extension_flag, S obu_has_size_field, R reserved
//  +-+-+-+-+-+-+-+-+
//  |TID  |SID|  R  |   obu_extension_header(), when X
//  +-+-+-+-+-+-+-+-+
export const OBU_EXTENSION_FLAG = 0x04;
export const OBU_HAS_SIZE_FIELD = 0x02;

export function obuType(header: number): number {
  return (header >> 3) & 0x0f;
}

/** One OBU of a low-overhead bitstream: `obu` is all of it (header, size, payload), both views of the input. */
export interface Obu {
  type: number;
  obu: Buffer;
  payload: Buffer;
}

/** Splits a temporal unit in the low-overhead format (every OBU with its size field). Throws, naming the fault. */
export function splitObus(data: Buffer): Obu[] {
  const obus: Obu[] = [];
  let offset = 0;
  while (offset < data.length) {
    const header = data[offset];
    if (header & 0x80) throw new Error(`OBU at byte ${offset} has its forbidden bit set`);
    if (!(header & OBU_HAS_SIZE_FIELD)) throw new Error(`OBU at byte ${offset} has no size field (obu_has_size_field 0)`);
    const headerSize = header & OBU_EXTENSION_FLAG ? 2 : 1;
    const size = readLeb128(data, offset + headerSize);
    if (!size) throw new Error(`OBU at byte ${offset} has a truncated or oversized leb128 obu_size`);
    const start = offset + headerSize + size.length;
    const end = start + size.value;
    if (end > data.length) throw new Error(`OBU at byte ${offset} of ${size.value} bytes exceeds the ${data.length - start} bytes left`);
    obus.push({ type: obuType(header), obu: data.subarray(offset, end), payload: data.subarray(start, end) });
    offset = end;
  }
  return obus;
}

/** The payload of one OBU (with or without its size field). Throws on a truncated one. */
function obuPayload(obu: Buffer): Buffer {
  if (obu.length === 0) throw new Error('OBU is empty');
  const headerSize = obu[0] & OBU_EXTENSION_FLAG ? 2 : 1;
  if (!(obu[0] & OBU_HAS_SIZE_FIELD)) return obu.subarray(headerSize);
  const size = readLeb128(obu, headerSize);
  if (!size) throw new Error('OBU has a truncated or oversized leb128 obu_size');
  const start = headerSize + size.length;
  if (start + size.value > obu.length) throw new Error(`OBU payload of ${size.value} bytes exceeds the ${obu.length - start} bytes left`);
  return obu.subarray(start, start + size.value);
}

export interface Av1SequenceHeader {
  profile: number;
  /** seq_level_idx[0] (the level of operating point 0: 8 is level 4.0). */
  level: number;
  tier: number;
  bitDepth: 8 | 10 | 12;
  monochrome: boolean;
  chromaSubsamplingX: number;
  chromaSubsamplingY: number;
  chromaSamplePosition: number;
  colorPrimaries: number;
  transferCharacteristics: number;
  matrixCoefficients: number;
  fullRange: boolean;
  /** max_frame_width_minus_1 + 1. */
  width: number;
  height: number;
  reducedStillPictureHeader: boolean;
}

/** The sequence header OBU's fields (§5.5). Throws, naming what is truncated. */
export function parseAv1SequenceHeader(obu: Buffer): Av1SequenceHeader {
  if (obu.length === 0 || obuType(obu[0]) !== ObuType.sequenceHeader) throw new Error(`not a sequence header OBU (obu_type ${obu.length ? obuType(obu[0]) : 'none'})`);
  const r = new Bits(obuPayload(obu), 'AV1 sequence header');
  const profile = r.f(3);
  r.f(1); // still_picture
  const reducedStillPictureHeader = r.flag();
  let level: number;
  let tier = 0;
  if (reducedStillPictureHeader) {
    level = r.f(5);
  } else {
    let decoderModelInfoPresent = false;
    let bufferDelayLength = 0;
    if (r.flag()) {
      // timing_info() (§5.5.3)
      r.f(32); // num_units_in_display_tick
      r.f(32); // time_scale
      if (r.flag()) r.uvlc(); // equal_picture_interval → num_ticks_per_picture_minus_1
      decoderModelInfoPresent = r.flag();
      if (decoderModelInfoPresent) {
        // decoder_model_info() (§5.5.4)
        bufferDelayLength = r.f(5) + 1;
        r.f(32); // num_units_in_decoding_tick
        r.f(5); // buffer_removal_time_length_minus_1
        r.f(5); // frame_presentation_time_length_minus_1
      }
    }
    const initialDisplayDelayPresent = r.flag();
    const operatingPoints = r.f(5) + 1;
    level = 0;
    for (let i = 0; i < operatingPoints; i++) {
      r.f(12); // operating_point_idc
      const seqLevelIdx = r.f(5);
      const seqTier = seqLevelIdx > 7 ? r.f(1) : 0;
      if (i === 0) [level, tier] = [seqLevelIdx, seqTier];
      if (decoderModelInfoPresent && r.flag()) {
        // operating_parameters_info() (§5.5.5)
        r.f(bufferDelayLength); // decoder_buffer_delay
        r.f(bufferDelayLength); // encoder_buffer_delay
        r.f(1); // low_delay_mode_flag
      }
      if (initialDisplayDelayPresent && r.flag()) r.f(4); // initial_display_delay_minus_1
    }
  }
  const widthBits = r.f(4) + 1;
  const heightBits = r.f(4) + 1;
  const width = r.f(widthBits) + 1;
  const height = r.f(heightBits) + 1;
  if (!reducedStillPictureHeader && r.flag()) {
    r.f(4); // delta_frame_id_length_minus_2
    r.f(3); // additional_frame_id_length_minus_1
  }
  r.f(3); // use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
  if (!reducedStillPictureHeader) {
    r.f(4); // enable_interintra_compound, enable_masked_compound, enable_warped_motion, enable_dual_filter
    const enableOrderHint = r.flag();
    if (enableOrderHint) r.f(2); // enable_jnt_comp, enable_ref_frame_mvs
    const chooseScreenContentTools = r.flag();
    const forceScreenContentTools = chooseScreenContentTools ? 2 : r.f(1);
    if (forceScreenContentTools > 0 && !r.flag()) r.f(1); // seq_choose_integer_mv, else seq_force_integer_mv
    if (enableOrderHint) r.f(3); // order_hint_bits_minus_1
  }
  r.f(3); // enable_superres, enable_cdef, enable_restoration
  return { profile, level, tier, width, height, reducedStillPictureHeader, ...colorConfig(r, profile) };
}

const CP_BT_709 = 1;
const TC_SRGB = 13;
const MC_IDENTITY = 0;
const UNSPECIFIED = 2;
const CSP_UNKNOWN = 0;

type ColorConfig = Pick<
  Av1SequenceHeader,
  'bitDepth' | 'monochrome' | 'chromaSubsamplingX' | 'chromaSubsamplingY' | 'chromaSamplePosition' | 'colorPrimaries' | 'transferCharacteristics' | 'matrixCoefficients' | 'fullRange'
>;

/** color_config() (§5.5.2). */
function colorConfig(r: Bits, profile: number): ColorConfig {
  const highBitdepth = r.flag();
  const bitDepth = profile === 2 && highBitdepth ? (r.flag() ? 12 : 10) : highBitdepth ? 10 : 8;
  const monochrome = profile === 1 ? false : r.flag();
  let [colorPrimaries, transferCharacteristics, matrixCoefficients] = [UNSPECIFIED, UNSPECIFIED, UNSPECIFIED];
  if (r.flag()) [colorPrimaries, transferCharacteristics, matrixCoefficients] = [r.f(8), r.f(8), r.f(8)];
  const colors = { colorPrimaries, transferCharacteristics, matrixCoefficients };
  if (monochrome) {
    return { bitDepth, monochrome, fullRange: r.flag(), chromaSubsamplingX: 1, chromaSubsamplingY: 1, chromaSamplePosition: CSP_UNKNOWN, ...colors };
  }
  if (colorPrimaries === CP_BT_709 && transferCharacteristics === TC_SRGB && matrixCoefficients === MC_IDENTITY) {
    return { bitDepth, monochrome, fullRange: true, chromaSubsamplingX: 0, chromaSubsamplingY: 0, chromaSamplePosition: CSP_UNKNOWN, ...colors };
  }
  const fullRange = r.flag();
  let [x, y] = [1, 1];
  if (profile === 1) [x, y] = [0, 0];
  else if (profile > 1) {
    if (bitDepth === 12) {
      x = r.f(1);
      y = x ? r.f(1) : 0;
    } else [x, y] = [1, 0];
  }
  const chromaSamplePosition = x && y ? r.f(2) : CSP_UNKNOWN;
  return { bitDepth, monochrome, fullRange, chromaSubsamplingX: x, chromaSubsamplingY: y, chromaSamplePosition, ...colors };
}

/** The first sequence header OBU of a temporal unit (low-overhead format), undefined without one or when malformed. */
export function findSequenceHeader(temporalUnit: Buffer): Buffer | undefined {
  try {
    return splitObus(temporalUnit).find((o) => o.type === ObuType.sequenceHeader)?.obu;
  } catch {
    return undefined;
  }
}

/**
 * A temporal unit that starts a coded video sequence: it carries a sequence header and its first frame is
 * a KEY_FRAME (uncompressed_header(), §5.9.2: show_existing_frame f(1), frame_type f(2), 0 = KEY_FRAME;
 * a reduced still picture header is always a key frame).
 */
export function av1IsKeyframe(temporalUnit: Buffer): boolean {
  try {
    const obus = splitObus(temporalUnit);
    const sequenceHeader = obus.find((o) => o.type === ObuType.sequenceHeader);
    if (!sequenceHeader) return false;
    const frame = obus.find((o) => o.type === ObuType.frameHeader || o.type === ObuType.frame);
    if (!frame) return false;
    if (parseAv1SequenceHeader(sequenceHeader.obu).reducedStillPictureHeader) return true;
    const r = new Bits(frame.payload, 'AV1 frame header');
    return !r.flag() && r.f(2) === 0;
  } catch {
    return false;
  }
}

//  AV1CodecConfigurationRecord (AV1-ISOBMFF §2.3.3):
//  +-+-------------+-----+---------+-+-+-+-+-+-+---+-----+-+-------+
//  |M|  version=1  |prof | level_0 |T|H|W|m|X|Y|CSP|  0  |P|   0   |   M marker=1, T tier, H high_bitdepth,
//  +-+-------------+-----+---------+-+-+-+-+-+-+---+-----+-+-------+   W twelve_bit, m monochrome,
//  | configOBUs: the sequence header OBU, with its size field      |   X/Y chroma_subsampling, P
//  +---------------------------------------------------------------+   initial_presentation_delay_present=0
const AV1C_MARKER_VERSION = 0x81;

/** The record for a sequence header OBU; configOBUs is that OBU with obu_has_size_field set. Throws if it does not parse. */
export function av1CodecConfigurationRecord(sequenceHeaderObu: Buffer): Buffer {
  const s = parseAv1SequenceHeader(sequenceHeaderObu);
  const header = Buffer.from([
    AV1C_MARKER_VERSION,
    (s.profile << 5) | s.level,
    (s.tier << 7) |
      (Number(s.bitDepth > 8) << 6) |
      (Number(s.bitDepth === 12) << 5) |
      (Number(s.monochrome) << 4) |
      (s.chromaSubsamplingX << 3) |
      (s.chromaSubsamplingY << 2) |
      s.chromaSamplePosition,
    0,
  ]);
  return Buffer.concat([header, withSizeField(sequenceHeaderObu)]);
}

/** An OBU in the low-overhead format: the same header with obu_has_size_field set and leb128 obu_size. */
export function withSizeField(obu: Buffer): Buffer {
  if (obu[0] & OBU_HAS_SIZE_FIELD) return obu;
  const headerSize = obu[0] & OBU_EXTENSION_FLAG ? 2 : 1;
  const payload = obu.subarray(headerSize);
  const header = Buffer.from(obu.subarray(0, headerSize));
  header[0] |= OBU_HAS_SIZE_FIELD;
  return Buffer.concat([header, writeLeb128(payload.length), payload]);
}
