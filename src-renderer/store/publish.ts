// Going live: the studio's own published stream and what happened to it.
import type { StreamStatus } from '../sdk/protocol.js';
import { patch, type SetStudio, type StudioState } from './types.js';

/** TOKEN_NEEDED: the host has rest_auth_token set and the studio has not been given it (or a wrong one). */
export type SessionState = 'CONNECTING' | 'ESTABLISHED' | 'DISCONNECTED' | 'FAILED' | 'TOKEN_NEEDED';

export interface PublishSlice {
  /** Name of the studio's stream on the host. */
  streamName: string;
  status: StreamStatus;
  info: string | undefined;
  /** A streamer-readable error about going live, shown beside the Go live button. */
  error: string | undefined;
  session: SessionState;
  setStreamName(name: string): void;
  setStatus(status: StreamStatus, info?: string): void;
  setError(error: string | undefined): void;
  setSession(session: SessionState): void;
}

/** Stream names a host accepts: letters, digits, dash, underscore, dot (no path separators). */
export const STREAM_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export function createPublishSlice(set: SetStudio, initialName = 'studio'): PublishSlice {
  const update = (fn: (s: PublishSlice) => Partial<PublishSlice>): void => patch(set, 'publish', fn);
  return {
    streamName: initialName,
    status: 'NEW',
    info: undefined,
    error: undefined,
    session: 'CONNECTING',
    setStreamName: (streamName) => update(() => ({ streamName })),
    setStatus: (status, info) => update((s) => ({ status, info, error: status === 'PUBLISHING' || status === 'PENDING' ? undefined : s.error })),
    setError: (error) => update(() => ({ error })),
    setSession: (session) => update(() => ({ session })),
  };
}

export const publishSelectors = {
  isLive: (s: StudioState) => s.publish.status === 'PUBLISHING',
  isBusy: (s: StudioState) => s.publish.status === 'PENDING',
  canGoLive: (s: StudioState) =>
    s.publish.session === 'ESTABLISHED' && s.publish.status !== 'PENDING' && s.publish.status !== 'PUBLISHING' && STREAM_NAME_PATTERN.test(s.publish.streamName),
};
