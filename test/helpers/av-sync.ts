// Timing at the receiving end, read from what a server recorded: the A/V offset of sync marks (a picture
// that turns white at the instant a beep starts, from aiortc-publish.py --sync or chromium.ts's 'marks'
// source) and the spacing of video frames. Times are the file's own timestamps (ffmpeg -copyts).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ffprobe } from './media.js';

const run = promisify(execFile);
const FFMPEG = '/usr/bin/ffmpeg';
const TOOL_TIMEOUT_MS = 120_000;
const MAX_OUTPUT = 256 * 1024 * 1024;
const RATE = 48_000;
/** Envelope block: 1 ms of samples. */
const BLOCK = RATE / 1000;
/** A beep starts after at least this much quiet. */
const QUIET_MS = 300;

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Times (s) where the picture (or `box` of it) turns white: its mean luma crossing 128 upwards. */
export async function flashTimes(file: string, box?: Box): Promise<number[]> {
  const crop = box ? `crop=${box.width}:${box.height}:${box.x}:${box.y},` : '';
  const { stdout } = await run(
    FFMPEG,
    ['-hide_banner', '-v', 'error', '-copyts', '-i', file, '-map', '0:v:0', '-vf', `${crop}signalstats,metadata=mode=print:key=lavfi.signalstats.YAVG:file=-`, '-f', 'null', '-'],
    { timeout: TOOL_TIMEOUT_MS, maxBuffer: MAX_OUTPUT },
  );
  const onsets: number[] = [];
  let time = NaN;
  let bright = false;
  for (const line of stdout.split('\n')) {
    const frame = /pts_time:(-?[\d.]+)/.exec(line);
    if (frame) time = Number(frame[1]);
    const y = /YAVG=([\d.]+)/.exec(line);
    if (y) {
      const now = Number(y[1]) > 128;
      if (now && !bright) onsets.push(time);
      bright = now;
    }
  }
  return onsets;
}

/**
 * Times (s) where a beep starts in the first audio track: the first sample above half the loudest one after
 * QUIET_MS below a quarter of it. Sample i of the decoded sound is at the first audio packet's timestamp
 * plus i / 48 kHz: an AAC stream's first frame carries the encoder's priming samples and is stamped that
 * much earlier, and the decoder outputs them, as a player does.
 */
export async function beepTimes(file: string): Promise<number[]> {
  const [{ stdout: pcmBytes }, first] = await Promise.all([
    run(FFMPEG, ['-v', 'error', '-i', file, '-map', '0:a:0', '-ac', '1', '-ar', String(RATE), '-f', 's16le', '-'], { encoding: 'buffer', timeout: TOOL_TIMEOUT_MS, maxBuffer: MAX_OUTPUT }),
    firstAudioPacketTime(file),
  ]);
  const samples = Math.floor(pcmBytes.length / 2);
  const at = (i: number): number => Math.abs(pcmBytes.readInt16LE(i * 2)) / 32768;
  let peak = 0;
  for (let i = 0; i < samples; i++) peak = Math.max(peak, at(i));
  if (peak < 0.01) return [];
  const onsets: number[] = [];
  // Quiet blocks before the current rise: a beep whose start ramps up over a block or more (GStreamer's
  // Opus encoder gives it a few ms) passes a quarter of the peak a block before it passes half of it.
  let quietBlocks = 0;
  let quietBeforeRise = 0;
  for (let b = 0; (b + 1) * BLOCK <= samples; b++) {
    let max = 0;
    for (let i = b * BLOCK; i < (b + 1) * BLOCK; i++) max = Math.max(max, at(i));
    if (max < peak / 4) {
      quietBlocks++;
      continue;
    }
    if (quietBlocks > 0) quietBeforeRise = quietBlocks;
    quietBlocks = 0;
    if (max > peak / 2 && quietBeforeRise >= QUIET_MS) {
      let i = b * BLOCK;
      while (at(i) <= peak / 2) i++;
      onsets.push(first + i / RATE);
      quietBeforeRise = 0;
    }
  }
  return onsets;
}

async function firstAudioPacketTime(file: string): Promise<number> {
  const { stdout } = await run('/usr/bin/ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-read_intervals', '%+#1', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file], {
    timeout: TOOL_TIMEOUT_MS,
  });
  const time = Number(stdout.trim().split('\n')[0]!.split(',')[0]);
  if (!Number.isFinite(time)) throw new Error(`${file} has no audio packet with a timestamp (ffprobe printed "${stdout.trim()}")`);
  return time;
}

export interface SyncReport {
  flashes: number[];
  beeps: number[];
  /** For each flash with a beep within half a period: beep time − flash time (ms, audio − video; positive = sound late). */
  offsetsMs: number[];
}

/** The marks of a recording, each flash paired with the nearest beep less than half a period away. */
export async function avOffsets(file: string, opts: { periodMs?: number; box?: Box } = {}): Promise<SyncReport> {
  const periodMs = opts.periodMs ?? 1000;
  const probe = await ffprobe(file);
  for (const kind of ['video', 'audio']) {
    if (!probe.streams.some((s) => s.codec_type === kind)) throw new Error(`${file} has no ${kind} track to read sync marks from`);
  }
  const [flashes, beeps] = await Promise.all([flashTimes(file, opts.box), beepTimes(file)]);
  const offsetsMs: number[] = [];
  for (const f of flashes) {
    let best = Infinity;
    for (const b of beeps) if (Math.abs(b - f) < Math.abs(best)) best = b - f;
    if (Math.abs(best) * 1000 < periodMs / 2) offsetsMs.push(Math.round(best * 10_000) / 10);
  }
  return { flashes, beeps, offsetsMs };
}

