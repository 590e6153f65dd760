// The whole relay with real parts: Chromium (fake camera 1280x720@30 + fake mic) publishes over WHIP into
// WebRtcIngest; TransponderManager pushes the stream to nginx-rtmp (recording to FLV) and node-media-server
// at once, plus a muted transponder; ffprobe/ffmpeg then check what the servers received.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { WebRtcIngest } from '../../src-relay/webrtc/ingest.js';
import { StreamRegistry } from '../../src-relay/streams.js';
import { consoleLog, silentLog } from '../../src-relay/log.js';
import { TransponderManager } from '../../src-relay/transponder/manager.js';
import type { TransponderJSON, TransponderStatus } from '../../src-relay/transponder/service.js';
import { launchChromium, publishWhip } from '../helpers/chromium.js';
import { videoOfFlv } from '../helpers/flv-video.js';
import { waitFor } from '../helpers/wait.js';
import { startWhipServer, type TestWhipServer } from '../helpers/whip-server.js';
import { startNginxRtmp, startNodeMediaServer, type NginxRtmp, type NodeMediaServerHandle } from '../helpers/servers.js';
import { audioLevels, keyframeTimes, makeTestFlv, probeStreams, videoPacketTimes } from '../helpers/media.js';
import { readFlv, type FlvTag } from '../../src-relay/flv/file.js';
import { TagType, videoTagInfo } from '../../src-relay/flv/tags.js';
import { parseAvcDecoderConfigurationRecord, parseSps } from '../../src-relay/codec/h264.js';

const run = promisify(execFile);
const log = process.env.CASTBRIDGE_TEST_VERBOSE ? consoleLog : silentLog;
/** How long the stream runs once every transponder publishes. */
const STREAM_MS = 8000;

/** Presentation times (s) of every audio packet. */
async function audioPacketTimes(file: string): Promise<number[]> {
  const { stdout } = await run('/usr/bin/ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'packet=pts_time', '-of', 'csv=print_section=0', file], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout
    .split('\n')
    .map((l) => l.trim().replace(/,$/, ''))
    .filter((l) => l && l !== 'N/A')
    .map(Number);
}

/** Reads an HTTP-FLV URL for `ms` into a file. */
async function captureHttpFlv(url: string, file: string, ms: number): Promise<number> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  const chunks: Buffer[] = [];
  try {
    const response = await fetch(url, { signal: controller.signal });
    assert.equal(response.status, 200, `HTTP-FLV ${url} answered ${response.status}`);
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  } catch (error) {
    if ((error as Error).name !== 'AbortError') throw error;
  } finally {
    clearTimeout(timer);
  }
  const data = Buffer.concat(chunks);
  writeFileSync(file, data);
  return data.length;
}

