// Audio encoders for transponders: 48 kHz stereo PCM in, RTMP-ready frames out. AAC-LC 48 kHz stereo is the
// default (what YouTube/Facebook accept); G.711 A/µ-law (8 kHz mono) and Speex (16 kHz mono) are the other
// codecs RTMP carries (docs/DESIGN.md §3). Every frame is stamped with the stream-clock time of its first input
// sample (encoder delay included), and silence in gives valid encoded silence out, never a gap.

import type { AudioCodec } from '../../media.js';
import { silentLog } from '../../log.js';
import type { AudioEncoder, AudioEncoderOptions } from './encoder-base.js';
import { FfmpegAudioEncoder } from './ffmpeg-encoder.js';
import { G711Encoder } from './g711-encoder.js';

export type { AudioEncoder, AudioEncoderOptions } from './encoder-base.js';

export function createAudioEncoder(codec: AudioCodec, options: AudioEncoderOptions = {}): AudioEncoder {
  const log = options.log ?? silentLog;
  switch (codec) {
    case 'aac':
    case 'speex':
      return new FfmpegAudioEncoder(codec, { bitrate: options.bitrate, log });
    case 'pcma':
    case 'pcmu':
      return new G711Encoder(codec, log);
    default:
      throw new RangeError(`audio codec must be one of aac, pcma, pcmu, speex, got ${String(codec)}`);
  }
}
