// Churn: many REST startup/terminate cycles, then many WHIP publish/unpublish cycles, while a live stream
// goes on being pushed beside them. Every answer must be the documented one; after a forced GC the host's
// memory must be back near where it was after warm-up, and its descriptors and child processes back to
// their start values.
import { dirname } from 'node:path';
import type { Browser } from 'playwright-core';
import { removeDir, startNginxRtmp, type NginxRtmp } from '../test/helpers/servers.js';
import { Host, hostPage, launchBrowser, log, mb, publish, sleep, type Figure, type ScenarioResult } from './lib.js';
import { waitFor } from '../test/helpers/wait.js';

export interface ChurnOptions {
  cycles: number;
  whipCycles: number;
  warmup: number;
  /** Quiet time before the end sample (werift keeps a peer connection closed mid-DTLS-handshake ~33 s). */
  settleMs?: number;
}

interface Sample {
  label: string;
  rss: number;
  heap: number;
  fds: number;
  fdKinds: Record<string, number>;
  children: string[];
}

export interface ChurnDetail {
  /** Host log lines about streams or transponders ending or failing. */
  hostLog: string[];
  restCycles: number;
  whipCycles: number;
  /** Answers other than the documented ones, as "call → status body". */
  unexpected: string[];
  answers: Record<string, number>;
  samples: Sample[];
  liveReconnects: number;
  liveStatus: string;
  cycleMs: number[];
}

