// A scene that is one full-frame camera layer sends the camera's own track: the studio in Chromium goes live
// to nginx-rtmp on the ready-made "Camera" scene, then cuts to a colour scene and fades back to the camera.
// While the camera scene is on air the compositor draws nothing and the published video sender carries the
// camera track itself; on the colour scene it carries the program's track again. Every switch is a
// replaceTrack: the sender's encodings (simulcast layers) and the local description are those of the first
// offer, nginx sees one publish and records one file, and the frames decoded from it show the fake camera,
// then the colour, then the camera. A camera that stops by itself while live is no longer sent: the studio says
// so, the program goes on without it (black here), and Retry captures it again into the same publish.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { Scene } from '../../src-contract/scenes.js';
import { decodeVideo, probeStreams } from '../helpers/media.js';
import { startNginxRtmp, type NginxRtmp } from '../helpers/servers.js';
import { decodeFrames, isGreenCamera, near, PROBE_FPS, type Frame, type Rgb } from './recorded-frames.js';
import { activateScene, goLiveToNginx, startStudioHarness, type StudioHarness } from './studio-harness.js';

const STEP_TIMEOUT_MS = 30_000;
/** How long each scene stays on air. */
const PHASE_MS = 3000;
const FADE_MS = 1000;
const MAGENTA: Rgb = [255, 0, 255];
const FULL = { x: 0, y: 0, width: 1, height: 1 };
const SCENES: Scene[] = [
  { name: 'Magenta', layers: [{ kind: 'color', ...FULL, color: '#ff00ff' }] },
  { name: 'Camera fade', transition: { kind: 'fade', ms: FADE_MS }, layers: [{ kind: 'camera', ...FULL, fit: 'cover' }, { kind: 'text', x: 0, y: 0.8, width: 1, height: 0.2, text: 'hidden', visible: false }] },
];

/** Keeps every RTCPeerConnection the page makes, so the test can read the published sender. */
const RECORD_PEERS = `(() => {
  const Original = window.RTCPeerConnection;
  window.__peers = [];
  window.RTCPeerConnection = class extends Original {
    constructor(...args) { super(...args); window.__peers.push(this); }
  };
})();`;

interface SenderView {
  peers: number;
  /** The sender carries the compositor's program track (a canvas's, or the frame surface's generator). */
  program: boolean;
  kind: string | undefined;
  label: string | undefined;
  encodings: string;
  localSdp: string;
}

async function videoSender(page: Page): Promise<SenderView> {
  return page.evaluate(() => {
    const peers = (window as unknown as { __peers: RTCPeerConnection[] }).__peers.filter((pc) => pc.connectionState !== 'closed');
    const pc = peers.at(-1);
    const sender = pc?.getTransceivers().find((t) => t.receiver.track.kind === 'video')?.sender;
    const track = sender?.track ?? undefined;
    const encodings = (sender?.getParameters().encodings ?? []).map((e) => ({ rid: e.rid, scale: e.scaleResolutionDownBy, maxBitrate: e.maxBitrate, active: e.active }));
    return {
      peers: peers.length,
      program:
        (typeof CanvasCaptureMediaStreamTrack === 'function' && track instanceof CanvasCaptureMediaStreamTrack) ||
        ('MediaStreamTrackGenerator' in window && track instanceof (window as unknown as { MediaStreamTrackGenerator: typeof MediaStreamTrack }).MediaStreamTrackGenerator),
      kind: track?.kind,
      label: track?.label,
      encodings: JSON.stringify(encodings),
      localSdp: pc?.localDescription?.sdp ?? '',
    };
  });
}

const programStats = (page: Page): Promise<{ direct: boolean; frames: number }> =>
  page.$eval('[data-testid="program-stats"]', (e) => ({ direct: e.getAttribute('data-direct') === 'true', frames: Number(e.getAttribute('data-frames')) }));

async function waitForDirect(page: Page, direct: boolean): Promise<void> {
  await page.locator(`[data-testid="program-stats"][data-direct="${direct}"]`).waitFor({ timeout: STEP_TIMEOUT_MS });
}

