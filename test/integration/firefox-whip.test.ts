// Stock Firefox (Debian's firefox-esr: no OpenH264, so VP8, VP9 and AV1 only) publishes over WHIP into the
// relay; a transponder pushes the stream to nginx-rtmp, which takes H.264 only, so the stream's transcoder
// encodes it. Once with everything Firefox offers (the answer takes AV1), once offering VP8 alone. What nginx
// recorded is decoded by Debian's ffprobe/ffmpeg: H.264 + AAC at the camera's size, every packet a decoded
// frame, keyframes every 2 s.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'puppeteer-core';
import { WebRtcIngest } from '../../src-relay/webrtc/ingest.js';
import { StreamRegistry } from '../../src-relay/streams.js';
import { consoleLog, silentLog } from '../../src-relay/log.js';
import { TransponderManager } from '../../src-relay/transponder/manager.js';
import { launchFirefox, publishWhipFirefox } from '../helpers/firefox.js';
import { waitFor } from '../helpers/wait.js';
import { startWhipServer, type TestWhipServer } from '../helpers/whip-server.js';
import { startNginxRtmp, type NginxRtmp } from '../helpers/servers.js';
import { decodeVideo, keyframeTimes, probeStreams, videoPacketTimes } from '../helpers/media.js';
import { frameSpacing, timingKept } from '../helpers/av-sync.js';
import { CLOCK_DEFAULTS, TrackClock } from '../../src-relay/rtp/clock.js';

const log = process.env.CASTBRIDGE_TEST_VERBOSE ? consoleLog : silentLog;
const STREAM_MS = 7000;
const WIDTH = 640;
const HEIGHT = 480;

