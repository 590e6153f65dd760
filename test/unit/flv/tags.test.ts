import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  aacFrameBody,
  aacSequenceHeaderBody,
  audioTagInfo,
  avcConfigurationRecord,
  avcEndOfSequenceBody,
  avcFrameBody,
  avcSequenceHeaderBody,
  g711Body,
  mediaTag,
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

describe('media tags of bodies read from a file', () => {
  test('a file tag carries its kind, time and the flags its first bytes say', () => {
    const seq = hex('1700000000');
    const key = hex('1701000000');
    const inter = hex('2701000000');
    assert.deepEqual(mediaTag(9, 40, seq), { kind: 'video', time: 40, body: seq, keyframe: true, sequenceHeader: true });
    assert.deepEqual(mediaTag(9, 40, key), { kind: 'video', time: 40, body: key, keyframe: true, sequenceHeader: false });
    assert.deepEqual(mediaTag(9, 80, inter), { kind: 'video', time: 80, body: inter, keyframe: false, sequenceHeader: false });
    const other = hex('1200'); // an H.263 keyframe (CodecID 2): no AVCPacketType, never a sequence header
    assert.deepEqual(mediaTag(9, 0, other), { kind: 'video', time: 0, body: other, keyframe: true, sequenceHeader: false });
  });

  test('only AAC with AACPacketType 0 is an audio sequence header', () => {
    for (const [body, sequenceHeader] of [[hex('af001190'), true], [hex('af012110'), false], [hex('7200'), false], [hex('af'), false], [hex(''), false]] as const) {
      assert.deepEqual(mediaTag(8, 20, body), { kind: 'audio', time: 20, body, sequenceHeader }, body.toString('hex'));
    }
  });

  test('script data is no media tag; an empty video body is an error that says so', () => {
    assert.equal(mediaTag(18, 0, hex('02000a6f6e4d65746144617461')), undefined);
    assert.throws(() => mediaTag(9, 0, hex('')), /video tag body is empty/);
  });
});

describe('what an audio or video body says', () => {
  test('audioTagInfo: codec, AAC sequence header and the payload after the flags (and AACPacketType)', () => {
    assert.deepEqual(audioTagInfo(hex('af001190')), { soundFormat: 10, codec: 'aac', sequenceHeader: true, payload: hex('1190') });
    assert.deepEqual(audioTagInfo(hex('af01dead')), { soundFormat: 10, codec: 'aac', sequenceHeader: false, payload: hex('dead') });
    assert.deepEqual(audioTagInfo(hex('72d5d5')), { soundFormat: 7, codec: 'pcma', sequenceHeader: false, payload: hex('d5d5') });
    assert.deepEqual(audioTagInfo(hex('82ff')), { soundFormat: 8, codec: 'pcmu', sequenceHeader: false, payload: hex('ff') });
    assert.deepEqual(audioTagInfo(hex('b21e')), { soundFormat: 11, codec: 'speex', sequenceHeader: false, payload: hex('1e') });
    assert.deepEqual(audioTagInfo(hex('2fff')), { soundFormat: 2, codec: undefined, sequenceHeader: false, payload: hex('ff') }, 'MP3: not a codec the relay sends');
    assert.equal(audioTagInfo(hex('')), undefined, 'empty');
    assert.equal(audioTagInfo(hex('af')), undefined, 'AAC without its AACPacketType');
  });

  test('avcConfigurationRecord: the record after an AVC sequence header’s 5 bytes, nothing for other bodies', () => {
    const body = avcSequenceHeaderBody(h264Params(SPS, PPS));
    assert.deepEqual(parseAvcDecoderConfigurationRecord(avcConfigurationRecord(body)!).sps, [SPS]);
    assert.equal(avcConfigurationRecord(hex('1701000000')), undefined, 'a keyframe');
    assert.equal(avcConfigurationRecord(hex('1200000000')), undefined, 'H.263 (CodecID 2)');
    assert.equal(avcConfigurationRecord(hex('17')), undefined, 'cut short');
    assert.equal(avcConfigurationRecord(hex('')), undefined, 'empty');
  });
});
