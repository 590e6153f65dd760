// AMF0 — Action Message Format, version 0 (Adobe, "AMF 0 File Format Specification", 2007).
// Pure: bytes in, values out. Every length is checked against the bytes left before anything is allocated,
// nesting is bounded, and every failure is an Amf0Error naming the offset and the bound.
import { Amf0Error } from './errors.js';

export { Amf0Error };

export type Amf0Value =
  | number
  | boolean
  | string
  | null
  | undefined
  | Date
  | Amf0Value[]
  | Amf0Object
  | EcmaArray;

export interface Amf0Object {
  [key: string]: Amf0Value;
}

/** Marks an associative "ECMA array" (AMF0 §2.10), which onMetaData uses, apart from an anonymous object. */
export class EcmaArray {
  constructor(public entries: Record<string, Amf0Value>) {}
}

// AMF0 §2.1 type markers.
export const Amf0Marker = {
  number: 0x00,
  boolean: 0x01,
  string: 0x02,
  object: 0x03,
  movieclip: 0x04, // reserved, not supported
  null: 0x05,
  undefined: 0x06,
  reference: 0x07,
  ecmaArray: 0x08,
  objectEnd: 0x09,
  strictArray: 0x0a,
  date: 0x0b,
  longString: 0x0c,
  unsupported: 0x0d,
  recordset: 0x0e, // reserved, not supported
  xmlDocument: 0x0f,
  typedObject: 0x10,
  avmplusObject: 0x11, // switch to AMF3: not spoken by RTMP publishers
} as const;

export const AMF0_DEFAULT_MAX_DEPTH = 64;
const UTF8_MAX = 0xffff; // u16 length of a short string (§1.3 UTF-8)
const U32_MAX = 0xffffffff;

export interface Amf0DecodeLimits {
  /** Deepest nesting of objects/arrays accepted (default 64). */
  maxDepth?: number;
}

// ---------------------------------------------------------------------------------------------- encoding

class Writer {
  private readonly parts: Buffer[] = [];
  private depth = 0;

  u8(v: number): void {
    const b = Buffer.allocUnsafe(1);
    b.writeUInt8(v);
    this.parts.push(b);
  }
  u16(v: number): void {
    const b = Buffer.allocUnsafe(2);
    b.writeUInt16BE(v);
    this.parts.push(b);
  }
  u32(v: number): void {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(v);
    this.parts.push(b);
  }
  double(v: number): void {
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleBE(v);
    this.parts.push(b);
  }
  bytes(b: Buffer): void {
    this.parts.push(b);
  }
  result(): Buffer {
    return Buffer.concat(this.parts);
  }

  /** UTF-8 without marker, u16 length (§1.3): property names and short strings. */
  utf8(text: string): void {
    const b = Buffer.from(text, 'utf8');
    if (b.length > UTF8_MAX) throw new Amf0Error(`AMF0 property name is ${b.length} bytes, the limit is ${UTF8_MAX}`);
    this.u16(b.length);
    this.bytes(b);
  }

  value(v: Amf0Value): void {
    if (v === null) return this.u8(Amf0Marker.null);
    if (v === undefined) return this.u8(Amf0Marker.undefined);
    switch (typeof v) {
      case 'number':
        this.u8(Amf0Marker.number);
        return this.double(v);
      case 'boolean':
        this.u8(Amf0Marker.boolean);
        return this.u8(v ? 1 : 0);
      case 'string':
        return this.string(v);
    }
    if (v instanceof Date) {
      // §2.13: milliseconds since the epoch, then a time-zone (reserved, 0)
      this.u8(Amf0Marker.date);
      this.double(v.getTime());
      return this.u16(0);
    }
    this.nested(() => {
      if (Array.isArray(v)) this.strictArray(v);
      else if (v instanceof EcmaArray) this.ecmaArray(v);
      else this.object(v);
    });
  }

  private nested(fn: () => void): void {
    if (++this.depth > AMF0_DEFAULT_MAX_DEPTH) {
      throw new Amf0Error(`AMF0 value nests deeper than ${AMF0_DEFAULT_MAX_DEPTH} levels (a cycle?)`);
    }
    fn();
    this.depth--;
  }

  private string(v: string): void {
    const b = Buffer.from(v, 'utf8');
    if (b.length <= UTF8_MAX) {
      this.u8(Amf0Marker.string); // §2.4
      this.u16(b.length);
    } else {
      if (b.length > U32_MAX) throw new Amf0Error(`AMF0 long string is ${b.length} bytes, the limit is ${U32_MAX}`);
      this.u8(Amf0Marker.longString); // §2.14
      this.u32(b.length);
    }
    this.bytes(b);
  }

  private properties(entries: Record<string, Amf0Value>): void {
    for (const [key, value] of Object.entries(entries)) {
      this.utf8(key);
      this.value(value);
    }
    this.u16(0); // §2.11 object end: an empty name, then the marker
    this.u8(Amf0Marker.objectEnd);
  }

  private object(v: Amf0Object): void {
    this.u8(Amf0Marker.object); // §2.5
    this.properties(v);
  }

  private ecmaArray(v: EcmaArray): void {
    this.u8(Amf0Marker.ecmaArray); // §2.10: associative-count, then properties as an object
    this.u32(Object.keys(v.entries).length);
    this.properties(v.entries);
  }

  private strictArray(v: Amf0Value[]): void {
    this.u8(Amf0Marker.strictArray); // §2.12: array-count, then values
    this.u32(v.length);
    for (const item of v) this.value(item);
  }
}

