// The one neutral media unit where WebRTC ingest and RTMP output meet (after node-media-server's
// core/avpacket.js): ingest turns RTP into these, transponders turn these into FLV tags. Neither side
// knows the other's packets.

/** H.264 parameter sets of the current video, with what the SPS says about the picture. */
export interface H264Params {
  /** SPS NAL unit, without start code. */
  sps: Buffer;
  /** PPS NAL unit, without start code. */
  pps: Buffer;
  width: number;
  height: number;
  /** profile_idc, constraint flags byte, level_idc: the three bytes after the SPS NAL header. */
  profile: number;
  compatibility: number;
  level: number;
}

/** Video codecs a publisher may send (the WebRTC ingest answer takes one of these). */
export type VideoCodec = 'h264' | 'vp8' | 'vp9' | 'av1';
export const VIDEO_CODECS: readonly VideoCodec[] = ['h264', 'vp8', 'vp9', 'av1'];

/** One H.264 access unit (one picture). */
export interface H264Frame {
  codec: 'h264';
  /** Decode time in milliseconds on the stream's clock (see streams.ts). */
  dts: number;
  /** Composition offset (pts − dts) in milliseconds; 0 for baseline streams. */
  cts: number;
  /** True for an IDR access unit. */
  keyframe: boolean;
  /** The NAL units of the picture, without start codes or length prefixes; SPS/PPS may be included. */
  nalus: Buffer[];
}

/**
 * One picture of a VP8, VP9 or AV1 stream: the VP8 frame, the VP9 frame or superframe, or the AV1 temporal
 * unit's OBUs (each with its size field, no temporal delimiter), as the RTP depacketizers emit them.
 */
export interface CodedFrame {
  codec: 'vp8' | 'vp9' | 'av1';
  /** Decode time in milliseconds on the stream's clock; these codecs have no reordering, so it is also the presentation time. */
  dts: number;
  cts: 0;
  /** A picture that decodes alone (VP8/VP9 key frame, AV1 key frame with its sequence header). */
  keyframe: boolean;
  data: Buffer;
}

export type VideoFrame = H264Frame | CodedFrame;

/**
 * What a consumer must know of a VP8, VP9 or AV1 stream before its first picture: the picture size and the
 * codec configuration record Enhanced RTMP and MP4 carry (AV1CodecConfigurationRecord, VPCodecConfigurationRecord;
 * empty for VP8, which is never sent without transcoding).
 */
export interface CodedVideoParams {
  codec: 'vp8' | 'vp9' | 'av1';
  width: number;
  height: number;
  record: Buffer;
}

/** The current video parameters of a layer: H.264 parameter sets, or another codec's configuration. */
export type VideoParams = H264Params | CodedVideoParams;

/** The codec of a layer's parameters. */
export function paramsCodec(params: VideoParams): VideoCodec {
  return 'codec' in params ? params.codec : 'h264';
}

export function isH264Params(params: VideoParams | undefined): params is H264Params {
  return params !== undefined && !('codec' in params);
}

/** True when both describe the same stream configuration (so no new sequence header is needed). */
export function sameVideoParams(a: VideoParams, b: VideoParams | undefined): boolean {
  if (a === b) return true;
  if (b === undefined) return false;
  if (isH264Params(a)) return isH264Params(b) && a.sps.equals(b.sps) && a.pps.equals(b.pps);
  return !isH264Params(b) && a.codec === b.codec && a.width === b.width && a.height === b.height && a.record.equals(b.record);
}

/** Payload bytes of a picture (for bitrates). */
export function frameBytes(frame: VideoFrame): number {
  if (frame.codec !== 'h264') return frame.data.length;
  let bytes = 0;
  for (const nalu of frame.nalus) bytes += nalu.length;
  return bytes;
}

/** Decoded audio: 48 kHz, interleaved stereo, signed 16-bit. */
export interface PcmChunk {
  /** Time of the first sample in milliseconds on the stream's clock. */
  time: number;
  /** Interleaved L/R samples; length is 2 × sample frames. */
  samples: Int16Array;
}

export const PCM_RATE = 48000;
export const PCM_CHANNELS = 2;

/** An encoded audio frame as a transponder sends it. */
export interface AudioFrame {
  codec: AudioCodec;
  /** Milliseconds on the stream's clock of the first sample of this frame. */
  time: number;
  data: Buffer;
}

/** Audio codecs RTMP carries that a transponder can send (`options.audioCodec`). */
export type AudioCodec = 'aac' | 'pcma' | 'pcmu' | 'speex';
export const AUDIO_CODECS: readonly AudioCodec[] = ['aac', 'pcma', 'pcmu', 'speex'];
