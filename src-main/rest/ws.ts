// `/ws`, the session and events WebSocket of docs/PROTOCOL.md. One connection is one session: streams it
// publishes end when it closes. Upgrades are not covered by CORS, so the handshake goes through the same
// Host / Origin / token gate as every request (security.ts); `Origin: null` is refused like any foreign one.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { LazyWebSocketServer } from './lazy-ws.js';
import type { Recording } from '../../src-contract/recording.js';
import type { ScenesClientMessage, ScenesList } from '../../src-contract/scenes.js';
import { handleSceneMessage, isSceneMessage, parseSceneMessage } from '../scenes/messages.js';
import { type LiveStream, redactName, type TransponderJSON } from '../../src-relay/index.js';
import type { RestDeps } from './deps.js';
import { statusAndMessage } from './errors.js';
import { checkRtmpUrl } from './push.js';
import { followPublication, type Publication } from './republish.js';
import { checkRequest } from './security.js';
import { checkStreamName } from './whip.js';

export const WS_PATH = '/ws';
const MAX_MESSAGE_BYTES = 512 * 1024;
const STATUS_TEXT: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };

type ClientMessage =
  | { type: 'publish'; id?: string; streamName: string; sdp: string; rtmpUrl?: string }
  | { type: 'unpublish'; id?: string; streamName: string }
  | { type: 'subscribe-events' }
  | ScenesClientMessage;

