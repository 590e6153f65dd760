// Adobe Flash Video File Format Specification v10.1, Annex E.2–E.3 — the FLV file: header, then tags each
// followed by PreviousTagSize. A writer that returns bytes, a push parser with bounded memory, and the
// duration of a file on disk read from its last tag.
import { open } from 'node:fs/promises';
import { TagType } from './tags.js';

export interface FlvTag {
  /** TagType: 8 audio, 9 video, 18 script data. */
  type: number;
  /** Milliseconds (32-bit: 24 bits + TimestampExtended). */
  timestamp: number;
  body: Buffer;
}

//  FLV header (E.2), 9 bytes, then PreviousTagSize0 = 0 (u32):
//  +-----+-----+-----+---------+----------------------------+-------------------+
//  | 'F' | 'L' | 'V' | Version | 00000 A 0 V (type flags)   | DataOffset u32 = 9|
//  +-----+-----+-----+---------+----------------------------+-------------------+
const SIGNATURE = Buffer.from('FLV', 'latin1');
const VERSION = 1;
const HEADER_SIZE = 9;
const FLAG_AUDIO = 0x04;
const FLAG_VIDEO = 0x01;
const PREVIOUS_TAG_SIZE = 4;

//  Tag header (E.4.1), 11 bytes:
//  +----------------------+-------------+---------------+---------------+-------------+
//  | rsv 2 | F 1 | Type 5 | DataSize u24| Timestamp u24 | TimestampExt 8| StreamID u24|
//  +----------------------+-------------+---------------+---------------+-------------+
const TAG_HEADER_SIZE = 11;
/** DataSize is 24 bits. */
export const MAX_TAG_BODY = 0xffffff;
const KNOWN_TAG_TYPES: ReadonlySet<number> = new Set(Object.values(TagType));
/** The Filter bit (encrypted tags, E.4.1) and reserved bits around the 5-bit TagType. */
const TAG_TYPE_MASK = 0x1f;
const FILTER_BIT = 0x20;

export function flvHeader(opts: { audio: boolean; video: boolean }): Buffer {
  const header = Buffer.alloc(HEADER_SIZE + PREVIOUS_TAG_SIZE);
  SIGNATURE.copy(header, 0);
  header[3] = VERSION;
  header[4] = (opts.audio ? FLAG_AUDIO : 0) | (opts.video ? FLAG_VIDEO : 0);
  header.writeUInt32BE(HEADER_SIZE, 5);
  // PreviousTagSize0 stays 0
  return header;
}

/** One tag with its header and the PreviousTagSize that follows it. */
export function flvTag(tag: FlvTag): Buffer {
  if (tag.body.length > MAX_TAG_BODY) throw new Error(`FLV tag body of ${tag.body.length} bytes exceeds ${MAX_TAG_BODY}`);
  if (!Number.isInteger(tag.timestamp) || tag.timestamp < 0 || tag.timestamp > 0xffffffff) {
    throw new Error(`FLV timestamp ${tag.timestamp} is outside 0..4294967295 ms`);
  }
  const out = Buffer.alloc(TAG_HEADER_SIZE + tag.body.length + PREVIOUS_TAG_SIZE);
  out[0] = tag.type & TAG_TYPE_MASK;
  out.writeUIntBE(tag.body.length, 1, 3);
  out.writeUIntBE(tag.timestamp & 0xffffff, 4, 3);
  out[7] = (tag.timestamp >>> 24) & 0xff;
  // StreamID (3 bytes) stays 0
  tag.body.copy(out, TAG_HEADER_SIZE);
  out.writeUInt32BE(TAG_HEADER_SIZE + tag.body.length, TAG_HEADER_SIZE + tag.body.length);
  return out;
}

/** A whole FLV file in memory (tests, small fixtures). */
export function writeFlv(tags: FlvTag[], opts?: { audio?: boolean; video?: boolean }): Buffer {
  const audio = opts?.audio ?? tags.some((t) => t.type === TagType.audio);
  const video = opts?.video ?? tags.some((t) => t.type === TagType.video);
  return Buffer.concat([flvHeader({ audio, video }), ...tags.map(flvTag)]);
}

export class FlvFormatError extends Error {
  override name = 'FlvFormatError';
}

