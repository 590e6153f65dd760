// The contract between the host (REST API, GUI events, auto push) and the relay's transponders.
// The relay implements it in transponder/manager.ts; the host only sees these types.
// The wire shapes (the transponder object, its stats, the startup and find bodies) are declared once, as
// schemas, in src-contract/transponder.ts; the names below are the relay's words for them.
import type { FindBody, StartupBody, Transponder } from '../../src-contract/transponder.js';

export type { TransponderOptions, TransponderStats, TransponderStatus } from '../../src-contract/transponder.js';

/** The WCS transponder object (docs/DESIGN.md §4) plus our additions, as sent on the wire. */
export type TransponderJSON = Transponder;

/** `startup`'s body: the source stream, the rtmpUrl, options, and the WCS per-transponder overrides. */
export type StartupRequest = StartupBody;

export type FindQuery = FindBody;

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
