// The bitrate of a stream's H.264 encode: the first target's limit (options.maxBitrateKbps) when it sets
// one, else what the publisher sends now (VP8/VP9/AV1 at the same rate make an H.264 of similar quality at
// the sizes browsers send), within what RTMP targets recommend for up to 1080p.
import type { LiveStream } from '../../streams.js';
import type { TransponderOptions } from '../service.js';

export const TRANSCODE_BITRATE_KBPS = { default: 2500, min: 500, max: 6000 } as const;

export function transcodeBitrateKbps(stream: LiveStream, options: Pick<TransponderOptions, 'maxBitrateKbps'>): number {
  const wanted = options.maxBitrateKbps ?? (stream.layers[0]?.bitrateKbps || TRANSCODE_BITRATE_KBPS.default);
  return Math.min(TRANSCODE_BITRATE_KBPS.max, Math.max(TRANSCODE_BITRATE_KBPS.min, Math.round(wanted)));
}
