// Start-up cost of the `castbridge` command: CPU (user+sys) of `castbridge --headless` from exec until it
// prints the studio URL (its servers are listening then), read from /proc/<pid>/stat at that moment, and of
// `castbridge push --help` from exec to exit (/usr/bin/time). Each as users run it (bin/castbridge.js, the
// compiled dist-main) and from the TypeScript sources through tsx, in the same run. Linux only (/proc).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compiledCli, ROOT, sourceCli } from './cli-entries.js';
import type { BenchResult } from './run.js';

const RUNS = Number(process.env.STARTUP_BENCH_RUNS ?? 5);
const TIMEOUT_MS = 120_000;
/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;
const PORTS = ['rest_http_port=0', 'rest_https_port=0', 'local_rtmp_port=0', 'local_rtmp_http_port=0', 'ws_port=0', 'wss_port=0'];
const GOAL_HOST_CPU_S = 0.5;

interface Measured {
  cpuS: number;
  wallS: number;
}

function cpuOf(pid: number): number {
  // Fields after "(comm)": state is the 3rd field of the whole line, utime the 14th and stime the 15th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
}

/** Starts the host, takes its CPU when the studio URL is printed, then stops it (SIGTERM) and waits. */
function hostStart(nodeArgs: string[], dataDir: string): Promise<Measured> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [...nodeArgs, '--headless', '--data-dir', dataDir, ...PORTS.flatMap((p) => ['--set', p])], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CASTBRIDGE_LOG: 'silent' },
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    let measured: Measured | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (measured || !/studio: http/.test(stdout)) return;
      measured = { cpuS: cpuOf(child.pid!), wallS: Number(process.hrtime.bigint() - started) / 1e9 };
      child.kill('SIGTERM');
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (measured) resolve(measured);
      else reject(new Error(`the host exited ${code} before printing its URL:\n${stdout}${stderr}`));
    });
  });
}

/** Runs to exit under /usr/bin/time. */
function timedRun(nodeArgs: string[], dir: string): Promise<Measured> {
  const out = join(dir, `time-${process.hrtime.bigint()}.txt`);
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%U %S %e', '-o', out, process.execPath, ...nodeArgs], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`exited ${code}:\n${stderr}`));
      const [user, sys, wall] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      resolve({ cpuS: user! + sys!, wallS: wall! });
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Case {
  name: string;
  run: () => Promise<Measured>;
}

/** Runs the cases in turn, RUNS rounds, so that load from other work on the machine falls on all alike. */
async function measureAll(cases: Case[]): Promise<Measured[][]> {
  const runs: Measured[][] = cases.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    for (const [n, c] of cases.entries()) runs[n]!.push(await c.run());
  }
  return runs;
}

export default async function startupBench(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'castbridge-bench-startup-'));
  try {
    const compiled = [await compiledCli()];
    const source = sourceCli(dir);
    const keptData = join(dir, 'data');
    await hostStart(compiled, keptData); // the data folder and its TLS certificate, made once
    let fresh = 0;
    const cases: Case[] = [
      { name: 'castbridge --headless exec → listening', run: () => hostStart(compiled, keptData) },
      { name: '  same, first start (new data folder, makes its TLS certificate)', run: () => hostStart(compiled, join(dir, `fresh-${fresh++}`)) },
      { name: '  same, from the .ts sources through tsx', run: () => hostStart(source, keptData) },
      { name: 'castbridge push --help', run: () => timedRun([...compiled, 'push', '--help'], dir) },
      { name: '  same, from the .ts sources through tsx', run: () => timedRun([...source, 'push', '--help'], dir) },
      { name: 'node -e 0 (Node itself)', run: () => timedRun(['-e', '0'], dir) },
    ];
    const runs = await measureAll(cases);
    const rows = cases.map((c, n) => {
      const cpu = runs[n]!.map((m) => m.cpuS);
      const wall = median(runs[n]!.map((m) => m.wallS));
      const goal = n === 0 ? `< ${GOAL_HOST_CPU_S}: ${median(cpu) < GOAL_HOST_CPU_S ? 'met' : `×${(median(cpu) / GOAL_HOST_CPU_S).toFixed(1)}`}` : '';
      return [c.name, median(cpu).toFixed(2), `${Math.min(...cpu).toFixed(2)}–${Math.max(...cpu).toFixed(2)}`, wall.toFixed(2), goal];
    });
    return {
      title: [
        `castbridge start-up, median of ${RUNS} rounds (the cases take turns). CPU = user+sys of the process from exec`,
        'until the studio URL is printed (--headless, read from /proc/<pid>/stat) or until exit (push --help, /usr/bin/time).',
        'bin/castbridge.js runs the compiled dist-main (scripts/build-main.js); "through tsx" compiles the sources at start.',
      ].join('\n'),
      columns: ['case', 'CPU s', 'min–max', 'wall s', 'goal'],
      rows,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
