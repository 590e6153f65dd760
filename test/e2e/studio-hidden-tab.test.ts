// The studio behind another tab keeps sending its program: a headful Chromium in an Xvfb display of its
// own, driven by puppeteer-core (Playwright makes every page report itself visible), goes live with the
// "Screen + camera" scene, then another tab of its window is brought to the front. The studio's page
// reports itself hidden — where requestAnimationFrame stops and page timers are throttled — and the
// compositor still draws at its frame rate (its clock is a Worker's), the transponder still sends and
// nginx records moving pictures. The bounds are generous (a throttled page would draw 1 frame a second or
// none): how well it keeps its rate is the bench's to measure.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { createHost, type Host } from '../../src-main/host.js';
import { silentLog } from '../../src-relay/log.js';
import { decodeVideo } from '../helpers/media.js';
import { removeDir, startNginxRtmp, studioHostOverrides, type NginxRtmp } from '../helpers/servers.js';
import { launchHeadfulChromium, openStudioScene, press, type HeadfulChromium } from '../helpers/headful-studio.js';
import { waitFor } from '../helpers/wait.js';
import { buildStudioIfStale } from './studio-harness.js';

const STEP_TIMEOUT_MS = 45_000;
const HIDDEN_MS = 6000;

interface Sent {
  mediaSessionId: string;
  status: string;
  stats: { fps: number };
}

async function rest<T>(base: string, path: string, body: unknown): Promise<T> {
  const response = await fetch(new URL(path, base), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const programFrames = (page: Page): Promise<number> => page.$eval('[data-testid="program-stats"]', (e) => Number(e.getAttribute('data-frames')));

describe('the studio behind another tab', { timeout: 180_000 }, () => {
  let headful: HeadfulChromium;
  let host: Host;
  let nginx: NginxRtmp;
  const dataDir = mkdtempSync(join(tmpdir(), 'castbridge-hidden-'));

  before(async () => {
    buildStudioIfStale();
    [headful, nginx, host] = await Promise.all([launchHeadfulChromium(), startNginxRtmp(), studioHostOverrides().then((overrides) => createHost({ dataDir, overrides, log: silentLog }))]);
  });
  after(async () => {
    await headful?.close();
    await host?.close().catch(() => undefined);
    await nginx?.stop();
    removeDir(dataDir);
  });

  test('hidden, the composed program keeps its frames coming and the target keeps receiving them', async () => {
    const base = host.httpUrl;
    const { browser, page: studio } = headful;
    const pageErrors: string[] = [];
    studio.on('pageerror', (error) => pageErrors.push(error instanceof Error ? error.message : String(error)));
    await openStudioScene(studio, base, 'Screen + camera', STEP_TIMEOUT_MS);
    await studio.waitForSelector('[data-testid="program-stats"][data-direct="false"]', { timeout: STEP_TIMEOUT_MS });
    await press(studio, 'go-live', STEP_TIMEOUT_MS);
    await studio.waitForSelector('[data-testid="publish-status"][data-status="PUBLISHING"]', { timeout: STEP_TIMEOUT_MS });
    // The one target measured: nginx, through the REST API (the studio's own local target is stopped).
    for (const t of await rest<Sent[]>(base, '/rest-api/push/find_all', {})) await rest(base, '/rest-api/push/terminate', { mediaSessionId: t.mediaSessionId });
    await rest(base, '/rest-api/push/startup', { streamName: 'studio', rtmpUrl: `${nginx.url('live')}/hidden`, rtmpTransponderFullUrl: true });
    await waitFor('the transponder PUBLISHING', async () => (await rest<Sent[]>(base, '/rest-api/push/find_all', {}))[0]?.status === 'PUBLISHING', STEP_TIMEOUT_MS, 200);
    await nginx.waitForPublish(1, STEP_TIMEOUT_MS);

    const cover = await browser.newPage();
    await cover.goto(`${base}/openapi.json`);
    await cover.bringToFront();
    await waitFor('the studio hidden', async () => (await studio.evaluate(() => document.visibilityState)) === 'hidden', 10_000, 100);
    const framesBefore = await programFrames(studio);
    const fps: number[] = [];
    for (let i = 0; i < HIDDEN_MS / 1000; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      fps.push((await rest<Sent[]>(base, '/rest-api/push/find_all', {}))[0]?.stats.fps ?? 0);
    }
    const drawn = (await programFrames(studio)) - framesBefore;
    assert.equal(await studio.evaluate(() => document.visibilityState), 'hidden', 'the studio stayed hidden while measured');
    const perSecond = (drawn * 1000) / HIDDEN_MS;
    console.log(`# hidden ${HIDDEN_MS / 1000} s: the compositor drew ${perSecond.toFixed(1)} frames/s; the transponder sent ${fps.join(', ')} fps`);
    assert.ok(perSecond > 20, `the compositor kept drawing in the hidden tab (${perSecond.toFixed(1)} frames/s)`);
    assert.ok(fps.slice(1).every((f) => f > 20), `the target kept receiving the program (${fps.join(', ')} fps)`);

    await cover.close();
    await studio.bringToFront();
    await press(studio, 'stop-live', STEP_TIMEOUT_MS);
    await studio.waitForSelector('[data-testid="publish-status"][data-status="UNPUBLISHED"]', { timeout: STEP_TIMEOUT_MS });
    const decoded = await decodeVideo(await nginx.waitForRecording());
    assert.deepEqual(decoded.errors, [], 'every recorded frame decodes');
    assert.ok(decoded.frames > (HIDDEN_MS / 1000) * 20, `nginx recorded ${decoded.frames} frames`);
    assert.deepEqual(pageErrors, []);
  });
});