/** Median and largest magnitude of a list of offsets. */
export function summarize(offsetsMs: number[]): { median: number; maxAbs: number } {
  const sorted = [...offsetsMs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, maxAbs: sorted.length ? Math.max(...sorted.map(Math.abs)) : NaN };
}

export interface Spacing {
  /** Spacing of consecutive frames (ms, rounded). */
  gaps: number[];
  /** Spacings of one frame ±5 ms. */
  oneFrame: number;
  /** The frame rate from the one-frame spacings. */
  fps: number;
  /** Spacings after the first `skip` that are not a whole number of frames ±5 ms. */
  offGrid: number[];
  /** Longest run of spacings under 5 ms (frames squeezed together). */
  longestSqueeze: number;
}

/**
 * How the frames at `times` (s) are spaced for a source at `fps`: a spacing longer than one frame is a frame
 * the publisher did not send, a whole number of frames; the first `skip` may carry the switch from arrival
 * times to the sender's reports.
 */
export function frameSpacing(times: number[], fps: number, skip = 5): Spacing {
  const gaps = times.slice(1).map((t, i) => Math.round((t - times[i]!) * 1000));
  const frameMs = 1000 / fps;
  const one = gaps.filter((g) => Math.abs(g - frameMs) <= 5);
  let run = 0;
  let longestSqueeze = 0;
  for (const g of gaps) longestSqueeze = Math.max(longestSqueeze, (run = g < 5 ? run + 1 : 0));
  return {
    gaps,
    oneFrame: one.length,
    fps: 1000 / (one.reduce((a, b) => a + b, 0) / Math.max(one.length, 1)),
    offGrid: gaps.slice(skip).filter((g) => Math.abs(g - Math.max(1, Math.round(g / frameMs)) * frameMs) > 5),
    longestSqueeze,
  };
}

export interface TimingKept {
  /** Stream ms of the target's time 0 (the shift that lines the two up best). */
  shiftMs: number;
  /** Per frame at the target, its time less the time of the publisher's frame nearest it (ms, 0.1). */
  errorsMs: number[];
}

/**
 * Whether a target keeps the publisher's own frame timing: `targetS` are the frame times of the target's
 * recording (s, from 0), `sourceMs` the decode times of every frame the relay took from the publisher over
 * the same span (stream ms). The target starts at one of the publisher's frames; the shift that puts the
 * most target frames within 2 ms of a publisher's frame is that start, and each frame's error is measured
 * from there.
 */
export function timingKept(targetS: number[], sourceMs: number[]): TimingKept {
  const source = [...sourceMs].sort((a, b) => a - b);
  const target = targetS.map((t) => t * 1000);
  const nearest = (ms: number): number => {
    let lo = 0;
    let hi = source.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (source[mid]! < ms) lo = mid;
      else hi = mid;
    }
    return Math.abs(source[lo]! - ms) <= Math.abs(source[hi]! - ms) ? source[lo]! : source[hi]!;
  };
  let best = { shiftMs: 0, matched: -1 };
  if (source.length && target.length) {
    for (const anchor of target.slice(0, 3)) {
      for (const frame of source) {
        const shiftMs = frame - anchor;
        const matched = target.filter((t) => Math.abs(nearest(t + shiftMs) - (t + shiftMs)) <= 2).length;
        if (matched > best.matched) best = { shiftMs, matched };
      }
    }
  }
  const errorsMs = source.length ? target.map((t) => Math.round((t + best.shiftMs - nearest(t + best.shiftMs)) * 10) / 10) : [];
  return { shiftMs: best.shiftMs, errorsMs };
}

/**
 * A WebM (VP8 + Vorbis) of sync marks from one ffmpeg timeline: a dark picture that is white for the first
 * 100 ms of each second, and silence with a 1 kHz beep for the first 100 ms of each second. For publishers that
 * play a file (Firefox's mozCaptureStream of a <video> element). Vorbis, not Opus: ffmpeg's WebM muxer moves
 * the picture later by Opus's codec delay (7 ms); with Vorbis the file reads −2.9 ms by avOffsets (the
 * muxer's millisecond timestamps).
 */
export async function makeMarksWebm(out: string, opts: { seconds: number; width: number; height: number; fps: number }): Promise<string> {
  const mark = 'lt(mod(t\\,1)\\,0.1)';
  await run(
    FFMPEG,
    [
      '-hide_banner', '-v', 'error', '-nostdin', '-y',
      '-f', 'lavfi', '-i', `color=c=0x101010:s=${opts.width}x${opts.height}:r=${opts.fps},drawbox=w=iw:h=ih:t=fill:color=white:enable='${mark}',format=yuv420p`,
      '-f', 'lavfi', '-i', `aevalsrc='if(${mark}\\,0.5*sin(2*PI*1000*t)\\,0)':s=48000`,
      '-t', String(opts.seconds),
      '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-g', String(opts.fps),
      '-c:a', 'libvorbis', '-q:a', '4',
      '-f', 'webm', out,
    ],
    { timeout: TOOL_TIMEOUT_MS, maxBuffer: MAX_OUTPUT },
  );
  return out;
}
