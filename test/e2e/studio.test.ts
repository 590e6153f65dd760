// The studio end to end: Debian's Chromium with fake devices opens the studio served by the real host,
// goes live to the default target (the embedded RTMP server), watches what the target receives, mutes,
// injects test.wav, sees a REST-created transponder appear by itself, and stops. Screenshots of every
// step land in test-output/e2e/.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { createHost } from '../../src-main/host.js';
import { silentLog } from '../../src-relay/log.js';
import { removeDir, startNginxRtmp, type NginxRtmp } from '../helpers/servers.js';
import { frameFingerprint, ROOT, SHOTS, startStudioHarness, type StudioHarness } from './studio-harness.js';

const STEP_TIMEOUT_MS = 45_000;
let harness: StudioHarness;
let page: Page;
let pageErrors: string[];
let nginx: NginxRtmp | undefined;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `studio-${name}.png`) });
}

const card = (extra = ''): string => `[data-testid="transponder-card"][data-stream="studio"]${extra}`;

describe('studio', { timeout: 300_000 }, () => {
  before(async () => {
    harness = await startStudioHarness();
    ({ page, pageErrors } = await harness.openStudio('/'));
  });

  after(async () => {
    if (page) await shot('99-last').catch(() => undefined);
    await harness?.close();
    await nginx?.stop();
  });

  test('opens with a running camera preview, a mic meter and the embedded server selected', async () => {
    await page.getByTestId('session-status').filter({ hasText: 'Relay ready' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.waitForFunction(() => ((document.querySelector('[data-testid="source-preview"]') as HTMLVideoElement | null)?.videoWidth ?? 0) > 0, null, { timeout: STEP_TIMEOUT_MS });
    assert.equal(await page.getByTestId('target-select-local').isChecked(), true);
    assert.ok((await page.getByTestId('camera-select').locator('option').count()) >= 1);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="mic-meter"]')?.getAttribute('data-level')) > 0, null, { timeout: STEP_TIMEOUT_MS });
    await shot('01-open');
  });

  test('Go live: the transponder card reaches PUBLISHING', async () => {
    await page.getByTestId('go-live').click();
    await page.locator('[data-testid="publish-status"][data-status="PUBLISHING"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.locator(card('[data-status="PUBLISHING"]')).waitFor({ timeout: STEP_TIMEOUT_MS });
    await shot('02-live');
  });

  test('the card names the layer it sends; each target has a quality picker, auto by default', async () => {
    await page.waitForFunction(
      (sel) => /^\d+p/.test(document.querySelector(sel)?.textContent ?? ''),
      `${card()} [data-testid="transponder-layer"]`,
      { timeout: STEP_TIMEOUT_MS },
    );
    const picker = page.getByTestId('target-quality-local');
    assert.equal(await picker.inputValue(), '');
    assert.deepEqual(await picker.locator('option').allTextContents(), ['Auto (highest)', 'Highest', 'Medium', 'Lowest']);
  });

  test('the preview of what the target receives shows moving video', async () => {
    const video = '[data-testid="target-preview"]';
    await page.waitForFunction(
      (sel) => {
        const v = document.querySelector(sel) as HTMLVideoElement | null;
        return !!v && v.readyState >= 2 && v.videoWidth > 0 && v.currentTime > 0;
      },
      video,
      { timeout: STEP_TIMEOUT_MS },
    );
    const first = await frameFingerprint(page, video);
    await page.waitForTimeout(1500);
    const second = await frameFingerprint(page, video);
    assert.equal(first.length, second.length);
    const changed = first.filter((v, i) => Math.abs(v - second[i]!) > 8).length;
    assert.ok(changed > 0, 'two frames of the preview 1.5 s apart are identical: the video is not moving');
    assert.ok(first.some((v) => v > 20), 'the preview frame is black');
    await shot('03-preview');
  });

  test('mute and unmute go through the REST API and show on the card', async () => {
    await page.locator(card()).getByTestId('mute').click();
    await page.locator(card('[data-muted="true"]')).waitFor({ timeout: STEP_TIMEOUT_MS });
    await shot('04-muted');
    await page.locator(card()).getByTestId('unmute').click();
    await page.locator(card('[data-muted="false"]')).waitFor({ timeout: STEP_TIMEOUT_MS });
  });

  test('test.wav from the media folder is injected', async () => {
    const select = page.locator(card()).getByTestId('sound-select');
    await select.locator('option[value="test.wav"]').waitFor({ state: 'attached', timeout: STEP_TIMEOUT_MS });
    await select.selectOption('test.wav');
    await page.locator(card()).getByTestId('sound-loop').check();
    await page.locator(card()).getByTestId('sound-on').click();
    await page.locator(card('[data-sound="true"]')).waitFor({ timeout: STEP_TIMEOUT_MS });
    await shot('05-sound');
  });

  test('a WAV added from the card lands in the media folder and in the picker', async () => {
    const wav = readFileSync(join(ROOT, 'assets', 'media', 'test.wav'));
    await page.locator(card()).getByTestId('sound-upload').setInputFiles({ name: 'chime.wav', mimeType: 'audio/wav', buffer: wav });
    await page.locator(card()).locator('[data-testid="sound-select"] option[value="chime.wav"]').waitFor({ state: 'attached', timeout: STEP_TIMEOUT_MS });
    const media = (await (await fetch(new URL('/api/media', harness.host.httpUrl))).json()) as { files: Array<{ name: string }> };
    assert.ok(media.files.some((f) => f.name === 'chime.wav'), JSON.stringify(media));
  });

  test('a transponder created meanwhile through the REST API appears by itself', async () => {
    const info = (await (await fetch(new URL('/api/info', harness.host.httpUrl))).json()) as { localRtmpUrl: string };
    const response = await fetch(new URL('/rest-api/push/startup', harness.host.httpUrl), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ streamName: 'studio', rtmpUrl: `${info.localRtmpUrl}/rest_copy`, rtmpTransponderFullUrl: true }),
    });
    const body = (await response.json()) as { mediaSessionId?: string; error?: string };
    assert.equal(response.status, 200, JSON.stringify(body));
    await page.locator(`[data-testid="transponder-card"][data-id="${body.mediaSessionId}"]`).waitFor({ timeout: STEP_TIMEOUT_MS });
    assert.equal(await page.locator('[data-testid="transponder-card"]').count(), 2);
    await shot('06-rest-transponder');
  });

  test('Stop ends the stream and its transponders', async () => {
    await page.getByTestId('stop-live').click();
    await page.locator('[data-testid="publish-status"][data-status="UNPUBLISHED"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid="transponder-card"]')].every((c) => ['STOPPED', 'FAILED'].includes(c.getAttribute('data-status') ?? '')),
      null,
      { timeout: STEP_TIMEOUT_MS },
    );
    assert.equal(await page.getByTestId('go-live').isVisible(), true);
    await shot('07-stopped');
    assert.deepEqual(pageErrors, []);
  });

  test('a YouTube target: the key is masked, shown on demand, and saved through /api/targets', async () => {
    await page.getByTestId('target-kind').selectOption('youtube');
    await page.getByTestId('target-add').click();
    const key = page.getByTestId('target-key');
    assert.equal(await page.getByTestId('target-url').inputValue(), 'rtmps://a.rtmps.youtube.com:443/live2');
    await key.fill('abcd-1234-efgh');
    assert.equal(await key.getAttribute('type'), 'password');
    await page.getByTestId('target-key-toggle').click();
    assert.equal(await key.getAttribute('type'), 'text');
    await page.screenshot({ path: join(SHOTS, 'studio-10-target-editor.png') });
    await page.getByTestId('target-save').click();
    await page.getByTestId('target-editor').waitFor({ state: 'detached' });
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    let saved: Array<{ kind: string; streamKey: string }> = [];
    while (Date.now() < deadline && saved.length === 0) {
      saved = (await (await fetch(new URL('/api/targets', harness.host.httpUrl))).json()) as typeof saved;
      if (saved.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(saved.map((t) => [t.kind, t.streamKey]), [['youtube', 'abcd-1234-efgh']]);
    assert.equal(await page.locator('[data-testid^="target-select-"]').count(), 2);
  });

  test('settings: every setting with its explanation, a bad value named with its bound', async () => {
    await page.getByTestId('tab-settings').click();
    const port = page.getByTestId('setting-rest_http_port');
    await port.waitFor({ timeout: STEP_TIMEOUT_MS });
    await port.locator('input').fill('99999');
    assert.match(await port.locator('.field-error').innerText(), /rest_http_port must be a port number from 0 to 65535, got "99999"/);
    assert.equal(await page.getByTestId('settings-save').isDisabled(), true);
    await page.screenshot({ path: join(SHOTS, 'studio-11-settings.png') });
    await port.locator('input').fill('0');
    assert.equal(await port.locator('.field-error').count(), 0);
    // The auto-push URL may end in a stream key: hidden like a target's key until asked for.
    const autoUrl = page.getByTestId('setting-rtmp_push_auto_start_url').locator('input');
    assert.equal(await autoUrl.getAttribute('type'), 'password');
    await page.getByTestId('setting-toggle-rtmp_push_auto_start_url').click();
    assert.equal(await autoUrl.getAttribute('type'), 'text');
    await page.getByTestId('tab-studio').click();
    await page.getByTestId('go-live').waitFor();
  });

  test('a custom target with a key publishes the key as the name, without prefix, and hides it on the card', async () => {
    nginx = await startNginxRtmp();
    await page.getByTestId('target-kind').selectOption('custom');
    await page.getByTestId('target-add').click();
    await page.getByTestId('target-name').fill('My server');
    await page.getByTestId('target-url').fill(nginx.url('live'));
    await page.getByTestId('target-key').fill('secretkey1');
    await page.getByTestId('target-save').click();
    await page.locator('li.target', { hasText: 'My server' }).locator('input[type="checkbox"]').check();
    await page.getByTestId('go-live').click();
    const publish = await nginx.waitForPublish(1, STEP_TIMEOUT_MS);
    assert.deepEqual([publish.app, publish.name], ['live', 'secretkey1']);
    const custom = page.locator('[data-testid="transponder-card"][data-status="PUBLISHING"]', { hasText: `127.0.0.1:${nginx.port}` });
    await custom.waitFor({ timeout: STEP_TIMEOUT_MS });
    assert.doesNotMatch(await custom.innerText(), /secretkey1/);
    await shot('12-custom-target');
    await page.getByTestId('stop-live').click();
    await page.locator('[data-testid="publish-status"][data-status="UNPUBLISHED"]').waitFor({ timeout: STEP_TIMEOUT_MS });
  });

  test('camera denied: a clear message with Retry, and the studio keeps working', async () => {
    const denied = await harness.openStudio('/', { grant: false });
    await denied.page.getByTestId('preview-error').waitFor({ timeout: STEP_TIMEOUT_MS });
    assert.match(await denied.page.getByTestId('preview-error').innerText(), /not allowed to use your camera or microphone/);
    await denied.page.getByTestId('session-status').filter({ hasText: 'Relay ready' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await denied.page.getByTestId('tab-settings').click();
    await denied.page.getByTestId('settings-panel').waitFor();
    await denied.page.getByTestId('tab-studio').click();
    await denied.page.screenshot({ path: join(SHOTS, 'studio-08-camera-denied.png') });
    assert.deepEqual(denied.pageErrors, []);
    await denied.context.close();
  });

  test('no camera at all: says so and suggests plugging one in or sharing the screen', async () => {
    // A machine without devices, as the browser reports it (W3C Media Capture: NotFoundError).
    const missing = await harness.openStudio('/', {
      initScript: `navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Requested device not found', 'NotFoundError'));
        navigator.mediaDevices.enumerateDevices = () => Promise.resolve([]);`,
    });
    await missing.page.getByTestId('preview-error').waitFor({ timeout: STEP_TIMEOUT_MS });
    assert.match(await missing.page.getByTestId('preview-error').innerText(), /No camera or microphone was found/);
    await missing.page.getByTestId('session-status').filter({ hasText: 'Relay ready' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await missing.page.getByTestId('go-live').click();
    await missing.page.getByTestId('publish-error').waitFor({ timeout: STEP_TIMEOUT_MS });
    await missing.page.screenshot({ path: join(SHOTS, 'studio-09-no-camera.png') });
    assert.deepEqual(missing.pageErrors, []);
    await missing.context.close();
  });

  test('a host with rest_auth_token: the studio asks for the token instead of "not answering", then works', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'castbridge-e2e-token-'));
    // node-media-server is one per process (the harness host has it): this host runs without it.
    const overrides = { rest_http_port: '0', rest_https_enabled: 'false', local_rtmp_enabled: 'false', ws_port: '0', wss_port: '0', rest_auth_token: 'studio-t0ken-123' };
    const tokenHost = await createHost({ dataDir, overrides, log: silentLog });
    const context = await harness.browser.newContext({ viewport: { width: 1360, height: 900 } });
    try {
      await context.grantPermissions(['camera', 'microphone'], { origin: tokenHost.httpUrl });
      const locked = await context.newPage();
      const errors: string[] = [];
      locked.on('pageerror', (e) => errors.push(e.message));
      await locked.goto(`${tokenHost.httpUrl}/`);
      await locked.getByTestId('token-prompt').waitFor({ timeout: STEP_TIMEOUT_MS });
      assert.match(await locked.getByTestId('session-status').innerText(), /Access token needed/);
      await locked.getByTestId('token-input').fill('wrong-token');
      await locked.getByTestId('token-submit').click();
      await locked.getByTestId('token-prompt').filter({ hasText: 'was not accepted' }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await locked.getByTestId('token-input').fill('studio-t0ken-123');
      await locked.getByTestId('token-submit').click();
      await locked.getByTestId('session-status').filter({ hasText: 'Relay ready' }).waitFor({ timeout: STEP_TIMEOUT_MS });
      assert.equal(await locked.getByTestId('token-prompt').count(), 0);
      await locked.getByTestId('tab-settings').click();
      await locked.getByTestId('setting-rest_auth_token').waitFor({ timeout: STEP_TIMEOUT_MS });
      await locked.screenshot({ path: join(SHOTS, 'studio-10-token.png') });
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
      await tokenHost.close();
      removeDir(dataDir);
    }
  });
});
