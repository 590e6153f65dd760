import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FlvMuxer, StreamTagBodies } from '../../../src-relay/flv/muxer.js';
import type { FlvMediaTag } from '../../../src-relay/flv/tags.js';
import { h264Params } from '../../../src-relay/codec/h264.js';
import type { AudioFrame, H264Params, VideoFrame } from '../../../src-relay/media.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
// 640x360 Constrained Baseline 3.1 and its PPS (as tags.test.ts), and a 1280x720 Main 3.1 SPS from libx264.
const SPS_360 = hex('6742c01fd900a02ff970110000030001000003003c0f183248');
const SPS_720 = hex('674d401feca02802dd8088000003000800000301e078c18cb0');
const PPS = hex('68cb83cb20');
const PARAMS_360 = h264Params(SPS_360, PPS);
const PARAMS_720 = h264Params(SPS_720, PPS);
const ASC = hex('1190');

const idr = (dts: number, nalu = '65aabb'): VideoFrame => ({ codec: 'h264', dts, cts: 0, keyframe: true, nalus: [hex(nalu)] });
const inter = (dts: number, nalu = '419a'): VideoFrame => ({ codec: 'h264', dts, cts: 0, keyframe: false, nalus: [hex(nalu)] });
const aac = (time: number, data = '2110'): AudioFrame => ({ codec: 'aac', time, data: hex(data) });

/** A frame with the stream's SPS/PPS or the encoder's AudioSpecificConfig as the transponder passes them. */
const video = (muxer: FlvMuxer, frame: VideoFrame, params: H264Params = PARAMS_360): FlvMediaTag[] => muxer.processInput({ kind: 'video', frame, params });
const audio = (muxer: FlvMuxer, frame: AudioFrame, asc: Buffer = ASC): FlvMediaTag[] => muxer.processInput({ kind: 'audio', frame, audioSpecificConfig: asc });

/** [kind, time, body as hex] of each tag: what the target receives. */
const wire = (tags: FlvMediaTag[]): [string, number, string][] => tags.map((t) => [t.kind, t.time, t.body.toString('hex')]);

/** 17 00 000000 + AVCDecoderConfigurationRecord (version 1, profile/compat/level from the SPS, 4-byte lengths). */
const sequenceHeader = (sps: Buffer): string =>
  '1700000000' + // keyframe, AVC, sequence header, composition time 0
  `01${sps.subarray(1, 4).toString('hex')}ffe1` + // version 1, profile/compatibility/level, 4-byte lengths, one SPS
  sps.length.toString(16).padStart(4, '0') +
  sps.toString('hex') +
  `01${PPS.length.toString(16).padStart(4, '0')}${PPS.toString('hex')}`; // one PPS

