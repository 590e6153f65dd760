// Media checks for tests, done by the real tools: ffprobe reads what a server received, ffmpeg makes test
// files (testsrc + sine, H.264 + AAC in FLV).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const FFMPEG = '/usr/bin/ffmpeg';
const FFPROBE = '/usr/bin/ffprobe';
const TOOL_TIMEOUT_MS = 120_000;
const MAX_OUTPUT = 64 * 1024 * 1024;

export interface FfprobeStream {
  index: number;
  codec_type: 'video' | 'audio' | 'data' | 'subtitle' | string;
  codec_name?: string;
  profile?: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
  duration?: string;
  [key: string]: unknown;
}

export interface FfprobeResult {
  streams: FfprobeStream[];
  format: { duration?: string; format_name?: string; size?: string; [key: string]: unknown };
}

/** `ffprobe -show_streams -show_format` as parsed JSON. */
export async function ffprobe(file: string): Promise<FfprobeResult> {
  const { stdout } = await run(FFPROBE, ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', file], {
    timeout: TOOL_TIMEOUT_MS,
    maxBuffer: MAX_OUTPUT,
  });
  return JSON.parse(stdout) as FfprobeResult;
}

export interface StreamSummary {
  video?: { codec: string; width: number; height: number; profile: string };
  audio?: { codec: string; sampleRate: number; channels: number };
  durationSec: number;
}

/** The first video and audio stream of a file, and its duration. */
export async function probeStreams(file: string): Promise<StreamSummary> {
  const probe = await ffprobe(file);
  const v = probe.streams.find((s) => s.codec_type === 'video');
  const a = probe.streams.find((s) => s.codec_type === 'audio');
  const summary: StreamSummary = { durationSec: Number(probe.format.duration ?? NaN) };
  if (v) summary.video = { codec: v.codec_name ?? '', width: v.width ?? 0, height: v.height ?? 0, profile: v.profile ?? '' };
  if (a) summary.audio = { codec: a.codec_name ?? '', sampleRate: Number(a.sample_rate ?? 0), channels: a.channels ?? 0 };
  return summary;
}

/** Presentation times (seconds) of the video keyframes, from packet flags (no decoding). */
export async function keyframeTimes(file: string): Promise<number[]> {
  const { stdout } = await run(
    FFPROBE,
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=print_section=0', file],
    { timeout: TOOL_TIMEOUT_MS, maxBuffer: MAX_OUTPUT },
  );
  return stdout
    .split('\n')
    .map((line) => line.trim().split(','))
    .filter(([time, flags]) => time && flags?.startsWith('K'))
    .map(([time]) => Number(time));
}

/** Video packet count and last timestamp (seconds): a cheap frame count without decoding. */
export async function videoPacketTimes(file: string): Promise<number[]> {
  const { stdout } = await run(FFPROBE, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=print_section=0', file], {
    timeout: TOOL_TIMEOUT_MS,
    maxBuffer: MAX_OUTPUT,
  });
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && l !== 'N/A')
    .map(Number);
}

/**
 * Decodes a file's first video stream with Debian's ffmpeg: the decoder's error lines (the null muxer's
 * complaint about two pictures closer than its frame duration is about timestamps, a publisher's jitter, and
 * is left out) and the number of frames ffprobe decodes.
 */
export async function decodeVideo(file: string): Promise<{ errors: string[]; frames: number }> {
  const { stderr } = await run(FFMPEG, ['-hide_banner', '-v', 'error', '-i', file, '-map', '0:v:0', '-f', 'null', '-'], { timeout: TOOL_TIMEOUT_MS, maxBuffer: MAX_OUTPUT });
  const errors = stderr.split('\n').filter((l) => l.trim() && !/non monotonically increasing dts to muxer/.test(l));
  const { stdout } = await run(FFPROBE, ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file], { timeout: TOOL_TIMEOUT_MS });
  return { errors, frames: Number(stdout.trim()) };
}

export interface TestFlvOptions {
  seconds: number;
  width: number;
  height: number;
  fps: number;
  /** Keyframe interval in seconds. */
  gopSeconds: number;
  /** libx264 profile: baseline (default) or main/high. */
  profile?: 'baseline' | 'main' | 'high';
  /** Sine frequency in Hz (default 440). */
  toneHz?: number;
  /** x264 preset; `ultrafast` keeps test setup quick (default). */
  preset?: string;
  /** Video bitrate, e.g. '1M'; default is x264's CRF. */
  videoBitrate?: string;
  /** Temporal noise strength (0–100) over testsrc2, so the encoder really spends the bitrate (benchmarks). */
  noise?: number;
}

/** An FLV of testsrc + a sine tone: H.264 (libx264, no B-frames on baseline) + AAC-LC 48 kHz stereo. */
export async function makeTestFlv(out: string, opts: TestFlvOptions): Promise<string> {
  const gop = Math.max(1, Math.round(opts.gopSeconds * opts.fps));
  const args = [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', opts.noise
      ? `testsrc2=size=${opts.width}x${opts.height}:rate=${opts.fps},noise=alls=${opts.noise}:allf=t`
      : `testsrc=size=${opts.width}x${opts.height}:rate=${opts.fps}`,
    '-f', 'lavfi', '-i', `sine=frequency=${opts.toneHz ?? 440}:sample_rate=48000`,
    '-t', String(opts.seconds),
    '-c:v', 'libx264', '-preset', opts.preset ?? 'ultrafast', '-profile:v', opts.profile ?? 'baseline', '-pix_fmt', 'yuv420p',
    '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0',
    ...(opts.videoBitrate ? ['-b:v', opts.videoBitrate, '-maxrate', opts.videoBitrate, '-bufsize', opts.videoBitrate] : []),
    '-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-ar', '48000',
    '-f', 'flv', out,
  ];
  await run(FFMPEG, args, { timeout: 10 * TOOL_TIMEOUT_MS, maxBuffer: MAX_OUTPUT });
  return out;
}

/** Overall RMS level (dBFS) of the first audio stream, via ffmpeg's astats. */
export async function audioLevels(file: string): Promise<{ rmsDb: number; peakDb: number }> {
  const { stderr } = await run(FFMPEG, ['-hide_banner', '-nostats', '-i', file, '-map', '0:a:0', '-af', 'astats=measure_perchannel=none', '-f', 'null', '-'], {
    timeout: TOOL_TIMEOUT_MS,
    maxBuffer: MAX_OUTPUT,
  });
  const pick = (label: string): number => {
    const match = new RegExp(`${label}:\\s*(-?[\\d.]+|-inf)`).exec(stderr.slice(stderr.lastIndexOf('Overall')));
    if (!match) throw new Error(`astats printed no "${label}" for ${file}`);
    return match[1] === '-inf' ? -Infinity : Number(match[1]);
  };
  return { rmsDb: pick('RMS level dB'), peakDb: pick('Peak level dB') };
}
