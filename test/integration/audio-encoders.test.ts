// Every transponder audio codec, end to end: PCM in → our encoder → FLV (flv/tags.ts + flv/file.ts) →
// ffprobe/ffmpeg (Debian's, an independent decoder) → the tone is back, at the right time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createAudioEncoder, type AudioEncoder } from '../../src-relay/transponder/audio/encoder.js';
import type { AudioCodec, AudioFrame } from '../../src-relay/media.js';
import { aacFrameBody, aacSequenceHeaderBody, g711Body, speexBody, TagType } from '../../src-relay/flv/tags.js';
import { writeFlv, type FlvTag } from '../../src-relay/flv/file.js';
import { probeStreams } from '../helpers/media.js';
import { maxAbs, residualDb, sine, toneAmplitude } from '../helpers/tone.js';

const run = promisify(execFile);
const START_MS = 5000; // the stream clock does not start at 0
const SECONDS = 3;
const SILENT_LEAD_MS = 500; // tone starts here: checks that frame times carry the encoder delay
const TONE_AMPLITUDE = 10000;

/** Speex is a speech codec: a pure tone comes back with more coloration than from AAC or G.711. */
const EXPECT: Record<AudioCodec, { name: string; rate: number; channels: number; frameMs: number; onsetToleranceMs: number; residualDb: number }> = {
  aac: { name: 'aac', rate: 48000, channels: 2, frameMs: 1024 / 48, onsetToleranceMs: 3, residualDb: -20 },
  pcma: { name: 'pcm_alaw', rate: 8000, channels: 1, frameMs: 20, onsetToleranceMs: 1, residualDb: -20 },
  pcmu: { name: 'pcm_mulaw', rate: 8000, channels: 1, frameMs: 20, onsetToleranceMs: 1, residualDb: -20 },
  speex: { name: 'speex', rate: 16000, channels: 1, frameMs: 20, onsetToleranceMs: 3, residualDb: -8 },
};

/** 48 kHz stereo: silence until SILENT_LEAD_MS, then a 1 kHz sine of phase 0 at that instant. */
function toneFrom(firstFrame: number, frames: number): Int16Array {
  const onset = SILENT_LEAD_MS * 48;
  const out = sine(1000, 48000, frames, TONE_AMPLITUDE, 2, firstFrame - onset);
  for (let f = 0; f < frames && firstFrame + f < onset; f++) out[2 * f] = out[2 * f + 1] = 0;
  return out;
}

/** Feeds `SECONDS` of 48 kHz stereo in chunks alternating 10 and 20 ms; returns every frame once ended. */
async function encode(encoder: AudioEncoder, tone: boolean): Promise<AudioFrame[]> {
  const frames: AudioFrame[] = [];
  encoder.on('frame', (f) => frames.push(f));
  const errors: Error[] = [];
  encoder.on('error', (e) => errors.push(e));
  let ms = 0;
  for (let i = 0; ms < SECONDS * 1000; i++) {
    const chunkMs = i % 2 ? 20 : 10;
    const samples = tone ? toneFrom(ms * 48, chunkMs * 48) : new Int16Array(chunkMs * 96);
    encoder.encode({ time: START_MS + ms, samples });
    ms += chunkMs;
  }
  await encoder.end();
  assert.deepEqual(errors, []);
  return frames;
}

function toFlv(encoder: AudioEncoder, frames: AudioFrame[]): Buffer {
  const base = frames[0]!.time;
  const tags: FlvTag[] = [];
  const body = (f: AudioFrame): Buffer => {
    switch (f.codec) {
      case 'aac':
        return aacFrameBody(f.data);
      case 'pcma':
      case 'pcmu':
        return g711Body(f.codec, f.data);
      case 'speex':
        return speexBody(f.data);
    }
  };
  if (encoder.codec === 'aac') {
    // AAC-LC (2), 48 kHz (index 3), stereo (2): the 2-byte form every ingest expects.
    assert.deepEqual(encoder.audioSpecificConfig, Buffer.from([0x11, 0x90]));
    tags.push({ type: TagType.audio, timestamp: 0, body: aacSequenceHeaderBody(encoder.audioSpecificConfig) });
  }
  for (const f of frames) {
    const b = body(f);
    assert.equal(b[0], encoder.flvSoundFlags, 'encoder flags agree with flv/tags.ts');
    tags.push({ type: TagType.audio, timestamp: Math.round(f.time - base), body: b });
  }
  return writeFlv(tags, { audio: true, video: false });
}