const FRAME_BOX = { x: 0, y: 0, width: 1, height: 1 };
const isMagenta = (f: Frame): boolean => near(f.px(0.5, 0.5), MAGENTA) && near(f.stats(FRAME_BOX).mean, MAGENTA);
/** The fake camera's picture: green, and not a flat fill (its moving disc and clock). */
const isCamera = (f: Frame): boolean => {
  const s = f.stats(FRAME_BOX);
  return isGreenCamera(s) && s.greyStd > 4;
};

const isBlack = (f: Frame): boolean => near(f.stats(FRAME_BOX).mean, [0, 0, 0]) && f.stats(FRAME_BOX).greyStd < 4;

type FrameKind = 'camera' | 'magenta' | 'black' | 'other';

/** The runs of consecutive frames with the same class, e.g. camera 32, magenta 30, camera 35. */
function runs(frames: Frame[]): Array<{ kind: FrameKind; length: number }> {
  const out: Array<{ kind: FrameKind; length: number }> = [];
  for (const f of frames) {
    const kind: FrameKind = isCamera(f) ? 'camera' : isMagenta(f) ? 'magenta' : isBlack(f) ? 'black' : 'other';
    const last = out.at(-1);
    if (last?.kind === kind) last.length++;
    else out.push({ kind, length: 1 });
  }
  return out;
}

