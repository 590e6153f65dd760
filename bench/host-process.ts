// Pieces the benches share for measuring a real host: the compiled `castbridge --headless` in its own
// process, its CPU and memory read from /proc (so other work on the machine does not count), the REST calls
// that drive it, and the noisy camera picture Chromium publishes.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compiledCli, ROOT } from './cli-entries.js';
import { nodeFlagsOf } from '../bin/node-flags.js';

const FFMPEG = '/usr/bin/ffmpeg';
const CLOCK_TICKS = 100; // USER_HZ on Linux

/**
 * A noisy testsrc2 y4m for Chromium's fake camera (noise defeats the encoder's easy wins, as a real camera
 * does), made once per size and kept in the temp folder.
 */
export async function noisyY4m(video: { width: number; height: number; fps: number; seconds: number }): Promise<string> {
  const file = join(tmpdir(), `castbridge-bench-testsrc2-noise-${video.width}x${video.height}p${video.fps}-${video.seconds}s.y4m`);
  if (existsSync(file) && statSync(file).size > 0) return file;
  const partial = `${file}.partial.y4m`;
  const source = `testsrc2=size=${video.width}x${video.height}:rate=${video.fps},noise=alls=12:allf=t`;
  const child = spawn(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', source, '-t', String(video.seconds), '-pix_fmt', 'yuv420p', partial], {
    stdio: 'ignore',
  });
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`ffmpeg could not make ${partial} (exit ${code})`);
  renameSync(partial, file);
  return file;
}

/** CPU ticks (user+sys) and RSS of a process from /proc. */
export function procStat(pid: number, path = `/proc/${pid}/stat`): { ticks: number; rssMb: number; ppid: number; comm: string } | undefined {
  try {
    const stat = readFileSync(path, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' '); // fields[0] is field 3 (state)
    const rssPages = Number(fields[21]);
    return { ticks: Number(fields[11]) + Number(fields[12]), rssMb: (rssPages * 4096) / 1e6, ppid: Number(fields[1]), comm };
  } catch {
    return undefined;
  }
}

/** `root` and all its descendants. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const s = procStat(Number(d));
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), Number(d)]);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

export interface HostLoad {
  /** The host process, % of one core. */
  hostPercent: number;
  /** The processes it started (the AAC encoders), % of one core. */
  childPercent: number;
  children: number;
  /** RSS of the host and its children together. */
  rssMb: number;
  hostRssMb: number;
}

/** A process's CPU % (user+sys; it and its children apart) over `seconds`, and RSS of the tree at the end. */
export async function measureHost(pid: number, seconds: number): Promise<HostLoad> {
  const before = new Map(processTree(pid).map((p) => [p, procStat(p)?.ticks ?? 0]));
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const wallMs = performance.now() - t0;
  const tree = processTree(pid);
  const percent = (ticks: number): number => ((ticks / CLOCK_TICKS) * 1000 * 100) / wallMs;
  let childTicks = 0;
  let rssMb = 0;
  for (const p of tree) {
    const s = procStat(p);
    if (!s) continue;
    rssMb += s.rssMb;
    if (p !== pid) childTicks += s.ticks - (before.get(p) ?? 0);
  }
  const host = procStat(pid);
  if (!host) throw new Error('the process exited during the measurement');
  return { hostPercent: percent(host.ticks - (before.get(pid) ?? 0)), childPercent: percent(childTicks), children: tree.length - 1, rssMb, hostRssMb: host.rssMb };
}

export interface BenchHost {
  child: ChildProcess;
  /** The studio's http:// origin. */
  base: string;
  /** SIGTERM, SIGKILL after 10 s; resolves once it exited. */
  stop(): Promise<void>;
}

/**
 * Starts `castbridge --headless` (compiled, bin/castbridge.js) on free ports; resolves once it prints its
 * studio URL. `nodeArgs` go to node (e.g. a CPU profile); `cli` is another checkout's bin/castbridge.js (the
 * goals bench's "before").
 */
export async function startHost(dataDir: string, nodeArgs: string[] = [], cli?: string): Promise<BenchHost> {
  const ports = ['rest_http_port=0', 'rest_https_port=0', 'local_rtmp_port=0', 'local_rtmp_http_port=0', 'ws_port=0', 'wss_port=0'];
  const entry = cli ?? (await compiledCli());
  // With the Node flags on the entry's `#!` line, as a shell starting it (or bin/start.js) passes them.
  const child = spawn(process.execPath, [...nodeFlagsOf(entry), ...nodeArgs, entry, '--headless', '--data-dir', dataDir, ...ports.flatMap((p) => ['--set', p])], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CASTBRIDGE_LOG: 'silent' },
  });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the host did not print its URL in 60 s:\n${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /studio: (http:\/\/[^\s/]+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`the host exited ${code}:\n${out}`)));
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return { child, base, stop };
}

export async function restPost(base: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as unknown;
}

/** The host's own view of its memory (process.memoryUsage()), in MB, and the kernel's (smaps_rollup). */
export interface HostMemory {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** smaps_rollup: anonymous memory, file-backed resident pages, and threads (each may take a malloc arena). */
  anonymous: number;
  fileBacked: number;
  threads: number;
}

/**
 * Node flags that make a bench host answer SIGUSR2 by writing process.memoryUsage() (and, when `snapshots`,
 * a heap snapshot) into `dir`: a preload given on the command line, nothing in the host's own code.
 */
export function memoryProbeFlags(dir: string, snapshots: boolean): string[] {
  // The figures are taken before the snapshot, which grows the heap and the RSS while it is written.
  const source = [
    `import { readFileSync, writeFileSync } from 'node:fs';`,
    `import { writeHeapSnapshot } from 'node:v8';`,
    `let n = 0;`,
    `process.on('SIGUSR2', () => {`,
    `  n++;`,
    `  const figures = { ...process.memoryUsage(), smaps: readFileSync('/proc/self/smaps_rollup', 'utf8'), status: readFileSync('/proc/self/status', 'utf8') };`,
    snapshots ? `  writeHeapSnapshot(${JSON.stringify(dir)} + '/probe-' + n + '.heapsnapshot');` : '',
    `  writeFileSync(${JSON.stringify(dir)} + '/probe-' + n + '.json', JSON.stringify(figures));`,
    `});`,
  ].join('\n');
  return ['--import', `data:text/javascript,${encodeURIComponent(source)}`];
}

/** Asks a host started with memoryProbeFlags for its memory; `n` counts the requests from 1. */
export async function probeMemory(pid: number, dir: string, n: number): Promise<HostMemory> {
  const file = join(dir, `probe-${n}.json`);
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 60_000;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`the host wrote no ${file} in 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 100));
  const figures = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number> & { smaps: string; status: string };
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(figures.smaps)?.[1] ?? 0) / 1000;
  const mb = (key: string): number => (figures[key] ?? 0) / 1e6;
  return {
    rss: mb('rss'),
    heapTotal: mb('heapTotal'),
    heapUsed: mb('heapUsed'),
    external: mb('external'),
    arrayBuffers: mb('arrayBuffers'),
    anonymous: kb('Anonymous'),
    fileBacked: kb('Rss') - kb('Anonymous'),
    threads: Number(/^Threads:\s+(\d+)/m.exec(figures.status)?.[1] ?? 0),
  };
}
