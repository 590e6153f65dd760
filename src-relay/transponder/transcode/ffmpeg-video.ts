// The ffmpeg command line of the H.264 transcoder (transcoder.ts), and what the app's ffmpeg can do: the
// same binary the audio encoders run (audio/ffmpeg.ts: @ffmpeg-installer/ffmpeg's static build, shipped with
// the app on every platform). It decodes H.264, VP8 and VP9 with ffmpeg's own decoders and AV1 with libdav1d
// when built with it, else libaom; it encodes with libx264. A missing decoder or encoder is named in the error.
import { spawnSync } from 'node:child_process';
import type { VideoCodec } from '../../media.js';

const PROBE_TIMEOUT_MS = 10_000;

/** Decoders that read each codec, in order of preference (the first the binary has is used). */
const DECODERS: Record<VideoCodec, readonly string[]> = {
  h264: ['h264'],
  vp8: ['vp8', 'libvpx'],
  vp9: ['vp9', 'libvpx-vp9'],
  av1: ['libdav1d', 'libaom-av1', 'av1'],
};
export const H264_ENCODER = 'libx264';

const probed = new Map<string, { decoders: Set<string>; encoders: Set<string> }>();

function listOf(ffmpeg: string, what: '-decoders' | '-encoders'): Set<string> {
  const out = spawnSync(ffmpeg, ['-hide_banner', what], { timeout: PROBE_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'ignore'] });
  const names = new Set<string>();
  // " V....D libaom-av1           libaom AV1 (codec av1)": flags, then the name.
  for (const line of out.stdout?.toString().split('\n') ?? []) {
    const match = /^\s*[VAS][.A-Z]{5}\s+(\S+)/.exec(line);
    if (match) names.add(match[1]);
  }
  return names;
}

/**
 * The decoder of `codec` and the H.264 encoder this ffmpeg has, or an error naming what it lacks.
 * Probed once per binary (two short runs of `ffmpeg -decoders` / `-encoders`).
 */
export function transcodeCapability(ffmpeg: string, codec: VideoCodec): { decoder: string } | { error: string } {
  let lists = probed.get(ffmpeg);
  if (!lists) {
    lists = { decoders: listOf(ffmpeg, '-decoders'), encoders: listOf(ffmpeg, '-encoders') };
    probed.set(ffmpeg, lists);
  }
  const decoder = DECODERS[codec].find((d) => lists.decoders.has(d));
  if (!decoder) return { error: `the app's ffmpeg (${ffmpeg}) has no ${codec.toUpperCase()} decoder (looked for ${DECODERS[codec].join(', ')})` };
  if (!lists.encoders.has(H264_ENCODER)) return { error: `the app's ffmpeg (${ffmpeg}) has no H.264 encoder (${H264_ENCODER})` };
  return { decoder };
}

export interface TranscodeArgs {
  decoder: string;
  /** Target video bitrate, kb/s. */
  bitrateKbps: number;
  /** A keyframe at least this often (rtmp_keyframe_interval_ms). */
  keyframeIntervalMs: number;
  /**
   * Input time (ms) of the first picture to encode: the pictures before it are decoded only (the publisher's
   * pictures since its last keyframe, which the first one to encode needs), so the first picture out is an
   * IDR of the present. The output's time starts at 0 with that picture.
   */
  encodeFromMs?: number;
}

/**
 * IVF on stdin (timestamps in ms), FLV with H.264 on stdout: one picture out per picture in from
 * encodeFromMs on (`-vsync 0`, no duplicates or drops), the input's timestamps kept less encodeFromMs, no B-frames or lookahead (`-tune zerolatency`),
 * a keyframe every keyframeIntervalMs of stream time, CBR-like rate control at the bitrate.
 */
export function transcodeArgs({ decoder, bitrateKbps, keyframeIntervalMs, encodeFromMs = 0 }: TranscodeArgs): string[] {
  const seconds = Math.max(0.5, keyframeIntervalMs / 1000);
  // Half a millisecond early: the picture at encodeFromMs itself is kept.
  const from = Math.max(0, encodeFromMs - 0.5) / 1000;
  return [
    ...['-hide_banner', '-loglevel', 'error', '-nostats', '-nostdin'],
    ...['-probesize', '32', '-analyzeduration', '0'],
    // One decoding thread: frame threads would hold back a picture each (latency), and these sizes decode fast.
    ...['-threads', '1', '-c:v', decoder, '-f', 'ivf', '-i', 'pipe:0', '-an'],
    // From the picture at `from` on, with time 0 there (so the keyframe expression counts from it).
    ...(from > 0 ? ['-vf', `select='gte(t,${from})',setpts=PTS-STARTPTS`] : []),
    ...['-vsync', '0', '-c:v', H264_ENCODER, '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p'],
    ...['-profile:v', 'high', '-b:v', `${bitrateKbps}k`, '-maxrate', `${bitrateKbps}k`, '-bufsize', `${bitrateKbps}k`],
    // A keyframe `seconds` after the previous forced one (the first picture is an IDR anyway): after a pause in
    // the publisher's video the next picture is one, and the cadence counts from it (n_forced*seconds would
    // make every picture a keyframe until the count caught up with the clock).
    ...['-force_key_frames', `expr:if(isnan(prev_forced_t),gte(t,${seconds}),gte(t,prev_forced_t+${seconds}))`],
    // Rate control from the pictures' timestamps: the input's time base is 1 ms, which x264 would otherwise
    // take for 1000 fps and give each picture a thirty-third of its share of the bitrate.
    ...['-x264-params', 'force-cfr=0'],
    ...['-f', 'flv', '-flvflags', 'no_duration_filesize', '-flush_packets', '1', 'pipe:1'],
  ];
}
