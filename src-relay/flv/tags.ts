// Adobe Flash Video File Format Specification v10.1, Annex E — the bodies of FLV tags (the bytes RTMP
// carries in audio/video messages and an FLV file wraps in tag headers). Pure functions, no I/O.
import type { AudioCodec, AudioFrame, H264Frame, H264Params } from '../media.js';
import { buildAvcDecoderConfigurationRecord, nalType, NalUnitType } from '../codec/h264.js';

/** TagType (Annex E.4.1). */
export const TagType = { audio: 8, video: 9, script: 18 } as const;

/** FrameType, the high nibble of a VIDEODATA's first byte (E.4.3.1). */
export const FrameType = { keyframe: 1, inter: 2, disposable: 3, generated: 4, command: 5 } as const;

/** CodecID, the low nibble of a VIDEODATA's first byte (E.4.3.1). */
export const VideoCodecId = { h263: 2, screen: 3, vp6: 4, vp6Alpha: 5, screen2: 6, avc: 7 } as const;

/** AVCPacketType (E.4.3.1). */
export const AvcPacketType = { sequenceHeader: 0, nalu: 1, endOfSequence: 2 } as const;

/** SoundFormat, the high nibble of an AUDIODATA's first byte (E.4.2.1). */
export const SoundFormat = { pcmPlatform: 0, adpcm: 1, mp3: 2, pcmLe: 3, g711Alaw: 7, g711Mulaw: 8, aac: 10, speex: 11 } as const;

/** AACPacketType (E.4.2.1). */
export const AacPacketType = { sequenceHeader: 0, raw: 1 } as const;

//  AUDIODATA first byte (E.4.2.1):
//  +-------------+-------+----+----+
//  | SoundFormat | Rate  |Size|Type|   Rate 0=5.5 1=11 2=22 3=44 kHz, Size 0=8 1=16 bit, Type 0=mono 1=stereo
//  |   4 bits    |2 bits | 1  | 1  |
//  +-------------+-------+----+----+
const SOUND_RATE_44K = 3;
const SOUND_RATE_SPECIAL = 0; // G.711 and Speex ignore the rate field; the spec asks for 0
const SOUND_SIZE_16 = 1;
const SOUND_STEREO = 1;
const SOUND_MONO = 0;

function soundByte(format: number, rate: number, size: number, type: number): number {
  return (format << 4) | (rate << 2) | (size << 1) | type;
}

/** The AUDIODATA flags byte each codec is sent with: what ffmpeg's FLV muxer writes and RTMP servers expect. */
export const SOUND_FLAGS: Readonly<Record<AudioCodec, number>> = {
  // "If the SoundFormat indicates AAC, the SoundType should be set to 1 (stereo) and the SoundRate should be
  // set to 3 (44 kHz)", whatever the real config: the AudioSpecificConfig says it.
  aac: soundByte(SoundFormat.aac, SOUND_RATE_44K, SOUND_SIZE_16, SOUND_STEREO), // 0xAF
  // G.711 at 8 kHz mono; the flags say 16-bit as encoders write them.
  pcma: soundByte(SoundFormat.g711Alaw, SOUND_RATE_SPECIAL, SOUND_SIZE_16, SOUND_MONO), // 0x72
  pcmu: soundByte(SoundFormat.g711Mulaw, SOUND_RATE_SPECIAL, SOUND_SIZE_16, SOUND_MONO), // 0x82
  // Speex is 16 kHz mono, "SoundRate 0, SoundSize 1, SoundType 0" (Flash Player writes 0xB2; ffmpeg's FLV
  // muxer writes 0xB6, and every demuxer ignores the rate bits for Speex).
  speex: soundByte(SoundFormat.speex, SOUND_RATE_SPECIAL, SOUND_SIZE_16, SOUND_MONO), // 0xB2
};

//  VIDEODATA for AVC (E.4.3.1 + AVCVIDEOPACKET):
//  +-----------+---------+----------------+--------------------------+------------------------------+
//  | FrameType | CodecID | AVCPacketType  | CompositionTime SI24 (ms)| data                         |
//  |  4 bits   | 4 bits  |      u8        |                          | 0: AVCDecoderConfigRecord    |
//  +-----------+---------+----------------+--------------------------+ 1: u32-length-prefixed NALUs |
const AVC_HEADER_SIZE = 5;

function avcHeader(frameType: number, packetType: number, cts: number): Buffer {
  if (!Number.isInteger(cts) || cts < -0x800000 || cts > 0x7fffff) throw new Error(`composition time ${cts} ms is outside the SI24 range ±8388607`);
  const header = Buffer.alloc(AVC_HEADER_SIZE);
  header[0] = (frameType << 4) | VideoCodecId.avc;
  header[1] = packetType;
  header.writeIntBE(cts, 2, 3);
  return header;
}

