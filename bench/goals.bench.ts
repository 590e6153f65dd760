// The fixed costs of the host against the goals (docs/BENCHMARKS.md "Fixed costs"), each beside its peer
// measured in the same run, and — with GOALS_BEFORE=DIR, another checkout with its dist-main built (e.g.
// `git worktree add /tmp/before <commit>`, node_modules linked, `node scripts/build-main.js`) — the same
// figure of that build, started the same way (its bin/castbridge.js with the flags on its `#!` line):
//  - host exec → listening: CPU (user+sys, /proc) of `castbridge --headless` when it prints the studio URL,
//    median of GOALS_STARTS starts taking turns; the peer is `node -e 0`.
//  - CPU in the first 3 s after listening, idle: the host's CPU from printing its URL to 3 s later, with no
//    request made (what a host that loads its WebRTC stack once it listens pays there rather than at the
//    first publish).
//  - first publish after start: the host's CPU over the 5 s from the first WHIP publish after its start (and
//    the 3 s above), less the same for a second publish (what the first pays that the second does not: werift's
//    import and its patches' self-test unless loaded before, first compilations).
//  - host + children RSS and CPU with one 720p stream from Chromium and 0, then 10 transponders to
//    nginx-rtmp, over GOALS_WINDOW_S; the peer is ffmpeg receiving the same RTP (relay.bench's tap of an
//    in-process ingest) and pushing `-c:v copy -c:a aac` to one target.
//  - `castbridge push --no-pace` of 20 s and 60 s of 1080p against `ffmpeg -c copy`, median of 3.
//  - memory (only when named in GOALS_PARTS): the two RSS rows alone, GOALS_MEMORY_RUNS times per build, each
//    with the host's process.memoryUsage() and smaps_rollup beside (heap snapshots into GOALS_SNAPSHOTS=DIR).
// GOALS_PARTS=start,receive,push narrows a run; GOALS_BEFORE_FLAGS adds Node flags to the "before" build's
// (GOALS_BEFORE=. GOALS_BEFORE_FLAGS=--max-semi-space-size=16 compares a flag in one run).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { nodeFlagsOf } from '../bin/node-flags.js';
import { silentLog, StreamRegistry, WebRtcIngest } from '../src-relay/index.js';
import { launchChromium, publishWhip } from '../test/helpers/chromium.js';
import { startNginxRtmp, type NginxRtmp } from '../test/helpers/servers.js';
import { waitFor } from '../test/helpers/wait.js';
import { compiledCli, ROOT } from './cli-entries.js';
import { measureHost, memoryProbeFlags, probeMemory, procStat, restPost, startHost, type HostLoad, type HostMemory } from './host-process.js';
import { cachedClip, timed } from './push.bench.js';
import { cachedY4m, ffmpegRow, startWhipServer } from './relay.bench.js';
import type { BenchResult } from './run.js';

const BEFORE = process.env.GOALS_BEFORE;
const PARTS = (process.env.GOALS_PARTS ?? 'start,receive,push').split(',');
const STARTS = Number(process.env.GOALS_STARTS ?? 5);
const WINDOW_S = Number(process.env.GOALS_WINDOW_S ?? 15);
const TARGETS = 10;
const PUSH_RUNS = 3;
const FFMPEG = '/usr/bin/ffmpeg';
const VIDEO = { width: 1280, height: 720, fps: 30 } as const;
const PORTS = ['rest_http_port=0', 'rest_https_port=0', 'local_rtmp_port=0', 'local_rtmp_http_port=0', 'ws_port=0', 'wss_port=0'];

interface Build {
  label: string;
  cli: string;
  /** Node flags after the entry's own (the last of a V8 flag wins). */
  extraFlags: string[];
}

