// ITU-T H.264 (08/2021) — Advanced video coding: NAL units, sequence parameter sets (§7.3.2.1.1), and
// ISO/IEC 14496-15 §5.2.4.1 — AVCDecoderConfigurationRecord (how FLV and MP4 carry SPS/PPS).
import type { H264Params } from '../media.js';
import { Bits } from './bits.js';

/** nal_unit_type values (H.264 Table 7-1). */
export const NalUnitType = {
  slice: 1,
  sliceDataA: 2,
  sliceDataB: 3,
  sliceDataC: 4,
  idrSlice: 5,
  sei: 6,
  sps: 7,
  pps: 8,
  aud: 9,
  endOfSequence: 10,
  endOfStream: 11,
  filler: 12,
} as const;

/** profile_idc values whose SPS carries chroma_format_idc and friends (H.264 §7.3.2.1.1). */
const HIGH_PROFILES: ReadonlySet<number> = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

const EXTENDED_SAR = 255; // aspect_ratio_idc Extended_SAR (Table E-1)
/** Largest exp-Golomb prefix we accept: a 32-bit ue(v) has at most 31 leading zeros. */
const MAX_GOLOMB_ZEROS = 31;
/** Picture size bound (H.264 level 6.2 allows 139264 macroblocks; 16384 px a side is plenty). */
const MAX_DIMENSION = 16384;

//  NAL unit header (§7.3.1):
//  +---------------+
//  |0|1|2|3|4|5|6|7|
//  +-+-+-+-+-+-+-+-+
//  |F|NRI|  Type   |
//  +---------------+
export function nalType(nalu: Buffer): number {
  if (nalu.length === 0) throw new Error('NAL unit is empty, expected at least the 1-byte header');
  return nalu[0] & 0x1f;
}

/** Splits an Annex B byte stream (00 00 01 / 00 00 00 01 start codes, §B.1) into NAL units. */
export function splitAnnexB(data: Buffer): Buffer[] {
  const starts: { at: number; payload: number }[] = [];
  for (let i = 0; i + 2 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      starts.push({ at: i > 0 && data[i - 1] === 0 ? i - 1 : i, payload: i + 3 });
      i += 2;
    }
  }
  const nalus: Buffer[] = [];
  for (let k = 0; k < starts.length; k++) {
    const end = k + 1 < starts.length ? starts[k + 1].at : data.length;
    let stop = end;
    while (stop > starts[k].payload && data[stop - 1] === 0) stop--; // trailing_zero_8bits
    if (stop > starts[k].payload) nalus.push(data.subarray(starts[k].payload, stop));
  }
  return nalus;
}

/** Removes emulation_prevention_three_byte (00 00 03 → 00 00, §7.4.1) to get the RBSP. */
export function removeEmulationPrevention(nalu: Buffer): Buffer {
  const out = Buffer.alloc(nalu.length);
  let n = 0;
  let zeros = 0;
  for (let i = 0; i < nalu.length; i++) {
    const byte = nalu[i];
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
    out[n++] = byte;
  }
  return out.subarray(0, n);
}

/** MSB-first bit reader with exp-Golomb codes (§9.1) over an RBSP. */
export class BitReader extends Bits {
  constructor(data: Buffer) {
    super(data, 'SPS');
  }

  /** u(n), §7.2. */
  u(bits: number): number {
    return this.f(bits);
  }

  /** ue(v), §9.1. */
  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) {
      zeros++;
      if (zeros > MAX_GOLOMB_ZEROS) throw new Error(`exp-Golomb prefix of ${zeros} zeros exceeds ${MAX_GOLOMB_ZEROS}`);
    }
    return 2 ** zeros - 1 + this.u(zeros);
  }

  /** se(v), §9.1.1. */
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }
}

export interface SpsInfo {
  profile: number;
  compatibility: number;
  level: number;
  spsId: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  width: number;
  height: number;
  frameMbsOnly: boolean;
  /** Frames per second from VUI timing (time_scale / (2 × num_units_in_tick)), when present. */
  fps?: number;
}

/** scaling_list() (§7.3.2.1.1.1): only read to get past it. */
function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

