import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamClock } from '../../../src-relay/rtp/clock.js';
import { ReportFilter } from '../../../src-relay/rtp/report-filter.js';
import { mulberry32 } from '../../helpers/prng.js';

/** 64-bit NTP timestamp of `ms` milliseconds. */
function ntp(ms: number): bigint {
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.round(((ms - seconds * 1000) / 1000) * 2 ** 32);
  return (BigInt(seconds) << 32n) | BigInt(fraction);
}


interface Publisher {
  /** How late (ms) the sender's wallclock in report `index` of a track is. */
  audioLateness: (index: number) => number;
  videoLateness: (index: number) => number;
  /** Extra delay of video packets over audio packets (encoding), ms. */
  videoDelayMs: number;
  seconds: number;
}

/**
 * A publisher capturing audio (20 ms Opus packets) and 30 fps video from wallclock 0, NTP 1 000 000 s at
 * capture 0, each track with its own RTP base; both tracks report once a second (video 500 ms after audio).
 * Returns, for each video frame, its capture time and its stream time. Audio, the reference, has stream
 * time = capture time (its first packet arrives 5 ms after capture and is stream time 0 — minus those 5 ms).
 */
function run(publisher: Publisher): Array<{ capture: number; stream: number }> {
  const clock = new StreamClock({ reference: 'audio' });
  const audio = clock.addTrack('audio', 48000);
  const video = clock.addTrack('video', 90000);
  const AUDIO_BASE = 123_456;
  const VIDEO_BASE = 3_000_000;
  const NTP_AT_0 = 1_000_000_000;
  const events: Array<{ at: number; run: () => void }> = [];
  const frames: Array<{ capture: number; stream: number }> = [];
  for (let c = 0; c < publisher.seconds * 1000; c += 20) {
    events.push({ at: c + 5, run: () => void audio.toStreamMs(AUDIO_BASE + c * 48, c + 5) });
  }
  for (let i = 0; (i * 1000) / 30 < publisher.seconds * 1000; i++) {
    const c = (i * 1000) / 30;
    events.push({ at: c + 5 + publisher.videoDelayMs, run: () => frames.push({ capture: c, stream: video.toStreamMs(VIDEO_BASE + i * 3000, c + 5 + publisher.videoDelayMs) }) });
  }
  for (let r = 0; r * 1000 + 1000 < publisher.seconds * 1000; r++) {
    const a = r * 1000 + 1000;
    // The report pairs the RTP time of instant `a` with the wallclock `a + lateness`.
    events.push({ at: a + 6, run: () => audio.onSenderReport(ntp(NTP_AT_0 + a + publisher.audioLateness(r)), AUDIO_BASE + a * 48) });
    const v = a + 500;
    events.push({ at: v + 6, run: () => video.onSenderReport(ntp(NTP_AT_0 + v + publisher.videoLateness(r)), VIDEO_BASE + Math.round(v * 90)) });
  }
  events.sort((x, y) => x.at - y.at);
  for (const e of events) e.run();
  // Stream time 0 is the first audio packet, captured at 0: audio's stream time of capture c is c.
  return frames;
}

/** Frame spacings (ms), the A/V error of each frame (ms, video stream time − audio stream time of the same capture). */
function measure(frames: Array<{ capture: number; stream: number }>): { gaps: number[]; errors: number[] } {
  return {
    gaps: frames.slice(1).map((f, i) => f.stream - frames[i]!.stream),
    errors: frames.map((f) => f.stream - f.capture),
  };
}

const ONE_FRAME = 1000 / 30;

function assertSmooth(gaps: number[]): void {
  const off = gaps.map((g, i) => ({ g, i })).filter(({ g }) => Math.abs(g - ONE_FRAME) > 5);
  assert.deepEqual(off, [], 'every frame within ±5 ms of 33.3 ms');
}

describe('sender reports filtered before they steer the stream clock', () => {
  test('the filter keeps the smallest of its last reports, forgets older ones, and restarts at a discontinuity', () => {
    const filter = new ReportFilter(3, 5000);
    assert.equal(filter.value(), undefined);
    filter.add(100);
    filter.add(900); // a late report moves nothing
    assert.equal(filter.value(), 100);
    filter.add(300);
    filter.add(400); // 100 has left the window
    assert.equal(filter.value(), 300);
    assert.equal(filter.spread(), 600);
    filter.add(-60_000); // timestamps restarted below: only the new relation counts
    assert.equal(filter.value(), -60_000);
    filter.add(Number.NaN);
    assert.equal(filter.value(), -60_000);
    // One report 6 s late (a stalled sender) is lateness, not a restart; three in a row are a restart.
    filter.add(-54_000);
    filter.add(-60_010);
    assert.equal(filter.value(), -60_010);
    filter.add(-54_000);
    filter.add(-53_990);
    assert.equal(filter.value(), -60_010);
    filter.add(-53_995);
    assert.equal(filter.value(), -54_000);
    assert.equal(filter.spread(), 10);
    assert.throws(() => new ReportFilter(0, 5000), /report window must be a positive whole number, got 0/);
  });

  test('aiortc-like late reports (1.3 s late at first, then 0–300 ms, once 5.6 s): no jump, frames within ±5 ms, A/V within ±40 ms', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const next = mulberry32(seed);
      const frames = run({
        seconds: 60,
        videoDelayMs: 60,
        // A sender that stalled for 5.6 s once: the next report pairs old RTP time with its own wallclock.
        audioLateness: (r) => (r === 30 ? 5600 : next() * 25),
        // Late by 1.3 s for the first two, then by up to 300 ms, with an on-time one now and then.
        videoLateness: (r) => (r < 2 ? 1300 : r === 20 ? 5600 : r % 4 === 0 ? next() * 5 : next() * 300),
      });
      const { gaps, errors } = measure(frames);
      assertSmooth(gaps);
      const late = errors.slice(25 * 30);
      assert.ok(late.every((e) => Math.abs(e) <= 40), `seed ${seed}: A/V after 25 s ${Math.min(...late).toFixed(1)}…${Math.max(...late).toFixed(1)} ms`);
    }
  });

  test('jittery reports (±50 ms on both tracks): frames within ±5 ms, A/V within ±40 ms', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const next = mulberry32(seed);
      const frames = run({ seconds: 60, videoDelayMs: 30, audioLateness: () => (next() - 0.5) * 100, videoLateness: () => (next() - 0.5) * 100 });
      const { gaps, errors } = measure(frames);
      assertSmooth(gaps);
      const late = errors.slice(10 * 30);
      assert.ok(late.every((e) => Math.abs(e) <= 40), `seed ${seed}: A/V after 10 s ${Math.min(...late).toFixed(1)}…${Math.max(...late).toFixed(1)} ms`);
    }
  });

  test('exact reports (Chromium): video starts 100 ms late by arrival and lands exactly on the audio timeline', () => {
    const frames = run({ seconds: 12, videoDelayMs: 100, audioLateness: () => 0, videoLateness: () => 0 });
    const { gaps, errors } = measure(frames);
    assertSmooth(gaps);
    assert.ok(Math.abs(errors[0]! - 100) < 1, `starts on its arrival (${errors[0]})`);
    assert.ok(Math.abs(errors[errors.length - 1]!) < 0.01, `ends on the audio timeline (${errors[errors.length - 1]})`);
  });
});