async function builds(): Promise<Build[]> {
  const after = { label: 'after', cli: await compiledCli(), extraFlags: [] };
  if (!BEFORE) return [after];
  const cli = join(BEFORE, 'bin', 'castbridge.js');
  if (!existsSync(join(BEFORE, 'dist-main', 'node', 'cli.js'))) throw new Error(`GOALS_BEFORE=${BEFORE} has no dist-main: run node scripts/build-main.js there`);
  const extraFlags = (process.env.GOALS_BEFORE_FLAGS ?? '').split(' ').filter(Boolean);
  return [{ label: 'before', cli, extraFlags }, after];
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fmt = (n: number | undefined, digits = 2): string => (n === undefined ? '' : n.toFixed(digits));
/** "met" or by how much the figure misses an upper bound. */
const verdict = (value: number, goal: number, unit = ''): string => (value < goal ? `met (< ${goal}${unit})` : `missed by ${(value - goal).toFixed(2)}${unit} (×${(value / goal).toFixed(2)})`);

/** CPU s of one host start, exec → studio URL printed. */
async function hostStartCpu({ cli, extraFlags }: Build, dataDir: string): Promise<number> {
  const child = spawn(process.execPath, [...nodeFlagsOf(cli), ...extraFlags, cli, '--headless', '--data-dir', dataDir, ...PORTS.flatMap((p) => ['--set', p])], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, CASTBRIDGE_LOG: 'silent' },
  });
  try {
    return await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`${cli} printed no studio URL in 60 s`)), 60_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/studio: http/.test(out)) {
          clearTimeout(timer);
          resolve((procStat(child.pid!)?.ticks ?? 0) / 100);
        }
      });
      child.on('exit', (code) => reject(new Error(`${cli} exited ${code}`)));
    });
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

async function startRows(list: Build[], dir: string): Promise<string[][]> {
  const cpu = new Map<string, number[]>(list.map((b) => [b.label, []]));
  const node: number[] = [];
  for (const b of list) await hostStartCpu(b, join(dir, `start-${b.label}`)); // first start: the certificate
  for (let i = 0; i < STARTS; i++) {
    for (const b of list) cpu.get(b.label)!.push(await hostStartCpu(b, join(dir, `start-${b.label}`)));
    node.push((await timed(process.execPath, ['-e', '0'], dir)).cpuS);
  }
  const after = median(cpu.get('after')!);
  const before = cpu.has('before') ? median(cpu.get('before')!) : undefined;
  const peer = median(node);
  return [['host exec → listening, CPU s', fmt(before), fmt(after), `node -e 0: ${fmt(peer)}`, (after / peer).toFixed(1), verdict(after, 0.5, ' s')]];
}

/** CPU s in the first IDLE_AFTER_LISTEN_S after the host printed its URL. */
const IDLE_AFTER_LISTEN_S = 3;

interface HostFigures {
  idleAfterListenS: number;
  firstPublishExtraS: number;
  idle: HostLoad;
  loaded: HostLoad;
}

async function hostFigures(b: Build, browser: Browser, nginx: NginxRtmp, dir: string): Promise<HostFigures> {
  const data = join(dir, `host-${b.label}`);
  await (await startHost(data, b.extraFlags, b.cli)).stop(); // the certificate, as in every later start
  const host = await startHost(data, b.extraFlags, b.cli);
  const pid = host.child.pid!;
  const listening = procStat(pid)?.ticks ?? 0;
  await new Promise((r) => setTimeout(r, IDLE_AFTER_LISTEN_S * 1000));
  const idleAfterListenS = ((procStat(pid)?.ticks ?? 0) - listening) / 100;
  const pages: Page[] = [];
  try {
    /** Host CPU s from a WHIP publish (on a page of its own) until 5 s after it was answered. */
    const publishCpu = async (name: string): Promise<{ cpu: number; stop: () => Promise<number> }> => {
      const page = await browser.newPage();
      pages.push(page);
      await page.goto(`${host.base}/openapi.json`);
      await new Promise((r) => setTimeout(r, 1000));
      const t0 = procStat(pid)?.ticks ?? 0;
      const publication = await publishWhip(page, `${host.base}/whip/${name}`, VIDEO);
      await new Promise((r) => setTimeout(r, 5000));
      return { cpu: ((procStat(pid)?.ticks ?? 0) - t0) / 100, stop: () => publication.stop() };
    };
    const first = await publishCpu('warm');
    await first.stop();
    await pages[0]!.close();
    await new Promise((r) => setTimeout(r, 2000));
    const second = await publishCpu('goals');
    await new Promise((r) => setTimeout(r, 3000));
    const idle = await measureHost(pid, WINDOW_S);
    const startup = (i: number): Promise<unknown> => restPost(host.base, '/rest-api/push/startup', { streamName: 'goals', rtmpUrl: `${nginx.url()}/goals_${b.label}_${i}`, rtmpTransponderFullUrl: true });
    await waitFor('the stream to take a transponder', () => startup(0).then(() => true, () => false), 10_000, 250);
    for (let i = 1; i < TARGETS; i++) await startup(i);
    await waitFor(
      `${TARGETS} transponders PUBLISHING`,
      () =>
        fetch(`${host.base}/rest-api/push/find_all`)
          .then((res) => res.json() as Promise<{ status: string }[]>)
          .then((l) => l.length === TARGETS && l.every((t) => t.status === 'PUBLISHING'))
          .catch(() => false),
      30_000,
      200,
    );
    await new Promise((r) => setTimeout(r, 3000));
    const loaded = await measureHost(pid, WINDOW_S);
    await second.stop();
    return { idleAfterListenS, firstPublishExtraS: first.cpu - second.cpu, idle, loaded };
  } finally {
    for (const page of pages) await page.close().catch(() => undefined);
    await host.stop();
  }
}

