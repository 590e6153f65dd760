import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flvHeader, flvTag, FlvFormatError, FlvReader, readFlv, readFlvStream, writeFlv, type FlvTag } from '../../../src-relay/flv/file.js';
import { avcEndOfSequenceBody, videoTagInfo } from '../../../src-relay/flv/tags.js';
import { parseAvcDecoderConfigurationRecord, parseSps } from '../../../src-relay/codec/h264.js';
import { parseAudioSpecificConfig } from '../../../src-relay/codec/aac.js';

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

describe('FLV files made by ffmpeg', () => {
  // test/fixtures/flv/testsrc-64x48-0.5s.flv: ffmpeg 5.1 (bitexact), libx264 baseline 64x48 10 fps + AAC 48 kHz stereo.
  const fixture = readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'flv', 'testsrc-64x48-0.5s.flv'));

  test('are read into onMetaData, both sequence headers and media, and written back byte for byte', () => {
    const tags = readFlv(fixture);
    assert.equal(tags[0].type, 18);
    assert.ok(tags[0].body.includes(Buffer.from('onMetaData')));
    const videoHeader = tags.find((t) => t.type === 9)!;
    assert.deepEqual(videoTagInfo(videoHeader.body), { keyframe: true, codecId: 7, sequenceHeader: true });
    const record = parseAvcDecoderConfigurationRecord(videoHeader.body.subarray(5));
    assert.deepEqual([parseSps(record.sps[0]).width, parseSps(record.sps[0]).height], [64, 48]);
    const audioHeader = tags.find((t) => t.type === 8)!;
    assert.deepEqual(parseAudioSpecificConfig(audioHeader.body.subarray(2)), { objectType: 2, sampleRate: 48000, channelConfig: 2 });
    const video = tags.filter((t) => t.type === 9);
    assert.equal(video.length, 1 + 5 + 1, 'sequence header, 5 frames, end of sequence');
    assert.deepEqual(video.at(-1)!.body, avcEndOfSequenceBody(), 'ffmpeg ends with the same AVC end-of-sequence tag we write');
    assert.deepEqual(writeFlv(tags), fixture);
  });

  test('cut or corrupted anywhere, reading ends in an FlvFormatError or in tags, never in a crash', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 300; i++) {
      const damaged = Buffer.from(fixture.subarray(0, 13 + random(fixture.length - 13)));
      for (let k = random(4); k > 0; k--) damaged[random(damaged.length)] = random(256);
      try {
        readFlv(damaged);
      } catch (error) {
        assert.ok(error instanceof FlvFormatError, `unexpected ${String(error)}`);
      }
    }
  });
});
