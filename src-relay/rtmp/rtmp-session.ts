// One RTMP connection of a publisher: socket (TCP or TLS with SNI, tls.ts), handshake, chunk stream, protocol control
// (§5.4, §7.1.7) and the NetConnection/NetStream commands up to NetStream.Publish.Start (§7.2.1, §7.2.2):
//   connect(app, tcUrl, flashVer, type:'nonprivate') → releaseStream, FCPublish, createStream → publish(name, 'live')
// A connect `_error` with an authentication challenge ends the session with a query to retry with (auth.ts).
import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { asAmf0Record, decodeAmf0, encodeAmf0, type Amf0Value } from './amf0.js';
import type { AuthSession } from './auth.js';
import { ChunkReader, ChunkWriter, type RtmpMessage } from './chunk.js';
import {
  ChunkStreamId,
  MessageType,
  UserControlEvent,
  acknowledgementMessage,
  decodeUserControl,
  readControlU32,
  setChunkSizeMessage,
  userControlMessage,
  windowAckSizeMessage,
} from './control.js';
import { Amf0Error, RtmpError, RtmpProtocolError, type RtmpErrorCode } from './errors.js';
import { ClientHandshake, type HandshakeForm } from './handshake.js';
import { certificateError, tlsConnectOptions } from './tls.js';
import { enhancedConnectFields } from '../flv/enhanced.js';
import type { RtmpTarget } from './url.js';
import type { Log } from '../log.js';
import { redactText, redactUrl } from '../redact.js';

/** Our outgoing chunk size: big enough that a video frame takes few chunk headers (OBS and ffmpeg: 4096). */
export const OUT_CHUNK_SIZE = 4096;

/** NetStream status codes we act on (Adobe ActionScript NetStatusEvent.info.code). */
export const StatusCode = {
  publishStart: 'NetStream.Publish.Start',
  publishBadName: 'NetStream.Publish.BadName',
  connectInvalidApp: 'NetConnection.Connect.InvalidApp',
  connectClosed: 'NetConnection.Connect.Closed',
} as const;

/** How long to wait for onStatus after a server already said onFCPublish(Publish.Start). */
const FCPUBLISH_GRACE_MS = 1500;

export type RtmpSessionResult = { kind: 'published'; streamId: number } | { kind: 'retry'; query: string };

export interface RtmpSessionOptions {
  target: RtmpTarget;
  /** Appended to app and tcUrl ('' or an auth query). */
  appSuffix: string;
  auth: AuthSession;
  log: Log;
  logFields: Record<string, string>;
  tlsOptions?: Pick<ConnectionOptions, 'ca' | 'rejectUnauthorized'>;
  /** The C1 to send (default 'digest', what ffmpeg sends). */
  handshake?: HandshakeForm;
}

interface StatusInfo {
  level: string;
  code: string;
  description: string;
}

function statusInfo(value: Amf0Value): StatusInfo {
  const record = asAmf0Record(value) ?? {};
  const text = (v: Amf0Value): string => (typeof v === 'string' ? v : '');
  return { level: text(record.level), code: text(record.code), description: text(record.description) };
}

const DNS_ERRORS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME']);
/** The server ended an established connection abruptly: that is the server closing it, not the network. */
const RESET_ERRORS = new Set(['ECONNRESET', 'EPIPE']);

function socketErrorCode(err: NodeJS.ErrnoException): RtmpErrorCode {
  if (DNS_ERRORS.has(err.code ?? '')) return 'DNS';
  return RESET_ERRORS.has(err.code ?? '') ? 'CLOSED' : 'NETWORK';
}

export interface RtmpSessionEvents {
  /** The connection ended after publishing started (error undefined when we closed it). */
  closed: [error: RtmpError | undefined];
  /** An Acknowledgement from the server (§5.4.3): its sequence number, the bytes it received modulo 2^32. */
  acknowledgement: [sequence: number];
}

export class RtmpSession extends EventEmitter<RtmpSessionEvents> {
  readonly socket: Socket;
  private readonly reader = new ChunkReader();
  private readonly writer = new ChunkWriter();
  private readonly handshake: ClientHandshake;
  /** The TCP (and TLS) connection was up: a close before the handshake ended is the server refusing it. */
  private connected = false;
  private nextTransaction = 1;
  private readonly transactions = new Map<number, string>();
  private windowAckSize = 0;
  private lastAck = 0;
  private streamId = 0;
  private phase: 'starting' | 'published' | 'ended' = 'starting';
  private settle?: { resolve: (r: RtmpSessionResult) => void; reject: (e: RtmpError) => void };
  private fcPublishStarted = false;
  private graceTimer?: NodeJS.Timeout;
  private readonly secrets: string[];
  private lastError?: RtmpError;

