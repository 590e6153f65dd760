// Pushing a 60 s 1080p30 H.264/AAC FLV into nginx-rtmp as fast as it accepts: `castbridge push --no-pace`
// beside `ffmpeg -i FILE -c copy -f flv rtmp://…`, in the same run, same file, same server. CPU is the
// child's user+sys from /usr/bin/time, and the start-up cost (the same program asked for its help text) is
// shown apart, so the streaming cost can be compared on its own; the recording nginx made tells that the
// whole file arrived. `castbridge` is bin/castbridge.js (the compiled dist-main), as users run it; a third
// case runs the TypeScript sources through tsx, to show what compiling ahead saves.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNginxRtmp, type NginxRtmp } from '../test/helpers/servers.js';
import { makeTestFlv, probeStreams } from '../test/helpers/media.js';
import { compiledCli, ROOT, sourceCli } from './cli-entries.js';
import type { BenchResult } from './run.js';

const TIME = '/usr/bin/time';
const FFMPEG = '/usr/bin/ffmpeg';
const CLIP = { seconds: 60, width: 1920, height: 1080, fps: 30, gopSeconds: 2, profile: 'high', preset: 'veryfast', videoBitrate: '6M', noise: 10 } as const;
const RUN_TIMEOUT_MS = 10 * 60_000;

/** The 1080p clip, made once and kept in the OS temp dir (encoding it takes a while on small machines). */
export async function cachedClip(): Promise<string> {
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
export function timed(command: string, args: string[], dir: string): Promise<Measured> {
  const out = join(dir, `time-${Date.now()}.txt`);
  return new Promise((resolve, reject) => {
    const child = spawn(TIME, ['-f', '%U %S %e', '-o', out, command, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
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

/** Each case runs this many times; the table shows the median run (the machine is shared and noisy). */
const RUNS = Number(process.env.PUSH_BENCH_RUNS ?? 3);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Case {
  tool: string;
  /** Runs one push to the stream name given. */
  push: (name: string) => Promise<Measured>;
  /** The same program doing nothing but starting and exiting. */
  startUp: () => Promise<Measured>;
}

async function row(c: Case, nginx: NginxRtmp, sizeBytes: number): Promise<string[]> {
  const pushes: Measured[] = [];
  const startUps: Measured[] = [];
  let receivedS = Infinity;
  for (let i = 0; i < RUNS; i++) {
    startUps.push(await c.startUp());
    pushes.push(await c.push(`bench_${c.tool.replace(/\W+/g, '_')}_${i}`));
    const recording = await nginx.waitForRecording(60_000);
    receivedS = Math.min(receivedS, (await probeStreams(recording)).durationSec);
  }
  const cpu = median(pushes.map((m) => m.cpuS));
  const startUp = median(startUps.map((m) => m.cpuS));
  const wall = median(pushes.map((m) => m.wallS));
  return [c.tool, cpu.toFixed(2), startUp.toFixed(2), Math.max(0, cpu - startUp).toFixed(2), wall.toFixed(2), (sizeBytes / 1e6 / Math.max(wall, 0.01)).toFixed(1), receivedS.toFixed(1)];
}

export default async function pushBench(): Promise<BenchResult> {
  const clip = await cachedClip();
  const size = statSync(clip).size;
  const dir = mkdtempSync(join(tmpdir(), 'castbridge-bench-push-'));
  const nginx = await startNginxRtmp();
  try {
    const castbridge = (tool: string, nodeArgs: string[]): Case => ({
      tool,
      push: (name) => timed(process.execPath, [...nodeArgs, 'push', clip, nginx.url(), '--stream-name', name, '--no-pace'], dir),
      startUp: () => timed(process.execPath, [...nodeArgs, '--help'], dir),
    });
    const cases: Case[] = [
      castbridge('castbridge push --no-pace', [await compiledCli()]),
      castbridge('same, from the .ts sources through tsx', sourceCli(dir)),
      {
        tool: 'ffmpeg -c copy -f flv',
        push: (name) => timed(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-i', clip, '-c', 'copy', '-f', 'flv', `${nginx.url()}/${name}`], dir),
        startUp: () => timed(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-version'], dir),
      },
    ];
    const rows: string[][] = [];
    for (const c of cases) rows.push(await row(c, nginx, size));
    return {
      title: [
        `push ${CLIP.seconds} s ${CLIP.width}x${CLIP.height}p${CLIP.fps} H.264 ${CLIP.videoBitrate} + AAC (${(size / 1e6).toFixed(1)} MB) into nginx-rtmp on loopback, unpaced;`,
        `median of ${RUNS} runs each. CPU = the child's user+sys; start-up = the same program run with --help / -version;`,
        'streaming = CPU − start-up.',
      ].join('\n'),
      columns: ['tool', 'CPU s', 'start-up s', 'streaming s', 'wall s', 'MB/s', 'received s'],
      rows,
    };
  } finally {
    await nginx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
