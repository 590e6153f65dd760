import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PcmClock } from '../../../src-relay/transponder/audio/encoder-base.js';
import { encoderOutputReader } from '../../../src-relay/transponder/audio/ffmpeg-encoder.js';
import { FlvFormatError } from '../../../src-relay/flv/file.js';
import { SOUND_FLAGS, TagType } from '../../../src-relay/flv/tags.js';
import { createAudioEncoder } from '../../../src-relay/transponder/audio/encoder.js';
import { decodeAlaw } from '../../../src-relay/codec/audio/g711.js';
import type { AudioFrame } from '../../../src-relay/media.js';
import { sine, toneAmplitude } from '../../helpers/tone.js';

function flvTag(type: number, timestamp: number, body: Buffer): Buffer {
  const header = Buffer.alloc(11);
  header[0] = type;
  header.writeUIntBE(body.length, 1, 3);
  header.writeUIntBE(timestamp & 0xffffff, 4, 3);
  const prev = Buffer.alloc(4);
  prev.writeUInt32BE(11 + body.length);
  return Buffer.concat([header, body, prev]);
}
const FLV_HEADER = Buffer.from('464c5601040000000900000000', 'hex');

describe('FLV sound flags (FLV spec E.4.2.1)', () => {
  test('match what RTMP servers expect for each codec', () => {
    assert.deepEqual(SOUND_FLAGS, { aac: 0xaf, pcma: 0x72, pcmu: 0x82, speex: 0xb2 });
  });
});

describe('The encoder output reader (ffmpeg stdout)', () => {
  const stream = Buffer.concat([
    FLV_HEADER,
    flvTag(18, 0, Buffer.from('02000a6f6e4d65746144617461', 'hex')),
    flvTag(8, 0, Buffer.from([0xaf, 0x00, 0x11, 0x90])),
    flvTag(8, 21, Buffer.from([0xaf, 0x01, 0xde, 0xad])),
  ]);

  test('yields audio tag bodies only, whatever the read sizes', () => {
    for (const step of [1, 3, 16, stream.length]) {
      const reader = encoderOutputReader();
      const bodies: Buffer[] = [];
      for (let i = 0; i < stream.length; i += step) {
        for (const tag of reader.push(stream.subarray(i, i + step))) if (tag.type === TagType.audio) bodies.push(tag.body);
      }
      assert.deepEqual(bodies.map((b) => b.toString('hex')), ['af001190', 'af01dead'], `step ${step}`);
    }
  });

  test('refuses output that is not FLV, or a tag too large to be audio', () => {
    assert.throws(
      () => encoderOutputReader().push(Buffer.from('not an flv stream')),
      (err: unknown) => err instanceof FlvFormatError && /not an FLV file: signature "not"/.test(err.message),
    );
    const huge = Buffer.concat([FLV_HEADER, Buffer.from([8, 0x7f, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0])]);
    assert.throws(
      () => encoderOutputReader().push(huge),
      (err: unknown) => err instanceof FlvFormatError && /FLV tag at byte 13 has DataSize 8388607, over the 1048576 bytes/.test(err.message),
    );
  });
});

describe('PcmClock', () => {
  test('counts samples from the first chunk, fills gaps, never goes back', () => {
    const clock = new PcmClock();
    assert.equal(clock.gapBefore(1000), 0);
    clock.advance(960);
    assert.equal(clock.timeAt(960), 1020);
    assert.equal(clock.gapBefore(1023), 0, 'jitter under 5 ms is not a gap');
    assert.equal(clock.gapBefore(1120), 4800, '100 ms gap → 4800 frames of silence');
    assert.equal(clock.gapBefore(900), 0, 'an early chunk just continues the count');
  });
});

describe('G.711 encoder (no ffmpeg)', () => {
  test('1 kHz at 48 kHz stereo becomes 160-byte A-law frames at 8 kHz carrying the tone', async () => {
    const encoder = createAudioEncoder('pcma');
    const frames: AudioFrame[] = [];
    encoder.on('frame', (f) => frames.push(f));
    for (let i = 0; i < 50; i++) encoder.encode({ time: 100 + i * 20, samples: sine(1000, 48000, 960, 16000, 2, i * 960) });
    await encoder.end();
    assert.equal(frames.length, 50);
    assert.deepEqual(frames.slice(0, 3).map((f) => f.time), [100, 120, 140]);
    const pcm = decodeAlaw(Buffer.concat(frames.map((f) => f.data)));
    assert.ok(Math.abs(toneAmplitude(pcm.subarray(800, 7200), 8000, 1000) - 16000) < 800);
    encoder.encode({ time: 2000, samples: new Int16Array(1920) });
    assert.equal(frames.length, 50, 'nothing after end()');
  });

  test('no ffmpeg to run is an error event naming the cause, not an exception', async () => {
    const saved = process.env.CASTBRIDGE_FFMPEG;
    process.env.CASTBRIDGE_FFMPEG = '/nonexistent/ffmpeg';
    try {
      const encoder = createAudioEncoder('aac');
      const error = await new Promise<Error>((resolve) => encoder.on('error', resolve));
      assert.match(error.message, /ffmpeg aac encoder cannot start: CASTBRIDGE_FFMPEG=\/nonexistent\/ffmpeg is not a working ffmpeg/);
      encoder.encode({ time: 0, samples: new Int16Array(1920) });
      await encoder.end();
    } finally {
      if (saved === undefined) delete process.env.CASTBRIDGE_FFMPEG;
      else process.env.CASTBRIDGE_FFMPEG = saved;
    }
  });

  test('an unknown codec is refused naming it', () => {
    assert.throws(() => createAudioEncoder('mp3' as never), /audio codec must be one of aac, pcma, pcmu, speex, got mp3/);
  });
});
