// What every soak scenario drives: the host started as the `castbridge` command starts it (a child
// process, watched through /proc and, for a forced garbage collection, through the inspector protocol),
// Chromium publishing over WHIP from a page of the host's origin, and the figures table.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, MARK_BOX, markLags, publishWhip, type WhipPublication } from '../test/helpers/chromium.js';
import { freePort } from '../test/helpers/servers.js';
import { waitFor } from '../test/helpers/wait.js';
import { readFlv, type FlvTag } from '../src-relay/flv/file.js';
import { TagType, videoTagInfo } from '../src-relay/flv/tags.js';
import { nodeFlagsOf } from '../bin/node-flags.js';

export const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', 'bin', 'castbridge.js');
const HOST_START_TIMEOUT_MS = 120_000;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One line of the figures table: what was measured, its value, the goal, and whether it was met. */
export interface Figure {
  scenario: string;
  figure: string;
  value: string;
  goal: string;
  ok: boolean | undefined;
}

export interface ScenarioResult {
  figures: Figure[];
  /** How the scenario ran (scale, duration), for SOAK.md. */
  scale: string;
  notes: string[];
}

export function log(scenario: string, message: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} soak.${scenario} ${message}\n`);
}

export interface RestAnswer {
  status: number;
  body: unknown;
}

export interface HostOptions {
  /** Extra `--set key=value` settings. */
  settings?: Record<string, string>;
  /** Start with the inspector on an ephemeral loopback port (for a forced GC and heap figures). */
  inspect?: boolean;
  /** Run the host inside this network namespace. */
  netns?: string;
}

/** The host as `castbridge --headless` runs it, on a free REST port, HTTPS/local RTMP/WCS ports off. */
export class Host {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'castbridge-soak-'));
  base = '';
  private child!: ChildProcess;
  private stderrText = '';
  /** How many times the host logged each event (`event=<name>` on its stderr). */
  readonly events = new Map<string, number>();
  private inspector: WebSocket | undefined;
  private inspectorCalls = new Map<number, (result: unknown) => void>();
  private nextCall = 1;
  private snapshotChunks: string[] = [];

  get pid(): number {
    return this.child.pid!;
  }

  stderr(): string {
    return this.stderrText;
  }

  /** The host's log lines (kept: the last 256 KiB) that match. */
  logLines(pattern: RegExp): string[] {
    return this.stderrText.split('\n').filter((l) => pattern.test(l));
  }

  async start(opts: HostOptions = {}): Promise<void> {
    const port = await freePort();
    const settings: Record<string, string> = {
      rest_http_port: String(port),
      rest_https_enabled: 'false',
      local_rtmp_enabled: 'false',
      ws_port: '0',
      wss_port: '0',
      ...opts.settings,
    };
    // With the Node flags of bin/castbridge.js's `#!` line, as a shell starts it.
    const args = [...nodeFlagsOf(BIN), BIN, '--headless', '--data-dir', this.dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['--set', `${k}=${v}`])];
    const env: NodeJS.ProcessEnv = { ...process.env, CASTBRIDGE_LOG: process.env.CASTBRIDGE_LOG ?? '' };
    if (opts.inspect) env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --inspect=127.0.0.1:0`.trim();
    const [cmd, cmdArgs] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, process.execPath, ...args]] : [process.execPath, args];
    this.child = spawn(cmd, cmdArgs as string[], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    this.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    let partial = '';
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderrText = (this.stderrText + d.toString()).slice(-256 * 1024);
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const event = /event=(\S+)/.exec(line)?.[1];
        if (event) this.events.set(event, (this.events.get(event) ?? 0) + 1);
      }
    });
    this.base = await waitFor(
      'the host to print its studio URL',
      () => {
        if (this.child.exitCode !== null) throw new Error(`the host exited ${this.child.exitCode}:\n${stdout}\n${this.stderrText.slice(-3000)}`);
        return /studio: (http:\/\/[^/\s]+)\//.exec(stdout)?.[1];
      },
      HOST_START_TIMEOUT_MS,
    );
    if (opts.inspect) {
      const url = await waitFor('the inspector URL', () => /Debugger listening on (ws:\/\/\S+)/.exec(this.stderrText)?.[1], 10_000);
      const ws = new WebSocket(url);
      await once(ws, 'open');
      ws.on('message', (data: Buffer) => {
        const msg = JSON.parse(data.toString()) as { id?: number; result?: unknown; method?: string; params?: { chunk?: string } };
        if (msg.id !== undefined) this.inspectorCalls.get(msg.id)?.(msg.result);
        else if (msg.method === 'HeapProfiler.addHeapSnapshotChunk') this.snapshotChunks.push(msg.params?.chunk ?? '');
      });
      this.inspector = ws;
    }
  }

  private inspect(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const ws = this.inspector;
    if (!ws) throw new Error('the host was started without the inspector');
    const id = this.nextCall++;
    return new Promise((resolve) => {
      this.inspectorCalls.set(id, (r) => {
        this.inspectorCalls.delete(id);
        resolve(r);
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** A full garbage collection in the host (inspector HeapProfiler.collectGarbage), twice. */
  async gc(): Promise<void> {
    await this.inspect('HeapProfiler.collectGarbage');
    await this.inspect('HeapProfiler.collectGarbage');
  }

  /** Live objects in the host's heap by constructor (a heap snapshot, counted): name → count and bytes. */
  async heapCounts(): Promise<Map<string, { count: number; bytes: number }>> {
    this.snapshotChunks = [];
    await this.inspect('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    const snapshot = JSON.parse(this.snapshotChunks.join('')) as {
      snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
      nodes: number[];
      strings: string[];
    };
    this.snapshotChunks = [];
    const fields = snapshot.snapshot.meta.node_fields;
    const types = snapshot.snapshot.meta.node_types[0];
    const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
    const counts = new Map<string, { count: number; bytes: number }>();
    for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
      const type = types[snapshot.nodes[i + typeAt]!]!;
      if (type !== 'object' && type !== 'closure' && type !== 'array') continue;
      const key = `${type === 'object' ? '' : `(${type}) `}${snapshot.strings[snapshot.nodes[i + nameAt]!]}`;
      const entry = counts.get(key) ?? { count: 0, bytes: 0 };
      entry.count++;
      entry.bytes += snapshot.nodes[i + sizeAt]!;
      counts.set(key, entry);
    }
    return counts;
  }

  /** A full heap snapshot of the host, parsed (V8's .heapsnapshot format). */
  async heapSnapshot(): Promise<unknown> {
    this.snapshotChunks = [];
    await this.inspect('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    const parsed: unknown = JSON.parse(this.snapshotChunks.join(''));
    this.snapshotChunks = [];
    return parsed;
  }

  async heapUsed(): Promise<number> {
    const r = (await this.inspect('Runtime.evaluate', { expression: 'process.memoryUsage().heapUsed', returnByValue: true })) as { result: { value: number } };
    return r.result.value;
  }

  /** Resident set size of the host process, bytes (/proc/<pid>/status VmRSS). */
  rss(): number {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.nodePid()}/status`, 'utf8'));
    return Number(m?.[1] ?? 0) * 1024;
  }

  /** The node process itself (under `ip netns exec` the spawned pid is ip, which execs node: same pid). */
  nodePid(): number {
    return this.pid;
  }

  /** Open descriptors of the host process, by kind (socket, pipe, anon_inode, file). */
  fds(): { total: number; byKind: Record<string, number> } {
    const dir = `/proc/${this.nodePid()}/fd`;
    const byKind: Record<string, number> = {};
    let total = 0;
    for (const fd of readdirSync(dir)) {
      let target = '';
      try {
        target = readlinkSync(join(dir, fd));
      } catch {
        continue;
      }
      const kind = /^(\w+):/.exec(target)?.[1] ?? 'file';
      byKind[kind] = (byKind[kind] ?? 0) + 1;
      total++;
    }
    return { total, byKind };
  }

  /** Every process below the host (ffmpeg encoders and the like), as "pid command". */
  children(): string[] {
    const parentOf = new Map<number, number>();
    const names = new Map<number, string>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const close = stat.lastIndexOf(')');
        const fields = stat.slice(close + 2).split(' ');
        parentOf.set(Number(entry), Number(fields[1]));
        names.set(Number(entry), stat.slice(stat.indexOf('(') + 1, close));
      } catch {
        /* gone */
      }
    }
    const below = (pid: number): number[] => [...parentOf].filter(([, ppid]) => ppid === pid).flatMap(([p]) => [p, ...below(p)]);
    return below(this.nodePid()).map((p) => `${p} ${names.get(p)}`);
  }

  async rest(method: string, body?: unknown): Promise<RestAnswer> {
    const res = await fetch(`${this.base}/rest-api/push/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON: kept as text, the caller reports it */
    }
    return { status: res.status, body: parsed };
  }

  /** The transponder with this id, or undefined when find answers 404. */
  async transponder(mediaSessionId: string): Promise<TransponderView | undefined> {
    const r = await this.rest('find', { mediaSessionId });
    if (r.status === 404) return undefined;
    if (r.status !== 200 || !Array.isArray(r.body)) throw new Error(`find answered ${r.status} ${JSON.stringify(r.body)}`);
    return r.body[0] as TransponderView;
  }

  async stop(): Promise<number | null> {
    this.inspector?.close();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = once(this.child, 'exit');
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    if (!process.env.CASTBRIDGE_SOAK_KEEP) rmSync(this.dataDir, { recursive: true, force: true });
    return this.child.exitCode;
  }
}

export interface TransponderView {
  mediaSessionId: string;
  streamName: string;
  status: string;
  info?: string;
  stats: { bitrateKbps: number; fps: number; droppedFrames: number; reconnects: number; attempt?: number; nextRetryAt?: number; queuedMs: number };
}

// ---------------------------------------------------------------------------------------------------------
// Chromium

/** Debian's Chromium (headless); `executablePath` may be a wrapper that runs it in a network namespace. */
export function launchBrowser(executablePath?: string): Promise<Browser> {
  // The marks page plays its beep without a user gesture.
  return launchChromium({ fps: 30, extraArgs: ['--autoplay-policy=no-user-gesture-required'], ...(executablePath ? { executablePath } : {}) });
}

/** A page on the host's own origin (what WHIP from the studio or the SDK page does). */
export async function hostPage(browser: Browser, base: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${base}/rest-api/openapi.json`);
  // tsx compiles with esbuild's keepNames: functions passed to page.evaluate call its __name helper.
  await page.evaluate('globalThis.__name = (f) => f');
  return page;
}