/**
 * Push parser: feed chunks, get whole tags. Holds at most one tag's bytes (≤ 16 MB + header) plus the
 * current chunk, whatever the input says. Tag bodies are views of the input chunks (no per-tag copy), so
 * the caller must not modify a chunk after pushing it.
 */
export class FlvReader {
  private readonly maxTagBody: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes of pending[0] already consumed. */
  private headOffset = 0;
  private offset = 0; // file offset of the first pending byte, for error messages
  private headerDone = false;
  /** The header's type flags, once read. */
  hasAudio = false;
  hasVideo = false;

  /** maxTagBody: a tag whose DataSize is larger is refused as soon as its header is read (default 16 MB). */
  constructor(options: { maxTagBody?: number } = {}) {
    this.maxTagBody = Math.min(options.maxTagBody ?? MAX_TAG_BODY, MAX_TAG_BODY);
  }

  push(chunk: Buffer): FlvTag[] {
    if (chunk.length) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    const tags: FlvTag[] = [];
    if (!this.headerDone && !this.readHeader()) return tags;
    for (;;) {
      const tag = this.readTag();
      if (!tag) return tags;
      tags.push(tag);
    }
  }

  /**
   * Copies the bytes held for an unfinished tag into a buffer of their own, so that no chunk pushed so far
   * stays referenced by the reader (its caller may then reuse a chunk once the tags taken from it are done).
   */
  detach(): void {
    if (this.pending.length === 0) return;
    const own = Buffer.allocUnsafe(this.pendingBytes);
    let filled = 0;
    for (let i = 0; i < this.pending.length; i++) filled += this.pending[i].copy(own, filled, i === 0 ? this.headOffset : 0);
    this.pending = this.pendingBytes > 0 ? [own] : [];
    this.headOffset = 0;
  }

  /** Call at end of input: throws if a tag or the header is cut short. */
  end(): void {
    if (!this.headerDone) throw new FlvFormatError(`FLV truncated: ${this.pendingBytes} bytes, the header needs ${HEADER_SIZE + PREVIOUS_TAG_SIZE}`);
    if (this.pendingBytes > 0) {
      throw new FlvFormatError(`FLV truncated at byte ${this.offset}: ${this.pendingBytes} bytes of an unfinished tag`);
    }
  }

  /**
   * The first n pending bytes as one buffer, without consuming them: a view of the first chunk when it holds
   * them all, else exactly n bytes gathered from the chunks (the rest of the last chunk stays uncopied).
   */
  private peek(n: number): Buffer | undefined {
    if (this.pendingBytes < n) return undefined;
    const first = this.pending[0];
    if (first.length - this.headOffset >= n) return first.subarray(this.headOffset, this.headOffset + n);
    const gathered = Buffer.allocUnsafe(n);
    let filled = first.copy(gathered, 0, this.headOffset);
    let used = 1;
    while (filled < n) {
      const piece = this.pending[used];
      const take = Math.min(piece.length, n - filled);
      piece.copy(gathered, filled, 0, take);
      filled += take;
      used++;
      if (take < piece.length) {
        this.pending.splice(0, used, gathered, piece.subarray(take));
        this.headOffset = 0;
        return gathered;
      }
    }
    this.pending.splice(0, used, gathered);
    this.headOffset = 0;
    return gathered;
  }

  /** Drops n bytes from the front (an offset into the first chunk, not a new view per tag). */
  private consume(n: number): void {
    this.offset += n;
    this.pendingBytes -= n;
    this.headOffset += n;
    let drop = 0;
    while (drop < this.pending.length && this.headOffset >= this.pending[drop].length) {
      this.headOffset -= this.pending[drop].length;
      drop++;
    }
    if (drop > 0) this.pending.splice(0, drop);
  }

  private readHeader(): boolean {
    const head = this.peek(HEADER_SIZE);
    if (!head) return false;
    if (!head.subarray(0, 3).equals(SIGNATURE)) {
      throw new FlvFormatError(`not an FLV file: signature ${JSON.stringify(head.subarray(0, 3).toString('latin1'))}, expected "FLV"`);
    }
    if (head[3] !== VERSION) throw new FlvFormatError(`FLV version ${head[3]} is not ${VERSION}`);
    const dataOffset = head.readUInt32BE(5);
    if (dataOffset < HEADER_SIZE || dataOffset > 1024) throw new FlvFormatError(`FLV DataOffset ${dataOffset} is outside ${HEADER_SIZE}..1024`);
    if (this.pendingBytes < dataOffset + PREVIOUS_TAG_SIZE) return false;
    this.hasAudio = (head[4] & FLAG_AUDIO) !== 0;
    this.hasVideo = (head[4] & FLAG_VIDEO) !== 0;
    this.consume(dataOffset + PREVIOUS_TAG_SIZE);
    this.headerDone = true;
    return true;
  }

