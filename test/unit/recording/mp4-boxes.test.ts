// The MP4 writer's boxes byte by byte: box headers (32- and 64-bit sizes), the sample tables of a track
// (stts runs, stss, stsc runs, stsz, stco vs co64), and the sample entries (av01+av1C, vp09+vpcC,
// mp4a+esds) against the layouts of ISO/IEC 14496-12, the AV1 and VP codec ISO bindings and ISO/IEC 14496-1.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { box, boxHeader, fullBox } from '../../../src-relay/recording/mp4/boxes.js';
import { TrackSamples } from '../../../src-relay/recording/mp4/samples.js';
import { av01SampleEntry, mp4aSampleEntry, vp09SampleEntry } from '../../../src-relay/recording/mp4/movie.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** The body of a box that starts at `at`: [type, body]. */
function read(buf: Buffer, at = 0): [string, Buffer] {
  const size = buf.readUInt32BE(at);
  return [buf.toString('latin1', at + 4, at + 8), buf.subarray(at + 8, at + size)];
}

describe('MP4 boxes', () => {
  test('a box is size u32, type, body; a full box puts version and flags in front', () => {
    assert.deepEqual(box('free', hex('0102')), hex('0000000a 66726565 0102'));
    assert.deepEqual(fullBox('url ', 0, 1), hex('0000000c 75726c20 00000001'));
    assert.deepEqual(fullBox('vpcC', 1, 0, hex('aa')), hex('0000000d 76706343 01000000 aa'));
  });

  test('an mdat header is 8 bytes under 4 GB, else size 1 and a 64-bit largesize', () => {
    assert.deepEqual(boxHeader('mdat', 100), hex('0000006c 6d646174'));
    assert.deepEqual(boxHeader('mdat', 2 ** 32), hex('00000001 6d646174 0000000100000010'));
  });

  test('a bad type, version or flags is refused with the value named', () => {
    assert.throws(() => box('toolong'), /"toolong" is not four printable characters/);
    assert.throws(() => fullBox('mvhd', 256, 0), /version must be an integer 0–255, got 256/);
    assert.throws(() => fullBox('mvhd', 0, -1), /flags must be an integer 0–0xffffff, got -1/);
  });
});

