// What composing the program costs the studio. Chromium (fake camera, fake screen, as a user's browser: no
// flags against background throttling) publishes to a host on this machine in two ways, each with
// simulcast (three sizes) and one transponder:
//   - the peer: the camera track itself (WHIP, the encodings the studio uses);
//   - the studio: the "Screen + camera" scene composed by the compositor (from the captures' frames,
//     Worker-ticked; and once more on its canvas surface, `?compositor=canvas`, to compare);
//   - the studio on the ready-made "Camera" scene, one full-frame camera layer, which it sends as the
//     camera's own track (the compositor idle), at 720p30; and on a scene that sends the camera so while
//     the screen is captured under it at opacity 0: both captures of "Screen + camera", nothing drawn.
// At 720p30 (the composed case over COMPOSED_720_S, 60 s by default) and 1080p30. Then the hidden tab:
// headless Chromium, and any page Playwright drives, report a tab behind another "visible", so a second
// Chromium runs headful in an Xvfb display of its own (test/helpers/xvfb.ts; apt-get install -y xvfb), driven by
// puppeteer-core, and composes "Screen + camera" at 720p30 with its tab in front, then behind another tab
// of its window (the row prints the page's document.visibilityState). Figures: frames the target receives per second (the transponder's
// fps), frames the compositor missed, its draw time p50/p95, and Chromium's CPU (every process of it:
// browser, renderer, GPU — the 2D canvas rasterises in the GPU process, in software here), % of one core.
// Then the activate latency: POST /api/scenes/{name}/activate between two solid colours, from the REST
// answer to the first frame of the new colour decoded by ffmpeg playing from nginx-rtmp.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Page as PuppeteerPage } from 'puppeteer-core';
import { createHost, type Host } from '../src-main/host.js';
import { silentLog } from '../src-relay/log.js';
import { publishWhip, THREE_LAYERS, type SimulcastLayer } from '../test/helpers/chromium.js';
import { freePort, startNginxRtmp, type NginxRtmp } from '../test/helpers/servers.js';
import { waitFor } from '../test/helpers/wait.js';
import { procStat, processTree, restPost } from './host-process.js';
import type { BenchResult } from './run.js';
import { launchHeadfulChromium, openStudioScene, press } from '../test/helpers/headful-studio.js';

const COMPOSED_720_S = Number(process.env.SCENES_BENCH_720_S ?? 60);
const SHORT_S = Number(process.env.SCENES_BENCH_SHORT_S ?? 15);
const SWITCHES = 10;
const SETTLE_MS = 4000;
const CLOCK_TICKS = 100;
const STEP_TIMEOUT_MS = 45_000;

interface Sent {
  mediaSessionId: string;
  status: string;
  stats: { fps: number; droppedFrames: number };
}

