// A small RTMP server for tests, built from our own chunk/AMF0/handshake code. It plays the SERVER side of
// Adobe (authmod=adobe) and Limelight (authmod=llnw) challenges as Adobe Media Server/Wowza word them, accepts
// a publish and records what arrived. It can also refuse connect or publish, or stop reading (black hole).
// ffmpeg's own RTMP client is the independent check that these challenges are right (rtmp-auth.test.ts).
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { decodeAmf0, encodeAmf0, type Amf0Value } from '../../src-relay/rtmp/amf0.js';
import { adobeResponse, llnwResponse, type AuthMod } from '../../src-relay/rtmp/auth.js';
import { ChunkReader, ChunkWriter, type RtmpMessage } from '../../src-relay/rtmp/chunk.js';
import {
  ChunkStreamId,
  MessageType,
  UserControlEvent,
  setChunkSizeMessage,
  setPeerBandwidthMessage,
  userControlMessage,
  windowAckSizeMessage,
} from '../../src-relay/rtmp/control.js';
import { HANDSHAKE_SIZE, makeS0S1S2 } from '../../src-relay/rtmp/handshake.js';

export interface StatusReply {
  level: 'status' | 'error';
  code: string;
  description: string;
}

export interface RtmpTestServerOptions {
  auth?: { mod: AuthMod; users: Record<string, string> };
  /** Answer connect with `_error` and this info (not an auth challenge). */
  rejectConnect?: StatusReply;
  /** Answer publish with this onStatus instead of NetStream.Publish.Start. */
  publishStatus?: StatusReply;
  /** Answer publish with nothing (servers that only say onFCPublish(NetStream.Publish.Start)). */
  silentPublish?: boolean;
  /** After NetStream.Publish.Start, stop reading the socket (a black hole). */
  stopReadingAfterPublish?: boolean;
  /** Server chunk size announced after connect (default 4096). */
  chunkSize?: number;
  /** Window Acknowledgement Size announced after connect (default 2500000). */
  windowAckSize?: number;
  /** After NetStream.Publish.Start, send this many bytes of a data message (to make the client acknowledge). */
  fillerBytes?: number;
  /** Before answering connect, send a command with broken AMF0 and a truncated User Control message. */
  junkBeforeConnectResult?: boolean;
  /** Serve RTMPS with this certificate. */
  tls?: { key: string; cert: string };
}

export interface ConnectRecord {
  app: string;
  tcUrl: string;
  flashVer: string;
  accepted: boolean;
  description?: string;
  /** RTMPS: the SNI server name the client sent (false when none). */
  servername?: string | false;
}

export interface PublishRecord {
  app: string;
  streamName: string;
  type: string;
  media: { typeId: number; timestamp: number; length: number; first: number }[];
  commands: string[];
  pongs: number;
  /** Sequence numbers of the client's Acknowledgement messages. */
  acks: number[];
  metadata?: Amf0Value[];
  ended: boolean;
}

export interface RtmpTestServer {
  port: number;
  /** rtmp://127.0.0.1:port (rtmps:// with tls) */
  baseUrl: string;
  connects: ConnectRecord[];
  publishes: PublishRecord[];
  /** Resolves at the next NetStream.Publish.Start. */
  nextPublish(): Promise<PublishRecord>;
  close(): Promise<void>;
}

const SALT_BY_USER = new Map<string, string>();
const REJECT = '[ AccessManager.Reject ] : ';

function parseQuery(query: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq > 0) out[pair.slice(0, eq)] = pair.slice(eq + 1); // raw: base64 responses carry '+' and '/'
  }
  return out;
}

