// The boxes of a plain (non-fragmented) MP4 around its sample tables: ftyp, and moov with mvhd and one trak
// per track (ISO/IEC 14496-12 §8.2–8.7, §12.1–12.2), the sample entries of AV1 (av01 + av1C, AV1 Codec ISO
// Media File Format Binding §2.2–2.3), VP9 (vp09 + vpcC, VP Codec ISO Media File Format Binding) and AAC
// (mp4a + esds, ISO/IEC 14496-14 §5.6 with the ES_Descriptor of ISO/IEC 14496-1 §7.2.6.5). Pure, no I/O.
import { box, fullBox, u16, u32, u64, u8, UNITY_MATRIX, zeros } from './boxes.js';
import type { TrackSamples } from './samples.js';

/** The movie timescale: ms, as the FLV's times. */
export const MOVIE_TIMESCALE = 1000;
/** mdhd language: ISO 639-2/T 'und' packed as three 5-bit letters (§8.4.2.3). */
const LANGUAGE_UND = 0x55c4;
const SELF_CONTAINED = 0x000001;
/** tkhd flags: track_enabled | track_in_movie. */
const TRACK_ENABLED_IN_MOVIE = 0x000003;
const DATA_REFERENCE_INDEX = 1;

//  ftyp (§4.3): major_brand 4cc | minor_version u32 | compatible_brands 4cc*
export function ftyp(major: string, minor: number, compatible: string[]): Buffer {
  return box('ftyp', Buffer.from(major, 'latin1'), u32(minor), ...compatible.map((b) => Buffer.from(b, 'latin1')));
}

//  SampleEntry (§8.5.2.2): reserved u8[6] = 0 | data_reference_index u16
function sampleEntryHead(): Buffer {
  return Buffer.concat([zeros(6), u16(DATA_REFERENCE_INDEX)]);
}

//  VisualSampleEntry (§12.1.3.2): SampleEntry | pre_defined u16, reserved u16, pre_defined u32[3] | width u16 |
//  height u16 | horizresolution u32 = 72 dpi (16.16) | vertresolution u32 | reserved u32 | frame_count u16 = 1 |
//  compressorname (a length byte, the name, zeros to 32 bytes) | depth u16 = 0x0018 | pre_defined i16 = -1
function visualSampleEntry(type: string, width: number, height: number, compressor: string, config: Buffer): Buffer {
  if (width < 1 || width > 0xffff || height < 1 || height > 0xffff) throw new Error(`picture size ${width}x${height} is outside 1–65535`);
  const name = zeros(32);
  name[0] = name.write(compressor.slice(0, 31), 1, 'latin1');
  return box(
    type,
    sampleEntryHead(),
    zeros(16),
    u16(width),
    u16(height),
    u32(0x00480000),
    u32(0x00480000),
    u32(0),
    u16(1),
    name,
    u16(0x0018),
    u16(0xffff),
    config,
  );
}

/** av01 with av1C (AV1-ISOBMFF §2.3: a Box, not a FullBox, whose body is the AV1CodecConfigurationRecord). */
export function av01SampleEntry(av1CodecConfigurationRecord: Buffer, width: number, height: number): Buffer {
  return visualSampleEntry('av01', width, height, 'AOM Coding', box('av1C', av1CodecConfigurationRecord));
}

/**
 * vp09 with vpcC, a FullBox version 1, flags 0, holding the VPCodecConfigurationRecord. `record` is the
 * record alone (8 bytes + codec initialization data) or, as Enhanced RTMP's vp09 SequenceStart carries it
 * (ffmpeg's form), with the version and flags in front.
 */
export function vp09SampleEntry(record: Buffer, width: number, height: number): Buffer {
  const body = record.length >= 12 && record[0] === 1 && record.readUIntBE(1, 3) === 0 ? record.subarray(4) : record;
  if (body.length < 8) throw new Error(`VPCodecConfigurationRecord of ${body.length} bytes, expected at least 8`);
  return visualSampleEntry('vp09', width, height, 'VPC Coding', fullBox('vpcC', 1, 0, body));
}

