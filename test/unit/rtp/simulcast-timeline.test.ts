// Simulcast layers on one timeline (src-relay/rtp/simulcast-timeline.ts): two layers of the same 30 fps
// pictures with their own RTP bases, the leader's picture of each instant coming after the other's, and
// sender reports a few milliseconds off — once matched, a picture has the same time in both layers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamClock } from '../../../src-relay/rtp/clock.js';
import { SimulcastTimeline } from '../../../src-relay/rtp/simulcast-timeline.js';

function ntp(ms: number): bigint {
  const seconds = Math.floor(ms / 1000);
  return (BigInt(seconds) << 32n) | BigInt(Math.round(((ms - seconds * 1000) / 1000) * 2 ** 32));
}

const FRAME_TICKS = 3000; // 30 fps at 90 kHz
const LOW_BASE = 1_000_000;
const HIGH_BASE = 4_294_000_000; // wraps during the test

describe('simulcast layers on one timeline', () => {
  test('pictures of the same instant get the same time once matched; before, each layer keeps its own clock', () => {
    const clock = new StreamClock({ reference: 'audio' });
    const low = clock.addTrack('video', 90000);
    const high = clock.addTrack('video', 90000);
    const timeline = new SimulcastTimeline();
    const times: Array<{ frame: number; low: number; high: number }> = [];
    for (let frame = 0; frame < 90; frame++) {
      const arrival = frame * 33.3;
      // The low layer sends first and leads; the high layer's picture arrives 9 ms later (paced out).
      const lowMs = timeline.map('l', low, LOW_BASE + frame * FRAME_TICKS, arrival);
      const highMs = timeline.map('h', high, (HIGH_BASE + frame * FRAME_TICKS) % 2 ** 32, arrival + 9);
      times.push({ frame, low: lowMs, high: highMs });
      if (frame === 10) {
        // Sender reports of both, for the same NTP instant, one 4 ms off.
        low.onSenderReport(ntp(900_000), LOW_BASE + 10 * FRAME_TICKS);
        high.onSenderReport(ntp(900_004), (HIGH_BASE + 10 * FRAME_TICKS) % 2 ** 32);
      }
    }
    assert.ok(Math.abs(times[5]!.high - times[5]!.low - 9) < 1e-6, 'before reports the high layer is where it arrived');
    assert.deepEqual(timeline.toJSON(), { leader: 'l', locked: ['l', 'h'] });
    const last = times.slice(-30);
    for (const t of last) assert.ok(Math.abs(t.high - t.low) < 1e-6, `frame ${t.frame}: low ${t.low}, high ${t.high}`);
  });

  test('a layer whose pictures fall between two of the leader stays on its own clock', () => {
    const clock = new StreamClock({ reference: 'audio' });
    const low = clock.addTrack('video', 90000);
    const high = clock.addTrack('video', 90000);
    const timeline = new SimulcastTimeline();
    for (let frame = 0; frame < 60; frame++) {
      timeline.map('l', low, LOW_BASE + frame * FRAME_TICKS, frame * 33.3);
      // Reports place it half a frame off the leader's pictures: no single picture matches.
      timeline.map('h', high, HIGH_BASE + frame * FRAME_TICKS, frame * 33.3 + 16);
      if (frame === 5) {
        low.onSenderReport(ntp(900_000), LOW_BASE + 5 * FRAME_TICKS);
        high.onSenderReport(ntp(900_016.5), HIGH_BASE + 5 * FRAME_TICKS);
      }
    }
    assert.deepEqual(timeline.toJSON(), { leader: 'l', locked: ['l'] });
  });
});
