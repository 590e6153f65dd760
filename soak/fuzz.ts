// Fuzzing at scale, seeded and reproducible: the parsers of outside bytes (AMF0, RTMP chunk streams as a
// server sends them read at once and byte by byte, the FLV reader read at once and in pieces, WAV files,
// WHIP SDP offers) each in a process of their own with a hang watchdog, then JSON bodies to every REST
// method and SDP offers to WHIP over HTTP against a running host. Zero crashes, zero hangs, bounded memory,
// every refusal a typed error (or a 4xx with {"error"}) naming the problem.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { caseRandom, mutateSdp, PROGRESS_EVERY, sdpCorpus, TARGETS, type RunReport, type Target } from './fuzz-cases.js';
import { Host, log, mb, type Figure, type ScenarioResult } from './lib.js';

/** No progress report for this long: the case running is a hang. */
const HANG_MS = 30_000;
const SEED = 0x50a4;

interface TargetResult {
  target: string;
  cases: number;
  accepted: number;
  rejected: number;
  crashes: { index: number; error: string; inputHex: string }[];
  hangs: number[];
  maxCaseMs: number;
  slowCases: number;
  heapGrowth: number;
  maxRss: number;
  seconds: number;
}

function runSegment(target: Target, from: number, to: number): Promise<{ report?: RunReport; hangAt?: number }> {
  return new Promise((resolve) => {
    const child: ChildProcess = fork(join(import.meta.dirname, 'fuzz-cases.ts'), [target, String(SEED), String(from), String(to)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let last = from;
    let lastAt = Date.now();
    let report: RunReport | undefined;
    const timer = setInterval(() => {
      if (Date.now() - lastAt > HANG_MS) {
        clearInterval(timer);
        child.kill('SIGKILL');
        resolve({ hangAt: last });
      }
    }, 1000);
    child.on('message', (m: { progress?: number; report?: RunReport }) => {
      if (m.progress !== undefined) {
        last = m.progress;
        lastAt = Date.now();
      }
      if (m.report) report = m.report;
    });
    child.on('exit', () => {
      clearInterval(timer);
      resolve(report ? { report } : { hangAt: last });
    });
  });
}

async function fuzzParser(target: Target, cases: number): Promise<TargetResult> {
  const started = Date.now();
  const r: TargetResult = { target, cases, accepted: 0, rejected: 0, crashes: [], hangs: [], maxCaseMs: 0, slowCases: 0, heapGrowth: 0, maxRss: 0, seconds: 0 };
  let from = 0;
  while (from < cases) {
    const { report, hangAt } = await runSegment(target, from, cases);
    if (report) {
      r.accepted += report.accepted;
      r.rejected += report.rejected;
      r.crashes.push(...report.crashes);
      r.maxCaseMs = Math.max(r.maxCaseMs, report.maxCaseMs);
      r.slowCases += report.slowCases;
      r.heapGrowth = Math.max(r.heapGrowth, report.heapAfter - report.heapBefore);
      r.maxRss = Math.max(r.maxRss, report.maxRss);
      break;
    }
    // the segment from hangAt on did not finish: record it and go on after it
    r.hangs.push(hangAt!);
    from = hangAt! + PROGRESS_EVERY;
  }
  r.seconds = (Date.now() - started) / 1000;
  return r;
}

// ---- HTTP targets against a running host --------------------------------------------------------------

const METHODS = ['startup', 'find', 'find_all', 'terminate', 'mute', 'unmute', 'sound_on', 'sound_off'];
const KEYS = ['streamName', 'rtmpUrl', 'options', 'mediaSessionId', 'soundFile', 'loop', 'action', 'audioCodec', 'rtmpTransponderFullUrl', 'rtmpFlashVersion', 'noPrefix', '__proto__', 'constructor', 'prototype'];
const STRINGS = ['', 'cam', 'rtmp://127.0.0.1:1/live', 'rtmps://127.0.0.1:1/live2', 'rtmp://x.invalid/a', '../../etc/passwd', 'test.wav', 'sound_on', 'mute', 'aac', 'pcma', 'speex', '\u0000', '\ud800', 'x'.repeat(3000), 'rtmp://[::1]:1/live/?a=b', 'rtmp://u:p@127.0.0.1:1/a/b/c'];
const SEED_BODIES = [
  { streamName: 'cam', rtmpUrl: 'rtmp://127.0.0.1:1/live' },
  { streamName: 'cam', rtmpUrl: 'rtmp://127.0.0.1:1/live', options: { action: 'sound_on', soundFile: 'test.wav', loop: true } },
  { mediaSessionId: 'id1', soundFile: 'test.wav', loop: false },
  { mediaSessionId: 'id1' },
];

function randomValue(r: () => number, depth: number): unknown {
  switch (Math.floor(r() * (depth > 3 ? 6 : 8))) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return Math.floor((r() - 0.5) * 2 ** (r() * 64));
    case 3:
    case 4:
    case 5:
      return STRINGS[Math.floor(r() * STRINGS.length)];
    case 6:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default:
      return randomObject(r, depth + 1);
  }
}

function randomObject(r: () => number, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) o[KEYS[Math.floor(r() * KEYS.length)]!] = randomValue(r, depth);
  return o;
}

