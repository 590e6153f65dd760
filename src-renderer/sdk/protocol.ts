// The `/ws` wire protocol between a web page (studio or SDK user) and the host, as docs/PROTOCOL.md
// describes it. The transponder object is the one the host sends everywhere (REST, `/ws` events); its type
// comes from the shared wire contract (src-contract/transponder.ts), which has no server code: the renderer
// still reaches the host only over the wire.
import type { Transponder, TransponderOptions, TransponderStats, TransponderStatus } from '../../src-contract/transponder.js';
import type { Recording } from '../../src-contract/recording.js';
import type { ScenesClientMessage, ScenesHostMessage } from '../../src-contract/scenes.js';

export type { TransponderOptions, TransponderStats, TransponderStatus };

/** The WCS transponder object plus Castbridge's additions (docs/DESIGN.md §4). */
export type TransponderJSON = Transponder;

/** WCS WebSDK stream statuses (docs/DESIGN.md §4). */
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
  | { type: 'subscribe-events' }
  /** A studio that draws scenes: attach, confirm an activation, report a switch of its own. */
  | ScenesClientMessage;

/** Host → client. */
export type HostMessage =
  | { type: 'hello'; sessionId: string; version: string }
  | { type: 'answer'; id: string; streamName: string; sdp: string }
  | { type: 'error'; id?: string; error: string }
  | { type: 'stream'; streamName: string; status: StreamStatus; info?: string }
  | { type: 'transponder'; transponder: TransponderJSON }
  | { type: 'transponder-removed'; transponder: TransponderJSON }
  | { type: 'stats'; transponders: TransponderJSON[] }
  | { type: 'streams'; streams: StreamInfoJSON[] }
  /** A local recording started, is being finalized, or ended (docs/PROTOCOL.md). */
  | { type: 'recording'; recording: Recording }
  /** The scene list changed; the host asks an attached studio to show a scene. */
  | ScenesHostMessage;

/** Events a subscriber receives (everything the host pushes after `subscribe-events`). */
export type HostEvent = Extract<HostMessage, { type: 'transponder' | 'transponder-removed' | 'stats' | 'streams' | 'recording' | 'scenes' | 'scene-activate' }>;

const HOST_TYPES = new Set(['hello', 'answer', 'error', 'stream', 'transponder', 'transponder-removed', 'stats', 'streams', 'recording', 'scenes', 'scene-activate']);

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