/** ffmpeg's bridge on the RTP of an in-process ingest that Chromium publishes to: CPU % and RSS MB. */
async function ffmpegPeer(browser: Browser, nginx: NginxRtmp, dir: string): Promise<{ cpu: number; rss: number }> {
  const registry = new StreamRegistry();
  const ingest = new WebRtcIngest(registry, { log: silentLog });
  const whip = await startWhipServer(ingest);
  const page = await browser.newPage();
  try {
    await page.goto(`${whip.base}/`);
    await publishWhip(page, `${whip.base}/whip/peer`, VIDEO);
    const stream = registry.get('peer');
    if (!stream) throw new Error('the peer stream was not published');
    await waitFor('720p video', () => stream.params?.width === VIDEO.width, 30_000, 20);
    const row = await ffmpegRow(ingest, stream, nginx, dir);
    return { cpu: Number(row[1]), rss: Number(row[2]) };
  } finally {
    await page.close().catch(() => undefined);
    await ingest.closeAll().catch(() => undefined);
    whip.server.closeAllConnections();
    await new Promise((r) => whip.server.close(r));
  }
}

async function receiveRows(list: Build[], dir: string): Promise<string[][]> {
  const y4m = await cachedY4m();
  const nginx = await startNginxRtmp();
  const browser = await launchChromium({ fps: VIDEO.fps, extraArgs: [`--use-file-for-fake-video-capture=${y4m}`] });
  try {
    const peer = await ffmpegPeer(browser, nginx, dir);
    const figures = new Map<string, HostFigures>();
    for (const b of list) figures.set(b.label, await hostFigures(b, browser, nginx, dir));
    const get = (label: string, f: (h: HostFigures) => number): number | undefined => (figures.has(label) ? f(figures.get(label)!) : undefined);
    const split = (l: HostLoad): string => `host ${l.hostPercent.toFixed(1)} % ${l.hostRssMb.toFixed(0)} MB, ${l.children} children ${l.childPercent.toFixed(1)} %`;
    const notes = (f: (h: HostFigures) => HostLoad): string => [...figures].map(([label, h]) => `${label}: ${split(f(h))}`).join('; ');
    const row = (what: string, f: (h: HostFigures) => number, peerValue: number | undefined, peerText: string, goal: (v: number) => string, digits = 1, note = ''): string[] => {
      const after = get('after', f)!;
      return [what, fmt(get('before', f), digits), fmt(after, digits), peerText, peerValue ? (after / peerValue).toFixed(2) : '', goal(after), note];
    };
    const cpu = (l: HostLoad): number => l.hostPercent + l.childPercent;
    const ffmpegText = `ffmpeg RTP bridge, 1 target: ${peer.cpu.toFixed(1)} %, ${peer.rss.toFixed(0)} MB`;
    return [
      row(`CPU in the first ${IDLE_AFTER_LISTEN_S} s after listening, idle, CPU s`, (h) => h.idleAfterListenS, undefined, '—', () => 'the cost moved out of the first publish', 2),
      row('first publish after start, extra CPU s', (h) => h.firstPublishExtraS, undefined, 'a second publish', (v) => verdict(v, 0.3, ' s'), 2),
      row('WebRTC receive, 0 targets, CPU %', (h) => cpu(h.idle), peer.cpu, ffmpegText, (v) => (v <= 0.5 * peer.cpu ? 'met (≤ 0.5× peer)' : `missed: ${(v / peer.cpu).toFixed(2)}× (goal ≤ 0.5×)`), 1, notes((h) => h.idle)),
      row(`relay, ${TARGETS} targets, CPU %`, (h) => cpu(h.loaded), peer.cpu, ffmpegText, (v) => (v <= peer.cpu ? 'met (≤ 1.0× peer)' : `missed: ${(v / peer.cpu).toFixed(2)}× (goal ≤ 1.0×)`), 1, notes((h) => h.loaded)),
      row('host + children RSS MB, 1 stream, 0 targets', (h) => h.idle.rssMb, peer.rss, ffmpegText, (v) => verdict(v, 90, ' MB'), 0),
      row(`host + children RSS MB, 1 stream, ${TARGETS} targets`, (h) => h.loaded.rssMb, peer.rss, ffmpegText, (v) => verdict(v, 120, ' MB'), 0),
    ];
  } finally {
    await browser.close().catch(() => undefined);
    await nginx.stop();
  }
}

