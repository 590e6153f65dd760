// The studio's own routes beside the WCS API (docs/PROTOCOL.md): the media folder, the saved targets and what
// the host is. Declared once (TypeBox) for the routes, the OpenAPI document, the host and the studio.
import Type, { type Static } from 'typebox';
import { Quality } from './transponder.js';

/** One WAV file of the media folder; `durationMs` when its header reads, `error` (why not) otherwise. */
export const MediaFile = Type.Object({
  name: Type.String(),
  size: Type.Integer(),
  durationMs: Type.Optional(Type.Number()),
  error: Type.Optional(Type.String()),
});
export type MediaFile = Static<typeof MediaFile>;

/** One image of the media folder (for image layers of scenes); `type` from its first bytes, `error` when it is none. */
export const MediaImage = Type.Object({
  name: Type.String(),
  size: Type.Integer(),
  type: Type.Optional(Type.String()),
  error: Type.Optional(Type.String()),
});
export type MediaImage = Static<typeof MediaImage>;

/** `GET /api/media`, and the answer to an upload: the WAV sounds in `files`, the PNG/JPEG/WebP images in `images`. */
export const MediaList = Type.Object({ files: Type.Array(MediaFile), images: Type.Optional(Type.Array(MediaImage)) });
export type MediaList = Static<typeof MediaList>;

/** `GET /api/info`. */
export const HostInfo = Type.Object({
  version: Type.String(),
  /** The embedded RTMP server's URL; null when it is disabled or could not start. */
  localRtmpUrl: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
  /** Where the embedded server's HTTP-FLV preview is served; null without it. */
  previewBaseUrl: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
  mediaDir: Type.String(),
  dataDir: Type.String(),
  /** How saved keys are kept: Electron's safeStorage backend, or a mode-0600 file (headless). */
  secretStorage: Type.String(),
  // fast-json-stringify writes these keys first, so this list fixes the key order of the answer (see src-contract/transponder.ts); the type says the host always sends every field.
}, { required: ['version', 'mediaDir', 'dataDir'] });
export type HostInfo = Static<typeof HostInfo>;

export const TARGET_KINDS = ['youtube', 'youtube-backup', 'facebook', 'twitch', 'local', 'custom'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** A saved target (`GET`/`PUT /api/targets`, a JSON array of them). */
export const Target = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.Unsafe<TargetKind>({ type: 'string', enum: [...TARGET_KINDS] }),
  rtmpUrl: Type.String(),
  /** The stream key: a secret (masked in the UI, encrypted at rest). */
  streamKey: Type.String(),
  /** The video layer this target gets (`options.quality`); absent: its preset's default. */
  quality: Type.Optional(Quality),
});
export type Target = Static<typeof Target>;
export const TargetList = Type.Array(Target);
