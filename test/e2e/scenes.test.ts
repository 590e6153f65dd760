// Scenes as a target sees them: the studio in Chromium composes the program from the fake camera, a
// solid-colour image uploaded into the media folder, colour and text layers, and publishes it to nginx-rtmp
// while scenes are switched through POST /api/scenes/{name}/activate. What nginx recorded is decoded with
// ffmpeg: the image's colour inside its rectangle and the camera outside it; after the switch the new
// scene (its text drawn, its hidden layer absent); a fade's mixed frames. The microphone (a steady 1 kHz
// tone played by the fake device) goes through the mixer: −6 dB on its fader shows as −6 ± 1 dB against
// 0 dB in the recording's sound, and its mute as digital silence.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflateSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { Scene } from '../../src-contract/scenes.js';
import { encodeWav } from '../../src-relay/codec/audio/wav.js';
import { startNginxRtmp, type NginxRtmp } from '../helpers/servers.js';
import { rms, sine } from '../helpers/tone.js';
import { waitFor } from '../helpers/wait.js';
import { decodeFrames, isGreenCamera, near, PROBE_FPS, type Frame, type Rgb } from './recorded-frames.js';
import { activateScene, goLiveToNginx, SHOTS, startStudioHarness, type StudioHarness } from './studio-harness.js';

const run = promisify(execFile);
const STEP_TIMEOUT_MS = 45_000;
/** How long each phase stays on air. */
const PHASE_MS = 3500;
const FADE_MS = 2000;
const TONE_HZ = 1000;

// ---- a solid-colour PNG (RFC 2083: signature, IHDR, IDAT, IEND) ----
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
  return Buffer.concat([head, data, crc]);
}
function solidPng(width: number, height: number, [r, g, b]: [number, number, number]): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => [r, g, b]).flat())]);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// ---- the scenes ----
const CORNER = { x: 0.75, y: 0, width: 0.25, height: 0.25 };
const TEXT_BOX = { x: 0.1, y: 0.6, width: 0.8, height: 0.3 };
const HIDDEN = { x: 0, y: 0, width: 0.2, height: 0.2 };
const SCENES: Scene[] = [
  { name: 'Logo', layers: [{ kind: 'camera', x: 0, y: 0, width: 1, height: 1 }, { kind: 'image', ...CORNER, file: 'magenta.png', fit: 'cover' }] },
  {
    name: 'Lower third',
    layers: [
      { kind: 'color', x: 0, y: 0, width: 1, height: 1, color: '#ff0000' },
      { kind: 'color', ...HIDDEN, color: '#ffff00', visible: false },
      { kind: 'text', ...TEXT_BOX, text: 'WWWWWWWW', fontSize: 200, color: '#00ff00', background: '#0000ff' },
    ],
  },
  { name: 'Blue', transition: { kind: 'fade', ms: FADE_MS }, layers: [{ kind: 'color', x: 0, y: 0, width: 1, height: 1, color: '#0000ff' }] },
];

