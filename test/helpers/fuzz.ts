// What the fuzz tests and the soak's fuzz targets share: random and mutated bytes, the AMF0 and RTMP chunk
// inputs mutations start from, and a forced garbage collection for heap bounds. Every function takes the
// PRNG (test/helpers/prng.ts) so a case replays from its seed.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { EcmaArray, encodeAmf0 } from '../../src-relay/rtmp/amf0.js';
import { ChunkWriter } from '../../src-relay/rtmp/chunk.js';
import { MessageType, setChunkSizeMessage, userControlMessage, windowAckSizeMessage } from '../../src-relay/rtmp/control.js';

/** Up to `max` random bytes. */
export function randomBytes(next: () => number, max: number): Buffer {
  const b = Buffer.alloc(Math.floor(next() * max));
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(next() * 256);
  return b;
}

/** u32 values at the edges of signed, unsigned and 24-bit ranges. */
export const BOUNDARY_U32 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** One mutation: flip a bit, set a byte or a u32 to a boundary value, insert, delete, truncate, duplicate. */
export function mutate(input: Buffer, next: () => number): Buffer {
  const b = Buffer.from(input);
  const at = Math.floor(next() * Math.max(1, b.length));
  switch (Math.floor(next() * 7)) {
    case 0:
      if (b.length) b[at] ^= 1 << Math.floor(next() * 8);
      return b;
    case 1:
      if (b.length) b[at] = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x09, 0x03, 0x0a, 0x07][Math.floor(next() * 10)]!;
      return b;
    case 2:
      if (b.length >= at + 4) (next() < 0.5 ? b.writeUInt32LE.bind(b) : b.writeUInt32BE.bind(b))(BOUNDARY_U32[Math.floor(next() * BOUNDARY_U32.length)]!, at);
      return b;
    case 3:
      return Buffer.concat([b.subarray(0, at), Buffer.from([Math.floor(next() * 256)]), b.subarray(at)]);
    case 4:
      return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + Math.floor(next() * 8))]);
    case 5:
      return b.subarray(0, at);
    default: {
      const len = Math.floor(next() * 32);
      return Buffer.concat([b.subarray(0, at + len), b.subarray(at)]);
    }
  }
}

/** One to four mutations in a row. */
export function mutateMany(input: Buffer, next: () => number): Buffer {
  let out = input;
  const n = 1 + Math.floor(next() * 4);
  for (let i = 0; i < n; i++) out = mutate(out, next);
  return out;
}

/** AMF0 values an RTMP server and client exchange, and forms they rarely use. */
export const AMF_CORPUS: readonly Buffer[] = [
  encodeAmf0('connect', 1, { app: 'live', type: 'nonprivate', flashVer: 'FMLE/3.0', tcUrl: 'rtmp://h/live' }),
  encodeAmf0('_result', 1, { fmsVer: 'FMS/3,5,7,7009', capabilities: 31 }, { level: 'status', code: 'NetConnection.Connect.Success', objectEncoding: 0 }),
  encodeAmf0('onStatus', 0, null, { level: 'error', code: 'NetStream.Publish.BadName', description: 'x'.repeat(70) }),
  encodeAmf0('@setDataFrame', 'onMetaData', new EcmaArray({ width: 1280, height: 720, encoder: 'Castbridge', stereo: true })),
  encodeAmf0([1, [2, [3, [null, undefined, new Date(0)]]], { a: { b: { c: 'd' } } }]),
  Buffer.from('0a00000002030001610005000009070001', 'hex'), // strict array with a reference
  Buffer.from('100003466f6f000161 0f00000003612f62 000009'.replace(/ /g, ''), 'hex'), // typed object, xml
];

/** Chunk streams with the forms servers rarely use: a 256-byte chunk size, csid 300 and 65599, extended timestamps. */
export function writtenChunkStreams(): Buffer[] {
  const w = new ChunkWriter();
  const setSize = w.write(setChunkSizeMessage(256));
  w.setChunkSize(256);
  const command = (csid: number, payload: Buffer, ts: number): Buffer => w.write({ csid, timestamp: ts, typeId: MessageType.commandAmf0, streamId: 0, payload });
  return [
    Buffer.concat([w.write(windowAckSizeMessage(2_500_000)), setSize, command(3, AMF_CORPUS[1]!, 0), command(300, AMF_CORPUS[2]!, 0xffffff)]),
    Buffer.concat([setSize, w.write({ csid: 6, timestamp: 0x1234567, typeId: 9, streamId: 1, payload: Buffer.alloc(700, 7) }), w.write(userControlMessage(6, 99))]),
    Buffer.concat([command(65599, AMF_CORPUS[3]!, 40), command(3, AMF_CORPUS[0]!, 80)]),
  ];
}

/** The garbage collector, callable (V8's --expose_gc set at run time), for heap figures that mean something. */
export function forceGc(): () => void {
  setFlagsFromString('--expose_gc');
  return runInNewContext('gc') as () => void;
}

/** The keys and strings random JSON bodies are made of (a REST route's field names and tricky values). */
export interface JsonPool {
  keys: readonly string[];
  strings: readonly string[];
}

function randomJsonValue(r: () => number, pool: JsonPool, depth: number): unknown {
  switch (Math.floor(r() * (depth > 3 ? 6 : 8))) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return Math.floor((r() - 0.5) * 2 ** (r() * 64));
    case 3:
    case 4:
    case 5:
      return pool.strings[Math.floor(r() * pool.strings.length)];
    case 6:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomJsonValue(r, pool, depth + 1));
    default:
      return randomJsonObject(r, pool, depth + 1);
  }
}

/** An object of up to four of the pool's keys with random values (nested up to about five levels). */
export function randomJsonObject(r: () => number, pool: JsonPool, depth = 0): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) o[pool.keys[Math.floor(r() * pool.keys.length)]!] = randomJsonValue(r, pool, depth);
  return o;
}

/** One to four character edits of a text: a deletion, a random ASCII character, or JSON punctuation. */
export function mutateText(r: () => number, text: string): string {
  const chars = [...text];
  const edits = 1 + Math.floor(r() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(r() * (chars.length + 1));
    const kind = r();
    if (kind < 0.33) chars.splice(at, 1);
    else if (kind < 0.66) chars.splice(at, 0, String.fromCharCode(Math.floor(r() * 128)));
    else chars.splice(at, 0, '{"[,:]}"\\'[Math.floor(r() * 9)]!);
  }
  return chars.join('');
}