  constructor(private readonly o: RtmpSessionOptions) {
    super();
    const { target } = o;
    // A key may also sit in the app's last path segment (WCS rules put the whole path in the app).
    const appPath = target.app.split('?')[0];
    const lastAppSegment = appPath.includes('/') ? appPath.slice(appPath.lastIndexOf('/') + 1) : '';
    this.secrets = [target.streamName, target.password ?? '', lastAppSegment];
    this.handshake = new ClientHandshake(o.handshake ?? 'digest');
    this.socket = target.tls ? tlsConnect(tlsConnectOptions(target, o.tlsOptions)) : netConnect({ host: target.host, port: target.port });
    this.socket.setNoDelay(true);
  }

  /** Runs the handshake and the command sequence; resolves when publishing or when auth wants a retry. */
  run(): Promise<RtmpSessionResult> {
    return new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
      const connectEvent = this.o.target.tls ? 'secureConnect' : 'connect';
      this.socket.once(connectEvent, () => {
        this.connected = true;
        this.socket.write(this.handshake.c0c1);
      });
      this.socket.on('data', (data: Buffer) => this.onData(data));
      this.socket.on('error', (err: NodeJS.ErrnoException) => {
        const { host, port } = this.o.target;
        const tlsError = this.o.target.tls ? certificateError(err, this.o.target) : undefined;
        this.fail(tlsError ?? new RtmpError(socketErrorCode(err), `RTMP connection to ${host}:${port} failed: ${err.code ?? err.message}`, { cause: err }));
      });
      this.socket.on('close', () => {
        this.fail(new RtmpError('CLOSED', this.phase === 'starting' ? 'server closed the connection before publishing started' : 'server closed the connection'));
      });
    });
  }

  /** Encodes a message into chunks at our chunk size. */
  encode(message: RtmpMessage): Buffer {
    return this.writer.write(message);
  }

  /** Encodes a media message as pieces to write back to back, the payload uncopied (ChunkWriter.writePieces). */
  encodePieces(message: RtmpMessage): Buffer[] {
    return this.writer.writePieces(message);
  }

  /** The server closed (or reset) the connection after we sent C0+C1 and before the handshake ended. */
  get refusedHandshake(): boolean {
    return this.connected && !this.handshake.done && this.lastError?.code === 'CLOSED';
  }

  get publishStreamId(): number {
    return this.streamId;
  }

  /** A NetConnection command (FCUnpublish, deleteStream), encoded for the send queue so it follows the media. */
  encodeCommand(name: string, ...args: Amf0Value[]): Buffer {
    const transaction = this.nextTransaction++;
    return this.encode({ csid: ChunkStreamId.command, timestamp: 0, typeId: MessageType.commandAmf0, streamId: 0, payload: encodeAmf0(name, transaction, null, ...args) });
  }

  /** §5.4.4: asks the server to acknowledge each `size` bytes it receives (see AckTracker, acks.ts). */
  announceAckWindow(size: number): void {
    this.send(windowAckSizeMessage(size));
  }

  /** Ends the session without an error event (our own stop or a replaced connection). */
  end(): void {
    this.phase = 'ended';
    clearTimeout(this.graceTimer);
    this.socket.destroy();
  }

  private send(message: RtmpMessage): void {
    if (!this.socket.destroyed) this.socket.write(this.encode(message));
  }

  private command(name: string, csid: number, streamId: number, ...args: Amf0Value[]): void {
    const transaction = this.nextTransaction++;
    this.transactions.set(transaction, name);
    this.send({ csid, timestamp: 0, typeId: MessageType.commandAmf0, streamId, payload: encodeAmf0(name, transaction, ...args) });
  }

  private fail(error: RtmpError): void {
    if (this.phase === 'ended') return;
    this.lastError = error;
    const wasStarting = this.phase === 'starting';
    this.phase = 'ended';
    clearTimeout(this.graceTimer);
    this.socket.destroy();
    if (wasStarting) this.settle?.reject(error);
    else this.emit('closed', error);
  }

  private succeed(result: RtmpSessionResult): void {
    if (this.phase !== 'starting') return;
    clearTimeout(this.graceTimer);
    if (result.kind === 'published') this.phase = 'published';
    else {
      this.phase = 'ended';
      this.socket.destroy();
    }
    this.settle?.resolve(result);
  }

  private onData(data: Buffer): void {
    if (this.phase === 'ended') return;
    try {
      let bytes: Buffer | undefined = data;
      if (!this.handshake.done) {
        const step = this.handshake.push(data);
        if (step.send) this.socket.write(step.send);
        if (!this.handshake.done) return;
        this.log('rtmp.handshake', { ...this.handshake.outcome });
        this.afterHandshake();
        bytes = step.rest;
      }
      if (bytes && bytes.length > 0) for (const message of this.reader.push(bytes)) this.onMessageSafely(message);
      this.acknowledge();
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      this.fail(err instanceof RtmpError ? err : new RtmpError('PROTOCOL', `bad data from the RTMP server: ${text}`, { cause: err }));
    }
  }

  private afterHandshake(): void {
    const { target, appSuffix } = this.o;
    // §5.4.1: announce our chunk size first; the message itself travels at the old size.
    this.send(setChunkSizeMessage(OUT_CHUNK_SIZE));
    this.writer.setChunkSize(OUT_CHUNK_SIZE);
    const joiner = (base: string): string => (appSuffix && base.includes('?') ? base + '&' + appSuffix.slice(1) : base + appSuffix);
    // §7.2.1.1 connect: the command object as encoders (FMLE, OBS, ffmpeg) send it.
    this.command('connect', ChunkStreamId.command, 0, {
      app: joiner(target.app),
      type: 'nonprivate',
      flashVer: target.flashVer,
      tcUrl: joiner(target.tcUrl),
      // Enhanced RTMP v2: the codecs beyond FLV's own that we will send (fourCcList and videoFourCcInfoMap).
      ...(target.fourCcList?.length ? enhancedConnectFields(target.fourCcList) : {}),
    });
  }

  /** §5.4.3: acknowledge once a window's worth of bytes arrived since the last acknowledgement. */
  private acknowledge(): void {
    if (this.windowAckSize > 0 && this.reader.bytesReceived - this.lastAck >= this.windowAckSize) {
      this.lastAck = this.reader.bytesReceived;
      this.send(acknowledgementMessage(this.lastAck));
    }
  }

  /**
   * A malformed message (bad AMF0 in a command, a short control message) is logged and skipped: the chunk
   * stream around it is intact. Only chunk-level damage, which loses the framing, ends the session.
   */
  private onMessageSafely(message: RtmpMessage): void {
    try {
      this.onMessage(message);
    } catch (err) {
      if (!(err instanceof Amf0Error || err instanceof RtmpProtocolError)) throw err;
      this.log('rtmp.bad_message', { typeId: message.typeId, length: message.payload.length, reason: err.message });
    }
  }

  private onMessage(message: RtmpMessage): void {
    switch (message.typeId) {
      case MessageType.windowAckSize:
        this.windowAckSize = readControlU32(message, 'Window Acknowledgement Size');
        return;
      case MessageType.setPeerBandwidth:
        // §5.4.5: answer with our window if it differs from the one asked for (as librtmp does)
        if (readControlU32(message, 'Set Peer Bandwidth') !== this.windowAckSize) {
          this.send(windowAckSizeMessage(message.payload.readUInt32BE(0)));
        }
        return;
      case MessageType.acknowledgement:
        this.emit('acknowledgement', readControlU32(message, 'Acknowledgement'));
        return;
      case MessageType.userControl: {
        const event = decodeUserControl(message);
        if (event.event === UserControlEvent.pingRequest) this.send(userControlMessage(UserControlEvent.pingResponse, event.value));
        return;
      }
      case MessageType.commandAmf3:
        // §7.1.1: an AMF3 command message starts with a format byte, then AMF0 values
        return this.onCommand(decodeAmf0(message.payload.subarray(1)));
      case MessageType.commandAmf0:
        return this.onCommand(decodeAmf0(message.payload));
      default:
        return; // Set Chunk Size and Abort are applied by the reader; data and media are not for us
    }
  }

  private onCommand(values: Amf0Value[]): void {
    const [name, transaction, , ...args] = values;
    if (typeof name !== 'string') return;
    const method = typeof transaction === 'number' ? this.transactions.get(transaction) : undefined;
    if (name === '_result' || name === '_error') {
      if (method === undefined) return;
      this.transactions.delete(transaction as number);
      return name === '_result' ? this.onResult(method, args) : this.onError(method, statusInfo(args[0]));
    }
    if (name === 'onStatus') return this.onStatus(statusInfo(args[0]));
    if (name === 'onFCPublish') return this.onFCPublish(statusInfo(args[0]));
    if (name === 'close') return this.fail(new RtmpError('CLOSED', 'server sent close'));
    // onBWDone, |RtmpSampleAccess and other notifications need no answer from a publisher
  }

  private onResult(method: string, args: Amf0Value[]): void {
    const name = this.o.target.streamName;
    if (method === 'connect') {
      this.log('rtmp.connected');
      this.command('releaseStream', ChunkStreamId.command, 0, null, name);
      this.command('FCPublish', ChunkStreamId.command, 0, null, name);
      this.command('createStream', ChunkStreamId.command, 0, null);
    } else if (method === 'createStream') {
      const id = args[0];
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0xffffffff) {
        return this.fail(new RtmpError('PROTOCOL', `createStream answered stream id ${String(id)}, expected an integer 0–4294967295`));
      }
      this.streamId = id;
      // §7.2.2.6 publish(name, type) on the new message stream
      this.command('publish', ChunkStreamId.streamCommand, id, null, name, 'live');
      if (this.fcPublishStarted) this.startGrace();
    }
  }

  private redact(text: string): string {
    return redactText(text, this.secrets);
  }

  private onError(method: string, info: StatusInfo): void {
    const description = this.redact(info.description || info.code || 'no description');
    if (method === 'releaseStream' || method === 'FCPublish') {
      this.log('rtmp.ignored_error', { method, description }); // Adobe-only commands: others refuse them harmlessly
      return;
    }
    if (method !== 'connect') {
      return this.fail(new RtmpError('CONNECT_REJECTED', `server refused ${method}: ${description}`));
    }
    const step = this.o.auth.next(info.description);
    if (step.kind === 'retry') {
      this.log('rtmp.auth_challenge', { authmod: step.authmod });
      return this.succeed({ kind: 'retry', query: step.query });
    }
    if (step.kind === 'fail') return this.fail(new RtmpError(step.code, `${step.reason} (server: ${description})`));
    const invalidApp = info.code === StatusCode.connectInvalidApp || /invalid ?app|application/i.test(info.description);
    const code: RtmpErrorCode = invalidApp ? 'BAD_APPLICATION' : 'CONNECT_REJECTED';
    this.fail(new RtmpError(code, `server refused connect to ${redactUrl(this.o.target.tcUrl)}: ${description}`));
  }

  private onStatus(info: StatusInfo): void {
    const description = this.redact(info.description || info.code);
    this.log('rtmp.status', { code: info.code, level: info.level, description });
    if (info.code === StatusCode.publishStart) return this.succeed({ kind: 'published', streamId: this.streamId });
    if (info.code === StatusCode.publishBadName) return this.fail(new RtmpError('BAD_NAME', `server refused the stream name: ${description}`));
    if (info.code === StatusCode.connectClosed) return this.fail(new RtmpError('CLOSED', `server closed the connection: ${description}`));
    if (info.level === 'error') {
      if (this.phase === 'starting') return this.fail(new RtmpError('CONNECT_REJECTED', `server refused publishing: ${info.code} ${description}`));
      return this.fail(new RtmpError('PROTOCOL', `server reported ${info.code}: ${description}`, { retryable: true }));
    }
  }

  /** Servers that only answer FCPublish (onFCPublish, NetStream.Publish.Start) are taken at their word. */
  private onFCPublish(info: StatusInfo): void {
    if (info.code === StatusCode.publishBadName) {
      return this.fail(new RtmpError('BAD_NAME', `server refused the stream name: ${this.redact(info.description || info.code)}`));
    }
    if (info.code !== StatusCode.publishStart) return;
    this.fcPublishStarted = true;
    if (this.streamId > 0) this.startGrace();
  }

  private startGrace(): void {
    clearTimeout(this.graceTimer);
    this.graceTimer = setTimeout(() => this.succeed({ kind: 'published', streamId: this.streamId }), FCPUBLISH_GRACE_MS);
  }

  private log(event: string, fields: Record<string, string | number | boolean> = {}): void {
    this.o.log(event, { ...this.o.logFields, ...fields });
  }
}