/** Sequence header: the AVCDecoderConfigurationRecord of the SPS/PPS (ISO/IEC 14496-15 §5.2.4.1). */
export function avcSequenceHeaderBody(params: H264Params): Buffer {
  return Buffer.concat([avcHeader(FrameType.keyframe, AvcPacketType.sequenceHeader, 0), buildAvcDecoderConfigurationRecord(params.sps, params.pps)]);
}

/** AVCDecoderConfigurationRecord lengthSizeMinusOne = 3: every NAL unit is prefixed by a u32 length. */
const NALU_LENGTH_SIZE = 4;

/** NAL types the sequence header already carries or that FLV must not repeat (AUD, SPS, PPS). */
const DROPPED_NAL_TYPES: ReadonlySet<number> = new Set([NalUnitType.aud, NalUnitType.sps, NalUnitType.pps]);

/** One access unit as AVCPacketType 1 with 4-byte NAL lengths; AUD/SPS/PPS are dropped. Built in one buffer. */
export function avcFrameBody(frame: H264Frame): Buffer {
  const header = avcHeader(frame.keyframe ? FrameType.keyframe : FrameType.inter, AvcPacketType.nalu, frame.cts);
  const kept = frame.nalus.filter((nalu) => nalu.length > 0 && !DROPPED_NAL_TYPES.has(nalType(nalu)));
  let size = header.length;
  for (const nalu of kept) size += NALU_LENGTH_SIZE + nalu.length;
  const body = Buffer.allocUnsafe(size);
  let at = header.copy(body, 0);
  for (const nalu of kept) {
    at = body.writeUInt32BE(nalu.length, at);
    at += nalu.copy(body, at);
  }
  return body;
}

export function avcEndOfSequenceBody(): Buffer {
  return avcHeader(FrameType.keyframe, AvcPacketType.endOfSequence, 0);
}

/** The AAC sequence header: AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1). */
export function aacSequenceHeaderBody(asc: Buffer): Buffer {
  return Buffer.concat([Buffer.from([SOUND_FLAGS.aac, AacPacketType.sequenceHeader]), asc]);
}

/** One raw AAC access unit (no ADTS header). */
export function aacFrameBody(raw: Buffer): Buffer {
  return Buffer.concat([Buffer.from([SOUND_FLAGS.aac, AacPacketType.raw]), raw]);
}

/** G.711 A-law (format 7) or µ-law (8) at 8 kHz mono. */
export function g711Body(law: 'pcma' | 'pcmu', data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([SOUND_FLAGS[law]]), data]);
}

/** Speex (format 11): always 16 kHz mono. */
export function speexBody(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([SOUND_FLAGS.speex]), data]);
}

/** The AUDIODATA body of one encoded frame, by its codec (AAC raw, G.711, Speex). */
export function audioFrameBody(frame: AudioFrame): Buffer {
  switch (frame.codec) {
    case 'aac':
      return aacFrameBody(frame.data);
    case 'pcma':
    case 'pcmu':
      return g711Body(frame.codec, frame.data);
    case 'speex':
      return speexBody(frame.data);
  }
}

const AUDIO_CODEC_IDS: Record<AudioCodec, number> = {
  aac: SoundFormat.aac,
  pcma: SoundFormat.g711Alaw,
  pcmu: SoundFormat.g711Mulaw,
  speex: SoundFormat.speex,
};

const AUDIO_RATES: Record<AudioCodec, number> = { aac: 48000, pcma: 8000, pcmu: 8000, speex: 16000 };

/** A metadata value (a subset of AMF0 values). */
export type MetaValue = number | boolean | string;

export interface MetaInput {
  width?: number;
  height?: number;
  /** Enhanced RTMP: the FourCC of the video codec (e.g. 'av01'), written as its UI32 value; AVC (7) when absent. */
  videoFourCc?: string;
  framerate?: number;
  audioCodec?: AudioCodec;
  /** Defaults to the codec's usual rate (AAC 48 kHz, G.711 8 kHz, Speex 16 kHz). */
  audioSampleRate?: number;
  stereo?: boolean;
  videoDataRateKbps?: number;
  audioDataRateKbps?: number;
  /** Program version for the `encoder` field. */
  version: string;
}

/** The onMetaData object (E.5, onMetaData) encoders send with `@setDataFrame`. */
export function onMetaData(meta: MetaInput): Record<string, MetaValue> {
  const out: Record<string, MetaValue> = {};
  if (meta.width !== undefined && meta.height !== undefined) {
    out.width = meta.width;
    out.height = meta.height;
    out.videocodecid = meta.videoFourCc ? Buffer.from(meta.videoFourCc, 'latin1').readUInt32BE(0) : VideoCodecId.avc;
  }
  if (meta.framerate !== undefined) out.framerate = meta.framerate;
  if (meta.videoDataRateKbps !== undefined) out.videodatarate = meta.videoDataRateKbps;
  if (meta.audioCodec !== undefined) {
    out.audiocodecid = AUDIO_CODEC_IDS[meta.audioCodec];
    out.audiosamplerate = meta.audioSampleRate ?? AUDIO_RATES[meta.audioCodec];
    out.audiosamplesize = 16;
    out.stereo = meta.stereo ?? meta.audioCodec === 'aac';
    if (meta.audioDataRateKbps !== undefined) out.audiodatarate = meta.audioDataRateKbps;
  }
  out.encoder = `Castbridge ${meta.version}`;
  return out;
}