describe('sample tables', () => {
  // Video at 90 kHz: 3000-tick frames, one 6000-tick gap, keyframes 1 and 4; the file interleaves chunks of
  // 2, 1 and 2 samples of this track.
  function track(): TrackSamples {
    const t = new TrackSamples(90_000, 3000);
    t.add(9000, 100, true, 0, false);
    t.add(12000, 50, false, 100, true);
    t.add(15000, 60, false, 400, false);
    t.add(21000, 200, true, 800, false);
    t.add(24000, 40, false, 1000, true);
    return t;
  }

  test('stts runs of equal deltas, the last sample taking the duration given', () => {
    const [type, body] = read(track().stts());
    assert.equal(type, 'stts');
    // v0 | 3 entries: 2 × 3000, 1 × 6000, 2 × 3000 (the last sample's 3000 joins the run)
    assert.deepEqual(body, hex('00000000 00000003 00000002 00000bb8 00000001 00001770 00000002 00000bb8'));
  });

  test('times are kept from the first sample: duration, first time', () => {
    const t = track();
    assert.equal(t.firstTime, 9000);
    assert.equal(t.duration, 15000 + 3000);
    assert.equal(t.bytes, 450);
    assert.throws(() => t.add(24000, 1, false, 2000, false), /sample time 24000 is not after the previous sample's 24000/);
  });

  test('stss lists the sync samples (1-based); a track of sync samples only has none', () => {
    assert.deepEqual(read(track().stss()!)[1], hex('00000000 00000002 00000001 00000004'));
    const audio = new TrackSamples(48_000, 1024);
    audio.add(0, 10, true, 0, false);
    audio.add(1024, 10, true, 10, true);
    assert.equal(audio.stss(), undefined);
  });

  test('stsc has one entry where the samples per chunk change; stsz every size', () => {
    // chunks: [1,2] [3] [4,5] → (1, 2, 1) (2, 1, 1) (3, 2, 1)
    assert.deepEqual(read(track().stsc())[1], hex('00000000 00000003 00000001 00000002 00000001 00000002 00000001 00000001 00000003 00000002 00000001'));
    assert.deepEqual(read(track().stsz())[1], hex('00000000 00000000 00000005 00000064 00000032 0000003c 000000c8 00000028'));
  });

  test('chunk offsets from the file start: stco, or co64 once an offset passes 4 GB', () => {
    const t = track();
    const [type, body] = read(t.chunkOffsetBox(48, false));
    assert.equal(type, 'stco');
    assert.deepEqual(body, hex('00000000 00000003 00000030 000001c0 00000350'));
    assert.equal(t.needsCo64(48), false);
    assert.equal(t.needsCo64(2 ** 32), true);
    const [type64, body64] = read(t.chunkOffsetBox(2 ** 32, true));
    assert.equal(type64, 'co64');
    assert.deepEqual(body64, hex('00000000 00000003 0000000100000000 0000000100000190 0000000100000320'));
  });
});

describe('sample entries', () => {
  // VisualSampleEntry: 8 bytes of SampleEntry, 70 of visual fields, then the configuration box.
  const VISUAL_FIELDS = 78;

  test('av01: 320x180 and an av1C box whose body is the AV1CodecConfigurationRecord unchanged', () => {
    const record = hex('81040c00 0a0b0000 00 2d 4c ff b3 df ff 98 04');
    const [type, body] = read(av01SampleEntry(record, 320, 180));
    assert.equal(type, 'av01');
    assert.equal(body.readUInt16BE(6), 1, 'data_reference_index');
    assert.deepEqual([body.readUInt16BE(24), body.readUInt16BE(26)], [320, 180]);
    assert.equal(body.readUInt32BE(28), 0x00480000, '72 dpi');
    assert.equal(body.readUInt16BE(40), 1, 'frame_count');
    assert.equal(body.toString('latin1', 43, 43 + body[42]!), 'AOM Coding');
    assert.deepEqual([body.readUInt16BE(74), body.readInt16BE(76)], [0x18, -1]);
    const [configType, config] = read(body, VISUAL_FIELDS);
    assert.equal(configType, 'av1C');
    assert.deepEqual(config, record, 'a plain box: no version or flags before the record');
  });

  test('vp09: vpcC is a FullBox version 1, flags 0, whether the record comes with them (FLV) or not', () => {
    const record = hex('00 1f 82 02 02 01 0000');
    for (const given of [Buffer.concat([hex('01000000'), record]), record]) {
      const [type, body] = read(vp09SampleEntry(given, 640, 360));
      assert.equal(type, 'vp09');
      assert.equal(body.toString('latin1', 43, 43 + body[42]!), 'VPC Coding');
      const [configType, config] = read(body, VISUAL_FIELDS);
      assert.equal(configType, 'vpcC');
      assert.deepEqual(config, Buffer.concat([hex('01000000'), record]));
    }
    assert.throws(() => vp09SampleEntry(hex('0102'), 640, 360), /VPCodecConfigurationRecord of 2 bytes, expected at least 8/);
  });

  test('mp4a: stereo 48 kHz, and an esds whose DecoderSpecificInfo is the AudioSpecificConfig', () => {
    const asc = hex('1190');
    const [type, body] = read(mp4aSampleEntry(asc, 2, 48000, 2, 128000));
    assert.equal(type, 'mp4a');
    assert.equal(body.readUInt16BE(6), 1);
    assert.deepEqual([body.readUInt16BE(16), body.readUInt16BE(18)], [2, 16], 'channelcount, samplesize');
    assert.equal(body.readUInt32BE(24), 48000 * 0x10000, 'samplerate 16.16');
    const [esdsType, esds] = read(body, 28);
    assert.equal(esdsType, 'esds');
    assert.deepEqual(
      esds,
      hex(
        '00000000' + // FullBox v0
          '03 19 0002 00' + // ES_Descriptor: 25 bytes, ES_ID 2, no flags
          '04 11 40 15 000000 0001f400 0001f400' + // DecoderConfigDescriptor: MPEG-4 audio, AudioStream, 128 kb/s
          '05 02 1190' + // DecoderSpecificInfo: the AudioSpecificConfig
          '06 01 02', // SLConfigDescriptor: predefined 2
      ),
    );
  });
});
