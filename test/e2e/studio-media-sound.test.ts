// A sound of the media folder played into the mix, as the streamer sees it in the studio's mixer: the
// "Media sounds" meter shows the sound while it plays, a looped sound keeps playing past its own length
// until Stop, Stop silences it at once, and a sound played once ends by itself. The sound is a 0.4 s WAV
// at −12 dBFS uploaded over REST; the meter is the mixer's own reading after the fader.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { encodeWav } from '../../src-relay/codec/audio/wav.js';
import { sine } from '../helpers/tone.js';
import { waitFor } from '../helpers/wait.js';
import { startStudioHarness, type StudioHarness } from './studio-harness.js';

const SOUND_S = 0.4;
const STEP_TIMEOUT_MS = 30_000;

/** The "Media sounds" meter's peak in dBFS (−Infinity for silence). */
async function mediaPeak(page: Page): Promise<number> {
  const value = await page.getByTestId('mixer-meter-media').getAttribute('data-peak');
  return value === '-inf' || value === null ? -Infinity : Number(value);
}

/** Waits until the mixer says nothing is playing. */
function nothingPlaying(page: Page, timeoutMs: number): Promise<unknown> {
  return waitFor('the mixer to say nothing is playing', async () => (await page.getByTestId('mixer-media-status').textContent()) === '', timeoutMs, 50);
}

/** The meter's readings over `ms` (one per 100 ms, as the studio updates it). */
async function peaksFor(page: Page, ms: number): Promise<number[]> {
  const peaks: number[] = [];
  for (const end = Date.now() + ms; Date.now() < end; ) {
    peaks.push(await mediaPeak(page));
    await new Promise((r) => setTimeout(r, 100));
  }
  return peaks;
}

describe('a media sound in the studio mixer: loop, stop, once', { timeout: 120_000 }, () => {
  let harness: StudioHarness;
  let page: Page;
  let pageErrors: string[];

  before(async () => {
    harness = await startStudioHarness();
    const wav = encodeWav(sine(1000, 48000, Math.round(SOUND_S * 48000), 8192), 48000, 1, 16);
    const put = await fetch(new URL('/api/media/blip.wav', harness.host.httpUrl), { method: 'PUT', headers: { 'Content-Type': 'audio/wav' }, body: new Uint8Array(wav) });
    assert.equal(put.status, 200, await put.text());
    ({ page, pageErrors } = await harness.openStudio('/'));
    await page.getByTestId('mixer-media-file').locator('option', { hasText: 'blip.wav' }).waitFor({ state: 'attached', timeout: STEP_TIMEOUT_MS });
    await page.getByTestId('mixer-media-file').selectOption('blip.wav');
  });
  after(async () => {
    await harness?.close();
  });

  test('looped, the sound plays past its own length until Stop, which silences it at once', async () => {
    await page.getByTestId('mixer-media-loop').check();
    await page.getByTestId('mixer-media-play').click();
    await page.getByTestId('mixer-media-status').filter({ hasText: 'Playing blip.wav (looped)' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await waitFor('the media meter to show the sound', async () => (await mediaPeak(page)) > -30, 5000, 50);
    // Three times the sound's length: a sound played once would have ended twice over.
    const looped = await peaksFor(page, SOUND_S * 3000);
    assert.ok(looped.every((p) => p > -30), `the meter shows the looped sound all along: ${looped.join(' ')} dBFS`);
    assert.ok(looped.some((p) => Math.abs(p + 12) < 3), `at the sound's level (−12 dBFS): ${looped.join(' ')}`);

    await page.getByTestId('mixer-media-stop').click();
    await nothingPlaying(page, 5000);
    await waitFor('silence on the media meter after Stop', async () => (await mediaPeak(page)) === -Infinity, 1000, 50);
    assert.equal(await page.getByTestId('mixer-media-stop').isDisabled(), true, 'nothing left to stop');
  });

  test('played once, the sound ends by itself after its length', async () => {
    await page.getByTestId('mixer-media-loop').uncheck();
    await page.getByTestId('mixer-media-play').click();
    await page.getByTestId('mixer-media-status').filter({ hasText: 'Playing blip.wav' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    assert.doesNotMatch((await page.getByTestId('mixer-media-status').textContent()) ?? '', /looped/);
    await waitFor('the media meter to show the sound', async () => (await mediaPeak(page)) > -30, 5000, 50);
    await nothingPlaying(page, SOUND_S * 1000 + 3000);
    const after = await peaksFor(page, 600);
    assert.ok(after.slice(2).every((p) => p === -Infinity), `silence once it ended: ${after.join(' ')}`);
    assert.deepEqual(pageErrors, []);
  });
});