export async function runChurn(opts: ChurnOptions): Promise<ChurnDetail> {
  const host = new Host();
  let nginx: NginxRtmp | undefined;
  let browser: Browser | undefined;
  const d: ChurnDetail = { hostLog: [], restCycles: 0, whipCycles: 0, unexpected: [], answers: {}, samples: [], liveReconnects: -1, liveStatus: '', cycleMs: [] };
  const count = (key: string): void => void (d.answers[key] = (d.answers[key] ?? 0) + 1);
  const expect = (what: string, status: number, wanted: number, body: unknown): boolean => {
    count(`${what} ${status}`);
    if (status === wanted) return true;
    if (d.unexpected.length < 50) d.unexpected.push(`${what} → ${status} ${JSON.stringify(body).slice(0, 200)}`);
    return false;
  };
  try {
    [, nginx, browser] = await Promise.all([host.start({ inspect: true }), startNginxRtmp({ apps: ['live', 'churn'] }), launchBrowser()]);
    const page = await hostPage(browser, host.base);
    await publish(page, host.base, 'live');
    const live = await waitFor(
      'startup of the live transponder',
      async () => {
        const r = await host.rest('startup', { streamName: 'live', rtmpUrl: nginx!.url('live') });
        return r.status === 200 ? (r.body as { mediaSessionId: string }) : undefined;
      },
      30_000,
      250,
    );
    await waitFor('live PUBLISHING', async () => (await host.transponder(live.mediaSessionId))?.status === 'PUBLISHING', 30_000);

    const sample = async (label: string): Promise<void> => {
      await sleep(500);
      await host.gc();
      const fds = host.fds();
      d.samples.push({ label, rss: host.rss(), heap: await host.heapUsed(), fds: fds.total, fdKinds: fds.byKind, children: host.children() });
      log('churn', `${label}: RSS ${mb(d.samples.at(-1)!.rss)}, heap ${mb(d.samples.at(-1)!.heap)}, fds ${fds.total}, children ${d.samples.at(-1)!.children.length}`);
    };

    const restCycle = async (): Promise<void> => {
      const started = Date.now();
      const r = await host.rest('startup', { streamName: 'live', rtmpUrl: nginx!.url('churn') });
      if (!expect('startup', r.status, 200, r.body)) return;
      const t = r.body as { mediaSessionId: string; status: string };
      if (t.status !== 'CONNECTING' && t.status !== 'PUBLISHING' && d.unexpected.length < 50) d.unexpected.push(`startup status ${t.status}`);
      await waitFor('PUBLISHING', async () => (await host.transponder(t.mediaSessionId))?.status === 'PUBLISHING', 30_000, 20).catch((e: Error) => d.unexpected.push(e.message));
      const term = await host.rest('terminate', { mediaSessionId: t.mediaSessionId });
      expect('terminate', term.status, 200, term.body);
      const gone = await host.rest('find', { mediaSessionId: t.mediaSessionId });
      expect('find after terminate', gone.status, 404, gone.body);
      if (gone.status === 404 && typeof (gone.body as { error?: unknown }).error !== 'string') d.unexpected.push('404 without {"error"}');
      d.cycleMs.push(Date.now() - started);
      d.restCycles++;
    };

    const churnPage = await hostPage(browser, host.base);
    const whipCycle = async (i: number): Promise<void> => {
      const p = await publish(churnPage, host.base, `churn${i}`).catch((e: Error) => {
        d.unexpected.push(`WHIP POST: ${e.message.slice(0, 200)}`);
        return undefined;
      });
      count(p ? 'WHIP POST 201' : 'WHIP POST failed');
      if (!p) return;
      // the stream exists: a startup to it is answered (then ended)
      const r = await waitFor('the WHIP stream to be published', async () => {
        const a = await host.rest('startup', { streamName: `churn${i}`, rtmpUrl: nginx!.url('churn') });
        return a.status === 404 ? undefined : a;
      }, 20_000, 100).catch(() => undefined);
      if (r && expect('startup on the WHIP stream', r.status, 200, r.body)) {
        const term = await host.rest('terminate', { mediaSessionId: (r.body as { mediaSessionId: string }).mediaSessionId });
        expect('terminate', term.status, 200, term.body);
      }
      const status = await p.stop();
      expect('WHIP DELETE', status, 200, '');
      if (i % 10 === 0) {
        const again = await fetch(new URL(p.location, host.base), { method: 'DELETE' });
        expect('WHIP DELETE again', again.status, 404, await again.text());
      }
      d.whipCycles++;
    };

    for (let i = 0; i < opts.warmup; i++) await restCycle();
    for (let i = 0; i < Math.min(10, opts.warmup); i++) await whipCycle(-1 - i);
    d.restCycles = 0;
    d.whipCycles = 0;
    d.cycleMs = [];
    await sample('after warm-up');
    for (let i = 1; i <= opts.cycles; i++) {
      await restCycle();
      if (i % Math.max(1, Math.floor(opts.cycles / 10)) === 0) await sample(`startup/terminate ${i}`);
    }
    for (let i = 1; i <= opts.whipCycles; i++) {
      await whipCycle(i);
      if (i % Math.max(1, Math.floor(opts.whipCycles / 4)) === 0) await sample(`WHIP ${i}`);
    }
    await churnPage.close();
    await sleep(opts.settleMs ?? 3000);
    await sample('end');
    const liveNow = await host.transponder(live.mediaSessionId);
    d.liveStatus = liveNow?.status ?? 'GONE';
    d.liveReconnects = liveNow?.stats.reconnects ?? -1;
    await host.rest('terminate', { mediaSessionId: live.mediaSessionId });
  } finally {
    d.hostLog = host.logLines(/ingest\.closed|stream_end|transponder.failed|transponder.crash|uncaught|unhandled/).filter((l) => !l.includes('reason=STOPPED_BY_PUBLISHER_STOP')).slice(-8);
    await browser?.close().catch(() => undefined);
    await host.stop();
    await nginx?.stop().catch(() => undefined);
    if (nginx && !process.env.CASTBRIDGE_SOAK_KEEP) removeDir(dirname(nginx.recordDir));
  }
  return d;
}

