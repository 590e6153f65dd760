import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkFmt, ChunkReader, ChunkWriter, RtmpProtocolError, encodeChunkHeader, type RtmpMessage } from '../../../src-relay/rtmp/chunk.js';
import { setChunkSizeMessage } from '../../../src-relay/rtmp/control.js';

function message(csid: number, timestamp: number, length: number, typeId = 9, streamId = 1): RtmpMessage {
  const payload = Buffer.alloc(length);
  for (let i = 0; i < length; i++) payload[i] = (i * 7 + csid) & 0xff;
  return { csid, timestamp, typeId, streamId, payload };
}

function readAll(bytes: Buffer, reader = new ChunkReader()): RtmpMessage[] {
  return reader.push(bytes);
}

describe('chunk writer (RTMP spec §5.3.1)', () => {
  test('splits a 300-byte message at the default 128: fmt 0 header, then one-byte fmt 3 headers', () => {
    const out = new ChunkWriter().write(message(6, 1000, 300));
    assert.equal(out.length, 12 + 128 + 1 + 128 + 1 + 44);
    assert.deepEqual(out.subarray(0, 12), Buffer.from([0x06, 0x00, 0x03, 0xe8, 0x00, 0x01, 0x2c, 0x09, 0x01, 0x00, 0x00, 0x00]));
    assert.equal(out[12 + 128], 0xc6); // fmt 3, csid 6
    assert.equal(out[12 + 128 + 1 + 128], 0xc6);
  });

  test('basic header forms for csid 2–63, 64–319 and 320–65599', () => {
    const h = (csid: number): number[] => [...encodeChunkHeader(ChunkFmt.continuation, csid, { timestamp: 0, length: 0, typeId: 0, streamId: 0 })];
    assert.deepEqual(h(2), [0xc2]);
    assert.deepEqual(h(63), [0xff]);
    assert.deepEqual(h(64), [0xc0, 0]);
    assert.deepEqual(h(319), [0xc0, 255]);
    assert.deepEqual(h(320), [0xc1, 0, 1]);
    assert.deepEqual(h(65599), [0xc1, 255, 255]);
    assert.throws(() => h(1), /chunk stream id must be an integer 2–65599, got 1/);
    assert.throws(() => h(65600), /got 65600/);
  });

  test('a timestamp ≥ 0xFFFFFF goes in the extended field, repeated on fmt 3 continuation chunks', () => {
    const out = new ChunkWriter().write(message(4, 0x12345678, 200));
    assert.equal(out.readUIntBE(1, 3), 0xffffff);
    assert.equal(out.readUInt32BE(12), 0x12345678);
    const cont = 1 + 11 + 4 + 128;
    assert.equal(out[cont], 0xc4);
    assert.equal(out.readUInt32BE(cont + 1), 0x12345678);
    assert.equal(out.length, cont + 1 + 4 + 72);
  });
});