/** Encodes the values one after the other, as an RTMP command message body carries them. */
export function encodeAmf0(...values: Amf0Value[]): Buffer {
  const w = new Writer();
  for (const v of values) w.value(v);
  return w.result();
}

// ---------------------------------------------------------------------------------------------- decoding

/** Sets a property without ever touching a prototype (`__proto__` from the wire is just a key). */
function defineEntry(target: Record<string, Amf0Value>, key: string, value: Amf0Value): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

class Reader {
  pos = 0;
  private depth = 0;
  /** §2.9: complex values in the order they were met, for references. */
  private readonly table: Amf0Value[] = [];
  /** Values of the table still being decoded: a reference to one would build a cycle. */
  private readonly open = new Set<number>();

  constructor(
    private readonly buf: Buffer,
    private readonly maxDepth: number,
  ) {}

  get left(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.left) {
      throw new Amf0Error(`AMF0 ${what} needs ${n} bytes at offset ${this.pos}, only ${this.left} left`);
    }
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf.readUInt8(this.pos++);
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  double(what: string): number {
    this.need(8, what);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }
  text(length: number, what: string): string {
    this.need(length, what);
    const s = this.buf.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return s;
  }

  value(): Amf0Value {
    const at = this.pos;
    const marker = this.u8('type marker');
    switch (marker) {
      case Amf0Marker.number:
        return this.double('number');
      case Amf0Marker.boolean:
        return this.u8('boolean') !== 0;
      case Amf0Marker.string:
        return this.text(this.u16('string length'), 'string');
      case Amf0Marker.longString:
      case Amf0Marker.xmlDocument: // §2.17: a long string of XML
        return this.text(this.u32('long string length'), 'long string');
      case Amf0Marker.null:
        return null;
      case Amf0Marker.undefined:
      case Amf0Marker.unsupported:
        return undefined;
      case Amf0Marker.date: {
        const ms = this.double('date');
        this.u16('date time-zone');
        return new Date(ms);
      }
      case Amf0Marker.reference:
        return this.reference();
      case Amf0Marker.object:
        return this.complex(() => this.properties({}));
      case Amf0Marker.typedObject:
        // §2.18: a class name, then properties; the class name has no meaning for RTMP publishing.
        return this.complex(() => {
          this.text(this.u16('class name length'), 'class name');
          return this.properties({});
        });
      case Amf0Marker.ecmaArray:
        return this.complex(() => {
          this.u32('ECMA array count'); // a hint only: encoders write 0 too, the object end is what counts
          return new EcmaArray(this.properties({}));
        });
      case Amf0Marker.strictArray:
        return this.complex(() => this.strictArray());
      case Amf0Marker.objectEnd:
        throw new Amf0Error(`AMF0 object-end marker outside an object at offset ${at}`);
      default:
        throw new Amf0Error(`AMF0 type marker 0x${marker.toString(16).padStart(2, '0')} at offset ${at} is not supported`);
    }
  }

  private reference(): Amf0Value {
    const at = this.pos - 1;
    const index = this.u16('reference index');
    if (index >= this.table.length) {
      throw new Amf0Error(`AMF0 reference ${index} at offset ${at} exceeds the ${this.table.length} complex values seen`);
    }
    if (this.open.has(index)) throw new Amf0Error(`AMF0 reference ${index} at offset ${at} points into itself (a cycle)`);
    return this.table[index];
  }

  /** Decodes a nested value, registering it for references (§2.9) and bounding the depth. */
  private complex<T extends Amf0Value>(decode: () => T): T {
    if (this.depth >= this.maxDepth) {
      throw new Amf0Error(`AMF0 nesting deeper than ${this.maxDepth} levels at offset ${this.pos - 1}`);
    }
    const index = this.table.length;
    this.table.push(undefined);
    this.open.add(index);
    this.depth++;
    const value = decode();
    this.depth--;
    this.open.delete(index);
    this.table[index] = value;
    return value;
  }

  /** §2.5 object-property*, then object-end (00 00 09). */
  private properties<T extends Record<string, Amf0Value>>(target: T): T {
    for (;;) {
      const keyLength = this.u16('property name length');
      if (keyLength === 0) {
        const at = this.pos;
        const marker = this.u8('object end');
        if (marker === Amf0Marker.objectEnd) return target;
        // An empty property name followed by a value: legal, if rare.
        this.pos = at;
        defineEntry(target, '', this.value());
        continue;
      }
      const key = this.text(keyLength, 'property name');
      defineEntry(target, key, this.value());
    }
  }

  private strictArray(): Amf0Value[] {
    const at = this.pos;
    const count = this.u32('strict array count');
    // every value takes at least its marker byte: a count past the bytes left is a lie, refuse before allocating
    if (count > this.left) {
      throw new Amf0Error(`AMF0 strict array at offset ${at} claims ${count} values, only ${this.left} bytes left`);
    }
    const items: Amf0Value[] = [];
    for (let i = 0; i < count; i++) items.push(this.value());
    return items;
  }
}

/** Decodes every value in the buffer; throws Amf0Error on the first malformed byte. */
export function decodeAmf0(buf: Buffer, limits: Amf0DecodeLimits = {}): Amf0Value[] {
  const reader = new Reader(buf, limits.maxDepth ?? AMF0_DEFAULT_MAX_DEPTH);
  const values: Amf0Value[] = [];
  while (reader.left > 0) values.push(reader.value());
  return values;
}

/** A plain object or an ECMA array's entries, for reading command info objects; undefined otherwise. */
export function asAmf0Record(value: Amf0Value): Record<string, Amf0Value> | undefined {
  if (value instanceof EcmaArray) return value.entries;
  if (value && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) return value;
  return undefined;
}