//  BaseDescriptor (14496-1 §8.3.3): tag u8 | sizeOfInstance as 7-bit groups, the high bit "more follows"
function descriptor(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const size: number[] = [body.length & 0x7f];
  for (let rest = body.length >> 7; rest > 0; rest >>= 7) size.unshift(0x80 | (rest & 0x7f));
  return Buffer.concat([u8(tag), Buffer.from(size), body]);
}

const ES_DESCRIPTOR = 0x03;
const DECODER_CONFIG_DESCRIPTOR = 0x04;
const DECODER_SPECIFIC_INFO = 0x05;
const SL_CONFIG_DESCRIPTOR = 0x06;
/** objectTypeIndication of MPEG-4 Audio (14496-1 Table 5). */
const OBJECT_TYPE_MPEG4_AUDIO = 0x40;
/** streamType 5 (AudioStream) << 2 | upStream 0 << 1 | reserved 1. */
const AUDIO_STREAM = 0x15;
/** SLConfigDescriptor predefined = 2: reserved for MP4 files. */
const SL_PREDEFINED_MP4 = 0x02;

//  mp4a (AudioSampleEntry, §12.2.3.2): SampleEntry | reserved u32[2] | channelcount u16 | samplesize u16 = 16 |
//  pre_defined u16 | reserved u16 | samplerate u32 (16.16) | esds: FullBox v0 | ES_Descriptor { ES_ID u16,
//  flags u8, DecoderConfigDescriptor { objectTypeIndication, streamType, bufferSizeDB u24, maxBitrate u32,
//  avgBitrate u32, DecoderSpecificInfo = AudioSpecificConfig }, SLConfigDescriptor { predefined } }
export function mp4aSampleEntry(audioSpecificConfig: Buffer, channels: number, sampleRate: number, trackId: number, bitrate: number): Buffer {
  const decoderConfig = descriptor(
    DECODER_CONFIG_DESCRIPTOR,
    u8(OBJECT_TYPE_MPEG4_AUDIO),
    u8(AUDIO_STREAM),
    zeros(3),
    u32(bitrate),
    u32(bitrate),
    descriptor(DECODER_SPECIFIC_INFO, audioSpecificConfig),
  );
  const es = descriptor(ES_DESCRIPTOR, u16(trackId), u8(0), decoderConfig, descriptor(SL_CONFIG_DESCRIPTOR, u8(SL_PREDEFINED_MP4)));
  const rate = sampleRate <= 0xffff ? sampleRate * 0x10000 : 0;
  return box('mp4a', sampleEntryHead(), zeros(8), u16(channels), u16(16), u16(0), u16(0), u32(rate), fullBox('esds', 0, 0, es));
}

export interface TrackInput {
  id: number;
  kind: 'video' | 'audio';
  samples: TrackSamples;
  /** The stsd's one sample entry. */
  sampleEntry: Buffer;
  width?: number;
  height?: number;
  /** Where the track's first sample starts on the movie's timeline, in ms (the empty edit before it). */
  startMs: number;
}

function toMovieTime(value: number, timescale: number): number {
  return Math.round((value * MOVIE_TIMESCALE) / timescale);
}

function trackDurationMs(track: TrackInput): number {
  return track.startMs + toMovieTime(track.samples.duration, track.samples.timescale);
}

/** The movie's duration in ms: its longest track's, edits included. */
export function movieDurationMs(tracks: TrackInput[]): number {
  return Math.max(0, ...tracks.map(trackDurationMs));
}

//  mvhd v0 (§8.2.2): creation u32 | modification u32 | timescale u32 | duration u32 | rate 16.16 |
//  volume 8.8 | reserved u16, u32[2] | matrix | pre_defined u32[6] | next_track_ID u32
function mvhd(durationMs: number, nextTrackId: number): Buffer {
  return fullBox('mvhd', 0, 0, u32(0), u32(0), u32(MOVIE_TIMESCALE), u32(durationMs), u32(0x00010000), u16(0x0100), zeros(10), UNITY_MATRIX, zeros(24), u32(nextTrackId));
}