//  seq_parameter_set_data() (§7.3.2.1.1), after the NAL header:
//  profile_idc u(8) | constraint_set0..5 + reserved u(8) | level_idc u(8) | seq_parameter_set_id ue(v)
//  [high profiles: chroma_format_idc ue, (separate_colour_plane u1), bit depths ue ue, bypass u1,
//   seq_scaling_matrix_present u1 → scaling lists]
//  log2_max_frame_num_minus4 ue | pic_order_cnt_type ue → ... | max_num_ref_frames ue | gaps u1
//  pic_width_in_mbs_minus1 ue | pic_height_in_map_units_minus1 ue | frame_mbs_only u1 | (mbaff u1)
//  direct_8x8 u1 | frame_cropping u1 → 4 × ue | vui_parameters_present u1 → vui_parameters()
export function parseSps(nalu: Buffer): SpsInfo {
  if (nalu.length < 4) throw new Error(`SPS is ${nalu.length} bytes, expected at least 4`);
  if (nalType(nalu) !== NalUnitType.sps) throw new Error(`NAL type ${nalType(nalu)} is not an SPS (${NalUnitType.sps})`);
  const r = new BitReader(removeEmulationPrevention(nalu.subarray(1)));
  const profile = r.u(8);
  const compatibility = r.u(8);
  const level = r.u(8);
  const spsId = r.ue();
  if (spsId > 31) throw new Error(`seq_parameter_set_id ${spsId} exceeds 31`);
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profile)) {
    chromaFormatIdc = r.ue();
    if (chromaFormatIdc > 3) throw new Error(`chroma_format_idc ${chromaFormatIdc} exceeds 3`);
    if (chromaFormatIdc === 3) separateColourPlane = r.flag();
    bitDepthLuma = r.ue() + 8;
    bitDepthChroma = r.ue() + 8;
    r.flag(); // qpprime_y_zero_transform_bypass_flag
    if (r.flag()) {
      // seq_scaling_matrix_present_flag: 6 lists of 16, then 2 (or 6 for 4:4:4) of 64
      const lists = chromaFormatIdc === 3 ? 12 : 8;
      for (let i = 0; i < lists; i++) if (r.flag()) skipScalingList(r, i < 6 ? 16 : 64);
    }
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) {
    r.ue(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (pocType === 1) {
    r.flag(); // delta_pic_order_always_zero_flag
    r.se(); // offset_for_non_ref_pic
    r.se(); // offset_for_top_to_bottom_field
    const cycle = r.ue();
    if (cycle > 255) throw new Error(`num_ref_frames_in_pic_order_cnt_cycle ${cycle} exceeds 255`);
    for (let i = 0; i < cycle; i++) r.se();
  } else if (pocType !== 2) {
    throw new Error(`pic_order_cnt_type ${pocType} exceeds 2`);
  }
  r.ue(); // max_num_ref_frames
  r.flag(); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.ue() + 1;
  const heightMapUnits = r.ue() + 1;
  const frameMbsOnly = r.flag();
  if (!frameMbsOnly) r.flag(); // mb_adaptive_frame_field_flag
  r.flag(); // direct_8x8_inference_flag
  let crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (r.flag()) crop = { left: r.ue(), right: r.ue(), top: r.ue(), bottom: r.ue() };
  // Crop units (§7.4.2.1.1, Table 6-1): ChromaArrayType 0 → 1×(2 − frame_mbs_only); else SubWidthC/SubHeightC.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2);
  const width = widthMbs * 16 - cropUnitX * (crop.left + crop.right);
  const height = heightMapUnits * 16 * (frameMbsOnly ? 1 : 2) - cropUnitY * (crop.top + crop.bottom);
  if (width <= 0 || height <= 0 || width > MAX_DIMENSION || height > MAX_DIMENSION) {
    throw new Error(`SPS picture size ${width}x${height} is outside 1..${MAX_DIMENSION}`);
  }
  const info: SpsInfo = { profile, compatibility, level, spsId, chromaFormatIdc, bitDepthLuma, bitDepthChroma, width, height, frameMbsOnly };
  if (r.bitsLeft > 0 && r.flag()) {
    const fps = parseVuiTiming(r);
    if (fps !== undefined) info.fps = fps;
  }
  return info;
}

//  vui_parameters() (§E.1.1) up to timing_info: aspect_ratio_info, overscan_info, video_signal_type,
//  chroma_loc_info, then timing_info_present_flag u1, num_units_in_tick u32, time_scale u32, fixed u1.
function parseVuiTiming(r: BitReader): number | undefined {
  if (r.flag() && r.u(8) === EXTENDED_SAR) r.u(32); // sar_width, sar_height
  if (r.flag()) r.flag(); // overscan_appropriate_flag
  if (r.flag()) {
    r.u(4); // video_format, video_full_range_flag
    if (r.flag()) r.u(24); // colour_primaries, transfer_characteristics, matrix_coefficients
  }
  if (r.flag()) {
    r.ue(); // chroma_sample_loc_type_top_field
    r.ue(); // chroma_sample_loc_type_bottom_field
  }
  if (!r.flag()) return undefined;
  const unitsInTick = r.u(32);
  const timeScale = r.u(32);
  if (unitsInTick === 0 || timeScale === 0) return undefined;
  return timeScale / (2 * unitsInTick);
}

/** The H264Params of media.ts from one SPS and one PPS. */
export function h264Params(sps: Buffer, pps: Buffer): H264Params {
  const info = parseSps(sps);
  if (pps.length === 0 || nalType(pps) !== NalUnitType.pps) throw new Error(`PPS NAL type ${pps.length ? nalType(pps) : 'none'} is not ${NalUnitType.pps}`);
  return { sps, pps, width: info.width, height: info.height, profile: info.profile, compatibility: info.compatibility, level: info.level };
}

export interface AvcDecoderConfigurationRecord {
  profile: number;
  compatibility: number;
  level: number;
  /** NAL unit length field size in bytes, 1, 2 or 4. */
  lengthSize: number;
  sps: Buffer[];
  pps: Buffer[];
}

/** configurationVersion of the AVCDecoderConfigurationRecord. */
export const AVC_CONFIG_VERSION = 1;

//  AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.2.4.1.1):
//  configurationVersion u8 (=1) | AVCProfileIndication u8 | profile_compatibility u8 | AVCLevelIndication u8
//  reserved '111111'b + lengthSizeMinusOne u2
//  reserved '111'b + numOfSequenceParameterSets u5 | { u16 length, SPS bytes } × n
//  numOfPictureParameterSets u8                       | { u16 length, PPS bytes } × n
//  (high profiles may append chroma_format etc.; ignored here)
export function parseAvcDecoderConfigurationRecord(data: Buffer): AvcDecoderConfigurationRecord {
  if (data.length < 7) throw new Error(`AVCDecoderConfigurationRecord is ${data.length} bytes, expected at least 7`);
  if (data[0] !== AVC_CONFIG_VERSION) throw new Error(`AVCDecoderConfigurationRecord version ${data[0]} is not ${AVC_CONFIG_VERSION}`);
  const lengthSize = (data[4] & 0x03) + 1;
  if (lengthSize === 3) throw new Error('NAL length size 3 is not allowed (1, 2 or 4)');
  let at = 6; // after the SPS count byte
  const readSets = (count: number, what: string): Buffer[] => {
    const sets: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      if (at + 2 > data.length) throw new Error(`${what} ${i} length field past the record's end (${data.length} bytes)`);
      const len = data.readUInt16BE(at);
      at += 2;
      if (at + len > data.length) throw new Error(`${what} ${i} length ${len} exceeds the record (${data.length - at} bytes left)`);
      sets.push(data.subarray(at, at + len));
      at += len;
    }
    return sets;
  };
  const sps = readSets(data[5] & 0x1f, 'SPS');
  if (at >= data.length) throw new Error('AVCDecoderConfigurationRecord ends before the PPS count');
  const ppsCount = data[at++];
  const pps = readSets(ppsCount, 'PPS');
  return { profile: data[1], compatibility: data[2], level: data[3], lengthSize, sps, pps };
}