describe('relay end to end: Chromium → WHIP → transponders → nginx-rtmp and node-media-server', { timeout: 300_000 }, () => {
  const registry = new StreamRegistry();
  const ingest = new WebRtcIngest(registry, { log });
  const manager = new TransponderManager(registry, () => ({ streamNamePrefix: 'rtmp_', fullUrl: false, keyframeIntervalMs: 2000, log }));
  const statuses = new Map<string, TransponderStatus[]>();
  /** When each transponder reached PUBLISHING (epoch ms). */
  const publishingAt = new Map<string, number>();
  manager.on('changed', (t) => {
    const list = statuses.get(t.mediaSessionId) ?? [];
    if (list.at(-1) !== t.status && t.status === 'PUBLISHING') publishingAt.set(t.mediaSessionId, Date.now());
    if (list.at(-1) !== t.status) list.push(t.status);
    statuses.set(t.mediaSessionId, list);
  });
  const stats: TransponderJSON[][] = [];
  manager.on('stats', (all) => stats.push(all));
  let whip: TestWhipServer;
  let nginx: NginxRtmp;
  let nms: NodeMediaServerHandle;
  let browser: Browser;
  const work = mkdtempSync(join(tmpdir(), 'castbridge-e2e-'));

  before(async () => {
    [whip, nginx, nms, browser] = await Promise.all([startWhipServer(ingest), startNginxRtmp(), startNodeMediaServer(), launchChromium({ fps: 30 })]);
  });

  after(async () => {
    await manager.stopAll().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await ingest.closeAll().catch(() => undefined);
    await whip?.close();
    await Promise.allSettled([nginx?.stop(), nms?.stop()]);
    if (!process.env.CASTBRIDGE_TEST_KEEP) rmSync(work, { recursive: true, force: true });
  });

  test('one stream to nginx-rtmp, node-media-server and a muted target: H.264 720p, AAC 48k stereo, 2 s GOP, in sync; muted is silence', async () => {
    const page = await browser.newPage();
    await page.goto(`${whip.base}/`);
    await publishWhip(page, `${whip.base}/whip/cam1`, { width: 1280, height: 720, fps: 30 });
    const stream = registry.get('cam1');
    assert.ok(stream, 'the stream is published');
    await waitFor('720p parameters and audio', () => stream.params?.width === 1280 && stream.hasAudio, 30_000);

    const live = manager.startup({ streamName: 'cam1', rtmpUrl: nginx.url('live') });
    const toNms = manager.startup({ streamName: 'cam1', rtmpUrl: nms.url('live') });
    // The muted one publishes its own name (full URL rule: the last path segment is the name).
    const muted = manager.startup({
      streamName: 'cam1',
      rtmpUrl: `${nginx.url('live')}/muted_cam1`,
      rtmpTransponderFullUrl: true,
      options: { action: 'mute' },
    });
    assert.equal(live.streamName, 'rtmp_cam1');
    assert.equal(muted.streamName, 'muted_cam1');
    assert.equal(muted.muted, true);
    assert.throws(() => manager.startup({ streamName: 'cam1', rtmpUrl: nginx.url('live') }), { status: 409 });
    assert.throws(() => manager.startup({ streamName: 'nope', rtmpUrl: nginx.url('live') }), { status: 404 });

    const ids = [live, toNms, muted].map((t) => t.mediaSessionId);
    const keyframesAt: number[] = [];
    const startedAt = Date.now();
    stream.on('video', (f) => f.keyframe && keyframesAt.push(Date.now() - startedAt));
    await waitFor('all three PUBLISHING', () => manager.list().every((t) => t.status === 'PUBLISHING'), 20_000);
    const publishingAfter = Date.now() - startedAt;
    await new Promise((r) => setTimeout(r, 1500));
    const flvFile = join(work, 'nms.flv');
    const [flvBytes] = await Promise.all([captureHttpFlv(nms.flvUrl('live', 'rtmp_cam1'), flvFile, 3000), new Promise((r) => setTimeout(r, STREAM_MS - 1500))]);

    const last = stats.at(-1)!.find((t) => t.mediaSessionId === live.mediaSessionId)!;
    assert.ok(last.stats.bitrateKbps > 100, `bitrate ${last.stats.bitrateKbps} kb/s`);
    assert.ok(last.stats.fps > 15, `fps ${last.stats.fps}`);
    assert.ok(last.stats.uptimeMs > 5000);
    assert.equal(last.width, 1280);

    for (const id of ids) await manager.terminate(id);
    assert.deepEqual(manager.list(), []);
    for (const id of ids) assert.deepEqual(statuses.get(id), ['CONNECTING', 'PUBLISHING', 'STOPPED']);

    const files = [await nginx.waitForRecording(), await nginx.waitForRecording()];
    const liveFile = files.find((f) => basename(f).startsWith('rtmp_cam1'))!;
    const mutedFile = files.find((f) => basename(f).startsWith('muted_cam1'))!;
    assert.ok(liveFile && mutedFile, `both recordings: ${files.join(', ')}`);
    if (process.env.CASTBRIDGE_TEST_KEEP) console.log(`recordings: ${liveFile} ${mutedFile} ${flvFile}`);

    // Codecs and sizes.
    const summary = await probeStreams(liveFile);
    assert.deepEqual(summary.video && { codec: summary.video.codec, width: summary.video.width, height: summary.video.height }, {
      codec: 'h264',
      width: 1280,
      height: 720,
    });
    assert.deepEqual(summary.audio, { codec: 'aac', sampleRate: 48000, channels: 2 });

    // The first frame is a keyframe, then one every 2.0 s ± 0.25 s.
    const keys = await keyframeTimes(liveFile);
    const videoTimes = await videoPacketTimes(liveFile);
    assert.equal(keys[0], videoTimes[0], 'the recording starts with a keyframe');
    assert.ok(keys.length >= 4, `keyframes at ${keys.join(', ')}`);
    // A target that starts after another one's first keyframe needs a keyframe of its own (docs/DECISIONS.md),
    // which the others receive too: so the cadence is checked after the last of the three started. Never
    // longer than 2.25 s anywhere.
    const gaps = keys.slice(1).map((t, i) => t - keys[i]!);
    const shown = `keyframe intervals ${gaps.map((g) => g.toFixed(3)).join(', ')}`;
    const startSpread = (Math.max(...publishingAt.values()) - publishingAt.get(live.mediaSessionId)!) / 1000;
    for (const gap of gaps) assert.ok(gap <= 2.25, shown);
    const steady = keys.slice(1).map((t, i) => ({ at: keys[i]! - keys[0]!, gap: t - keys[i]! })).filter((k) => k.at > startSpread + 0.25);
    assert.ok(steady.length >= 2, `${shown}; targets started over ${startSpread.toFixed(3)} s`);
    for (const { gap } of steady) assert.ok(Math.abs(gap - 2) <= 0.25, `${shown}; targets started over ${startSpread.toFixed(3)} s`);

    // Audio and video cover the same span (within 40 ms: the AAC encoder's delay is accounted for; one AAC
    // frame is 21 ms), starting together.
    const audioTimes = await audioPacketTimes(liveFile);
    const videoSpan = videoTimes.at(-1)! - videoTimes[0]!;
    const audioSpan = audioTimes.at(-1)! - audioTimes[0]!;
    assert.ok(Math.abs(videoSpan - audioSpan) <= 0.04, `video ${videoSpan.toFixed(3)} s, audio ${audioSpan.toFixed(3)} s`);
    assert.ok(Math.abs(audioTimes[0]! - videoTimes[0]!) <= 0.1, `audio starts at ${audioTimes[0]} s, video at ${videoTimes[0]} s`);
    assert.ok(
      videoSpan > STREAM_MS / 1000 - 1,
      `recorded ${videoSpan.toFixed(2)} s; PUBLISHING after ${publishingAfter} ms, keyframes at ${keyframesAt.join(', ')} ms`,
    );

    // The fake microphone's beep is heard on the live target, silence (not a gap) on the muted one.
    const liveLevels = await audioLevels(liveFile);
    assert.ok(liveLevels.peakDb > -30, `live audio peak ${liveLevels.peakDb} dB`);
    const mutedLevels = await audioLevels(mutedFile);
    assert.ok(mutedLevels.peakDb < -80, `muted audio peak ${mutedLevels.peakDb} dB`);
    const mutedAudio = await audioPacketTimes(mutedFile);
    const mutedVideo = await videoPacketTimes(mutedFile);
    const mutedSpan = mutedAudio.at(-1)! - mutedAudio[0]!;
    assert.ok(Math.abs(mutedSpan - (mutedVideo.at(-1)! - mutedVideo[0]!)) <= 0.04, `muted audio spans ${mutedSpan.toFixed(3)} s like its video`);
    for (let i = 1; i < mutedAudio.length; i++) assert.ok(mutedAudio[i]! - mutedAudio[i - 1]! < 0.05, `no gap in muted audio at ${mutedAudio[i - 1]} s`);

    // node-media-server received the same stream (read back over its HTTP-FLV).
    assert.ok(flvBytes > 50_000, `HTTP-FLV gave ${flvBytes} bytes`);
    const nmsSummary = await probeStreams(flvFile);
    assert.equal(nmsSummary.video?.codec, 'h264');
    assert.equal(nmsSummary.video?.width, 1280);
    assert.equal(nmsSummary.audio?.codec, 'aac');
    await page.close();
  });
});