export interface PublishOptions {
  source?: 'camera' | 'marks';
  width?: number;
  height?: number;
  markPeriodMs?: number;
  /** Send the offer without candidates and let Node rewrite the answer (window.__whipRewriteAnswer). */
  rewriteAnswer?: boolean;
}

/** Publishes over WHIP to the host's /whip/<streamName> (640x360 unless told): test/helpers/chromium.ts publishWhip. */
export function publish(page: Page, base: string, streamName: string, opts: PublishOptions = {}): Promise<WhipPublication> {
  const whipUrl = `${base}/whip/${streamName}`;
  return publishWhip(page, whipUrl, { width: 640, height: 360, ...opts, timeoutMs: 45_000 }).catch((error: Error) => {
    throw new Error(`${streamName}: ${error.message}`);
  });
}

/** The corner box of the 'marks' publisher that turns white at each beep (x, y, width, height). */
export const FLASH_BOX = MARK_BOX;

/** How late (ms) the 'marks' publisher in this page drew each flash after its beep began. */
export const publisherLags = markLags;

// ---------------------------------------------------------------------------------------------------------
// Recordings

/** The tags of an FLV recording, tolerating a last tag cut short (a server killed mid-write). */
export function readRecording(file: string): FlvTag[] {
  const data = readFileSync(file);
  try {
    return readFlv(data);
  } catch {
    // cut at the last whole tag: walk the tag sizes
    let at = 13;
    while (at + 11 <= data.length) {
      const size = data.readUIntBE(at + 1, 3);
      if (at + 11 + size + 4 > data.length) break;
      at += 11 + size + 4;
    }
    return readFlv(data.subarray(0, at));
  }
}

