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

/** One H.264 access unit (one picture). */
export interface VideoFrame {
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
