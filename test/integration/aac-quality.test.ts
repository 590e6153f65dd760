// The AAC encoder the relay runs (createAudioEncoder('aac'): the ffmpeg findFfmpeg picks, with the relay's
// options) keeps the sound: 4 s of a 1 kHz tone then 6 s of speech-like noise, fed in 20 ms chunks as the
// mixer does, written to FLV with our own muxer and decoded by Debian's ffmpeg, an independent decoder.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createAudioEncoder } from '../../src-relay/transponder/audio/encoder.js';
import type { AudioFrame } from '../../src-relay/media.js';
import { aacFrameBody, aacSequenceHeaderBody, TagType } from '../../src-relay/flv/tags.js';
import { writeFlv, type FlvTag } from '../../src-relay/flv/file.js';
import { compareNoise, compareTone, findDelay, RATE, testSignal } from '../helpers/audio-quality.js';

const run = promisify(execFile);
const SECONDS = 10;
const TONE_SECONDS = 4;
const CHUNK_FRAMES = 960; // 20 ms

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'castbridge-aac-quality-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The ffmpeg the relay finds by default (the packaged one), and a distribution's when it is the one set. */
const FFMPEGS: { name: string; env: string | undefined }[] = [
  { name: 'the packaged ffmpeg', env: undefined },
  { name: 'Debian ffmpeg via CASTBRIDGE_FFMPEG', env: '/usr/bin/ffmpeg' },
];

for (const ffmpeg of FFMPEGS) {
  test(`AAC 128 kb/s, ${ffmpeg.name}: a 1 kHz tone comes back at 1000 ± 10 Hz within 1 dB, speech-like noise without new artefacts, delay as declared`, { timeout: 60_000, skip: ffmpeg.env && !existsSync(ffmpeg.env) ? `${ffmpeg.env} missing` : false }, async () => {
    const saved = process.env.CASTBRIDGE_FFMPEG;
    if (ffmpeg.env) process.env.CASTBRIDGE_FFMPEG = ffmpeg.env;
    else delete process.env.CASTBRIDGE_FFMPEG;
    try {
      await checkQuality();
    } finally {
      if (saved === undefined) delete process.env.CASTBRIDGE_FFMPEG;
      else process.env.CASTBRIDGE_FFMPEG = saved;
    }
  });
}

async function checkQuality(): Promise<void> {
  const input = testSignal(SECONDS, TONE_SECONDS);
  const encoder = createAudioEncoder('aac', { bitrate: 128_000 });
  const frames: AudioFrame[] = [];
  const errors: Error[] = [];
  encoder.on('frame', (f) => frames.push(f));
  encoder.on('error', (e) => errors.push(e));
  for (let f = 0; f < input.length / 2; f += CHUNK_FRAMES) {
    encoder.encode({ time: (f * 1000) / RATE, samples: input.slice(2 * f, 2 * (f + CHUNK_FRAMES)) });
  }
  await encoder.end();
  assert.deepEqual(errors, []);
  assert.ok(encoder.audioSpecificConfig, 'sequence header');

  const tags: FlvTag[] = [{ type: TagType.audio, timestamp: 0, body: aacSequenceHeaderBody(encoder.audioSpecificConfig) }];
  for (const f of frames) tags.push({ type: TagType.audio, timestamp: Math.max(0, Math.round(f.time)), body: aacFrameBody(f.data) });
  const file = join(dir, 'aac.flv');
  writeFileSync(file, writeFlv(tags, { audio: true, video: false }));
  const { stdout } = await run('/usr/bin/ffmpeg', ['-v', 'error', '-i', file, '-f', 's16le', '-ac', '2', '-ar', String(RATE), 'pipe:1'], {
    encoding: 'buffer',
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const decoded = new Int16Array(stdout.buffer, stdout.byteOffset, stdout.length >> 1);
  assert.ok(decoded.length / 2 >= (SECONDS - 0.05) * RATE, `${decoded.length / 2} sample frames decoded`);

  // The decoded stream starts with the encoder's priming: exactly the delay its frame times account for.
  const delay = findDelay(input, decoded, (TONE_SECONDS + 1) * RATE);
  assert.equal(delay, Math.round((encoder.delayMs * RATE) / 1000), `decoded output lags the input by ${delay} samples`);

  const tone = compareTone(input, decoded, delay, RATE / 2, (TONE_SECONDS - 0.5) * RATE);
  assert.ok(Math.abs(tone.hz - 1000) <= 10, `tone at ${tone.hz.toFixed(1)} Hz`);
  assert.ok(Math.abs(tone.levelDb) <= 1, `tone level changed by ${tone.levelDb.toFixed(2)} dB`);
  // Everything that is not the tone (quantisation noise, birdies, pre-echo) stays far below it.
  assert.ok(tone.thdnDb < -35, `tone THD+N ${tone.thdnDb.toFixed(1)} dB`);

  // Speech-like noise: the band energies the listener hears stay close to the input's. The waveform SNR
  // is low by design (perceptual noise substitution replaces noisy bands), so it is only a sanity floor.
  const noise = compareNoise(input, decoded, delay, (TONE_SECONDS + 0.5) * RATE, (SECONDS - 0.5) * RATE);
  assert.ok(noise.bandErrorDb < 1.5, `third-octave band error ${noise.bandErrorDb.toFixed(2)} dB`);
  assert.ok(noise.snrDb > 6, `waveform SNR ${noise.snrDb.toFixed(1)} dB`);
}