export interface RecordingStart {
  /** The first video tag is the AVC sequence header, the next one a keyframe; audio starts with the AAC one. */
  ok: boolean;
  why: string;
}

export function checkRecordingStart(tags: FlvTag[]): RecordingStart {
  const video = tags.filter((t) => t.type === TagType.video && t.body.length > 1);
  const audio = tags.filter((t) => t.type === TagType.audio && t.body.length > 1);
  if (video.length < 2) return { ok: false, why: `${video.length} video tags` };
  const first = videoTagInfo(video[0]!.body);
  const second = videoTagInfo(video[1]!.body);
  if (!first.sequenceHeader) return { ok: false, why: 'first video tag is not the AVC sequence header' };
  if (!second.keyframe || second.sequenceHeader) return { ok: false, why: 'the first video frame is not a keyframe' };
  if (audio.length > 0 && (audio[0]!.body[0]! >> 4 === 10) && audio[0]!.body[1] !== 0) return { ok: false, why: 'first audio tag is not the AAC sequence header' };
  return { ok: true, why: '' };
}

/** Decodes the whole recording with ffmpeg; answers the number of error lines it printed. */
export async function decodeErrors(file: string): Promise<{ count: number; sample: string[] }> {
  const { stderr } = await run('/usr/bin/ffmpeg', ['-hide_banner', '-v', 'error', '-i', file, '-f', 'null', '-'], { maxBuffer: 64 * 1024 * 1024 }).catch(
    (e: { stderr?: string }) => ({ stderr: `${e.stderr ?? ''}\nffmpeg failed` }),
  );
  // The null muxer's complaint about two packets with the same timestamp is not a decoding error (the
  // timing checks count those); everything else ffmpeg prints at level error is.
  const lines = stderr.split('\n').filter((l) => l.trim() && !/non monotonically increasing dts to muxer/.test(l));
  return { count: lines.length, sample: lines.slice(0, 5) };
}

