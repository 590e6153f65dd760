// Target restarts: nginx-rtmp SIGKILLed and restarted on the same port N times while a transponder pushes
// Chromium's stream to it, after a random downtime. Every restart must end with the transponder
// PUBLISHING again, every recording must open with the sequence headers and a keyframe, the reconnect
// delays must follow the designed backoff (1 s doubling, a little jitter), and the host's memory and
// descriptors must stay flat.
import { dirname } from 'node:path';
import type { Browser } from 'playwright-core';
import { mulberry32 } from '../test/helpers/prng.js';
import { freePort, removeDir, startNginxRtmp, type NginxRtmp } from '../test/helpers/servers.js';
import { checkRecordingStart, heapGrowth, Host, hostPage, launchBrowser, log, mb, publish, quantile, readRecording, sleep, type Figure, type ScenarioResult } from './lib.js';
import { waitFor } from '../test/helpers/wait.js';

export interface RestartOptions {
  restarts: number;
  minDowntimeMs: number;
  maxDowntimeMs: number;
  seed: number;
  /** Heap snapshots after the first reconnect and at the end, to name what grew (they inflate the RSS
   *  figures and pause the host for seconds, so they are off unless asked for). */
  heapSnapshots?: boolean;
}

export const RESTART_DEFAULTS: RestartOptions = { restarts: 100, minDowntimeMs: 200, maxDowntimeMs: 10_000, seed: 0x7e57 };

/** Designed reconnect delay before attempt n (1 s doubling to 30 s), docs/DESIGN.md §3. */
const designedDelayMs = (attempt: number): number => Math.min(30_000, 1000 * 2 ** (attempt - 1));

/** How long the stream runs to the target between restarts (a keyframe plus frames reach the recording). */
const RUN_BETWEEN_MS = 2500;

export interface RestartDetail {
  /** Host log lines about streams or transponders ending or failing. */
  hostLog: string[];
  resumed: number;
  restarts: number;
  recordingsOk: number;
  recordingsTotal: number;
  badRecordings: string[];
  resumeMs: number[];
  detectMs: number[];
  /** [attempt, observed delay ms] pairs. */
  delays: [number, number][];
  reconnectsCounted: number;
  rss: number[];
  fds: number[];
  heap: number[];
  /** Constructors whose live objects grew most from the first to the last sample. */
  heapGrowth: string[];
}

async function startOnPort(port: number): Promise<NginxRtmp> {
  for (let tries = 0; ; tries++) {
    try {
      return await startNginxRtmp({ port });
    } catch (error) {
      if (tries >= 10) throw error;
      await sleep(300); // the port may still be held for a moment
    }
  }
}

