// One WCS client connection (docs/DESIGN.md §4a): `connection` establishes it, each `publishStream` is a WebRTC
// ingest answered with setRemoteSDP, its life reported as notifyStreamStatusEvent in WCS's words, and every
// stream it publishes ends when it closes. Keep-alive: we ping; a client silent for `timeoutMs` is gone (a
// closed laptop lid sends no close frame).
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { IngestError, redactName, StreamNameInUseError } from '../../src-relay/index.js';
import type { RestDeps } from '../rest/deps.js';
import { statusAndMessage } from '../rest/errors.js';
import { checkRtmpUrl } from '../rest/push.js';
import { followPublication, type Publication, type PublicationEvent } from '../rest/republish.js';
import { checkStreamName } from '../rest/whip.js';
import {
  failFrame,
  frame,
  parseClientFrame,
  streamEndStatus,
  StreamInfo,
  streamStatusFrame,
  type Frame,
  type PublishRequest,
  type StreamRef,
} from './protocol.js';

export interface KeepAlive {
  pingMs: number;
  timeoutMs: number;
}

export const DEFAULT_KEEPALIVE: KeepAlive = { pingMs: 10_000, timeoutMs: 35_000 };

interface Published {
  ref: StreamRef;
  /** The ingest's session id, to end it. */
  ingestId?: string;
  publication?: Publication;
}

export class WcsSession {
  readonly id = randomUUID();
  private established = false;
  private closed = false;
  /** mediaSessionId → this session's streams (also those still being negotiated). */
  private readonly streams = new Map<string, Published>();
  private lastHeard = Date.now();
  private readonly pinger: NodeJS.Timeout;

  constructor(
    private readonly socket: WebSocket,
    private readonly deps: RestDeps,
    private readonly remote: string | undefined,
    private readonly keepAliveTiming: KeepAlive = DEFAULT_KEEPALIVE,
  ) {
    socket.on('message', (data, isBinary) => {
      this.lastHeard = Date.now();
      if (isBinary) return this.send(failFrame('binary', 'binary frames are not part of the protocol; send JSON text frames'));
      void this.handle(data.toString());
    });
    socket.on('close', () => this.close());
    // A protocol error (a frame over the size limit, say): ws has queued the close frame with its code behind
    // the replies still being sent; the socket goes once the client answers it, or a second later.
    socket.on('error', () => setTimeout(() => socket.terminate(), 1000).unref());
    this.pinger = setInterval(() => this.keepAlive(), keepAliveTiming.pingMs);
    this.pinger.unref();
  }

