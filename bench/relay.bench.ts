// The relay under load: Chromium publishes 720p30 (a noisy testsrc2 y4m as its fake camera, for a realistic
// bitrate) over WHIP; the relay pushes it to nginx-rtmp with 0, 1, 5 and 10 transponders. Beside it, in the
// same run, ffmpeg receives the same RTP (an SDP input fed by the relay's decrypted packets) and pushes
// `-c:v copy -c:a aac` to one target. Then 20 transponder starts measure the time to the first keyframe.
//
// What is measured:
//  - relay CPU %: this process (werift, depacketizing, Opus decode, transponders; playwright's driver is idle)
//    plus its ffmpeg AAC encoder children, as % of one core over the window. Chromium is not counted. The
//    notes split it: our main thread, our helper threads (V8's GC and compiler, libuv's pool), the encoders.
//  - the last load row repeats the largest count with the encoder run by /usr/bin/ffmpeg (the ffmpeg row's
//    build) instead of the bundled @ffmpeg-installer binary, so the two rows compare like with like.
//  - relay RSS: this process's resident memory at the end of the window (encoder children listed apart).
//  - ffmpeg row: the ffmpeg child alone; its RTP still needs a WebRTC terminator (DTLS/SRTP), which is the
//    "0 transponders" row (the relay receiving only).
//  - first keyframe: from startup() until (a) the transponder has written the AVC sequence header and the
//    first keyframe to its socket (the stream's first keyframe after the connection reached PUBLISHING; the
//    tag is written synchronously in that event) and (b) that keyframe arrives at an RTMP player
//    (rtmp-player.ts) that was already waiting on nginx for the stream: the server-side figure, seen one
//    loopback hop after nginx. "publish" is startup() → NetStream.Publish.Start. Chromium answers the
//    keyframe request with its next captured frame or the one after, so the times fall in two groups one
//    frame (33 ms) apart and p50 lands in either.
//  - RELAY_BENCH_COUNTS, RELAY_BENCH_STARTS, RELAY_BENCH_WINDOW_S narrow a run; RELAY_BENCH_PROFILE=DIR writes
//    a V8 CPU profile of each measurement window.
//  - "host" rows: the compiled `castbridge --headless` (bin/castbridge.js) as users run it, in its own process,
//    with the same Chromium publishing to its /whip and transponders started over its REST API: CPU (user+sys
//    from /proc, so load from other work on the machine does not count) of the host and of the processes it
//    started (the AAC encoders), and the RSS of them all together. RELAY_BENCH_HOST=0 leaves these rows out,
//    RELAY_BENCH_HOST=only runs just them; with RELAY_BENCH_PROFILE the host writes a CPU profile of its life.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Session as InspectorSession } from 'node:inspector/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { type LiveStream, silentLog, StreamRegistry, TransponderManager, WebRtcIngest } from '../src-relay/index.js';
import { launchChromium, publishWhip } from '../test/helpers/chromium.js';
import { waitFor } from '../test/helpers/wait.js';
import { RtmpPlayer } from './rtmp-player.js';
import { startNginxRtmp, type NginxRtmp } from '../test/helpers/servers.js';
import type { BenchResult } from './run.js';
import { measureHost, noisyY4m, procStat, restPost, startHost } from './host-process.js';

const FFMPEG = '/usr/bin/ffmpeg';
const VIDEO = { width: 1280, height: 720, fps: 30, seconds: 4 } as const;
/** Seconds of measurement per transponder count (after a settle time). */
const WINDOW_S = Number(process.env.RELAY_BENCH_WINDOW_S ?? 20);
const SETTLE_MS = 3000;
/** Transponder counts measured; RELAY_BENCH_COUNTS=10 (comma-separated) narrows a profiling run. */
const COUNTS = (process.env.RELAY_BENCH_COUNTS ?? '0,1,5,10').split(',').map(Number);
const STARTS = Math.max(1, Number(process.env.RELAY_BENCH_STARTS ?? 20));
const CLOCK_TICKS = 100; // USER_HZ on Linux
/** RELAY_BENCH_PROFILE=DIR writes a V8 CPU profile of each measurement window (relay-<count>.cpuprofile). */
const PROFILE_DIR = process.env.RELAY_BENCH_PROFILE;

export async function cachedY4m(): Promise<string> {
  return noisyY4m(VIDEO);
}

/** CPU ticks (user+sys) of this process's main thread and of all its other threads (V8 and libuv helpers). */
function threadTicks(): { main: number; helpers: number } {
  let main = 0;
  let helpers = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    const ticks = procStat(Number(tid), `/proc/self/task/${tid}/stat`)?.ticks ?? 0;
    if (Number(tid) === process.pid) main += ticks;
    else helpers += ticks;
  }
  return { main, helpers };
}