export async function runRestart(opts: RestartOptions): Promise<RestartDetail> {
  const next = mulberry32(opts.seed);
  const host = new Host();
  const instances: NginxRtmp[] = [];
  let browser: Browser | undefined;
  const d: RestartDetail = { hostLog: [], resumed: 0, restarts: opts.restarts, recordingsOk: 0, recordingsTotal: 0, badRecordings: [], resumeMs: [], detectMs: [], delays: [], reconnectsCounted: 0, rss: [], fds: [], heap: [], heapGrowth: [] };
  try {
    const port = await freePort();
    [, browser] = await Promise.all([host.start({ inspect: true }), launchBrowser()]);
    instances.push(await startOnPort(port));
    const page = await hostPage(browser, host.base);
    await publish(page, host.base, 'cam');
    const start = await waitFor(
      'startup to find the published stream',
      async () => {
        const r = await host.rest('startup', { streamName: 'cam', rtmpUrl: `rtmp://127.0.0.1:${port}/live` });
        return r.status === 200 ? (r.body as { mediaSessionId: string }) : r.status === 404 ? undefined : Promise.reject(new Error(`startup ${r.status} ${JSON.stringify(r.body)}`));
      },
      30_000,
      250,
    );
    const id = start.mediaSessionId;
    const status = async (): Promise<string> => (await host.transponder(id))?.status ?? 'GONE';
    await waitFor('PUBLISHING', async () => (await status()) === 'PUBLISHING', 30_000);
    let firstCounts: Awaited<ReturnType<Host['heapCounts']>> | undefined;
    const sample = async (): Promise<void> => {
      await host.gc();
      d.rss.push(host.rss());
      d.heap.push(await host.heapUsed());
      d.fds.push(host.fds().total);
      if (opts.heapSnapshots && !firstCounts && d.rss.length === 2) firstCounts = await host.heapCounts(); // after one reconnect
    };
    for (let i = 1; i <= opts.restarts; i++) {
      await sleep(RUN_BETWEEN_MS);
      if (i === 1 || i % (opts.restarts <= 20 ? 1 : 10) === 0) await sample();
      const killedAt = Date.now();
      await instances.at(-1)!.kill();
      const downtime = opts.minDowntimeMs + next() * (opts.maxDowntimeMs - opts.minDowntimeMs);
      // watch the reconnecting transponder: when it noticed, and each attempt with its next try
      const firstSeen = new Map<number, { at: number; nextRetryAt: number }>();
      let detectedAt = 0;
      const watch = async (untilMs: number, stopWhenPublishing: boolean): Promise<boolean> => {
        while (Date.now() < untilMs) {
          const t = await host.transponder(id);
          if (!t) throw new Error('the transponder vanished');
          if (t.status === 'RECONNECTING' && !detectedAt) detectedAt = Date.now();
          if (t.status === 'FAILED') throw new Error(`FAILED: ${t.info}`);
          if (t.status === 'RECONNECTING' && t.stats.attempt && t.stats.nextRetryAt && !firstSeen.has(t.stats.attempt)) {
            firstSeen.set(t.stats.attempt, { at: Date.now(), nextRetryAt: t.stats.nextRetryAt });
          }
          if (stopWhenPublishing && t.status === 'PUBLISHING') return true;
          await sleep(50);
        }
        return false;
      };
      await watch(killedAt + downtime, false);
      const restartedAt = Date.now();
      instances.push(await startOnPort(port));
      const back = await watch(restartedAt + 60_000, true);
      if (back) {
        d.resumed++;
        d.resumeMs.push(Date.now() - restartedAt);
      }
      if (detectedAt) d.detectMs.push(detectedAt - killedAt);
      // The wait announced with attempt n: its nextRetryAt minus when it was first seen (≤ 50 ms late).
      for (const [attempt, seen] of firstSeen) if (attempt >= 1) d.delays.push([attempt, seen.nextRetryAt - seen.at]);
      log('restart', `#${i}: down ${(downtime / 1000).toFixed(1)} s, ${back ? `PUBLISHING ${Date.now() - restartedAt} ms after the restart` : 'NOT resumed'}, attempts ${[...firstSeen.keys()].join(',')}`);
      if (!back) break;
    }
    await sleep(RUN_BETWEEN_MS);
    await sample();
    if (firstCounts) d.heapGrowth = heapGrowth(firstCounts, await host.heapCounts());
    const final = await host.transponder(id);
    d.reconnectsCounted = final?.stats.reconnects ?? -1;
    await sleep(RUN_BETWEEN_MS);
    await host.rest('terminate', { mediaSessionId: id });
    await instances.at(-1)!.stop();
    // every nginx instance after the first recorded one publish that started after a reconnect
    for (const [n, nginx] of instances.entries()) {
      for (const file of nginx.recordings()) {
        d.recordingsTotal++;
        const check = checkRecordingStart(readRecording(file));
        if (check.ok) d.recordingsOk++;
        else d.badRecordings.push(`instance ${n}: ${check.why}`);
      }
    }
  } finally {
    d.hostLog = host.logLines(/ingest\.closed|stream_end|transponder.failed|transponder.crash|uncaught|unhandled/).filter((l) => !l.includes('reason=STOPPED_BY_PUBLISHER_STOP')).slice(-8);
    await browser?.close().catch(() => undefined);
    await host.stop();
    for (const nginx of instances) {
      await nginx.stop().catch(() => undefined);
      if (!process.env.CASTBRIDGE_SOAK_KEEP) removeDir(dirname(nginx.recordDir));
    }
  }
  return d;
}

