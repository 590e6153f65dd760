// Chromium publishes AV1, then VP9 (codec preferences) over WHIP, each copied to a target that takes its codec
// (node-media-server 4, Enhanced RTMP), with no transcoder running, while a local recording of that target runs
// for ~5 s. What the user gets:
// - the recording is an MP4 (the project's MP4 writer: the bundled ffmpeg 4.1 cannot read the Enhanced RTMP
//   FLV) that Debian's ffprobe reads as av1 / vp9 at the camera's size with an aac track, and Debian's ffmpeg
//   decodes every picture, as many as the target was sent within a few;
// - node-media-server receives vp09 in Enhanced RTMP, which node-av (FFmpeg 8) decodes frame for frame.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { WebRtcIngest } from '../../src-relay/webrtc/ingest.js';
import { StreamRegistry } from '../../src-relay/streams.js';
import { consoleLog, silentLog, type Log } from '../../src-relay/log.js';
import { TransponderManager } from '../../src-relay/transponder/manager.js';
import { RecordingManager } from '../../src-relay/recording/recordings.js';
import { findFfmpeg } from '../../src-relay/transponder/audio/ffmpeg.js';
import { readFlv } from '../../src-relay/flv/file.js';
import { exVideoTagInfo } from '../../src-relay/flv/enhanced.js';
import { TagType } from '../../src-relay/flv/tags.js';
import { launchChromium, publishWhip } from '../helpers/chromium.js';
import { decodeWithNodeAv } from '../helpers/node-av.js';
import { waitFor } from '../helpers/wait.js';
import { startWhipServer, type TestWhipServer } from '../helpers/whip-server.js';
import { removeDir, startNodeMediaServer, type NodeMediaServerHandle } from '../helpers/servers.js';
import { decodeVideo, ffprobe, videoPacketTimes } from '../helpers/media.js';

const verbose = process.env.CASTBRIDGE_TEST_VERBOSE ? consoleLog : silentLog;
const RECORD_MS = 5000;
const WIDTH = 640;
const HEIGHT = 360;

