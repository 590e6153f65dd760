// What a publishing session (our `/ws`, the WCS client protocol) reports about one of its streams, in WCS's
// WebSDK terms: PUBLISHING on the first media, then the `rtmpUrl` republish WCS's createStream({rtmpUrl})
// does, its refusal or later failure (FAILED_BY_RTMP_WRITER_ERROR), a REST terminate of it
// (STOPPED_BY_REST_TERMINATE), and the stream's end. Each session turns these into its own frames.
import { type LiveStream, redactName, redactUrl, type TransponderJSON } from '../../src-relay/index.js';
import type { RestDeps } from './deps.js';
import { statusAndMessage } from './errors.js';

/** The transponder `info` of a REST terminate (src-relay/transponder/manager.ts), also the WebSDK stream info. */
export const REST_TERMINATE = 'STOPPED_BY_REST_TERMINATE';
export const RTMP_WRITER_ERROR = 'FAILED_BY_RTMP_WRITER_ERROR';

export type PublicationEvent =
  | { status: 'PUBLISHING' }
  /** The stream ended; `reason` is the registry's (e.g. STOPPED_BY_PUBLISHER_STOP, an ICE timeout). */
  | { status: 'UNPUBLISHED'; reason: string }
  /** The republish could not start (`error`: why, e.g. a bad URL) or its target refused it later (`reason`:
   *  the transponder's info, stream keys redacted). The source stream keeps publishing. */
  | { status: 'FAILED'; info: typeof RTMP_WRITER_ERROR; error?: string; reason?: string }
  /** A REST terminate ended the republish. The source stream keeps publishing. */
  | { status: 'STOPPED'; info: typeof REST_TERMINATE };

export interface Publication {
  /** Stops following the stream and its transponder (the session closed); reports nothing more. */
  detach(): void;
}

/**
 * Follows `stream` for a session: PUBLISHING on its first media, when the transponder to `rtmpUrl` (if any)
 * starts; the transponder's failure or REST terminate; the stream's end. Its end with the stream or the host
 * reports nothing beyond the stream's own UNPUBLISHED.
 */
export function followPublication(
  deps: Pick<RestDeps, 'transponders' | 'log'>,
  stream: LiveStream,
  rtmpUrl: string | undefined,
  report: (event: PublicationEvent) => void,
): Publication {
  let detached = false;
  let stopFollowingTransponder = (): void => undefined;
  const onMedia = (): void => {
    unlistenMedia();
    report({ status: 'PUBLISHING' });
    if (rtmpUrl !== undefined && !detached) stopFollowingTransponder = startTransponder(deps, stream.name, rtmpUrl, report);
  };
  const unlistenMedia = (): void => {
    stream.off('params', onMedia);
    stream.off('video', onMedia);
    stream.off('pcm', onMedia);
  };
  const onEnd = (reason: string): void => {
    unlistenMedia();
    if (!detached) report({ status: 'UNPUBLISHED', reason });
  };
  stream.on('params', onMedia);
  stream.on('video', onMedia);
  stream.on('pcm', onMedia);
  stream.once('end', onEnd);
  return {
    detach() {
      detached = true;
      unlistenMedia();
      stream.off('end', onEnd);
      stopFollowingTransponder();
    },
  };
}

/** Starts the republish; returns what stops following it. */
function startTransponder(
  deps: Pick<RestDeps, 'transponders' | 'log'>,
  streamName: string,
  rtmpUrl: string,
  report: (event: PublicationEvent) => void,
): () => void {
  let mediaSessionId: string;
  try {
    mediaSessionId = deps.transponders.startup({ streamName, rtmpUrl }).mediaSessionId;
  } catch (err) {
    const error = statusAndMessage(err).message;
    deps.log('republish.refused', { streamName: redactName(streamName), rtmpUrl: redactUrl(rtmpUrl), error });
    report({ status: 'FAILED', info: RTMP_WRITER_ERROR, error });
    return () => undefined;
  }
  const transponders = deps.transponders;
  const stop = (): void => {
    transponders.off('changed', onChanged);
    transponders.off('removed', onRemoved);
  };
  const onChanged = (t: TransponderJSON): void => {
    if (t.mediaSessionId !== mediaSessionId || t.status !== 'FAILED') return;
    stop();
    report({ status: 'FAILED', info: RTMP_WRITER_ERROR, ...(t.info ? { reason: t.info } : {}) });
  };
  const onRemoved = (t: TransponderJSON): void => {
    if (t.mediaSessionId !== mediaSessionId) return;
    stop();
    if (t.info === REST_TERMINATE) report({ status: 'STOPPED', info: REST_TERMINATE });
  };
  transponders.on('changed', onChanged);
  transponders.on('removed', onRemoved);
  return stop;
}
