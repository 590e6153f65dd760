// Random and mutated bytes into the two parsers that read what an RTMP server sends: the AMF0 decoder and
// the chunk reader. Whatever comes in, they return or throw their own typed error — never a TypeError or a
// RangeError, never a hang — and memory stays bounded. Seeded: a failure prints the seed and the input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Amf0Error, decodeAmf0 } from '../../../src-relay/rtmp/amf0.js';
import { ChunkReader, RtmpProtocolError } from '../../../src-relay/rtmp/chunk.js';
import { AMF_CORPUS, forceGc, mutateMany, randomBytes, writtenChunkStreams } from '../../helpers/fuzz.js';
import { mulberry32 } from '../../helpers/prng.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);

function expectOnly<T extends Error>(kind: new (...args: never[]) => T, input: Buffer, run: () => void): void {
  try {
    run();
  } catch (err) {
    if (!(err instanceof kind)) {
      assert.fail(`seed ${SEED}: ${String(err)} (not ${kind.name}) for input ${input.toString('hex').slice(0, 400)}`);
    }
  }
}

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

test('chunk reader: 50,000 random and mutated streams fed in random splits, only RtmpProtocolError, bounded heap', () => {
  const gc = forceGc();
  const next = mulberry32(SEED + 1);
  const corpus = writtenChunkStreams();
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
