// VP8, VP9 and AV1 publishers to H.264-only targets through the stream's one transcoder (transponder/
// transcode/): three streams published from code — IVF clips Debian's ffmpeg made (a keyframe only every
// 4 s, as a publisher that ignores keyframe requests), looped in real time, with a PCM tone — each pushed to
// nginx-rtmp, the VP8 stream to two targets at once. What nginx recorded is read back with Debian's
// ffprobe/ffmpeg: H.264 + AAC at the clip's size, every frame decoded, 25 fps spacing, a keyframe every 2 s;
// and the VP8 stream's two targets were served by one ffmpeg transcoder.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { StreamRegistry, type LiveStream } from '../../src-relay/streams.js';
import { TransponderManager } from '../../src-relay/transponder/manager.js';
import { H264Transcoder } from '../../src-relay/transponder/transcode/transcoder.js';
import { consoleLog, silentLog, type Log } from '../../src-relay/log.js';
import { startNginxRtmp, type NginxRtmp } from '../helpers/servers.js';
import { decodeVideo, keyframeTimes, probeStreams, videoPacketTimes } from '../helpers/media.js';
import { makeIvfClip, type ClipCodec, type IvfClip } from '../helpers/ivf.js';
import { waitFor } from '../helpers/wait.js';

const verbose = process.env.CASTBRIDGE_TEST_VERBOSE ? consoleLog : silentLog;
const CLIP = { width: 320, height: 240, fps: 25, seconds: 4, gopFrames: 100 };
const STREAM_MS = 6000;
const CODECS: ClipCodec[] = ['vp8', 'vp9', 'av1'];
/** The VP8 stream goes to this many targets, all served by its one transcoder. */
const VP8_TARGETS = 2;

/** Pushes a clip's pictures (looped) and 20 ms PCM chunks into `stream` in real time; returns the stop function. */
function pump(stream: LiveStream, clip: IvfClip, codec: ClipCodec): () => void {
  const clockBase = 987_654;
  const clipMs = CLIP.seconds * 1000;
  const startedAt = performance.now();
  let index = 0;
  let pcmMs = 0;
  let sample = 0;
  const tick = (): void => {
    const now = performance.now() - startedAt;
    for (; pcmMs <= now; pcmMs += 20) {
      const samples = new Int16Array(960 * 2);
      for (let i = 0; i < 960; i++, sample++) samples[2 * i] = samples[2 * i + 1] = Math.round(6000 * Math.sin((2 * Math.PI * 440 * sample) / 48000));
      stream.pushPcm({ time: clockBase + pcmMs, samples });
    }
    for (;;) {
      const f = clip.frames[index % clip.frames.length]!;
      const dts = Math.floor(index / clip.frames.length) * clipMs + f.pts;
      if (dts > now) break;
      stream.pushVideo({ codec, dts: clockBase + dts, cts: 0, keyframe: f.keyframe, data: f.data });
      index++;
    }
  };
  const timer = setInterval(tick, 10);
  return () => clearInterval(timer);
}

