// RTMP chunk stream — Adobe "Real-Time Messaging Protocol (RTMP) specification" 1.0 (2012), §5.3.
// Pure: messages in, bytes out (ChunkWriter); bytes in, messages out (ChunkReader). No sockets.
//
// §5.3.1 chunk format:
//   +--------------+----------------+--------------------+--------------+
//   | Basic Header | Message Header | Extended Timestamp |  Chunk Data  |
//   +--------------+----------------+--------------------+--------------+
//   |<------------------- Chunk Header ----------------->|
//
// §5.3.1.1 basic header (fmt = 2 bits, csid = chunk stream id):
//    0 1 2 3 4 5 6 7      csid 2–63
//   +-+-+-+-+-+-+-+-+
//   |fmt|   csid    |
//   +-+-+-+-+-+-+-+-+
//    0                   1
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5      csid 64–319: second byte = csid − 64
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |fmt|     0     |   csid - 64   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    0                   1                   2
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3    csid 64–65599: csid = 3rd byte × 256 + 2nd + 64
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |fmt|     1     |         csid - 64             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// §5.3.1.2 message header, by fmt:
//   fmt 0 (11 bytes): timestamp(3) | message length(3) | type id(1) | message stream id(4, little-endian)
//   fmt 1 (7 bytes):  timestamp delta(3) | message length(3) | type id(1)
//   fmt 2 (3 bytes):  timestamp delta(3)
//   fmt 3 (0 bytes):  everything from the previous chunk of this chunk stream
// §5.3.1.3 extended timestamp: when the 3-byte field is 0xFFFFFF the real value follows in 4 bytes; a fmt 3
// chunk carries it again when its chunk stream's last fmt 0/1/2 header did (as ffmpeg and librtmp do).
import { RtmpProtocolError } from './errors.js';

export { RtmpProtocolError };

export const ChunkFmt = { full: 0, sameStream: 1, timestampOnly: 2, continuation: 3 } as const;
export type ChunkFmtValue = (typeof ChunkFmt)[keyof typeof ChunkFmt];

export const ChunkLimits = {
  minCsid: 2,
  maxOneByteCsid: 63,
  maxTwoByteCsid: 319,
  maxCsid: 65599,
  csidOffset: 64,
  /** §5.4.1: the default until a Set Chunk Size says otherwise. */
  defaultChunkSize: 128,
  /** §5.4.1: the chunk size's top bit must be 0. */
  maxChunkSize: 0x7fffffff,
  /** The 3-byte message length field's largest value. */
  maxMessageLength: 0xffffff,
  extendedTimestampMarker: 0xffffff,
  /** Bytes of partial messages held across all chunk streams before the peer is refused. */
  defaultMaxBuffered: 16 * 1024 * 1024,
} as const;

const MESSAGE_HEADER_LENGTH = [11, 7, 3, 0] as const;
const TYPE_SET_CHUNK_SIZE = 1; // §5.4.1
const TYPE_ABORT = 2; // §5.4.2

/** One RTMP message as the chunk layer carries it. */
export interface RtmpMessage {
  csid: number;
  /** Milliseconds, modulo 2^32 (§5.3.1.2.1). */
  timestamp: number;
  typeId: number;
  streamId: number;
  payload: Buffer;
}

export interface ChunkHeaderFields {
  timestamp: number;
  length: number;
  typeId: number;
  streamId: number;
}

function checkCsid(csid: number): void {
  if (!Number.isInteger(csid) || csid < ChunkLimits.minCsid || csid > ChunkLimits.maxCsid) {
    throw new RangeError(`chunk stream id must be an integer ${ChunkLimits.minCsid}–${ChunkLimits.maxCsid}, got ${csid}`);
  }
}

/** §5.3.1.1: 1, 2 or 3 bytes by csid range. */
function basicHeaderLength(csid: number): number {
  checkCsid(csid);
  if (csid <= ChunkLimits.maxOneByteCsid) return 1;
  return csid <= ChunkLimits.maxTwoByteCsid ? 2 : 3;
}

/** Bytes of a chunk header: basic header, message header of its fmt, extended timestamp when needed. */
export function chunkHeaderLength(fmt: ChunkFmtValue, csid: number, timestamp: number): number {
  const extended = timestamp >>> 0 >= ChunkLimits.extendedTimestampMarker;
  return basicHeaderLength(csid) + MESSAGE_HEADER_LENGTH[fmt] + (extended ? 4 : 0);
}

