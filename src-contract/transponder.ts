// The transponder as it travels on the wire (docs/DESIGN.md §4): the WCS transponder object, its stats, and the
// bodies of `/rest-api/push/*`. Declared once as JSON Schema (TypeBox): fastify validates and serializes with
// these schemas, the OpenAPI document prints them, and the host, the relay, the studio and the SDK take their
// types from them (`Static<typeof Transponder>`). This folder has no server code and imports nothing of ours,
// so the renderer may import it too.
import Type, { type Static } from 'typebox';

/** Longest stream name or mediaSessionId a body may carry. */
export const MAX_NAME = 256;
/** Longest rtmpUrl a body may carry. */
export const MAX_URL = 2048;
/** Longest sound file name (a bare file name of the media folder). */
export const MAX_SOUND_FILE = 255;

/** A `{type: 'string', enum}` schema typed as the union of its values. */
function stringEnum<const T extends readonly string[]>(values: T) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });
}

export const TRANSPONDER_STATUSES = ['CONNECTING', 'PUBLISHING', 'RECONNECTING', 'FAILED', 'STOPPED'] as const;
export const TransponderStatus = stringEnum(TRANSPONDER_STATUSES);
export type TransponderStatus = Static<typeof TransponderStatus>;

/** `options.audioCodec`: AAC (default) or the other codecs RTMP carries (docs/DESIGN.md §3). */
export const AUDIO_CODECS = ['aac', 'pcma', 'pcmu', 'speex'] as const;
export const AudioCodec = stringEnum(AUDIO_CODECS);
export type AudioCodec = Static<typeof AudioCodec>;

const SoundFile = Type.String({ minLength: 1, maxLength: MAX_SOUND_FILE });

/**
 * `options.videoCodecs`: the video codecs a target accepts. The publisher's codec, when listed, is copied
 * (H.264 in classic FLV, AV1 / VP9 / HEVC in Enhanced RTMP); otherwise the video is transcoded to H.264.
 * Default: h264 only.
 */
export const TARGET_VIDEO_CODECS = ['h264', 'av1', 'vp9', 'hevc'] as const;
export const TargetVideoCodec = stringEnum(TARGET_VIDEO_CODECS);
export type TargetVideoCodec = Static<typeof TargetVideoCodec>;

/** The codec a transponder sends (`videoCodec` of the transponder object). */
export const SENT_VIDEO_CODECS = ['h264', 'av1', 'vp9', 'hevc'] as const;
/** `videoPath`: the publisher's pictures as they came, or the relay's H.264 encode of them. */
export const VIDEO_PATHS = ['copy', 'transcode'] as const;
export type VideoPath = (typeof VIDEO_PATHS)[number];

/**
 * `options.quality`: which video layer of a simulcast publisher a target receives (layers are the sizes the
 * publisher encodes at once; a publisher without simulcast has one, and every choice maps to it).
 * "medium" is the middle of three layers, the lower of two.
 */
export const QUALITIES = ['highest', 'medium', 'lowest'] as const;
export const Quality = stringEnum(QUALITIES);
export type Quality = Static<typeof Quality>;

/** `options` of startup (docs/DESIGN.md §4), echoed back in the transponder object. Unknown keys of other WCS
 *  versions pass validation; the route keeps only these. */
