// Long run and drift: one stream to two nginx-rtmp targets for minutes (or hours). Chromium publishes a
// canvas that flashes white exactly when a WebAudio beep starts; at the server, each recording is checked
// for the A/V offset of those marks over the whole run, timestamp order, audio continuity, keyframe
// cadence and a steady bitrate.
import { dirname } from 'node:path';
import type { Browser } from 'playwright-core';
import { removeDir, startNginxRtmp, type NginxRtmp } from '../test/helpers/servers.js';
import { avMarks, summarizeOffsets, timing, type MarkReport, type TimingReport } from './analyze.js';
import { Host, hostPage, launchBrowser, log, mb, publish, publisherLags, quantile, sleep, type Figure, type ScenarioResult } from './lib.js';
import { waitFor } from '../test/helpers/wait.js';

export interface DriftOptions {
  durationMs: number;
  markPeriodMs: number;
  targets: number;
}

export interface DriftDetail {
  /** Host log lines about streams or transponders ending or failing. */
  hostLog: string[];
  recordings: { timing: TimingReport; marks: MarkReport }[];
  /** Statuses other than PUBLISHING seen while the run lasted. */
  interruptions: string[];
  rss: number[];
  /** How late the publisher drew each flash after its beep (ms): its own share of the offsets. */
  publisherLagsMs: number[];
  /** FIRs the ingest sent: PLIs the publisher left unanswered for 500 ms. */
  firs: number;
}

export async function runDrift(opts: DriftOptions): Promise<DriftDetail> {
  const host = new Host();
  const targets: NginxRtmp[] = [];
  let browser: Browser | undefined;
  const d: DriftDetail = { hostLog: [], recordings: [], interruptions: [], rss: [], publisherLagsMs: [], firs: 0 };
  try {
    let servers: NginxRtmp[];
    [, browser, ...servers] = await Promise.all([host.start(), launchBrowser(), ...Array.from({ length: opts.targets }, () => startNginxRtmp())]);
    targets.push(...servers);
    const page = await hostPage(browser, host.base);
    await publish(page, host.base, 'marks', { source: 'marks', markPeriodMs: opts.markPeriodMs });
    const ids: string[] = [];
    for (const target of targets) {
      const t = await waitFor(
        'startup',
        async () => {
          const r = await host.rest('startup', { streamName: 'marks', rtmpUrl: target.url() });
          if (r.status === 404) return undefined;
          if (r.status !== 200) throw new Error(`startup ${r.status} ${JSON.stringify(r.body)}`);
          return r.body as { mediaSessionId: string };
        },
        30_000,
        250,
      );
      ids.push(t.mediaSessionId);
    }
    for (const id of ids) await waitFor('PUBLISHING', async () => (await host.transponder(id))?.status === 'PUBLISHING', 30_000);
    const end = Date.now() + opts.durationMs;
    let lastLog = Date.now();
    while (Date.now() < end) {
      await sleep(Math.min(2000, end - Date.now()));
      for (const id of ids) {
        const t = await host.transponder(id);
        if (t?.status !== 'PUBLISHING') d.interruptions.push(`${new Date().toISOString()} ${id}: ${t?.status} ${t?.info ?? ''}`);
      }
      if (Date.now() - lastLog > 60_000) {
        lastLog = Date.now();
        d.rss.push(host.rss());
        log('drift', `${Math.round((opts.durationMs - (end - Date.now())) / 60000)} min, host RSS ${mb(host.rss())}`);
      }
    }
    d.publisherLagsMs = await publisherLags(page);
    d.firs = host.events.get('ingest.fir') ?? 0;
    for (const id of ids) await host.rest('terminate', { mediaSessionId: id });
    await Promise.all(targets.map((t) => t.stop())); // finalizes the recordings
    for (const target of targets) {
      const [file] = target.recordings();
      if (!file) throw new Error(`no recording at ${target.url()}`);
      d.recordings.push({ timing: timing(file), marks: await avMarks(file, opts.markPeriodMs) });
    }
  } finally {
    d.hostLog = host.logLines(/ingest\.closed|stream_end|transponder.failed|transponder.crash|uncaught|unhandled/).filter((l) => !l.includes('reason=STOPPED_BY_PUBLISHER_STOP')).slice(-8);
    await browser?.close().catch(() => undefined);
    await host.stop();
    for (const t of targets) {
      await t.stop().catch(() => undefined);
      if (!process.env.CASTBRIDGE_SOAK_KEEP) removeDir(dirname(t.recordDir));
    }
  }
  return d;
}

