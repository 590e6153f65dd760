// Network faults on the WebRTC leg and on the RTMP leg: loss, jitter, reordering, a blackout, a bandwidth
// cap below the stream's bitrate; and a black-holed target. Each condition gets a transponder of its own
// whose recording is decoded with ffmpeg (errors must be zero: no damaged picture forwarded) and checked
// for audio continuity and keyframes.
//
// This machine's kernel has no netem (nor the gact action): `tc qdisc add … netem` answers "Specified
// qdisc kind is unknown". So the WebRTC leg's faults are made by a seeded UDP relay (udp-impair.ts) that
// every packet of the session crosses; the RTMP leg runs nginx-rtmp in a network namespace of ours behind
// our own veth pair, where the kernel's `tbf` caps the bandwidth and taking the namespace's end of the
// pair down makes a blackout or a black hole (packets silently dropped). Loss, jitter and reordering of
// the RTMP leg's TCP need netem and are not run here.
import { dirname } from 'node:path';
import type { Browser } from 'playwright-core';
import { removeDir, startNginxRtmp, type NginxRtmp } from '../test/helpers/servers.js';
import { timing } from './analyze.js';
import { decodeErrors, Host, hostPage, launchBrowser, log, publish, sleep, type Figure, type ScenarioResult } from './lib.js';
import { waitFor } from '../test/helpers/wait.js';
import { NetLink, NsNginx } from './netns.js';
import { answerViaRelay, firstUdpCandidate, UdpImpairer, type Impairment } from './udp-impair.js';

export type Leg = 'webrtc' | 'rtmp';

export interface Condition {
  /** Also the published stream name at the target. */
  id: string;
  label: string;
  /** The impairment for the whole condition (WebRTC leg). */
  impair: Impairment;
  /** A bandwidth cap at half the measured bitrate. */
  cap?: boolean;
  /** Instead: nothing passes for this long, in the middle of the condition. */
  blackoutMs?: number;
  /** The RTMP leg can make it here (a cap or a blackout; see the top of the file). */
  rtmp: boolean;
  /** Runs this many times the usual duration (a cap first fills the kernel's socket buffer, unseen). */
  durationFactor?: number;
}

export const CONDITIONS: Condition[] = [
  { id: 'loss1', label: '1 % loss', impair: { loss: 0.01 }, rtmp: false },
  { id: 'loss5', label: '5 % loss', impair: { loss: 0.05 }, rtmp: false },
  { id: 'loss10', label: '10 % loss', impair: { loss: 0.1 }, rtmp: false },
  { id: 'jitter', label: '100 ± 30 ms jitter', impair: { delayMs: 100, jitterMs: 30 }, rtmp: false },
  { id: 'reorder', label: 'reordering (75 % held 20 ms)', impair: { delayMs: 20, reorder: 0.25 }, rtmp: false },
  { id: 'blackout', label: '3 s blackout', impair: {}, blackoutMs: 3000, rtmp: true },
  { id: 'cap', label: 'bandwidth at 50 % of the bitrate', impair: {}, cap: true, rtmp: true, durationFactor: 3 },
];

export interface ConditionResult {
  leg: Leg;
  condition: Condition;
  seconds: number;
  decodeErrors: number;
  decodeSample: string[];
  audioGaps: number;
  maxAudioStepMs: number;
  keyframes: number;
  maxKeyframeGapS: number;
  videoFrames: number;
  /** Polls (every 500 ms) that saw the transponder other than PUBLISHING. */
  notPublishing: number;
  reconnects: number;
  droppedFrames: number;
  maxQueuedMs: number;
  bitrateBeforeKbps: number;
  capKbps?: number;
  /** Host log events during the condition: damaged pictures dropped at ingest, keyframe requests sent. */
  framesDroppedAtIngest: number;
  keyframeRequests: number;
  error?: string;
}

export interface BlackHoleResult {
  detectedMs: number | undefined;
  info: string;
  resumedMs: number | undefined;
}

interface LegSetup {
  host: Host;
  rtmpUrl(id: string): string;
  /** Applies a condition's impairment (capKbps for a cap), or removes it (undefined). */
  impair(condition: Condition | undefined, capKbps?: number): Promise<void>;
  /** Nothing passes while on. */
  blackout(on: boolean): Promise<void>;
  recordings(): string[];
  /** Stops everything (the recordings are then final). */
  stop(): Promise<void>;
  /** Removes the recordings. */
  removeFiles(): void;
}

