// `castbridge push` against three real RTMP servers started here: node-media-server, nginx-rtmp and
// `ffmpeg -listen 1`. What each server received is checked with ffprobe: H.264 at the file's size, AAC,
// and the same duration as the file.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { push, startPush } from '../helpers/castbridge-push.js';
import { startFfmpegListener, startNginxRtmp, startNodeMediaServer } from '../helpers/servers.js';
import { keyframeTimes, makeTestFlv, probeStreams, type StreamSummary } from '../helpers/media.js';
import { readFlv } from '../../src-relay/flv/file.js';
import { TagType } from '../../src-relay/flv/tags.js';
import { asAmf0Record, decodeAmf0 } from '../../src-relay/rtmp/amf0.js';

const DURATION_TOLERANCE_S = 0.5;

/** Polls until a file exists and ffprobe reads a duration from it that stopped growing. */
async function settledProbe(file: () => string | undefined, timeoutMs = 15_000): Promise<StreamSummary> {
  const deadline = Date.now() + timeoutMs;
  let last: StreamSummary | undefined;
  while (Date.now() < deadline) {
    const path = file();
    if (path && existsSync(path) && statSync(path).size > 0) {
      const probe = await probeStreams(path).catch(() => undefined);
      if (probe && last && probe.durationSec === last.durationSec && probe.video && probe.audio) return probe;
      last = probe;
    }
    await sleep(300);
  }
  throw new Error(`no settled recording within ${timeoutMs} ms (last probe ${JSON.stringify(last)})`);
}

function assertReceived(got: StreamSummary, source: StreamSummary): void {
  assert.equal(got.video?.codec, 'h264');
  assert.equal(got.video?.profile, 'Main');
  assert.deepEqual([got.video?.width, got.video?.height], [320, 240]);
  assert.equal(got.audio?.codec, 'aac');
  assert.equal(got.audio?.sampleRate, 48000);
  assert.equal(got.audio?.channels, 2);
  assert.ok(
    Math.abs(got.durationSec - source.durationSec) <= DURATION_TOLERANCE_S,
    `received ${got.durationSec} s, the file is ${source.durationSec} s (±${DURATION_TOLERANCE_S})`,
  );
}

describe('castbridge push to real RTMP servers', { timeout: 240_000 }, () => {
  let dir: string;
  let file: string;
  let source: StreamSummary;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'castbridge-push-'));
    // Main profile with B-frames: composition times must survive the trip
    file = await makeTestFlv(join(dir, 'clip.flv'), { seconds: 4, width: 320, height: 240, fps: 25, gopSeconds: 1, profile: 'main', preset: 'veryfast' });
    source = await probeStreams(file);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('nginx-rtmp records what we pushed: H.264 320x240 + AAC, the whole file', async () => {
    const nginx = await startNginxRtmp();
    try {
      const result = await push([file, nginx.url()]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /time=00:00:0\d\.\d bitrate=[\d.]+kb\/s/);
      const publish = await nginx.waitForPublish();
      assert.deepEqual([publish.app, publish.name], ['live', 'rtmp_clip']);
      const recording = await nginx.waitForRecording();
      assertReceived(await probeStreams(recording), source);
      // every keyframe arrives, one a second as in the file (times relative to the first one)
      const [sent, got] = [await keyframeTimes(file), await keyframeTimes(recording)];
      assert.deepEqual(got.map((t) => Math.round((t - got[0]!) * 10) / 10), sent.map((t) => Math.round((t - sent[0]!) * 10) / 10));
    } finally {
      await nginx.stop();
    }
  });

  test('node-media-server receives and records the push', async () => {
    const nms = await startNodeMediaServer();
    try {
      const result = await push([file, nms.url('live'), '--stream-name', 'nms_cam']);
      assert.equal(result.code, 0, result.stderr);
      const recording = () => nms.recordings().find((f) => f.includes('/live/rtmp_nms_cam/'));
      assertReceived(await settledProbe(recording), source);
      // node-media-server keeps the @setDataFrame onMetaData we sent in its recording
      const script = readFlv(readFileSync(recording()!)).find((t) => t.type === TagType.script);
      const values = decodeAmf0(script!.body);
      assert.deepEqual(values.slice(0, 2), ['@setDataFrame', 'onMetaData']);
      const meta = asAmf0Record(values[2]!)!;
      assert.deepEqual([meta.width, meta.height, meta.videocodecid, meta.framerate, meta.audiocodecid, meta.audiosamplerate, meta.stereo], [320, 240, 7, 25, 10, 48000, true]);
      assert.match(String(meta.encoder), /^Castbridge \d+\.\d+\.\d+$/);
    } finally {
      await nms.stop();
    }
  });

  test('ffmpeg -listen 1 copies the pushed stream into a file it can read back', async () => {
    const out = join(dir, 'ffmpeg-received.flv');
    const listener = await startFfmpegListener({ app: 'live', name: 'cam', outFile: out });
    try {
      const result = await push([file, listener.url, '--set', 'rtmp_transponder_full_url=true']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await listener.done, 0);
      assertReceived(await probeStreams(out), source);
    } finally {
      await listener.stop();
    }
  });

  test('a server that is not there fails with exit 1 and a clear reason', async () => {
    const nginx = await startNginxRtmp();
    const url = nginx.url();
    await nginx.stop(); // the port is free again: connection refused
    const result = await push([file, url]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /castbridge push: failed to push to rtmp:\/\/127\.0\.0\.1:\d+\/live as rtmp…: .*(ECONNREFUSED|refused)/i);
  });

  test('Ctrl-C stops the push cleanly: exit 130, and the server closes a recording shorter than the file', async () => {
    const nginx = await startNginxRtmp();
    try {
      const running = startPush([file, nginx.url(), '--stream-name', 'interrupted']);
      await nginx.waitForPublish();
      await sleep(1000);
      running.child.kill('SIGINT');
      const result = await running.done;
      assert.equal(result.code, 130, result.stderr);
      assert.match(result.stderr, /castbridge push: interrupted/);
      const recorded = await probeStreams(await nginx.waitForRecording());
      assert.ok(recorded.durationSec > 0.3 && recorded.durationSec < source.durationSec - 1, `recorded ${recorded.durationSec} s`);
    } finally {
      await nginx.stop();
    }
  });
});