function mutateText(r: () => number, text: string): string {
  const chars = [...text];
  const edits = 1 + Math.floor(r() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(r() * (chars.length + 1));
    const kind = r();
    if (kind < 0.33) chars.splice(at, 1);
    else if (kind < 0.66) chars.splice(at, 0, String.fromCharCode(Math.floor(r() * 128)));
    else chars.splice(at, 0, '{"[,:]}"\\'[Math.floor(r() * 9)]!);
  }
  return chars.join('');
}

interface HttpCase {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

function restCase(i: number): HttpCase {
  const r = caseRandom(SEED + 7, i);
  const method = METHODS[Math.floor(r() * METHODS.length)]!;
  const pick = r();
  let body: string;
  if (pick < 0.45) body = JSON.stringify(randomObject(r, 0));
  else if (pick < 0.9) body = mutateText(r, JSON.stringify(SEED_BODIES[Math.floor(r() * SEED_BODIES.length)]));
  else if (pick < 0.95) body = '['.repeat(Math.floor(r() * 5000)) + ']'.repeat(Math.floor(r() * 5000));
  else body = 'x'.repeat(Math.floor(r() * 200_000));
  const type = r() < 0.9 ? 'application/json' : ['text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded', ''][Math.floor(r() * 4)]!;
  return { method: r() < 0.95 ? 'POST' : ['GET', 'PUT', 'DELETE', 'PATCH'][Math.floor(r() * 4)]!, path: `/rest-api/push/${method}`, headers: type ? { 'content-type': type } : {}, body };
}

function whipCase(i: number, offers: string[]): HttpCase {
  const r = caseRandom(SEED + 11, i);
  return { method: 'POST', path: `/whip/fuzz${i % 20}`, headers: { 'content-type': 'application/sdp' }, body: mutateSdp(offers[i % offers.length]!, r) };
}

interface HttpResult {
  target: string;
  cases: number;
  byStatus: Record<string, number>;
  serverErrors: string[];
  /** 4xx answers without a JSON {"error": string} body. */
  badRefusals: string[];
  timeouts: number;
  maxMs: number;
  rssBefore: number;
  rssAfter: number;
  alive: boolean;
  seconds: number;
}

async function fuzzHttp(host: Host, target: string, cases: number, make: (i: number) => HttpCase, concurrency: number): Promise<HttpResult> {
  const started = Date.now();
  const r: HttpResult = { target, cases, byStatus: {}, serverErrors: [], badRefusals: [], timeouts: 0, maxMs: 0, rssBefore: host.rss(), rssAfter: 0, alive: false, seconds: 0 };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases) {
      const i = next++;
      const c = make(i);
      const t0 = performance.now();
      try {
        const res = await fetch(`${host.base}${c.path}`, { method: c.method, headers: c.headers, body: c.method === 'GET' ? undefined : c.body, signal: AbortSignal.timeout(10_000) });
        const text = await res.text();
        r.byStatus[res.status] = (r.byStatus[res.status] ?? 0) + 1;
        if (res.status >= 500 && r.serverErrors.length < 20) r.serverErrors.push(`#${i} ${c.method} ${c.path} ${(c.body ?? '').slice(0, 150)} → ${res.status} ${text.slice(0, 200)}`);
        if (res.status >= 400 && res.status < 500) {
          let ok = false;
          try {
            ok = typeof (JSON.parse(text) as { error?: unknown }).error === 'string';
          } catch {
            ok = false;
          }
          if (!ok && r.badRefusals.length < 20) r.badRefusals.push(`#${i} ${c.method} ${c.path} → ${res.status} ${text.slice(0, 120)}`);
        }
        if (res.status === 201 && target === 'whip') {
          const location = res.headers.get('location');
          if (location) await fetch(new URL(location, host.base), { method: 'DELETE' }).then((x) => x.text()).catch(() => undefined);
        }
      } catch (error) {
        if ((error as Error).name === 'TimeoutError') r.timeouts++;
        else r.byStatus[`error ${(error as Error).message}`] = (r.byStatus[`error ${(error as Error).message}`] ?? 0) + 1;
      }
      r.maxMs = Math.max(r.maxMs, performance.now() - t0);
      if (i % 10_000 === 0 && i) log('fuzz', `${target}: ${i}/${cases}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const info = await fetch(`${host.base}/api/info`).catch(() => undefined);
  r.alive = info?.status === 200;
  r.rssAfter = host.rss();
  r.seconds = (Date.now() - started) / 1000;
  return r;
}

export interface FuzzDetail {
  parsers: TargetResult[];
  http: HttpResult[];
}

export async function runFuzz(opts: { cases: number; httpCases: number; whipCases: number; targets: string[] }): Promise<FuzzDetail> {
  const d: FuzzDetail = { parsers: [], http: [] };
  // The parsers run in child processes, the HTTP targets against a host: both chains at once.
  const parsers = async (): Promise<void> => {
    for (const target of TARGETS.filter((t) => opts.targets.includes(t))) {
      log('fuzz', `${target}: ${opts.cases} cases`);
      d.parsers.push(await fuzzParser(target, opts.cases));
    }
  };
  const http = async (): Promise<void> => {
    if (!opts.targets.includes('rest') && !opts.targets.includes('whip')) return;
    const host = new Host();
    try {
      await host.start();
      if (opts.targets.includes('rest')) {
        log('fuzz', `rest: ${opts.httpCases} requests`);
        d.http.push(await fuzzHttp(host, 'rest', opts.httpCases, restCase, 8));
      }
      if (opts.targets.includes('whip')) {
        log('fuzz', `whip: ${opts.whipCases} offers`);
        const offers = sdpCorpus();
        d.http.push(await fuzzHttp(host, 'whip', opts.whipCases, (i) => whipCase(i, offers), 4));
      }
      if (/uncaught|unhandled/i.test(host.stderr())) d.http.forEach((h) => h.serverErrors.push('the host logged an uncaught error'));
    } finally {
      const code = await host.stop();
      if (code !== 0) d.http.forEach((h) => h.serverErrors.push(`the host exited ${code} on SIGTERM`));
    }
  };
  await Promise.all([parsers(), http()]);
  return d;
}

export function fuzzFigures(d: FuzzDetail): Figure[] {
  const s = 'fuzz';
  const figures: Figure[] = [];
  for (const p of d.parsers) {
    figures.push({
      scenario: s,
      figure: `${p.target}: cases (accepted / typed refusals), crashes, hangs`,
      value: `${p.accepted + p.rejected + p.crashes.length} (${p.accepted} / ${p.rejected}), ${p.crashes.length}, ${p.hangs.length}`,
      goal: `≥ ${p.cases}, 0, 0`,
      ok: p.crashes.length === 0 && p.hangs.length === 0 && p.accepted + p.rejected >= p.cases,
    });
    figures.push({ scenario: s, figure: `${p.target}: slowest case, cases > 250 ms; heap growth after GC, peak RSS`, value: `${p.maxCaseMs.toFixed(1)} ms, ${p.slowCases}; ${mb(p.heapGrowth)}, ${mb(p.maxRss)} (${p.seconds.toFixed(0)} s)`, goal: 'bounded', ok: p.heapGrowth < 32 * 1024 * 1024 });
  }
  for (const h of d.http) {
    const total = Object.values(h.byStatus).reduce((a, b) => a + b, 0);
    figures.push({
      scenario: s,
      figure: `${h.target} over HTTP: answers, 5xx, refusals without {"error"}, timeouts (10 s)`,
      value: `${total} (${Object.entries(h.byStatus).map(([k, n]) => `${k}×${n}`).join(' ')}), ${h.serverErrors.length}, ${h.badRefusals.length}, ${h.timeouts}`,
      goal: `${h.cases}, 0, 0, 0`,
      ok: total === h.cases && h.serverErrors.length === 0 && h.badRefusals.length === 0 && h.timeouts === 0,
    });
    figures.push({ scenario: s, figure: `${h.target} over HTTP: host still serving; RSS before → after; slowest answer`, value: `${h.alive ? 'yes' : 'NO'}; ${mb(h.rssBefore)} → ${mb(h.rssAfter)}; ${h.maxMs.toFixed(0)} ms (${h.seconds.toFixed(0)} s)`, goal: 'serving, bounded', ok: h.alive });
  }
  return figures;
}

export default async function fuzz(args: Record<string, string>): Promise<ScenarioResult> {
  const cases = Number(args.cases ?? 100_000);
  const httpCases = Number(args['http-cases'] ?? cases);
  const whipCases = Number(args['whip-cases'] ?? Math.min(cases, 5000));
  const targets = (args.targets ?? [...TARGETS, 'rest', 'whip'].join(',')).split(',');
  const d = await runFuzz({ cases, httpCases, whipCases, targets });
  const notes = [
    ...d.parsers.flatMap((p) => p.crashes.slice(0, 3).map((c) => `fuzz: ${p.target} case ${c.index} (seed ${SEED}): ${c.error.split('\n')[0]} — input ${c.inputHex.slice(0, 160)}`)),
    ...d.parsers.flatMap((p) => p.hangs.map((h) => `fuzz: ${p.target}: no progress for ${HANG_MS / 1000} s in cases ${h}–${h + PROGRESS_EVERY - 1}`)),
    ...d.http.flatMap((h) => [...h.serverErrors.slice(0, 3), ...h.badRefusals.slice(0, 3)].map((e) => `fuzz: ${h.target}: ${e}`)),
  ];
  return {
    figures: fuzzFigures(d),
    scale: `seed ${SEED}; ${cases} cases per parser (${TARGETS.filter((t) => targets.includes(t)).join(', ')}), ${httpCases} REST requests and ${whipCases} WHIP offers over HTTP to a running host; the WCS WebSocket messages are not fuzzed yet`,
    notes,
  };
}