async function decodeMono(file: string): Promise<Float64Array> {
  const { stdout } = await run('/usr/bin/ffmpeg', ['-v', 'error', '-i', file, '-vn', '-ac', '1', '-ar', '48000', '-f', 's16le', '-'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  const out = new Float64Array(stdout.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = stdout.readInt16LE(i * 2);
  return out;
}

const MAGENTA: Rgb = [255, 0, 255];
const RED: Rgb = [255, 0, 0];
const BLUE: Rgb = [0, 0, 255];
const GREEN: Rgb = [0, 255, 0];
const YELLOW: Rgb = [255, 255, 0];
function lastIndex<T>(list: T[], test: (item: T) => boolean): number {
  for (let i = list.length - 1; i >= 0; i--) if (test(list[i]!)) return i;
  return -1;
}
const isLogo = (f: Frame): boolean => near(f.stats(CORNER).mean, MAGENTA);
const isRed = (f: Frame): boolean => near(f.px(0.5, 0.3), RED);
const isBlue = (f: Frame): boolean => near(f.px(0.5, 0.3), BLUE);

describe('scenes at the target', { timeout: 240_000 }, () => {
  let harness: StudioHarness;
  let nginx: NginxRtmp;
  let page: Page;
  let pageErrors: string[];
  let frames: Frame[] = [];
  let sound: Float64Array = new Float64Array(0);

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const micFile = join(SHOTS, 'scenes-mic-tone.wav');
    // −12 dBFS: room above it for the fader's gain; 2 s of whole periods, looped by the fake device.
    writeFileSync(micFile, encodeWav(sine(TONE_HZ, 48000, 96000, 8192), 48000, 1, 16));
    [harness, nginx] = await Promise.all([startStudioHarness({ extraArgs: [`--use-file-for-fake-audio-capture=${micFile}`] }), startNginxRtmp()]);
    ({ page, pageErrors } = await harness.openStudio('/'));
  });
  after(async () => {
    await page?.screenshot({ path: join(SHOTS, 'scenes-last.png') }).catch(() => undefined);
    await harness?.close();
    await nginx?.stop();
  });

  test('goes live with three scenes switched over REST, faders moved and muted; nginx records it', async () => {
    const base = harness.host.httpUrl;
    const put = await fetch(new URL('/api/media/magenta.png', base), { method: 'PUT', headers: { 'Content-Type': 'image/png' }, body: new Uint8Array(solidPng(64, 64, MAGENTA)) });
    assert.equal(put.status, 200, await put.text());
    for (const scene of SCENES) {
      const saved = await fetch(new URL(`/api/scenes/${encodeURIComponent(scene.name)}`, base), { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(scene) });
      assert.equal(saved.status, 200, `${scene.name}: ${await saved.text()}`);
    }
    await page.getByTestId('session-status').filter({ hasText: 'Relay ready' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    // The tone must reach the mixer unprocessed: noise suppression would take a steady tone for noise.
    await page.getByTestId('mic-noise-suppression').uncheck();
    await page.getByTestId('mic-echo-cancellation').uncheck();
    await page.locator('[data-testid="scene-item"][data-name="Logo"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    await activateScene(harness, 'Logo');
    await page.locator('[data-testid="program-preview"][data-scene="Logo"]').waitFor({ timeout: STEP_TIMEOUT_MS });

    // The layer editor: a picture uploaded from the studio lands in the media folder and on the layer; the
    // picker also lists the one uploaded over REST, and choosing it again is saved through PUT /api/scenes.
    await page.getByRole('button', { name: 'Edit Logo' }).click();
    await page.locator('[data-testid="layer-row"][data-kind="image"] .layer-pick').click();
    await page.getByTestId('layer-upload').setInputFiles({ name: 'cyan.png', mimeType: 'image/png', buffer: solidPng(8, 8, [0, 255, 255]) });
    await page.waitForFunction(() => (document.querySelector('[data-testid="layer-file"]') as HTMLSelectElement | null)?.value === 'cyan.png', null, { timeout: STEP_TIMEOUT_MS });
    const savedImage = async (): Promise<string | undefined> =>
      ((await (await fetch(new URL('/api/scenes', base))).json()) as { scenes: Scene[] }).scenes.find((s) => s.name === 'Logo')?.layers[1]?.file;
    await waitFor('the studio saves the Logo scene with cyan.png', async () => (await savedImage()) === 'cyan.png', 10_000, 200);
    await page.getByTestId('layer-file').selectOption('magenta.png');
    await waitFor('the studio saves the Logo scene with magenta.png', async () => (await savedImage()) === 'magenta.png', 10_000, 200);
    const media = (await (await fetch(new URL('/api/media', base))).json()) as { images?: Array<{ name: string }> };
    assert.ok(media.images?.some((i) => i.name === 'cyan.png'), `the upload is in the media folder: ${JSON.stringify(media)}`);

    await goLiveToNginx(page, nginx, 'scenes');
    // Chromium composes the program from the captures' frames (frame-surface.ts), not on a canvas.
    assert.equal(await page.getByTestId('program-stats').getAttribute('data-surface'), 'frames', 'the program is composed from frames');
    await page.waitForTimeout(PHASE_MS);
    await page.screenshot({ path: join(SHOTS, 'scenes-logo.png') });

    await activateScene(harness, 'Lower third');
    await page.getByTestId('mixer-fader-microphone').fill('-6');
    await page.waitForTimeout(PHASE_MS);
    await page.getByTestId('mixer-mute-microphone').click();
    await activateScene(harness, 'Blue');
    await page.waitForTimeout(FADE_MS + PHASE_MS);
    await page.getByTestId('stop-live').click();
    await page.locator('[data-testid="publish-status"][data-status="UNPUBLISHED"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    const file = await nginx.waitForRecording();
    // Three scenes, one fade, a fader and a mute: still the one publish, one transponder connection, one file.
    assert.equal(nginx.publishes.length, 1, 'nginx saw one publish: switching never restarted the transponder');
    assert.equal(nginx.recordings().length, 1, `one recording: ${nginx.recordings().join(', ')}`);
    [frames, sound] = await Promise.all([decodeFrames(file), decodeMono(file)]);
    assert.ok(frames.length > 50, `decoded ${frames.length} frames`);
    assert.deepEqual(pageErrors, []);
  });

  test('the image fills its corner in its own colour; the moving camera shows outside it', () => {
    const logo = frames.filter(isLogo);
    assert.ok(logo.length >= PROBE_FPS * 2, `${logo.length} frames show the image in its corner`);
    const camera = logo.map((f) => f.stats({ x: 0, y: 0.3, width: 0.7, height: 0.7 }));
    // Chromium's fake camera: a green picture with a lighter moving disc and a running clock.
    const notCamera = camera.filter((s) => !isGreenCamera(s));
    assert.equal(notCamera.length, 0, `the camera outside the corner, in every frame: ${JSON.stringify(notCamera.slice(0, 3))} of ${camera.length}`);
    const textured = camera.filter((s) => s.greyStd > 4).length;
    assert.ok(textured >= camera.length / 2, `the camera's picture is not a flat fill (${textured} of ${camera.length} frames)`);
    // The fake camera moves: the same region differs from one second to the next.
    const grey = (f: Frame): number[] => Array.from({ length: 40 }, (_, i) => f.px((i % 8) / 10 + 0.02, Math.floor(i / 8) / 6 + 0.3)).map((p) => p[0] + p[1] + p[2]);
    const a = grey(logo[0]!);
    const b = grey(logo[Math.min(logo.length - 1, PROBE_FPS)]!);
    assert.ok(a.some((v, i) => Math.abs(v - b[i]!) > 30), 'the camera picture moves');
    // Just outside the rectangle is camera, not image.
    assert.ok(logo.every((f) => !near(f.px(0.72, 0.1), MAGENTA, 80)), 'the image stays inside its rectangle');
  });

  test('after activate, the new scene is on air: its text drawn in its box, its hidden layer absent', () => {
    const first = frames.findIndex(isRed);
    assert.ok(first > 0 && frames.slice(0, first).some(isLogo), 'the recording goes from the logo scene to the lower third');
    const red = frames.filter(isRed);
    assert.ok(red.length >= PROBE_FPS * 2, `${red.length} frames of the lower third`);
    for (const f of red) {
      const box = f.count(TEXT_BOX, (p) => near(p, BLUE, 70));
      const text = f.count(TEXT_BOX, (p) => near(p, GREEN, 90));
      assert.ok(box > 50 && text > 50, `the text box shows its blue background (${box} px) and green letters (${text} px)`);
      assert.equal(f.count(HIDDEN, (p) => near(p, YELLOW, 90)), 0, 'the hidden yellow layer is not drawn');
      assert.ok(near(f.stats(HIDDEN).mean, RED), 'the hidden layer leaves the red background');
      assert.equal(f.count({ x: 0, y: 0, width: 1, height: 0.5 }, (p) => near(p, GREEN, 90)), 0, 'no text outside its box');
    }
  });

  test('a fade shows mixed frames between the two scenes', () => {
    const lastRed = lastIndex(frames, isRed);
    const firstBlue = frames.findIndex((f, i) => i > lastRed && isBlue(f));
    assert.ok(lastRed > 0 && firstBlue > lastRed, `red until frame ${lastRed}, blue from ${firstBlue}`);
    const mixed = frames.slice(lastRed + 1, firstBlue).filter((f) => {
      const [r, , b] = f.px(0.5, 0.3);
      return r > 50 && r < 205 && b > 50 && b < 205;
    });
    // A 2 s fade at 10 probed frames a second: a good part of its frames are visibly between red and blue (the
    // first and last fifth are near one or the other; a busy machine draws fewer frames).
    assert.ok(mixed.length >= (FADE_MS / 1000) * PROBE_FPS * 0.3, `${mixed.length} mixed frames in ${(firstBlue - lastRed - 1) / PROBE_FPS} s`);
  });

  test('the microphone at −6 dB on its fader is 6 ± 1 dB below 0 dB at the target; muted it is digital silence', () => {
    const rate = 48000;
    const window = (from: number, to: number): Float64Array => sound.subarray(Math.round(from * rate), Math.round(to * rate));
    const redStart = frames.findIndex(isRed) / PROBE_FPS;
    const redEnd = (lastIndex(frames, isRed) + 1) / PROBE_FPS;
    const logoStart = frames.findIndex(isLogo) / PROBE_FPS;
    const blueStart = frames.findIndex((f, i) => i > redEnd * PROBE_FPS && isBlue(f)) / PROBE_FPS;
    const margin = 0.6;
    // The fader is moved after the activate call answers, so the first part of the lower third may still be
    // at 0 dB on a busy machine: the level of a phase is the median of its 100 ms blocks' RMS.
    const level = (from: number, to: number): number => {
      const blocks: number[] = [];
      for (let t = from; t + 0.1 <= to; t += 0.1) blocks.push(rms(window(t, t + 0.1)));
      blocks.sort((a, b) => a - b);
      return blocks[Math.floor(blocks.length / 2)] ?? 0;
    };
    const full = level(logoStart + margin, redStart - margin);
    const lowered = level(redStart + margin, redEnd - margin);
    assert.ok(full > 500, `the tone reaches the target at 0 dB (RMS ${full.toFixed(0)})`);
    const db = 20 * Math.log10(lowered / full);
    console.log(`# fader −6 dB: ${db.toFixed(2)} dB at the target (RMS ${full.toFixed(0)} → ${lowered.toFixed(0)})`);
    assert.ok(Math.abs(db - -6) <= 1, `−6 dB on the fader measures ${db.toFixed(2)} dB`);
    const muted = window(blueStart + margin, sound.length / rate - margin);
    assert.ok(muted.length > rate, `${(muted.length / rate).toFixed(1)} s of muted sound`);
    const peak = muted.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(peak <= 1, `muted: the loudest sample is ${peak} (of 32767)`);
  });
});
