import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  aacFrameBody,
  aacSequenceHeaderBody,
  avcEndOfSequenceBody,
  avcFrameBody,
  avcSequenceHeaderBody,
  g711Body,
  onMetaData,
  speexBody,
  videoTagInfo,
} from '../../../src-relay/flv/tags.js';
import { h264Params, parseAvcDecoderConfigurationRecord } from '../../../src-relay/codec/h264.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const SPS = hex('6742c01fd900a02ff970110000030001000003003c0f183248');
const PPS = hex('68cb83cb20');

describe('FLV video tag bodies (AVC)', () => {
  test('sequence header: 17 00 000000 then the AVCDecoderConfigurationRecord', () => {
    const body = avcSequenceHeaderBody(h264Params(SPS, PPS));
    assert.deepEqual(body.subarray(0, 5), hex('1700000000'));
    assert.deepEqual(body.subarray(5, 11), hex('0142c01fffe1'));
    const record = parseAvcDecoderConfigurationRecord(body.subarray(5));
    assert.deepEqual([record.sps, record.pps], [[SPS], [PPS]]);
  });

  test('a keyframe drops AUD/SPS/PPS and length-prefixes the rest, with the composition time', () => {
    const body = avcFrameBody({ codec: 'h264', dts: 0, cts: 66, keyframe: true, nalus: [hex('09f0'), SPS, PPS, hex('0601ff'), hex('65aabb')] });
    assert.deepEqual(body, hex('1701000042' + '000000030601ff' + '0000000365aabb'));
  });

  test('an inter frame with a negative composition time is 27 01 and SI24', () => {
    const body = avcFrameBody({ codec: 'h264', dts: 40, cts: -2, keyframe: false, nalus: [hex('419a')] });
    assert.deepEqual(body, hex('2701fffffe00000002419a'));
    assert.throws(() => avcFrameBody({ codec: 'h264', dts: 0, cts: 2 ** 24, keyframe: false, nalus: [] }), /composition time 16777216 ms is outside the SI24 range/);
  });

  test('end of sequence is 17 02 000000', () => {
    assert.deepEqual(avcEndOfSequenceBody(), hex('1702000000'));
  });

  test('videoTagInfo reads keyframe and sequence header flags', () => {
    assert.deepEqual(videoTagInfo(hex('1700000000')), { keyframe: true, codecId: 7, sequenceHeader: true });
    assert.deepEqual(videoTagInfo(hex('2701000000')), { keyframe: false, codecId: 7, sequenceHeader: false });
  });
});

describe('FLV audio tag bodies', () => {
  test('AAC: AF 00 + AudioSpecificConfig, AF 01 + raw frame', () => {
    assert.deepEqual(aacSequenceHeaderBody(hex('1190')), hex('af001190'));
    assert.deepEqual(aacFrameBody(hex('2110')), hex('af012110'));
  });

  test('G.711 A-law is 72, µ-law 82 (8 kHz mono), Speex B2 (16 kHz mono)', () => {
    assert.deepEqual(g711Body('pcma', hex('d5d5')), hex('72d5d5'));
    assert.deepEqual(g711Body('pcmu', hex('ffff')), hex('82ffff'));
    assert.deepEqual(speexBody(hex('1234')), hex('b21234'));
  });
});

describe('onMetaData', () => {
  test('carries size, rate, codec ids and our encoder name', () => {
    assert.deepEqual(onMetaData({ width: 1280, height: 720, framerate: 30, audioCodec: 'aac', version: '0.1.0' }), {
      width: 1280,
      height: 720,
      videocodecid: 7,
      framerate: 30,
      audiocodecid: 10,
      audiosamplerate: 48000,
      audiosamplesize: 16,
      stereo: true,
      encoder: 'Castbridge 0.1.0',
    });
    const speex = onMetaData({ audioCodec: 'speex', version: '0.1.0' });
    assert.deepEqual([speex.audiocodecid, speex.audiosamplerate, speex.stereo, speex.width], [11, 16000, false, undefined]);
  });
});
