// An RTMP publisher: one push of one stream to one target (a transponder's connection). Owns the socket
// through RtmpSession, retries the connection for authentication challenges, then feeds media through the
// congestion-aware SendQueue (queue.ts) so that memory stays bounded whatever the target does.
import { EventEmitter } from 'node:events';
import { AckTracker } from './acks.js';
import { EcmaArray, encodeAmf0, type Amf0Value } from './amf0.js';
import { AuthSession } from './auth.js';
import { ChunkStreamId, MessageType } from './control.js';
import { RtmpError } from './errors.js';
import type { HandshakeForm } from './handshake.js';
import { SendQueue, type QueuedItem, type VideoFrameKind } from './queue.js';
import { PublisherDefaults, type RtmpPublisherEvents, type RtmpPublisherOptions } from './publisher-options.js';
import { RtmpSession } from './rtmp-session.js';
import type { RtmpTarget } from './url.js';
import type { FlvMediaTag } from '../flv/tags.js';
import { silentLog } from '../log.js';
import { redactName, redactUrl } from '../redact.js';

export { RtmpError };
export { PublisherDefaults, type RtmpPublisherEvents, type RtmpPublisherOptions } from './publisher-options.js';

/** The chunk stream and message type of each kind of message the publisher sends (RTMP 1.0 §7.1, control.ts). */
const MessageRoute = {
  video: { csid: ChunkStreamId.video, typeId: MessageType.video },
  audio: { csid: ChunkStreamId.audio, typeId: MessageType.audio },
  data: { csid: ChunkStreamId.data, typeId: MessageType.dataAmf0 },
} as const;

/** A message to queue, before its chunks are encoded. */
type OutgoingMessage = { timestamp: number; payload: Buffer; done: (() => void) | undefined } & (
  | { kind: 'video'; frame: VideoFrameKind }
  | { kind: 'audio' | 'data' }
);

export class RtmpPublisher extends EventEmitter<RtmpPublisherEvents> {
  private readonly options: Required<Omit<RtmpPublisherOptions, 'tlsOptions' | 'mediaSessionId'>> & RtmpPublisherOptions;
  private readonly queue: SendQueue;
  private session?: RtmpSession;
  private state: 'idle' | 'starting' | 'publishing' | 'stopping' | 'closed' = 'idle';
  private sent = 0;
  private readonly acks = new AckTracker(PublisherDefaults.ackWindow);
  /** Since when data waits in our queue or the socket's buffer (the first watchdog tick that saw it). */
  private waitingSince?: number;
  private lastFlushAt = 0;
  private watchdog?: NodeJS.Timeout;
  /** The coalescing timer (created once, re-armed with refresh()) and whether it is armed. */
  private pumpTimer?: NodeJS.Timeout;
  private pumpArmed = false;
  /** Between cork() and uncork(): queued messages wait for uncork() instead of going to the socket each. */
  private corked = false;
  private abortStart?: (error: RtmpError) => void;
  /** The queue was in a dropping spell after the previous write (a new spell is logged once). */
  private wasDropping = false;
  private readonly logFields: Record<string, string>;
  /** Digest first; simple after a server closed the connection on the digest C1. */
  private handshakeForm: HandshakeForm = 'digest';

  constructor(
    readonly target: RtmpTarget,
    options: RtmpPublisherOptions = {},
  ) {
    super();
    this.options = {
      timeoutMs: options.timeoutMs ?? PublisherDefaults.timeoutMs,
      maxQueueMs: options.maxQueueMs ?? PublisherDefaults.maxQueueMs,
      blackHoleMs: options.blackHoleMs ?? PublisherDefaults.blackHoleMs,
      maxQueueBytes: options.maxQueueBytes ?? PublisherDefaults.maxQueueBytes,
      log: options.log ?? silentLog,
      ...(options.mediaSessionId !== undefined && { mediaSessionId: options.mediaSessionId }),
      ...(options.tlsOptions !== undefined && { tlsOptions: options.tlsOptions }),
    };
    this.queue = new SendQueue(this.options.maxQueueMs);
    this.logFields = {
      ...(options.mediaSessionId !== undefined && { mediaSessionId: options.mediaSessionId }),
      url: redactUrl(target.tcUrl),
      stream: redactName(target.streamName),
    };
  }

