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
import { frameSpacing } from '../helpers/av-sync.js';

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
      const target = manager.startup({ streamName: name, rtmpUrl: `${nginx.url('live')}/${name}` });
      assert.deepEqual([target.videoCodec, target.videoPath], ['h264', 'transcode']);
      await waitFor('PUBLISHING', () => manager.find({ mediaSessionId: target.mediaSessionId })[0]?.status === 'PUBLISHING', 20_000);
      await new Promise((r) => setTimeout(r, STREAM_MS));
      await manager.terminate(target.mediaSessionId);
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
      // Firefox's fake camera at 30 fps, no frames squeezed together. Its VP8 keeps every spacing at the target
      // a whole number of frames ±5 ms (the relay steers the clock from Firefox's sender reports without
      // moving a frame off the grid). Its AV1 frames are spaced as Firefox stamps them: logging the relay's
      // mapping showed Firefox's own AV1 RTP timestamps 26–39 ms apart from the same camera (its VP8's are
      // 33 ±1) and the relay's times following them within 2 ms, so for AV1 the spacings are reported.
      const spaced = frameSpacing(times, 30);
      if (expectCodec === 'vp8') assert.deepEqual(spaced.offGrid, [], `every spacing after the first 5 is a whole number of frames ±5 ms: ${spaced.gaps.join(' ')}`);
      assert.ok(spaced.longestSqueeze < 2, `no run of spacings under 5 ms (longest ${spaced.longestSqueeze}): ${spaced.gaps.join(' ')}`);
      const gaps = times.slice(1).map((v, i) => v - times[i]!);
      t.diagnostic(`${spaced.oneFrame}/${spaced.gaps.length} spacings one frame ±5 ms, ${spaced.offGrid.length} off the frame grid (${Math.min(...spaced.gaps)}…${Math.max(...spaced.gaps)} ms), ${spaced.fps.toFixed(2)} fps`);
      t.diagnostic(`${expectCodec}: ${times.length} frames, ${(times.length / (times.at(-1)! - times[0]!)).toFixed(1)} fps, keyframes at ${keys.map((k) => k.toFixed(2)).join(' ')}, max gap ${Math.max(...gaps).toFixed(3)} s, ${gaps.filter((g) => g < 0.005).length} gaps under 5 ms`);
    });
  }
});