export const TransponderOptions = Type.Object(
  {
    action: Type.Optional(stringEnum(['mute', 'sound_on'] as const)),
    soundFile: Type.Optional(SoundFile),
    loop: Type.Optional(Type.Boolean()),
    audioCodec: Type.Optional(AudioCodec),
    quality: Type.Optional(
      Type.Unsafe<Quality>({
        type: 'string',
        enum: [...QUALITIES],
        description: 'Which video layer of a simulcast publisher this target gets (default highest; "medium" is the lower of two). Without simulcast every choice is the one layer.',
      }),
    ),
    /** Send the largest layer whose measured video bitrate is at most this (kb/s); the lowest if none is. */
    maxBitrateKbps: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Send the largest layer whose measured video bitrate is at most this many kb/s; the lowest if none is.' }),
    ),
    /** Send the largest layer at most this many pixels high; the lowest if none is. */
    maxHeight: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'Send the largest layer at most this many pixels high; the lowest if none is.' })),
    videoCodecs: Type.Optional(
      Type.Array(TargetVideoCodec, {
        minItems: 1,
        maxItems: 8,
        description: 'Video codecs this target accepts (h264, av1, vp9, hevc); the publisher\'s codec is copied when listed, else transcoded to H.264. Default ["h264"].',
      }),
    ),
    /**
     * The longest this target accepts between keyframes (ms, default 4000: YouTube, Twitch and Facebook).
     * A publisher that ignores keyframe requests and whose own keyframes are further apart than this gets
     * this target the stream's H.264 encode (a keyframe every 2 s) instead of a copy.
     */
    maxKeyframeIntervalMs: Type.Optional(
      Type.Integer({
        minimum: 1000,
        maximum: 3_600_000,
        description: 'Longest interval between keyframes this target accepts, ms (default 4000). When the publisher ignores keyframe requests and its own keyframes are further apart, the target gets the stream\'s H.264 encode, a keyframe every 2 s.',
      }),
    ),
    /** Step down a layer under sustained congestion, back up after a stable period (default false). */
    adaptive: Type.Optional(
      Type.Boolean({ description: 'Step down one layer after ~3 s of congestion on this target, back up after 20 s without (doubling after a failed try). Default false.' }),
    ),
  },
  { additionalProperties: true },
);
export type TransponderOptions = Static<typeof TransponderOptions>;

// On `required` below: fastify's serializer (fast-json-stringify) writes the keys listed in `required` first,
// then the others, each in declaration order. The answers' lists fix that order on the wire (the API's
// documented key order, which clients that compare or hash answers see); the types (`Static`) still say
// what the relay always fills in (every field but `info`, `attempt`, `nextRetryAt`).
export const TransponderStats = Type.Object(
  {
    /** Video+audio bitrate sent, kb/s, over the last second. */
    bitrateKbps: Type.Number(),
    fps: Type.Number(),
    droppedFrames: Type.Number(),
    /** Milliseconds since it last reached PUBLISHING (0 when not publishing). */
    uptimeMs: Type.Number(),
    reconnects: Type.Number(),
    /** Current reconnect attempt number and when the next try starts (epoch ms), while RECONNECTING. */
    attempt: Type.Optional(Type.Number()),
    nextRetryAt: Type.Optional(Type.Number()),
    /** Queued unsent video in milliseconds (congestion figure). */
    queuedMs: Type.Number(),
  },
  { additionalProperties: true, required: [] },
);
export type TransponderStats = Static<typeof TransponderStats>;

/** The video layer a transponder sends now: its simulcast rid (none without simulcast), size and measured bitrate. */
export const TransponderLayer = Type.Object({
  rid: Type.Optional(Type.String()),
  width: Type.Integer(),
  height: Type.Integer(),
  /** The layer's H.264 bitrate as received, kb/s over the last two seconds. */
  bitrateKbps: Type.Number(),
});
export type TransponderLayer = Static<typeof TransponderLayer>;

/** What the relay measures of the source's keyframes: on the layer sent, and whether the publisher answers requests. */
export const SourceKeyframes = Type.Object({
  /** Stream time between the layer's last two keyframes, ms; 0 until two arrived. */
  intervalMs: Type.Integer(),
  /** The publisher answered none of the last keyframe requests (PLI, then FIR): keyframes come on its own schedule. */
  ignoresRequests: Type.Boolean(),
});
export type SourceKeyframes = Static<typeof SourceKeyframes>;

/** With `options.adaptive`: the last step taken and why; `stepsDown` layers below the chosen one now. */
export const TransponderAdaptive = Type.Object({
  stepped: Type.Optional(stringEnum(['down', 'up'] as const)),
  reason: Type.Optional(Type.String()),
  stepsDown: Type.Integer(),
});
export type TransponderAdaptive = Static<typeof TransponderAdaptive>;

