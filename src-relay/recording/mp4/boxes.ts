// ISO/IEC 14496-12 (ISO base media file format) — boxes as bytes: the box header (§4.2), full boxes, and the
// fixed-size integers their fields are made of. Pure functions, no I/O.

//  Box (§4.2): size u32 (the whole box, header included) | type 4cc | [size = 1: largesize u64] | body
//  FullBox: Box | version u8 | flags u24 | body
const HEADER = 8;
const FOURCC = /^[\x20-\x7e]{4}$/;

function checkType(type: string): void {
  if (!FOURCC.test(type)) throw new Error(`box type ${JSON.stringify(type)} is not four printable characters`);
}

/** A box of `type` around the concatenation of `parts` (32-bit size: the moov's boxes stay far below 4 GB). */
export function box(type: string, ...parts: Buffer[]): Buffer {
  checkType(type);
  let size = HEADER;
  for (const part of parts) size += part.length;
  if (size > 0xffffffff) throw new Error(`box '${type}' of ${size} bytes needs a 64-bit size`);
  const header = Buffer.alloc(HEADER);
  header.writeUInt32BE(size, 0);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, ...parts], size);
}

/** A FullBox: version and flags in front of the body. */
export function fullBox(type: string, version: number, flags: number, ...parts: Buffer[]): Buffer {
  if (!Number.isInteger(version) || version < 0 || version > 0xff) throw new Error(`box version must be an integer 0–255, got ${version}`);
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffff) throw new Error(`box flags must be an integer 0–0xffffff, got ${flags}`);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(((version << 24) | flags) >>> 0, 0);
  return box(type, head, ...parts);
}

/**
 * The header of a box whose body is written after it (the mdat): 8 bytes while the whole box fits in 32 bits,
 * else 16 with size = 1 and the 64-bit largesize.
 */
export function boxHeader(type: string, bodySize: number): Buffer {
  checkType(type);
  if (!Number.isSafeInteger(bodySize) || bodySize < 0) throw new Error(`box body size must be a non-negative integer, got ${bodySize}`);
  if (bodySize + HEADER <= 0xffffffff) {
    const header = Buffer.alloc(HEADER);
    header.writeUInt32BE(bodySize + HEADER, 0);
    header.write(type, 4, 'latin1');
    return header;
  }
  const header = Buffer.alloc(HEADER + 8);
  header.writeUInt32BE(1, 0);
  header.write(type, 4, 'latin1');
  header.writeBigUInt64BE(BigInt(bodySize + HEADER + 8), 8);
  return header;
}

export function u8(value: number): Buffer {
  return Buffer.from([value & 0xff]);
}

export function u16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value, 0);
  return b;
}

export function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value, 0);
  return b;
}

export function u64(value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(value), 0);
  return b;
}

export function zeros(n: number): Buffer {
  return Buffer.alloc(n);
}

/** A list of u32 values as one buffer (sample tables). */
export function u32s(values: ArrayLike<number>): Buffer {
  const b = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) b.writeUInt32BE(values[i], i * 4);
  return b;
}

/** The unity matrix of tkhd and mvhd (§8.2.2, §8.3.2): { 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000 }. */
export const UNITY_MATRIX = u32s([0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000]);
