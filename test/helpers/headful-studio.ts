// The studio in a headful Chromium of its own X display (Xvfb), driven by puppeteer-core: the one set-up on
// this machine where a studio page can really be hidden. Headless Chromium never hides a tab, and Playwright
// makes every page it drives report itself visible; puppeteer leaves a tab behind another "hidden".
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { removeDir } from './servers.js';
import { startXvfb } from './xvfb.js';

const ARGS = ['--no-sandbox', '--use-fake-device-for-media-stream=fps=30', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required', '--no-first-run', '--disable-background-networking', '--window-size=1360,900'];

export interface HeadfulChromium {
  browser: Browser;
  /** The window's first tab. */
  page: Page;
  close(): Promise<void>;
}

/** Xvfb, a fresh profile and Chromium with fake camera, microphone and screen, headful in that display. */
export async function launchHeadfulChromium(): Promise<HeadfulChromium> {
  const profile = mkdtempSync(join(tmpdir(), 'castbridge-headful-'));
  const xvfb = await startXvfb(1360, 900).catch((error: unknown) => {
    removeDir(profile);
    throw error;
  });
  let browser: Browser | undefined;
  const close = async (): Promise<void> => {
    await browser?.close().catch(() => undefined);
    xvfb.stop();
    removeDir(profile);
  };
  try {
    browser = await puppeteer.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: false,
      userDataDir: profile,
      args: ARGS,
      env: { ...process.env, DISPLAY: xvfb.display },
      defaultViewport: { width: 1360, height: 860 },
    });
    const page = (await browser.pages())[0] ?? (await browser.newPage());
    return { browser, page, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Clicks the element with `testId` without waiting for a painted frame (a hidden page paints none). */
export async function press(page: Page, testId: string, timeoutMs: number): Promise<void> {
  await page.waitForSelector(`[data-testid="${testId}"]`, { timeout: timeoutMs });
  await page.evaluate((id) => (document.querySelector(`[data-testid="${id}"]`) as HTMLButtonElement).click(), testId);
}

/** Opens the studio of the host at `base` and shows `scene` (a click on its entry), once the relay is ready. */
export async function openStudioScene(page: Page, base: string, scene: string, timeoutMs: number): Promise<void> {
  await page.goto(`${base}/`);
  await page.waitForFunction(() => /Relay ready/.test(document.querySelector('[data-testid="session-status"]')?.textContent ?? ''), { timeout: timeoutMs });
  const item = `[data-testid="scene-item"][data-name="${scene}"]`;
  await page.waitForSelector(item, { timeout: timeoutMs });
  await page.click(item);
  await page.waitForFunction((name) => document.querySelector('[data-testid="program-preview"]')?.getAttribute('data-scene') === name, { timeout: timeoutMs }, scene);
}
