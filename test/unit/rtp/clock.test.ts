import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ntpToMs, RtpTimestampUnwrapper, StreamClock } from '../../../src-relay/rtp/clock.js';

/** 64-bit NTP timestamp of `ms` milliseconds. */
function ntp(ms: number): bigint {
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.round(((ms - seconds * 1000) / 1000) * 2 ** 32);
  return (BigInt(seconds) << 32n) | BigInt(fraction);
}

describe('RTP timestamps to one stream clock', () => {
  test('NTP 32.32 converts to milliseconds', () => {
    assert.equal(ntpToMs((5n << 32n) | 0x80000000n), 5500);
  });

  test('the unwrapper extends across the 32-bit wrap in both directions', () => {
    const u = new RtpTimestampUnwrapper();
    assert.equal(u.unwrap(0xffffff00), 0xffffff00);
    assert.equal(u.unwrap(0x00000100), 2 ** 32 + 0x100);
    assert.equal(u.unwrap(0xfffffff0), 0xfffffff0); // a late packet from before the wrap
    assert.equal(u.peek(0x200), 2 ** 32 + 0x200);
  });

  test('before any sender report each track starts from its arrival and follows its RTP clock', () => {
    const clock = new StreamClock({ reference: 'audio' });
    const audio = clock.addTrack('audio', 48000);
    const video = clock.addTrack('video', 90000);
    assert.equal(audio.toStreamMs(1_000_000, 10_000), 0); // first packet of the stream: time 0
    assert.equal(video.toStreamMs(5_000, 10_030), 30);
    assert.equal(audio.toStreamMs(1_000_000 + 960, 10_050), 20); // RTP time, not the late arrival
    assert.ok(Math.abs(video.toStreamMs(5_000 + 3000, 10_080) - (30 + 3000 / 90)) < 1e-9);
  });

  test('sender reports pull video onto the audio timeline smoothly and never by a jump', () => {
    const clock = new StreamClock({ reference: 'audio', slewRate: 0.05 });
    const audio = clock.addTrack('audio', 48000);
    const video = clock.addTrack('video', 90000);
    // Both tracks captured at the same instant T, but video's first packet arrived 100 ms late.
    audio.toStreamMs(48_000, 0);
    video.toStreamMs(90_000, 100);
    // Sender reports: audio RTP 48000 and video RTP 90000 are both NTP 1000 s.
    audio.onSenderReport(ntp(1_000_000), 48_000);
    video.onSenderReport(ntp(1_000_000), 90_000);
    assert.equal(clock.ntpShift, 1_000_000 - 0);

    // Video at +1 s media time: its arrival-based position is 1100 ms; the truth is 1000 ms.
    let previous = -Infinity;
    const errors: number[] = [];
    for (let frame = 1; frame <= 120; frame++) {
      const t = video.toStreamMs(90_000 + frame * 3000, 100 + frame * 33);
      const truth = (frame * 3000) / 90;
      errors.push(t - truth);
      assert.ok(t > previous, 'time never goes backwards');
      // One 33 ms frame may move the offset by at most 5 % of 33 ms.
      if (frame > 1) assert.ok(t - previous >= 33.3 - 1.67 - 1e-9, `step ${t - previous} ms at frame ${frame}`);
      previous = t;
    }
    assert.ok(Math.abs(errors[0] - 100) < 2, `starts 100 ms off (${errors[0]})`);
    assert.ok(Math.abs(errors[errors.length - 1]) < 1e-6, `converges to the audio timeline (${errors[errors.length - 1]})`);
    // Audio, the reference, is untouched: contiguous samples keep contiguous times.
    assert.equal(audio.toStreamMs(48_000 + 48_000, 2000), 1000);
  });

  test('an error past maxSlewErrorMs is a discontinuity and is taken at once', () => {
    const clock = new StreamClock({ reference: 'audio', maxSlewErrorMs: 1000 });
    const audio = clock.addTrack('audio', 48000);
    const video = clock.addTrack('video', 90000);
    audio.toStreamMs(0, 0);
    video.toStreamMs(0, 0);
    audio.onSenderReport(ntp(50_000), 0);
    video.onSenderReport(ntp(55_000), 0); // video's capture clock says it is 5 s later
    assert.ok(Math.abs(video.toStreamMs(3000, 33) - (5000 + 3000 / 90)) < 1e-9);
  });

  test('a video-only stream keeps its own arrival-based timeline through sender reports', () => {
    const clock = new StreamClock({ reference: 'video' });
    const video = clock.addTrack('video', 90000);
    assert.equal(video.toStreamMs(0, 500), 0);
    video.onSenderReport(ntp(123_456), 0);
    assert.equal(video.toStreamMs(90_000, 1600), 1000);
  });

  test('a track whose sender report precedes its first packet starts on the right timeline', () => {
    const clock = new StreamClock({ reference: 'audio' });
    const audio = clock.addTrack('audio', 48000);
    const video = clock.addTrack('video', 90000);
    audio.toStreamMs(0, 0);
    audio.onSenderReport(ntp(10_000), 0);
    video.onSenderReport(ntp(10_000), 9000); // video RTP 9000 is the same instant as audio RTP 0
    assert.equal(video.toStreamMs(9000 + 90, 400), 1);
  });

  test('rejects a clock rate that is not positive', () => {
    assert.throws(() => new StreamClock({ reference: 'audio' }).addTrack('audio', 0), /clock rate must be positive, got 0/);
  });
});
