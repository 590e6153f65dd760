// What a target gets of the publisher's video (options.videoCodecs): the publisher's own pictures when the
// target accepts their codec (H.264 in classic FLV; AV1 and VP9 in Enhanced RTMP), else the stream's one
// H.264 encode of them (transcode/). VP8 has no FLV form a target takes, so it is always transcoded.
import type { VideoCodec } from '../media.js';
import type { VideoFourCc } from '../flv/enhanced.js';
import { TARGET_VIDEO_CODECS, type TargetVideoCodec, type VideoPath } from '../../src-contract/transponder.js';

export interface VideoRoute {
  /** What the target receives. */
  codec: TargetVideoCodec;
  path: VideoPath;
  /** Why the target gets the stream's H.264 encode (with path "transcode"), in words for find. */
  reason?: string;
}

/** The default when a target says nothing: every RTMP server takes H.264. */
export const DEFAULT_VIDEO_CODECS: readonly TargetVideoCodec[] = ['h264'];

export function videoRoute(publisherCodec: VideoCodec, accepted: readonly TargetVideoCodec[] = DEFAULT_VIDEO_CODECS): VideoRoute {
  if (publisherCodec !== 'vp8' && accepted.includes(publisherCodec)) return { codec: publisherCodec, path: 'copy' };
  if (publisherCodec === 'h264') return { codec: 'h264', path: 'copy' };
  const takes = accepted.map((c) => c.toUpperCase()).join(', ');
  return { codec: 'h264', path: 'transcode', reason: `the publisher sends ${publisherCodec.toUpperCase()}; the target takes ${takes}` };
}

/** Why `options.videoCodecs` is refused, or undefined when it is a list of known codecs. */
export function videoCodecsProblem(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const known = TARGET_VIDEO_CODECS as readonly string[];
  if (!Array.isArray(value) || value.length === 0) return `options.videoCodecs must be a non-empty list of ${known.join(', ')}`;
  const bad = value.find((c) => typeof c !== 'string' || !known.includes(c));
  if (bad !== undefined) return `options.videoCodecs: ${JSON.stringify(bad)?.slice(0, 40)} is not one of ${known.join(', ')}`;
  return undefined;
}

/** The Enhanced RTMP FourCCs a target accepting these codecs lists in `connect` (empty: a classic connect). */
export function enhancedFourCcs(accepted: readonly TargetVideoCodec[] | undefined): VideoFourCc[] {
  const fourCc: Record<TargetVideoCodec, VideoFourCc | undefined> = { h264: undefined, av1: 'av01', vp9: 'vp09', hevc: 'hvc1' };
  return [...new Set((accepted ?? []).map((c) => fourCc[c]).filter((c): c is VideoFourCc => c !== undefined))];
}
