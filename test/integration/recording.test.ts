// Local recording with real peers: `castbridge --headless` (the compiled host, spawned as a user runs it),
// Chromium's fake camera and microphone over WHIP, ffmpeg/ffprobe reading the files.
// 1. A recording started and stopped over REST while live is an MP4 with H.264 and AAC that ffmpeg reads
//    without an error, as long as the time it was live.
// 2. Recording what a target receives: a G.711 target's recording has the same pictures and AAC audio, and
//    ends when that target is terminated (and a recording running at SIGTERM is finalized); with a simulcast publisher it has the layer that target receives,
//    while a recording of the stream has the largest.
// 3. A host killed with SIGKILL mid-recording leaves an FLV that decodes up to its last second; the next start
//    of the host remuxes it to an MP4 that plays.
import { test, describe, after, afterEach, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, publishWhip, THREE_LAYERS } from '../helpers/chromium.js';
import { ffprobe } from '../helpers/media.js';
import { removeDir } from '../helpers/servers.js';
import { startRtmpTestServer } from '../helpers/rtmp-auth-server.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'castbridge.js');
const START_TIMEOUT_MS = 90_000;
const RECORD_MS = 6000;

interface RunningHost {
  url: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<unknown>;
}

async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startHost(dataDir: string): Promise<RunningHost> {
  const settings = ['rest_http_port=0', 'rest_https_enabled=false', 'local_rtmp_enabled=false', 'ws_port=0', 'wss_port=0'];
  const child = spawn(process.execPath, [BIN, '--headless', '--data-dir', dataDir, ...settings.flatMap((s) => ['--set', s])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CASTBRIDGE_LOG: '' },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await until('the studio URL', () => /studio: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1], START_TIMEOUT_MS).catch((error: Error) => {
    throw new Error(`${error.message}\n${out.slice(-3000)}`);
  });
  return { url, child, output: () => out, exited };
}

