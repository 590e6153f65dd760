import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { flvHeader, flvTag, FlvReader, readFlv, readFlvStream, writeFlv, type FlvTag } from '../../../src-relay/flv/file.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

const TAGS: FlvTag[] = [
  { type: 18, timestamp: 0, body: hex('020006') },
  { type: 9, timestamp: 0, body: hex('1700000000') },
  { type: 8, timestamp: 21, body: hex('af001190') },
  { type: 9, timestamp: 0x01020304, body: hex('2701000000aabb') }, // past 24 bits: uses TimestampExtended
];

describe('FLV file', () => {
  test('the header is FLV 01 05 00000009 then PreviousTagSize0', () => {
    assert.deepEqual(flvHeader({ audio: true, video: true }), hex('464c5601050000000900000000'));
    assert.deepEqual(flvHeader({ audio: false, video: true }), hex('464c5601010000000900000000'));
  });

  test('a tag is an 11-byte header, the body and PreviousTagSize = 11 + size', () => {
    assert.deepEqual(flvTag({ type: 8, timestamp: 0x01020304, body: hex('af01') }), hex('08' + '000002' + '020304' + '01' + '000000' + 'af01' + '0000000d'));
  });

  test('writer → reader round trip keeps type, timestamp and body', () => {
    const file = writeFlv(TAGS);
    assert.deepEqual(readFlv(file), TAGS);
  });

  test('the stream reader yields the same tags when fed one byte at a time', async () => {
    const file = writeFlv(TAGS);
    const chunks = [...file].map((b) => Buffer.from([b]));
    const tags: FlvTag[] = [];
    for await (const tag of readFlvStream(Readable.from(chunks))) tags.push(tag);
    assert.deepEqual(tags, TAGS);
  });

  test('truncated input names where it stopped', () => {
    const file = writeFlv(TAGS);
    assert.throws(() => readFlv(file.subarray(0, file.length - 3)), /FLV truncated at byte \d+: \d+ bytes of an unfinished tag/);
    assert.throws(() => readFlv(file.subarray(0, 5)), /FLV truncated: 5 bytes, the header needs 13/);
  });

  test('bad signature, tag type and PreviousTagSize are errors, not crashes', () => {
    assert.throws(() => readFlv(hex('4d5034010500000009000000')), /not an FLV file: signature "MP4"/);
    const badType = Buffer.concat([flvHeader({ audio: true, video: true }), hex('07000000000000000000000000000b')]);
    assert.throws(() => readFlv(badType), /TagType 7, expected 8, 9 or 18/);
    const good = writeFlv([TAGS[2]]);
    good.writeUInt32BE(999, good.length - 4);
    assert.throws(() => readFlv(good), /PreviousTagSize 999 after the tag at byte 13 is not 15/);
  });

  test('a tag claiming 16 MB does not make the reader buffer more than it was given', () => {
    const reader = new FlvReader();
    const tags = reader.push(Buffer.concat([flvHeader({ audio: false, video: true }), hex('09ffffff00000000000000'), Buffer.alloc(1000)]));
    assert.deepEqual(tags, []);
    assert.throws(() => reader.end(), /unfinished tag/);
  });
});