async function setupLeg(leg: Leg, index: number): Promise<LegSetup> {
  const host = new Host();
  const cleanups: (() => Promise<unknown> | void)[] = [];
  const removals: string[] = [host.dataDir];
  try {
    await host.start();
    cleanups.unshift(() => host.stop());
    let browser: Browser;
    let setup: Omit<LegSetup, 'host' | 'stop' | 'removeFiles'>;
    let rewriteAnswer = false;
    if (leg === 'webrtc') {
      // Chromium's offer goes without candidates; the answer it gets names the impairing relay as the host's
      // only candidate, and the relay forwards to the host's real one.
      let relay: UdpImpairer | undefined;
      browser = await launchBrowser();
      cleanups.unshift(() => browser.close().catch(() => undefined));
      const nginx: NginxRtmp = await startNginxRtmp();
      cleanups.unshift(async () => {
        relay?.close();
        await nginx.stop();
      });
      removals.push(dirname(nginx.recordDir));
      rewriteAnswer = true;
      const page = await hostPage(browser, host.base);
      await page.exposeFunction('__whipRewriteAnswer', async (sdp: string) => {
        const target = firstUdpCandidate(sdp);
        relay = new UdpImpairer(target.ip, target, 0x1ee7 + index);
        await relay.start();
        return answerViaRelay(sdp, { ip: target.ip, port: relay.port });
      });
      await publish(page, host.base, 'cam', { rewriteAnswer });
      setup = {
        rtmpUrl: (id) => `${nginx.url()}/${id}`,
        recordings: () => nginx.recordings(),
        impair: async (c, capKbps) => relay!.set(c ? { ...c.impair, ...(c.cap ? { rateKbps: capKbps, queueMs: 200 } : {}) } : {}),
        blackout: async (on) => relay!.set(on ? { blackout: true } : {}),
      };
    } else {
      const link = new NetLink(index);
      await link.create();
      cleanups.unshift(() => link.remove());
      const nginx = new NsNginx(link);
      await nginx.start();
      cleanups.unshift(async () => {
        await nginx.stop();
      });
      removals.push(nginx.dir);
      browser = await launchBrowser();
      cleanups.unshift(() => browser.close().catch(() => undefined));
      const page = await hostPage(browser, host.base);
      await publish(page, host.base, 'cam');
      setup = {
        rtmpUrl: (id) => `${nginx.url()}/${id}`,
        recordings: () => nginx.recordings(),
        impair: async (c, capKbps) => {
          if (c?.cap) await link.shape(['tbf', 'rate', `${capKbps}kbit`, 'burst', '16kb', 'latency', '200ms']);
          else await link.shape([]);
        },
        blackout: (on) => link.setDown(on),
      };
    }
    let stopped = false;
    return {
      host,
      ...setup,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        for (const c of cleanups) await Promise.resolve(c()).catch(() => undefined);
      },
      removeFiles: () => {
        if (!process.env.CASTBRIDGE_SOAK_KEEP) removals.forEach(removeDir);
      },
    };
  } catch (error) {
    for (const c of cleanups) await Promise.resolve(c()).catch(() => undefined);
    removals.forEach(removeDir);
    throw error;
  }
}

