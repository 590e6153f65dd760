// Local recordings as they travel on the wire (`/rest-api/recording/*`, docs/DECISIONS.md "Recording"): the
// recording object, the bodies of startup and terminate, and the files of the recordings folder. Declared once
// (TypeBox) for the routes, the OpenAPI document, the relay and the studio; no server code here.
import Type, { type Static } from 'typebox';
import { MAX_NAME } from './transponder.js';

export const RECORDING_STATUSES = ['RECORDING', 'STOPPED', 'FAILED'] as const;
export const RecordingStatus = Type.Unsafe<(typeof RECORDING_STATUSES)[number]>({ type: 'string', enum: [...RECORDING_STATUSES] });
export type RecordingStatus = Static<typeof RecordingStatus>;

/** One recording: live (RECORDING) or ended (STOPPED, FAILED), the file it writes or wrote. */
export const Recording = Type.Object(
  {
    recordingId: Type.String(),
    /** The source stream. */
    streamName: Type.String(),
    /** The transponder whose output it mirrors; absent for a recording of the stream itself. */
    mediaSessionId: Type.Optional(Type.String()),
    /** File name in the recordings folder: the .flv being written, the .mp4 once remuxed. */
    file: Type.String(),
    status: RecordingStatus,
    /** Why it stopped or failed, or what went wrong with the remux. */
    info: Type.Optional(Type.String()),
    /** Epoch ms of the request. */
    startedAt: Type.Number(),
    /** Bytes written to the file so far. */
    bytes: Type.Integer(),
    /** Media time recorded so far (0 until the first keyframe). */
    durationMs: Type.Integer(),
  },
  { additionalProperties: true, required: ['recordingId', 'streamName', 'file', 'status', 'startedAt', 'bytes', 'durationMs'] },
);
export type Recording = Static<typeof Recording>;
export const RecordingList = Type.Array(Recording);

const Name = Type.String({ minLength: 1, maxLength: MAX_NAME });

/** `startup`: mirror a transponder (`mediaSessionId`), or record a stream (`streamName`); at least one. */
export const RecordingStartupBody = Type.Object({
  mediaSessionId: Type.Optional(Name),
  streamName: Type.Optional(Name),
});
export type RecordingStartupBody = Static<typeof RecordingStartupBody>;

/** `terminate`. */
export const RecordingIdBody = Type.Object({ recordingId: Name });
export type RecordingIdBody = Static<typeof RecordingIdBody>;

/** A file of the recordings folder (.mp4, or .flv while being written or when its remux failed). */
export const RecordingFile = Type.Object(
  {
    name: Type.String(),
    bytes: Type.Integer(),
    /** Read from the file (MP4 movie header, FLV last tag); absent when it cannot be read. */
    durationMs: Type.Optional(Type.Integer()),
    /** Epoch ms the file was created (its birth time, else its change time). */
    createdAt: Type.Number(),
    /** True while a recording writes it. */
    recording: Type.Boolean(),
  },
  { required: ['name', 'bytes', 'createdAt', 'recording'] },
);
export type RecordingFile = Static<typeof RecordingFile>;

export const RecordingFileList = Type.Object({ dir: Type.String(), files: Type.Array(RecordingFile) });
export type RecordingFileList = Static<typeof RecordingFileList>;