const MEMORY_RUNS = Number(process.env.GOALS_MEMORY_RUNS ?? 3);
const SNAPSHOTS = process.env.GOALS_SNAPSHOTS;

/** Starts TARGETS transponders of `stream` to nginx and waits until all publish. */
async function startTargets(base: string, stream: string, nginx: NginxRtmp, prefix: string): Promise<void> {
  const startup = (i: number): Promise<unknown> => restPost(base, '/rest-api/push/startup', { streamName: stream, rtmpUrl: `${nginx.url()}/${prefix}_${i}`, rtmpTransponderFullUrl: true });
  await waitFor('the stream to take a transponder', () => startup(0).then(() => true, () => false), 10_000, 250);
  for (let i = 1; i < TARGETS; i++) await startup(i);
  await waitFor(
    `${TARGETS} transponders PUBLISHING`,
    () =>
      fetch(`${base}/rest-api/push/find_all`)
        .then((res) => res.json() as Promise<{ status: string }[]>)
        .then((l) => l.length === TARGETS && l.every((t) => t.status === 'PUBLISHING'))
        .catch(() => false),
    30_000,
    200,
  );
}

/** One host: a Chromium publish, its memory with 0 targets and then with TARGETS, after a WINDOW_S each. */
async function memoryRun(b: Build, browser: Browser, nginx: NginxRtmp, dir: string, run: number): Promise<{ load: HostLoad; memory: HostMemory }[]> {
  const data = join(dir, `memory-${b.label}`);
  const probeDir = SNAPSHOTS ? join(SNAPSHOTS, `${b.label}-${run}`) : mkdtempSync(join(dir, 'probe-'));
  mkdirSync(probeDir, { recursive: true });
  await (await startHost(data, b.extraFlags, b.cli)).stop();
  const host = await startHost(data, [...memoryProbeFlags(probeDir, Boolean(SNAPSHOTS)), ...b.extraFlags], b.cli);
  const pid = host.child.pid!;
  const page = await browser.newPage();
  try {
    await page.goto(`${host.base}/openapi.json`);
    const publication = await publishWhip(page, `${host.base}/whip/memory`, VIDEO);
    await new Promise((r) => setTimeout(r, 3000));
    const idle = { load: await measureHost(pid, WINDOW_S), memory: await probeMemory(pid, probeDir, 1) };
    await startTargets(host.base, 'memory', nginx, `memory_${b.label}_${run}`);
    await new Promise((r) => setTimeout(r, 3000));
    const loaded = { load: await measureHost(pid, WINDOW_S), memory: await probeMemory(pid, probeDir, 2) };
    await publication.stop();
    return [idle, loaded];
  } finally {
    await page.close().catch(() => undefined);
    await host.stop();
  }
}