/** Builds the record from one SPS and one PPS with 4-byte NAL lengths (what FLV encoders send). */
export function buildAvcDecoderConfigurationRecord(sps: Buffer, pps: Buffer): Buffer {
  if (sps.length < 4) throw new Error(`SPS is ${sps.length} bytes, expected at least 4`);
  const LENGTH_SIZE_MINUS_ONE = 3;
  return Buffer.concat([
    Buffer.from([AVC_CONFIG_VERSION, sps[1], sps[2], sps[3], 0xfc | LENGTH_SIZE_MINUS_ONE, 0xe0 | 1]),
    u16(sps.length),
    sps,
    Buffer.from([1]),
    u16(pps.length),
    pps,
  ]);
}

/** Splits length-prefixed NAL units (AVCC, as in FLV video tags) of the given length size. */
export function splitLengthPrefixed(data: Buffer, lengthSize: number): Buffer[] {
  if (![1, 2, 4].includes(lengthSize)) throw new Error(`naluLengthSize must be 1, 2 or 4, got ${lengthSize}`);
  const nalus: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    if (at + lengthSize > data.length) throw new Error(`NAL length field at ${at} runs past the ${data.length}-byte buffer`);
    const len = data.readUIntBE(at, lengthSize);
    at += lengthSize;
    if (at + len > data.length) throw new Error(`NAL length ${len} exceeds buffer (${data.length - at} bytes left)`);
    nalus.push(data.subarray(at, at + len));
    at += len;
  }
  return nalus;
}

function u16(n: number): Buffer {
  if (n > 0xffff) throw new Error(`parameter set length ${n} exceeds 65535`);
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
