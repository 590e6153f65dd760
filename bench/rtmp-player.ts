// A minimal RTMP player for the relay bench: it subscribes to a stream on the server before anyone publishes
// it, so the moment a transponder's first keyframe reaches the server (and is relayed at once, on loopback)
// is seen from outside the relay. Built on the relay's own chunk, handshake and AMF0 code; it plays, it does
// not decode. Adobe RTMP specification 1.0 §7.2.1.1 (connect), §7.2.1.3 (createStream), §7.2.2.1 (play).
import { connect, type Socket } from 'node:net';
import { acknowledgementMessage, type Amf0Value, ChunkReader, ChunkStreamId, ChunkWriter, ClientHandshake, decodeAmf0, decodeUserControl, encodeAmf0, MessageType, type RtmpMessage, UserControlEvent, userControlMessage } from '../src-relay/index.js';

/** play's Start argument (§7.2.2.1): -1 plays only a live stream, waiting for it when it is not there yet. */
const PLAY_LIVE_ONLY = -1;
// FLV VIDEODATA (FLV spec v10.1 §E.4.3.1): [frame type(4) | codec id(4)] [AVCPacketType] …
const FRAME_TYPE_KEYFRAME = 1;
const AVC_PACKET_NALU = 1;

export interface PlayerTarget {
  host: string;
  port: number;
  app: string;
  name: string;
}

export interface VideoArrival {
  /** performance.now() when the message was complete. */
  at: number;
  /** A keyframe picture (not the sequence header). */
  keyframe: boolean;
}

/** Plays one stream; `firstKeyframe` resolves with the arrival time of the first keyframe picture. */
export class RtmpPlayer {
  private readonly socket: Socket;
  private readonly handshake = new ClientHandshake();
  private readonly reader = new ChunkReader();
  private readonly writer = new ChunkWriter();
  private windowAckSize = 0;
  private lastAck = 0;
  private transaction = 1;
  private resolveKeyframe!: (at: number) => void;
  private rejectKeyframe!: (error: Error) => void;
  /** Resolves once the play command was answered (the player is waiting on the server). */
  readonly playing: Promise<void>;
  private resolvePlaying!: () => void;
  readonly firstKeyframe: Promise<number>;

  constructor(private readonly target: PlayerTarget) {
    this.firstKeyframe = new Promise((resolve, reject) => {
      this.resolveKeyframe = resolve;
      this.rejectKeyframe = reject;
    });
    this.playing = new Promise((resolve) => (this.resolvePlaying = resolve));
    this.firstKeyframe.catch(() => undefined);
    this.socket = connect({ host: target.host, port: target.port });
    this.socket.setNoDelay(true);
    this.socket.once('connect', () => this.socket.write(this.handshake.c0c1));
    this.socket.on('data', (data: Buffer) => this.onData(data));
    this.socket.on('error', (error) => this.rejectKeyframe(error));
    this.socket.on('close', () => this.rejectKeyframe(new Error(`RTMP player of ${target.name}: the server closed the connection`)));
  }

  close(): void {
    this.socket.destroy();
  }

  private send(message: RtmpMessage): void {
    this.socket.write(this.writer.write(message));
  }

  private command(streamId: number, csid: number, name: string, ...args: Amf0Value[]): void {
    this.send({ csid, timestamp: 0, typeId: MessageType.commandAmf0, streamId, payload: encodeAmf0(name, this.transaction++, ...args) });
  }

  private onData(data: Buffer): void {
    let bytes: Buffer | undefined = data;
    if (!this.handshake.done) {
      const step = this.handshake.push(data);
      if (step.send) this.socket.write(step.send);
      if (!this.handshake.done) return;
      const tcUrl = `rtmp://${this.target.host}:${this.target.port}/${this.target.app}`;
      this.command(0, ChunkStreamId.command, 'connect', { app: this.target.app, tcUrl, flashVer: 'LNX 9,0,124,2', fpad: false, capabilities: 15 });
      bytes = step.rest;
    }
    if (!bytes || bytes.length === 0) return;
    for (const message of this.reader.push(bytes)) this.onMessage(message);
    if (this.windowAckSize > 0 && this.reader.bytesReceived - this.lastAck >= this.windowAckSize) {
      this.lastAck = this.reader.bytesReceived;
      this.send(acknowledgementMessage(this.lastAck));
    }
  }

  private onMessage(message: RtmpMessage): void {
    const at = performance.now();
    switch (message.typeId) {
      case MessageType.windowAckSize:
        this.windowAckSize = message.payload.readUInt32BE(0);
        return;
      case MessageType.userControl: {
        const event = decodeUserControl(message);
        if (event.event === UserControlEvent.pingRequest) this.send(userControlMessage(UserControlEvent.pingResponse, event.value));
        if (event.event === UserControlEvent.streamBegin) this.resolvePlaying();
        return;
      }
      case MessageType.commandAmf0:
        return this.onCommand(decodeAmf0(message.payload));
      case MessageType.video: {
        const body = message.payload;
        if (body.length >= 2 && body[0] >> 4 === FRAME_TYPE_KEYFRAME && body[1] === AVC_PACKET_NALU) this.resolveKeyframe(at);
        return;
      }
    }
  }

  private onCommand(values: Amf0Value[]): void {
    const [name, transaction, , info] = values;
    if (name === '_result' && transaction === 1) {
      this.command(0, ChunkStreamId.command, 'createStream', null);
    } else if (name === '_result' && transaction === 2 && typeof info === 'number') {
      this.command(info, ChunkStreamId.streamCommand, 'play', null, this.target.name, PLAY_LIVE_ONLY);
    } else if (name === 'onStatus') {
      this.resolvePlaying();
    }
  }
}