  private readTag(): FlvTag | undefined {
    const header = this.peek(TAG_HEADER_SIZE);
    if (!header) return undefined;
    const at = this.offset;
    const rawType = header[0];
    const type = rawType & TAG_TYPE_MASK;
    if (rawType & FILTER_BIT) throw new FlvFormatError(`FLV tag at byte ${at} is encrypted (Filter bit set), which is not supported`);
    if (!KNOWN_TAG_TYPES.has(type)) throw new FlvFormatError(`FLV tag at byte ${at} has TagType ${type}, expected 8, 9 or 18`);
    const size = header.readUIntBE(1, 3);
    if (size > this.maxTagBody) throw new FlvFormatError(`FLV tag at byte ${at} has DataSize ${size}, over the ${this.maxTagBody} bytes this stream's tags may hold`);
    const timestamp = (header.readUIntBE(4, 3) | (header[7] << 24)) >>> 0;
    const total = TAG_HEADER_SIZE + size + PREVIOUS_TAG_SIZE;
    const whole = this.peek(total);
    if (!whole) return undefined;
    const previous = whole.readUInt32BE(TAG_HEADER_SIZE + size);
    // Some muxers write 0 or size without the header; only a clearly different value means a broken file.
    if (previous !== TAG_HEADER_SIZE + size && previous !== size && previous !== 0) {
      throw new FlvFormatError(`FLV PreviousTagSize ${previous} after the tag at byte ${at} is not ${TAG_HEADER_SIZE + size}`);
    }
    // A view, not a copy: the body shares memory with the input chunk (or the gathered tag), which stays
    // alive only as long as the caller keeps the tag.
    const body = whole.subarray(TAG_HEADER_SIZE, TAG_HEADER_SIZE + size);
    this.consume(total);
    return { type, timestamp, body };
  }
}

/** Parses a whole FLV file held in memory. */
export function readFlv(data: Buffer): FlvTag[] {
  const reader = new FlvReader();
  const tags = reader.push(data);
  reader.end();
  return tags;
}

/** Parses FLV from a byte stream (a file ReadStream, a socket), yielding tags as they complete. */
export async function* readFlvStream(source: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<FlvTag> {
  const reader = new FlvReader();
  for await (const chunk of source) {
    if (typeof chunk === 'string') throw new FlvFormatError('FLV stream yielded text; open it without an encoding');
    yield* reader.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  }
  reader.end();
}

/**
 * The timestamp of an FLV file's last whole tag, read from its end (E.3: the file ends with the last tag's
 * PreviousTagSize, which points back to that tag's header); undefined when the file does not end on a
 * whole tag (cut while written) or cannot be read.
 */
export async function flvDurationMs(path: string): Promise<number | undefined> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return undefined;
  const read = async (position: number, length: number): Promise<Buffer | undefined> => {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    return bytesRead === length ? buffer : undefined;
  };
  try {
    const { size } = await handle.stat();
    const fileHeader = HEADER_SIZE + PREVIOUS_TAG_SIZE;
    if (size < fileHeader + TAG_HEADER_SIZE + PREVIOUS_TAG_SIZE) return undefined;
    const tail = await read(size - PREVIOUS_TAG_SIZE, PREVIOUS_TAG_SIZE);
    const tagSize = tail?.readUInt32BE(0) ?? 0;
    const tagStart = size - PREVIOUS_TAG_SIZE - tagSize;
    if (tagSize < TAG_HEADER_SIZE || tagStart < fileHeader) return undefined;
    const header = await read(tagStart, TAG_HEADER_SIZE);
    if (!header || header.readUIntBE(1, 3) !== tagSize - TAG_HEADER_SIZE) return undefined;
    return (header.readUIntBE(4, 3) | (header[7]! << 24)) >>> 0;
  } finally {
    await handle.close();
  }
}