async function rest(url: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

/**
 * Every packet read and every frame decoded without a single error line. `-enc_time_base -1` keeps each
 * frame's own time: by default ffmpeg 5.1 re-times decoded frames for the null sink on a 1/frame-rate grid
 * and reports "non monotonically increasing dts" whenever two camera frames jitter into one tick (seen on a
 * loaded machine with frames 29–38 ms apart), which says nothing about the file.
 */
async function decodeErrors(file: string): Promise<string> {
  const { stderr } = await run('/usr/bin/ffmpeg', ['-v', 'error', '-i', file, '-enc_time_base', '-1', '-f', 'null', '-'], { maxBuffer: 16 * 1024 * 1024 });
  return stderr.trim();
}

/** The pts (s) of the last video packet: how far the file plays. */
async function lastVideoPts(file: string): Promise<number> {
  const { stdout } = await run('/usr/bin/ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const times = stdout.split('\n').map(Number).filter((n) => Number.isFinite(n) && n > 0);
  return Math.max(0, ...times);
}

describe('local recording (castbridge --headless, Chromium over WHIP)', { timeout: 300_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'castbridge-recording-'));
  const recordings = join(dataDir, 'recordings');
  let browser: Browser | undefined;
  const hosts: RunningHost[] = [];
  const pages: Page[] = [];

  before(async () => {
    browser = await launchChromium({ fps: 30 });
  });

  afterEach(async () => {
    // A page left publishing to a host that is gone still encodes: close it before the next test.
    for (const page of pages.splice(0)) await page.close().catch(() => undefined);
  });

  after(async () => {
    for (const h of hosts) if (h.child.exitCode === null && h.child.signalCode === null) h.child.kill('SIGKILL');
    await browser?.close().catch(() => undefined);
    removeDir(dataDir);
  });

  /** Publishes the fake camera to `host` from a new page, closed when the test ends. */
  async function publish(host: RunningHost, simulcast = false): Promise<void> {
    const page = await browser!.newPage();
    pages.push(page);
    await page.goto(`${host.url}/rest-api/openapi.json`);
    await publishWhip(page, `${host.url}/whip/cam`, simulcast ? { width: 1280, height: 720, fps: 30, simulcast: THREE_LAYERS } : { width: 640, height: 360, fps: 30 });
    // Let media flow (ICE, DTLS, the first pictures) before recording.
    await new Promise((r) => setTimeout(r, 2000));
  }

  test('a recording made while live is an MP4 with H.264 and AAC, as long as the live time, that ffmpeg reads without errors', async () => {
    const host = await startHost(dataDir);
    hosts.push(host);
    await publish(host);

    const t0 = Date.now();
    const started = await rest(host.url, 'POST', '/rest-api/recording/startup', { streamName: 'cam' });
    assert.equal(started.status, 200, JSON.stringify(started.json));
    assert.equal(started.json.status, 'RECORDING');
    assert.match(started.json.file, /^cam-\d{8}-\d{6}\.flv$/);
    await new Promise((r) => setTimeout(r, RECORD_MS));
    const live = await rest(host.url, 'GET', '/rest-api/recording/find_all');
    assert.equal(live.json[0].status, 'RECORDING');
    assert.ok(live.json[0].bytes > 10_000, `bytes grow: ${live.json[0].bytes}`);
    // Live time: from the Record request to the Stop request (the answer to Stop waits for the MP4).
    const liveSec = (Date.now() - t0) / 1000;
    const stopped = await rest(host.url, 'POST', '/rest-api/recording/terminate', { recordingId: started.json.recordingId });
    assert.equal(stopped.status, 200, JSON.stringify(stopped.json));
    assert.equal(stopped.json.status, 'STOPPED', JSON.stringify(stopped.json));
    assert.match(stopped.json.file, /\.mp4$/);

    const mp4 = join(recordings, stopped.json.file);
    assert.ok(existsSync(mp4));
    assert.ok(!existsSync(join(recordings, started.json.file)), 'the FLV is gone once the MP4 plays');
    const probe = await ffprobe(mp4);
    const video = probe.streams.find((s) => s.codec_type === 'video');
    const audio = probe.streams.find((s) => s.codec_type === 'audio');
    assert.equal(video?.codec_name, 'h264');
    assert.equal(audio?.codec_name, 'aac');
    assert.equal(await decodeErrors(mp4), '', 'ffmpeg decodes the MP4 without an error');
    const duration = Number(probe.format.duration);
    console.log(`recording: live ${liveSec.toFixed(2)} s, MP4 ${duration.toFixed(2)} s (video ${video?.duration} s, audio ${audio?.duration} s)`);
    assert.ok(Math.abs(duration - liveSec) <= 0.5, `MP4 duration ${duration} s within 0.5 s of the live time ${liveSec.toFixed(2)} s`);

    const files = await rest(host.url, 'GET', '/rest-api/recording/files');
    const listed = files.json.files.find((f: { name: string }) => f.name === stopped.json.file);
    assert.ok(listed, `listed: ${JSON.stringify(files.json)}`);
    assert.ok(Math.abs(listed.durationMs / 1000 - duration) < 0.1, `listed duration ${listed.durationMs} ms`);

    console.log(`recording: ${/event=recording\.stopped .*/.exec(host.output())?.[0] ?? 'no recording.stopped line'}`);
    host.child.kill('SIGTERM');
    await host.exited;
  });

  test('a recording of a G.711 target has its pictures with AAC audio, and ends when the target is terminated', async () => {
    const host = await startHost(dataDir);
    hosts.push(host);
    const target = await startRtmpTestServer();
    try {
      await publish(host);
      const published = target.nextPublish();
      const t = await rest(host.url, 'POST', '/rest-api/push/startup', { streamName: 'cam', rtmpUrl: `${target.baseUrl}/live`, options: { audioCodec: 'pcma' } });
      assert.equal(t.status, 200, JSON.stringify(t.json));
      await published;
      const started = await rest(host.url, 'POST', '/rest-api/recording/startup', { mediaSessionId: t.json.mediaSessionId });
      assert.equal(started.status, 200, JSON.stringify(started.json));
      assert.equal(started.json.mediaSessionId, t.json.mediaSessionId);
      await new Promise((r) => setTimeout(r, 3000));
      const ended = await rest(host.url, 'POST', '/rest-api/push/terminate', { mediaSessionId: t.json.mediaSessionId });
      assert.equal(ended.status, 200);
      const done = await until(
        'the recording to end with its target',
        async () => (await rest(host.url, 'GET', '/rest-api/recording/find_all')).json.find((r: { recordingId: string; status: string }) => r.recordingId === started.json.recordingId && r.status !== 'RECORDING'),
        20_000,
      );
      assert.equal(done.status, 'STOPPED', JSON.stringify(done));
      assert.match(done.info, /^STOPPED_BY_TRANSPONDER_END$/);
      const probe = await ffprobe(join(recordings, done.file));
      assert.deepEqual(probe.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
      assert.ok(Number(probe.format.duration) > 2, `duration ${probe.format.duration}`);

      // A recording running when the host is asked to stop (SIGTERM) is finalized: an MP4, no FLV left.
      const running = await rest(host.url, 'POST', '/rest-api/recording/startup', { streamName: 'cam' });
      assert.equal(running.status, 200);
      await new Promise((r) => setTimeout(r, 2000));
      host.child.kill('SIGTERM');
      await host.exited;
      assert.ok(!existsSync(join(recordings, running.json.file)), 'no FLV left');
      const saved = await ffprobe(join(recordings, running.json.file.replace(/\.flv$/, '.mp4')));
      assert.ok(Number(saved.format.duration) > 1, `saved at shutdown: ${saved.format.duration} s`);
    } finally {
      await target.close();
      host.child.kill('SIGTERM');
      await host.exited;
    }
  });

  test('with simulcast, a target\'s recording has the layer that target receives; the stream\'s recording the largest', async () => {
    const host = await startHost(dataDir);
    hosts.push(host);
    const target = await startRtmpTestServer();
    try {
      await publish(host, true);
      const published = target.nextPublish();
      const t = await rest(host.url, 'POST', '/rest-api/push/startup', { streamName: 'cam', rtmpUrl: `${target.baseUrl}/live`, options: { quality: 'lowest' } });
      assert.equal(t.status, 200, JSON.stringify(t.json));
      await published;
      const sent = await until(
        'the target to send a layer',
        async () => (await rest(host.url, 'POST', '/rest-api/push/find', { mediaSessionId: t.json.mediaSessionId })).json[0]?.layer?.height || undefined,
        10_000,
      );
      const ofTarget = await rest(host.url, 'POST', '/rest-api/recording/startup', { mediaSessionId: t.json.mediaSessionId });
      const ofStream = await rest(host.url, 'POST', '/rest-api/recording/startup', { streamName: 'cam' });
      assert.equal(ofTarget.status, 200, JSON.stringify(ofTarget.json));
      assert.equal(ofStream.status, 200, JSON.stringify(ofStream.json));
      await new Promise((r) => setTimeout(r, 4000));
      const heights: number[] = [];
      for (const r of [ofTarget, ofStream]) {
        const done = await rest(host.url, 'POST', '/rest-api/recording/terminate', { recordingId: r.json.recordingId });
        assert.equal(done.status, 200, JSON.stringify(done.json));
        const probe = await ffprobe(join(recordings, done.json.file));
        heights.push(probe.streams.find((s) => s.codec_type === 'video')?.height ?? 0);
      }
      console.log(`simulcast: the target sends ${sent}p; recordings ${heights.join('p / ')}p (target / stream)`);
      assert.equal(heights[0], sent, 'the target\'s recording has its layer');
      assert.ok(heights[1]! > heights[0]!, 'the stream\'s recording has a larger layer');
    } finally {
      await target.close();
      host.child.kill('SIGTERM');
      await host.exited;
    }
  });

  test('a recording cut by SIGKILL decodes up to its last second, and the next start remuxes it to an MP4', async () => {
    const host = await startHost(dataDir);
    hosts.push(host);
    await publish(host);
    const started = await rest(host.url, 'POST', '/rest-api/recording/startup', { streamName: 'cam' });
    assert.equal(started.status, 200, JSON.stringify(started.json));
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, RECORD_MS));
    // What the host says it has recorded, just before it is killed.
    const live = await rest(host.url, 'GET', '/rest-api/recording/find_all');
    host.child.kill('SIGKILL');
    const wallSec = (Date.now() - t0) / 1000;
    const recordedSec = live.json[0].durationMs / 1000;
    await host.exited;

    const flv = join(recordings, started.json.file);
    assert.ok(existsSync(flv), `the FLV is left: ${readdirSync(recordings).join(', ')}`);
    const reached = await lastVideoPts(flv);
    console.log(`SIGKILL after ${wallSec.toFixed(2)} s, ${recordedSec.toFixed(2)} s recorded: the FLV plays to ${reached.toFixed(2)} s`);
    assert.ok(reached >= recordedSec - 1.5 && reached <= recordedSec + 1, `the FLV decodes to ${reached} s of the ${recordedSec.toFixed(2)} s recorded`);
    assert.ok(reached >= wallSec - 2.5, `and to ${reached} s of the ${wallSec.toFixed(2)} s it ran`);

    const next = await startHost(dataDir);
    hosts.push(next);
    const mp4 = join(recordings, started.json.file.replace(/\.flv$/, '.mp4'));
    await until('the leftover FLV to be remuxed', () => /event=recording\.recovered/.test(next.output()) || undefined, 30_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${next.output().slice(-2000)}`);
    });
    assert.ok(existsSync(mp4) && !existsSync(flv), `the MP4 replaces the FLV: ${readdirSync(recordings).join(', ')}`);
    const probe = await ffprobe(mp4);
    assert.deepEqual(probe.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    assert.equal(await decodeErrors(mp4), '', 'the recovered MP4 decodes without an error');
    assert.ok(Math.abs(Number(probe.format.duration) - reached) < 0.5, `MP4 ${probe.format.duration} s, FLV ${reached} s`);
    next.child.kill('SIGTERM');
    await next.exited;
  });
});