  get bytesSent(): number {
    return this.sent;
  }
  get queuedMs(): number {
    return this.queue.queuedMs;
  }
  /** Bytes not yet handed to the network: our queue plus the socket's own buffer. */
  get queuedBytes(): number {
    return this.queue.bytes + (this.session?.socket.writableLength ?? 0);
  }
  get droppedFrames(): number {
    return this.queue.droppedFrames;
  }
  get connected(): boolean {
    return this.state === 'publishing';
  }

  /** Connects and publishes; rejects with a typed RtmpError. Call once. */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new RtmpError('CLOSED', `start() called on a publisher that is ${this.state}`);
    this.state = 'starting';
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      this.abortStart = reject;
      timer = setTimeout(
        () => reject(new RtmpError('TIMEOUT', `no NetStream.Publish.Start from ${redactUrl(this.target.tcUrl)} within ${this.options.timeoutMs} ms`)),
        this.options.timeoutMs,
      );
    });
    deadline.catch(() => {}); // raced below; never unhandled
    try {
      await Promise.race([this.connectWithAuth(), deadline]);
    } catch (err) {
      this.session?.end();
      this.state = 'closed';
      const error = err instanceof RtmpError ? err : new RtmpError('NETWORK', String(err), { cause: err });
      this.log('rtmp.start_failed', { code: error.code, reason: error.message });
      throw error;
    } finally {
      clearTimeout(timer);
      this.abortStart = undefined;
    }
    if (this.state !== 'starting') {
      this.session?.end();
      throw new RtmpError('CLOSED', 'publisher was stopped while connecting');
    }
    this.state = 'publishing';
    this.log('rtmp.publishing');
    this.watch();
  }

  private async connectWithAuth(): Promise<void> {
    const auth = new AuthSession(this.target.username !== undefined ? { username: this.target.username, password: this.target.password ?? '' } : undefined, this.target.app);
    let appSuffix = '';
    for (let attempt = 1; attempt <= PublisherDefaults.maxAuthConnections; attempt++) {
      if (this.state !== 'starting') throw new RtmpError('CLOSED', 'publisher was stopped while connecting');
      this.log('rtmp.connecting', { attempt, handshake: this.handshakeForm });
      const session = new RtmpSession({
        target: this.target,
        appSuffix,
        auth,
        log: this.options.log,
        logFields: this.logFields,
        tlsOptions: this.options.tlsOptions,
        handshake: this.handshakeForm,
      });
      this.session = session;
      let result;
      try {
        result = await session.run();
      } catch (error) {
        // A server that closes on our digest C1 gets the simple one on a new connection (docs/DECISIONS.md).
        if (!(session.refusedHandshake && this.handshakeForm === 'digest' && this.state === 'starting')) throw error;
        this.log('rtmp.handshake_refused', { handshake: this.handshakeForm, next: 'simple' });
        this.handshakeForm = 'simple';
        attempt -= 1;
        continue;
      }
      if (this.state !== 'starting') {
        session.end(); // timed out or stopped while this connection was still on its way
        throw new RtmpError('CLOSED', 'publisher was stopped while connecting');
      }
      if (result.kind === 'published') {
        session.on('closed', (error) => {
          if (this.state !== 'stopping') this.finish(error); // during stop() the server closing is expected
        });
        session.socket.on('drain', () => this.pump());
        session.on('acknowledgement', (sequence) => this.acks.acknowledged(sequence, performance.now()));
        session.announceAckWindow(PublisherDefaults.ackWindow);
        return;
      }
      appSuffix = result.query;
    }
    throw new RtmpError('AUTH_FAILED', `server kept asking for authentication after ${PublisherDefaults.maxAuthConnections} connections`);
  }

  /** @setDataFrame onMetaData with the properties as an ECMA array (FLV spec §E.5, as encoders send it). */
  writeMetadata(meta: Record<string, Amf0Value>): void {
    this.enqueue({ kind: 'data', timestamp: 0, payload: encodeAmf0('@setDataFrame', 'onMetaData', new EcmaArray(meta)), done: undefined });
  }

  /**
   * Sends one audio or video tag as an RTMP message of its kind (the tag body is the payload). Its
   * `keyframe` and `sequenceHeader` flags decide what the congestion policy may drop (queue.ts). `done`, if
   * given, is called once when the body is no longer needed: its bytes were handed to the kernel, it was
   * dropped, or the connection is gone (the caller may then reuse its memory).
   */
  writeTag(tag: FlvMediaTag, done?: () => void): void {
    if (tag.kind === 'audio') this.enqueue({ kind: 'audio', timestamp: tag.time, payload: tag.body, done });
    else this.enqueue({ kind: 'video', frame: videoFrameKind(tag), timestamp: tag.time, payload: tag.body, done });
  }

  private enqueue(message: OutgoingMessage): void {
    const session = this.session;
    const { done } = message;
    if (this.state !== 'publishing' || !session) {
      done?.();
      return; // not (or no longer) connected: frames have nowhere to go
    }
    const { csid, typeId } = MessageRoute[message.kind];
    const timestamp = message.timestamp;
    const bytes = session.encodePieces({ csid, timestamp: timestamp >>> 0, typeId, streamId: session.publishStreamId, payload: message.payload });
    const item: QueuedItem = message.kind === 'video' ? { kind: 'video', frame: message.frame, timestamp, bytes, done } : { kind: message.kind, timestamp, bytes, done };
    const dropped = this.queue.push(item);
    if (dropped > 0) {
      if (!this.wasDropping) this.log('rtmp.congestion', { queuedMs: this.queue.queuedMs, droppedFrames: this.queue.droppedFrames });
      this.emit('congestion', this.queue.droppedFrames);
    }
    this.wasDropping = this.queue.isDropping;
    if (this.queue.bytes > this.options.maxQueueBytes) {
      this.finish(new RtmpError('NETWORK', `target too slow: ${this.queue.bytes} bytes queued, the limit is ${this.options.maxQueueBytes}`));
      return;
    }
    if (message.kind === 'video') this.pump();
    else this.pumpSoon();
  }

  /**
   * Until uncork(), video written is queued without a socket write each (a sender handing over many
   * messages at once, unpaced, then leaves them in fewer and larger writes). The queue's congestion policy
   * applies as usual. Call uncork() before waiting for anything (queuedMs counts what cork() holds back).
   */
  cork(): void {
    this.corked = true;
  }

  /** Sends what cork() held back (as far as the socket takes it now; the rest on its drain, as usual). */
  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.pump();
  }

  /** Arms the coalescing timer (see PublisherDefaults.audioCoalesceMs) unless it is armed already. */
  private pumpSoon(): void {
    if (this.pumpArmed) return;
    this.pumpArmed = true;
    if (this.pumpTimer) this.pumpTimer.refresh();
    else {
      this.pumpTimer = setTimeout(() => this.pump(), PublisherDefaults.audioCoalesceMs);
      this.pumpTimer.unref();
    }
  }

  /** Hands queued chunks to the socket while its own buffer is small (the rest waits, droppable, in our queue). */
  private pump(): void {
    // A still-pending coalescing timer is left to fire into an empty queue: clearTimeout() would stop
    // refresh() from ever re-arming it.
    this.pumpArmed = false;
    if (this.corked) return; // uncork() pumps
    const socket = this.session?.socket;
    if (!socket || socket.destroyed || this.queue.length === 0) return;
    // Corked, the items taken here leave in one writev (one system call) instead of one write each.
    socket.cork();
    const sentBefore = this.sent;
    while (socket.writableLength < PublisherDefaults.socketHighWater) {
      const item = this.queue.shift();
      if (!item) break;
      // Called once the last piece (so all of the item: writes complete in order) left or failed.
      const onWritten = item.done ? this.flushedThen(item.done) : this.onFlushed;
      if (Buffer.isBuffer(item.bytes)) {
        this.sent += item.bytes.length;
        socket.write(item.bytes, onWritten);
      } else {
        const last = item.bytes.length - 1;
        for (let i = 0; i <= last; i++) {
          this.sent += item.bytes[i].length;
          if (i === last) socket.write(item.bytes[i], onWritten);
          else socket.write(item.bytes[i]);
        }
      }
    }
    socket.uncork();
    if (this.sent > sentBefore) this.acks.wrote(this.sent - sentBefore, performance.now());
  }

  private readonly onFlushed = (err?: Error | null): void => {
    if (!err) this.lastFlushAt = performance.now();
  };

  private flushedThen(done: () => void): (err?: Error | null) => void {
    return (err) => {
      this.onFlushed(err);
      done();
    };
  }

  /**
   * Black hole, by two rules checked every watchdogMs:
   *  - a target that acknowledges (AckTracker): more than its window written and no Acknowledgement for
   *    blackHoleMs. Bytes in the kernel's send buffer do not count as delivered here;
   *  - any target: data waits and nothing was handed to the kernel for blackHoleMs, counted from the last
   *    write that completed (or from when data began to wait, if later). For a target that never
   *    acknowledges this is the only rule; it fires after the send buffer filled up.
   */
  private watch(): void {
    const period = Math.max(50, Math.min(PublisherDefaults.watchdogMs, this.options.blackHoleMs / 4));
    this.watchdog = setInterval(() => {
      const socket = this.session?.socket;
      if (!socket) return;
      const now = performance.now();
      const overdue = this.acks.acknowledging ? this.acks.overdueMs(now) : 0;
      if (overdue >= this.options.blackHoleMs) {
        this.finish(new RtmpError('BLACK_HOLE', `target stopped acknowledging: ${this.acks.unacknowledged} bytes unacknowledged, an acknowledgement due for ${Math.round(overdue)} ms`));
        return;
      }
      const waiting = this.queue.length > 0 || socket.writableLength > 0;
      if (!waiting) {
        this.waitingSince = undefined;
        return;
      }
      this.waitingSince ??= now;
      const since = Math.max(this.lastFlushAt, this.waitingSince);
      if (now - since >= this.options.blackHoleMs) {
        const waitingBytes = this.queue.bytes + socket.writableLength;
        this.finish(new RtmpError('BLACK_HOLE', `target stopped reading: ${waitingBytes} bytes waited ${Math.round(now - since)} ms without draining`));
      }
    }, period);
    this.watchdog.unref();
  }

  /** FCUnpublish and deleteStream, then a graceful close; idempotent; bounded to 2 s. */
  async stop(): Promise<void> {
    if (this.state === 'closed' || this.state === 'stopping') return;
    if (this.state === 'idle' || this.state === 'starting') {
      const abort = this.abortStart;
      this.state = 'closed';
      abort?.(new RtmpError('CLOSED', 'publisher was stopped while connecting'));
      this.session?.end();
      return;
    }
    this.state = 'stopping';
    this.corked = false; // everything queued goes out before the unpublish commands
    const session = this.session!;
    const socket = session.socket;
    const name = this.target.streamName;
    // encodeCommand writes the null command object itself: FCUnpublish(name), deleteStream(streamId) as
    // ffmpeg's rtmpproto.c sends them (an extra null put the name and the stream id where no server reads).
    for (const bytes of [session.encodeCommand('FCUnpublish', name), session.encodeCommand('deleteStream', session.publishStreamId)]) {
      this.queue.push({ kind: 'command', timestamp: 0, bytes });
    }
    const closed = new Promise<void>((resolve) => {
      if (socket.destroyed) return resolve();
      socket.once('close', () => resolve());
      const flushThenEnd = (): void => {
        this.pump();
        if (this.queue.length === 0) socket.end();
        else socket.once('drain', flushThenEnd);
      };
      flushThenEnd();
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, PublisherDefaults.stopTimeoutMs);
    });
    await Promise.race([closed, timeout]);
    clearTimeout(timer);
    this.finish(undefined);
  }

  /** Closes at once, without FCUnpublish. */
  destroy(): void {
    if (this.state === 'idle' || this.state === 'starting') {
      const abort = this.abortStart;
      this.state = 'closed';
      abort?.(new RtmpError('CLOSED', 'publisher was destroyed while connecting'));
      this.session?.end();
      return;
    }
    this.finish(undefined);
  }

  private finish(error: RtmpError | undefined): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearInterval(this.watchdog);
    clearTimeout(this.pumpTimer);
    this.pumpArmed = false;
    this.session?.end();
    for (let item = this.queue.shift(); item; item = this.queue.shift()) item.done?.(); // never to be written
    this.log('rtmp.closed', { code: error?.code ?? 'STOPPED', reason: error?.message ?? 'stopped', bytesSent: this.sent, droppedFrames: this.queue.droppedFrames });
    this.emit('close', error);
  }

  private log(event: string, fields: Record<string, string | number | boolean> = {}): void {
    this.options.log(event, { ...this.logFields, ...fields });
  }
}

/** A sequence header is flagged a keyframe, but no picture follows from it: only a real keyframe ends a dropping spell. */
function videoFrameKind(tag: { keyframe: boolean; sequenceHeader: boolean }): VideoFrameKind {
  if (tag.sequenceHeader) return 'sequenceHeader';
  return tag.keyframe ? 'keyframe' : 'inter';
}
