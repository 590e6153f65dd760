// Chromium publishes AV1 (codec preferences) over WHIP. A target that takes AV1 (node-media-server 4, the
// embedded server's engine, videoCodecs av1,h264) gets the publisher's own pictures in Enhanced RTMP, with no
// transcoder running; a second target that takes H.264 only (nginx-rtmp) gets the stream's H.264 encode, at
// the same time. node-media-server's recording is decoded by node-av (FFmpeg 8 with dav1d; Debian's ffmpeg
// cannot read Enhanced RTMP): AV1 at the camera's size, as many frames as the relay sent it within a few;
// nginx's by Debian's ffprobe/ffmpeg: H.264 + AAC, every packet a decoded frame.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { WebRtcIngest } from '../../src-relay/webrtc/ingest.js';
import { StreamRegistry } from '../../src-relay/streams.js';
import { consoleLog, silentLog, type Log } from '../../src-relay/log.js';
import { TransponderManager } from '../../src-relay/transponder/manager.js';
import { readFlv } from '../../src-relay/flv/file.js';
import { exVideoTagInfo } from '../../src-relay/flv/enhanced.js';
import { TagType } from '../../src-relay/flv/tags.js';
import { readFileSync } from 'node:fs';
import { launchChromium, publishWhip } from '../helpers/chromium.js';
import { decodeWithNodeAv } from '../helpers/node-av.js';
import { waitFor } from '../helpers/wait.js';
import { startWhipServer, type TestWhipServer } from '../helpers/whip-server.js';
import { startNginxRtmp, startNodeMediaServer, type NginxRtmp, type NodeMediaServerHandle } from '../helpers/servers.js';
import { decodeVideo, probeStreams, videoPacketTimes } from '../helpers/media.js';

const verbose = process.env.CASTBRIDGE_TEST_VERBOSE ? consoleLog : silentLog;
const STREAM_MS = 6000;
const WIDTH = 640;
const HEIGHT = 360;

describe('Chromium AV1 → Enhanced RTMP copy to node-media-server, H.264 to nginx at once', { timeout: 240_000 }, () => {
  const transcoders: string[] = [];
  const log: Log = (event, fields) => {
    if (event === 'transcoder.started') transcoders.push(String(fields?.stream));
    verbose(event, fields);
  };
  const registry = new StreamRegistry();
  const ingest = new WebRtcIngest(registry, { log });
  const manager = new TransponderManager(registry, () => ({ streamNamePrefix: '', fullUrl: true, keyframeIntervalMs: 2000, log }));
  let whip: TestWhipServer;
  let nginx: NginxRtmp;
  let nms: NodeMediaServerHandle;
  let browser: Browser;

  before(async () => {
    [whip, nginx, nms, browser] = await Promise.all([startWhipServer(ingest), startNginxRtmp(), startNodeMediaServer(), launchChromium({ fps: 30, width: WIDTH, height: HEIGHT })]);
  });

  after(async () => {
    await manager.stopAll().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await ingest.closeAll().catch(() => undefined);
    await whip?.close();
    await Promise.allSettled([nginx?.stop(), nms?.stop()]);
  });

  test('AV1 copied in Enhanced RTMP, decoded by FFmpeg 8; H.264 + AAC at nginx from the one transcoder', async (t) => {
    const page = await browser.newPage();
    await page.goto(`${whip.base}/`);
    const publication = await publishWhip(page, `${whip.base}/whip/av1cam`, { width: WIDTH, height: HEIGHT, fps: 30, videoCodec: 'av1' });
    const stream = registry.get('av1cam');
    assert.ok(stream, 'the stream is published');
    assert.equal(stream.videoCodec, 'av1');
    await waitFor('the AV1 sequence header and audio', () => stream.params?.width === WIDTH && stream.hasAudio, 30_000);

    const copy = manager.startup({ streamName: 'av1cam', rtmpUrl: `${nms.url('live')}/av1cam`, options: { videoCodecs: ['av1', 'h264'] } });
    assert.deepEqual([copy.videoCodec, copy.videoPath], ['av1', 'copy']);
    // The pictures the AV1 target gets: from the first keyframe after it starts publishing.
    let relayed = 0;
    stream.on('video', (frame) => {
      if (relayed > 0 || (frame.keyframe && manager.find({ mediaSessionId: copy.mediaSessionId })[0]?.status === 'PUBLISHING')) relayed++;
    });
    await waitFor('the AV1 target PUBLISHING', () => manager.find({ mediaSessionId: copy.mediaSessionId })[0]?.status === 'PUBLISHING', 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(transcoders, [], 'no transcoder runs for the AV1 target alone');

    const legacy = manager.startup({ streamName: 'av1cam', rtmpUrl: `${nginx.url('live')}/legacy` });
    assert.deepEqual([legacy.videoCodec, legacy.videoPath], ['h264', 'transcode']);
    await waitFor('the H.264 target PUBLISHING', () => manager.find({ mediaSessionId: legacy.mediaSessionId })[0]?.status === 'PUBLISHING', 20_000);
    await new Promise((r) => setTimeout(r, STREAM_MS));
    await manager.terminate(legacy.mediaSessionId);
    await manager.terminate(copy.mediaSessionId);
    const sentFrames = relayed;
    await publication.stop();
    await page.close();
    assert.deepEqual(transcoders, ['av1cam'], 'one transcoder, for the H.264 target');

    // node-media-server's recording: Enhanced RTMP av01, decoded by node-av.
    await waitFor('node-media-server recorded', () => nms.recordings().length === 1, 15_000);
    const nmsFile = nms.recordings()[0]!;
    const tags = readFlv(readFileSync(nmsFile)).filter((tag) => tag.type === TagType.video);
    const infos = tags.map((tag) => exVideoTagInfo(tag.body));
    assert.ok(infos.length > 0 && infos.every((i) => i?.fourCc === 'av01'), 'every video tag is an Enhanced RTMP av01 tag');
    const pictures = infos.filter((i) => i && !i.sequenceStart && !i.sequenceEnd).length;
    const decoded = await decodeWithNodeAv(nmsFile);
    assert.deepEqual(decoded.errors, []);
    assert.equal(decoded.codec, 'av1');
    assert.deepEqual([decoded.width, decoded.height], [WIDTH, HEIGHT]);
    assert.ok(Math.abs(decoded.frames - pictures) <= 3, `node-av decoded ${decoded.frames} frames of the ${pictures} AV1 pictures recorded`);
    assert.ok(pictures > (STREAM_MS / 1000) * 20, `${pictures} pictures in ~${STREAM_MS / 1000 + 1} s`);
    assert.ok(Math.abs(sentFrames - pictures) <= 5, `the stream had ${sentFrames} pictures for the target, node-media-server recorded ${pictures}`);

    // nginx's recording: H.264 + AAC from the transcoder.
    const nginxFile = await nginx.waitForRecording(30_000);
    const summary = await probeStreams(nginxFile);
    assert.equal(summary.video?.codec, 'h264');
    assert.deepEqual([summary.video?.width, summary.video?.height], [WIDTH, HEIGHT]);
    assert.equal(summary.audio?.codec, 'aac');
    const times = await videoPacketTimes(nginxFile);
    assert.equal((await decodeVideo(nginxFile)).frames, times.length, 'every packet is a decoded frame');
    assert.ok(times.length > (STREAM_MS / 1000) * 20, `${times.length} H.264 frames`);
    t.diagnostic(`AV1 at node-media-server: ${pictures} pictures, ${decoded.frames} decoded; H.264 at nginx: ${times.length} frames`);
  });
});