export function churnFigures(d: ChurnDetail, opts: ChurnOptions): Figure[] {
  const s = 'churn';
  const first = d.samples[0];
  const last = d.samples.at(-1);
  const restEnd = [...d.samples].reverse().find((x) => x.label.startsWith('startup/terminate')) ?? last;
  const growth = first && last ? last.rss - first.rss : NaN;
  const restGrowth = first && restEnd ? restEnd.rss - first.rss : NaN;
  const heapGrowth = first && last ? last.heap - first.heap : NaN;
  const kinds = (x?: Sample): string => (x ? Object.entries(x.fdKinds).map(([k, n]) => `${k} ${n}`).join(', ') : '');
  const sorted = [...d.cycleMs].sort((a, b) => a - b);
  return [
    { scenario: s, figure: 'REST startup/terminate cycles done', value: `${d.restCycles}/${opts.cycles}`, goal: String(opts.cycles), ok: d.restCycles === opts.cycles },
    { scenario: s, figure: 'WHIP publish/unpublish cycles done', value: `${d.whipCycles}/${opts.whipCycles}`, goal: String(opts.whipCycles), ok: d.whipCycles === opts.whipCycles },
    { scenario: s, figure: 'answers other than documented', value: String(d.unexpected.length), goal: '0', ok: d.unexpected.length === 0 },
    { scenario: s, figure: 'startup → PUBLISHING → terminate → 404, median / max', value: `${sorted[Math.floor(sorted.length / 2)]} / ${sorted.at(-1)} ms`, goal: '–', ok: undefined },
    { scenario: s, figure: 'host RSS after GC: warm-up → after REST cycles → end', value: `${mb(first?.rss ?? 0)} → ${mb(restEnd?.rss ?? 0)} → ${mb(last?.rss ?? 0)}`, goal: '–', ok: undefined },
    { scenario: s, figure: 'host RSS growth after GC (REST cycles / all)', value: `${mb(restGrowth)} / ${mb(growth)}`, goal: '< 2 MB', ok: growth < 2 * 1024 * 1024 },
    { scenario: s, figure: 'host JS heap after GC: warm-up → end', value: `${mb(first?.heap ?? 0)} → ${mb(last?.heap ?? 0)} (${mb(heapGrowth)})`, goal: '–', ok: undefined },
    { scenario: s, figure: 'host descriptors: warm-up → end', value: `${first?.fds} (${kinds(first)}) → ${last?.fds} (${kinds(last)})`, goal: 'back to start', ok: (last?.fds ?? Infinity) <= (first?.fds ?? 0) },
    { scenario: s, figure: 'child processes: warm-up → end', value: `${first?.children.length} → ${last?.children.length}`, goal: 'back to start', ok: (last?.children.length ?? Infinity) <= (first?.children.length ?? 0) },
    { scenario: s, figure: 'live stream beside: status, reconnects', value: `${d.liveStatus}, ${d.liveReconnects}`, goal: 'PUBLISHING, 0', ok: d.liveStatus === 'PUBLISHING' && d.liveReconnects === 0 },
  ];
}

export default async function churn(args: Record<string, string>): Promise<ScenarioResult> {
  const opts: ChurnOptions = { cycles: Number(args.cycles ?? 1000), whipCycles: Number(args['whip-cycles'] ?? 200), warmup: Number(args.warmup ?? 50), settleMs: Number(args['settle-ms'] ?? 3000) };
  const started = Date.now();
  const d = await runChurn(opts);
  const notes = [
    `churn: answers seen: ${Object.entries(d.answers).map(([k, n]) => `${k} ×${n}`).join(', ')}`,
    `churn: RSS/heap samples after GC: ${d.samples.map((x) => `${x.label} ${mb(x.rss)}/${mb(x.heap)}`).join('; ')}`,
    ...d.unexpected.slice(0, 10).map((u) => `churn: unexpected: ${u}`),
    ...d.hostLog.map((l) => `churn: host log: ${l}`),
  ];
  return { figures: churnFigures(d, opts), scale: `${opts.warmup} warm-up + ${opts.cycles} REST startup/terminate cycles, then ${opts.whipCycles} WHIP publish/unpublish cycles, beside a live push; ${((Date.now() - started) / 60000).toFixed(1)} min`, notes };
}