async function runCondition(setup: LegSetup, leg: Leg, condition: Condition, seconds: number): Promise<ConditionResult> {
  const { host } = setup;
  const r: ConditionResult = {
    leg,
    condition,
    seconds,
    decodeErrors: 0,
    decodeSample: [],
    audioGaps: 0,
    maxAudioStepMs: 0,
    keyframes: 0,
    maxKeyframeGapS: 0,
    videoFrames: 0,
    notPublishing: 0,
    reconnects: 0,
    droppedFrames: 0,
    maxQueuedMs: 0,
    bitrateBeforeKbps: 0,
    framesDroppedAtIngest: 0,
    keyframeRequests: 0,
  };
  // 404 until the WHIP stream has started
  const start = await waitFor(
    'the published stream',
    async () => {
      const a = await host.rest('startup', { streamName: 'cam', rtmpUrl: setup.rtmpUrl(condition.id), rtmpTransponderFullUrl: true });
      return a.status === 404 ? undefined : a;
    },
    30_000,
    250,
  );
  if (start.status !== 200) throw new Error(`startup ${condition.id}: ${start.status} ${JSON.stringify(start.body)}`);
  const id = (start.body as { mediaSessionId: string }).mediaSessionId;
  await waitFor('PUBLISHING', async () => (await host.transponder(id))?.status === 'PUBLISHING', 30_000);
  await sleep(3000);
  r.bitrateBeforeKbps = (await host.transponder(id))?.stats.bitrateKbps ?? 0;
  const events = (name: string): number => host.events.get(name) ?? 0;
  const droppedBefore = events('ingest.frame_dropped');
  const firBefore = events('ingest.fir');
  if (condition.cap) r.capKbps = Math.max(64, Math.round(r.bitrateBeforeKbps * 0.5));
  await setup.impair(condition, r.capKbps);
  const end = Date.now() + seconds * 1000;
  const blackoutAt = condition.blackoutMs ? Date.now() + Math.max(0, (seconds * 1000 - condition.blackoutMs) / 2) : Infinity;
  let blackoutDone = false;
  while (Date.now() < end) {
    if (!blackoutDone && Date.now() >= blackoutAt) {
      blackoutDone = true;
      await setup.blackout(true);
      await sleep(condition.blackoutMs!);
      await setup.blackout(false);
    }
    const t = await host.transponder(id);
    if (t?.status !== 'PUBLISHING') r.notPublishing++;
    r.maxQueuedMs = Math.max(r.maxQueuedMs, t?.stats.queuedMs ?? 0);
    await sleep(500);
  }
  await setup.impair(undefined);
  // after the fault: let a keyframe through so the recording's end is clean
  await sleep(3000);
  const t = await host.transponder(id);
  r.droppedFrames = t?.stats.droppedFrames ?? -1;
  r.reconnects = t?.stats.reconnects ?? -1;
  r.framesDroppedAtIngest = events('ingest.frame_dropped') - droppedBefore;
  r.keyframeRequests = events('ingest.fir') - firBefore;
  await host.rest('terminate', { mediaSessionId: id });
  return r;
}

async function analyzeRecordings(setup: LegSetup, results: ConditionResult[]): Promise<void> {
  for (const r of results) {
    const files = setup.recordings().filter((f) => f.split('/').pop()!.startsWith(`${r.condition.id}-`));
    if (files.length === 0) {
      r.error = 'no recording';
      continue;
    }
    for (const file of files) {
      const errors = await decodeErrors(file);
      r.decodeErrors += errors.count;
      r.decodeSample.push(...errors.sample);
      const t = timing(file);
      r.audioGaps += t.audioGaps;
      r.maxAudioStepMs = Math.max(r.maxAudioStepMs, t.maxAudioStepMs);
      r.keyframes += t.keyframeIntervalsS.length + 1;
      r.maxKeyframeGapS = Math.max(r.maxKeyframeGapS, ...t.keyframeIntervalsS);
      r.videoFrames += t.videoFrames;
    }
  }
}

/** A target that silently drops every packet: how long until the transponder gives the connection up. */
async function blackHole(setup: LegSetup): Promise<BlackHoleResult> {
  const { host } = setup;
  const start = await host.rest('startup', { streamName: 'cam', rtmpUrl: setup.rtmpUrl('blackhole'), rtmpTransponderFullUrl: true });
  const id = (start.body as { mediaSessionId: string }).mediaSessionId;
  await waitFor('PUBLISHING', async () => (await host.transponder(id))?.status === 'PUBLISHING', 30_000);
  await sleep(3000);
  await setup.blackout(true);
  const t0 = Date.now();
  let detectedMs: number | undefined;
  let info = '';
  while (Date.now() - t0 < 90_000) {
    const t = await host.transponder(id);
    if (t && t.status !== 'PUBLISHING') {
      detectedMs = Date.now() - t0;
      info = `${t.status}: ${t.info ?? ''}`;
      break;
    }
    await sleep(100);
  }
  await setup.blackout(false);
  const t1 = Date.now();
  const resumed = await waitFor('PUBLISHING again', async () => (await host.transponder(id))?.status === 'PUBLISHING', 60_000).then(() => Date.now() - t1, () => undefined);
  await host.rest('terminate', { mediaSessionId: id });
  return { detectedMs, info, resumedMs: resumed };
}

export interface FaultsDetail {
  results: ConditionResult[];
  blackHole?: BlackHoleResult;
}