describe('FLV muxer: one transponder connection', () => {
  test('the first tags are the AVC sequence header and the IDR, both at time 0', () => {
    const muxer = new FlvMuxer();
    const tags = video(muxer, idr(5000));
    assert.deepEqual(wire(tags), [
      ['video', 0, sequenceHeader(SPS_360)],
      ['video', 0, '1701000000' + '00000003' + '65aabb'],
    ]);
    assert.deepEqual(
      tags.map((t) => t.kind === 'video' && [t.keyframe, t.sequenceHeader]),
      [
        [true, true],
        [true, false],
      ],
    );
    assert.deepEqual(wire(video(muxer, inter(5033))), [['video', 33, '2701000000' + '00000002' + '419a']]);
  });

  test('P-frames before the first IDR are dropped and counted, and so is an IDR before SPS/PPS are known', () => {
    const muxer = new FlvMuxer();
    assert.deepEqual(video(muxer, inter(0)), []);
    assert.deepEqual(video(muxer, inter(33)), []);
    assert.deepEqual(muxer.processInput({ kind: 'video', frame: idr(66), params: undefined }), []);
    assert.equal(muxer.toJSON().waitingForKeyframe, true);
    const tags = video(muxer, idr(100));
    assert.deepEqual(
      wire(tags).map(([, time, body]) => [time, body.slice(0, 4)]),
      [
        [0, '1700'],
        [0, '1701'],
      ],
    );
    assert.deepEqual(muxer.toJSON(), {
      waitingForKeyframe: false,
      videoTags: 1,
      audioTags: 0,
      sequenceHeaders: 1,
      aacSequenceHeaders: 0,
      droppedVideoBeforeKeyframe: 3,
      droppedVideoCodec: 0,
      droppedAudioBeforeKeyframe: 0,
      droppedAudioWithoutConfig: 0,
    });
  });

  test('a new SPS (resolution change) emits a new sequence header just before the IDR that uses it', () => {
    const muxer = new FlvMuxer();
    video(muxer, idr(0));
    // Same SPS/PPS again (an equal copy): no header. New SPS on a P-frame: not yet.
    const equalCopy = h264Params(Buffer.from(SPS_360), Buffer.from(PPS));
    assert.deepEqual(wire(video(muxer, idr(33), equalCopy)), [['video', 33, '170100000000000003' + '65aabb']]);
    assert.deepEqual(wire(video(muxer, inter(66), PARAMS_720)), [['video', 66, '270100000000000002419a']]);
    assert.deepEqual(wire(video(muxer, idr(100, '65ccdd'), PARAMS_720)), [
      ['video', 100, sequenceHeader(SPS_720)],
      ['video', 100, '170100000000000003' + '65ccdd'],
    ]);
    assert.deepEqual(wire(video(muxer, idr(133), PARAMS_720)), [['video', 133, '170100000000000003' + '65aabb']]);
    assert.equal(muxer.toJSON().sequenceHeaders, 2);
  });

  test('the AAC sequence header goes out once per connection, before the first AAC frame', () => {
    const first = new FlvMuxer();
    video(first, idr(1000));
    // The encoder has no AudioSpecificConfig yet: nothing can be sent.
    assert.deepEqual(first.processInput({ kind: 'audio', frame: aac(1000), audioSpecificConfig: undefined }), []);
    assert.deepEqual(wire(audio(first, aac(1021))), [
      ['audio', 21, 'af001190'],
      ['audio', 21, 'af012110'],
    ]);
    assert.deepEqual(wire(audio(first, aac(1043, '2120'))), [['audio', 43, 'af012120']]);
    assert.deepEqual([first.toJSON().aacSequenceHeaders, first.toJSON().audioTags, first.toJSON().droppedAudioWithoutConfig], [1, 2, 1]);

    // A reconnection is a new connection: a new muxer, the header again.
    const second = new FlvMuxer();
    video(second, idr(9000));
    assert.deepEqual(wire(audio(second, aac(9010))), [
      ['audio', 10, 'af001190'],
      ['audio', 10, 'af012110'],
    ]);
  });

  test('G.711 and Speex have no sequence header', () => {
    const muxer = new FlvMuxer();
    video(muxer, idr(0));
    const pcma = muxer.processInput({ kind: 'audio', frame: { codec: 'pcma', time: 20, data: hex('d5d5') }, audioSpecificConfig: undefined });
    const speex = muxer.processInput({ kind: 'audio', frame: { codec: 'speex', time: 40, data: hex('1234') }, audioSpecificConfig: undefined });
    assert.deepEqual([...wire(pcma), ...wire(speex)], [
      ['audio', 20, '72d5d5'],
      ['audio', 40, 'b21234'],
    ]);
  });

  test('audio before the first keyframe is not sent, not even audio stamped before it that arrives after', () => {
    const muxer = new FlvMuxer();
    assert.deepEqual(audio(muxer, aac(900)), []);
    video(muxer, idr(1000));
    // The encoder's lag delivers a frame that starts before the keyframe only now.
    assert.deepEqual(audio(muxer, aac(979)), []);
    assert.deepEqual(
      wire(audio(muxer, aac(1000))).map(([, time]) => time),
      [0, 0],
    );
    assert.deepEqual([muxer.toJSON().droppedAudioBeforeKeyframe, muxer.lastTime('audio')], [2, 0]);
  });

  test('timestamps are monotonic per track, each track on its own', () => {
    const muxer = new FlvMuxer();
    const times = (kind: string, tags: FlvMediaTag[]): number[] => tags.filter((t) => t.kind === kind && !t.sequenceHeader).map((t) => t.time);
    const videoTimes = times('video', video(muxer, idr(2000)));
    for (const dts of [2033, 2020, 2066, 2066.4, 2099.6]) videoTimes.push(...times('video', video(muxer, inter(dts))));
    const audioTimes: number[] = [];
    for (const time of [2010, 2031, 2005, 2052]) audioTimes.push(...times('audio', audio(muxer, aac(time))));
    assert.deepEqual(videoTimes, [0, 33, 33, 66, 66, 100]);
    assert.deepEqual(audioTimes, [10, 31, 31, 52]);
    assert.deepEqual([muxer.lastTime('video'), muxer.lastTime('audio')], [100, 52]);
  });
});

describe('A stream’s frame bodies are built once for all its transponders', () => {
  test('two connections of one stream get the same body Buffer for a frame; the next frame gets its own', () => {
    const bodies = new StreamTagBodies();
    const a = new FlvMuxer(bodies);
    const b = new FlvMuxer(bodies);
    const frame = idr(0);
    const [, fromA] = video(a, frame);
    const [, fromB] = video(b, frame);
    assert.equal(fromA!.body, fromB!.body);
    const sound = aac(10);
    const [, audioA] = audio(a, sound);
    const [, audioB] = audio(b, sound);
    assert.equal(audioA!.body, audioB!.body);

    const next = inter(33);
    const [nextA] = video(a, next);
    assert.notEqual(nextA!.body, fromA!.body);
    assert.equal(nextA!.body.toString('hex'), '270100000000000002419a');
  });
});
