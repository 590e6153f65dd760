import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildAvcDecoderConfigurationRecord,
  h264Params,
  parseAvcDecoderConfigurationRecord,
  parseSps,
  removeEmulationPrevention,
  splitAnnexB,
  splitLengthPrefixed,
} from '../../../src-relay/codec/h264.js';

// Parameter sets taken from files encoded by ffmpeg 5.1 / libx264 (testsrc, -bsf h264_mp4toannexb).
const SPS = {
  baseline640x360: '6742c01fd900a02ff970110000030001000003003c0f183248', // -profile baseline -level 3.1
  main1280x720: '674d401feca02802dd8088000003000800000301e078c18cb0',
  high1920x1080: '67640028acd940780227e5c044000003000400000300f03c60c658', // 1088 coded, cropped to 1080
  high444_640x360: '67f4001e919b281405ff1380880000030008000003019078b16cb0', // chroma_format_idc 3, 25 fps
};
const hex = (s: string): Buffer => Buffer.from(s, 'hex');

/** Writes bits and exp-Golomb codes, to build SPSes no encoder at hand produces. */
class BitWriter {
  private bits: number[] = [];
  u(n: number, v: number): this {
    for (let i = n - 1; i >= 0; i--) this.bits.push(Math.floor(v / 2 ** i) % 2);
    return this;
  }
  ue(v: number): this {
    const len = Math.floor(Math.log2(v + 1));
    return this.u(len, 0).u(len + 1, v + 1);
  }
  se(v: number): this {
    return this.ue(v > 0 ? 2 * v - 1 : -2 * v);
  }
  bytes(): Buffer {
    const bits = [...this.bits, 1]; // rbsp_stop_one_bit
    while (bits.length % 8) bits.push(0);
    const out = Buffer.alloc(bits.length / 8);
    bits.forEach((b, i) => (out[i >> 3] |= b << (7 - (i & 7))));
    return out;
  }
}

describe('H.264 SPS', () => {
  test('Constrained Baseline 42c01f from x264 is 640x360 at 30 fps', () => {
    const sps = parseSps(hex(SPS.baseline640x360));
    assert.deepEqual([sps.profile, sps.compatibility, sps.level], [66, 0xc0, 31]);
    assert.deepEqual([sps.width, sps.height, sps.fps], [640, 360, 30]);
    assert.equal(sps.chromaFormatIdc, 1);
  });

  test('Main profile 1280x720', () => {
    const sps = parseSps(hex(SPS.main1280x720));
    assert.deepEqual([sps.profile, sps.width, sps.height], [77, 1280, 720]);
  });

  test('High profile 1920x1080 applies frame cropping of the 1088-line coded picture', () => {
    const sps = parseSps(hex(SPS.high1920x1080));
    assert.deepEqual([sps.profile, sps.level, sps.width, sps.height, sps.fps], [100, 40, 1920, 1080, 30]);
  });

  test('High 4:4:4 reads chroma_format_idc 3 and crops in luma units', () => {
    const sps = parseSps(hex(SPS.high444_640x360));
    assert.deepEqual([sps.profile, sps.chromaFormatIdc, sps.width, sps.height, sps.fps], [244, 3, 640, 360, 25]);
  });

  test('a seq_scaling_matrix is skipped so the size after it is right', () => {
    const w = new BitWriter().u(8, 0x67).u(8, 100).u(8, 0).u(8, 40).ue(0); // header, High, level 4.0, sps id 0
    w.ue(1).ue(0).ue(0).u(1, 0); // 4:2:0, 8-bit, 8-bit, no bypass
    w.u(1, 1); // seq_scaling_matrix_present_flag
    for (let i = 0; i < 8; i++) {
      w.u(1, i % 2); // every other list present
      if (i % 2) for (let j = 0; j < (i < 6 ? 16 : 64); j++) w.se(j === 0 ? 3 : j % 3 === 0 ? -1 : 1);
    }
    w.ue(0).ue(0).ue(4).ue(1).u(1, 0); // log2_max_frame_num, poc type 0, lsb, 1 ref, no gaps
    w.ue(79).ue(44).u(1, 1).u(1, 1); // 80x45 MBs, frame_mbs_only, direct_8x8
    w.u(1, 0).u(1, 0); // no cropping, no VUI
    const sps = parseSps(w.bytes());
    assert.deepEqual([sps.width, sps.height, sps.fps], [1280, 720, undefined]);
  });

  test('interlaced (field) coding doubles map units and crop units', () => {
    const w = new BitWriter().u(8, 0x67).u(8, 77).u(8, 0).u(8, 30).ue(0);
    w.ue(0).ue(2).ue(1).u(1, 0); // poc type 2
    w.ue(119).ue(33).u(1, 0).u(1, 1).u(1, 1); // 120 MBs wide, 34 map units, fields, mbaff, direct_8x8
    w.u(1, 1).ue(0).ue(0).ue(0).ue(2).u(1, 0); // crop bottom 2 → 2*2*2 = 8 lines
    const sps = parseSps(w.bytes());
    assert.deepEqual([sps.width, sps.height, sps.frameMbsOnly], [1920, 1080, false]);
  });

  test('a truncated SPS fails with a message saying how many bits were missing', () => {
    assert.throws(() => parseSps(hex(SPS.main1280x720).subarray(0, 6)), /SPS truncated: need \d+ bits/);
    assert.throws(() => parseSps(hex('68ebe3cb20')), /NAL type 8 is not an SPS/);
  });

  test('h264Params carries the SPS bytes and picture size', () => {
    const params = h264Params(hex(SPS.baseline640x360), hex('68cb83cb20'));
    assert.deepEqual([params.width, params.height, params.profile, params.compatibility, params.level], [640, 360, 66, 0xc0, 31]);
  });
});

