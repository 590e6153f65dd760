// Recording from the studio, end to end: Debian's Chromium with fake devices goes live to the embedded RTMP
// server, presses Record for the stream and for what the target receives, sees REC with a running time and a
// growing size, stops both, and finds the MP4s in the list of recorded files (and in the folder); a recording
// started and stopped over REST shows in the studio by itself.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { probeStreams } from '../helpers/media.js';
import { SHOTS, startStudioHarness, type StudioHarness } from './studio-harness.js';

const STEP_TIMEOUT_MS = 45_000;
let harness: StudioHarness;
let page: Page;
let pageErrors: string[];

const streamRow = '[data-testid="record-stream"]';
const targetRow = '[data-testid="record-target"]';

describe('studio: recording', { timeout: 300_000 }, () => {
  before(async () => {
    harness = await startStudioHarness();
    ({ page, pageErrors } = await harness.openStudio('/'));
  });

  after(async () => {
    if (page) await page.screenshot({ path: join(SHOTS, 'recording-99-last.png') }).catch(() => undefined);
    await harness?.close();
  });

  test('Record shows REC at once, with a running time and a growing size; Stop saves an MP4 listed in the panel', async () => {
    await page.getByTestId('session-status').filter({ hasText: 'Relay ready' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.waitForFunction(() => ((document.querySelector('[data-testid="source-preview"]') as HTMLVideoElement | null)?.videoWidth ?? 0) > 0, null, { timeout: STEP_TIMEOUT_MS });
    await page.getByTestId('go-live').click();
    await page.locator('[data-testid="transponder-card"][data-status="PUBLISHING"]').waitFor({ timeout: STEP_TIMEOUT_MS });

    await page.locator(`${streamRow}[data-state="IDLE"] [data-testid="record-start"]`).click();
    await page.locator(`${streamRow}[data-state="RECORDING"]`).waitFor({ timeout: 5000 });
    await page.locator(`${targetRow}[data-state="IDLE"] [data-testid="record-start"]`).click();
    await page.locator(`${targetRow}[data-state="RECORDING"]`).waitFor({ timeout: 5000 });
    // The time runs and the size grows while it records.
    const elapsed = (): Promise<number> =>
      page.locator(`${streamRow} [data-testid="recording-elapsed"]`).textContent().then((t) => {
        const [m, sec] = (t ?? '').split(':').map(Number);
        return (m ?? 0) * 60 + (sec ?? 0);
      });
    const first = await elapsed();
    await page.waitForTimeout(2500);
    assert.ok((await elapsed()) >= first + 2, 'the time runs');
    const size = await page.locator(`${streamRow} [data-testid="recording-size"]`).textContent();
    assert.match(size ?? '', /^\d+(\.\d)? (KB|MB)$/);
    assert.notEqual(size, '0 KB');
    await page.screenshot({ path: join(SHOTS, 'recording-01-recording.png') });

    await page.locator(`${targetRow} [data-testid="record-stop"]`).click();
    await page.locator(`${streamRow} [data-testid="record-stop"]`).click();
    await page.locator(`${streamRow}[data-state="IDLE"]`).waitFor({ timeout: 30_000 });
    await page.locator(`${targetRow}[data-state="IDLE"]`).waitFor({ timeout: 30_000 });
    const files = page.locator('[data-testid="recording-file"]');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="recording-file"]')].filter((n) => n.getAttribute('data-name')?.endsWith('.mp4')).length === 2, null, { timeout: 10_000 });
    const names = await files.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-name') ?? ''));
    await page.screenshot({ path: join(SHOTS, 'recording-02-files.png') });
    for (const name of names) {
      assert.match(name, /^studio-\d{8}-\d{6}(-2)?\.mp4$/);
      const file = join(harness.dataDir, 'recordings', name);
      assert.ok(existsSync(file), file);
      const probe = await probeStreams(file);
      assert.equal(probe.video?.codec, 'h264');
      assert.equal(probe.audio?.codec, 'aac');
      assert.ok(probe.durationSec > 2, `${name}: ${probe.durationSec} s`);
    }
    assert.deepEqual(pageErrors, []);
  });

  test('a recording started over REST shows in the studio by itself, and its stop too (/ws recording events)', async () => {
    const res = await fetch(`${harness.host.httpUrl}/rest-api/recording/startup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ streamName: 'studio' }),
    });
    assert.equal(res.status, 200);
    const { recordingId } = (await res.json()) as { recordingId: string };
    await page.locator(`${streamRow}[data-state="RECORDING"]`).waitFor({ timeout: 5000 });
    const stop = await fetch(`${harness.host.httpUrl}/rest-api/recording/terminate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ recordingId }),
    });
    assert.equal(stop.status, 200);
    await page.locator(`${streamRow}[data-state="IDLE"]`).waitFor({ timeout: 5000 });
    assert.deepEqual(pageErrors, []);
  });
});
