import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { buildAudioSpecificConfig, channelCount, parseAdts, parseAudioSpecificConfig } from '../../../src-relay/codec/aac.js';

describe('AAC AudioSpecificConfig', () => {
  test('AAC-LC 48 kHz stereo is 11 90, what YouTube gets from us', () => {
    assert.deepEqual(buildAudioSpecificConfig({ objectType: 2, sampleRate: 48000, channelConfig: 2 }), Buffer.from([0x11, 0x90]));
  });

  test('AAC-LC 44.1 kHz stereo is 12 10 and parses back', () => {
    assert.deepEqual(parseAudioSpecificConfig(Buffer.from([0x12, 0x10])), { objectType: 2, sampleRate: 44100, channelConfig: 2 });
    assert.equal(channelCount(2), 2);
  });

  test('an explicit 24-bit frequency (index 15) is read', () => {
    // AOT 2 | 1111 | 0x00bb80 (48000) | chan 1 → 00010 1111 000000001011101110000000 0001 000
    const asc = Buffer.from('17805dc008', 'hex');
    assert.deepEqual(parseAudioSpecificConfig(asc), { objectType: 2, sampleRate: 48000, channelConfig: 1 });
  });

  test('bad values are named', () => {
    assert.throws(() => buildAudioSpecificConfig({ objectType: 2, sampleRate: 47000, channelConfig: 2 }), /sample rate 47000 Hz is not one of/);
    assert.throws(() => parseAudioSpecificConfig(Buffer.from([0x11])), /1 bytes, expected at least 2/);
    assert.throws(() => parseAudioSpecificConfig(Buffer.from([0x16, 0x90])), /samplingFrequencyIndex 13 is reserved/);
  });
});

describe('ADTS', () => {
  // Four frames of silence from `ffmpeg -f lavfi -i anullsrc=r=48000:cl=stereo -t 0.05 -c:a aac -f adts`.
  const adts = Buffer.from(
    'fff14c8003dffcde02004c61766335392e33372e31303000422008c11838fff14c8001bffc211004608c1cfff14c8001bffc211004608c1cfff14c8001bffc211004608c1c',
    'hex',
  );

  test('ffmpeg ADTS splits into raw frames with the config of the header', () => {
    const frames = parseAdts(adts);
    assert.equal(frames.length, 4);
    assert.deepEqual(
      frames.map((f) => [f.objectType, f.sampleRate, f.channelConfig, f.raw.length]),
      [
        [2, 48000, 2, 23],
        [2, 48000, 2, 6],
        [2, 48000, 2, 6],
        [2, 48000, 2, 6],
      ],
    );
    assert.deepEqual(frames[1].raw, Buffer.from('211004608c1c', 'hex'));
  });

  test('a truncated frame or lost sync is an error that says where', () => {
    assert.throws(() => parseAdts(adts.subarray(0, adts.length - 1)), /ADTS frame length 13 at 56 exceeds buffer \(12 bytes left\)/);
    assert.throws(() => parseAdts(Buffer.concat([adts, Buffer.from('00112233445566', 'hex')])), /syncword at 69 is 0x1/);
  });
});
