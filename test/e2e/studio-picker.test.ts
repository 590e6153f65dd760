// The desktop app's screen picker, tested in Chromium: a stand-in for the shell's `window.castbridge`
// (src-contract/desktop.ts) lists a screen and a window with PNG thumbnails and records what the studio
// chooses; the studio's own dialog must ask, and then getDisplayMedia (Chromium's fake screen, answered by
// --use-fake-ui-for-media-stream) captures. This checks the studio's dialog, not Electron. Then the camera
// picker of a camera layer: Chromium has one fake camera, so the test checks what the picker saves and that
// two layers naming the same camera share one capture.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { Scene } from '../../src-contract/scenes.js';
import { previewIsScreen, SHOTS, startStudioHarness, type StudioHarness } from './studio-harness.js';

const STEP_TIMEOUT_MS = 45_000;

/** A shell stand-in: two sources with real PNG thumbnails drawn on a canvas, system sound offered. */
const FAKE_SHELL = `
  window.__chosen = [];
  window.__listed = 0;
  const png = (colour) => {
    const c = document.createElement('canvas');
    c.width = 32; c.height = 18;
    const g = c.getContext('2d'); g.fillStyle = colour; g.fillRect(0, 0, 32, 18);
    return c.toDataURL('image/png');
  };
  // Every camera capture the page opens, to count live cameras.
  window.__cameras = [];
  const userMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (c) => { const s = await userMedia(c); if (c && c.video) window.__cameras.push(s); return s; };
  window.castbridge = {
    appInfo: async () => ({ version: '0.0.0-test', secretsKind: 'test' }),
    openMediaFolder: async () => '/tmp',
    captureSources: async (request) => {
      window.__listed++;
      window.__request = request;
      return {
        systemAudio: true,
        sources: [
          { id: 'screen:1:0', name: 'Entire screen', kind: 'screen', thumbnail: png('#ff0000') },
          { id: 'window:42:0', name: 'Slides — Presenter', kind: 'window', thumbnail: png('#00ff00'), appIcon: png('#0000ff') },
        ],
      };
    },
    chooseCaptureSource: async (choice) => {
      window.__chosen.push(choice);
      return choice.id.startsWith('screen:') || choice.id.startsWith('window:') ? { ok: true } : { ok: false, error: 'no such source' };
    },
  };
`;


