// Pushing a 60 s 1080p30 H.264/AAC FLV into nginx-rtmp as fast as it accepts: `castbridge push --no-pace`
// beside `ffmpeg -i FILE -c copy -f flv rtmp://…`, in the same run. CPU is the child's user+sys from
// /usr/bin/time; the recording nginx made tells that the whole file arrived.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNginxRtmp, type NginxRtmp } from '../test/helpers/servers.js';
import { makeTestFlv, probeStreams } from '../test/helpers/media.js';
import type { BenchResult } from './run.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CASTBRIDGE = join(ROOT, 'bin', 'castbridge.js');
const TIME = '/usr/bin/time';
const FFMPEG = '/usr/bin/ffmpeg';
const CLIP = { seconds: 60, width: 1920, height: 1080, fps: 30, gopSeconds: 2, profile: 'high', preset: 'veryfast', videoBitrate: '6M', noise: 10 } as const;
const RUN_TIMEOUT_MS = 10 * 60_000;

/** The 1080p clip, made once and kept in the OS temp dir (encoding it takes a while on small machines). */
async function cachedClip(): Promise<string> {
  const file = join(tmpdir(), `castbridge-bench-${CLIP.width}x${CLIP.height}p${CLIP.fps}-${CLIP.seconds}s-${CLIP.videoBitrate}-noise${CLIP.noise}-${CLIP.preset}.flv`);
  if (existsSync(file) && statSync(file).size > 0) return file;
  const partial = `${file}.partial.flv`;
  process.stderr.write(`bench push: encoding ${CLIP.seconds} s of ${CLIP.width}x${CLIP.height}p${CLIP.fps} into ${file} (once)…\n`);
  await makeTestFlv(partial, CLIP);
  renameSync(partial, file);
  return file;
}

interface Measured {
  cpuS: number;
  wallS: number;
}

/** Runs a command under /usr/bin/time; rejects with its stderr when it fails. */
function timed(command: string, args: string[], dir: string): Promise<Measured> {
  const out = join(dir, `time-${Date.now()}.txt`);
  return new Promise((resolve, reject) => {
    const child = spawn(TIME, ['-f', '%U %S %e', '-o', out, command, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${command} exited ${code}:\n${stderr}`));
      const [user, sys, wall] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      resolve({ cpuS: user! + sys!, wallS: wall! });
    });
  });
}

async function row(tool: string, nginx: NginxRtmp, sizeBytes: number, run: () => Promise<Measured>): Promise<string[]> {
  const measured = await run();
  const recording = await nginx.waitForRecording(60_000);
  const received = await probeStreams(recording);
  return [
    tool,
    measured.cpuS.toFixed(2),
    measured.wallS.toFixed(2),
    (sizeBytes / 1e6 / Math.max(measured.wallS, 0.01)).toFixed(1),
    received.durationSec.toFixed(1),
  ];
}

export default async function pushBench(): Promise<BenchResult> {
  const clip = await cachedClip();
  const size = statSync(clip).size;
  const dir = mkdtempSync(join(tmpdir(), 'castbridge-bench-push-'));
  const nginx = await startNginxRtmp();
  try {
    const rows = [
      await row('castbridge push --no-pace', nginx, size, () => timed(process.execPath, [CASTBRIDGE, 'push', clip, nginx.url(), '--stream-name', 'bench', '--no-pace'], dir)),
      await row('ffmpeg -c copy -f flv', nginx, size, () =>
        timed(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-i', clip, '-c', 'copy', '-f', 'flv', `${nginx.url()}/ffmpeg_bench`], dir),
      ),
    ];
    return {
      title: `push ${CLIP.seconds} s ${CLIP.width}x${CLIP.height}p${CLIP.fps} H.264 ${CLIP.videoBitrate} + AAC (${(size / 1e6).toFixed(1)} MB) into nginx-rtmp on loopback`,
      columns: ['tool', 'CPU s (user+sys)', 'wall s', 'MB/s', 'received s'],
      rows,
    };
  } finally {
    await nginx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