//  tkhd v0 (§8.3.2): creation u32 | modification u32 | track_ID u32 | reserved u32 | duration u32 |
//  reserved u32[2] | layer i16 | alternate_group i16 | volume 8.8 | reserved u16 | matrix | width 16.16 | height 16.16
function tkhd(track: TrackInput): Buffer {
  const audio = track.kind === 'audio';
  return fullBox(
    'tkhd',
    0,
    TRACK_ENABLED_IN_MOVIE,
    u32(0),
    u32(0),
    u32(track.id),
    u32(0),
    u32(trackDurationMs(track)),
    zeros(8),
    u16(0),
    u16(audio ? 1 : 0),
    u16(audio ? 0x0100 : 0),
    u16(0),
    UNITY_MATRIX,
    u32((track.width ?? 0) * 0x10000),
    u32((track.height ?? 0) * 0x10000),
  );
}

//  elst v0 (§8.6.6): entry_count u32 | { segment_duration u32, media_time i32 (-1: empty), rate i16.i16 }*
//  An empty edit as long as the track starts late, then the whole media: the track starts where the FLV put it.
function edts(track: TrackInput): Buffer | undefined {
  if (track.startMs <= 0) return undefined;
  const mediaMs = toMovieTime(track.samples.duration, track.samples.timescale);
  const empty = Buffer.concat([u32(track.startMs), u32(0xffffffff), u16(1), u16(0)]);
  const media = Buffer.concat([u32(mediaMs), u32(0), u16(1), u16(0)]);
  return box('edts', fullBox('elst', 0, 0, u32(2), empty, media));
}

//  mdhd (§8.4.2): v0 creation u32 | modification u32 | timescale u32 | duration u32; v1 the times and the
//  duration u64 | language (pad 1 + 3×5 bits) | pre_defined u16
function mdhd(samples: TrackSamples): Buffer {
  const tail = Buffer.concat([u16(LANGUAGE_UND), u16(0)]);
  if (samples.duration <= 0xffffffff) return fullBox('mdhd', 0, 0, u32(0), u32(0), u32(samples.timescale), u32(samples.duration), tail);
  return fullBox('mdhd', 1, 0, u64(0), u64(0), u32(samples.timescale), u64(samples.duration), tail);
}

//  hdlr (§8.4.3): pre_defined u32 | handler_type 4cc | reserved u32[3] | name (UTF-8, null-terminated)
function hdlr(kind: 'video' | 'audio'): Buffer {
  const [type, name] = kind === 'video' ? ['vide', 'VideoHandler'] : ['soun', 'SoundHandler'];
  return fullBox('hdlr', 0, 0, u32(0), Buffer.from(type, 'latin1'), zeros(12), Buffer.from(`${name}\0`, 'utf8'));
}

//  vmhd (§12.1.2): FullBox flags 1 | graphicsmode u16 | opcolor u16[3]; smhd (§12.2.2): balance i16 | reserved u16;
//  dinf/dref (§8.7.2): entry_count 1 | 'url ' with flags 1 (the media is in this file)
function minf(track: TrackInput, base: number, co64: boolean): Buffer {
  const header = track.kind === 'video' ? fullBox('vmhd', 0, 1, zeros(8)) : fullBox('smhd', 0, 0, zeros(4));
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, SELF_CONTAINED)));
  const stsd = fullBox('stsd', 0, 0, u32(1), track.sampleEntry);
  return box('minf', header, dinf, track.samples.stbl(stsd, base, co64));
}

function trak(track: TrackInput, base: number, co64: boolean): Buffer {
  const edit = edts(track);
  return box('trak', tkhd(track), ...(edit ? [edit] : []), box('mdia', mdhd(track.samples), hdlr(track.kind), minf(track, base, co64)));
}

/** The moov, its chunk offsets moved by `base` (where the mdat body starts in the file). */
export function moov(tracks: TrackInput[], base: number, co64: boolean): Buffer {
  const nextId = Math.max(0, ...tracks.map((t) => t.id)) + 1;
  return box('moov', mvhd(movieDurationMs(tracks), nextId), ...tracks.map((t) => trak(t, base, co64)));
}