describe('the desktop screen picker', { timeout: 180_000 }, () => {
  let harness: StudioHarness;
  let page: Page;
  let pageErrors: string[];

  before(async () => {
    harness = await startStudioHarness({ fakeUi: true });
    ({ page, pageErrors } = await harness.openStudio('/', { initScript: FAKE_SHELL }));
    await page.getByTestId('session-status').filter({ hasText: 'Relay ready' }).waitFor({ timeout: STEP_TIMEOUT_MS });
  });

  after(async () => {
    await harness?.close();
  });

  test('Cancel closes the dialog, chooses nothing and says sharing was cancelled', async () => {
    await page.getByTestId('source-screen').click();
    const dialog = page.getByRole('dialog', { name: 'Choose what to share' });
    await dialog.waitFor({ timeout: STEP_TIMEOUT_MS });
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __request: unknown }).__request), { types: ['screen', 'window'], thumbnailWidth: 320 });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
    await page.getByTestId('preview-error').filter({ hasText: 'Screen sharing was cancelled' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __chosen: unknown[] }).__chosen), []);
  });

  test('two labelled groups of thumbnails; the keyboard picks the window with system sound; the screen is captured', async () => {
    await page.getByTestId('source-camera').click();
    await page.getByTestId('source-screen').click();
    const dialog = page.getByRole('dialog', { name: 'Choose what to share' });
    await dialog.waitFor({ timeout: STEP_TIMEOUT_MS });
    const screens = dialog.getByRole('group', { name: 'Screens' });
    const windows = dialog.getByRole('group', { name: 'Windows' });
    assert.deepEqual(await screens.getByTestId('picker-source').allInnerTexts(), ['Entire screen']);
    assert.deepEqual(await windows.getByTestId('picker-source').allInnerTexts(), ['Slides — Presenter']);
    // Thumbnails are the shell's PNGs, decoded by the page.
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="picker-source"] img')].every((img) => (img as HTMLImageElement).naturalWidth === 32), null, { timeout: STEP_TIMEOUT_MS });
    // The first tile has the focus and is chosen; the arrow key moves to the window.
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.id), 'screen:1:0');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.id), 'window:42:0');
    assert.equal(await windows.getByTestId('picker-source').getAttribute('aria-pressed'), 'true');
    assert.equal(await screens.getByTestId('picker-source').getAttribute('aria-pressed'), 'false');
    await dialog.getByLabel('Share system sound').check();
    await page.screenshot({ path: join(SHOTS, 'studio-screen-picker.png') });
    await dialog.getByRole('button', { name: 'Share' }).click();
    await dialog.waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
    await previewIsScreen(page, STEP_TIMEOUT_MS);
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __chosen: unknown[] }).__chosen), [{ id: 'window:42:0', audio: true }]);
    assert.deepEqual(pageErrors, []);
  });

  test('Tab and Shift+Tab stay inside the dialog; Escape closes it like Cancel and the focus goes back to the Screen button', async () => {
    await page.getByTestId('source-camera').click();
    await page.getByTestId('source-screen').click();
    const dialog = page.getByRole('dialog', { name: 'Choose what to share' });
    await dialog.waitFor({ timeout: STEP_TIMEOUT_MS });
    const focused = (): Promise<{ inside: boolean; id: string }> =>
      page.evaluate(() => {
        const active = document.activeElement as HTMLElement | null;
        return { inside: !!active?.closest('[data-testid="screen-picker"]'), id: active?.dataset.testid ?? active?.tagName ?? '' };
      });
    assert.deepEqual(await focused(), { inside: true, id: 'picker-source' });
    await page.keyboard.press('Shift+Tab');
    assert.deepEqual(await focused(), { inside: true, id: 'picker-share' }, 'Shift+Tab from the first tile goes to the last button');
    await page.keyboard.press('Tab');
    assert.deepEqual(await focused(), { inside: true, id: 'picker-source' }, 'Tab from the last button comes back to the first tile');
    // Twice round (two tiles, the sound switch, Cancel, Share): never outside.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      assert.equal((await focused()).inside, true, `Tab ${i + 1} stays inside the dialog`);
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
    assert.equal((await focused()).id, 'source-screen', 'the focus is back on the button that opened the picker');
    await page.getByTestId('preview-error').filter({ hasText: 'Screen sharing was cancelled' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    assert.equal(await page.evaluate(() => (window as unknown as { __chosen: unknown[] }).__chosen.length), 1);
  });

  test("a camera layer's picker saves the deviceId (a label matches too); two layers of one camera share one capture", async () => {
    const base = harness.host.httpUrl;
    const scene: Scene = {
      name: 'Two cameras',
      layers: [
        { kind: 'camera', x: 0, y: 0, width: 1, height: 1 },
        { kind: 'camera', x: 0.7, y: 0.7, width: 0.3, height: 0.3, device: 'fake_device_0' },
      ],
    };
    const put = await fetch(new URL('/api/scenes/Two%20cameras', base), { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(scene) });
    assert.equal(put.status, 200, await put.text());
    const savedDevice = async (): Promise<string | undefined> =>
      ((await (await fetch(new URL('/api/scenes', base))).json()) as { scenes: Scene[] }).scenes.find((s) => s.name === 'Two cameras')?.layers[1]?.device;
    const cameraId = await page.evaluate(async () => (await navigator.mediaDevices.enumerateDevices()).find((d) => d.kind === 'videoinput' && d.label === 'fake_device_0')?.deviceId);
    assert.ok(cameraId, 'the fake camera has a deviceId');
    await page.getByRole('button', { name: 'Edit Two cameras' }).click();
    // Top layer first: the picture-in-picture camera.
    await page.getByTestId('layer-row').first().locator('.layer-pick').click();
    const picker = page.getByTestId('layer-device');
    await page.waitForFunction((id) => (document.querySelector('[data-testid="layer-device"]') as HTMLSelectElement | null)?.value === id, cameraId, { timeout: STEP_TIMEOUT_MS });
    assert.deepEqual(await picker.locator('option').allInnerTexts(), ["The studio's camera", 'fake_device_0']);
    await picker.selectOption('');
    for (let i = 0; i < 50 && (await savedDevice()) !== undefined; i++) await page.waitForTimeout(100);
    assert.equal(await savedDevice(), undefined);
    await picker.selectOption({ label: 'fake_device_0' });
    for (let i = 0; i < 50 && (await savedDevice()) !== cameraId; i++) await page.waitForTimeout(100);
    assert.equal(await savedDevice(), cameraId);

    // Share the screen, so that the scene's cameras are extra captures beside the preview.
    await page.getByTestId('source-camera').click();
    await page.getByTestId('source-screen').click();
    const dialog = page.getByRole('dialog', { name: 'Choose what to share' });
    await dialog.waitFor({ timeout: STEP_TIMEOUT_MS });
    await dialog.getByRole('button', { name: 'Share' }).click();
    await previewIsScreen(page, STEP_TIMEOUT_MS);
    await page.locator('[data-testid="scene-item"][data-name="Two cameras"]').click();
    const liveCameras = (): Promise<number> =>
      page.evaluate(() => (window as unknown as { __cameras: MediaStream[] }).__cameras.flatMap((c) => c.getVideoTracks()).filter((t) => t.readyState === 'live').length);
    for (let i = 0; i < 100 && (await liveCameras()) === 0; i++) await page.waitForTimeout(100);
    await page.waitForTimeout(1000);
    assert.equal(await liveCameras(), 1, 'both camera layers show one capture of the one camera');
    assert.equal(await page.getByTestId('scenes-error').count(), 0);
    assert.deepEqual(pageErrors, []);
  });

  test('crop fields save percentages as fractions; a crop that leaves nothing is refused with a sentence', async () => {
    const base = harness.host.httpUrl;
    const savedCrop = async (): Promise<unknown> =>
      ((await (await fetch(new URL('/api/scenes', base))).json()) as { scenes: Scene[] }).scenes.find((s) => s.name === 'Two cameras')?.layers[1]?.crop;
    // Switching scenes put "Two cameras" in the editor; pick its picture-in-picture camera (top first).
    await page.getByRole('button', { name: 'Edit Two cameras' }).click();
    await page.getByTestId('layer-row').first().locator('.layer-pick').click();
    await page.getByTestId('layer-crop-left').fill('10');
    await page.getByTestId('layer-crop-bottom').fill('25');
    const wanted = { left: 0.1, top: 0, right: 0, bottom: 0.25 };
    for (let i = 0; i < 50 && JSON.stringify(await savedCrop()) !== JSON.stringify(wanted); i++) await page.waitForTimeout(100);
    assert.deepEqual(await savedCrop(), wanted);
    await page.getByTestId('layer-crop-right').fill('90');
    await page.getByTestId('layer-crop-error').filter({ hasText: 'Left and right crops together must leave some of the picture' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    assert.equal(await page.getByTestId('layer-crop-right').getAttribute('aria-invalid'), 'true');
    await page.getByTestId('layer-crop-top').fill('120');
    await page.getByTestId('layer-crop-error').filter({ hasText: 'The top crop must be a number from 0 to 100 %.' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.waitForTimeout(1000); // longer than the editor's save delay
    assert.deepEqual(await savedCrop(), wanted, 'a refused crop is not saved');
    await page.getByTestId('layer-crop-top').fill('0');
    await page.getByTestId('layer-crop-right').fill('0');
    await page.getByTestId('layer-crop-left').fill('0');
    await page.getByTestId('layer-crop-bottom').fill('0');
    for (let i = 0; i < 50 && (await savedCrop()) !== undefined; i++) await page.waitForTimeout(100);
    assert.equal(await savedCrop(), undefined, 'no crop left: the field is dropped');
    assert.equal(await page.getByTestId('layer-crop-error').count(), 0);
    assert.deepEqual(pageErrors, []);
  });
});