/** The WCS transponder object (docs/DESIGN.md §4) plus our additions (`sourceStreamName`, `status`, `info`, `stats`). */
export const Transponder = Type.Object(
  {
    mediaSessionId: Type.String(),
    streamName: Type.String({ description: 'Name published on the target (prefix applied).' }),
    /** The source stream's name. */
    sourceStreamName: Type.String(),
    rtmpUrl: Type.String(),
    /** From the SPS of the layer sent; 0 until known. */
    width: Type.Integer(),
    height: Type.Integer(),
    muted: Type.Boolean(),
    /** True while a sound is being injected. */
    soundEnabled: Type.Boolean(),
    options: TransponderOptions,
    status: TransponderStatus,
    /** Why it failed, stopped or is reconnecting. */
    info: Type.Optional(Type.String()),
    stats: TransponderStats,
    /** The video layer sent now (absent until the stream has video). */
    layer: Type.Optional(TransponderLayer),
    /** Present with `options.adaptive`. */
    adaptive: Type.Optional(TransponderAdaptive),
    /** The video codec sent to the target. */
    videoCodec: Type.Optional(stringEnum(SENT_VIDEO_CODECS)),
    /** Whether the publisher's pictures are copied or transcoded to H.264 for this target. */
    videoPath: Type.Optional(stringEnum(VIDEO_PATHS)),
    /** Why the video is transcoded, e.g. "keyframes every 10.0 s and the publisher ignores keyframe requests; the target takes at most 4 s". */
    videoPathReason: Type.Optional(Type.String()),
    /** The copy needs the transcoder for its keyframes, which cannot run (what the app's ffmpeg lacks); the copy goes on. */
    videoPathProblem: Type.Optional(Type.String()),
    sourceKeyframes: Type.Optional(SourceKeyframes),
  },
  { additionalProperties: true, required: ['mediaSessionId', 'streamName', 'rtmpUrl', 'muted', 'soundEnabled', 'status'] },
);
export type Transponder = Static<typeof Transponder>;

const Name = Type.String({ minLength: 1, maxLength: MAX_NAME });

/** `startup`: push a published stream to an RTMP(S) URL. */
export const StartupBody = Type.Object({
  /** The published source stream. */
  streamName: Name,
  rtmpUrl: Type.String({ minLength: 1, maxLength: MAX_URL }),
  options: Type.Optional(TransponderOptions),
  /** This transponder's override of the `rtmp_transponder_full_url` setting (WCS). */
  rtmpTransponderFullUrl: Type.Optional(Type.Boolean()),
  /** flashVer sent in `connect` (WCS); default "FMLE/3.0 (compatible; Castbridge/<version>)". */
  rtmpFlashVersion: Type.Optional(Type.String({ maxLength: 256 })),
  /** Publish streamName as given, without rtmp_transponder_stream_name_prefix (Castbridge's; the studio's
   *  presets send it with their stream key). */
  noPrefix: Type.Optional(Type.Boolean()),
});
export type StartupBody = Static<typeof StartupBody>;

/** `find`: any of these; every one given must match. */
export const FindBody = Type.Object(
  {
    streamName: Type.Optional(Name),
    rtmpUrl: Type.Optional(Type.String({ maxLength: MAX_URL })),
    mediaSessionId: Type.Optional(Name),
  },
  { minProperties: 1 },
);
export type FindBody = Static<typeof FindBody>;

/** `terminate`, `mute`, `unmute`, `sound_off`. */
export const MediaSessionBody = Type.Object({ mediaSessionId: Name });
export type MediaSessionBody = Static<typeof MediaSessionBody>;

/** `sound_on`: a WAV file of the media folder. */
export const SoundOnBody = Type.Object({ mediaSessionId: Name, soundFile: SoundFile, loop: Type.Optional(Type.Boolean()) });
export type SoundOnBody = Static<typeof SoundOnBody>;