async function memoryRows(list: Build[], dir: string): Promise<string[][]> {
  const y4m = await cachedY4m();
  const nginx = await startNginxRtmp();
  const browser = await launchChromium({ fps: VIDEO.fps, extraArgs: [`--use-file-for-fake-video-capture=${y4m}`] });
  const rows: string[][] = [];
  try {
    for (let run = 1; run <= MEMORY_RUNS; run++) {
      for (const b of list) {
        const figures = await memoryRun(b, browser, nginx, dir, run);
        figures.forEach(({ load, memory: m }, i) => {
          const load1 = readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!;
          const mb = [load.rssMb, load.hostRssMb, m.rss, m.heapTotal, m.heapUsed, m.external, m.arrayBuffers, m.anonymous, m.fileBacked].map((v) => v.toFixed(1));
          rows.push([`${b.label} run ${run}, ${i === 0 ? 0 : TARGETS} targets`, ...mb, String(m.threads), `${load.hostPercent.toFixed(1)} % (load ${load1})`]);
        });
      }
    }
  } finally {
    await browser.close().catch(() => undefined);
    await nginx.stop();
  }
  return rows;
}

async function pushRows(list: Build[], dir: string): Promise<string[][]> {
  const clip60 = await cachedClip();
  const clip20 = join(dir, 'clip-20s.flv');
  await timed(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-i', clip60, '-t', '20', '-c', 'copy', '-f', 'flv', clip20], dir);
  const nginx = await startNginxRtmp();
  const rows: string[][] = [];
  try {
    for (const [seconds, clip] of [[20, clip20], [60, clip60]] as const) {
      const cpu = new Map<string, number[]>([...list.map((b) => [b.label, []] as [string, number[]]), ['ffmpeg', []]]);
      for (let i = 0; i < PUSH_RUNS; i++) {
        for (const b of list) {
          const name = `push_${b.label}_${seconds}_${i}`;
          cpu.get(b.label)!.push((await timed(process.execPath, [...nodeFlagsOf(b.cli), ...b.extraFlags, b.cli, 'push', clip, nginx.url(), '--stream-name', name, '--no-pace'], dir)).cpuS);
        }
        cpu.get('ffmpeg')!.push((await timed(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-i', clip, '-c', 'copy', '-f', 'flv', `${nginx.url()}/push_ffmpeg_${seconds}_${i}`], dir)).cpuS);
      }
      const after = median(cpu.get('after')!);
      const peer = median(cpu.get('ffmpeg')!);
      const before = cpu.has('before') ? median(cpu.get('before')!) : undefined;
      const ratio = after / peer;
      rows.push([`castbridge push, ${seconds} s 1080p, CPU s`, fmt(before), fmt(after), `ffmpeg -c copy: ${fmt(peer)}`, ratio.toFixed(2), ratio <= 1 ? 'met (≤ 1.0×)' : `missed: ×${ratio.toFixed(2)} (${(after - peer).toFixed(2)} s more)`]);
    }
  } finally {
    await nginx.stop();
  }
  return rows;
}

export default async function goalsBench(): Promise<BenchResult[]> {
  const list = await builds();
  const dir = mkdtempSync(join(tmpdir(), 'castbridge-bench-goals-'));
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const before = BEFORE ? `; before = ${BEFORE}` : '';
  try {
    const rows: string[][] = [];
    if (PARTS.includes('start')) rows.push(...(await startRows(list, dir)));
    if (PARTS.includes('receive')) rows.push(...(await receiveRows(list, dir)));
    if (PARTS.includes('push')) rows.push(...(await pushRows(list, dir)));
    const tables: BenchResult[] = [];
    if (rows.length > 0) {
      tables.push({
        title: `fixed costs against the goals (load average at the start ${load}); "after/peer" is this build against the peer of the same run${before}`,
        columns: ['figure', 'before', 'after', 'peer (same run)', 'after/peer', 'goal', 'notes'],
        rows,
      });
    }
    if (PARTS.includes('memory')) {
      tables.push({
        title: `host memory, 1 stream, 0 and ${TARGETS} targets, MB (load average at the start ${load})${before}`,
        columns: ['host', 'tree RSS', 'host RSS', 'rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers', 'anonymous', 'file-backed', 'threads', 'host CPU'],
        rows: await memoryRows(list, dir),
      });
    }
    return tables;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