export async function runFaults(opts: { legs: Leg[]; conditions: Condition[]; seconds: number; blackHole: boolean }): Promise<FaultsDetail> {
  const d: FaultsDetail = { results: [] };
  for (const [i, leg] of opts.legs.entries()) {
    const setup = await setupLeg(leg, 1 + i);
    try {
      const legResults: ConditionResult[] = [];
      for (const condition of opts.conditions.filter((c) => leg === 'webrtc' || c.rtmp)) {
        log('faults', `${leg}: ${condition.label} for ${opts.seconds * (condition.durationFactor ?? 1)} s`);
        legResults.push(await runCondition(setup, leg, condition, opts.seconds * (condition.durationFactor ?? 1)));
      }
      if (leg === 'rtmp' && opts.blackHole) {
        log('faults', 'rtmp: black-holed target');
        d.blackHole = await blackHole(setup);
      }
      await setup.stop(); // finalizes the recordings
      await analyzeRecordings(setup, legResults);
      d.results.push(...legResults);
    } finally {
      await setup.stop().catch(() => undefined);
      setup.removeFiles();
    }
  }
  return d;
}

export function faultFigures(d: FaultsDetail): Figure[] {
  const s = 'faults';
  const figures: Figure[] = [];
  for (const r of d.results) {
    const name = `${r.leg}, ${r.condition.label}`;
    const expectedKeyframes = Math.floor(r.seconds / 2);
    figures.push(
      { scenario: s, figure: `${name}: ffmpeg decode errors in the recording`, value: r.error ?? `${r.decodeErrors} (${r.videoFrames} frames)`, goal: '0', ok: !r.error && r.decodeErrors === 0 },
      {
        scenario: s,
        figure: `${name}: keyframes recorded, longest gap; ingest keyframe requests / damaged frames dropped`,
        value: `${r.keyframes}, ${r.maxKeyframeGapS.toFixed(2)} s; ${r.keyframeRequests} / ${r.framesDroppedAtIngest}`,
        goal: `≥ ${expectedKeyframes} keyframes`,
        ok: r.keyframes >= expectedKeyframes,
      },
      { scenario: s, figure: `${name}: audio gaps in the recording (largest step)`, value: `${r.audioGaps} (${r.maxAudioStepMs} ms)`, goal: '0', ok: r.audioGaps === 0 },
      {
        scenario: s,
        figure: `${name}: target kept (polls not PUBLISHING, reconnects); congestion drops, max queued`,
        value: `${r.notPublishing}, ${r.reconnects}; ${r.droppedFrames} frames, ${r.maxQueuedMs} ms${r.capKbps ? ` (cap ${r.capKbps} kb/s of ${r.bitrateBeforeKbps})` : ''}`,
        goal: 'never disconnected',
        ok: r.notPublishing === 0 && r.reconnects === 0,
      },
    );
  }
  if (d.blackHole) {
    const b = d.blackHole;
    figures.push({
      scenario: s,
      figure: 'rtmp, black-holed target: detected after',
      value: b.detectedMs === undefined ? 'not within 90 s' : `${(b.detectedMs / 1000).toFixed(1)} s (${b.info.slice(0, 80)}); PUBLISHING again ${b.resumedMs === undefined ? 'never' : `${(b.resumedMs / 1000).toFixed(1)} s`} after the path came back`,
      goal: '≤ 15 s',
      ok: b.detectedMs !== undefined && b.detectedMs <= 15_000,
    });
  }
  return figures;
}

export default async function faults(args: Record<string, string>): Promise<ScenarioResult> {
  const seconds = Number(args.seconds ?? 20);
  const legs = (args.legs ?? 'webrtc,rtmp').split(',') as Leg[];
  for (const leg of legs) if (leg !== 'webrtc' && leg !== 'rtmp') throw new Error(`--legs takes webrtc and/or rtmp, got ${leg}`);
  const only = args.conditions?.split(',');
  const conditions = only ? CONDITIONS.filter((c) => only.includes(c.id)) : CONDITIONS;
  const d = await runFaults({ legs, conditions, seconds, blackHole: args['black-hole'] !== 'no' });
  const notes = d.results.filter((r) => r.decodeSample.length).map((r) => `faults: ${r.leg} ${r.condition.label}: ${r.decodeSample.slice(0, 2).join(' | ')}`);
  return {
    figures: faultFigures(d),
    scale: `${legs.join(' and ')} leg${legs.length > 1 ? 's' : ''}: ${conditions.map((c) => c.label).join(', ')} on the WebRTC leg (seeded UDP relay, both ways), the cap and the blackout on the RTMP leg (tbf / link down on our own veth pair), ${seconds} s each (the cap ${seconds * 3} s), plus a black-holed target`,
    notes,
  };
}