describe('Firefox → WHIP → transcoder → nginx-rtmp as H.264 + AAC', { timeout: 240_000 }, () => {
  const registry = new StreamRegistry();
  const ingest = new WebRtcIngest(registry, { log, iceAdditionalHostAddresses: ['127.0.0.1'] });
  const manager = new TransponderManager(registry, () => ({ streamNamePrefix: '', fullUrl: true, keyframeIntervalMs: 2000, log }));
  let whip: TestWhipServer;
  let nginx: NginxRtmp;
  let browser: Browser;

  before(async () => {
    [whip, nginx, browser] = await Promise.all([startWhipServer(ingest), startNginxRtmp(), launchFirefox()]);
  });

  after(async () => {
    await manager.stopAll().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await ingest.closeAll().catch(() => undefined);
    await whip?.close();
    await nginx?.stop();
  });

  for (const [label, only, expectCodec] of [
    ['all of its codecs: the answer takes AV1', undefined, 'av1'],
    ['VP8 alone', 'vp8', 'vp8'],
  ] as const) {
    test(label, async (t) => {
      const name = `firefox_${expectCodec}`;
      const page = await browser.newPage();
      await page.goto(`${whip.base}/`);
      const publication = await publishWhipFirefox(page, `${whip.base}/whip/${name}`, { width: WIDTH, height: HEIGHT, ...(only ? { only } : {}) });
      assert.equal(publication.videoCodec, expectCodec, 'the answer\'s video codec');
      const stream = registry.get(name);
      assert.ok(stream, 'the stream is published');
      assert.equal(stream.videoCodec, expectCodec);
      await waitFor('the first keyframe and audio', () => stream.params?.width === WIDTH && stream.hasAudio, 30_000);
      // What the relay made of each of Firefox's frames, and the RTP timestamp Firefox stamped it with.
      const relayDts: number[] = [];
      const onVideo = (frame: { dts: number }): void => void relayDts.push(frame.dts);
      stream.on('video', onVideo);
      const stamps = spyOnVideoStamps();
      // Restored even when an assertion below fails first (both are idempotent).
      t.after(() => {
        stamps.stop();
        stream.off('video', onVideo);
      });
      const target = manager.startup({ streamName: name, rtmpUrl: `${nginx.url('live')}/${name}` });
      assert.deepEqual([target.videoCodec, target.videoPath], ['h264', 'transcode']);
      await waitFor('PUBLISHING', () => manager.find({ mediaSessionId: target.mediaSessionId })[0]?.status === 'PUBLISHING', 20_000);
      await new Promise((r) => setTimeout(r, STREAM_MS));
      await manager.terminate(target.mediaSessionId);
      stream.off('video', onVideo);
      stamps.stop();
      await publication.stop();
      await page.close();

      const file = await nginx.waitForRecording(30_000);
      const summary = await probeStreams(file);
      assert.equal(summary.video?.codec, 'h264');
      assert.deepEqual([summary.video?.width, summary.video?.height], [WIDTH, HEIGHT]);
      assert.equal(summary.audio?.codec, 'aac');
      const times = await videoPacketTimes(file);
      assert.ok(times.length > (STREAM_MS / 1000) * 15, `${times.length} video packets in ~${STREAM_MS / 1000} s`);
      const decoded = await decodeVideo(file);
      assert.deepEqual(decoded.errors, [], 'ffmpeg decodes without errors');
      assert.equal(decoded.frames, times.length, 'every packet is a decoded frame');
      const keys = await keyframeTimes(file);
      const spacing = keys.slice(1).map((k, i) => k - keys[i]!);
      assert.ok(keys.length >= 3 && spacing.every((s) => s > 1.8 && s < 2.2), `keyframes at ${keys.join(', ')}`);
      // The relay maps each RTP timestamp Firefox stamped onto the stream clock, steering the offset by at
      // most CLOCK_DEFAULTS.maxStepMs a frame (+1 ms of rounding), and the transcoder keeps those times:
      // every frame at the target is where the relay put it ±2 ms. How evenly Firefox's fake camera stamps
      // its frames is Firefox's (a loaded CI run once stamped one 6 ms late: spacings 39 then 30), so the
      // publisher's own grid is reported, not held; no frame is squeezed against the next.
      const steps = stamps.offsetSteps();
      assert.ok(steps.length > 100, `${steps.length} frames mapped`);
      const maxStep = Math.max(...steps.map(Math.abs));
      assert.ok(maxStep <= CLOCK_DEFAULTS.maxStepMs + 1, `the relay moves a frame off Firefox's stamp by at most ${CLOCK_DEFAULTS.maxStepMs} ms + rounding (largest ${maxStep.toFixed(2)} ms)`);
      const kept = timingKept(times, relayDts);
      assert.deepEqual(kept.errorsMs.slice(5).filter((e) => Math.abs(e) > 2), [], `every frame after the first 5 within ±2 ms of the relay's: errors ${kept.errorsMs.join(' ')}`);
      const spaced = frameSpacing(times, 30);
      const own = frameSpacing(stamps.mediaMs().map((ms) => ms / 1000), 30);
      assert.ok(spaced.longestSqueeze < 2, `no run of spacings under 5 ms (longest ${spaced.longestSqueeze}): ${spaced.gaps.join(' ')}`);
      t.diagnostic(`Firefox's own RTP spacings: ${own.offGrid.length}/${own.gaps.length} off the 30 fps grid by more than 5 ms (${Math.min(...own.gaps)}…${Math.max(...own.gaps)} ms); the relay's offset moved at most ${maxStep.toFixed(2)} ms a frame; target frames from the relay's ${Math.min(...kept.errorsMs)}…${Math.max(...kept.errorsMs)} ms`);
      const gaps = times.slice(1).map((v, i) => v - times[i]!);
      t.diagnostic(`${spaced.oneFrame}/${spaced.gaps.length} spacings one frame ±5 ms, ${spaced.offGrid.length} off the frame grid (${Math.min(...spaced.gaps)}…${Math.max(...spaced.gaps)} ms), ${spaced.fps.toFixed(2)} fps`);
      t.diagnostic(`${expectCodec}: ${times.length} frames, ${(times.length / (times.at(-1)! - times[0]!)).toFixed(1)} fps, keyframes at ${keys.map((k) => k.toFixed(2)).join(' ')}, max gap ${Math.max(...gaps).toFixed(3)} s, ${gaps.filter((g) => g < 0.005).length} gaps under 5 ms`);
    });
  }
});

/**
 * Records, for every video frame the relay maps (90 kHz tracks), the publisher's RTP time and the stream
 * time the relay gave it, by wrapping the real TrackClock for the span of one test.
 */
function spyOnVideoStamps(): { stop(): void; mediaMs(): number[]; offsetSteps(): number[] } {
  const original = TrackClock.prototype.toStreamMs;
  const pairs: Array<{ rtpMs: number; streamMs: number }> = [];
  let firstRtp: number | undefined;
  TrackClock.prototype.toStreamMs = function (this: TrackClock, rtpTimestamp: number, arrivalMs: number): number {
    const streamMs = original.call(this, rtpTimestamp, arrivalMs);
    if (this.clockRate === 90_000) {
      firstRtp ??= rtpTimestamp;
      pairs.push({ rtpMs: (((rtpTimestamp - firstRtp) >>> 0) * 1000) / 90_000, streamMs });
    }
    return streamMs;
  };
  return {
    stop: () => void (TrackClock.prototype.toStreamMs = original),
    mediaMs: () => pairs.map((p) => p.rtpMs),
    offsetSteps: () => pairs.slice(1).map((p, i) => p.streamMs - p.rtpMs - (pairs[i]!.streamMs - pairs[i]!.rtpMs)),
  };
}