/** The server side of the challenge: undefined = accepted, else the `_error` description. */
function checkAuth(auth: NonNullable<RtmpTestServerOptions['auth']>, app: string): string | undefined {
  const q = app.indexOf('?');
  const baseApp = q < 0 ? app : app.slice(0, q);
  const params = q < 0 ? {} : parseQuery(app.slice(q + 1));
  const mod = auth.mod;
  if (params.authmod !== mod) return `${REJECT}[ code=403 need auth; authmod=${mod} ] : `;
  const user = decodeURIComponent(params.user ?? '');
  const password = auth.users[user];
  if (password === undefined) return `${REJECT}[ authmod=${mod} ] : ?reason=nosuchuser`;
  if (params.response === undefined) {
    if (mod === 'adobe') {
      let salt = SALT_BY_USER.get(user);
      if (!salt) SALT_BY_USER.set(user, (salt = randomBytes(6).toString('base64')));
      const challenge = randomBytes(4).toString('hex');
      // Adobe Media Server sends opaque = challenge; clients hash with opaque when present
      return `${REJECT}[ authmod=adobe ] : ?reason=needauth&user=${params.user}&salt=${salt}&challenge=${challenge}&opaque=${challenge}`;
    }
    return `${REJECT}[ authmod=llnw ] : ?reason=needauth&user=${params.user}&nonce=${randomBytes(8).toString('hex')}`;
  }
  const credentials = { username: user, password };
  const expected =
    mod === 'adobe'
      ? adobeResponse(credentials, SALT_BY_USER.get(user) ?? '', undefined, params.opaque, params.challenge ?? '')
      : llnwResponse(credentials, baseApp, params.nonce ?? '', params.cnonce ?? '');
  if (params.response === expected) return undefined;
  return `${REJECT}[ authmod=${mod} ] : ?reason=authfailed&opaque=${params.opaque ?? ''}`;
}

function statusObject(s: StatusReply): Amf0Value {
  return { level: s.level, code: s.code, description: s.description };
}

class ServerConnection {
  private readonly reader = new ChunkReader();
  private readonly writer = new ChunkWriter();
  private handshakeBytes: Buffer = Buffer.alloc(0);
  private state: 'c0c1' | 'c2' | 'chunks' = 'c0c1';
  private app = '';
  private publish?: PublishRecord;

  constructor(
    private readonly socket: Socket,
    private readonly o: RtmpTestServerOptions,
    private readonly server: { connects: ConnectRecord[]; onPublish: (p: PublishRecord) => void },
    private readonly servername?: string | false,
  ) {
    socket.on('data', (d: Buffer) => {
      try {
        this.onData(d);
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.publish) this.publish.ended = true;
    });
  }

  private onData(data: Buffer): void {
    if (this.state !== 'chunks') {
      this.handshakeBytes = Buffer.concat([this.handshakeBytes, data]);
      if (this.state === 'c0c1') {
        if (this.handshakeBytes.length < 1 + HANDSHAKE_SIZE) return;
        this.socket.write(makeS0S1S2(this.handshakeBytes.subarray(1, 1 + HANDSHAKE_SIZE)));
        this.handshakeBytes = this.handshakeBytes.subarray(1 + HANDSHAKE_SIZE);
        this.state = 'c2';
      }
      if (this.handshakeBytes.length < HANDSHAKE_SIZE) return;
      data = this.handshakeBytes.subarray(HANDSHAKE_SIZE);
      this.state = 'chunks';
    }
    for (const m of this.reader.push(data)) this.onMessage(m);
  }

  private send(m: RtmpMessage): void {
    if (!this.socket.destroyed) this.socket.write(this.writer.write(m));
  }

  private command(streamId: number, ...values: Amf0Value[]): void {
    this.send({ csid: ChunkStreamId.command, timestamp: 0, typeId: MessageType.commandAmf0, streamId, payload: encodeAmf0(...values) });
  }

  private onMessage(m: RtmpMessage): void {
    if (m.typeId === MessageType.commandAmf0) return this.onCommand(decodeAmf0(m.payload), m.streamId);
    if (m.typeId === MessageType.userControl && m.payload.readUInt16BE(0) === UserControlEvent.pingResponse && this.publish) {
      this.publish.pongs++;
      return;
    }
    if (m.typeId === MessageType.acknowledgement && this.publish) {
      this.publish.acks.push(m.payload.readUInt32BE(0));
      return;
    }
    if (this.publish && (m.typeId === MessageType.audio || m.typeId === MessageType.video)) {
      this.publish.media.push({ typeId: m.typeId, timestamp: m.timestamp, length: m.payload.length, first: m.payload[0] ?? -1 });
    } else if (this.publish && m.typeId === MessageType.dataAmf0) {
      this.publish.metadata = decodeAmf0(m.payload);
    }
  }

  private onCommand(values: Amf0Value[], streamId: number): void {
    const [name, transaction] = values;
    if (typeof name !== 'string') return;
    this.publish?.commands.push(name);
    switch (name) {
      case 'connect':
        return this.onConnect(values[2], transaction as number);
      case 'releaseStream':
      case 'FCPublish':
        this.command(0, '_result', transaction as number, null, undefined);
        if (name === 'FCPublish') this.command(0, 'onFCPublish', 0, null, { code: 'NetStream.Publish.Start', description: String(values[3]) });
        return;
      case 'createStream':
        return this.command(0, '_result', transaction as number, null, 1);
      case 'publish':
        return this.onPublish(String(values[3]), String(values[4]), streamId);
      default:
        return; // FCUnpublish, deleteStream, _checkbw: recorded above when publishing
    }
  }