/**
 * One audio or video tag to publish, as an RTMP audio (8) or video (9) message carries it (RTMP 1.0
 * §7.1.4–7.1.5): `time` in ms, `body` the tag body, and what a sender's congestion policy needs to know
 * of it without reading the body.
 */
export type FlvMediaTag =
  /** A sequence header is flagged `keyframe` (its FrameType is 1), though no picture follows from it alone. */
  | { kind: 'video'; time: number; body: Buffer; keyframe: boolean; sequenceHeader: boolean }
  | { kind: 'audio'; time: number; body: Buffer; sequenceHeader: boolean };

/**
 * The media tag of a tag body read from elsewhere (an FLV file), its flags read from its first bytes;
 * undefined for script data. Throws on an empty video body (videoTagInfo).
 */
export function mediaTag(type: number, time: number, body: Buffer): FlvMediaTag | undefined {
  if (type === TagType.video) {
    const { keyframe, sequenceHeader } = videoTagInfo(body);
    return { kind: 'video', time, body, keyframe, sequenceHeader };
  }
  if (type === TagType.audio) return { kind: 'audio', time, body, sequenceHeader: isAacSequenceHeader(body) };
  return undefined;
}

/** An AUDIODATA body holding the AAC AudioSpecificConfig (E.4.2.1: SoundFormat 10, AACPacketType 0). */
function isAacSequenceHeader(body: Buffer): boolean {
  return body.length > 1 && body[0] >> 4 === SoundFormat.aac && body[1] === AacPacketType.sequenceHeader;
}

const CODEC_BY_SOUND_FORMAT: Partial<Record<number, AudioCodec>> = {
  [SoundFormat.aac]: 'aac',
  [SoundFormat.g711Alaw]: 'pcma',
  [SoundFormat.g711Mulaw]: 'pcmu',
  [SoundFormat.speex]: 'speex',
};

export interface AudioTagInfo {
  soundFormat: number;
  /** The codec of the SoundFormat, when it is one the relay sends. */
  codec: AudioCodec | undefined;
  /** An AAC sequence header: the payload is the AudioSpecificConfig. */
  sequenceHeader: boolean;
  /** The codec data after the flags byte (and after AACPacketType for AAC): one frame, or the ASC. */
  payload: Buffer;
}

/**
 * What an AUDIODATA body says (E.4.2.1); undefined for a body too short to be one: empty, or AAC without its
 * AACPacketType byte. The payload is a view of the body.
 */
export function audioTagInfo(body: Buffer): AudioTagInfo | undefined {
  if (body.length === 0) return undefined;
  const soundFormat = body[0] >> 4;
  if (soundFormat === SoundFormat.aac) {
    if (body.length < 2) return undefined;
    return { soundFormat, codec: 'aac', sequenceHeader: body[1] === AacPacketType.sequenceHeader, payload: body.subarray(2) };
  }
  return { soundFormat, codec: CODEC_BY_SOUND_FORMAT[soundFormat], sequenceHeader: false, payload: body.subarray(1) };
}

/** The AVCDecoderConfigurationRecord an AVC sequence header carries (after its 5-byte header), else undefined. */
export function avcConfigurationRecord(body: Buffer): Buffer | undefined {
  if (body.length < AVC_HEADER_SIZE || !videoTagInfo(body).sequenceHeader) return undefined;
  return body.subarray(AVC_HEADER_SIZE);
}

/** Enhanced RTMP's IsExHeader bit of a VIDEODATA's first byte: FrameType is then 3 bits and PacketType follows. */
const EX_HEADER = 0x80;
const EX_SEQUENCE_START = 0;

/**
 * What the first byte(s) of a video body say. An Enhanced RTMP body (IsExHeader) reports codecId 0 and its
 * SequenceStart as the sequence header.
 */
export function videoTagInfo(body: Buffer): { keyframe: boolean; codecId: number; sequenceHeader: boolean } {
  if (body.length === 0) throw new Error('video tag body is empty, expected at least 1 byte');
  if (body[0] & EX_HEADER) {
    return { keyframe: ((body[0] >> 4) & 0x07) === FrameType.keyframe, codecId: 0, sequenceHeader: (body[0] & 0x0f) === EX_SEQUENCE_START };
  }
  const codecId = body[0] & 0x0f;
  return {
    keyframe: body[0] >> 4 === FrameType.keyframe,
    codecId,
    sequenceHeader: codecId === VideoCodecId.avc && body.length > 1 && body[1] === AvcPacketType.sequenceHeader,
  };
}