describe('transponder FLV output from a synthetic stream (no browser)', { timeout: 180_000 }, () => {
  let nginx: NginxRtmp;
  const work = mkdtempSync(join(tmpdir(), 'castbridge-synthetic-'));
  before(async () => {
    nginx = await startNginxRtmp();
  });
  after(async () => {
    await nginx?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('a resolution change sends a new sequence header before its keyframe; G.711 audio; timestamps from 0, monotonic', async () => {
    const [small, large] = await Promise.all([
      makeTestFlv(join(work, 'small.flv'), { seconds: 2, width: 320, height: 240, fps: 25, gopSeconds: 0.5 }),
      makeTestFlv(join(work, 'large.flv'), { seconds: 2, width: 640, height: 360, fps: 25, gopSeconds: 0.5 }),
    ]);
    const a = videoOfFlv(small);
    const b = videoOfFlv(large);
    const registry = new StreamRegistry();
    let keyframeRequests = 0;
    const stream = registry.publish('synthetic', { requestKeyframe: () => void keyframeRequests++, close: () => undefined, description: 'test' });
    const manager = new TransponderManager(registry, () => ({ streamNamePrefix: '', fullUrl: false, keyframeIntervalMs: 2000, log }));
    try {
      // The stream clock starts far from zero, as an RTP-derived one does.
      const clockBase = 987_654;
      stream.pushParams(a.params);
      const t = manager.startup({ streamName: 'synthetic', rtmpUrl: nginx.url(), options: { audioCodec: 'pcma' } });
      // A second one injects a loud looping sound with the source muted: only the sound is heard there.
      const sound = new Int16Array(48000 * 2);
      for (let i = 0; i < sound.length; i++) sound[i] = (Math.floor(i / 48) % 2 ? 1 : -1) * 30000; // 500 Hz square
      const withSound = manager.startup(
        { streamName: 'synthetic', rtmpUrl: `${nginx.url()}/with_sound`, rtmpTransponderFullUrl: true, options: { action: 'sound_on', loop: true } },
        { name: 'square.wav', samples: sound },
      );
      assert.equal(withSound.soundEnabled, true);
      assert.equal(manager.setMuted(withSound.mediaSessionId, true).soundEnabled, true);
      await waitFor('PUBLISHING', () => manager.list().every((x) => x.status === 'PUBLISHING'), 15_000);
      assert.ok(keyframeRequests >= 1, 'a keyframe was asked for on connecting');

      // Real-time pump: video from the two clips back to back, a 440 Hz tone as 20 ms PCM chunks.
      const frames = [...a.frames.map((f) => ({ f, p: a.params })), ...b.frames.map((f) => ({ f: { ...f, dts: f.dts + 2000 }, p: b.params }))];
      const startedAt = performance.now();
      let pcmTime = 0;
      let sample = 0;
      for (const { f, p } of frames) {
        const due = startedAt + f.dts;
        while (pcmTime <= f.dts) {
          const samples = new Int16Array(960 * 2);
          for (let i = 0; i < 960; i++, sample++) samples[2 * i] = samples[2 * i + 1] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * sample) / 48000));
          stream.pushPcm({ time: clockBase + pcmTime, samples });
          pcmTime += 20;
        }
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        stream.pushParams(p); // ingest emits 'params' only when they change
        stream.pushVideo({ ...f, dts: clockBase + f.dts });
      }
      await new Promise((r) => setTimeout(r, 300));
      await manager.terminate(t.mediaSessionId);
      await manager.terminate(withSound.mediaSessionId);
    } finally {
      await manager.stopAll();
      stream.end('test over');
    }

    const files = [await nginx.waitForRecording(), await nginx.waitForRecording()];
    const file = files.find((f) => basename(f).startsWith('synthetic'))!;
    const soundFile = files.find((f) => basename(f).startsWith('with_sound'))!;
    assert.ok(file && soundFile, `recordings ${files.join(', ')}`);
    const soundLevels = await audioLevels(soundFile);
    assert.ok(soundLevels.peakDb > -3, `the injected sound is heard over the muted source (peak ${soundLevels.peakDb} dB)`);
    const tags: FlvTag[] = readFlv(readFileSync(file));
    const video = tags.filter((tag) => tag.type === TagType.video);
    const audio = tags.filter((tag) => tag.type === TagType.audio);
    // First video: sequence header then a keyframe, both at the start.
    assert.equal(videoTagInfo(video[0]!.body).sequenceHeader, true);
    assert.equal(videoTagInfo(video[1]!.body).keyframe, true);
    assert.ok(video[0]!.timestamp <= 50, `first video tag at ${video[0]!.timestamp} ms`);
    // Exactly two sequence headers (320x240, then 640x360), each right before a keyframe.
    const headers = video.map((tag, i) => ({ tag, i })).filter(({ tag }) => videoTagInfo(tag.body).sequenceHeader);
    assert.equal(headers.length, 2, `sequence headers at tags ${headers.map((h) => h.i).join(', ')}`);
    const sizes = headers.map(({ tag }) => {
      const record = parseAvcDecoderConfigurationRecord(tag.body.subarray(5));
      const sps = parseSps(record.sps[0]!);
      return `${sps.width}x${sps.height}`;
    });
    assert.deepEqual(sizes, ['320x240', '640x360']);
    for (const { i } of headers) assert.equal(videoTagInfo(video[i + 1]!.body).keyframe, true, `tag after header ${i} is a keyframe`);
    // The switch happens at the first keyframe of the second clip (~2 s), not before.
    assert.ok(headers[1]!.tag.timestamp >= 1900 && headers[1]!.tag.timestamp <= 2600, `second header at ${headers[1]!.tag.timestamp} ms`);
    // Per-track monotonic timestamps; audio is G.711 A-law (format 7).
    for (const track of [video, audio]) for (let i = 1; i < track.length; i++) assert.ok(track[i]!.timestamp >= track[i - 1]!.timestamp);
    assert.ok(audio.length > 50, `${audio.length} audio tags`);
    assert.equal(audio[0]!.body[0]! >> 4, 7);
    const summary = await probeStreams(file);
    assert.equal(summary.audio?.codec, 'pcm_alaw');
    assert.equal(summary.audio?.sampleRate, 8000);
    const levels = await audioLevels(file);
    assert.ok(levels.peakDb > -20, `the tone is heard (peak ${levels.peakDb} dB)`);
  });
});