  private onConnect(commandObject: Amf0Value, transaction: number): void {
    const obj = (commandObject ?? {}) as Record<string, Amf0Value>;
    this.app = String(obj.app ?? '');
    const record: ConnectRecord = { app: this.app, tcUrl: String(obj.tcUrl ?? ''), flashVer: String(obj.flashVer ?? ''), accepted: false };
    if (this.servername !== undefined) record.servername = this.servername;
    this.server.connects.push(record);
    const refusal = this.o.rejectConnect?.description ?? (this.o.auth ? checkAuth(this.o.auth, this.app) : undefined);
    if (refusal !== undefined) {
      record.description = refusal;
      const code = this.o.rejectConnect?.code ?? 'NetConnection.Connect.Rejected';
      this.command(0, '_error', transaction, null, { level: 'error', code, description: refusal });
      setTimeout(() => this.socket.end(), 50); // as FMS/Wowza: the refused connection is closed
      return;
    }
    record.accepted = true;
    if (this.o.junkBeforeConnectResult) {
      this.send({ csid: ChunkStreamId.command, timestamp: 0, typeId: MessageType.commandAmf0, streamId: 0, payload: Buffer.from([0x02, 0xff, 0xff, 0x61]) });
      this.send({ csid: ChunkStreamId.control, timestamp: 0, typeId: MessageType.userControl, streamId: 0, payload: Buffer.from([0x00, 0x06]) });
    }
    this.send(windowAckSizeMessage(this.o.windowAckSize ?? 2_500_000));
    this.send(setPeerBandwidthMessage(2_500_000, 2));
    const chunkSize = this.o.chunkSize ?? 4096;
    this.send(setChunkSizeMessage(chunkSize));
    this.writer.setChunkSize(chunkSize);
    this.command(0, '_result', transaction, { fmsVer: 'FMS/3,5,7,7009', capabilities: 31 }, {
      level: 'status',
      code: 'NetConnection.Connect.Success',
      description: 'Connection succeeded.',
      objectEncoding: 0,
    });
    this.command(0, 'onBWDone', 0, null);
  }

  private onPublish(streamName: string, type: string, streamId: number): void {
    const status = this.o.publishStatus;
    if (status) {
      this.command(streamId, 'onStatus', 0, null, statusObject(status));
      return;
    }
    this.publish = { app: this.app, streamName, type, media: [], commands: [], pongs: 0, acks: [], ended: false };
    this.send(userControlMessage(UserControlEvent.streamBegin, streamId));
    if (!this.o.silentPublish) {
      this.command(streamId, 'onStatus', 0, null, { level: 'status', code: 'NetStream.Publish.Start', description: `${streamName} is now published` });
    }
    this.send(userControlMessage(UserControlEvent.pingRequest, 1234));
    if (this.o.fillerBytes) {
      const payload = encodeAmf0('|RtmpSampleAccess', 'x'.repeat(this.o.fillerBytes));
      this.send({ csid: 5, timestamp: 0, typeId: MessageType.dataAmf0, streamId, payload });
    }
    this.server.onPublish(this.publish);
    if (this.o.stopReadingAfterPublish) setTimeout(() => this.socket.pause(), 20);
  }
}

export async function startRtmpTestServer(options: RtmpTestServerOptions = {}): Promise<RtmpTestServer> {
  const connects: ConnectRecord[] = [];
  const publishes: PublishRecord[] = [];
  const waiters: ((p: PublishRecord) => void)[] = [];
  const sockets = new Set<Socket>();
  const onSocket = (socket: Socket, servername?: string | false): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const onPublish = (p: PublishRecord): void => {
      publishes.push(p);
      waiters.splice(0).forEach((w) => w(p));
    };
    new ServerConnection(socket, options, { connects, onPublish }, servername);
  };
  const server: Server = options.tls
    ? createTlsServer(options.tls, (socket: TLSSocket) => onSocket(socket, socket.servername ?? false))
    : createServer((socket) => onSocket(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    baseUrl: `${options.tls ? 'rtmps' : 'rtmp'}://127.0.0.1:${port}`,
    connects,
    publishes,
    nextPublish: () => new Promise((resolve) => waiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
