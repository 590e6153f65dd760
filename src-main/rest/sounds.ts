// Sound files for injection (docs/DESIGN.md §7): `soundFile` is a bare name inside the media folder. No
// separators, no `.`/`..`, no absolute path, and no link whose target leaves the folder. The file is
// decoded once to the mixer's 48 kHz stereo s16 (src-relay/codec/audio/wav.ts).
import { lstat, open, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { decodeWavTo48kStereo, decodeWavTo48kStereoAsync, parseWav, PCM_CHANNELS, PCM_RATE, type Sound, WAV_LIMITS, WavError } from '../../src-relay/index.js';
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

/** As decodeSound, in one-second blocks that yield to the event loop (an upload of a long file). */
export async function decodeSoundAsync(name: string, bytes: Buffer): Promise<Int16Array> {
  try {
    return await decodeWavTo48kStereoAsync(bytes);
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

/**
 * RIFF layout the duration needs (src-relay/codec/audio/wav.ts draws the whole format):
 *   0 "RIFF" | 4 riff size | 8 "WAVE" | 12 chunks: id (4) | size (4, LE) | body | pad byte if size is odd
 */
const RIFF = { headerSize: 12, chunkHeaderSize: 8, unknownSize: 0xffffffff } as const;
/** How much of the file's start is read to find the `data` chunk (a big LIST/bext chunk fits in it). */
const WAV_HEADER_WINDOW_BYTES = 1024 * 1024;
/** Largest sample frame parseWav accepts: 8 channels × 64-bit float. */
const MAX_BLOCK_ALIGN = 8 * 8;

/** Where the `data` chunk's body starts and how long it says it is; undefined when not in `head`. */
function findDataChunk(head: Buffer): { body: number; size: number } | undefined {
  let offset = RIFF.headerSize;
  while (offset + RIFF.chunkHeaderSize <= head.length) {
    const size = head.readUInt32LE(offset + 4);
    const body = offset + RIFF.chunkHeaderSize;
    if (head.toString('latin1', offset, offset + 4) === 'data') return { body, size };
    if (size === RIFF.unknownSize) return undefined;
    offset = body + size + (size & 1);
  }
  return undefined;
}

/**
 * A WAV file's duration from its header alone, without decoding or resampling its samples: listing a
 * folder of long files must not stall the host. parseWav checks the format on the header plus one sample
 * frame; the frame count comes from the `data` size, clamped to the file as parseWav clamps it (a
 * recording cut short). Throws HttpError 400 with parseWav's reason, and for sounds longer than
 * WAV_LIMITS.maxSeconds (what loading it would refuse).
 */
export async function wavDurationMs(path: string, name: string): Promise<number> {
  const handle = await open(path, 'r');
  let head: Buffer;
  let fileSize: number;
  try {
    fileSize = (await handle.stat()).size;
    head = Buffer.alloc(Math.min(fileSize, WAV_HEADER_WINDOW_BYTES));
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  try {
    const data = head.length >= RIFF.headerSize ? findDataChunk(head) : undefined;
    if (!data) {
      parseWav(head); // refuses the head with its own reason (no samples to decode without a data chunk)
      throw new WavError(`no "data" chunk in the first ${WAV_HEADER_WINDOW_BYTES} bytes`);
    }
    const riffEnd = RIFF.chunkHeaderSize + head.readUInt32LE(4);
    const end = Math.min(fileSize, riffEnd);
    const available = Math.max(0, Math.min(data.size, end - data.body));
    const info = parseWav(head.subarray(0, Math.min(head.length, data.body + Math.min(available, MAX_BLOCK_ALIGN))));
    const blockAlign = (info.channels * info.bitsPerSample) / 8;
    const frames = Math.floor(available / blockAlign);
    const seconds = frames / info.sampleRate;
    if (seconds > WAV_LIMITS.maxSeconds) {
      throw new WavError(`the sound lasts ${seconds.toFixed(1)} s (${frames} frames at ${info.sampleRate} Hz), longer than the ${WAV_LIMITS.maxSeconds} s a sound may last`);
    }
    return Math.round(seconds * 1000);
  } catch (err) {
    throw notReadable(name, err);
  }
}