describe('H.264 byte streams', () => {
  test('emulation prevention bytes are removed (00 00 03 → 00 00)', () => {
    assert.deepEqual(removeEmulationPrevention(hex('0000030100000302')), hex('000001000002'));
    assert.deepEqual(removeEmulationPrevention(hex('00000003')), hex('000000'));
  });

  test('Annex B splits on 3- and 4-byte start codes and drops trailing zeros', () => {
    const nalus = splitAnnexB(hex('00000001670102000000016801000001650a0b0000'));
    assert.deepEqual(nalus.map((n) => n.toString('hex')), ['670102', '6801', '650a0b']);
  });

  test('AVCDecoderConfigurationRecord round trip', () => {
    const sps = hex(SPS.high1920x1080);
    const pps = hex('68ebe3cb22c0');
    const record = buildAvcDecoderConfigurationRecord(sps, pps);
    assert.deepEqual(record.subarray(0, 6), hex('0164002 8ffe1'.replace(' ', '')));
    const parsed = parseAvcDecoderConfigurationRecord(record);
    assert.deepEqual([parsed.profile, parsed.level, parsed.lengthSize], [100, 40, 4]);
    assert.deepEqual(parsed.sps, [sps]);
    assert.deepEqual(parsed.pps, [pps]);
  });

  test('a record whose SPS length runs past its end is rejected', () => {
    assert.throws(() => parseAvcDecoderConfigurationRecord(hex('0142c01fffe100ff6742')), /SPS 0 length 255 exceeds the record/);
    assert.throws(() => parseAvcDecoderConfigurationRecord(hex('02')), /expected at least 7/);
  });

  test('length-prefixed NAL units split, and a lying length is an error', () => {
    assert.deepEqual(splitLengthPrefixed(hex('0000000265010000000141'), 4).map((b) => b.toString('hex')), ['6501', '41']);
    assert.throws(() => splitLengthPrefixed(hex('0000000965'), 4), /NAL length 9 exceeds buffer/);
  });
});
