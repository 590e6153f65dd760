// Simulcast through the studio, as a streamer uses it: the studio captures the fake camera at 1280x720 and
// publishes it with simulcast (its default); three custom targets on nginx-rtmp, each given a quality in
// its picker (Highest, Medium, Lowest), go live together. What nginx records shows three sizes at falling
// bitrates, each starting with a keyframe and with one at least every 2.25 s, each with AAC, no re-encode.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { keyframeTimes, probeStreams, videoPacketTimes } from '../helpers/media.js';
import { startNginxRtmp, type NginxRtmp } from '../helpers/servers.js';
import { SHOTS, startStudioHarness, type StudioHarness } from './studio-harness.js';
import { join } from 'node:path';

const run = promisify(execFile);
const STEP_TIMEOUT_MS = 45_000;
/** How long the three targets stay live once all publish. */
const LIVE_MS = 9000;
const TARGETS = [
  { name: 'Big', key: 'simul_big', quality: 'highest', size: '1280x720' },
  { name: 'Middle', key: 'simul_middle', quality: 'medium', size: '640x360' },
  { name: 'Small', key: 'simul_small', quality: 'lowest', size: '320x180' },
] as const;

async function videoBytes(file: string): Promise<number> {
  const { stdout } = await run('/usr/bin/ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=size', '-of', 'csv=p=0', file], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.split('\n').reduce((sum, line) => sum + (Number(line.trim().split(',')[0]) || 0), 0);
}

describe('studio simulcast: one camera, three targets, three sizes', { timeout: 240_000 }, () => {
  let harness: StudioHarness;
  let nginx: NginxRtmp;
  let page: Page;
  let pageErrors: string[];

  before(async () => {
    [harness, nginx] = await Promise.all([startStudioHarness(), startNginxRtmp()]);
    ({ page, pageErrors } = await harness.openStudio('/'));
  });
  after(async () => {
    await page?.screenshot({ path: join(SHOTS, 'studio-simulcast-last.png') }).catch(() => undefined);
    await harness?.close();
    await nginx?.stop();
  });

  test('Highest, Medium and Lowest targets receive 720p, 360p and 180p of the one capture', async () => {
    await page.getByTestId('session-status').filter({ hasText: 'Relay ready' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.getByTestId('resolution-select').selectOption('1280x720');
    await page.waitForFunction(() => (document.querySelector('[data-testid="source-preview"]') as HTMLVideoElement | null)?.videoWidth === 1280, null, { timeout: STEP_TIMEOUT_MS });

    for (const target of TARGETS) {
      await page.getByTestId('target-kind').selectOption('custom');
      await page.getByTestId('target-add').click();
      await page.getByTestId('target-name').fill(target.name);
      await page.getByTestId('target-url').fill(nginx.url('live'));
      await page.getByTestId('target-key').fill(target.key);
      await page.getByTestId('target-save').click();
      const row = page.locator('li.target', { hasText: target.name });
      await row.locator('[data-testid^="target-quality-"]').selectOption(target.quality);
      await row.locator('input[type="checkbox"]').check();
    }
    await page.getByTestId('target-select-local').uncheck();

    await page.getByTestId('go-live').click();
    await nginx.waitForPublish(TARGETS.length, STEP_TIMEOUT_MS);
    const cards = page.locator('[data-testid="transponder-card"][data-status="PUBLISHING"]');
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="transponder-card"][data-status="PUBLISHING"]').length === n,
      TARGETS.length,
      { timeout: STEP_TIMEOUT_MS },
    );
    // Each card names the layer it sends, once Chromium sends all three (its bandwidth estimate grows first).
    await page.waitForFunction(
      (expected) => {
        const layers = [...document.querySelectorAll('[data-testid="transponder-card"] [data-testid="transponder-layer"]')].map((e) => e.textContent ?? '');
        return expected.every((p) => layers.some((l) => l.startsWith(p)));
      },
      ['720p', '360p', '180p'],
      { timeout: 30_000 },
    );
    await page.screenshot({ path: join(SHOTS, 'studio-simulcast-live.png') });
    assert.equal(await cards.count(), TARGETS.length);
    await new Promise((r) => setTimeout(r, LIVE_MS));
    await page.getByTestId('stop-live').click();
    await page.locator('[data-testid="publish-status"][data-status="UNPUBLISHED"]').waitFor({ timeout: STEP_TIMEOUT_MS });

    const files = [await nginx.waitForRecording(), await nginx.waitForRecording(), await nginx.waitForRecording()];
    const rates: number[] = [];
    const report: string[] = [];
    for (const target of TARGETS) {
      const file = files.find((f) => basename(f).startsWith(target.key));
      assert.ok(file, `a recording of ${target.key}: ${files.join(', ')}`);
      const summary = await probeStreams(file);
      assert.equal(summary.video?.codec, 'h264');
      assert.equal(`${summary.video?.width}x${summary.video?.height}`, target.size, `${target.quality}: the recorded size`);
      assert.equal(summary.audio?.codec, 'aac', `${target.quality}: AAC`);
      const keys = await keyframeTimes(file);
      const times = await videoPacketTimes(file);
      assert.equal(keys[0], times[0], `${target.quality}: the recording starts with a keyframe`);
      const gaps = keys.slice(1).map((t, i) => t - keys[i]!);
      assert.ok(gaps.length >= 2 && gaps.every((g) => g <= 2.25), `${target.quality}: keyframe intervals ${gaps.map((g) => g.toFixed(2)).join(', ')}`);
      const span = times.at(-1)! - times[0]!;
      const kbps = ((await videoBytes(file)) * 8) / span / 1000;
      rates.push(kbps);
      report.push(`${target.quality} ${target.size} ${kbps.toFixed(0)} kb/s over ${span.toFixed(1)} s, keyframe gaps ${gaps.map((g) => g.toFixed(2)).join('/')}`);
    }
    console.log(`# ${report.join('; ')}`);
    assert.ok(rates[0]! > rates[1]! && rates[1]! > rates[2]!, `bitrates fall with the size: ${rates.map((r) => r.toFixed(0)).join(' > ')} kb/s`);
    assert.deepEqual(pageErrors, []);
  });
});
