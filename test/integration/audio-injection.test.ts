// Mute and sound injection, end to end through the real host: Chromium publishes over the host's own
// /whip route, transponders are created and driven with POST /rest-api/push/*, nginx-rtmp records what
// arrives, and ffmpeg decodes the recording for the checks (Goertzel per 20 ms window, RMS for silence).
//
// Chromium's default fake microphone beeps 20 ms every 500 ms, too sparse to time a mute against, so the fake
// mic here plays a file instead (--use-file-for-fake-audio-capture): a continuous 600 Hz tone, away from the
// 1 kHz of the injected sounds, with the page's audio processing off (noise suppression eats steady tones).
//
// Timeline: a transponder's FLV time 0 is the stream time (dts) of the first keyframe it sends after
// PUBLISHING (transponder/clock.ts). The test listens to the same stream: it notes that keyframe, and takes
// "the stream time now" as the end of the latest PCM chunk, so an API call made at stream time T should show
// in the recording at T − base. The recording's keyframes must sit at stream keyframes − base (checked).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { encodeWav } from '../../src-relay/codec/audio/wav.js';
import { silentLog } from '../../src-relay/log.js';
import type { TransponderJSON } from '../../src-relay/transponder/service.js';
import { createHost, type Host } from '../../src-main/host.js';
import { launchChromium, publishWhip, type WhipPublication } from '../helpers/chromium.js';
import { startNginxRtmp, removeDir, PLAIN_HOST, type NginxRtmp } from '../helpers/servers.js';
import { keyframeTimes, videoPacketTimes } from '../helpers/media.js';
import { push } from '../helpers/http-client.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const FFMPEG = '/usr/bin/ffmpeg';
const FFPROBE = '/usr/bin/ffprobe';
const STREAM = 'studio_mic';
const RATE = 48000;
/** The fake microphone's tone, and the injected sounds' tone. */
const MIC_HZ = 600;
const SOUND_HZ = 1000;
/** Analysis window: 20 ms holds whole cycles of both tones (12 and 20). */
const WINDOW_S = 0.02;
const WINDOW = RATE * WINDOW_S;
/** RMS below this (−60 dBFS) is silence; encoded digital silence decodes to ~0. */
const SILENCE_RMS = 1e-3;
/** A tone is present when its Goertzel amplitude exceeds this (the files are at 0.3–0.5 of full scale). */
const TONE_AMPLITUDE = 0.05;
/** How far an edge in the recording may sit from the API call mapped onto the recording's timeline. */
const EDGE_TOLERANCE_S = 0.3;
const PITCH_TOLERANCE_HZ = 10;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A sine as interleaved samples in −1…1. */
function sine(hz: number, rate: number, seconds: number, channels: number, amplitude: number): Float32Array {
  const frames = Math.round(rate * seconds);
  const out = new Float32Array(frames * channels);
  for (let i = 0; i < frames; i++) out.fill(amplitude * Math.sin((2 * Math.PI * hz * i) / rate), i * channels, (i + 1) * channels);
  return out;
}

function toInt16(samples: Float32Array): Int16Array {
  return Int16Array.from(samples, (v) => Math.round(v * 32767));
}

/** Goertzel amplitude of `hz` in samples[from, to) (1.0 for a full-scale sine at that frequency). */
function goertzel(samples: Float32Array, from: number, to: number, hz: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / RATE);
  let s1 = 0;
  let s2 = 0;
  for (let i = from; i < to; i++) {
    const s0 = samples[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(power, 0))) / (to - from);
}

function rms(samples: Float32Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += samples[i]! * samples[i]!;
  return Math.sqrt(sum / (to - from));
}

/** The frequency (1 Hz steps in 900–1100) with the most energy in [fromS, toS) of the recording. */
function peakFrequency(pcm: Float32Array, fromS: number, toS: number): number {
  const from = Math.round(fromS * RATE);
  const to = Math.round(toS * RATE);
  let best = 0;
  let bestHz = 0;
  for (let hz = 900; hz <= 1100; hz++) {
    const a = goertzel(pcm, from, to, hz);
    if (a > best) [best, bestHz] = [a, hz];
  }
  return bestHz;
}

