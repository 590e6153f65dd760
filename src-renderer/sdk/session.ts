// A session is one WebSocket to the host's `/ws` (docs/PROTOCOL.md): streams published through it end
// when it closes. Events: ESTABLISHED (hello received), DISCONNECTED (closed after being established),
// FAILED (could not be established).
import { Emitter } from './emitter.js';
import { parseHostMessage, SESSION_STATUS, toWebSocketUrl, type ClientMessage, type HostEvent, type HostMessage, type SessionStatus } from './protocol.js';
import type { ScenesClientMessage } from '../../src-contract/scenes.js';
import { Stream, type StreamOptions, type StreamTransport } from './stream.js';

/** How long a publish request waits for the host's answer. */
const REQUEST_TIMEOUT_MS = 20_000;

export interface SessionOptions {
  /** ws(s)://host:port, or the http(s) URL of the host (the page's own origin for the studio). */
  urlServer: string;
  /** The host's rest_auth_token when it has one; sent as `?access_token=` (a browser cannot set headers on a
   *  WebSocket). */
  accessToken?: string;
}

/** The session URL, with the access token when there is one. */
function sessionUrl(options: SessionOptions): string {
  const url = new URL(toWebSocketUrl(options.urlServer));
  if (options.accessToken) url.searchParams.set('access_token', options.accessToken);
  return url.toString();
}

export interface SessionEvents extends Record<string, unknown[]> {
  ESTABLISHED: [session: Session];
  DISCONNECTED: [session: Session];
  FAILED: [session: Session];
  /** Host events (transponders, stats, streams), after subscribeEvents(). */
  EVENT: [event: HostEvent];
}

interface PendingRequest {
  resolve(answer: { sdp: string }): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class Session extends Emitter<SessionEvents> {
  private status: SessionStatus = SESSION_STATUS.PENDING;
  private sessionId: string | undefined;
  private readonly socket: WebSocket;
  private readonly streams = new Map<string, Stream>();
  private readonly pending = new Map<string, PendingRequest>();
  private nextId = 1;
  private subscribed = false;
  private scenesAttached = false;
  private closed = false;

  constructor(readonly options: SessionOptions) {
    super();
    this.socket = new WebSocket(sessionUrl(options));
    this.socket.addEventListener('message', (event) => {
      if (typeof event.data === 'string') this.onMessage(event.data);
    });
    this.socket.addEventListener('close', () => this.onClose());
    // A connection refused before it opened (e.g. by the page's Content-Security-Policy) may fire only
    // 'error' in Chromium, never 'close': the session would stay PENDING forever.
    this.socket.addEventListener('error', () => {
      if (this.status === SESSION_STATUS.PENDING) this.onClose();
    });
  }

  getStatus(): SessionStatus {
    return this.status;
  }

  id(): string | undefined {
    return this.sessionId;
  }

  createStream(options: StreamOptions): Stream {
    return new Stream(options, this.transport);
  }

  /** Ask the host for transponder, stats and streams events (delivered as EVENT). */
  subscribeEvents(): void {
    this.subscribed = true;
    if (this.status === SESSION_STATUS.ESTABLISHED) this.send({ type: 'subscribe-events' });
  }

  /** Declares this session a studio that shows scenes (the host then sends it scene-activate); kept across
   *  the hello, like subscribeEvents. */
  attachScenes(): void {
    this.scenesAttached = true;
    if (this.status === SESSION_STATUS.ESTABLISHED) this.send({ type: 'scenes-attach' });
  }

  /** Tells the host a scene was applied, could not be, or was chosen in the studio. */
  reportScene(message: Exclude<ScenesClientMessage, { type: 'scenes-attach' }>): void {
    this.send(message);
  }

  disconnect(): void {
    this.socket.close(1000, 'disconnect');
  }

  private readonly transport: StreamTransport = {
    request: (stream, message) => {
      const id = `r${this.nextId++}`;
      return new Promise((resolve, reject) => {
        if (this.status !== SESSION_STATUS.ESTABLISHED) {
          reject(new Error(`the session is ${this.status}, not ESTABLISHED`));
          return;
        }
        const existing = this.streams.get(message.streamName);
        if (existing && existing !== stream) {
          // Host events are routed by name: one live stream per name and session.
          reject(new Error(`stream "${message.streamName}" is already being published in this session`));
          return;
        }
        const timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new Error(`the host did not answer the publish of "${message.streamName}" within ${REQUEST_TIMEOUT_MS} ms`));
        }, REQUEST_TIMEOUT_MS);
        this.pending.set(id, { resolve, reject, timer });
        this.streams.set(message.streamName, stream);
        const outgoing: ClientMessage = { type: 'publish', id, streamName: message.streamName, sdp: message.sdp };
        if (message.rtmpUrl) outgoing.rtmpUrl = message.rtmpUrl;
        this.send(outgoing);
      });
    },
    unpublish: (streamName) => {
      if (this.status === SESSION_STATUS.ESTABLISHED) this.send({ type: 'unpublish', id: `r${this.nextId++}`, streamName });
    },
    forget: (stream) => {
      if (this.streams.get(stream.name()) === stream) this.streams.delete(stream.name());
    },
  };

  private send(message: ClientMessage): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private onMessage(text: string): void {
    const message = parseHostMessage(text);
    if (!message) return;
    this.dispatch(message);
  }

  private dispatch(message: HostMessage): void {
    switch (message.type) {
      case 'hello':
        this.sessionId = message.sessionId;
        this.status = SESSION_STATUS.ESTABLISHED;
        if (this.subscribed) this.send({ type: 'subscribe-events' });
        if (this.scenesAttached) this.send({ type: 'scenes-attach' });
        this.emit('ESTABLISHED', this);
        return;
      case 'answer':
        this.settle(message.id, undefined, message.sdp);
        return;
      case 'error':
        if (message.id) this.settle(message.id, message.error, undefined);
        return;
      case 'stream':
        this.streams.get(message.streamName)?.onHostStatus(message.status, message.info);
        return;
      default:
        this.emit('EVENT', message);
    }
  }

  private settle(id: string, error: string | undefined, sdp: string | undefined): void {
    const request = this.pending.get(id);
    if (!request) return;
    this.pending.delete(id);
    clearTimeout(request.timer);
    if (sdp !== undefined) request.resolve({ sdp });
    else request.reject(new Error(error ?? 'the host refused the request'));
  }

  private onClose(): void {
    if (this.closed) return; // 'error' and 'close' may both report the same end
    this.closed = true;
    const wasEstablished = this.status === SESSION_STATUS.ESTABLISHED;
    this.status = wasEstablished ? SESSION_STATUS.DISCONNECTED : SESSION_STATUS.FAILED;
    for (const [id, request] of this.pending) {
      clearTimeout(request.timer);
      request.reject(new Error('the connection to the host closed'));
      this.pending.delete(id);
    }
    for (const stream of [...this.streams.values()]) stream.onSessionClosed();
    this.streams.clear();
    this.emit(wasEstablished ? 'DISCONNECTED' : 'FAILED', this);
  }
}