describe('chunk reader', () => {
  test('round-trips messages on every csid form, with extended timestamps, fed whole or byte by byte', () => {
    const writer = new ChunkWriter();
    const messages = [
      message(2, 0, 0, 4, 0),
      message(3, 5, 10),
      message(63, 0xfffffe, 129),
      message(64, 0xffffff, 300),
      message(319, 0xffffffff, 5000),
      message(320, 40, 256),
      message(65599, 0x1000000, 1),
    ];
    const bytes = Buffer.concat(messages.map((m) => writer.write(m)));
    assert.deepEqual(readAll(bytes), messages);
    const slow = new ChunkReader();
    const got: RtmpMessage[] = [];
    for (const byte of bytes) got.push(...slow.push(Buffer.from([byte])));
    assert.deepEqual(got, messages);
    assert.equal(slow.bytesReceived, bytes.length);
  });

  test('applies Set Chunk Size at once, for the chunks right after it in the same read', () => {
    const writer = new ChunkWriter();
    const first = writer.write(setChunkSizeMessage(4096));
    writer.setChunkSize(4096);
    const big = message(6, 7, 10_000);
    const reader = new ChunkReader();
    const got = reader.push(Buffer.concat([first, writer.write(big)]));
    assert.equal(reader.chunkSize, 4096);
    assert.deepEqual(got[1], big);
  });

  test('fmt 1, fmt 2 and a fmt 3 new message add timestamp deltas (§5.3.1.2); timestamps wrap at 2^32', () => {
    const body = (n: number): Buffer => Buffer.alloc(n, 0xab);
    const bytes = Buffer.concat([
      encodeChunkHeader(ChunkFmt.full, 5, { timestamp: 0xfffffff0, length: 3, typeId: 8, streamId: 1 }),
      body(3),
      encodeChunkHeader(ChunkFmt.sameStream, 5, { timestamp: 0x20, length: 2, typeId: 9, streamId: 0 }),
      body(2),
      encodeChunkHeader(ChunkFmt.timestampOnly, 5, { timestamp: 0x10, length: 0, typeId: 0, streamId: 0 }),
      body(2),
      encodeChunkHeader(ChunkFmt.continuation, 5, { timestamp: 0x10, length: 0, typeId: 0, streamId: 0 }),
      body(2),
    ]);
    const got = readAll(bytes);
    assert.deepEqual(got.map((m) => [m.timestamp, m.typeId, m.streamId, m.payload.length]), [
      [0xfffffff0, 8, 1, 3],
      [0x10, 9, 1, 2],
      [0x20, 9, 1, 2],
      [0x30, 9, 1, 2],
    ]);
  });

  test('fmt 1–3 on a chunk stream never seen is a protocol error', () => {
    for (const fmt of [ChunkFmt.sameStream, ChunkFmt.timestampOnly, ChunkFmt.continuation]) {
      const header = encodeChunkHeader(fmt, 9, { timestamp: 1, length: 1, typeId: 9, streamId: 0 });
      assert.throws(() => readAll(Buffer.concat([header, Buffer.alloc(1)])), (e: unknown) => e instanceof RtmpProtocolError && /fmt \d on chunk stream 9, which never had a fmt 0/.test(e.message));
    }
  });

  test('Set Chunk Size 0 or ≥ 2^31 is refused, naming the value', () => {
    const writer = new ChunkWriter();
    for (const size of [0, 0x80000000]) {
      const m = { csid: 2, timestamp: 0, typeId: 1, streamId: 0, payload: Buffer.alloc(4) };
      m.payload.writeUInt32BE(size);
      assert.throws(() => readAll(writer.write(m)), new RegExp(`peer set chunk size ${size}`));
    }
  });

  test('one message larger than the buffered-bytes cap is refused before its bytes arrive', () => {
    const reader = new ChunkReader({ maxBuffered: 1024 * 1024 });
    const header = encodeChunkHeader(ChunkFmt.full, 3, { timestamp: 0, length: 0xffffff, typeId: 9, streamId: 1 });
    assert.throws(() => reader.push(Buffer.concat([header, Buffer.alloc(128)])), /message of 16777215 bytes on chunk stream 3 .* limit is 1048576/);
  });

  test('partial messages on many chunk streams together hit the cap (bounded memory)', () => {
    const reader = new ChunkReader({ maxBuffered: 1024 * 1024 });
    const writer = new ChunkWriter();
    reader.push(writer.write(setChunkSizeMessage(65536)));
    const firstChunk = Buffer.alloc(65536, 1);
    let streams = 0;
    assert.throws(() => {
      for (let csid = 3; csid < 1000; csid++, streams++) {
        reader.push(Buffer.concat([encodeChunkHeader(ChunkFmt.full, csid, { timestamp: 0, length: 65536 + 1, typeId: 9, streamId: 1 }), firstChunk]));
      }
    }, /would hold 1048577 bytes, the limit is 1048576/);
    assert.equal(streams, 15); // 15 × 64 KiB held, the 16th would pass 1 MiB
  });

  test('a fmt 0 chunk in the middle of a message on the same chunk stream is refused', () => {
    const writer = new ChunkWriter();
    const partial = writer.write(message(3, 0, 300)).subarray(0, 12 + 128);
    assert.throws(() => readAll(Buffer.concat([partial, partial])), /chunk fmt 0 on chunk stream 3 while 172 bytes of its message are missing/);
  });
});

describe('ChunkWriter.writePieces (the publisher’s zero-copy path)', () => {
  test('gives exactly the bytes of write() for every chunk size, csid form, length and timestamp', () => {
    const chunkSizes = [1, 128, 4096, 65536];
    const csids = [2, 3, 63, 64, 319, 320, 65599];
    const lengths = [0, 1, 127, 128, 129, 4096, 4097, 10_000];
    const timestamps = [0, 1000, 0xfffffe, 0xffffff, 0x1000000, 0xffffffff];
    let cases = 0;
    for (const size of chunkSizes) {
      for (const csid of csids) {
        for (const length of lengths) {
          for (const timestamp of timestamps) {
            const plain = new ChunkWriter();
            const pieces = new ChunkWriter();
            if (size !== 128) {
              plain.setChunkSize(size);
              pieces.setChunkSize(size);
            }
            // Twice through each writer: the second message reuses the cached continuation header.
            for (let round = 0; round < 2; round++) {
              const m = message(csid, timestamp + round, length);
              assert.deepEqual(Buffer.concat(pieces.writePieces(m)), plain.write(m), `size ${size} csid ${csid} length ${length} ts ${timestamp}`);
              cases++;
            }
          }
        }
      }
    }
    assert.equal(cases, chunkSizes.length * csids.length * lengths.length * timestamps.length * 2);
  });

  test('pieces are views of the payload, not copies', () => {
    const writer = new ChunkWriter();
    const m = message(6, 40, 300);
    const pieces = writer.writePieces(m);
    assert.equal(pieces[1]!.buffer, m.payload.buffer, 'the first payload slice shares the payload’s memory');
    assert.equal(Buffer.concat(pieces).length, writer.write(m).length);
  });
});