/** The recording's audio as mono 48 kHz, sample i at FLV time i/48000 s (gaps and a late start padded). */
async function decodeAudio(file: string): Promise<Float32Array> {
  const { stdout } = await run(
    FFMPEG,
    ['-v', 'error', '-i', file, '-map', '0:a:0', '-af', 'aresample=async=1:first_pts=0', '-ac', '1', '-ar', String(RATE), '-f', 's16le', '-'],
    { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024, timeout: 60_000 },
  );
  const pcm = new Float32Array(Math.floor(stdout.length / 2));
  for (let i = 0; i < pcm.length; i++) pcm[i] = stdout.readInt16LE(i * 2) / 32768;
  return pcm;
}

async function audioPacketTimes(file: string): Promise<number[]> {
  const { stdout } = await run(FFPROBE, ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'packet=pts_time', '-of', 'csv=print_section=0', file], {
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  // A packet with side data prints a trailing comma ("0.015000,"): parseFloat ignores it.
  return stdout.split('\n').map((l) => parseFloat(l)).filter((t) => !Number.isNaN(t));
}

/** Per 20 ms window of the recording: its RMS and the amplitude of each tone. */
interface Window {
  t: number;
  rms: number;
  mic: number;
  sound: number;
}

function windows(pcm: Float32Array): Window[] {
  const out: Window[] = [];
  for (let from = 0; from + WINDOW <= pcm.length; from += WINDOW) {
    const to = from + WINDOW;
    out.push({ t: from / RATE, rms: rms(pcm, from, to), mic: goertzel(pcm, from, to, MIC_HZ), sound: goertzel(pcm, from, to, SOUND_HZ) });
  }
  return out;
}

/** Maximal runs [start, end) in seconds of windows matching `is`, at least `minS` long. */
function runs(ws: Window[], is: (w: Window) => boolean, minS = 0.1): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start: number | undefined;
  for (const w of ws) {
    if (is(w)) start ??= w.t;
    else if (start !== undefined) {
      if (w.t - start >= minS) out.push([start, w.t]);
      start = undefined;
    }
  }
  const end = ws.length * WINDOW_S;
  if (start !== undefined && end - start >= minS) out.push([start, end]);
  return out;
}

/** Every window whose start lies in [fromS, toS) matches `is`; names the first that does not. */
function assertAll(ws: Window[], fromS: number, toS: number, is: (w: Window) => boolean, what: string): void {
  const inside = ws.filter((w) => w.t >= fromS && w.t + WINDOW_S <= toS);
  assert.ok(inside.length > 0, `no window in ${fromS.toFixed(2)}–${toS.toFixed(2)} s for ${what}`);
  const bad = inside.find((w) => !is(w));
  assert.equal(bad, undefined, `${what} in ${fromS.toFixed(2)}–${toS.toFixed(2)} s, but at ${bad?.t.toFixed(2)} s: ${JSON.stringify(bad)}`);
}

/**
 * Most windows in [fromS, toS) match `is`: for the fake mic, which Chromium captures in real time and may
 * glitch for a frame under load (the relay's own output, silence and injected sounds, is checked with
 * assertAll; a real gap in the mic would also show as a second silent span).
 */
function assertMostly(ws: Window[], fromS: number, toS: number, is: (w: Window) => boolean, what: string): void {
  const inside = ws.filter((w) => w.t >= fromS && w.t + WINDOW_S <= toS);
  assert.ok(inside.length > 0, `no window in ${fromS.toFixed(2)}–${toS.toFixed(2)} s for ${what}`);
  const bad = inside.filter((w) => !is(w));
  assert.ok(bad.length <= inside.length * 0.03, `${what} in ${fromS.toFixed(2)}–${toS.toFixed(2)} s, but not at ${bad.map((w) => w.t.toFixed(2)).join(', ')} s`);
}

const silent = (w: Window) => w.rms < SILENCE_RMS;
const hasSound = (w: Window) => w.sound > TONE_AMPLITUDE;
const hasMic = (w: Window) => w.mic > TONE_AMPLITUDE;
function near(actual: number, expected: number, what: string): void {
  if (process.env.CASTBRIDGE_TEST_VERBOSE) console.log(`${what}: ${actual.toFixed(3)} s, API call at ${expected.toFixed(3)} s`);
  assert.ok(Math.abs(actual - expected) <= EDGE_TOLERANCE_S, `${what} at ${actual.toFixed(3)} s, expected ${expected.toFixed(3)} s ± ${EDGE_TOLERANCE_S}`);
}

/**
 * The stream's clock as the transponders see it: where FLV time 0 of each transponder lies (the first
 * keyframe after it reached PUBLISHING) and the stream time now (end of the latest PCM chunk).
 */