  private send(f: Frame): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(f));
  }

  private keepAlive(): void {
    if (Date.now() - this.lastHeard > this.keepAliveTiming.timeoutMs) {
      this.deps.log('wcs.keepalive_lost', { session: this.id });
      this.socket.terminate();
      return;
    }
    this.send(frame('ping'));
  }

  private async handle(text: string): Promise<void> {
    const request = parseClientFrame(text);
    try {
      switch (request.kind) {
        case 'connection':
          return this.establish(request.config);
        case 'ping':
          return this.send(frame('pong'));
        case 'pong':
        case 'ignored':
          return;
        case 'malformed':
          this.deps.log('wcs.malformed', { session: this.id, info: (request.reply.data[0] as { info: string }).info });
          return this.send(request.reply);
        case 'unsupported':
          this.deps.log('wcs.unsupported', { session: this.id, message: request.message });
          return this.send(request.reply);
        case 'publishStream':
          return await this.publish(request.request);
        case 'unPublishStream':
          return this.unpublish(request.stream);
      }
    } catch (err) {
      this.deps.log('wcs.internal_error', { session: this.id, kind: request.kind, error: (err as Error).message });
      this.send(failFrame(request.kind, 'internal error (see the host log)'));
    }
  }

  /**
   * getUserData: the SDK keeps it as the session's configuration and takes `authToken` from it; WCS echoes
   * the client's configuration. Castbridge adds its session id and version.
   */
  private establish(config: Record<string, unknown>): void {
    this.established = true;
    const echo: Record<string, unknown> = {};
    for (const key of ['appKey', 'mediaProviders', 'keepAlive', 'clientVersion', 'msePacketizationVersion', 'custom']) {
      if (config[key] !== undefined) echo[key] = config[key];
    }
    this.deps.log('wcs.session', { session: this.id, remote: this.remote, appKey: typeof config.appKey === 'string' ? config.appKey.slice(0, 64) : undefined });
    this.send(frame('getUserData', { ...echo, authToken: this.id, sessionId: this.id, serverVersion: `Castbridge ${this.deps.version}`, status: 'ESTABLISHED' }));
  }

  private async publish(request: PublishRequest): Promise<void> {
    const ref: StreamRef = { mediaSessionId: request.mediaSessionId, name: request.name };
    const fail = (info: string): void => this.send(streamStatusFrame(ref, 'FAILED', info));
    if (!this.established) return fail(StreamInfo.sessionNotReady);
    if (this.streams.has(request.mediaSessionId)) return fail(StreamInfo.mediaSessionIdInUse);
    if (request.record) return fail('Castbridge does not record streams: publish without record');
    try {
      checkStreamName(request.name);
    } catch (err) {
      return fail(statusAndMessage(err).message);
    }
    const entry: Published = { ref };
    this.streams.set(request.mediaSessionId, entry);
    if (request.rtmpUrl !== undefined) {
      try {
        await checkRtmpUrl(request.rtmpUrl, this.deps);
      } catch (err) {
        this.streams.delete(request.mediaSessionId);
        this.deps.log('wcs.rtmp_url_refused', { session: this.id, streamName: redactName(request.name), error: statusAndMessage(err).message });
        return fail(StreamInfo.rtmpWriterError);
      }
      // Unpublished or closed while the URL's host was being resolved: nothing to negotiate.
      if (this.closed || this.streams.get(request.mediaSessionId) !== entry) return;
    }
    let published;
    try {
      published = await this.deps.ingest.publish(request.name, request.sdp);
    } catch (err) {
      // Unpublished or closed meanwhile: the client was told already, a late FAILED would contradict it.
      if (this.closed || this.streams.get(request.mediaSessionId) !== entry) return;
      this.streams.delete(request.mediaSessionId);
      if (err instanceof StreamNameInUseError) return fail(StreamInfo.nameInUse);
      if (err instanceof IngestError) return fail(`${StreamInfo.failedByError}: ${err.message}`);
      throw err;
    }
    const { sessionId, answerSdp, stream } = published;
    if (this.closed || this.streams.get(request.mediaSessionId) !== entry) {
      // Closed or unpublished (and told so) while the offer was being answered.
      this.deps.ingest.unpublish(sessionId, this.closed ? 'STOPPED_BY_SESSION_DISCONNECT' : 'STOPPED_BY_PUBLISHER_STOP');
      return;
    }
    entry.ingestId = sessionId;
    this.deps.log('wcs.publish', { session: this.id, mediaSessionId: sessionId, streamName: redactName(request.name), republish: request.rtmpUrl !== undefined });
    this.send(frame('setRemoteSDP', request.mediaSessionId, answerSdp));
    entry.publication = followPublication(this.deps, stream, request.rtmpUrl, (event) => this.report(entry, event));
  }

  /**
   * WCS's words for what happened. FAILED and STOPPED are final for the SDK (it closes its peer connection and
   * forgets the stream), so the stream is ended here too rather than left to the RTP timeout.
   */
  private report(entry: Published, event: PublicationEvent): void {
    const { ref } = entry;
    switch (event.status) {
      case 'PUBLISHING':
        return this.send(streamStatusFrame(ref, 'PUBLISHING'));
      case 'UNPUBLISHED': {
        this.streams.delete(ref.mediaSessionId);
        const end = streamEndStatus(event.reason);
        return this.send(streamStatusFrame(ref, end.status, end.info));
      }
      case 'FAILED':
        this.send(streamStatusFrame(ref, 'FAILED', StreamInfo.rtmpWriterError));
        return this.end(entry, event.info);
      case 'STOPPED':
        this.send(streamStatusFrame(ref, 'STOPPED', StreamInfo.restTerminate));
        return this.end(entry, event.info);
    }
  }

  /** Ends one stream without a further status (the client was already told). */
  private end(entry: Published, reason: string): void {
    this.streams.delete(entry.ref.mediaSessionId);
    entry.publication?.detach();
    if (entry.ingestId !== undefined) this.deps.ingest.unpublish(entry.ingestId, reason);
  }

  private unpublish(ref: StreamRef): void {
    const entry = this.streams.get(ref.mediaSessionId);
    if (!entry) return this.send(streamStatusFrame(ref, 'FAILED', StreamInfo.streamNotFound));
    if (entry.ingestId === undefined) {
      // Still negotiating: publish() sees the entry gone and ends what it made.
      this.streams.delete(ref.mediaSessionId);
      return this.send(streamStatusFrame(entry.ref, 'UNPUBLISHED', StreamInfo.publisherStop));
    }
    // The stream's end reports UNPUBLISHED through followPublication.
    this.deps.ingest.unpublish(entry.ingestId, 'STOPPED_BY_PUBLISHER_STOP');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pinger);
    for (const entry of this.streams.values()) {
      entry.publication?.detach();
      if (entry.ingestId !== undefined) this.deps.ingest.unpublish(entry.ingestId, 'STOPPED_BY_SESSION_DISCONNECT');
    }
    this.streams.clear();
    this.deps.log('wcs.session_closed', { session: this.id });
  }
}
