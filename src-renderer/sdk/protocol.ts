// The `/ws` wire protocol between a web page (studio or SDK user) and the host, as docs/PROTOCOL.md
// describes it. The transponder shape mirrors src-relay/transponder-api.ts: the renderer talks to the
// host only over the wire, so it keeps its own copy of the types instead of importing the relay.

export type TransponderStatus = 'CONNECTING' | 'PUBLISHING' | 'RECONNECTING' | 'FAILED' | 'STOPPED';

export interface TransponderOptions {
  action?: 'mute' | 'sound_on';
  soundFile?: string;
  loop?: boolean;
  audioCodec?: 'aac' | 'pcma' | 'pcmu' | 'speex';
}

export interface TransponderStats {
  bitrateKbps: number;
  fps: number;
  droppedFrames: number;
  uptimeMs: number;
  reconnects: number;
  attempt?: number;
  nextRetryAt?: number;
  queuedMs: number;
}

/** The WCS transponder object plus Castbridge's additions (DESIGN.md §4). */
export interface TransponderJSON {
  mediaSessionId: string;
  streamName: string;
  sourceStreamName: string;
  rtmpUrl: string;
  width: number;
  height: number;
  muted: boolean;
  soundEnabled: boolean;
  options: TransponderOptions;
  status: TransponderStatus;
  info?: string;
  stats: TransponderStats;
}

/** WCS WebSDK stream statuses (DESIGN.md §4). */
export const STREAM_STATUS = {
  NEW: 'NEW',
  PENDING: 'PENDING',
  PUBLISHING: 'PUBLISHING',
  UNPUBLISHED: 'UNPUBLISHED',
  STOPPED: 'STOPPED',
  FAILED: 'FAILED',
} as const;
export type StreamStatus = (typeof STREAM_STATUS)[keyof typeof STREAM_STATUS];

export const SESSION_STATUS = {
  PENDING: 'PENDING',
  ESTABLISHED: 'ESTABLISHED',
  DISCONNECTED: 'DISCONNECTED',
  FAILED: 'FAILED',
} as const;
export type SessionStatus = (typeof SESSION_STATUS)[keyof typeof SESSION_STATUS];

export interface StreamInfoJSON {
  streamName: string;
  width: number;
  height: number;
  hasAudio: boolean;
}

/** Client → host. */
export type ClientMessage =
  | { type: 'publish'; id: string; streamName: string; sdp: string; rtmpUrl?: string }
  | { type: 'unpublish'; id: string; streamName: string }
  | { type: 'subscribe-events' };

/** Host → client. */
export type HostMessage =
  | { type: 'hello'; sessionId: string; version: string }
  | { type: 'answer'; id: string; streamName: string; sdp: string }
  | { type: 'error'; id?: string; error: string }
  | { type: 'stream'; streamName: string; status: StreamStatus; info?: string }
  | { type: 'transponder'; transponder: TransponderJSON }
  | { type: 'transponder-removed'; transponder: TransponderJSON }
  | { type: 'stats'; transponders: TransponderJSON[] }
  | { type: 'streams'; streams: StreamInfoJSON[] };

/** Events a subscriber receives (everything the host pushes after `subscribe-events`). */
export type HostEvent = Extract<HostMessage, { type: 'transponder' | 'transponder-removed' | 'stats' | 'streams' }>;

const HOST_TYPES = new Set(['hello', 'answer', 'error', 'stream', 'transponder', 'transponder-removed', 'stats', 'streams']);

/** Parses one text frame from the host; undefined for anything that is not a known message. */
export function parseHostMessage(text: string): HostMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !HOST_TYPES.has(type)) return undefined;
  return value as HostMessage;
}

/** ws(s)://host:port[/ws] or http(s)://host:port[/…] → the session WebSocket URL. */
export function toWebSocketUrl(urlServer: string): string {
  const url = new URL(urlServer);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new Error(`urlServer must be ws(s):// or http(s)://, got "${url.protocol}"`);
  }
  if (url.pathname === '/' || url.pathname === '' || !url.pathname.endsWith('/ws')) url.pathname = '/ws';
  url.search = '';
  url.hash = '';
  return url.toString();
}
