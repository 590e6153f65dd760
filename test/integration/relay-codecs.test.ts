// Every transponder audio codec through a real transponder to nginx-rtmp (docs/DESIGN.md §3):
// one stream published from code — the H.264 frames of an ffmpeg-made clip, looped in real time, and a 1 kHz
// PCM tone in 20 ms chunks — pushed at once to four targets, one per codec (aac, pcma, pcmu, speex). What
// nginx recorded is read back with Debian's ffprobe/ffmpeg: codec, rate, channels, the AAC bitrate, the tone
// (Goertzel at 1 kHz against neighbouring bins), and audio and video lasting the same.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { AudioCodec } from '../../src-relay/media.js';
import { StreamRegistry } from '../../src-relay/streams.js';
import { TransponderManager } from '../../src-relay/transponder/manager.js';
import { consoleLog, silentLog } from '../../src-relay/log.js';
import { startNginxRtmp, type NginxRtmp } from '../helpers/servers.js';
import { makeTestFlv, probeStreams } from '../helpers/media.js';
import { waitFor } from '../helpers/wait.js';
import { videoOfFlv } from '../helpers/flv-video.js';
import { toneAmplitude } from '../helpers/tone.js';

const run = promisify(execFile);
const log = process.env.CASTBRIDGE_TEST_VERBOSE ? consoleLog : silentLog;
const STREAM_MS = 5000;
const PCM_CHUNK_MS = 20;
const TONE_HZ = 1000;
const TONE_AMPLITUDE = 8000;
/**
 * Uniform noise (peak) under the tone, as any microphone has. A pure tone is not a fair signal for these
 * codecs: AAC spends ~70 of its 128 kb/s on it, and Speex's long-term predictor locks onto it with gain ~1, so
 * a decoder that starts after the encoder's first frame (every recording here: audio before the first
 * keyframe is not sent) never converges and plays a clipped howl. With noise ~17 dB below the tone both
 * behave as on speech or music.
 */
const NOISE_AMPLITUDE = 2000;
/** The clip looped as the source's video: 25 fps, a keyframe a second. */
const CLIP = { seconds: 2, width: 160, height: 120, fps: 25, gopSeconds: 1 };
const AAC_BITRATE_KBPS = 128;
const AAC_BITRATE_TOLERANCE = 0.15;
const AV_DURATION_TOLERANCE_S = 0.1;

const EXPECT: Record<AudioCodec, { name: string; rate: number; channels: number }> = {
  aac: { name: 'aac', rate: 48000, channels: 2 },
  pcma: { name: 'pcm_alaw', rate: 8000, channels: 1 },
  pcmu: { name: 'pcm_mulaw', rate: 8000, channels: 1 },
  speex: { name: 'speex', rate: 16000, channels: 1 },
};
const CODECS = Object.keys(EXPECT) as AudioCodec[];


interface Packet {
  time: number;
  duration: number;
  size: number;
}