/** Parses a text frame; undefined when it is not one of the client messages. */
export function parseClientMessage(text: string): ClientMessage | { error: string; id?: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { error: 'the message is not JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { error: 'the message must be a JSON object' };
  const m = raw as Record<string, unknown>;
  const id = typeof m.id === 'string' ? m.id : undefined;
  const bad = (error: string) => (id === undefined ? { error } : { error, id });
  switch (m.type) {
    case 'subscribe-events':
      return { type: 'subscribe-events' };
    case 'publish':
      if (typeof m.streamName !== 'string' || typeof m.sdp !== 'string') return bad('publish needs streamName and sdp strings');
      if (m.rtmpUrl !== undefined && typeof m.rtmpUrl !== 'string') return bad('rtmpUrl must be a string');
      return { type: 'publish', id, streamName: m.streamName, sdp: m.sdp, rtmpUrl: m.rtmpUrl as string | undefined };
    case 'unpublish':
      if (typeof m.streamName !== 'string') return bad('unpublish needs streamName');
      return { type: 'unpublish', id, streamName: m.streamName };
    default:
      return parseSceneMessage(m) ?? bad(`unknown message type ${JSON.stringify(m.type)}`);
  }
}

function streamsEvent(deps: RestDeps) {
  return {
    type: 'streams',
    streams: deps.registry.list().map((s) => ({
      streamName: s.name,
      width: s.params?.width ?? 0,
      height: s.params?.height ?? 0,
      hasAudio: s.hasAudio,
      videoCodec: s.videoCodec,
      keyframeRequests: s.ignoresKeyframeRequests ? 'ignored' : 'answered',
      ignoresKeyframeRequests: s.ignoresKeyframeRequests,
      /** Stream time between the primary layer's last two keyframes, ms; 0 until two arrived. */
      keyframeIntervalMs: Math.round(s.layers[0]?.keyframeIntervalMs ?? 0),
    })),
  };
}

/** One WebSocket session. */
class Session {
  readonly id = randomUUID();
  /** streamName → ingest sessionId of what this session publishes. */
  private readonly published = new Map<string, string>();
  private subscribed = false;
  /** What follows each of this session's streams and their republish. */
  private readonly publications = new Set<Publication>();

  constructor(
    private readonly socket: WebSocket,
    private readonly deps: RestDeps,
    private readonly hub: EventHub,
  ) {
    socket.on('message', (data, isBinary) => {
      if (isBinary) return this.send({ type: 'error', error: 'binary frames are not part of the protocol' });
      void this.handle(data.toString());
    });
    socket.on('close', () => this.close());
    socket.on('error', () => socket.terminate());
    this.send({ type: 'hello', sessionId: this.id, version: deps.version });
  }

  send(message: object): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private async handle(text: string): Promise<void> {
    const message = parseClientMessage(text);
    if ('error' in message) return this.send({ type: 'error', ...message });
    try {
      if (isSceneMessage(message)) handleSceneMessage(this, this.deps.scenes, message);
      else if (message.type === 'subscribe-events') this.subscribe();
      else if (message.type === 'publish') await this.publish(message);
      else this.unpublish(message.streamName, message.id);
    } catch (err) {
      const id = 'id' in message ? message.id : undefined;
      const { status, message: error } = statusAndMessage(err);
      // A refusal is the client's business; anything else is a fault of ours and must reach the log.
      if (status >= 500) this.deps.log('ws.internal_error', { session: this.id, type: message.type, error: (err as Error).message });
      this.send({ type: 'error', id, streamName: 'streamName' in message ? message.streamName : undefined, error });
    }
  }

  private subscribe(): void {
    if (this.subscribed) return;
    this.subscribed = true;
    this.hub.add(this);
    this.send(streamsEvent(this.deps));
    for (const t of this.deps.transponders.list()) this.send({ type: 'transponder', transponder: t });
    for (const recording of this.deps.recordings?.list() ?? []) this.send({ type: 'recording', recording });
    this.send({ type: 'scenes', ...this.deps.scenes.list() });
  }

  private async publish(m: { id?: string; streamName: string; sdp: string; rtmpUrl?: string }): Promise<void> {
    checkStreamName(m.streamName);
    if (m.rtmpUrl !== undefined) await checkRtmpUrl(m.rtmpUrl, this.deps);
    const { sessionId, answerSdp, stream } = await this.deps.ingest.publish(m.streamName, m.sdp);
    if (this.socket.readyState !== this.socket.OPEN) {
      this.deps.ingest.unpublish(sessionId, 'STOPPED_BY_PUBLISHER_STOP');
      return;
    }
    this.published.set(m.streamName, sessionId);
    this.deps.log('ws.publish', { session: this.id, streamName: redactName(m.streamName) });
    this.send({ type: 'answer', id: m.id, streamName: m.streamName, sdp: answerSdp });
    this.send({ type: 'stream', streamName: m.streamName, status: 'PENDING' });
    const publication = followPublication(this.deps, stream, m.rtmpUrl, (event) => {
      if (event.status === 'UNPUBLISHED') {
        this.published.delete(stream.name);
        this.publications.delete(publication);
        this.send({ type: 'stream', streamName: stream.name, status: 'UNPUBLISHED', info: event.reason });
      } else if (event.status === 'FAILED') {
        const { status, info, error, reason } = event;
        this.send({ type: 'stream', streamName: stream.name, status, info, ...(error !== undefined ? { error } : {}), ...(reason !== undefined ? { reason } : {}) });
      } else {
        this.send({ type: 'stream', streamName: stream.name, ...event });
      }
    });
    this.publications.add(publication);
  }

  private unpublish(streamName: string, id: string | undefined): void {
    const sessionId = this.published.get(streamName);
    if (sessionId === undefined) {
      this.send({ type: 'error', id, streamName, error: `this session does not publish "${streamName}"` });
      return;
    }
    this.deps.ingest.unpublish(sessionId, 'STOPPED_BY_PUBLISHER_STOP');
  }

  close(): void {
    this.hub.remove(this);
    this.deps.scenes.detach(this);
    for (const sessionId of this.published.values()) this.deps.ingest.unpublish(sessionId, 'STOPPED_BY_PUBLISHER_STOP');
    this.published.clear();
    for (const publication of this.publications) publication.detach();
    this.publications.clear();
  }
}

/** Fans host events out to the subscribed sessions. */
class EventHub {
  private readonly sessions = new Set<Session>();
  private readonly detach: Array<() => void> = [];

  constructor(private readonly deps: RestDeps) {
    const broadcast = (message: object) => {
      for (const s of this.sessions) s.send(message);
    };
    const onChanged = (transponder: TransponderJSON) => broadcast({ type: 'transponder', transponder });
    const onRemoved = (transponder: TransponderJSON) => broadcast({ type: 'transponder-removed', transponder });
    const onStats = (transponders: TransponderJSON[]) => broadcast({ type: 'stats', transponders });
    const onStreams = () => broadcast(streamsEvent(deps));
    /** Streams whose 'params' we follow (a new resolution is a new `streams` event), to let go on close. */
    const following = new Set<LiveStream>();
    const onPublished = (stream: LiveStream) => {
      onStreams();
      stream.on('params', onStreams);
      following.add(stream);
      stream.once('end', () => {
        stream.off('params', onStreams);
        following.delete(stream);
      });
    };
    const onRecording = (recording: Recording) => broadcast({ type: 'recording', recording });
    // Attached studios get `scenes` from the ScenesHub itself; once per session.
    const onScenes = (list: ScenesList) => {
      for (const s of this.sessions) if (!deps.scenes.isAttached(s)) s.send({ type: 'scenes', ...list });
    };
    deps.scenes.on('changed', onScenes);
    this.detach.push(() => deps.scenes.off('changed', onScenes));
    deps.recordings?.on('changed', onRecording);
    this.detach.push(() => deps.recordings?.off('changed', onRecording));
    deps.transponders.on('changed', onChanged);
    deps.transponders.on('removed', onRemoved);
    deps.transponders.on('stats', onStats);
    deps.registry.on('published', onPublished);
    deps.registry.on('unpublished', onStreams);
    this.detach.push(
      () => deps.transponders.off('changed', onChanged),
      () => deps.transponders.off('removed', onRemoved),
      () => deps.transponders.off('stats', onStats),
      () => deps.registry.off('published', onPublished),
      () => deps.registry.off('unpublished', onStreams),
      () => {
        for (const stream of following) stream.off('params', onStreams);
        following.clear();
      },
    );
  }

  add(session: Session): void {
    this.sessions.add(session);
  }

  remove(session: Session): void {
    this.sessions.delete(session);
  }

  close(): void {
    for (const d of this.detach) d();
    this.sessions.clear();
  }
}

export interface WsEndpoint {
  /** The 'upgrade' listener for the HTTP and HTTPS servers. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): Promise<void>;
}

function refuse(socket: Duplex, status: number, error: string): void {
  const body = JSON.stringify({ error });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function createWsEndpoint(deps: RestDeps): WsEndpoint {
  const wss = new LazyWebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const hub = new EventHub(deps);
  return {
    handleUpgrade(req, socket, head) {
      socket.on('error', () => socket.destroy());
      const url = new URL(req.url ?? '/', 'http://host');
      if (url.pathname !== WS_PATH) return refuse(socket, 404, `no WebSocket endpoint at ${url.pathname.slice(0, 100)}`);
      const refusal = checkRequest(
        {
          host: req.headers.host,
          origin: req.headers.origin,
          authorization: req.headers.authorization,
          queryToken: url.searchParams.get('access_token') ?? undefined,
          path: url.pathname,
        },
        deps.security,
      );
      if (refusal) {
        deps.log('ws.refused', { status: refusal.status, remote: req.socket.remoteAddress });
        return refuse(socket, refusal.status, refusal.error);
      }
      wss.handleUpgrade(req, socket, head, (ws) => new Session(ws, deps, hub));
    },
    async close() {
      hub.close();
      await wss.close();
    },
  };
}