/** Our ffmpeg children (the AAC encoders), not Chromium. */
function encoderChildren(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      const s = procStat(pid);
      return s?.ppid === process.pid && s.comm === 'ffmpeg';
    });
}

interface Window {
  cpuPercent: number;
  /** This process's main thread, and its helper threads (GC, JIT, libuv pool), as % of one core. */
  mainPercent: number;
  helpersPercent: number;
  rssMb: number;
  encoderCpuPercent: number;
  encoders: number;
}

/** A CPU profile of this process from now until the returned function is called (RELAY_BENCH_PROFILE). */
async function startProfile(name: string): Promise<() => Promise<void>> {
  if (!PROFILE_DIR) return async () => undefined;
  const session = new InspectorSession();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(PROFILE_DIR, { recursive: true });
    writeFileSync(join(PROFILE_DIR, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}

/** Measures this process + encoder children over `seconds`. */
async function measure(seconds: number, profileName: string): Promise<Window> {
  const children = encoderChildren();
  const startTicks = new Map(children.map((pid) => [pid, procStat(pid)?.ticks ?? 0]));
  const stopProfile = await startProfile(profileName);
  const threads0 = threadTicks();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  const threads1 = threadTicks();
  await stopProfile();
  const ticksPercent = (ticks: number): number => ((ticks / CLOCK_TICKS) * 1000 * 100) / wallMs;
  let childTicks = 0;
  for (const pid of children) childTicks += (procStat(pid)?.ticks ?? 0) - (startTicks.get(pid) ?? 0);
  const ownPercent = ((cpu.user + cpu.system) / 1000 / wallMs) * 100;
  const encoderCpuPercent = ((childTicks / CLOCK_TICKS) * 1000 * 100) / wallMs;
  return {
    cpuPercent: ownPercent + encoderCpuPercent,
    mainPercent: ticksPercent(threads1.main - threads0.main),
    helpersPercent: ticksPercent(threads1.helpers - threads0.helpers),
    rssMb: process.memoryUsage().rss / 1e6,
    encoderCpuPercent,
    encoders: children.length,
  };
}

export function startWhipServer(ingest: WebRtcIngest): Promise<{ server: http.Server; base: string }> {
  const server = http.createServer(async (req, res) => {
    const parts = new URL(req.url ?? '/', 'http://x').pathname.split('/').filter(Boolean);
    try {
      if (req.method === 'POST' && parts[0] === 'whip' && parts.length === 2) {
        let body = '';
        for await (const chunk of req) body += chunk;
        const { sessionId, answerSdp } = await ingest.publish(parts[1]!, body);
        res.writeHead(201, { 'Content-Type': 'application/sdp', Location: `/whip/${parts[1]}/${sessionId}` }).end(answerSdp);
      } else {
        res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>bench</title>');
      }
    } catch (error) {
      res.writeHead(400).end(JSON.stringify({ error: (error as Error).message }));
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The minimal view of werift's track the RTP tap needs. */
interface TappableTrack {
  kind: string;
  onReceiveRtp: { subscribe(f: (packet: { serialize(): Buffer; header: { payloadType: number } }) => void): { unSubscribe(): void } };
}

/**
 * ffmpeg receiving the same RTP: the ingest's decrypted packets are copied to UDP ports described by an SDP
 * file. (The ingest keeps its sessions private; the bench reaches in, read-only, to tap the tracks.)
 */
export async function ffmpegRow(ingest: WebRtcIngest, stream: LiveStream, nginx: NginxRtmp, dir: string): Promise<string[]> {
  const sessions = (ingest as unknown as { sessions: Map<string, { pc: { getTransceivers(): { receiver: { tracks: TappableTrack[] } }[] } }> }).sessions;
  const session = [...sessions.values()][0];
  if (!session) throw new Error('no ingest session to tap');
  const tracks = session.pc.getTransceivers().flatMap((t) => t.receiver.tracks);
  const base = 40000 + 2 * Math.floor(Math.random() * 5000);
  const ports: Record<string, number> = { video: base, audio: base + 2 };
  const payloadTypes: Record<string, number> = {};
  const udp = createSocket('udp4');
  const subscriptions = tracks.map((track) =>
    track.onReceiveRtp.subscribe((packet) => {
      payloadTypes[track.kind] = packet.header.payloadType;
      const port = ports[track.kind];
      if (port && ffmpeg) udp.send(packet.serialize(), port, '127.0.0.1');
    }),
  );
  let ffmpeg: ChildProcess | undefined;
  try {
    await waitFor('RTP of both tracks', () => payloadTypes.video !== undefined && payloadTypes.audio !== undefined, 5000, 20);
    const sdp = [
      'v=0',
      'o=- 0 0 IN IP4 127.0.0.1',
      's=castbridge relay bench',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=video ${ports.video} RTP/AVP ${payloadTypes.video}`,
      `a=rtpmap:${payloadTypes.video} H264/90000`,
      `a=fmtp:${payloadTypes.video} packetization-mode=1`,
      `m=audio ${ports.audio} RTP/AVP ${payloadTypes.audio}`,
      `a=rtpmap:${payloadTypes.audio} opus/48000/2`,
      '',
    ].join('\n');
    const sdpFile = join(dir, 'in.sdp');
    writeFileSync(sdpFile, sdp);
    ffmpeg = spawn(
      FFMPEG,
      ['-hide_banner', '-loglevel', 'error', '-protocol_whitelist', 'file,udp,rtp', '-i', sdpFile, '-c:v', 'copy', '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2', '-f', 'flv', `${nginx.url()}/ffmpeg_bench`],
      { stdio: 'ignore' },
    );
    const pid = ffmpeg.pid!;
    // ffmpeg needs SPS/PPS from a keyframe; ask like the relay does, every 2 s.
    const keyframes = setInterval(() => stream.requestKeyframe(), 2000);
    try {
      stream.requestKeyframe();
      await new Promise((r) => setTimeout(r, SETTLE_MS + 2000));
      if (ffmpeg.exitCode !== null) throw new Error(`ffmpeg exited ${ffmpeg.exitCode}`);
      const t0 = performance.now();
      const ticks0 = procStat(pid)?.ticks ?? 0;
      await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
      const after = procStat(pid);
      if (!after) throw new Error('ffmpeg exited during the measurement');
      const percent = (((after.ticks - ticks0) / CLOCK_TICKS) * 1000 * 100) / (performance.now() - t0);
      const received = nginx.publishes.some((p) => p.name === 'ffmpeg_bench') ? 'nginx got its publish' : 'NOT received by nginx';
      return ['ffmpeg, SDP/RTP in, -c:v copy -c:a aac, 1 target', percent.toFixed(1), after.rssMb.toFixed(0), `${received}; + WebRTC receive (row "0")`];
    } finally {
      clearInterval(keyframes);
    }
  } finally {
    subscriptions.forEach((s) => s.unSubscribe());
    if (ffmpeg && ffmpeg.exitCode === null) {
      const exited = once(ffmpeg, 'exit');
      ffmpeg.kill('SIGINT');
      const timer = setTimeout(() => ffmpeg?.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    udp.close();
  }
}

interface StartTimes {
  publish: number[];
  written: number[];
  atServer: number[];
}

/**
 * Transponder starts, each timed from startup() to: NetStream.Publish.Start (PUBLISHING); the AVC sequence
 * header and first keyframe written to the socket; and that keyframe arriving at an RTMP player that was
 * already waiting on nginx for the stream (so "at the server" is seen from outside the relay, one loopback
 * hop further than the server itself).
 */
async function firstKeyframeTimes(manager: TransponderManager, stream: LiveStream, nginx: NginxRtmp): Promise<StartTimes> {
  const times: StartTimes = { publish: [], written: [], atServer: [] };
  for (let i = 0; i < STARTS; i++) {
    const name = `start_${i}`;
    const player = new RtmpPlayer({ host: '127.0.0.1', port: nginx.port, app: 'live', name });
    let publishedAt = 0;
    let writtenAt = 0;
    let mediaSessionId: string | undefined;
    const onVideo = (frame: { keyframe: boolean }): void => {
      if (publishedAt && !writtenAt && frame.keyframe) writtenAt = performance.now();
    };
    const onChanged = (t: { mediaSessionId: string; status: string }): void => {
      if (t.mediaSessionId === mediaSessionId && t.status === 'PUBLISHING' && !publishedAt) publishedAt = performance.now();
    };
    try {
      await withTimeout(player.playing, 5000, `the player of ${name} waiting on nginx`);
      stream.on('video', onVideo);
      manager.on('changed', onChanged);
      const t0 = performance.now();
      mediaSessionId = manager.startup({ streamName: stream.name, rtmpUrl: `${nginx.url()}/${name}`, rtmpTransponderFullUrl: true, noPrefix: true }).mediaSessionId;
      const arrivedAt = await withTimeout(player.firstKeyframe, 10_000, `the first keyframe of ${name} at the player`);
      await waitFor('the keyframe written', () => writtenAt > 0, 1000, 20);
      times.publish.push(publishedAt - t0);
      times.written.push(writtenAt - t0);
      times.atServer.push(arrivedAt - t0);
    } finally {
      stream.off('video', onVideo);
      manager.off('changed', onChanged);
      player.close();
      if (mediaSessionId) await manager.terminate(mediaSessionId);
    }
    // Let Chromium's encoder forget the last PLI so every start asks anew.
    await new Promise((r) => setTimeout(r, 700));
  }
  return times;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** RELAY_BENCH_HOST: '0' leaves the compiled-host rows out, 'only' runs just them. */
const HOST_ROWS = process.env.RELAY_BENCH_HOST ?? '1';
const HOST_TARGETS = 10;

/** A process and every process under it (the host and its AAC encoders), from /proc. */
/**
 * The compiled host in its own process, as users run it: Chromium publishes to its /whip, transponders start
 * over its REST API. Rows: 0 and HOST_TARGETS transponders (CPU of the host and of its children, RSS of all).
 */
async function hostRows(browser: Browser, nginx: NginxRtmp, dir: string): Promise<string[][]> {
  // A first start makes the data folder and its TLS certificate (key generation leaves V8's heap grown for
  // the rest of that process); the measured host starts on it as every later start of a user's host does.
  const first = await startHost(join(dir, 'host-data'));
  await first.stop();
  const profileArgs = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, '--cpu-prof-name=host.cpuprofile'] : [];
  const host = await startHost(join(dir, 'host-data'), profileArgs);
  const { child, base } = host;
  const page = await browser.newPage();
  const rows: string[][] = [];
  try {
    await page.goto(`${base}/openapi.json`);
    await publishWhip(page, `${base}/whip/hostbench`, { width: VIDEO.width, height: VIDEO.height, fps: VIDEO.fps });
    await new Promise((r) => setTimeout(r, SETTLE_MS + 2000));
    const row = (label: string, m: Awaited<ReturnType<typeof measureHost>>, notes: string): string[] => [
      label,
      (m.hostPercent + m.childPercent).toFixed(1),
      m.rssMb.toFixed(0),
      `host ${m.hostPercent.toFixed(1)} % and ${m.hostRssMb.toFixed(0)} MB; ${m.children} child process${m.children === 1 ? '' : 'es'} ${m.childPercent.toFixed(1)} %; ${notes}`,
    ];
    const idle = await measureHost(child.pid!, WINDOW_S);
    rows.push(row('host (compiled), 1 stream, 0 transponders', idle, `goal ≤ 2 %: ${idle.hostPercent <= 2 ? 'met' : `×${(idle.hostPercent / 2).toFixed(1)}`}`));
    for (let i = 0; i < HOST_TARGETS; i++) {
      await restPost(base, '/rest-api/push/startup', { streamName: 'hostbench', rtmpUrl: `${nginx.url()}/hostbench_${i}`, rtmpTransponderFullUrl: true });
    }
    await waitFor(
      `${HOST_TARGETS} transponders PUBLISHING`,
      () =>
        fetch(`${base}/rest-api/push/find_all`)
          .then((res) => res.json() as Promise<{ status: string }[]>)
          .then((list) => list.length === HOST_TARGETS && list.every((t) => t.status === 'PUBLISHING'))
          .catch(() => false),
      30_000,
      200,
    );
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const loaded = await measureHost(child.pid!, WINDOW_S);
    rows.push(row(`host (compiled), 1 stream, ${HOST_TARGETS} transponders`, loaded, `RSS goal < 120 MB: ${loaded.rssMb < 120 ? 'met' : `×${(loaded.rssMb / 120).toFixed(2)}`}`));
  } finally {
    await page.close().catch(() => undefined);
    await host.stop();
  }
  return rows;
}

export default async function relayBench(): Promise<BenchResult> {
  const y4m = await cachedY4m();
  const dir = mkdtempSync(join(tmpdir(), 'castbridge-bench-relay-'));
  const registry = new StreamRegistry();
  const ingest = new WebRtcIngest(registry, { log: silentLog });
  const manager = new TransponderManager(registry, () => ({ streamNamePrefix: 'rtmp_', fullUrl: false, keyframeIntervalMs: 2000, log: silentLog }));
  const nginx = await startNginxRtmp();
  const whip = await startWhipServer(ingest);
  let browser: Browser | undefined;
  try {
    browser = await launchChromium({ fps: VIDEO.fps, extraArgs: [`--use-file-for-fake-video-capture=${y4m}`] });
    const title = `relay: Chromium 720p30 (noisy testsrc2) over WHIP → nginx-rtmp; CPU % of one core over ${WINDOW_S} s`;
    if (HOST_ROWS === 'only') return { title, columns: ['case', 'CPU %', 'RSS MB', 'notes'], rows: await hostRows(browser, nginx, dir) };
    const page = await browser.newPage();
    await page.goto(`${whip.base}/`);
    await publishWhip(page, `${whip.base}/whip/bench`, { width: VIDEO.width, height: VIDEO.height, fps: VIDEO.fps });
    const stream = registry.get('bench');
    if (!stream) throw new Error('the bench stream was not published');
    await waitFor('720p video', () => stream.params?.width === VIDEO.width, 30_000, 20);
    await new Promise((r) => setTimeout(r, SETTLE_MS));

    const rows: string[][] = [];
    const loadRow = async (count: number, label: string, profileName: string): Promise<string[]> => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        ids.push(manager.startup({ streamName: 'bench', rtmpUrl: `${nginx.url()}/${profileName}_${i}`, rtmpTransponderFullUrl: true }).mediaSessionId);
      }
      try {
        await waitFor(`${count} transponders PUBLISHING`, () => manager.list().every((t) => t.status === 'PUBLISHING'), 30_000, 20);
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        const window = await measure(WINDOW_S, profileName);
        const list = manager.list();
        const kbps = list.reduce((sum, t) => sum + t.stats.bitrateKbps, 0);
        const dropped = list.reduce((sum, t) => sum + t.stats.droppedFrames, 0);
        return [
          label,
          window.cpuPercent.toFixed(1),
          window.rssMb.toFixed(0),
          `main thread ${window.mainPercent.toFixed(1)} %, helper threads ${window.helpersPercent.toFixed(1)} %, AAC encoders: ${window.encoders} (${window.encoderCpuPercent.toFixed(1)} %); out ${(kbps / 1000).toFixed(1)} Mb/s, ${dropped} frames dropped`,
        ];
      } finally {
        for (const id of ids) await manager.terminate(id);
      }
    };
    for (const count of COUNTS) rows.push(await loadRow(count, `relay, ${count} transponder${count === 1 ? '' : 's'}`, `relay-${count}`));
    // The relay's encoder is the bundled @ffmpeg-installer build; the ffmpeg row runs /usr/bin/ffmpeg. The same
    // load with the relay's encoder on /usr/bin/ffmpeg (CASTBRIDGE_FFMPEG, src-relay/transponder/audio/ffmpeg.ts) compares like
    // with like.
    const top = Math.max(...COUNTS);
    if (top > 0) {
      const before = process.env.CASTBRIDGE_FFMPEG;
      process.env.CASTBRIDGE_FFMPEG = FFMPEG;
      try {
        rows.push(await loadRow(top, `relay, ${top} transponders, AAC by ${FFMPEG}`, `relay-${top}-system-ffmpeg`));
      } finally {
        if (before === undefined) delete process.env.CASTBRIDGE_FFMPEG;
        else process.env.CASTBRIDGE_FFMPEG = before;
      }
    }
    rows.push(await ffmpegRow(ingest, stream, nginx, dir));

    const starts = await firstKeyframeTimes(manager, stream, nginx);
    const fmt = (values: number[]): string => `p50 ${percentile(values, 50).toFixed(0)} ms, p95 ${percentile(values, 95).toFixed(0)} ms`;
    rows.push([`startup → publish (${STARTS} starts)`, '', '', fmt(starts.publish)]);
    rows.push([`startup → first keyframe written (${STARTS} starts)`, '', '', fmt(starts.written)]);
    rows.push([`startup → first keyframe at a player on nginx (${STARTS} starts)`, '', '', fmt(starts.atServer)]);
    if (HOST_ROWS !== '0') {
      await page.close(); // one publisher at a time: the host's rows get Chromium's whole encoder
      rows.push(...(await hostRows(browser, nginx, dir)));
    }
    return {
      title: `relay: Chromium 720p30 (noisy testsrc2) over WHIP → nginx-rtmp; CPU % of one core over ${WINDOW_S} s`,
      columns: ['case', 'CPU %', 'RSS MB', 'notes'],
      rows,
    };
  } finally {
    await manager.stopAll().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await ingest.closeAll().catch(() => undefined);
    whip.server.closeAllConnections();
    await new Promise((r) => whip.server.close(r));
    await nginx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
