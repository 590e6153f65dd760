// What a recording at the server says about timing: timestamp order per track, audio continuity, keyframe
// cadence, bitrate over time, and the A/V offset of marks both tracks carry (a white flash in the picture
// at the instant a beep starts in the sound, see the 'marks' publisher in lib.ts).
import { TagType, videoTagInfo } from '../src-relay/flv/tags.js';
import { flashTimes } from '../test/helpers/av-sync.js';
import { FLASH_BOX, quantile, readRecording, run } from './lib.js';

/** AAC-LC frame at 48 kHz: 1024 samples. */
const AAC_FRAME_MS = 1024 / 48;
/** An audio timestamp step longer than this is a gap (two frames' worth, and more than rounding). */
const AUDIO_GAP_MS = 2 * AAC_FRAME_MS + 2;
const BITRATE_WINDOW_MS = 10_000;

export interface TimingReport {
  durationS: number;
  videoFrames: number;
  audioFrames: number;
  videoRegressions: number;
  /** Video frames with the same timestamp as the frame before (a muxer downstream refuses them). */
  videoRepeats: number;
  audioRegressions: number;
  audioGaps: number;
  maxAudioStepMs: number;
  keyframeIntervalsS: number[];
  /** Timestamps of the keyframes (s). */
  keyframeTimesS: number[];
  bitrateKbps: number[];
}

export function timing(file: string): TimingReport {
  const tags = readRecording(file);
  const video = tags.filter((t) => t.type === TagType.video && t.body.length > 1 && !videoTagInfo(t.body).sequenceHeader);
  const audio = tags.filter((t) => t.type === TagType.audio && t.body.length > 1 && !(t.body[0]! >> 4 === 10 && t.body[1] === 0));
  const regressions = (ts: number[]): number => ts.filter((t, i) => i > 0 && t < ts[i - 1]!).length;
  const vts = video.map((t) => t.timestamp);
  const ats = audio.map((t) => t.timestamp);
  const steps = ats.slice(1).map((t, i) => t - ats[i]!);
  const keys = video.filter((t) => videoTagInfo(t.body).keyframe).map((t) => t.timestamp);
  const intervals = keys.slice(1).map((t, i) => (t - keys[i]!) / 1000);
  const media = tags.filter((t) => t.type === TagType.video || t.type === TagType.audio);
  const first = media[0]?.timestamp ?? 0;
  const last = media.at(-1)?.timestamp ?? 0;
  const windows: number[] = [];
  for (const t of media) {
    const w = Math.floor((t.timestamp - first) / BITRATE_WINDOW_MS);
    windows[w] = (windows[w] ?? 0) + t.body.length + 11;
  }
  // whole windows only (the last one is cut short)
  const whole = Math.floor((last - first) / BITRATE_WINDOW_MS);
  const bitrateKbps = windows.slice(0, whole).map((bytes) => ((bytes ?? 0) * 8) / BITRATE_WINDOW_MS);
  return {
    durationS: (last - first) / 1000,
    videoFrames: video.length,
    audioFrames: audio.length,
    videoRegressions: regressions(vts),
    videoRepeats: vts.filter((t, i) => i > 0 && t === vts[i - 1]).length,
    audioRegressions: regressions(ats),
    audioGaps: steps.filter((s) => s > AUDIO_GAP_MS).length,
    maxAudioStepMs: steps.length ? Math.max(...steps) : NaN,
    keyframeIntervalsS: intervals,
    keyframeTimesS: keys.map((k) => k / 1000),
    bitrateKbps,
  };
}

/** Times (s, the file's own timestamps) where the mark box turns white: its mean luma crossing 128 upwards. */
export function flashOnsets(file: string): Promise<number[]> {
  return flashTimes(file, FLASH_BOX);
}

/** Times (s) where a beep starts: the ends of silences ffmpeg's silencedetect finds. */
export async function beepOnsets(file: string): Promise<number[]> {
  const { stderr } = await run('/usr/bin/ffmpeg', ['-hide_banner', '-nostats', '-copyts', '-i', file, '-vn', '-af', 'silencedetect=noise=-30dB:d=0.05', '-f', 'null', '-'], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return [...stderr.matchAll(/silence_end: ([\d.]+)/g)].map((m) => Number(m[1]));
}

export interface MarkReport {
  flashes: number;
  beeps: number;
  /** flash time minus beep time (ms) for each flash with a beep within half a period: positive = picture late. */
  offsetsMs: number[];
  /** When each paired mark happened (s). */
  times: number[];
}

export async function avMarks(file: string, periodMs: number): Promise<MarkReport> {
  const [flashes, beeps] = await Promise.all([flashOnsets(file), beepOnsets(file)]);
  const offsetsMs: number[] = [];
  const times: number[] = [];
  for (const f of flashes) {
    let best = Infinity;
    for (const b of beeps) if (Math.abs(f - b) < Math.abs(best)) best = f - b;
    if (Math.abs(best) * 1000 < periodMs / 2) {
      offsetsMs.push(Math.round(best * 1000));
      times.push(f);
    }
  }
  return { flashes: flashes.length, beeps: beeps.length, offsetsMs, times };
}

export function summarizeOffsets(r: MarkReport): { median: number; p05: number; p95: number; maxAbs: number; firstMinute: number; lastMinute: number } {
  const end = r.times.at(-1) ?? 0;
  const within = (from: number, to: number): number[] => r.offsetsMs.filter((_, i) => r.times[i]! >= from && r.times[i]! < to);
  return {
    median: quantile(r.offsetsMs, 0.5),
    p05: quantile(r.offsetsMs, 0.05),
    p95: quantile(r.offsetsMs, 0.95),
    maxAbs: r.offsetsMs.length ? Math.max(...r.offsetsMs.map(Math.abs)) : NaN,
    firstMinute: quantile(within(r.times[0] ?? 0, (r.times[0] ?? 0) + 60), 0.5),
    lastMinute: quantile(within(end - 60, end + 1), 0.5),
  };
}
