// Fuzzing at scale, seeded and reproducible: the parsers of outside bytes (AMF0, RTMP chunk streams as a
// server sends them read at once and byte by byte, the FLV reader read at once and in pieces, WAV files,
// WHIP SDP offers, WCS client frames) each in a process of their own with a hang watchdog, then JSON bodies
// to every REST method and SDP offers to WHIP over HTTP, and WCS frames over a WebSocket to its ws_port,
// against a running host. Zero crashes, zero hangs, bounded memory, every refusal a typed error (or a 4xx
// with {"error"}, or a WCS fail frame whose info is a sentence) naming the problem; a WebSocket connection
// stays up or is closed with a code, and leaves no stream or republish behind.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import WebSocket from 'ws';
import { freePort } from '../test/helpers/servers.js';
import { mutateText, randomJsonObject } from '../test/helpers/fuzz.js';
import { caseRandom, mutateSdp, PROGRESS_EVERY, sdpCorpus, TARGETS, wcsCorpus, wcsFrameText, type RunReport, type Target } from './fuzz-cases.js';
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
  if (pick < 0.45) body = JSON.stringify(randomJsonObject(r, { keys: KEYS, strings: STRINGS }));
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

// ---- WCS frames over a real WebSocket to the host's ws_port ----------------------------------------------

/** Frames each connection sends before its closing ping; most connections first send `connection`. */
const WCS_FRAMES_PER_CONNECTION = 25;

interface WsResult {
  frames: number;
  connections: number;
  /** Connections that answered the closing ping, and those the host closed (by close code). */
  answered: number;
  closedBy: Record<string, number>;
  /** Closed without a close frame (1006), or no answer to the ping within 10 s while open. */
  abnormal: string[];
  replies: number;
  /** publishStream frames answered with setRemoteSDP: streams the host really started. */
  published: number;
  fails: number;
  internalErrors: number;
  findAllBefore: number;
  findAllAfter: number;
  /** The corpus's stream names publish again afterwards (none left in the registry). */
  namesFree: boolean;
  problems: string[];
  alive: boolean;
  rssBefore: number;
  rssAfter: number;
  seconds: number;
}