class Timeline {
  private pcmEnd = NaN;
  readonly keyframes: number[] = [];
  private readonly publishing = new Set<string>();
  private readonly bases = new Map<string, number>();

  constructor(host: Host) {
    const stream = host.registry.get(STREAM);
    if (!stream) throw new Error(`stream ${STREAM} is not published`);
    stream.on('pcm', (chunk) => {
      this.pcmEnd = chunk.time + (chunk.samples.length / 2 / RATE) * 1000;
    });
    // Registered before any transponder subscribes, so this runs first for each frame: a transponder that
    // is PUBLISHING when a keyframe arrives starts its FLV clock on that keyframe.
    stream.on('video', (frame) => {
      if (!frame.keyframe) return;
      this.keyframes.push(frame.dts);
      for (const id of this.publishing) if (!this.bases.has(id)) this.bases.set(id, frame.dts);
    });
    host.transponders.on('changed', (t: TransponderJSON) => {
      if (t.status === 'PUBLISHING') this.publishing.add(t.mediaSessionId);
    });
  }

  /** Stream time (ms) now. */
  now(): number {
    return this.pcmEnd;
  }

  base(id: string): number | undefined {
    return this.bases.get(id);
  }

  /** Stream time (ms) → seconds in `id`'s recording. */
  toRecording(id: string, streamMs: number): number {
    return (streamMs - this.bases.get(id)!) / 1000;
  }
}

