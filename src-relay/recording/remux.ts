// A finished (or crash-cut) FLV recording becomes an MP4 that common players open: ffmpeg copies the
// streams (`-c copy`, no re-encode) with the index in front (`-movflags +faststart`). The MP4 is written
// under a temporary name, read back whole by ffmpeg (every packet demuxed, nothing decoded) and renamed;
// only then is the FLV deleted. A failure at any step keeps the FLV and removes the partial MP4.
// An FLV whose video is Enhanced RTMP AV1 or VP9 (which that ffmpeg cannot read from FLV) is written by the
// project's own MP4 writer (mp4/flv-to-mp4.ts) instead, with the same guarantees: before the FLV goes, the
// MP4 must read back whole in ffmpeg (which demuxes AV1 and VP9 from MP4) and its movie header must give the
// duration laid out, its size the bytes written.
import { execFile } from 'node:child_process';
import { rename, stat, unlink } from 'node:fs/promises';
import { mp4DurationMs } from './durations.js';
import { enhancedVideoFourCc, writeMp4FromFlv } from './mp4/flv-to-mp4.js';

/** A two-hour recording at 8 Mb/s is ~7 GB; copying it takes a minute or two on a slow disk. */
const REMUX_TIMEOUT_MS = 15 * 60_000;
const MAX_STDERR = 64 * 1024;

export class RemuxError extends Error {
  override name = 'RemuxError';
}

function run(ffmpeg: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(ffmpeg, ['-hide_banner', '-nostdin', '-v', 'error', ...args], { timeout: REMUX_TIMEOUT_MS, maxBuffer: MAX_STDERR }, (error, _stdout, stderr) => {
      const said = stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 500);
      if (error) reject(new RemuxError(`ffmpeg ${error.killed ? 'timed out' : `exited with ${String(error.code ?? error.signal)}`}${said ? `: ${said}` : ''}`));
      else resolve(said);
    });
  });
}

/** The MP4 path of an FLV recording: same folder and name, `.mp4`. */
export function mp4PathOf(flvPath: string): string {
  return flvPath.replace(/\.flv$/i, '') + '.mp4';
}

/**
 * Remuxes `flvPath` to the MP4 beside it and deletes the FLV once the MP4 reads back. Resolves with the MP4
 * path; rejects with a RemuxError (FLV kept) otherwise.
 */
export async function remuxToMp4(flvPath: string, ffmpeg: string): Promise<string> {
  const mp4 = mp4PathOf(flvPath);
  const part = `${mp4}.part`;
  try {
    if (await enhancedVideoFourCc(flvPath)) await writeOwnMp4(flvPath, part, ffmpeg);
    else await remuxWithFfmpeg(flvPath, part, ffmpeg);
    await rename(part, mp4);
  } catch (error) {
    await unlink(part).catch(() => undefined);
    throw error instanceof RemuxError ? error : new RemuxError((error as Error).message);
  }
  await unlink(flvPath);
  return mp4;
}

async function remuxWithFfmpeg(flvPath: string, part: string, ffmpeg: string): Promise<void> {
  await run(ffmpeg, ['-y', '-i', flvPath, '-map', '0:v?', '-map', '0:a?', '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4', part]);
  const problems = await run(ffmpeg, ['-i', part, '-map', '0', '-c', 'copy', '-f', 'null', '-']);
  if (problems) throw new RemuxError(`the MP4 does not read back cleanly: ${problems}`);
  const duration = await mp4DurationMs(part);
  if (duration === undefined) throw new RemuxError('the MP4 has no movie header');
}

async function writeOwnMp4(flvPath: string, part: string, ffmpeg: string): Promise<void> {
  const written = await writeMp4FromFlv(flvPath, part).catch((error: Error) => {
    throw new RemuxError(`the MP4 writer: ${error.message}`);
  });
  const problems = await run(ffmpeg, ['-i', part, '-map', '0', '-c', 'copy', '-f', 'null', '-']);
  if (problems) throw new RemuxError(`the MP4 does not read back cleanly: ${problems}`);
  const [duration, info] = await Promise.all([mp4DurationMs(part), stat(part)]);
  if (duration === undefined) throw new RemuxError('the MP4 has no movie header');
  if (duration !== written.durationMs) throw new RemuxError(`the MP4 reads back ${duration} ms long, ${written.durationMs} ms were written`);
  if (info.size !== written.bytes) throw new RemuxError(`the MP4 is ${info.size} bytes on disk, ${written.bytes} were written`);
}