describe('a one-camera scene sends the camera track itself', { timeout: 180_000 }, () => {
  let harness: StudioHarness;
  let nginx: NginxRtmp;
  let page: Page;
  let pageErrors: string[];

  before(async () => {
    [harness, nginx] = await Promise.all([startStudioHarness(), startNginxRtmp()]);
    ({ page, pageErrors } = await harness.openStudio('/', { initScript: RECORD_PEERS }));
  });
  after(async () => {
    await harness?.close();
    await nginx?.stop();
  });

  test('Camera → colour (cut) → camera (fade): the sender switches tracks, never renegotiates; nginx records camera, colour, camera', async () => {
    const base = harness.host.httpUrl;
    for (const scene of SCENES) {
      const saved = await fetch(new URL(`/api/scenes/${encodeURIComponent(scene.name)}`, base), { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(scene) });
      assert.equal(saved.status, 200, `${scene.name}: ${await saved.text()}`);
    }
    await page.getByTestId('session-status').filter({ hasText: 'Relay ready' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.locator('[data-testid="scene-item"][data-name="Magenta"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    await activateScene(harness, 'Camera');
    await page.locator('[data-testid="program-preview"][data-scene="Camera"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    // The ready-made Camera scene at the studio's 1280×720 with the fake camera at that size: sent directly.
    await waitForDirect(page, true);
    assert.equal(await page.getByTestId('program-direct').isVisible(), true, 'the program preview shows the camera track');

    await goLiveToNginx(page, nginx, 'direct', STEP_TIMEOUT_MS);
    await page.locator('[data-testid="publish-status"][data-status="PUBLISHING"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.waitForTimeout(PHASE_MS);
    const first = await videoSender(page);
    assert.equal(first.peers, 1, 'one published peer connection');
    assert.equal(first.kind, 'video');
    assert.equal(first.program, false, `the sender carries the camera track (${first.label}), not the program's`);
    assert.ok(JSON.parse(first.encodings).length >= 2, `simulcast encodings offered: ${first.encodings}`);
    const idle = await programStats(page);
    await page.waitForTimeout(1000);
    const stillIdle = await programStats(page);
    assert.ok(idle.direct && stillIdle.direct, 'the compositor reports the direct track');
    assert.equal(stillIdle.frames, idle.frames, 'the compositor drew no frame in a second of the Camera scene');

    await activateScene(harness, 'Magenta');
    const colour = await videoSender(page);
    assert.equal(colour.program, true, 'on the colour scene the sender carries the program track again (switched before activate answered)');
    assert.equal(colour.encodings, first.encodings, 'replaceTrack kept the encodings');
    // The preview's figures are refreshed on their own timer, so wait for them to say it.
    await waitForDirect(page, false);
    await page.waitForTimeout(PHASE_MS);
    const drawing = await programStats(page);
    assert.ok(drawing.frames > idle.frames + 30, `the compositor draws the colour scene (${drawing.frames - idle.frames} frames)`);

    await activateScene(harness, 'Camera fade');
    // The fade is drawn; the camera's own track follows once it has ended.
    assert.equal((await videoSender(page)).program, true, 'during the fade the program track is sent');
    await waitForDirect(page, true);
    const back = await videoSender(page);
    assert.equal(back.program, false, 'after the fade the camera track is sent again');
    assert.equal(back.label, first.label, 'the same camera track');
    assert.equal(back.encodings, first.encodings, 'the encodings are those of the first offer');
    assert.equal(back.localSdp, first.localSdp, 'no renegotiation: the local description is the first offer');
    await page.waitForTimeout(PHASE_MS);

    await page.getByTestId('stop-live').click();
    await page.locator('[data-testid="publish-status"][data-status="UNPUBLISHED"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    const file = await nginx.waitForRecording();
    assert.equal(nginx.publishes.length, 1, 'nginx saw one publish: switching tracks never restarted the transponder');
    assert.equal(nginx.recordings().length, 1, `one recording: ${nginx.recordings().join(', ')}`);

    const [summary, decoded, frames] = await Promise.all([probeStreams(file), decodeVideo(file), decodeFrames(file)]);
    assert.deepEqual(decoded.errors, [], 'every frame decodes across the track switches');
    assert.equal(summary.video?.codec, 'h264');
    assert.deepEqual([summary.video?.width, summary.video?.height], [1280, 720], 'the program size throughout');
    const seen = runs(frames);
    console.log(`# recorded runs of frames (${PROBE_FPS}/s): ${seen.map((r) => `${r.kind} ${r.length}`).join(', ')}`);
    const long = seen.filter((r) => r.length >= PROBE_FPS * 1.5).map((r) => r.kind);
    assert.deepEqual(long, ['camera', 'magenta', 'camera'], `camera, then the colour, then the camera again: ${JSON.stringify(seen)}`);
    assert.deepEqual(pageErrors, []);
  });

  test('the camera stops while its scene is live: the studio says so, the program goes on without it, Retry brings it back', async () => {
    await activateScene(harness, 'Camera');
    await waitForDirect(page, true);
    // Live again to the nginx target the first test added.
    await page.getByTestId('go-live').click();
    await nginx.waitForPublish(2, STEP_TIMEOUT_MS);
    await page.locator('[data-testid="publish-status"][data-status="PUBLISHING"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.waitForTimeout(PHASE_MS);
    const publishes = nginx.publishes.length;

    // An unplugged camera: its track ends (stop() alone fires no "ended"; a device going away does both).
    await page.evaluate(() => {
      const track = ((document.querySelector('[data-testid="source-preview"]') as HTMLVideoElement).srcObject as MediaStream).getVideoTracks()[0]!;
      track.stop();
      track.dispatchEvent(new Event('ended'));
    });
    await page.getByTestId('preview-error').filter({ hasText: 'Your camera stopped' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await waitForDirect(page, false);
    assert.equal((await videoSender(page)).program, true, 'the ended camera track is no longer sent: the program track is');
    const lost = await programStats(page);
    await page.waitForTimeout(PHASE_MS);
    assert.ok((await programStats(page)).frames > lost.frames + 30, 'the program goes on being drawn without the camera');
    assert.equal(await page.getByTestId('publish-status').getAttribute('data-status'), 'PUBLISHING', 'still live');

    await page.getByTestId('preview-retry').click();
    await page.getByTestId('preview-error').waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
    await waitForDirect(page, true);
    assert.equal((await videoSender(page)).program, false, 'the camera captured again is sent as its own track');
    await page.waitForTimeout(PHASE_MS);

    await page.getByTestId('stop-live').click();
    await page.locator('[data-testid="publish-status"][data-status="UNPUBLISHED"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    const file = await nginx.waitForRecording();
    assert.equal(nginx.publishes.length, publishes, 'losing and recovering the camera never restarted the publish');
    const [decoded, frames] = await Promise.all([decodeVideo(file), decodeFrames(file)]);
    assert.deepEqual(decoded.errors, [], 'every frame decodes across the loss');
    const seen = runs(frames);
    console.log(`# recorded runs of frames (${PROBE_FPS}/s): ${seen.map((r) => `${r.kind} ${r.length}`).join(', ')}`);
    const long = seen.filter((r) => r.length >= PROBE_FPS * 1.5).map((r) => r.kind);
    assert.deepEqual(long, ['camera', 'black', 'camera'], `the camera, the scene without it (black), the camera again: ${JSON.stringify(seen)}`);
    assert.deepEqual(pageErrors, []);
  });
});