const findAll = async (base: string): Promise<Sent[]> => (await (await fetch(`${base}/rest-api/push/find_all`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).json()) as Sent[];

/** CPU ticks of every Chromium process (the bench's own descendants but itself and its ffmpeg). */
function chromiumTicks(): number {
  return processTree(process.pid)
    .filter((pid) => pid !== process.pid)
    .map((pid) => procStat(pid))
    .filter((s) => s && /chrom/i.test(s.comm))
    .reduce((sum, s) => sum + s!.ticks, 0);
}

interface Window {
  cpuPercent: number;
  fps: number[];
}

/** Chromium's CPU and the transponder's fps (sampled each second) over `seconds`. */
async function measure(base: string, seconds: number): Promise<Window> {
  const before = chromiumTicks();
  const t0 = performance.now();
  const fps: number[] = [];
  for (let i = 0; i < seconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const sent = (await findAll(base).catch(() => []))[0];
    if (sent) fps.push(sent.stats.fps);
  }
  const cpuPercent = (((chromiumTicks() - before) / CLOCK_TICKS) * 1000 * 100) / (performance.now() - t0);
  return { cpuPercent, fps };
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

async function stopAll(base: string): Promise<void> {
  for (const t of await findAll(base).catch(() => [])) await restPost(base, '/rest-api/push/terminate', { mediaSessionId: t.mediaSessionId }).catch(() => undefined);
}

async function startTransponder(base: string, streamName: string, rtmpUrl: string): Promise<void> {
  await restPost(base, '/rest-api/push/startup', { streamName, rtmpUrl, rtmpTransponderFullUrl: true });
  await waitFor('the transponder PUBLISHING', () => findAll(base).then((l) => l[0]?.status === 'PUBLISHING').catch(() => false), 30_000, 200);
  await new Promise((r) => setTimeout(r, SETTLE_MS));
}

/** The peer: the fake camera's track published as it is, with the studio's simulcast encodings. */
async function directRow(context: BrowserContext, host: Host, nginx: NginxRtmp, height: 720 | 1080): Promise<{ row: string[]; cpu: number }> {
  const page = await context.newPage();
  await page.goto(`${host.httpUrl}/openapi.json`);
  const layers: SimulcastLayer[] = height === 1080 ? THREE_LAYERS.map((l, i) => ({ ...l, maxBitrate: [4_500_000, 1_500_000, 600_000][i]! })) : THREE_LAYERS;
  const publication = await publishWhip(page, `${host.httpUrl}/whip/direct${height}`, { width: (height * 16) / 9, height, fps: 30, simulcast: layers });
  try {
    await startTransponder(host.httpUrl, `direct${height}`, `${nginx.url()}/direct${height}`);
    const w = await measure(host.httpUrl, SHORT_S);
    return { row: [`camera track published directly, ${height}p30`, `${SHORT_S}`, mean(w.fps).toFixed(1), '-', '-', '-', w.cpuPercent.toFixed(1), 'the peer'], cpu: w.cpuPercent };
  } finally {
    await stopAll(host.httpUrl);
    await publication.stop().catch(() => undefined);
    await page.close();
  }
}

interface ProgramStats {
  frames: number;
  dropped: number;
  p50: number;
  p95: number;
  direct: boolean;
  surface: string;
}
/** Reads the program's stats off its element; runs in the page (Playwright's or puppeteer's). */
function statsOf(e: Element): ProgramStats {
  return {
    frames: Number(e.getAttribute('data-frames')),
    dropped: Number(e.getAttribute('data-dropped')),
    p50: Number(e.getAttribute('data-draw-p50')),
    p95: Number(e.getAttribute('data-draw-p95')),
    direct: e.getAttribute('data-direct') === 'true',
    surface: e.getAttribute('data-surface') ?? '?',
  };
}
const programStats = (page: Page): Promise<ProgramStats> => page.$eval('[data-testid="program-stats"]', statsOf);

/** One row: the program's stats before and after `seconds` of Chromium's CPU and the target's fps. */
async function measuredRow(stats: () => Promise<ProgramStats>, base: string, seconds: number, peerCpu: number, label: (after: ProgramStats) => string): Promise<string[]> {
  const before = await stats();
  const w = await measure(base, seconds);
  const after = await stats();
  const added = ((w.cpuPercent - peerCpu) / peerCpu) * 100;
  return [
    label(after),
    `${seconds}`,
    mean(w.fps).toFixed(1),
    `${after.dropped - before.dropped}`,
    after.p50.toFixed(1),
    after.p95.toFixed(1),
    w.cpuPercent.toFixed(1),
    `${added >= 0 ? '+' : ''}${added.toFixed(0)} % over the peer; compositor drew ${((after.frames - before.frames) / seconds).toFixed(1)} frames/s${after.direct ? ' (camera track sent directly)' : ` on the ${after.surface} surface`}`,
  ];
}

/** The camera full frame (sent as its own track) over the screen at opacity 0: both captures run, nothing
 *  is drawn. Against "Screen + camera" it leaves the drawing alone as the difference. */
const CAPTURES_ONLY = 'Bench: camera, screen captured';
const CAPTURES_ONLY_SCENE = {
  name: CAPTURES_ONLY,
  layers: [
    { kind: 'screen', x: 0, y: 0, width: 1, height: 1, opacity: 0 },
    { kind: 'camera', x: 0, y: 0, width: 1, height: 1 },
  ],
};

const SCENE_ROW_NAMES: Record<string, string> = {
  'Screen + camera': '"Screen + camera" composed',
  Camera: 'Camera scene (one full-frame layer: direct track)',
  [CAPTURES_ONLY]: 'camera sent directly with the screen captured too (both captures, nothing drawn)',
};

/** Shows `scene` in the studio (a click on its entry) and waits until the program shows it. */
async function selectScene(studio: Page, scene: string): Promise<void> {
  await studio.locator(`[data-testid="scene-item"][data-name="${scene}"]`).click();
  await studio.waitForFunction((name) => document.querySelector('[data-testid="program-preview"]')?.getAttribute('data-scene') === name, scene, { timeout: STEP_TIMEOUT_MS });
  await studio.waitForTimeout(2000);
}

/** The studio live with `scene` (shown already) at `height`. */
async function composedRow(studio: Page, host: Host, nginx: NginxRtmp, height: 720 | 1080, seconds: number, peerCpu: number, scene = 'Screen + camera'): Promise<string[]> {
  await studio.bringToFront();
  await studio.getByTestId('resolution-select').selectOption(height === 1080 ? '1920x1080' : '1280x720', { force: true });
  await studio.locator(`[data-testid="program-stats"][data-height="${height}"]`).waitFor({ timeout: STEP_TIMEOUT_MS });
  await pressButton(studio, 'go-live');
  await waitPublishing(studio);
  await stopAll(host.httpUrl); // the studio's own local target: measure with the one transponder below
  await startTransponder(host.httpUrl, 'studio', `${nginx.url()}/composed${height}`);
  try {
    return await measuredRow(() => programStats(studio), host.httpUrl, seconds, peerCpu, (after) => `studio, ${SCENE_ROW_NAMES[scene] ?? scene}${after.surface === 'canvas' ? ' on the canvas surface' : ''}, ${height}p30`);
  } finally {
    await stopAll(host.httpUrl);
    await pressButton(studio, 'stop-live');
    await studio.locator('[data-testid="publish-status"][data-status="UNPUBLISHED"]').waitFor({ timeout: STEP_TIMEOUT_MS });
  }
}

/** Waits for the studio to publish; a timeout says what the studio shows instead. */
async function waitPublishing(studio: Page): Promise<void> {
  try {
    await studio.locator('[data-testid="publish-status"][data-status="PUBLISHING"]').waitFor({ timeout: STEP_TIMEOUT_MS });
  } catch (error) {
    const shown = await studio.evaluate(() => [...document.querySelectorAll('[data-testid="publish-status"], [data-testid="publish-error"], [data-testid="preview-error"]')].map((e) => `${e.getAttribute('data-testid')}: ${e.getAttribute('data-status') ?? ''} ${e.textContent}`).join('; '));
    throw new Error(`the studio did not go live within ${STEP_TIMEOUT_MS} ms (${shown})`, { cause: error });
  }
}

/** A click without Playwright's wait for a painted frame: a page behind another tab paints none. */
async function pressButton(page: Page, testId: string): Promise<void> {
  await page.locator(`[data-testid="${testId}"]`).waitFor({ timeout: STEP_TIMEOUT_MS });
  await page.evaluate((id) => (document.querySelector(`[data-testid="${id}"]`) as HTMLButtonElement).click(), testId);
}

const W = 32;
const H = 18;

/** ffmpeg playing `url` with as little buffering as it has, calling `onFrame` with each frame's mean RGB. */
function colourPlayer(url: string, onFrame: (rgb: [number, number, number]) => void): () => void {
  const child = spawn('/usr/bin/ffmpeg', ['-v', 'error', '-fflags', 'nobuffer', '-flags', 'low_delay', '-probesize', '32768', '-analyzeduration', '0', '-i', url, '-an', '-vf', `scale=${W}:${H}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let pending = Buffer.alloc(0);
  const size = W * H * 3;
  child.stdout.on('data', (data: Buffer) => {
    pending = Buffer.concat([pending, data]);
    while (pending.length >= size) {
      const frame = pending.subarray(0, size);
      pending = pending.subarray(size);
      const sum = [0, 0, 0];
      for (let i = 0; i < size; i += 3) for (let c = 0; c < 3; c++) sum[c]! += frame[i + c]!;
      onFrame(sum.map((v) => v / (W * H)) as [number, number, number]);
    }
  });
  return () => child.kill('SIGKILL');
}

async function activateLatency(studio: Page, host: Host, nginx: NginxRtmp): Promise<string[]> {
  const base = host.httpUrl;
  for (const [name, color] of [['Bench red', '#ff0000'], ['Bench blue', '#0000ff']] as const) {
    await fetch(`${base}/api/scenes/${encodeURIComponent(name)}`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name, layers: [{ kind: 'color', x: 0, y: 0, width: 1, height: 1, color }] }) });
  }
  await studio.bringToFront();
  await studio.getByTestId('resolution-select').selectOption('1280x720', { force: true });
  await pressButton(studio, 'go-live');
  await waitPublishing(studio);
  await stopAll(base);
  await startTransponder(base, 'studio', `${nginx.url()}/latency`);
  let seen: 'red' | 'blue' | undefined;
  let seenAt = 0;
  const stop = colourPlayer(`${nginx.url()}/latency`, ([r, , b]) => {
    const now = r > 180 && b < 60 ? 'red' : b > 180 && r < 60 ? 'blue' : undefined;
    if (now && now !== seen) {
      seen = now;
      seenAt = performance.now();
    }
  });
  const latencies: number[] = [];
  try {
    await waitFor('the player decodes', async () => seen !== undefined, 20_000, 100).catch(() => undefined);
    for (let i = 0; i < SWITCHES; i++) {
      const want = i % 2 === 0 ? 'red' : 'blue';
      if (seen === want) await restPost(base, `/api/scenes/${encodeURIComponent(want === 'red' ? 'Bench blue' : 'Bench red')}/activate`, {});
      await new Promise((r) => setTimeout(r, 1500));
      const answered = await restPost(base, `/api/scenes/${encodeURIComponent(want === 'red' ? 'Bench red' : 'Bench blue')}/activate`, {}).then(() => performance.now());
      const shown = await waitFor(`${want} at the target`, async () => seen === want && seenAt >= answered - 1000, 10_000, 5).then(() => seenAt);
      latencies.push(Math.max(0, shown - answered));
    }
  } finally {
    stop();
    await stopAll(base);
    await pressButton(studio, 'stop-live');
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return [`activate → first frame at the target (ffmpeg from nginx), ${SWITCHES} switches`, '-', '-', '-', '-', '-', '-', `p50 ${pct(sorted, 0.5).toFixed(0)} ms, p95 ${pct(sorted, 0.95).toFixed(0)} ms (${sorted.map((v) => v.toFixed(0)).join(', ')})`];
}

/** A row that could not be measured says why in its notes, and the bench goes on with the next. */
async function attempt(label: string, row: () => Promise<string[]>): Promise<string[]> {
  try {
    return await row();
  } catch (error) {
    process.stderr.write(`bench scenes: ${label}: ${error instanceof Error ? error.message : String(error)}\n`);
    return [label, '-', '-', '-', '-', '-', '-', `not measured: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`];
  }
}

const CHROMIUM_ARGS = ['--no-sandbox', '--use-fake-device-for-media-stream=fps=30', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required', '--no-first-run', '--disable-background-networking'];

async function openStudio(studio: Page, url: string): Promise<void> {
  studio.removeAllListeners('crash').removeAllListeners('pageerror');
  studio.on('crash', () => process.stderr.write('bench scenes: the studio page crashed\n'));
  studio.on('pageerror', (e) => process.stderr.write(`bench scenes: studio page error: ${e.message}\n`));
  await studio.goto(url.includes('?') ? url : `${url}/`);
  await studio.getByTestId('session-status').filter({ hasText: 'Relay ready' }).waitFor({ timeout: STEP_TIMEOUT_MS });
}

const puppeteerStats = (page: PuppeteerPage): Promise<ProgramStats> => page.$eval('[data-testid="program-stats"]', statsOf);

/**
 * A headful Chromium in an Xvfb display, driven by puppeteer-core (Playwright makes every page report
 * itself visible, even a tab behind another): "Screen + camera" at 720p30 with the studio's tab in front,
 * then behind another tab of the same window, where document.visibilityState is "hidden" (the row says
 * what the page reported), requestAnimationFrame stops and the page's timers are throttled.
 */
export async function hiddenTabRows(host: Host, nginx: NginxRtmp, peerCpu: number, seconds: number): Promise<string[][]> {
  const base = host.httpUrl;
  const headful = await launchHeadfulChromium();
  const { browser, page: studio } = headful;
  try {
    studio.on('pageerror', (e) => process.stderr.write(`bench scenes: studio page error: ${e instanceof Error ? e.message : String(e)}\n`));
    await openStudioScene(studio, base, 'Screen + camera', STEP_TIMEOUT_MS);
    await studio.select('[data-testid="resolution-select"]', '1280x720');
    await studio.waitForSelector('[data-testid="program-stats"][data-height="720"]', { timeout: STEP_TIMEOUT_MS });
    const rows: string[][] = [];
    for (const hidden of [false, true]) {
      await press(studio, 'go-live', STEP_TIMEOUT_MS);
      await studio.waitForSelector('[data-testid="publish-status"][data-status="PUBLISHING"]', { timeout: STEP_TIMEOUT_MS });
      await stopAll(base);
      await startTransponder(base, 'studio', `${nginx.url()}/xvfb${hidden ? 'hidden' : 'front'}`);
      let cover: PuppeteerPage | undefined;
      try {
        if (hidden) {
          cover = await browser.newPage();
          await cover.goto(`${base}/openapi.json`);
          await cover.bringToFront();
          await new Promise((r) => setTimeout(r, 2000));
        }
        const visibility = await studio.evaluate(() => document.visibilityState);
        const label = `studio (headful, Xvfb), "Screen + camera" composed, 720p30, ${hidden ? 'behind another tab' : 'tab in front'} (document ${visibility})`;
        rows.push(await measuredRow(() => puppeteerStats(studio), base, seconds, peerCpu, () => label));
      } finally {
        await cover?.close();
        await studio.bringToFront();
        await stopAll(base);
        await press(studio, 'stop-live', STEP_TIMEOUT_MS);
        await studio.waitForSelector('[data-testid="publish-status"][data-status="UNPUBLISHED"]', { timeout: STEP_TIMEOUT_MS });
      }
    }
    return rows;
  } finally {
    await headful.close();
  }
}

export default async function scenesBench(): Promise<BenchResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'castbridge-bench-scenes-'));
  const nginx = await startNginxRtmp();
  let host: Host | undefined;
  let browser: Browser | undefined;
  try {
    const overrides = { rest_http_port: '0', rest_https_port: '0', local_rtmp_port: String(await freePort()), local_rtmp_http_port: String(await freePort()), ws_port: '0', wss_port: '0' };
    host = await createHost({ dataDir, overrides, log: silentLog });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
    });
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    // The peer first, with no studio open (its capture and compositor would run beside it).
    const direct720 = await directRow(context, host, nginx, 720);
    const direct1080 = await directRow(context, host, nginx, 1080);
    const saved = await fetch(`${host.httpUrl}/api/scenes/${encodeURIComponent(CAPTURES_ONLY)}`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(CAPTURES_ONLY_SCENE) });
    if (!saved.ok) throw new Error(`PUT the captures-only scene: ${saved.status} ${await saved.text()}`);
    const studio = await context.newPage();
    await openStudio(studio, host.httpUrl);

    const started = host;
    const rows: string[][] = [];
    // The whole bench takes minutes: each row is printed as soon as it is measured, the table at the end.
    const add = (...measured: string[][]): void => {
      for (const row of measured) process.stderr.write(`bench scenes: ${row.join(' | ')}\n`);
      rows.push(...measured);
    };
    add(direct720.row);
    await selectScene(studio, 'Camera');
    add(await composedRow(studio, host, nginx, 720, SHORT_S, direct720.cpu, 'Camera'));
    await selectScene(studio, CAPTURES_ONLY);
    add(await composedRow(studio, host, nginx, 720, SHORT_S, direct720.cpu, CAPTURES_ONLY));
    await selectScene(studio, 'Screen + camera');
    add(await composedRow(studio, host, nginx, 720, COMPOSED_720_S, direct720.cpu));

    add(direct1080.row);
    add(await attempt('studio, "Screen + camera" composed, 1080p30', () => composedRow(studio, started, nginx, 1080, SHORT_S, direct1080.cpu)));
    add(await attempt('activate → first frame at the target', () => activateLatency(studio, started, nginx)));
    // The same layout drawn on the canvas surface (`?compositor=canvas`), for the comparison.
    await openStudio(studio, `${host.httpUrl}/?compositor=canvas`);
    await selectScene(studio, 'Screen + camera');
    add(await attempt('studio, "Screen + camera" on the canvas surface, 720p30', () => composedRow(studio, started, nginx, 720, SHORT_S, direct720.cpu)));
    await studio.close();
    add(...(await hiddenTabRows(host, nginx, direct720.cpu, SHORT_S * 2).catch((error: unknown) => [[`studio (headful, Xvfb)`, '-', '-', '-', '-', '-', '-', `not measured: ${String(error)}`]])));
    const cpus = readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length;
    // Other work on the machine slows every row alike; the load says how much there was.
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    return {
      title: `scenes: Chromium (fake camera + fake screen, software rendering) publishing with 3-layer simulcast, one transponder to nginx-rtmp; CPU = every Chromium process, % of one core (${cpus} cores, load average at the end ${load})`,
      columns: ['case', 's', 'fps at target', 'missed', 'draw p50 ms', 'draw p95 ms', 'Chromium CPU %', 'notes'],
      rows,
    };
  } finally {
    await browser?.close().catch(() => undefined);
    await host?.close().catch(() => undefined);
    await nginx.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