describe('VP8 / VP9 / AV1 publishers to H.264 targets (the transcoder)', { timeout: 180_000 }, () => {
  let nginx: NginxRtmp;
  const work = mkdtempSync(join(tmpdir(), 'castbridge-transcode-'));
  const recordings = new Map<string, string>();
  const started: Record<string, unknown>[] = [];
  const found = new Map<string, { videoCodec?: string; videoPath?: string }[]>();

  before(async () => {
    const clips = new Map<ClipCodec, IvfClip>();
    [nginx] = await Promise.all([
      startNginxRtmp(),
      ...CODECS.map(async (codec) => clips.set(codec, await makeIvfClip(join(work, `${codec}.ivf`), codec, CLIP))),
    ]);
    const log: Log = (event, fields) => {
      if (event === 'transcoder.started') started.push(fields ?? {});
      verbose(event, fields);
    };
    const registry = new StreamRegistry();
    const manager = new TransponderManager(registry, () => ({ streamNamePrefix: '', fullUrl: true, keyframeIntervalMs: 2000, log }));
    const stops: (() => void)[] = [];
    const streams: LiveStream[] = [];
    try {
      for (const codec of CODECS) {
        const stream = registry.publish(codec, { requestKeyframe: () => undefined, close: () => undefined, description: 'test', videoCodec: codec });
        streams.push(stream);
        stream.pushParams({ codec, width: CLIP.width, height: CLIP.height, record: Buffer.alloc(0) });
        const targets = codec === 'vp8' ? VP8_TARGETS : 1;
        for (let i = 0; i < targets; i++) manager.startup({ streamName: codec, rtmpUrl: `${nginx.url('live')}/${codec}_${i}` });
        stops.push(pump(stream, clips.get(codec)!, codec));
      }
      const total = CODECS.length + VP8_TARGETS - 1;
      await waitFor('every target PUBLISHING', () => manager.list().length === total && manager.list().every((t) => t.status === 'PUBLISHING'), 30_000);
      await new Promise((r) => setTimeout(r, STREAM_MS));
      for (const codec of CODECS) found.set(codec, manager.find({ streamName: codec }));
      for (const t of manager.list()) await manager.terminate(t.mediaSessionId);
    } finally {
      for (const stop of stops) stop();
      await manager.stopAll();
      for (const stream of streams) stream.end('test over');
    }
    for (let i = 0; i < CODECS.length + VP8_TARGETS - 1; i++) {
      const file = await nginx.waitForRecording(30_000);
      recordings.set(basename(file).replace(/-.*$/, '').replace(/\.flv$/, ''), file);
    }
  });

  after(async () => {
    await nginx?.stop();
    if (!process.env.CASTBRIDGE_TEST_KEEP) rmSync(work, { recursive: true, force: true });
  });

  for (const codec of CODECS) {
    test(`${codec}: nginx records H.264 + AAC ${CLIP.width}x${CLIP.height}, every frame decodes, 25 fps, a keyframe every 2 s`, async (t) => {
      assert.deepEqual(
        found.get(codec)?.map((j) => [j.videoCodec, j.videoPath]),
        Array.from({ length: codec === 'vp8' ? VP8_TARGETS : 1 }, () => ['h264', 'transcode']),
        'find says H.264, transcoded',
      );
      const names = [...recordings.keys()].filter((n) => n.startsWith(`${codec}_`));
      assert.equal(names.length, codec === 'vp8' ? VP8_TARGETS : 1, `recordings ${[...recordings.keys()].join(', ')}`);
      for (const name of names) {
        const file = recordings.get(name)!;
        const summary = await probeStreams(file);
        assert.equal(summary.video?.codec, 'h264');
        assert.deepEqual([summary.video?.width, summary.video?.height], [CLIP.width, CLIP.height]);
        assert.equal(summary.audio?.codec, 'aac');
        const times = await videoPacketTimes(file);
        assert.ok(times.length > ((STREAM_MS / 1000) * CLIP.fps) * 0.8, `${times.length} video packets`);
        const gaps = times.slice(1).map((v, i) => Math.round((v - times[i]!) * 1000));
        const off = gaps.filter((g) => Math.abs(g - 1000 / CLIP.fps) > 5);
        assert.deepEqual(off, [], `every frame 40 ms after the last (${gaps.length} gaps)`);
        // Every packet decodes, none with an error.
        const decoded = await decodeVideo(file);
        assert.deepEqual(decoded.errors, [], 'ffmpeg decodes without errors');
        assert.equal(decoded.frames, times.length, 'every packet is a decoded frame');
        const keys = await keyframeTimes(file);
        const spacing = keys.slice(1).map((k, i) => k - keys[i]!);
        assert.ok(keys.length >= 3 && spacing.every((s) => s > 1.9 && s < 2.1), `keyframes at ${keys.join(', ')} (publisher: every 4 s)`);
        t.diagnostic(`${name}: ${times.length} frames, keyframes at ${keys.map((k) => k.toFixed(2)).join(' ')}`);
      }
    });
  }

  test('one transcoder per stream, whatever the number of its targets', () => {
    assert.deepEqual(started.map((f) => f.stream).sort(), [...CODECS].sort(), JSON.stringify(started));
  });
});

describe('the transcoder without what it needs', () => {
  test('an ffmpeg without the decoder is a clear error, not a hang', async () => {
    const registry = new StreamRegistry();
    const stream = registry.publish('vp8', { requestKeyframe: () => undefined, close: () => undefined, description: 'test', videoCodec: 'vp8' });
    const transcoder = new H264Transcoder(stream, { bitrateKbps: 1000, keyframeIntervalMs: 2000, log: silentLog, ffmpeg: () => '/bin/true' });
    const failed = new Promise<string>((resolve) => transcoder.once('failed', resolve));
    stream.pushParams({ codec: 'vp8', width: 320, height: 240, record: Buffer.alloc(0) });
    stream.pushVideo({ codec: 'vp8', dts: 0, cts: 0, keyframe: true, data: Buffer.from('9d012a', 'hex') });
    assert.match(await failed, /H\.264 transcoder cannot start: the app's ffmpeg \(\/bin\/true\) has no VP8 decoder \(looked for vp8, libvpx\)/);
    assert.match(transcoder.error ?? '', /no VP8 decoder/);
    transcoder.close('test over');
    stream.end('test over');
  });
});