async function findAllCount(host: Host): Promise<number> {
  const res = await fetch(`${host.base}/rest-api/push/find_all`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as unknown;
  if (res.status === 404) return 0;
  if (!Array.isArray(body)) throw new Error(`find_all answered ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
  return body.length;
}

/** One connection: its frames, a ping, the pong (or the host's close), then a normal close. */
async function wcsConnection(url: string, c: number, corpus: Record<string, unknown>[], r: WsResult): Promise<void> {
  const next = caseRandom(SEED + 13, c);
  const ws = new WebSocket(url, { handshakeTimeout: 10_000 });
  let closedByUs = false;
  let pong: () => void = () => undefined;
  const ponged = new Promise<void>((resolve) => (pong = resolve));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('error', () => undefined);
  ws.on('message', (data) => {
    r.replies++;
    let f: { message?: unknown; data?: unknown[] } = {};
    try {
      f = JSON.parse(data.toString()) as typeof f;
    } catch {
      r.problems.push(`connection ${c}: a reply that is not JSON: ${data.toString().slice(0, 100)}`);
    }
    if (f.message === 'fail') {
      r.fails++;
      if (/internal error/.test(String((f.data?.[0] as { info?: unknown } | undefined)?.info))) r.internalErrors++;
    }
    if (f.message === 'pong') pong();
    if (f.message === 'setRemoteSDP') r.published++;
  });
  const opened = await new Promise<boolean>((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('close', () => resolve(false));
  });
  if (!opened) {
    r.abnormal.push(`connection ${c}: the handshake failed`);
    return;
  }
  const publishes = corpus.filter((f) => f.message === 'publishStream');
  if (next() < 0.9) ws.send(JSON.stringify(corpus[0]));
  for (let k = 0; k < WCS_FRAMES_PER_CONNECTION && ws.readyState === WebSocket.OPEN; k++) {
    const i = c * WCS_FRAMES_PER_CONNECTION + k;
    const fr = caseRandom(SEED + 17, i);
    const pick = fr();
    if (pick < 0.02) ws.send(Buffer.from([0, 1, 2, 0xff]));
    else if (pick < 0.025) ws.send(JSON.stringify({ message: 'pushLogs', data: ['x'.repeat(600 * 1024)] }));
    // a real publish now and then, so that there are streams for the connection's end to end
    else if (pick < 0.12) ws.send(JSON.stringify(publishes[Math.floor(fr() * publishes.length)]));
    else ws.send(wcsFrameText(i, fr, corpus));
    r.frames++;
    if (k % 5 === 4) await new Promise((resolve) => setImmediate(resolve));
  }
  // Half the connections close while their publishes are still being answered, half once they are answered.
  if (next() < 0.5) await new Promise((resolve) => setTimeout(resolve, 1500));
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ message: 'ping', data: [null] }));
  let timer: NodeJS.Timeout | undefined;
  const first = await Promise.race([ponged.then(() => 'pong' as const), closed.then(() => 'closed' as const), new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 10_000)))]);
  clearTimeout(timer);
  if (first === 'pong') {
    r.answered++;
    closedByUs = true;
    ws.close(1000);
  } else if (first === 'timeout') {
    r.abnormal.push(`connection ${c}: open but no pong within 10 s`);
    closedByUs = true;
    ws.terminate();
  }
  const { code, reason } = await closed;
  if (!closedByUs) {
    if (code === 1006) r.abnormal.push(`connection ${c}: closed without a close frame`);
    const key = `${code}${reason ? ` "${reason}"` : ''}`;
    r.closedBy[key] = (r.closedBy[key] ?? 0) + 1;
  }
}

/** Publishes each corpus stream name on a fresh connection: setRemoteSDP for each means none was left behind. */
async function namesPublishAgain(url: string, corpus: Record<string, unknown>[]): Promise<string | undefined> {
  const ws = new WebSocket(url, { handshakeTimeout: 10_000 });
  const frames: { message: string; data: unknown[] }[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as (typeof frames)[number]));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  try {
    ws.send(JSON.stringify(corpus[0]));
    const publishes = corpus.filter((f) => f.message === 'publishStream').map((f) => ({ ...((f.data as unknown[])[0] as Record<string, unknown>), rtmpUrl: undefined, mediaSessionId: `probe-${String(((f.data as unknown[])[0] as { name: string }).name)}` }));
    for (const p of publishes) ws.send(JSON.stringify({ message: 'publishStream', data: [p] }));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const answers = publishes.map((p) => frames.find((f) => (f.message === 'setRemoteSDP' && f.data[0] === p.mediaSessionId) || (f.message === 'notifyStreamStatusEvent' && (f.data[0] as { mediaSessionId?: string }).mediaSessionId === p.mediaSessionId)));
      if (answers.every(Boolean)) {
        const refused = answers.filter((a) => a!.message !== 'setRemoteSDP');
        return refused.length ? refused.map((a) => JSON.stringify(a!.data[0]).slice(0, 200)).join('; ') : undefined;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return 'no answer to the probe publishes within 15 s';
  } finally {
    ws.close(1000);
  }
}

async function fuzzWcsSocket(host: Host, wsPort: number, frames: number): Promise<WsResult> {
  const started = Date.now();
  const url = `${host.base.replace(/^http:/, 'ws:').replace(/:\d+$/, '')}:${wsPort}/`;
  const corpus = wcsCorpus(sdpCorpus()[0]!);
  const r: WsResult = { frames: 0, connections: Math.ceil(frames / WCS_FRAMES_PER_CONNECTION), answered: 0, closedBy: {}, abnormal: [], replies: 0, published: 0, fails: 0, internalErrors: 0, findAllBefore: await findAllCount(host), findAllAfter: -1, namesFree: false, problems: [], alive: false, rssBefore: host.rss(), rssAfter: 0, seconds: 0 };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < r.connections) {
      const c = next++;
      await wcsConnection(url, c, corpus, r);
      if (c % 40 === 0 && c) log('fuzz', `wcs-ws: ${c * WCS_FRAMES_PER_CONNECTION}/${frames} frames`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  // Sessions end their streams on close; give the host a moment, then nothing of theirs may be left.
  const deadline = Date.now() + 20_000;
  do {
    r.findAllAfter = await findAllCount(host).catch(() => -1);
    if (r.findAllAfter === r.findAllBefore) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  } while (Date.now() < deadline);
  let refusal: string | undefined;
  for (let attempt = 0; attempt < 10; attempt++) {
    refusal = await namesPublishAgain(url, corpus).catch((e: Error) => e.message);
    if (!refusal) break;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  r.namesFree = !refusal;
  if (refusal) r.problems.push(`the corpus's stream names do not publish again: ${refusal}`);
  const info = await fetch(`${host.base}/api/info`).catch(() => undefined);
  r.alive = info?.status === 200 && (await findAllCount(host).then(() => true).catch(() => false));
  r.rssAfter = host.rss();
  r.seconds = (Date.now() - started) / 1000;
  return r;
}

export interface FuzzDetail {
  parsers: TargetResult[];
  http: HttpResult[];
  ws: WsResult[];
}

export async function runFuzz(opts: { cases: number; httpCases: number; whipCases: number; wsCases: number; targets: string[] }): Promise<FuzzDetail> {
  const d: FuzzDetail = { parsers: [], http: [], ws: [] };
  // The parsers run in child processes, the HTTP targets against a host: both chains at once.
  const parsers = async (): Promise<void> => {
    for (const target of TARGETS.filter((t) => opts.targets.includes(t))) {
      log('fuzz', `${target}: ${opts.cases} cases`);
      d.parsers.push(await fuzzParser(target, opts.cases));
    }
  };
  const http = async (): Promise<void> => {
    if (!['rest', 'whip', 'wcs-ws'].some((t) => opts.targets.includes(t))) return;
    const host = new Host();
    try {
      // A ws:// port for the WCS frames; a Node client sends no Origin, which the handshake gate lets in.
      const wsPort = await freePort();
      await host.start({ settings: { ws_port: String(wsPort) } });
      if (opts.targets.includes('rest')) {
        log('fuzz', `rest: ${opts.httpCases} requests`);
        d.http.push(await fuzzHttp(host, 'rest', opts.httpCases, restCase, 8));
      }
      if (opts.targets.includes('whip')) {
        log('fuzz', `whip: ${opts.whipCases} offers`);
        const offers = sdpCorpus();
        d.http.push(await fuzzHttp(host, 'whip', opts.whipCases, (i) => whipCase(i, offers), 4));
      }
      if (opts.targets.includes('wcs-ws')) {
        log('fuzz', `wcs-ws: ${opts.wsCases} frames`);
        d.ws.push(await fuzzWcsSocket(host, wsPort, opts.wsCases));
      }
      if (/uncaught|unhandled/i.test(host.stderr())) {
        d.http.forEach((h) => h.serverErrors.push('the host logged an uncaught error'));
        d.ws.forEach((w) => w.problems.push('the host logged an uncaught error'));
      }
    } finally {
      const code = await host.stop();
      if (code !== 0) {
        d.http.forEach((h) => h.serverErrors.push(`the host exited ${code} on SIGTERM`));
        d.ws.forEach((w) => w.problems.push(`the host exited ${code} on SIGTERM`));
      }
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
  for (const w of d.ws) {
    const closes = Object.entries(w.closedBy).map(([k, n]) => `${k}×${n}`).join(' ') || 'none';
    figures.push({
      scenario: s,
      figure: 'wcs-ws frames over WebSocket: frames (connections), answered the closing ping, closed by the host (code), closed abnormally or silent',
      value: `${w.frames} (${w.connections}), ${w.answered}, ${closes}, ${w.abnormal.length}`,
      goal: `every connection answers or is closed with a code; 0`,
      ok: w.abnormal.length === 0 && w.answered + Object.values(w.closedBy).reduce((a, b) => a + b, 0) === w.connections,
    });
    figures.push({
      scenario: s,
      figure: 'wcs-ws: replies (publishes answered, fail frames, internal errors); find_all before → after; stream names free; REST serving; RSS before → after',
      value: `${w.replies} (${w.published}, ${w.fails}, ${w.internalErrors}); ${w.findAllBefore} → ${w.findAllAfter}; ${w.namesFree ? 'yes' : 'NO'}; ${w.alive ? 'yes' : 'NO'}; ${mb(w.rssBefore)} → ${mb(w.rssAfter)} (${w.seconds.toFixed(0)} s)`,
      goal: 'internal errors 0, find_all back, free, serving',
      ok: w.internalErrors === 0 && w.findAllAfter === w.findAllBefore && w.namesFree && w.alive && w.problems.length === 0,
    });
  }
  return figures;
}

export default async function fuzz(args: Record<string, string>): Promise<ScenarioResult> {
  const cases = Number(args.cases ?? 100_000);
  const httpCases = Number(args['http-cases'] ?? cases);
  const whipCases = Number(args['whip-cases'] ?? Math.min(cases, 5000));
  const wsCases = Number(args['ws-cases'] ?? Math.min(cases, 5000));
  const targets = (args.targets ?? [...TARGETS, 'rest', 'whip', 'wcs-ws'].join(',')).split(',');
  const d = await runFuzz({ cases, httpCases, whipCases, wsCases, targets });
  const notes = [
    ...d.parsers.flatMap((p) => p.crashes.slice(0, 3).map((c) => `fuzz: ${p.target} case ${c.index} (seed ${SEED}): ${c.error.split('\n')[0]} — input ${c.inputHex.slice(0, 160)}`)),
    ...d.parsers.flatMap((p) => p.hangs.map((h) => `fuzz: ${p.target}: no progress for ${HANG_MS / 1000} s in cases ${h}–${h + PROGRESS_EVERY - 1}`)),
    ...d.http.flatMap((h) => [...h.serverErrors.slice(0, 3), ...h.badRefusals.slice(0, 3)].map((e) => `fuzz: ${h.target}: ${e}`)),
    ...d.ws.flatMap((w) => [...w.abnormal.slice(0, 3), ...w.problems.slice(0, 3)].map((e) => `fuzz: wcs-ws: ${e}`)),
  ];
  return {
    figures: fuzzFigures(d),
    scale: `seed ${SEED}; ${TARGETS.some((t) => targets.includes(t)) ? `${cases} cases per parser (${TARGETS.filter((t) => targets.includes(t)).join(', ')})` : 'no parser cases'}, ${targets.includes('rest') ? `${httpCases} REST requests` : 'no REST requests'}, ${targets.includes('whip') ? `${whipCases} WHIP offers` : 'no WHIP offers'} over HTTP and ${targets.includes('wcs-ws') ? `${wsCases} WCS frames` : 'no WCS frames'} over a WebSocket to a running host`,
    notes,
  };
}