/**
 * Writes one chunk header into `out` at `offset` and returns its length. `timestamp` is absolute for fmt 0
 * and a delta for fmt 1/2; for fmt 3 pass the value the chunk stream's last fmt 0/1/2 header carried, so the
 * extended timestamp is repeated when needed.
 */
export function writeChunkHeader(out: Buffer, offset: number, fmt: ChunkFmtValue, csid: number, fields: ChunkHeaderFields): number {
  const basicLength = basicHeaderLength(csid);
  if (basicLength === 1) out[offset] = (fmt << 6) | csid;
  else {
    const rest = csid - ChunkLimits.csidOffset;
    out[offset] = (fmt << 6) | (basicLength === 3 ? 1 : 0);
    out[offset + 1] = rest & 0xff;
    if (basicLength === 3) out[offset + 2] = rest >> 8;
  }
  const at = offset + basicLength;
  const ts = fields.timestamp >>> 0;
  const extended = ts >= ChunkLimits.extendedTimestampMarker;
  if (fmt !== ChunkFmt.continuation) out.writeUIntBE(extended ? ChunkLimits.extendedTimestampMarker : ts, at, 3);
  if (fmt === ChunkFmt.full || fmt === ChunkFmt.sameStream) {
    if (fields.length > ChunkLimits.maxMessageLength) {
      throw new RangeError(`RTMP message length ${fields.length} exceeds ${ChunkLimits.maxMessageLength}`);
    }
    out.writeUIntBE(fields.length, at + 3, 3);
    out[at + 6] = fields.typeId;
  }
  if (fmt === ChunkFmt.full) out.writeUInt32LE(fields.streamId >>> 0, at + 7);
  if (extended) out.writeUInt32BE(ts, at + MESSAGE_HEADER_LENGTH[fmt]);
  return basicLength + MESSAGE_HEADER_LENGTH[fmt] + (extended ? 4 : 0);
}

/** One chunk header as its own buffer (see writeChunkHeader). */
export function encodeChunkHeader(fmt: ChunkFmtValue, csid: number, fields: ChunkHeaderFields): Buffer {
  const header = Buffer.alloc(chunkHeaderLength(fmt, csid, fields.timestamp));
  writeChunkHeader(header, 0, fmt, csid, fields);
  return header;
}

/**
 * Splits messages into chunks of the current outgoing chunk size: fmt 0 first, fmt 3 continuations. Each
 * message becomes one buffer, sized up front, with the payload copied into it once (no per-chunk buffers).
 */
export class ChunkWriter {
  private size: number = ChunkLimits.defaultChunkSize;
  /** Fmt 3 headers by csid (they do not depend on the chunk size; see writePieces). */
  private readonly continuations = new Map<number, Buffer>();

  get chunkSize(): number {
    return this.size;
  }

  /** Call after sending our own Set Chunk Size message (it travels at the old size). */
  setChunkSize(size: number): void {
    checkChunkSize(size);
    this.size = size;
  }

  write(message: RtmpMessage): Buffer {
    const { payload, csid } = message;
    const fields = { timestamp: message.timestamp, length: payload.length, typeId: message.typeId, streamId: message.streamId };
    const continuations = payload.length > this.size ? Math.ceil(payload.length / this.size) - 1 : 0;
    const fullLength = chunkHeaderLength(ChunkFmt.full, csid, fields.timestamp);
    const continuationLength = chunkHeaderLength(ChunkFmt.continuation, csid, fields.timestamp);
    const out = Buffer.allocUnsafe(fullLength + payload.length + continuations * continuationLength);
    let at = writeChunkHeader(out, 0, ChunkFmt.full, csid, fields);
    at += payload.copy(out, at, 0, Math.min(this.size, payload.length));
    for (let offset = this.size; offset < payload.length; offset += this.size) {
      at += writeChunkHeader(out, at, ChunkFmt.continuation, csid, fields);
      at += payload.copy(out, at, offset, Math.min(offset + this.size, payload.length));
    }
    return out;
  }

  /**
   * The same bytes as write(), as pieces to write back to back without copying the payload: the fmt 0
   * header, then the payload's chunk-size slices (views of it) with a fmt 3 header between each two. The
   * fmt 3 header is one small buffer shared by every continuation of a chunk stream (and of the message,
   * when an extended timestamp makes it carry the timestamp). Payloads must not be modified once written.
   */
  writePieces(message: RtmpMessage): Buffer[] {
    const { payload, csid } = message;
    const fields = { timestamp: message.timestamp, length: payload.length, typeId: message.typeId, streamId: message.streamId };
    const header = Buffer.allocUnsafe(chunkHeaderLength(ChunkFmt.full, csid, fields.timestamp));
    writeChunkHeader(header, 0, ChunkFmt.full, csid, fields);
    if (payload.length <= this.size) return [header, payload];
    const continuation = this.continuationHeader(csid, fields);
    const pieces = [header, payload.subarray(0, this.size)];
    for (let offset = this.size; offset < payload.length; offset += this.size) {
      pieces.push(continuation, payload.subarray(offset, Math.min(offset + this.size, payload.length)));
    }
    return pieces;
  }

