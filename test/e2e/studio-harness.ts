// Shared set-up of the end-to-end tests: the studio built once, the real host on free ports in a temp
// data dir, and one Chromium with fake devices whose camera permission is granted per context (so a
// context without the grant is a real "permission denied").
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createHost, type Host } from '../../src-main/host.js';
import { silentLog } from '../../src-relay/log.js';
import { removeDir, studioHostOverrides, type NginxRtmp } from '../helpers/servers.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const SHOTS = join(ROOT, 'test-output', 'e2e');
const STUDIO_INDEX = join(ROOT, 'dist', 'renderer', 'index.html');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const info = statSync(join(dir, entry));
    if (info.isFile()) newest = Math.max(newest, info.mtimeMs);
  }
  return newest;
}

/** `npm run build` unless dist/renderer is newer than every source file of the studio. */
export function buildStudioIfStale(): void {
  if (existsSync(STUDIO_INDEX) && statSync(STUDIO_INDEX).mtimeMs >= Math.max(newestMtime(join(ROOT, 'src-renderer')), newestMtime(join(ROOT, 'src-contract')))) return;
  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  if (result.status !== 0) throw new Error(`npm run build failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
}

export interface StudioHarness {
  host: Host;
  browser: Browser;
  dataDir: string;
  /** A page with camera and microphone granted, failing the test on any uncaught page error. */
  openStudio(path?: string, opts?: { grant?: boolean; initScript?: string }): Promise<{ page: Page; context: BrowserContext; pageErrors: string[] }>;
  close(): Promise<void>;
}

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--use-fake-device-for-media-stream=fps=30',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/** `fakeUi`: Chromium answers every media prompt itself, screen capture included (a fake screen); then a
 *  context cannot be denied the camera, so the denial tests run without it. */
export async function startStudioHarness(opts: { fakeUi?: boolean; extraArgs?: string[] } = {}): Promise<StudioHarness> {
  mkdirSync(SHOTS, { recursive: true });
  buildStudioIfStale();
  const dataDir = mkdtempSync(join(tmpdir(), 'castbridge-e2e-'));
  const contexts: BrowserContext[] = [];
  let host: Host | undefined;
  let browser: Browser | undefined;
  const close = async (): Promise<void> => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await host?.close().catch(() => undefined);
    removeDir(dataDir);
  };
  try {
    host = await createHost({ dataDir, overrides: await studioHostOverrides(), log: process.env.CASTBRIDGE_E2E_LOG ? undefined : silentLog });
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: [...CHROMIUM_ARGS, ...(opts.fakeUi ? ['--use-fake-ui-for-media-stream'] : []), ...(opts.extraArgs ?? [])], timeout: 60_000 });
  } catch (error) {
    await close();
    throw error;
  }
  const ready = { host, browser };
  return {
    ...ready,
    dataDir,
    async openStudio(path = '/', opts = {}) {
      const context = await ready.browser.newContext({ viewport: { width: 1360, height: 900 } });
      contexts.push(context);
      if (opts.grant ?? true) await context.grantPermissions(['camera', 'microphone'], { origin: ready.host.httpUrl });
      if (opts.initScript) await context.addInitScript(opts.initScript);
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(new URL(path, ready.host.httpUrl).toString());
      return { page, context, pageErrors };
    },
    close,
  };
}

/** A cheap fingerprint of the current frame of a <video>: 32x18 grey levels. */
export async function frameFingerprint(page: Page, selector: string): Promise<number[]> {
  return page.$eval(selector, (node) => {
    const video = node as HTMLVideoElement;
    const canvas = document.createElement('canvas');
    canvas.width = 32;
    canvas.height = 18;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) return [];
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const grey: number[] = [];
    for (let i = 0; i < data.length; i += 4) grey.push(Math.round((data[i]! + data[i + 1]! + data[i + 2]!) / 3));
    return grey;
  });
}

/** POST /api/scenes/{name}/activate, which answers once the studio shows the scene; anything but 200 fails. */
export async function activateScene(harness: StudioHarness, name: string): Promise<void> {
  const response = await fetch(new URL(`/api/scenes/${encodeURIComponent(name)}/activate`, harness.host.httpUrl), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
  if (response.status !== 200) throw new Error(`activate ${name}: ${response.status} ${await response.text()}`);
}

/** Adds nginx (its "live" application, stream `key`) as the studio's one selected target and goes live;
 *  resolves once nginx receives the publish. */
export async function goLiveToNginx(page: Page, nginx: NginxRtmp, key: string, timeoutMs = 45_000): Promise<void> {
  await page.getByTestId('target-kind').selectOption('custom');
  await page.getByTestId('target-add').click();
  await page.getByTestId('target-name').fill('Nginx');
  await page.getByTestId('target-url').fill(nginx.url('live'));
  await page.getByTestId('target-key').fill(key);
  await page.getByTestId('target-save').click();
  await page.locator('li.target', { hasText: 'Nginx' }).locator('input[type="checkbox"]').check();
  await page.getByTestId('target-select-local').uncheck();
  await page.getByTestId('go-live').click();
  await nginx.waitForPublish(1, timeoutMs);
}

/** Resolves once the studio's source preview plays a screen capture (its track has a display surface). */
export function previewIsScreen(page: Page, timeoutMs = 45_000): Promise<unknown> {
  return page.waitForFunction(
    () => {
      const video = document.querySelector('[data-testid="source-preview"]') as HTMLVideoElement | null;
      const track = (video?.srcObject as MediaStream | null)?.getVideoTracks()[0];
      return !!track && track.getSettings().displaySurface !== undefined && video!.videoWidth > 0;
    },
    null,
    { timeout: timeoutMs },
  );
}
