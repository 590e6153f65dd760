// Screen capture as the studio's video source: Chromium's fake screen (with --use-fake-ui-for-media-stream
// it answers getDisplayMedia itself) replaces the camera in the preview and goes live; switching sources
// faster than a capture opens never leaves a second capture (a camera left on) behind.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { previewIsScreen, SHOTS, startStudioHarness, type StudioHarness } from './studio-harness.js';

const STEP_TIMEOUT_MS = 45_000;
/** How long the screen picker "takes" in the race test: longer than opening the fake camera. */
const SLOW_SCREEN_MS = 1500;

/** Keeps every capture the page opens in window.__captures; the screen answers SLOW_SCREEN_MS late. */
const RECORD_CAPTURES = `
  window.__captures = [];
  const devices = navigator.mediaDevices;
  const userMedia = devices.getUserMedia.bind(devices);
  const displayMedia = devices.getDisplayMedia.bind(devices);
  devices.getUserMedia = async (c) => { const s = await userMedia(c); window.__captures.push(s); return s; };
  devices.getDisplayMedia = async (c) => {
    const s = await displayMedia(c);
    window.__captures.push(s);
    await new Promise((r) => setTimeout(r, ${SLOW_SCREEN_MS}));
    return s;
  };
`;

/** Live tracks over every capture the page opened, and whether the preview shows a screen. */
function liveCaptures(page: Page): Promise<{ video: number; audio: number; previewIsScreen: boolean }> {
  return page.evaluate(() => {
    const captures = (window as unknown as { __captures: MediaStream[] }).__captures;
    const tracks = new Set(captures.flatMap((c) => c.getTracks()).filter((t) => t.readyState === 'live'));
    const video = document.querySelector('[data-testid="source-preview"]') as HTMLVideoElement | null;
    const shown = (video?.srcObject as MediaStream | null)?.getVideoTracks()[0];
    return {
      video: [...tracks].filter((t) => t.kind === 'video').length,
      audio: [...tracks].filter((t) => t.kind === 'audio').length,
      previewIsScreen: shown?.getSettings().displaySurface !== undefined,
    };
  });
}

describe('studio with screen capture', { timeout: 240_000 }, () => {
  let harness: StudioHarness;
  let page: Page;
  let pageErrors: string[];

  before(async () => {
    harness = await startStudioHarness({ fakeUi: true });
    ({ page, pageErrors } = await harness.openStudio('/', { initScript: RECORD_CAPTURES }));
  });

  after(async () => {
    await harness?.close();
  });

  test('Screen then Camera before the screen opened: the camera stays, the late screen is closed', async () => {
    await page.getByTestId('session-status').filter({ hasText: 'Relay ready' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.waitForFunction(() => ((document.querySelector('[data-testid="source-preview"]') as HTMLVideoElement | null)?.videoWidth ?? 0) > 0, null, {
      timeout: STEP_TIMEOUT_MS,
    });
    await page.getByTestId('source-screen').click();
    await page.getByTestId('source-camera').click();
    await page.waitForFunction(() => (window as unknown as { __captures: MediaStream[] }).__captures.some((c) => c.getVideoTracks()[0]?.getSettings().displaySurface), null, {
      timeout: STEP_TIMEOUT_MS,
    });
    await page.waitForTimeout(SLOW_SCREEN_MS * 2);
    assert.deepEqual(await liveCaptures(page), { video: 1, audio: 1, previewIsScreen: false });
  });

  test('Screen replaces the camera in the preview and goes live', async () => {
    await page.getByTestId('session-status').filter({ hasText: 'Relay ready' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.getByTestId('source-screen').click();
    await previewIsScreen(page, STEP_TIMEOUT_MS);
    assert.equal(await page.getByTestId('camera-select').isDisabled(), true);
    await page.getByTestId('stream-name').fill('screen1');
    await page.getByTestId('go-live').click();
    const card = page.locator('[data-testid="transponder-card"][data-stream="screen1"][data-status="PUBLISHING"]');
    await card.waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.screenshot({ path: join(SHOTS, 'studio-screen-live.png') });
    await page.getByTestId('stop-live').click();
    await page.locator('[data-testid="publish-status"][data-status="UNPUBLISHED"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    assert.deepEqual(pageErrors, []);
  });
});