async function decodeMono(file: string, rate: number): Promise<Int16Array> {
  const { stdout } = await run('/usr/bin/ffmpeg', ['-v', 'error', '-i', file, '-ac', '1', '-ar', String(rate), '-f', 's16le', 'pipe:1'], {
    encoding: 'buffer',
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return new Int16Array(stdout.buffer, stdout.byteOffset, stdout.length >> 1);
}

describe('audio encoders → FLV → ffmpeg', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'castbridge-audio-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const codec of ['aac', 'pcma', 'pcmu', 'speex'] as const) {
    const expect = EXPECT[codec];
    test(`${codec}: 3 s of a 1 kHz tone decodes as ${expect.name} ${expect.rate} Hz, ${expect.channels} ch, on time`, { timeout: 60_000 }, async () => {
      const encoder = createAudioEncoder(codec);
      const frames = await encode(encoder, true);

      // Frame times: the first input sample of each frame on the input clock, evenly spaced.
      assert.ok(Math.abs(frames[0]!.time - (START_MS - encoder.delayMs)) < 1e-6, `first frame at ${frames[0]!.time}`);
      for (let i = 1; i < frames.length; i++) {
        assert.ok(Math.abs(frames[i]!.time - frames[i - 1]!.time - expect.frameMs) < 1e-6, `frame ${i} spacing`);
      }
      if (codec === 'pcma' || codec === 'pcmu') assert.ok(frames.every((f) => f.data.length === 160));

      const file = join(dir, `${codec}.flv`);
      writeFileSync(file, toFlv(encoder, frames));
      const probe = await probeStreams(file);
      assert.deepEqual(probe.audio, { codec: expect.name, sampleRate: expect.rate, channels: expect.channels });
      assert.ok(Math.abs(probe.durationSec - SECONDS) <= 0.1, `duration ${probe.durationSec} s`);

      const pcm = await decodeMono(file, expect.rate);
      // The decoded timeline starts at the first frame, i.e. START_MS − delayMs on the input clock.
      const sampleAt = (inputMs: number) => Math.round(((inputMs - START_MS + encoder.delayMs) * expect.rate) / 1000);
      const toneStart = sampleAt(START_MS + SILENT_LEAD_MS);
      const steady = pcm.subarray(toneStart + expect.rate / 10, sampleAt(START_MS + SECONDS * 1000) - expect.rate / 10);
      const amp = toneAmplitude(steady, expect.rate, 1000);
      assert.ok(amp > TONE_AMPLITUDE * 0.7 && amp < TONE_AMPLITUDE * 1.3, `1 kHz amplitude ${amp.toFixed(0)}`);
      for (const other of [500, 1500, 2000, 3000]) assert.ok(toneAmplitude(steady, expect.rate, other) < amp / 30, `energy at ${other} Hz`);
      assert.ok(residualDb(steady, expect.rate, 1000) < expect.residualDb, `residual ${residualDb(steady, expect.rate, 1000).toFixed(1)} dB`);

      // Onset: the tone appears where the frame times say it should (the relay's A/V sync depends on it).
      const lead = pcm.subarray(0, toneStart - Math.round((expect.onsetToleranceMs * expect.rate) / 1000));
      assert.ok(maxAbs(lead) < TONE_AMPLITUDE / 4, `tone before its time: max ${maxAbs(lead)}`);
      const onset = pcm.findIndex((v) => Math.abs(v) > TONE_AMPLITUDE / 2);
      const onsetErrorMs = ((onset - toneStart) * 1000) / expect.rate;
      assert.ok(Math.abs(onsetErrorMs) <= expect.onsetToleranceMs, `tone onset off by ${onsetErrorMs.toFixed(2)} ms`);
    });

    test(`${codec}: silence in gives valid frames that decode to silence`, { timeout: 60_000 }, async () => {
      const encoder = createAudioEncoder(codec);
      const frames = await encode(encoder, false);
      assert.ok(frames.length >= (SECONDS * 1000) / expect.frameMs, `${frames.length} frames`);
      const file = join(dir, `${codec}-silence.flv`);
      writeFileSync(file, toFlv(encoder, frames));
      const pcm = await decodeMono(file, expect.rate);
      assert.ok(pcm.length >= expect.rate * (SECONDS - 0.1), `${pcm.length} samples decoded`);
      assert.ok(maxAbs(pcm) < 100, `max |sample| ${maxAbs(pcm)} in silence`);
    });
  }

  test('a gap in the source is filled with silence so frame times stay on the input clock', async () => {
    const encoder = createAudioEncoder('pcma');
    const frames: AudioFrame[] = [];
    encoder.on('frame', (f) => frames.push(f));
    for (let ms = 0; ms < 1000; ms += 20) encoder.encode({ time: ms, samples: new Int16Array(1920) });
    for (let ms = 1100; ms < 2000; ms += 20) encoder.encode({ time: ms, samples: new Int16Array(1920) });
    encoder.encode({ time: 1990, samples: new Int16Array(1920) }); // early/overlapping: counted on, never back
    await encoder.end();
    assert.equal(frames.length, 101);
    frames.forEach((f, i) => assert.equal(f.time, i * 20));
  });

  test('an ffmpeg that dies reports an error with its stderr, not an exception', { timeout: 30_000 }, async () => {
    const encoder = createAudioEncoder('aac', { bitrate: 128_000 });
    const error = new Promise<Error>((resolve) => encoder.on('error', resolve));
    encoder.encode({ time: 0, samples: new Int16Array(1920) });
    // Simulate a crash: kill the child from outside.
    const child = (encoder as unknown as { child: { kill(sig: string): boolean } }).child;
    child.kill('SIGKILL');
    const err = await error;
    assert.match(err.message, /ffmpeg aac encoder was killed by SIGKILL/);
    encoder.close();
  });

  test('a bitrate out of range is refused naming the bound', () => {
    assert.throws(() => createAudioEncoder('aac', { bitrate: 5 }), /bitrate must be an integer 16000–512000 b\/s, got 5/);
  });
});