/** Every packet of one track: time, duration (s) and size (bytes). */
async function packets(file: string, track: 'a:0' | 'v:0'): Promise<Packet[]> {
  const { stdout } = await run('/usr/bin/ffprobe', ['-v', 'error', '-select_streams', track, '-show_entries', 'packet=pts_time,duration_time,size', '-of', 'csv=print_section=0', file], {
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  return stdout
    .split('\n')
    .map((line) => line.trim().split(','))
    .filter(([time]) => time && time !== 'N/A')
    .map(([time, duration, size]) => ({ time: Number(time), duration: Number(duration) || 0, size: Number(size) }));
}

/** The span a track covers: first packet start to last packet end, in seconds. */
function span(track: Packet[]): { start: number; end: number } {
  const last = track.at(-1)!;
  return { start: track[0]!.time, end: last.time + last.duration };
}

async function decodeMono(file: string, rate: number): Promise<Int16Array> {
  const { stdout } = await run('/usr/bin/ffmpeg', ['-v', 'error', '-i', file, '-map', '0:a:0', '-ac', '1', '-ar', String(rate), '-f', 's16le', 'pipe:1'], {
    encoding: 'buffer',
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return new Int16Array(stdout.buffer, stdout.byteOffset, stdout.length >> 1);
}

describe('transponder audio codecs to nginx-rtmp (synthetic H.264 + 1 kHz tone)', { timeout: 180_000 }, () => {
  let nginx: NginxRtmp;
  let clip: string;
  const work = mkdtempSync(join(tmpdir(), 'castbridge-codecs-'));
  const recordings = new Map<AudioCodec, string>();

  before(async () => {
    [nginx, clip] = await Promise.all([startNginxRtmp(), makeTestFlv(join(work, 'clip.flv'), CLIP)]);
    const { params, frames } = videoOfFlv(clip);
    const registry = new StreamRegistry();
    const stream = registry.publish('tone', { requestKeyframe: () => undefined, close: () => undefined, description: 'test' });
    const manager = new TransponderManager(registry, () => ({ streamNamePrefix: '', fullUrl: true, keyframeIntervalMs: 2000, log }));
    let pump: NodeJS.Timeout | undefined;
    try {
      // An RTP-derived clock starts far from zero.
      const clockBase = 123_456;
      stream.pushParams(params);
      for (const codec of CODECS) manager.startup({ streamName: 'tone', rtmpUrl: `${nginx.url('live')}/codec_${codec}`, options: { audioCodec: codec } });
      // Media flows from the start, as from a live publisher, while the transponders connect.
      const startedAt = performance.now();
      const clipMs = CLIP.seconds * 1000;
      let videoIndex = 0;
      let pcmMs = 0;
      let sample = 0;
      let seed = 0x5eed;
      const noise = (): number => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; // LCG: deterministic noise
        return ((seed >>> 8) / 0x800000 - 1) * NOISE_AMPLITUDE;
      };
      const tick = (): void => {
        const now = performance.now() - startedAt;
        for (; pcmMs <= now; pcmMs += PCM_CHUNK_MS) {
          const frames = (48 * PCM_CHUNK_MS) as number;
          const samples = new Int16Array(frames * 2);
          for (let i = 0; i < frames; i++, sample++) samples[2 * i] = samples[2 * i + 1] = Math.round(TONE_AMPLITUDE * Math.sin((2 * Math.PI * TONE_HZ * sample) / 48000) + noise());
          stream.pushPcm({ time: clockBase + pcmMs, samples });
        }
        for (;;) {
          const f = frames[videoIndex % frames.length]!;
          const dts = Math.floor(videoIndex / frames.length) * clipMs + f.dts;
          if (dts > now) break;
          stream.pushVideo({ ...f, dts: clockBase + dts });
          videoIndex++;
        }
      };
      pump = setInterval(tick, 10);
      await waitFor('all four PUBLISHING', () => manager.list().length === 4 && manager.list().every((t) => t.status === 'PUBLISHING'), 20_000);
      await new Promise((r) => setTimeout(r, STREAM_MS));
      for (const t of manager.list()) await manager.terminate(t.mediaSessionId);
    } finally {
      clearInterval(pump);
      await manager.stopAll();
      stream.end('test over');
    }
    for (let i = 0; i < CODECS.length; i++) {
      const file = await nginx.waitForRecording(30_000);
      const codec = CODECS.find((c) => basename(file).startsWith(`codec_${c}`));
      assert.ok(codec, `recording ${file} is one of ours`);
      recordings.set(codec, file);
    }
  });

  after(async () => {
    await nginx?.stop();
    if (!process.env.CASTBRIDGE_TEST_KEEP) rmSync(work, { recursive: true, force: true });
  });

  for (const codec of CODECS) {
    const expect = EXPECT[codec];
    test(`${codec}: ${expect.name} ${expect.rate} Hz ${expect.channels} ch, the 1 kHz tone, audio as long as video`, async (t) => {
      const file = recordings.get(codec)!;
      const summary = await probeStreams(file);
      assert.deepEqual(summary.audio, { codec: expect.name, sampleRate: expect.rate, channels: expect.channels });
      assert.equal(summary.video?.codec, 'h264');
      assert.deepEqual([summary.video?.width, summary.video?.height], [CLIP.width, CLIP.height]);

      const [audio, video] = await Promise.all([packets(file, 'a:0'), packets(file, 'v:0')]);
      assert.ok(audio.length > 50 && video.length > 50, `${audio.length} audio and ${video.length} video packets`);
      const a = span(audio);
      const v = span(video);
      const audioSeconds = a.end - a.start;
      const videoSeconds = v.end - v.start;
      assert.ok(videoSeconds > (STREAM_MS / 1000) * 0.8, `video lasts ${videoSeconds.toFixed(3)} s`);
      assert.ok(
        Math.abs(audioSeconds - videoSeconds) <= AV_DURATION_TOLERANCE_S,
        `audio ${audioSeconds.toFixed(3)} s (${a.start}–${a.end}) vs video ${videoSeconds.toFixed(3)} s (${v.start}–${v.end})`,
      );

      t.diagnostic(`audio ${audioSeconds.toFixed(3)} s, video ${videoSeconds.toFixed(3)} s`);
      if (codec === 'aac') {
        // Raw AAC payload bytes (FLV's two-byte AAC header is not counted by ffprobe's packet size).
        const bytes = audio.reduce((sum, p) => sum + p.size, 0);
        const kbps = (bytes * 8) / audioSeconds / 1000;
        t.diagnostic(`AAC ${kbps.toFixed(1)} kb/s`);
        assert.ok(Math.abs(kbps - AAC_BITRATE_KBPS) <= AAC_BITRATE_KBPS * AAC_BITRATE_TOLERANCE, `AAC at ${kbps.toFixed(1)} kb/s`);
      }

      // The tone: strong at 1 kHz, far weaker at neighbouring frequencies (first and last 200 ms left out).
      const pcm = await decodeMono(file, expect.rate);
      const edge = Math.round(expect.rate * 0.2);
      const steady = pcm.subarray(edge, pcm.length - edge);
      assert.ok(steady.length > expect.rate, `${pcm.length} samples decoded`);
      const amp = toneAmplitude(steady, expect.rate, TONE_HZ);
      assert.ok(amp > TONE_AMPLITUDE * 0.5 && amp < TONE_AMPLITUDE * 1.5, `1 kHz amplitude ${amp.toFixed(0)} (sent ${TONE_AMPLITUDE})`);
      t.diagnostic(`1 kHz amplitude ${amp.toFixed(0)}`);
      for (const other of [500, 1500, 2500]) {
        const at = toneAmplitude(steady, expect.rate, other);
        assert.ok(at < amp / 10, `${other} Hz amplitude ${at.toFixed(0)} vs 1 kHz ${amp.toFixed(0)}`);
      }
    });
  }
});
