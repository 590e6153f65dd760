import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FlvClock } from '../../../src-relay/transponder/clock.js';

describe('FLV timestamp rebasing', () => {
  test('starts at 0 at the first keyframe and keeps the stream-clock offset between audio and video', () => {
    const clock = new FlvClock();
    clock.start(123_456.4);
    assert.equal(clock.toFlv('video', 123_456.4), 0);
    assert.equal(clock.toFlv('audio', 123_470), 14);
    assert.equal(clock.toFlv('video', 123_489.7), 33);
    assert.equal(clock.toFlv('audio', 123_490), 34);
  });

  test('audio from before the first keyframe is dropped, not sent with a negative time', () => {
    const clock = new FlvClock();
    clock.start(1000);
    assert.equal(clock.toFlv('audio', 980), undefined);
    assert.equal(clock.toFlv('audio', 1001), 1);
  });

  test('each track is monotonic: a step back repeats the previous time', () => {
    const clock = new FlvClock();
    clock.start(0);
    assert.equal(clock.toFlv('video', 100), 100);
    assert.equal(clock.toFlv('video', 90), 100);
    assert.equal(clock.toFlv('video', 133), 133);
    // the other track is independent
    assert.equal(clock.toFlv('audio', 50), 50);
    assert.equal(clock.toFlv('audio', -5), 50);
  });

  test('a reconnection starts again at 0 from a new base', () => {
    const clock = new FlvClock();
    clock.start(0);
    clock.toFlv('video', 5000);
    clock.reset();
    assert.equal(clock.started, false);
    assert.throws(() => clock.toFlv('video', 1), /before start/);
    clock.start(9000);
    assert.equal(clock.toFlv('video', 9000), 0);
    assert.equal(clock.toFlv('audio', 9010), 10);
  });
});
