// RTMP message types and the small fixed-layout messages: protocol control (RTMP spec §5.4) and user control
// events (§6.2, §7.1.7). Pure encoders and decoders.
import { RtmpProtocolError } from './errors.js';
import type { RtmpMessage } from './chunk.js';

/** §5.4, §7.1: message type ids. */
export const MessageType = {
  setChunkSize: 1,
  abort: 2,
  acknowledgement: 3,
  userControl: 4,
  windowAckSize: 5,
  setPeerBandwidth: 6,
  audio: 8,
  video: 9,
  dataAmf3: 15,
  sharedObjectAmf3: 16,
  commandAmf3: 17,
  dataAmf0: 18,
  sharedObjectAmf0: 19,
  commandAmf0: 20,
  aggregate: 22,
} as const;

/** §7.1.7 user control event types. */
export const UserControlEvent = {
  streamBegin: 0,
  streamEof: 1,
  streamDry: 2,
  setBufferLength: 3,
  streamIsRecorded: 4,
  pingRequest: 6,
  pingResponse: 7,
} as const;

/** Chunk stream ids we send on (the ones ffmpeg and OBS use; any 2–65599 is legal). */
export const ChunkStreamId = {
  /** §5.4: protocol control messages travel on chunk stream 2, message stream 0. */
  control: 2,
  command: 3,
  audio: 4,
  data: 5,
  video: 6,
  streamCommand: 8,
} as const;

function control(typeId: number, payload: Buffer): RtmpMessage {
  return { csid: ChunkStreamId.control, timestamp: 0, typeId, streamId: 0, payload };
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b;
}

/** §5.4.1: 31-bit chunk size, top bit 0. */
export function setChunkSizeMessage(size: number): RtmpMessage {
  return control(MessageType.setChunkSize, u32(size & 0x7fffffff));
}

/** §5.4.3: sequence number = bytes received so far (modulo 2^32). */
export function acknowledgementMessage(bytesReceived: number): RtmpMessage {
  return control(MessageType.acknowledgement, u32(bytesReceived % 2 ** 32));
}

export function windowAckSizeMessage(size: number): RtmpMessage {
  return control(MessageType.windowAckSize, u32(size));
}

/** §5.4.5: window size, then limit type (0 hard, 1 soft, 2 dynamic). */
export function setPeerBandwidthMessage(size: number, limitType: 0 | 1 | 2): RtmpMessage {
  return control(MessageType.setPeerBandwidth, Buffer.concat([u32(size), Buffer.from([limitType])]));
}

/** §7.1.7: event type (u16), event data (a stream id or a ping timestamp, u32). */
export function userControlMessage(event: number, value: number): RtmpMessage {
  const payload = Buffer.alloc(6);
  payload.writeUInt16BE(event);
  payload.writeUInt32BE(value >>> 0, 2);
  return control(MessageType.userControl, payload);
}

/** Reads the leading u32 of a control message, naming the message when it is too short. */
export function readControlU32(message: RtmpMessage, what: string): number {
  if (message.payload.length < 4) {
    throw new RtmpProtocolError(`${what} message of ${message.payload.length} bytes, it needs 4`);
  }
  return message.payload.readUInt32BE(0);
}

export interface UserControl {
  event: number;
  value: number;
}

export function decodeUserControl(message: RtmpMessage): UserControl {
  if (message.payload.length < 6) {
    throw new RtmpProtocolError(`User Control message of ${message.payload.length} bytes, it needs 6`);
  }
  return { event: message.payload.readUInt16BE(0), value: message.payload.readUInt32BE(2) };
}