  /** The fmt 3 header of a chunk stream: cached per csid, except with an extended timestamp (§5.3.1.3). */
  private continuationHeader(csid: number, fields: ChunkHeaderFields): Buffer {
    if (fields.timestamp >>> 0 >= ChunkLimits.extendedTimestampMarker) return encodeChunkHeader(ChunkFmt.continuation, csid, fields);
    let header = this.continuations.get(csid);
    if (!header) {
      header = encodeChunkHeader(ChunkFmt.continuation, csid, fields);
      this.continuations.set(csid, header);
    }
    return header;
  }
}

export function checkChunkSize(size: number): void {
  if (!Number.isInteger(size) || size < 1 || size > ChunkLimits.maxChunkSize) {
    throw new RtmpProtocolError(`chunk size must be an integer 1–${ChunkLimits.maxChunkSize}, got ${size}`);
  }
}

interface ChunkStreamState {
  timestamp: number;
  /** The last timestamp field (delta for fmt 1/2, 0 after fmt 0): what a fmt 3 new message adds. */
  delta: number;
  length: number;
  typeId: number;
  streamId: number;
  /** The last fmt 0/1/2 header used an extended timestamp, so fmt 3 chunks carry one too. */
  extended: boolean;
  parts: Buffer[];
  received: number;
}

export interface ChunkReaderOptions {
  /** Cap on bytes of partial messages held across all chunk streams (default 16 MiB). */
  maxBuffered?: number;
}

/**
 * Reassembles messages from the peer's chunks. Applies Set Chunk Size and Abort itself, at the exact point in
 * the byte stream where they arrive, and still returns them. Throws RtmpProtocolError on anything malformed.
 */
export class ChunkReader {
  private size: number = ChunkLimits.defaultChunkSize;
  private readonly streams = new Map<number, ChunkStreamState>();
  private input: Buffer[] = [];
  private inputLength = 0;
  /** Bytes the next chunk needs at least; parsing waits until that many arrived. */
  private needed = 1;
  private buffered = 0;
  private readonly maxBuffered: number;
  /** Total bytes received, for Acknowledgement messages (§5.4.3). */
  bytesReceived = 0;

  constructor(options: ChunkReaderOptions = {}) {
    this.maxBuffered = options.maxBuffered ?? ChunkLimits.defaultMaxBuffered;
  }

  get chunkSize(): number {
    return this.size;
  }

  push(data: Buffer): RtmpMessage[] {
    this.bytesReceived += data.length;
    if (data.length > 0) {
      this.input.push(data);
      this.inputLength += data.length;
    }
    const messages: RtmpMessage[] = [];
    while (this.inputLength >= this.needed) {
      const buf = this.input.length === 1 ? this.input[0] : Buffer.concat(this.input, this.inputLength);
      const used = this.readChunk(buf, messages);
      if (used === 0) {
        this.input = [buf];
        continue; // readChunk raised `needed`
      }
      const rest = buf.subarray(used);
      this.input = rest.length > 0 ? [rest] : [];
      this.inputLength = rest.length;
      this.needed = 1;
    }
    return messages;
  }

