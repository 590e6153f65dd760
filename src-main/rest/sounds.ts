// Sound files for injection (DESIGN.md §7): `soundFile` is a bare name inside the media folder. No
// separators, no `.`/`..`, no absolute path, and no link whose target leaves the folder. The file is
// decoded once to the mixer's 48 kHz stereo s16 (src-relay/codec/audio/wav.ts).
import { lstat, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { WavError, decodeWavTo48kStereo, decodeWavTo48kStereoAsync } from '../../src-relay/codec/audio/wav.js';
import type { Sound } from '../../src-relay/transponder-api.js';
import { PCM_CHANNELS, PCM_RATE } from '../../src-relay/media.js';
import { HttpError } from './errors.js';

/** Largest sound file we read into memory. */
export const MAX_SOUND_BYTES = 64 * 1024 * 1024;

/** Checks the name alone: what a request may ask for. Throws 400. */
export function checkSoundName(name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('..')) {
    throw new HttpError(400, `soundFile must be a file name in the media folder, got "${name.slice(0, 100)}"`);
  }
  if (/[/\\:\0]/.test(name) || /[\x00-\x1f]/.test(name)) {
    throw new HttpError(400, `soundFile must be a bare file name without path separators, got "${name.slice(0, 100)}"`);
  }
}

/** The file's real path, checked to stay inside the media folder. Throws 400 (escapes) or 404 (missing). */
export async function resolveSoundFile(mediaDir: string, name: string): Promise<string> {
  checkSoundName(name);
  const path = join(mediaDir, name);
  try {
    await lstat(path);
  } catch {
    throw new HttpError(404, `no sound file "${name}" in the media folder`);
  }
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw new HttpError(404, `sound file "${name}" is a link to nothing`);
  }
  const folder = await realpath(mediaDir);
  if (dirname(real) !== folder) throw new HttpError(400, `sound file "${name}" links outside the media folder`);
  return real;
}

/** Reads and decodes a sound: 404 missing, 400 escaping or not a WAV we can read (WavError's message). */
export async function loadSound(mediaDir: string, name: string): Promise<Sound> {
  const path = await resolveSoundFile(mediaDir, name);
  const info = await stat(path);
  if (!info.isFile()) throw new HttpError(400, `sound file "${name}" is not a regular file`);
  if (info.size > MAX_SOUND_BYTES) throw new HttpError(400, `sound file "${name}" is ${info.size} bytes, more than ${MAX_SOUND_BYTES}`);
  const bytes = await readFile(path);
  try {
    // Asynchronous: a long sound resamples in blocks, so the relay and the API keep running meanwhile.
    return { name, samples: await decodeWavTo48kStereoAsync(bytes) };
  } catch (err) {
    throw notReadable(name, err);
  }
}

export function decodeSound(name: string, bytes: Buffer): Int16Array {
  try {
    return decodeWavTo48kStereo(bytes);
  } catch (err) {
    throw notReadable(name, err);
  }
}

function notReadable(name: string, err: unknown): HttpError {
  if (err instanceof WavError) return new HttpError(400, `"${name}" is not a WAV file we can read: ${err.message}`);
  return new HttpError(400, `"${name}" is not a WAV file we can read`);
}

export function durationMs(samples: Int16Array): number {
  return Math.round((samples.length / PCM_CHANNELS / PCM_RATE) * 1000);
}