describe('mute, unmute and sound injection through the REST API, heard in a real target\'s recording', { timeout: 240_000 }, () => {
  let dataDir: string;
  let host: Host;
  let nginx: NginxRtmp;
  let browser: Browser;
  let page: Page;
  let publication: WhipPublication;
  let timeline: Timeline;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'castbridge-audio-'));
    nginx = await startNginxRtmp();
    host = await createHost({
      dataDir,
      log: silentLog,
      overrides: PLAIN_HOST,
    });
    const media = host.mediaDir();
    // 2 s of 600 Hz loops seamlessly (1200 whole cycles).
    const micFile = join(dataDir, 'mic.wav');
    writeFileSync(micFile, encodeWav(toInt16(sine(MIC_HZ, RATE, 2, 1, 0.3)), RATE, 1, 16));
    writeFileSync(join(media, 'tone.wav'), encodeWav(toInt16(sine(SOUND_HZ, RATE, 1, 2, 0.5)), RATE, 2, 16));
    writeFileSync(join(media, 'tone-u8-11025.wav'), encodeWav(sine(SOUND_HZ, 11025, 1, 1, 0.5), 11025, 1, 8));
    writeFileSync(join(media, 'tone-f32-96k.wav'), encodeWav(sine(SOUND_HZ, 96000, 1, 2, 0.5), 96000, 2, 32, true));

    browser = await launchChromium({ fps: 15, extraArgs: [`--use-file-for-fake-audio-capture=${micFile}`] });
    page = await browser.newPage();
    await page.goto(`${host.httpUrl}/rest-api/openapi.json`);
    // The helper asks for `audio: true`; turn off the processing that would reshape a steady tone.
    await page.evaluate(() => {
      const devices = navigator.mediaDevices;
      const original = devices.getUserMedia.bind(devices);
      devices.getUserMedia = (c?: MediaStreamConstraints) =>
        original({ ...c, audio: c?.audio ? { echoCancellation: false, noiseSuppression: false, autoGainControl: false } : false });
    });
    publication = await publishWhip(page, `${host.httpUrl}/whip/${STREAM}`, { width: 320, height: 240, fps: 15 });
    await waitFor("the stream's first SPS/PPS", () => host.registry.get(STREAM)?.params, 30_000);
    timeline = new Timeline(host);
    await waitFor('the stream\'s first audio', () => !Number.isNaN(timeline.now()), 15_000);
  });

  after(async () => {
    await publication?.stop().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await host?.close();
    await nginx?.stop();
    if (dataDir) removeDir(dataDir);
  });

  /** Starts a transponder to nginx publishing `name`; resolves once its FLV clock has started. */
  async function startTransponder(name: string, options: object = {}): Promise<string> {
    const reply = await push(host.httpUrl, 'startup', {
      streamName: STREAM,
      rtmpUrl: `${nginx.url('live')}/${name}`,
      rtmpTransponderFullUrl: true,
      options,
    });
    assert.equal(reply.status, 200, reply.text);
    const id = reply.json().mediaSessionId as string;
    await waitFor(`${name}'s first keyframe`, () => timeline.base(id) !== undefined, 30_000);
    return id;
  }

  /** POSTs a method for `id` at stream time now; returns that time and the reply's transponder. */
  async function act(method: string, id: string, extra: object = {}): Promise<{ at: number; t: TransponderJSON }> {
    const at = timeline.now();
    const reply = await push(host.httpUrl, method, { mediaSessionId: id, ...extra });
    assert.equal(reply.status, 200, `${method}: ${reply.text}`);
    return { at, t: reply.json() };
  }

  /** Terminates `id` and returns its finished recording. */
  async function finish(id: string, name: string): Promise<string> {
    assert.equal((await push(host.httpUrl, 'terminate', { mediaSessionId: id })).status, 200);
    for (;;) {
      const file = await nginx.waitForRecording(30_000);
      if (basename(file).startsWith(name)) return file;
    }
  }

  async function find(id: string): Promise<TransponderJSON> {
    const reply = await push(host.httpUrl, 'find', { mediaSessionId: id });
    assert.equal(reply.status, 200, reply.text);
    return reply.json()[0];
  }

  /** The recording's keyframes are the stream's, shifted by the base: the timeline mapping is right. */
  async function assertMapping(file: string, id: string): Promise<void> {
    const recorded = await keyframeTimes(file);
    assert.ok(recorded.length >= 2, `keyframes in the recording: ${recorded.join(', ')}`);
    const base = timeline.base(id)!;
    for (const k of recorded) {
      assert.ok(
        timeline.keyframes.some((dts) => Math.abs(dts - base - k * 1000) <= 2),
        `recording keyframe at ${k} s is a stream keyframe after base ${base} (${timeline.keyframes.map((d) => d - base).join(', ')})`,
      );
    }
  }

  test('mute and unmute: silent exactly while muted, the mic before and after, no gap', async () => {
    const name = 'mute_unmute';
    const id = await startTransponder(name);
    await sleep(2000);
    const mute = await act('mute', id);
    assert.equal(mute.t.muted, true);
    await sleep(2000);
    const unmute = await act('unmute', id);
    assert.equal(unmute.t.muted, false);
    await sleep(2000);
    const file = await finish(id, name);
    await assertMapping(file, id);

    const ws = windows(await decodeAudio(file));
    const mutedAt = timeline.toRecording(id, mute.at);
    const unmutedAt = timeline.toRecording(id, unmute.at);
    const end = ws.length * WINDOW_S;
    const silences = runs(ws, silent);
    assert.equal(silences.length, 1, `one silent span, got ${JSON.stringify(silences)} (mute at ${mutedAt.toFixed(3)}, unmute at ${unmutedAt.toFixed(3)})`);
    near(silences[0]![0], mutedAt, 'silence starts');
    near(silences[0]![1], unmutedAt, 'silence ends');
    assertMostly(ws, 0.1, mutedAt - EDGE_TOLERANCE_S, hasMic, 'the mic is heard before mute');
    assertMostly(ws, unmutedAt + EDGE_TOLERANCE_S, end - 0.1, hasMic, 'the mic is heard after unmute');

    const audio = await audioPacketTimes(file);
    const video = await videoPacketTimes(file);
    const audioSpan = audio.at(-1)! - audio[0]!;
    const videoSpan = video.at(-1)! - video[0]!;
    assert.ok(Math.abs(audioSpan - videoSpan) <= 0.1, `audio spans ${audioSpan.toFixed(3)} s, video ${videoSpan.toFixed(3)} s`);
    for (let i = 1; i < audio.length; i++) assert.ok(audio[i]! - audio[i - 1]! < 0.05, `gap in the audio at ${audio[i - 1]} s`);
  });

  test('sound_on over a muted transponder: the tone alone, ending by itself, looping, sound_off, right pitch from 8-bit 11 kHz and float 96 kHz', async () => {
    const name = 'inject';
    const id = await startTransponder(name, { action: 'mute' });
    await sleep(1000);

    /** sound_on without loop; waits until find shows soundEnabled false; returns when it was asked. */
    const playOnce = async (soundFile: string): Promise<{ at: number }> => {
      const on = await act('sound_on', id, { soundFile, loop: false });
      assert.equal(on.t.soundEnabled, true);
      const askedAt = Date.now();
      for (;;) {
        if (!(await find(id)).soundEnabled) break;
        assert.ok(Date.now() - askedAt < 10_000, `${soundFile} still playing after 10 s`);
        await sleep(100);
      }
      const tookMs = Date.now() - askedAt;
      assert.ok(tookMs >= 700, `soundEnabled turned false after ${tookMs} ms, the sound lasts 1 s`);
      return { at: on.at };
    };

    const once = await playOnce('tone.wav');
    await sleep(1000);
    const loop = await act('sound_on', id, { soundFile: 'tone.wav', loop: true });
    await sleep(2500);
    assert.equal((await find(id)).soundEnabled, true, 'a looping sound is still on after 2.5 s');
    const off = await act('sound_off', id);
    assert.equal(off.t.soundEnabled, false);
    assert.equal(off.t.muted, true);
    await sleep(1000);
    const u8 = await playOnce('tone-u8-11025.wav');
    await sleep(500);
    const f96 = await playOnce('tone-f32-96k.wav');
    await sleep(700);
    const file = await finish(id, name);
    await assertMapping(file, id);

    const pcm = await decodeAudio(file);
    const ws = windows(pcm);
    const at = (streamMs: number) => timeline.toRecording(id, streamMs);
    const sounds = runs(ws, hasSound);
    assert.equal(sounds.length, 4, `four tone spans, got ${JSON.stringify(sounds)}`);
    assertAll(ws, 0.1, at(once.at) - EDGE_TOLERANCE_S, silent, 'silence (muted) before the sound');
    // Once: the file's 1 s, then silence until the loop starts.
    near(sounds[0]![0], at(once.at), 'the sound starts');
    near(sounds[0]![1], at(once.at) + 1, 'the sound ends after its 1 s');
    assertAll(ws, sounds[0]![1] + 0.05, at(loop.at) - EDGE_TOLERANCE_S, silent, 'silence after the sound ended');
    // Loop: well beyond the file's 1 s, unbroken, until sound_off.
    near(sounds[1]![0], at(loop.at), 'the loop starts');
    near(sounds[1]![1], at(off.at), 'sound_off stops the loop');
    assert.ok(sounds[1]![1] - sounds[1]![0] > 2, `the loop lasted ${(sounds[1]![1] - sounds[1]![0]).toFixed(2)} s`);
    assertAll(ws, at(off.at) + EDGE_TOLERANCE_S, at(u8.at) - EDGE_TOLERANCE_S, silent, 'silence after sound_off');
    // Other formats and rates come out at the right pitch and length.
    near(sounds[2]![0], at(u8.at), 'the 8-bit 11025 Hz sound starts');
    near(sounds[2]![1], at(u8.at) + 1, 'the 8-bit 11025 Hz sound ends');
    near(sounds[3]![0], at(f96.at), 'the float 96 kHz sound starts');
    near(sounds[3]![1], at(f96.at) + 1, 'the float 96 kHz sound ends');
    for (const [label, [start, end]] of [['48 kHz 16-bit', sounds[0]!], ['8-bit 11025 Hz mono', sounds[2]!], ['float 96 kHz stereo', sounds[3]!]] as const) {
      const mid = (start + end) / 2;
      const hz = peakFrequency(pcm, mid - 0.25, mid + 0.25);
      assert.ok(Math.abs(hz - SOUND_HZ) <= PITCH_TOLERANCE_HZ, `${label}: peak at ${hz} Hz`);
    }
    // Between the sounds it is silence (checked above); under them, no mic either (edges aside: a tone that
    // starts or stops abruptly spreads over every frequency for a window).
    for (const [start, end] of sounds) assertAll(ws, start + 0.1, end - 0.1, (w) => w.mic < TONE_AMPLITUDE / 5, 'no muted mic under the sound');
  });

  test('startup with options sound_on and loop injects from the start, mixed over the mic', async () => {
    const name = 'startup_sound';
    const id = await startTransponder(name, { action: 'sound_on', soundFile: 'tone.wav', loop: true });
    assert.equal((await find(id)).soundEnabled, true);
    await sleep(2500);
    const file = await finish(id, name);
    const ws = windows(await decodeAudio(file));
    const end = ws.length * WINDOW_S;
    assert.ok(end > 2, `recording of ${end} s`);
    assertAll(ws, 0.05, end - 0.1, hasSound, 'the looping sound from the start to the end');
    assertMostly(ws, 0.05, end - 0.1, hasMic, 'the mic under the sound');
  });
});
