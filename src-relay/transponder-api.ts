// The contract between the host (REST API, GUI events, auto push) and the relay's transponders.
// The relay implements it in transponders.ts; the host only sees these types.
import type { AudioCodec } from './media.js';

export type TransponderStatus = 'CONNECTING' | 'PUBLISHING' | 'RECONNECTING' | 'FAILED' | 'STOPPED';

/** `options` of startup (DESIGN.md §4), also echoed back in the transponder object. */
export interface TransponderOptions {
  action?: 'mute' | 'sound_on';
  soundFile?: string;
  loop?: boolean;
  audioCodec?: AudioCodec;
}

export interface StartupRequest {
  /** The published source stream. */
  streamName: string;
  rtmpUrl: string;
  options?: TransponderOptions;
  /** Per-transponder override of the `rtmp_transponder_full_url` setting. */
  rtmpTransponderFullUrl?: boolean;
  /** flashVer sent in `connect`; default "FMLE/3.0 (compatible; Castbridge/<version>)". */
  rtmpFlashVersion?: string;
  /** Publish the stream name as given, without the prefix (GUI presets: the stream key). */
  noPrefix?: boolean;
}

export interface TransponderStats {
  /** Video+audio bitrate sent, kb/s, over the last second. */
  bitrateKbps: number;
  fps: number;
  droppedFrames: number;
  /** Milliseconds since it last reached PUBLISHING (0 when not publishing). */
  uptimeMs: number;
  reconnects: number;
  /** Current reconnect attempt number and when the next try starts (epoch ms), while RECONNECTING. */
  attempt?: number;
  nextRetryAt?: number;
  /** Queued unsent video in milliseconds (congestion figure). */
  queuedMs: number;
}

/** The WCS transponder object (DESIGN.md §4) plus our additions. */
export interface TransponderJSON {
  mediaSessionId: string;
  /** Name published on the target (prefix applied). */
  streamName: string;
  /** The source stream's name. */
  sourceStreamName: string;
  rtmpUrl: string;
  width: number;
  height: number;
  muted: boolean;
  soundEnabled: boolean;
  options: TransponderOptions;
  status: TransponderStatus;
  /** Why it failed, stopped or is reconnecting. */
  info?: string;
  stats: TransponderStats;
}

export interface FindQuery {
  streamName?: string;
  rtmpUrl?: string;
  mediaSessionId?: string;
}

/** A refusal the REST layer maps to an HTTP status. */
export class TransponderError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

/** Decoded sound ready to inject: 48 kHz interleaved stereo s16. */
export interface Sound {
  name: string;
  samples: Int16Array;
}

export interface TransponderServiceEvents {
  /** Any state, mute or sound change of a transponder (also its creation). */
  changed: [transponder: TransponderJSON];
  /** Once a second, every live transponder with fresh stats. */
  stats: [transponders: TransponderJSON[]];
  /** A transponder was terminated or ended with its stream; it is no longer listed. */
  removed: [transponder: TransponderJSON];
}

export interface TransponderService {
  /** Throws TransponderError: 404 no such stream, 409 same stream and rtmpUrl exists, 400 bad URL. */
  startup(request: StartupRequest, sound?: Sound): TransponderJSON;
  /** Matches the source or published name, the rtmpUrl, or the mediaSessionId (all given must match). */
  find(query: FindQuery): TransponderJSON[];
  list(): TransponderJSON[];
  /** Throws TransponderError 404. Resolves once FCUnpublish/deleteStream were sent (or the socket is gone). */
  terminate(mediaSessionId: string): Promise<void>;
  setMuted(mediaSessionId: string, muted: boolean): TransponderJSON;
  soundOn(mediaSessionId: string, sound: Sound, loop: boolean): TransponderJSON;
  soundOff(mediaSessionId: string): TransponderJSON;
  /** Ends every transponder cleanly (host shutdown). */
  stopAll(): Promise<void>;
}
