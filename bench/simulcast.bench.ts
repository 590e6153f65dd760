// What simulcast costs the relay. Chromium publishes its fake camera (a noisy 720p30 testsrc2) to the compiled
// host over WHIP twice: once as one H.264 encoding, once as three (720p/360p/180p simulcast); each time three
// transponders push to nginx-rtmp — all the one layer, or one layer each (quality highest/medium/lowest). The
// relay forwards layers without re-encoding, so the second case should cost about what the first does.
//
// The peer, in the same run: ffmpeg making the two smaller sizes from the 720p picture (libx264 veryfast,
// zerolatency, real-time) — what a relay without simulcast would spend to give targets different sizes.
//
// CPU is user+sys from /proc of the host and of its children (AAC encoders), as % of one core over the window.
// SIMULCAST_BENCH_WINDOW_S sets the window (default 20 s).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, publishWhip, THREE_LAYERS, type WhipPublication } from '../test/helpers/chromium.js';
import { startNginxRtmp, type NginxRtmp } from '../test/helpers/servers.js';
import { measureHost, noisyY4m, procStat, restPost, startHost, type BenchHost } from './host-process.js';
import type { BenchResult } from './run.js';
import { waitFor } from '../test/helpers/wait.js';

const VIDEO = { width: 1280, height: 720, fps: 30, seconds: 4 } as const;
const WINDOW_S = Number(process.env.SIMULCAST_BENCH_WINDOW_S ?? 20);
const SETTLE_MS = 4000;
const QUALITIES = ['highest', 'medium', 'lowest'] as const;
const CLOCK_TICKS = 100;

interface Sent {
  status: string;
  width: number;
  height: number;
  stats: { bitrateKbps: number; droppedFrames: number };
}

async function findAll(base: string): Promise<Sent[]> {
  return (await (await fetch(`${base}/rest-api/push/find_all`)).json()) as Sent[];
}

/** Publishes, starts three transponders, measures the host over the window, then stops it all again. */
async function hostCase(host: BenchHost, page: Page, nginx: NginxRtmp, name: string, simulcast: boolean): Promise<string[]> {
  let publication: WhipPublication | undefined;
  try {
    publication = await publishWhip(page, `${host.base}/whip/${name}`, { ...VIDEO, ...(simulcast ? { simulcast: THREE_LAYERS } : {}) });
    // Chromium adds layers as its bandwidth estimate grows: give it time before the targets start.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    for (const [i, quality] of QUALITIES.entries()) {
      await restPost(host.base, '/rest-api/push/startup', {
        streamName: name,
        rtmpUrl: `${nginx.url()}/${name}_${i}`,
        rtmpTransponderFullUrl: true,
        ...(simulcast ? { options: { quality } } : {}),
      });
    }
    await waitFor(
      '3 transponders PUBLISHING',
      () =>
        findAll(host.base)
          .then((list) => list.length === 3 && list.every((t) => t.status === 'PUBLISHING'))
          .catch(() => false),
      30_000,
      200,
    );
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const load = await measureHost(host.child.pid!, WINDOW_S);
    const list = await findAll(host.base);
    const sizes = list.map((t) => `${t.width}x${t.height} ${(t.stats.bitrateKbps / 1000).toFixed(2)} Mb/s`).join(', ');
    const dropped = list.reduce((sum, t) => sum + t.stats.droppedFrames, 0);
    return [
      simulcast ? 'relay: 3 layers (simulcast), 3 targets, a layer each' : 'relay: 1 layer, 3 targets',
      (load.hostPercent + load.childPercent).toFixed(1),
      `host ${load.hostPercent.toFixed(1)} %, AAC encoders ${load.childPercent.toFixed(1)} %; sent ${sizes}; ${dropped} frames dropped`,
    ];
  } finally {
    for (const t of (await findAll(host.base).catch(() => [])) as Array<Sent & { mediaSessionId?: string }>) {
      if (t.mediaSessionId) await restPost(host.base, '/rest-api/push/terminate', { mediaSessionId: t.mediaSessionId }).catch(() => undefined);
    }
    await publication?.stop().catch(() => undefined);
  }
}

/** ffmpeg scaling the 720p picture to 360p and 180p and encoding both in real time, for WINDOW_S. */
async function transcodeRow(y4m: string): Promise<string[]> {
  const child = spawn('/usr/bin/ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', y4m,
    '-filter_complex', '[0:v]split=2[a][b];[a]scale=640:360[m];[b]scale=320:180[l]',
    '-map', '[m]', '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-b:v', '800k', '-g', '60', '-f', 'null', '-',
    '-map', '[l]', '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-b:v', '250k', '-g', '60', '-f', 'null', '-',
  ], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 2000));
    const before = procStat(child.pid!);
    if (!before) throw new Error('ffmpeg exited at once');
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
    const after = procStat(child.pid!);
    if (!after) throw new Error('ffmpeg exited during the measurement');
    const percent = (((after.ticks - before.ticks) / CLOCK_TICKS) * 1000 * 100) / (performance.now() - t0);
    return ['peer: ffmpeg re-encoding 720p into 360p + 180p (libx264 veryfast)', percent.toFixed(1), 'what a relay without simulcast spends to give targets smaller sizes'];
  } finally {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}

export default async function simulcastBench(): Promise<BenchResult> {
  const y4m = await noisyY4m(VIDEO);
  const dir = mkdtempSync(join(tmpdir(), 'castbridge-bench-simulcast-'));
  const nginx = await startNginxRtmp();
  let browser: Browser | undefined;
  let host: BenchHost | undefined;
  try {
    host = await startHost(join(dir, 'host-data'));
    browser = await launchChromium({ fps: VIDEO.fps, extraArgs: [`--use-file-for-fake-video-capture=${y4m}`] });
    const page = await browser.newPage();
    await page.goto(`${host.base}/openapi.json`);
    const rows = [await hostCase(host, page, nginx, 'single', false), await hostCase(host, page, nginx, 'simul', true)];
    await browser.close();
    browser = undefined;
    rows.push(await transcodeRow(y4m));
    return { title: `simulcast: Chromium 720p30 (noisy testsrc2) → compiled host → 3 nginx-rtmp targets; CPU % of one core over ${WINDOW_S} s`, columns: ['case', 'CPU %', 'notes'], rows };
  } finally {
    await browser?.close().catch(() => undefined);
    await host?.stop();
    await nginx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