export function restartFigures(d: RestartDetail): Figure[] {
  const s = 'restart';
  const byAttempt = new Map<number, number[]>();
  for (const [a, ms] of d.delays) byAttempt.set(a, [...(byAttempt.get(a) ?? []), ms]);
  const backoff = [...byAttempt].sort((a, b) => a[0] - b[0]).map(([a, ms]) => ({ a, median: quantile(ms, 0.5), n: ms.length }));
  // attempt n (RECONNECTING) announces its wait: designedDelayMs(n) with a little jitter
  const backoffOk = backoff.every(({ a, median }) => Math.abs(median - designedDelayMs(a)) <= 0.3 * designedDelayMs(a) + 200);
  const growth = (xs: number[]): number => (xs.length >= 2 ? xs.at(-1)! - xs[0]! : NaN);
  return [
    { scenario: s, figure: 'restarts resumed (PUBLISHING again)', value: `${d.resumed}/${d.restarts}`, goal: `${d.restarts}/${d.restarts}`, ok: d.resumed === d.restarts },
    { scenario: s, figure: 'recordings opening with sequence headers + keyframe', value: `${d.recordingsOk}/${d.recordingsTotal}`, goal: 'all', ok: d.recordingsOk === d.recordingsTotal && d.recordingsTotal >= d.restarts },
    { scenario: s, figure: 'reconnects counted by the transponder', value: String(d.reconnectsCounted), goal: String(d.restarts), ok: d.reconnectsCounted === d.restarts },
    { scenario: s, figure: 'drop noticed after SIGKILL p50 / max', value: `${quantile(d.detectMs, 0.5)} / ${Math.max(...d.detectMs)} ms`, goal: '–', ok: undefined },
    { scenario: s, figure: 'PUBLISHING after the restart p50 / p95 / max', value: `${(quantile(d.resumeMs, 0.5) / 1000).toFixed(1)} / ${(quantile(d.resumeMs, 0.95) / 1000).toFixed(1)} / ${(Math.max(...d.resumeMs) / 1000).toFixed(1)} s`, goal: '≤ next backoff step', ok: undefined },
    {
      scenario: s,
      figure: 'backoff: median wait announced per attempt',
      value: backoff.map(({ a, median, n }) => `#${a}→${(median / 1000).toFixed(1)}s(${n})`).join(' '),
      goal: '1,2,4,8… s (1 s doubling, jitter)',
      ok: backoff.length ? backoffOk : undefined,
    },
    { scenario: s, figure: 'host RSS after GC, first → last sample', value: `${mb(d.rss[0] ?? 0)} → ${mb(d.rss.at(-1) ?? 0)} (${growth(d.rss) >= 0 ? '+' : ''}${mb(growth(d.rss))})`, goal: '< +5 MB', ok: d.rss.length >= 2 ? growth(d.rss) < 5 * 1024 * 1024 : undefined },
    { scenario: s, figure: 'host JS heap after GC, first → last', value: `${mb(d.heap[0] ?? 0)} → ${mb(d.heap.at(-1) ?? 0)}`, goal: 'flat', ok: undefined },
    { scenario: s, figure: 'host open descriptors, first → last sample', value: `${d.fds[0]} → ${d.fds.at(-1)}`, goal: 'no growth', ok: (d.fds.at(-1) ?? 0) <= (d.fds[0] ?? 0) },
  ];
}

export default async function restart(args: Record<string, string>): Promise<ScenarioResult> {
  const opts: RestartOptions = {
    ...RESTART_DEFAULTS,
    restarts: Number(args.restarts ?? RESTART_DEFAULTS.restarts),
    maxDowntimeMs: Number(args['max-downtime-ms'] ?? RESTART_DEFAULTS.maxDowntimeMs),
    heapSnapshots: args['heap-snapshots'] === 'yes',
  };
  const started = Date.now();
  const d = await runRestart(opts);
  const notes = [
    `restart: host RSS / JS heap after GC at each sample: ${d.rss.map((r, k) => `${mb(r)}/${mb(d.heap[k] ?? 0)}`).join(', ')}`,
    ...(opts.heapSnapshots ? [`restart: live objects that grew most from the second sample to the end (heap snapshots): ${d.heapGrowth.join(', ') || '–'}`] : []),
    ...d.hostLog.map((l) => `restart: host log: ${l}`),
    ...(d.badRecordings.length ? [`restart: recordings that did not open right: ${d.badRecordings.slice(0, 10).join('; ')}`] : []),
  ];
  return { figures: restartFigures(d), scale: `${opts.restarts} SIGKILL restarts, downtime ${opts.minDowntimeMs / 1000}–${opts.maxDowntimeMs / 1000} s (seed ${opts.seed}), ${((Date.now() - started) / 60000).toFixed(1)} min`, notes };
}
