// Chromium (fake camera 1280x720@30 + fake mic) publishes over WHIP into WebRtcIngest; the LiveStream
// it registers must carry 720p parameters, whole pictures at ~30 fps with monotonic dts, keyframes on
// request, contiguous non-silent PCM, and must end when the tab goes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { IngestError, WebRtcIngest } from '../../src-relay/webrtc/ingest.js';
import { StreamNameInUseError, StreamRegistry, type LiveStream } from '../../src-relay/streams.js';
import type { PcmChunk, VideoFrame, VideoParams } from '../../src-relay/media.js';
import { consoleLog, silentLog } from '../../src-relay/log.js';
import { launchChromium, publishWhip } from '../helpers/chromium.js';
import { waitFor } from '../helpers/wait.js';
import { startWhipServer } from '../helpers/whip-server.js';

interface Recorder {
  stream: LiveStream;
  params: VideoParams[];
  frames: VideoFrame[];
  pcm: PcmChunk[];
  ended: Promise<string>;
}

function record(stream: LiveStream): Recorder {
  const rec: Recorder = { stream, params: [], frames: [], pcm: [], ended: new Promise((resolve) => stream.once('end', resolve)) };
  stream.on('params', (p) => rec.params.push(p));
  stream.on('video', (f) => rec.frames.push(f));
  stream.on('pcm', (c) => rec.pcm.push(c));
  return rec;
}

describe('WebRTC ingest from Chromium over WHIP', { timeout: 180_000 }, () => {
  const registry = new StreamRegistry();
  const recorders = new Map<string, Recorder>();
  registry.on('published', (stream) => recorders.set(stream.name, record(stream)));
  const ingest = new WebRtcIngest(registry, { log: process.env.CASTBRIDGE_TEST_VERBOSE ? consoleLog : silentLog });
  let server: http.Server;
  let base: string;
  let offers: string[];
  let browser: Browser;
  let page: Page;

  before(async () => {
    ({ server, base, offers } = await startWhipServer(ingest));
    browser = await launchChromium({ fps: 30 });
    page = await browser.newPage();
    await page.goto(`${base}/`);
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await ingest.closeAll();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  test('a 720p30 publish gives params, whole pictures, keyframes on request and contiguous audio', async () => {
    await publishWhip(page, `${base}/whip/cam1`, { width: 1280, height: 720, fps: 30 });
    const rec = recorders.get('cam1');
    assert.ok(rec, 'the stream is registered under its name');

    await waitFor('H.264 parameters', () => rec.params.length > 0, 20_000);
    assert.equal(rec.params[0].width, 1280);
    assert.equal(rec.params[0].height, 720);
    assert.ok(rec.frames[0]?.keyframe ?? true, 'the first picture forwarded is a keyframe');

    // Three seconds of media.
    const framesBefore = rec.frames.length;
    const pcmBefore = rec.pcm.length;
    await new Promise((r) => setTimeout(r, 3000));
    const frames = rec.frames.slice(framesBefore);
    const pcm = rec.pcm.slice(pcmBefore);
    assert.equal(rec.frames[0].keyframe, true, 'the first forwarded picture is an IDR');
    for (let i = 1; i < rec.frames.length; i++) {
      assert.ok(rec.frames[i].dts > rec.frames[i - 1].dts, `dts must increase: ${rec.frames[i - 1].dts} then ${rec.frames[i].dts}`);
    }
    const spanMs = frames[frames.length - 1].dts - frames[0].dts;
    const fps = ((frames.length - 1) * 1000) / spanMs;
    assert.ok(fps > 20 && fps < 40, `~30 fps on the stream clock, got ${fps.toFixed(1)} (${frames.length} frames over ${spanMs} ms)`);
    for (const frame of frames) assert.ok(frame.codec === 'h264' && frame.nalus.length > 0 && frame.nalus.every((n) => n.length > 0));

    assert.ok(pcm.length > 50, `PCM arrives (${pcm.length} chunks in 3 s)`);
    for (let i = 1; i < pcm.length; i++) {
      const expected = pcm[i - 1].time + pcm[i - 1].samples.length / 2 / 48;
      assert.ok(Math.abs(pcm[i].time - expected) < 0.01, `PCM chunk ${i} at ${pcm[i].time} ms, expected ${expected} ms`);
    }
    let peak = 0;
    for (const chunk of rec.pcm) for (const s of chunk.samples) peak = Math.max(peak, Math.abs(s));
    assert.ok(peak > 1000, `the fake microphone's beep is heard (peak ${peak})`);

    // Audio and video share one clock: their latest times are close (loopback, no loss).
    const lastAudio = pcm[pcm.length - 1].time;
    const lastVideo = frames[frames.length - 1].dts;
    assert.ok(Math.abs(lastAudio - lastVideo) < 500, `audio at ${lastAudio} ms and video at ${lastVideo} ms are on one clock`);

    // Chromium sends no periodic keyframes (docs/DESIGN.md §9): one must come because we asked.
    const asked = performance.now();
    const countBefore = rec.frames.length;
    rec.stream.requestKeyframe();
    await waitFor('a keyframe after requestKeyframe()', () => rec.frames.slice(countBefore).some((f) => f.keyframe), 1500);
    assert.ok(performance.now() - asked < 1500);
  });

  test('a second publish of a name being published is refused', async () => {
    await assert.rejects(ingest.publish('cam1', offers[0]), StreamNameInUseError);
    const response = await fetch(`${base}/whip/cam1`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: offers[0] });
    assert.equal(response.status, 409);
  });

  test('an offer with no video codec we take (H.264, AV1, VP9, VP8) is refused with a reason', async () => {
    const none = offers[0].replace(/(H264|VP8|VP9|AV1)\/90000/g, 'H265/90000');
    await assert.rejects(ingest.publish('other', none), (error: Error) => error instanceof IngestError && /no H\.264 with packetization-mode=1, AV1, VP9 or VP8/.test(error.message));
    await assert.rejects(ingest.publish('other', 'hello'), IngestError);
    assert.equal(registry.get('other'), undefined);
  });

  test('closing the tab ends the stream within 10 s, and the name can be published again', async () => {
    const rec = recorders.get('cam1')!;
    const closedAt = performance.now();
    await page.close();
    const reason = await Promise.race([rec.ended, new Promise<string>((_, reject) => setTimeout(() => reject(new Error('stream did not end within 10 s')), 10_000))]);
    assert.ok(performance.now() - closedAt < 10_000, reason);
    assert.equal(registry.get('cam1'), undefined);

    // Publish again from a new tab, then stop it with WHIP DELETE.
    page = await browser.newPage();
    await page.goto(`${base}/`);
    const publication = await publishWhip(page, `${base}/whip/cam1`, { width: 640, height: 360, audio: false });
    const again = recorders.get('cam1')!;
    assert.notEqual(again, rec);
    await waitFor('the second publish to send video', () => again.frames.length > 0, 20_000);
    await publication.stop();
    assert.equal(await again.ended, 'STOPPED_BY_PUBLISHER_STOP');
  });
});
