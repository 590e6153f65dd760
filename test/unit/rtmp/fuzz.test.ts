// Random and mutated bytes into the two parsers that read what an RTMP server sends: the AMF0 decoder and
// the chunk reader. Whatever comes in, they return or throw their own typed error — never a TypeError or a
// RangeError, never a hang — and memory stays bounded. Seeded: a failure prints the seed and the input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Amf0Error, EcmaArray, decodeAmf0, encodeAmf0 } from '../../../src-relay/rtmp/amf0.js';
import { ChunkReader, ChunkWriter, RtmpProtocolError } from '../../../src-relay/rtmp/chunk.js';
import { MessageType, setChunkSizeMessage, userControlMessage, windowAckSizeMessage } from '../../../src-relay/rtmp/control.js';
import { mulberry32 } from '../../helpers/prng.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);

function forceGc(): () => void {
  setFlagsFromString('--expose_gc');
  return runInNewContext('gc') as () => void;
}

function randomBytes(next: () => number, max: number): Buffer {
  const b = Buffer.alloc(Math.floor(next() * max));
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(next() * 256);
  return b;
}

/** One mutation: flip, set to a boundary value, insert, delete, truncate or duplicate a slice. */
function mutate(input: Buffer, next: () => number): Buffer {
  const b = Buffer.from(input);
  const at = Math.floor(next() * Math.max(1, b.length));
  switch (Math.floor(next() * 6)) {
    case 0:
      if (b.length) b[at] ^= 1 << Math.floor(next() * 8);
      return b;
    case 1:
      if (b.length) b[at] = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x09, 0x03, 0x0a, 0x07][Math.floor(next() * 10)];
      return b;
    case 2:
      return Buffer.concat([b.subarray(0, at), Buffer.from([Math.floor(next() * 256)]), b.subarray(at)]);
    case 3:
      return Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    case 4:
      return b.subarray(0, at);
    default: {
      const len = Math.floor(next() * 16);
      return Buffer.concat([b.subarray(0, at + len), b.subarray(at)]);
    }
  }
}

function mutateMany(input: Buffer, next: () => number): Buffer {
  let out = input;
  const n = 1 + Math.floor(next() * 4);
  for (let i = 0; i < n; i++) out = mutate(out, next);
  return out;
}

function expectOnly<T extends Error>(kind: new (...args: never[]) => T, input: Buffer, run: () => void): void {
  try {
    run();
  } catch (err) {
    if (!(err instanceof kind)) {
      assert.fail(`seed ${SEED}: ${String(err)} (not ${kind.name}) for input ${input.toString('hex').slice(0, 400)}`);
    }
  }
}

const AMF_CORPUS = [
  encodeAmf0('connect', 1, { app: 'live', type: 'nonprivate', flashVer: 'FMLE/3.0', tcUrl: 'rtmp://h/live' }),
  encodeAmf0('_result', 1, { fmsVer: 'FMS/3,5,7,7009', capabilities: 31 }, { level: 'status', code: 'NetConnection.Connect.Success', objectEncoding: 0 }),
  encodeAmf0('onStatus', 0, null, { level: 'error', code: 'NetStream.Publish.BadName', description: 'x'.repeat(70) }),
  encodeAmf0('@setDataFrame', 'onMetaData', new EcmaArray({ width: 1280, height: 720, encoder: 'Castbridge', stereo: true })),
  encodeAmf0([1, [2, [3, [null, undefined, new Date(0)]]], { a: { b: { c: 'd' } } }]),
  Buffer.from('0a00000002030001610005000009070001', 'hex'), // strict array with a reference
  Buffer.from('10000346 6f6f 0001 61 0f00000003612f62 000009'.replace(/ /g, ''), 'hex'), // typed object, xml
];

test('AMF0 decoder: 80,000 random and mutated inputs, only Amf0Error, bounded heap', () => {
  const gc = forceGc();
  const next = mulberry32(SEED);
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  let decoded = 0;
  for (let i = 0; i < 30_000; i++) {
    const input = randomBytes(next, 96);
    expectOnly(Amf0Error, input, () => void decodeAmf0(input));
  }
  for (let i = 0; i < 50_000; i++) {
    const input = mutateMany(AMF_CORPUS[i % AMF_CORPUS.length], next);
    expectOnly(Amf0Error, input, () => {
      decodeAmf0(input);
      decoded++;
    });
  }
  // deep nesting built on purpose: refused by the depth limit, not by the stack
  const deep = Buffer.concat([...Array.from({ length: 100_000 }, () => Buffer.from('0a00000001', 'hex')), Buffer.from([5])]);
  assert.throws(() => decodeAmf0(deep), Amf0Error);
  gc();
  const growth = process.memoryUsage().heapUsed - heapBefore;
  assert.ok(decoded > 100, `only ${decoded} mutated inputs decoded: the mutations are too destructive to test much`);
  assert.ok(growth < 32 * 1024 * 1024, `heap grew ${growth} bytes`);
});

function chunkCorpus(): Buffer[] {
  const w = new ChunkWriter();
  const setSize = w.write(setChunkSizeMessage(256));
  w.setChunkSize(256);
  const command = (csid: number, payload: Buffer, ts: number) => w.write({ csid, timestamp: ts, typeId: MessageType.commandAmf0, streamId: 0, payload });
  return [
    Buffer.concat([w.write(windowAckSizeMessage(2_500_000)), setSize, command(3, AMF_CORPUS[1], 0), command(300, AMF_CORPUS[2], 0xffffff)]),
    Buffer.concat([setSize, w.write({ csid: 6, timestamp: 0x1234567, typeId: 9, streamId: 1, payload: Buffer.alloc(700, 7) }), w.write(userControlMessage(6, 99))]),
    Buffer.concat([command(65599, AMF_CORPUS[3], 40), command(3, AMF_CORPUS[0], 80)]),
  ];
}

test('chunk reader: 50,000 random and mutated streams fed in random splits, only RtmpProtocolError, bounded heap', () => {
  const gc = forceGc();
  const next = mulberry32(SEED + 1);
  const corpus = chunkCorpus();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  let messages = 0;
  const feed = (input: Buffer): void => {
    const reader = new ChunkReader({ maxBuffered: 1024 * 1024 });
    for (let pos = 0; pos < input.length; ) {
      const len = 1 + Math.floor(next() * 300);
      messages += reader.push(input.subarray(pos, pos + len)).length;
      pos += len;
    }
  };
  for (let i = 0; i < 20_000; i++) {
    const input = randomBytes(next, 512);
    expectOnly(RtmpProtocolError, input, () => feed(input));
  }
  for (let i = 0; i < 30_000; i++) {
    const input = mutateMany(corpus[i % corpus.length], next);
    expectOnly(RtmpProtocolError, input, () => feed(input));
  }
  gc();
  const growth = process.memoryUsage().heapUsed - heapBefore;
  assert.ok(messages > 1000, `only ${messages} messages came out: the fuzzing reached little`);
  assert.ok(growth < 32 * 1024 * 1024, `heap grew ${growth} bytes`);
});
