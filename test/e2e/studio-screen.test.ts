// Screen capture as the studio's video source: Chromium's fake screen (with --use-fake-ui-for-media-stream
// it answers getDisplayMedia itself) replaces the camera in the preview and goes live.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { SHOTS, startStudioHarness, type StudioHarness } from './studio-harness.js';

const STEP_TIMEOUT_MS = 45_000;

describe('studio with screen capture', { timeout: 240_000 }, () => {
  let harness: StudioHarness;
  let page: Page;
  let pageErrors: string[];

  before(async () => {
    harness = await startStudioHarness({ fakeUi: true });
    ({ page, pageErrors } = await harness.openStudio('/'));
  });

  after(async () => {
    await harness?.close();
  });

  test('Screen replaces the camera in the preview and goes live', async () => {
    await page.getByTestId('session-status').filter({ hasText: 'Relay ready' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.getByTestId('source-screen').click();
    await page.waitForFunction(
      () => {
        const video = document.querySelector('[data-testid="source-preview"]') as HTMLVideoElement | null;
        const track = (video?.srcObject as MediaStream | null)?.getVideoTracks()[0];
        return !!track && track.getSettings().displaySurface !== undefined && video!.videoWidth > 0;
      },
      null,
      { timeout: STEP_TIMEOUT_MS },
    );
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