describe('AV1 and VP9 copied to Enhanced RTMP, and recorded as MP4', { timeout: 180_000 }, () => {
  const transcoders: string[] = [];
  const remuxMs: number[] = [];
  const log: Log = (event, fields) => {
    if (event === 'transcoder.started') transcoders.push(String(fields?.stream));
    if (event === 'recording.stopped') remuxMs.push(Number(fields?.remuxMs));
    verbose(event, fields);
  };
  const recordDir = mkdtempSync(join(tmpdir(), 'castbridge-enhanced-rec-'));
  const registry = new StreamRegistry();
  const ingest = new WebRtcIngest(registry, { log });
  const manager = new TransponderManager(registry, () => ({ streamNamePrefix: '', fullUrl: true, keyframeIntervalMs: 2000, log }));
  const recordings = new RecordingManager(manager, { dir: () => recordDir, ffmpeg: findFfmpeg, log });
  let whip: TestWhipServer;
  let nms: NodeMediaServerHandle;
  let browser: Browser;

  before(async () => {
    [whip, nms, browser] = await Promise.all([startWhipServer(ingest), startNodeMediaServer(), launchChromium({ fps: 30, width: WIDTH, height: HEIGHT })]);
  });

  after(async () => {
    await recordings.stopAll().catch(() => undefined);
    recordings.close();
    await manager.stopAll().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await ingest.closeAll().catch(() => undefined);
    await whip?.close();
    await nms?.stop();
    removeDir(recordDir);
  });

  /**
   * Publishes `codec`, copies it to node-media-server and records that target for RECORD_MS. Returns the
   * pictures the stream had for the target and for the recording (each from its first keyframe), the MP4.
   */
  async function copyAndRecord(codec: 'av1' | 'vp9', name: string) {
    transcoders.length = 0;
    const page = await browser.newPage();
    await page.goto(`${whip.base}/`);
    const publication = await publishWhip(page, `${whip.base}/whip/${name}`, { width: WIDTH, height: HEIGHT, fps: 30, videoCodec: codec });
    const stream = registry.get(name);
    assert.ok(stream, 'the stream is published');
    assert.equal(stream.videoCodec, codec);
    await waitFor(`the ${codec} parameters and audio`, () => stream.params?.width === WIDTH && stream.hasAudio, 30_000);

    const copy = manager.startup({ streamName: name, rtmpUrl: `${nms.url('live')}/${name}`, options: { videoCodecs: [codec, 'h264'] } });
    assert.deepEqual([copy.videoCodec, copy.videoPath], [codec, 'copy']);
    const counts = { relayed: 0, recorded: 0, recording: false };
    stream.on('video', (frame) => {
      if (counts.relayed > 0 || (frame.keyframe && manager.find({ mediaSessionId: copy.mediaSessionId })[0]?.status === 'PUBLISHING')) counts.relayed++;
      if (counts.recording && (counts.recorded > 0 || frame.keyframe)) counts.recorded++;
    });
    await waitFor('the target PUBLISHING', () => manager.find({ mediaSessionId: copy.mediaSessionId })[0]?.status === 'PUBLISHING', 20_000);

    const recording = await recordings.startup({ mediaSessionId: copy.mediaSessionId });
    counts.recording = true;
    await new Promise((r) => setTimeout(r, RECORD_MS));
    counts.recording = false;
    const stopped = await recordings.terminate(recording.recordingId);
    await manager.terminate(copy.mediaSessionId);
    const sent = { ...counts };
    await publication.stop();
    await page.close();
    assert.deepEqual(transcoders, [], `no transcoder runs for the ${codec} target and its recording`);
    assert.equal(stopped.status, 'STOPPED');
    assert.match(stopped.file, /\.mp4$/, `the recording is an MP4 (${stopped.info ?? ''})`);
    assert.doesNotMatch(stopped.info ?? '', /could not/);
    return { sent, mp4: join(recordDir, stopped.file) };
  }

  /** What Debian's ffprobe and ffmpeg 5.1 see in the recording's MP4. */
  async function checkMp4(codec: 'av1' | 'vp9', mp4: string, recorded: number): Promise<number> {
    const probe = await ffprobe(mp4);
    assert.equal(probe.format.format_name?.includes('mp4'), true);
    const video = probe.streams.find((s) => s.codec_type === 'video');
    const audio = probe.streams.find((s) => s.codec_type === 'audio');
    assert.deepEqual([video?.codec_name, video?.width, video?.height], [codec, WIDTH, HEIGHT]);
    assert.equal(audio?.codec_name, 'aac');
    const [videoSec, audioSec] = [Number(video?.duration), Number(audio?.duration)];
    assert.ok(Math.abs(videoSec - audioSec) < 0.3, `video ${videoSec} s, audio ${audioSec} s: the audio reaches the last picture`);
    const packets = (await videoPacketTimes(mp4)).length;
    const decoded = await decodeVideo(mp4);
    assert.deepEqual(decoded.errors, []);
    assert.equal(decoded.frames, packets, 'every picture of the MP4 decodes');
    assert.ok(Math.abs(decoded.frames - recorded) <= 5, `the MP4 has ${decoded.frames} pictures, the stream had ${recorded} while recording`);
    assert.ok(decoded.frames > (RECORD_MS / 1000) * 15, `${decoded.frames} pictures in ~${RECORD_MS / 1000} s`);
    return decoded.frames;
  }

  test('AV1 copied to the target, its recording an AV1 + AAC MP4 decoded frame for frame', async (t) => {
    const { sent, mp4 } = await copyAndRecord('av1', 'av1rec');
    const frames = await checkMp4('av1', mp4, sent.recorded);
    t.diagnostic(`AV1 recording: ${frames} pictures decoded of ${sent.recorded} while recording; MP4 written and read back in ${remuxMs.at(-1)} ms`);
  });

  test('VP9 copied as vp09 in Enhanced RTMP, decoded by FFmpeg 8 at node-media-server; its recording a VP9 MP4', async (t) => {
    const { sent, mp4 } = await copyAndRecord('vp9', 'vp9cam');
    const frames = await checkMp4('vp9', mp4, sent.recorded);

    await waitFor('node-media-server recorded the VP9 stream', () => nms.recordings().some((f) => f.includes('vp9cam')), 15_000);
    const nmsFile = nms.recordings().find((f) => f.includes('vp9cam'))!;
    const infos = readFlv(readFileSync(nmsFile))
      .filter((tag) => tag.type === TagType.video)
      .map((tag) => exVideoTagInfo(tag.body));
    assert.ok(infos.length > 0 && infos.every((i) => i?.fourCc === 'vp09'), 'every video tag is an Enhanced RTMP vp09 tag');
    assert.ok(infos[0]?.sequenceStart, 'a SequenceStart (the VPCodecConfigurationRecord) first');
    const pictures = infos.filter((i) => i && !i.sequenceStart && !i.sequenceEnd).length;
    const decoded = await decodeWithNodeAv(nmsFile);
    assert.deepEqual(decoded.errors, []);
    assert.equal(decoded.codec, 'vp9');
    assert.deepEqual([decoded.width, decoded.height], [WIDTH, HEIGHT]);
    assert.ok(Math.abs(decoded.frames - pictures) <= 3, `node-av decoded ${decoded.frames} frames of the ${pictures} VP9 pictures relayed`);
    assert.ok(Math.abs(sent.relayed - pictures) <= 5, `the stream had ${sent.relayed} pictures for the target, node-media-server recorded ${pictures}`);
    t.diagnostic(`VP9 at node-media-server: ${pictures} pictures, ${decoded.frames} decoded; recording: ${frames} of ${sent.recorded}, MP4 in ${remuxMs.at(-1)} ms`);
  });
});