// ---------------------------------------------------------------------------------------------------------
// Figures

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export function formatTable(figures: Figure[]): string {
  const columns = ['scenario', 'figure', 'value', 'goal', 'met'];
  const rows = figures.map((f) => [f.scenario, f.figure, f.value, f.goal, f.ok === undefined ? '–' : f.ok ? 'yes' : 'NO']);
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable(figures: Figure[]): string {
  const rows = figures.map((f) => `| ${f.scenario} | ${f.figure} | ${f.value} | ${f.goal} | ${f.ok === undefined ? '–' : f.ok ? 'yes' : '**no**'} |`);
  return ['| scenario | figure | value | goal | met |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** The constructors whose live objects grew most between two heapCounts(), as "name +count (+bytes)". */
export function heapGrowth(before: Map<string, { count: number; bytes: number }>, after: Map<string, { count: number; bytes: number }>, top = 8): string[] {
  return [...after]
    .map(([name, a]) => ({ name, count: a.count - (before.get(name)?.count ?? 0), bytes: a.bytes - (before.get(name)?.bytes ?? 0) }))
    .filter((g) => g.count > 0)
    .sort((x, y) => y.bytes - x.bytes)
    .slice(0, top)
    .map((g) => `${g.name} +${g.count} (+${(g.bytes / 1024).toFixed(0)} KB)`);
}

export function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `castbridge-soak-${prefix}-`));
}

export function exists(path: string): boolean {
  return existsSync(path);
}
