// When a target that takes the publisher's H.264 as it is gets the stream's H.264 encode instead, for its
// keyframes: RTMP ingests want a keyframe at least every few seconds (YouTube, Twitch and Facebook all ask for
// ≤ 4 s), and a copy has keyframes only where the publisher puts them. A publisher that answers keyframe
// requests (PLI/FIR) gets one asked for every 2 s (keyframes.ts); one that ignores them (aiortc) keeps its own
// interval, which may be 10 s. Then the target is fed by the stream's transcoder (transcode/), whose encoder
// makes a keyframe every 2 s. Pure: facts in, a reason (or none) out.

/** `options.maxKeyframeIntervalMs` when not given: what YouTube, Twitch and Facebook accept. */
export const DEFAULT_MAX_KEYFRAME_INTERVAL_MS = 4000;
export const MAX_KEYFRAME_INTERVAL_BOUNDS = { min: 1000, max: 3_600_000 } as const;
/**
 * A copy that changes to the stream's H.264 encode holds the publisher's pictures back this long (stream
 * time) while it waits for the encode's first keyframe, which comes a decode and an encode after the picture
 * it shows (more when the encoder starts by decoding the pictures since the publisher's last keyframe).
 */
export const TRANSCODE_SWITCH_HOLD_MS = 3000;

/** What the rule looks at of the layer a target copies (a VideoLayer and its LiveStream). */
export interface KeyframeFacts {
  /** The publisher was seen to answer no keyframe request (webrtc/keyframe.ts). */
  ignoresRequests: boolean;
  /** The longest wait for a keyframe seen on the layer so far, ms (VideoLayer.keyframeSpacingMs). */
  spacingMs: number;
}

/**
 * Why copying gives this target keyframes too far apart, in words for the transponder's `videoPathReason`,
 * or undefined when a copy is fine. Only a publisher that ignores requests counts: one that answers gets
 * its keyframes asked for, and a long gap there is a lost request, not its cadence.
 */
export function keyframeTranscodeReason(facts: KeyframeFacts, maxIntervalMs: number): string | undefined {
  if (!facts.ignoresRequests || !(facts.spacingMs > maxIntervalMs)) return undefined;
  return `keyframes every ${(facts.spacingMs / 1000).toFixed(1)} s and the publisher ignores keyframe requests; the target takes at most ${seconds(maxIntervalMs)} s`;
}

/** Why `options.maxKeyframeIntervalMs` is refused, or undefined when absent or a whole number in bounds. */
export function maxKeyframeIntervalProblem(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const { min, max } = MAX_KEYFRAME_INTERVAL_BOUNDS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    return `options.maxKeyframeIntervalMs must be a whole number of ms from ${min} to ${max}, got ${JSON.stringify(value)?.slice(0, 40)}`;
  }
  return undefined;
}

function seconds(ms: number): string {
  return Number.isInteger(ms / 1000) ? String(ms / 1000) : (ms / 1000).toFixed(1);
}

/** What the watch needs of the stream and its layer (LiveStream, VideoLayer). */
interface WatchedStream {
  readonly ignoresKeyframeRequests: boolean;
}
interface WatchedLayer {
  readonly keyframeSpacingMs: number;
  readonly keyframeIntervalMs: number;
}

/** The H.264 encode's handle as far as the watch passes it on (H264Transcoder). */
export type KeyframeChange<T> = { transcoder: T; reason: string } | { problem: string };

/**
 * One copying transponder's watch over its layer's keyframes: `check()` (once a second) says when the copy
 * should change to the stream's H.264 encode, and hands that encode over, or what keeps it from running
 * (said once, in `videoPathProblem`; the copy goes on). Without a way to get the encode, it never changes.
 */
export class KeyframePathWatch<T = unknown> {
  private problem: string | undefined;
  private readonly maxIntervalMs: number;

  constructor(
    maxIntervalMs: number | undefined,
    private readonly transcoder: (() => T | string) | undefined,
  ) {
    this.maxIntervalMs = maxIntervalMs ?? DEFAULT_MAX_KEYFRAME_INTERVAL_MS;
  }

  check(stream: WatchedStream, layer: WatchedLayer | undefined): KeyframeChange<T> | undefined {
    if (!this.transcoder || this.problem !== undefined || !layer) return undefined;
    const reason = keyframeTranscodeReason({ ignoresRequests: stream.ignoresKeyframeRequests, spacingMs: layer.keyframeSpacingMs }, this.maxIntervalMs);
    if (!reason) return undefined;
    const transcoder = this.transcoder();
    if (typeof transcoder !== 'string') return { transcoder, reason };
    this.problem = `${reason}, but the H.264 transcoder cannot run: ${transcoder}`;
    return { problem: this.problem };
  }

  /** The find fields: what is measured of the source's keyframes, and a problem if any. */
  toJSON(stream: WatchedStream, layer: WatchedLayer | undefined): { sourceKeyframes: { intervalMs: number; ignoresRequests: boolean }; videoPathProblem?: string } {
    return {
      ...(this.problem === undefined ? {} : { videoPathProblem: this.problem }),
      sourceKeyframes: { intervalMs: Math.round(layer?.keyframeIntervalMs ?? 0), ignoresRequests: stream.ignoresKeyframeRequests },
    };
  }
}