export function driftFigures(d: DriftDetail, opts: DriftOptions): Figure[] {
  const s = 'drift';
  const figures: Figure[] = [];
  d.recordings.forEach(({ timing: t, marks }, i) => {
    const target = `target ${i + 1}`;
    const o = summarizeOffsets(marks);
    const expectedMarks = Math.floor((t.durationS * 1000) / opts.markPeriodMs);
    // the cadence once both targets publish (each start brings a keyframe of its own)
    const keys = t.keyframeIntervalsS.filter((_, k) => t.keyframeTimesS[k]! - (t.keyframeTimesS[0] ?? 0) >= 10);
    const keyMin = keys.length ? Math.min(...keys) : NaN;
    const keyMax = keys.length ? Math.max(...keys) : NaN;
    const rates = t.bitrateKbps.slice(1); // the first window holds the start-up ramp
    const mean = rates.reduce((a, b) => a + b, 0) / Math.max(1, rates.length);
    const spread = rates.length ? (Math.max(...rates) - Math.min(...rates)) / mean : NaN;
    figures.push(
      { scenario: s, figure: `${target}: recorded`, value: `${(t.durationS / 60).toFixed(1)} min, ${t.videoFrames} video / ${t.audioFrames} audio frames`, goal: `${(opts.durationMs / 60000).toFixed(1)} min`, ok: t.durationS * 1000 >= opts.durationMs * 0.95 },
      {
        scenario: s,
        figure: `${target}: A/V offset of marks (picture − sound) median [p5, p95] max|·|`,
        value: `${o.median} [${o.p05}, ${o.p95}] ${o.maxAbs} ms over ${marks.offsetsMs.length}/${expectedMarks} marks`,
        goal: '±40 ms throughout',
        ok: marks.offsetsMs.length >= expectedMarks * 0.9 && o.maxAbs <= 40,
      },
      { scenario: s, figure: `${target}: A/V offset first minute → last minute (median)`, value: `${o.firstMinute} → ${o.lastMinute} ms`, goal: 'no drift', ok: Math.abs(o.lastMinute - o.firstMinute) <= 20 },
      { scenario: s, figure: `${target}: timestamp regressions video / audio; repeated video timestamps`, value: `${t.videoRegressions} / ${t.audioRegressions}; ${t.videoRepeats}`, goal: '0 / 0; 0', ok: t.videoRegressions + t.audioRegressions + t.videoRepeats === 0 },
      { scenario: s, figure: `${target}: audio gaps (> 2 AAC frames), largest step`, value: `${t.audioGaps}, ${t.maxAudioStepMs} ms`, goal: '0', ok: t.audioGaps === 0 },
      { scenario: s, figure: `${target}: keyframe interval min / median / max`, value: `${keyMin.toFixed(2)} / ${quantile(keys, 0.5).toFixed(2)} / ${keyMax.toFixed(2)} s`, goal: '2.0 ± 0.1 s', ok: keyMin >= 1.9 && keyMax <= 2.1 },
      { scenario: s, figure: `${target}: bitrate per 10 s, mean (max−min)/mean`, value: `${mean.toFixed(0)} kb/s, ${(spread * 100).toFixed(0)} %`, goal: 'steady', ok: undefined },
    );
  });
  const lags = d.publisherLagsMs;
  figures.push({
    scenario: s,
    figure: 'publisher: flash drawn after its beep, median / p95 / max',
    value: `${quantile(lags, 0.5)} / ${quantile(lags, 0.95)} / ${lags.length ? Math.max(...lags) : NaN} ms`,
    goal: '(publisher share of the offset)',
    ok: undefined,
  });
  figures.push({ scenario: s, figure: 'ingest: keyframe requests unanswered after 500 ms (FIR sent)', value: String(d.firs), goal: '–', ok: undefined });
  figures.push({ scenario: s, figure: 'transponders seen not PUBLISHING (2 s polls)', value: String(d.interruptions.length), goal: '0', ok: d.interruptions.length === 0 });
  if (d.rss.length >= 2) figures.push({ scenario: s, figure: 'host RSS, minute 1 → end', value: `${mb(d.rss[0]!)} → ${mb(d.rss.at(-1)!)}`, goal: 'flat', ok: undefined });
  return figures;
}

export default async function drift(args: Record<string, string>): Promise<ScenarioResult> {
  const minutes = args.hours ? Number(args.hours) * 60 : Number(args.minutes ?? 10);
  if (!(minutes > 0)) throw new Error(`--minutes/--hours must be a positive number, got ${args.minutes ?? args.hours}`);
  const opts: DriftOptions = { durationMs: minutes * 60_000, markPeriodMs: 1000, targets: 2 };
  const d = await runDrift(opts);
  const notes = [...d.interruptions.slice(0, 5).map((i) => `drift: ${i}`), ...d.hostLog.map((l) => `drift: host log: ${l}`)];
  return { figures: driftFigures(d, opts), scale: `one marked stream (flash + beep every ${opts.markPeriodMs} ms) to ${opts.targets} nginx-rtmp targets for ${minutes} min`, notes };
}
