import { test, describe, mock } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { KeyframeScheduler, KeyframeTiming } from '../../../src-relay/transponder/keyframes.js';

/** A stream stand-in that counts keyframe requests. */
class CountingStream extends EventEmitter<{ video: [frame: { keyframe: boolean }] }> {
  requests = 0;
  /** When set, answers each request with a keyframe after this many ms, as Chromium does (~30 ms). */
  answerAfterMs: number | undefined;
  requestKeyframe(): void {
    this.requests += 1;
    if (this.answerAfterMs !== undefined) setTimeout(() => this.emit('video', { keyframe: true }), this.answerAfterMs);
  }
}

describe('keyframe scheduler', () => {
  test('requests from several transponders at once are merged into one PLI', () => {
    const stream = new CountingStream();
    let now = 1000;
    const scheduler = new KeyframeScheduler(stream as never, 2000, () => true, () => now);
    try {
      assert.equal(scheduler.request(), true);
      now += 50;
      assert.equal(scheduler.request(), false);
      now += KeyframeTiming.coalesceMs;
      assert.equal(scheduler.request(), true);
      assert.equal(stream.requests, 2);
    } finally {
      scheduler.close();
    }
  });

  test('a transponder starting just after the keyframe arrived gets a keyframe of its own, not a 2 s wait', () => {
    const stream = new CountingStream();
    let now = 1000;
    const scheduler = new KeyframeScheduler(stream as never, 2000, () => true, () => now);
    try {
      assert.equal(scheduler.request(), true);
      now += 57;
      stream.emit('video', { keyframe: true }); // the answer to the first request arrives
      now += 43; // a second target reaches PUBLISHING 100 ms after the first request, within coalesceMs
      assert.equal(scheduler.request(), true, 'the keyframe already sent cannot start the new transponder');
      assert.equal(stream.requests, 2);
    } finally {
      scheduler.close();
    }
  });

  test('congestion asks for a keyframe at most once per spacing, so healthy targets get no keyframe storm', () => {
    const stream = new CountingStream();
    let now = 1000;
    const scheduler = new KeyframeScheduler(stream as never, 2000, () => true, () => now);
    try {
      assert.equal(scheduler.requestAfterCongestion(), true);
      for (let t = 0; t < 3; t++) {
        now += 200;
        stream.emit('video', { keyframe: true }); // each spell ends at a keyframe, then the link congests again
        now += 100;
        assert.equal(scheduler.requestAfterCongestion(), false, `spell ${t} within ${KeyframeTiming.congestionSpacingMs} ms`);
      }
      now += KeyframeTiming.congestionSpacingMs - 900; // 1000 ms after the first congestion request
      assert.equal(scheduler.requestAfterCongestion(), true);
      assert.equal(stream.requests, 2);
      // A transponder starting or reconnecting is not held back by the spacing.
      now += 10;
      stream.emit('video', { keyframe: true });
      assert.equal(scheduler.request(), true);
      assert.equal(stream.requests, 3);
    } finally {
      scheduler.close();
    }
  });

  test('learns the PLI → keyframe latency from keyframes that answer a request', () => {
    const stream = new CountingStream();
    let now = 0;
    const scheduler = new KeyframeScheduler(stream as never, 2000, () => true, () => now);
    try {
      for (let i = 0; i < 20; i++) {
        now += 1000;
        scheduler.request();
        now += 80;
        stream.emit('video', { keyframe: true });
      }
      assert.ok(Math.abs(scheduler.latencyEstimateMs - 80) < 2, `estimate ${scheduler.latencyEstimateMs}`);
      // a keyframe long after the request (not an answer) does not move the estimate
      now += 5000;
      stream.emit('video', { keyframe: true });
      assert.ok(Math.abs(scheduler.latencyEstimateMs - 80) < 2);
    } finally {
      scheduler.close();
    }
  });

  test('asks periodically while active, not while idle', async () => {
    const stream = new CountingStream();
    stream.answerAfterMs = 30;
    let active = true;
    const scheduler = new KeyframeScheduler(stream as never, 250, () => active);
    try {
      stream.emit('video', { keyframe: true });
      await new Promise((r) => setTimeout(r, 800));
      assert.ok(stream.requests >= 2, `requests ${stream.requests}`);
      active = false;
      const before = stream.requests;
      await new Promise((r) => setTimeout(r, 700));
      assert.equal(stream.requests, before);
    } finally {
      scheduler.close();
    }
  });

  test('a request no keyframe answers is repeated (the publisher may ignore PLIs too close together)', async () => {
    const stream = new CountingStream();
    const scheduler = new KeyframeScheduler(stream as never, 2000, () => true);
    try {
      scheduler.request();
      await new Promise((r) => setTimeout(r, KeyframeTiming.retryMs + 300));
      assert.equal(stream.requests, 2);
      // once answered, the next request waits for the interval
      stream.emit('video', { keyframe: true });
      await new Promise((r) => setTimeout(r, KeyframeTiming.retryMs + 300));
      assert.equal(stream.requests, 2);
    } finally {
      scheduler.close();
    }
  });

  test('a second IDR for one request leaves the cadence aimed from the first; a keyframe a new request asked for moves it', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const stream = new CountingStream();
    let now = 0;
    const advance = (ms: number): void => {
      now += ms;
      mock.timers.tick(ms);
    };
    const scheduler = new KeyframeScheduler(stream as never, 2000, () => true, () => now);
    try {
      scheduler.request(); // a target starts
      advance(40);
      stream.emit('video', { keyframe: true }); // the answer, 40 ms later (the assumed latency)
      advance(70);
      stream.emit('video', { keyframe: true }); // the publisher's second IDR for the same request
      advance(2000 - 40 - 70 - 1);
      assert.equal(stream.requests, 1, 'nothing asked before the aim');
      advance(1);
      assert.equal(stream.requests, 2, 'the periodic request goes out 2 s after the first keyframe, less the latency (at 2000, not 2070)');

      advance(40);
      stream.emit('video', { keyframe: true }); // its answer, at 2040
      advance(60);
      scheduler.request(); // a new target starts after that keyframe: it needs its own
      assert.equal(stream.requests, 3);
      advance(40);
      stream.emit('video', { keyframe: true }); // at 2140: the new target's first keyframe
      advance(2000 - 40 - 1);
      assert.equal(stream.requests, 3);
      advance(1);
      assert.equal(stream.requests, 4, 'aimed from the keyframe the new request asked for');
    } finally {
      scheduler.close();
      mock.timers.reset();
    }
  });

  test('refuses an interval below 250 ms', () => {
    assert.throws(() => new KeyframeScheduler(new CountingStream() as never, 10, () => true), /got 10/);
  });
});
