// WAVs written by a real tool (Debian's ffmpeg: LIST/INFO chunks, WAVE_FORMAT_EXTENSIBLE for > 2 channels or
// > 16 bits) read back by parseWav sample for sample as ffmpeg itself decodes them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseWav } from '../../../src-relay/codec/audio/wav.js';

const run = promisify(execFile);
const FFMPEG = '/usr/bin/ffmpeg';

const VARIANTS = [
  { codec: 'pcm_u8', rate: 11025, channels: 1, bits: 8, format: 'pcm', tolerance: 1 / 128 },
  { codec: 'pcm_s16le', rate: 44100, channels: 2, bits: 16, format: 'pcm', tolerance: 1e-6 },
  { codec: 'pcm_s24le', rate: 48000, channels: 6, bits: 24, format: 'pcm', tolerance: 1e-6 },
  { codec: 'pcm_s32le', rate: 32000, channels: 4, bits: 32, format: 'pcm', tolerance: 1e-6 },
  { codec: 'pcm_f32le', rate: 22050, channels: 2, bits: 32, format: 'float', tolerance: 1e-7 },
  { codec: 'pcm_f64le', rate: 8000, channels: 1, bits: 64, format: 'float', tolerance: 1e-7 },
  { codec: 'pcm_s16le', rate: 96000, channels: 8, bits: 16, format: 'pcm', tolerance: 1e-6 },
] as const;

describe('parseWav reads what ffmpeg writes', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'castbridge-wav-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const v of VARIANTS) {
    test(`${v.codec} ${v.rate} Hz ${v.channels} ch`, { timeout: 60_000 }, async () => {
      const file = join(dir, `${v.codec}-${v.channels}.wav`);
      const layout = ['', 'mono', 'stereo', '', 'quad', '', '5.1', '', '7.1'][v.channels]!;
      await run(FFMPEG, ['-v', 'error', '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${v.rate}:duration=0.2`,
        '-af', `volume=0.8,aformat=channel_layouts=${layout}`, '-metadata', 'title=castbridge test', '-c:a', v.codec, '-y', file], { timeout: 60_000 });
      const { stdout } = await run(FFMPEG, ['-v', 'error', '-i', file, '-f', 'f32le', '-c:a', 'pcm_f32le', 'pipe:1'], {
        encoding: 'buffer', timeout: 60_000, maxBuffer: 1 << 26,
      });
      const reference = new Float32Array(stdout.buffer.slice(stdout.byteOffset, stdout.byteOffset + stdout.length));
      const wav = parseWav(readFileSync(file));
      assert.deepEqual([wav.sampleRate, wav.channels, wav.bitsPerSample, wav.format], [v.rate, v.channels, v.bits, v.format]);
      assert.equal(wav.frames * v.channels, reference.length);
      for (let i = 0; i < reference.length; i++) {
        const ours = wav.channelData[i % v.channels]![Math.floor(i / v.channels)]!;
        assert.ok(Math.abs(ours - reference[i]!) <= v.tolerance, `sample ${i}: ${ours} vs ffmpeg ${reference[i]}`);
      }
    });
  }
});