  /** Parses one chunk at the start of buf; returns the bytes used, or 0 after raising `needed`. */
  private readChunk(buf: Buffer, out: RtmpMessage[]): number {
    const fmt = (buf[0] >> 6) as ChunkFmtValue;
    let pos = 1;
    let csid = buf[0] & 0x3f;
    if (csid === 0 || csid === 1) {
      const extra = csid === 0 ? 1 : 2;
      if (buf.length < 1 + extra) return this.wait(1 + extra);
      csid = ChunkLimits.csidOffset + buf[1] + (csid === 1 ? buf[2] * 256 : 0);
      pos += extra;
    }
    const headerLength = MESSAGE_HEADER_LENGTH[fmt];
    if (buf.length < pos + headerLength) return this.wait(pos + headerLength);

    let state = this.streams.get(csid);
    if (!state && fmt !== ChunkFmt.full) {
      throw new RtmpProtocolError(`chunk fmt ${fmt} on chunk stream ${csid}, which never had a fmt 0 header`);
    }
    const startsMessage = !state || state.received === 0;
    if (!startsMessage && fmt !== ChunkFmt.continuation) {
      throw new RtmpProtocolError(
        `chunk fmt ${fmt} on chunk stream ${csid} while ${state!.length - state!.received} bytes of its message are missing`,
      );
    }

    let field = 0;
    if (fmt !== ChunkFmt.continuation) field = buf.readUIntBE(pos, 3);
    const length = fmt <= ChunkFmt.sameStream ? buf.readUIntBE(pos + 3, 3) : state!.length;
    const typeId = fmt <= ChunkFmt.sameStream ? buf[pos + 6] : state!.typeId;
    const streamId = fmt === ChunkFmt.full ? buf.readUInt32LE(pos + 7) : state!.streamId;
    pos += headerLength;

    const extended = fmt === ChunkFmt.continuation ? state!.extended : field === ChunkLimits.extendedTimestampMarker;
    if (extended) {
      if (buf.length < pos + 4) return this.wait(pos + 4);
      field = buf.readUInt32BE(pos);
      pos += 4;
    }

    const received = startsMessage ? 0 : state!.received;
    const take = Math.min(this.size, length - received);
    if (buf.length < pos + take) return this.wait(pos + take);

    if (startsMessage) {
      if (this.buffered + length > this.maxBuffered) {
        throw new RtmpProtocolError(
          `RTMP message of ${length} bytes on chunk stream ${csid} would hold ${this.buffered + length} bytes, the limit is ${this.maxBuffered}`,
        );
      }
      state = this.begin(csid, fmt, field, extended, { length, typeId, streamId }, state);
    }
    const s = state!;
    if (this.buffered + take > this.maxBuffered) {
      throw new RtmpProtocolError(
        `partial RTMP messages would hold ${this.buffered + take} bytes across chunk streams, the limit is ${this.maxBuffered}`,
      );
    }
    if (take > 0) {
      s.parts.push(Buffer.from(buf.subarray(pos, pos + take))); // copy: the input buffer is reused
      s.received += take;
      this.buffered += take;
    }
    pos += take;
    if (s.received >= s.length) this.finish(csid, s, out);
    return pos;
  }

  private wait(bytes: number): 0 {
    this.needed = bytes;
    return 0;
  }

  private begin(
    csid: number,
    fmt: ChunkFmtValue,
    field: number,
    extended: boolean,
    header: { length: number; typeId: number; streamId: number },
    previous: ChunkStreamState | undefined,
  ): ChunkStreamState {
    let timestamp: number;
    let delta: number;
    if (fmt === ChunkFmt.full) {
      timestamp = field;
      delta = 0;
    } else if (fmt === ChunkFmt.continuation) {
      delta = previous!.delta; // §5.3.1.2.4: a new message with fmt 3 repeats the previous delta
      timestamp = (previous!.timestamp + delta) >>> 0;
    } else {
      delta = field;
      timestamp = (previous!.timestamp + delta) >>> 0; // timestamps wrap modulo 2^32 (§5.3.1.2.1)
    }
    const state: ChunkStreamState = { ...header, timestamp, delta, extended, parts: [], received: 0 };
    this.streams.set(csid, state);
    return state;
  }

  private finish(csid: number, s: ChunkStreamState, out: RtmpMessage[]): void {
    const payload = s.parts.length === 1 ? s.parts[0] : Buffer.concat(s.parts, s.received);
    this.buffered -= s.received;
    s.parts = [];
    s.received = 0;
    const message = { csid, timestamp: s.timestamp, typeId: s.typeId, streamId: s.streamId, payload };
    this.applyControl(message);
    out.push(message);
  }

  /** Set Chunk Size and Abort change how the very next bytes are read, so they apply here. */
  private applyControl(message: RtmpMessage): void {
    if (message.typeId === TYPE_SET_CHUNK_SIZE) {
      if (message.payload.length < 4) {
        throw new RtmpProtocolError(`Set Chunk Size message of ${message.payload.length} bytes, it needs 4`);
      }
      const size = message.payload.readUInt32BE(0);
      if (size === 0 || size > ChunkLimits.maxChunkSize) {
        throw new RtmpProtocolError(`peer set chunk size ${size}, it must be 1–${ChunkLimits.maxChunkSize}`);
      }
      this.size = size;
    } else if (message.typeId === TYPE_ABORT && message.payload.length >= 4) {
      const state = this.streams.get(message.payload.readUInt32BE(0));
      if (state) {
        this.buffered -= state.received;
        state.parts = [];
        state.received = 0;
      }
    }
  }
}
