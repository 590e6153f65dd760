import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs, canTransition, isFinished, Backoff } from '../../../src-relay/transponder/lifecycle.js';

describe('reconnect backoff', () => {
  test('starts at 1 s and doubles up to 30 s (no jitter at random=0.5)', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 20, 1000].map((attempt) => backoffDelayMs(attempt, 0.5));
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
  });

  test('jitter stays within ±10 % and never above 33 s', () => {
    for (let attempt = 1; attempt < 12; attempt++) {
      const base = Math.min(Backoff.maxMs, 1000 * 2 ** (attempt - 1));
      const low = backoffDelayMs(attempt, 0);
      const high = backoffDelayMs(attempt, 0.999999);
      assert.equal(low, Math.round(base * 0.9));
      assert.ok(high <= Math.round(base * 1.1) && high > base, `attempt ${attempt}: ${high}`);
    }
  });

  test('rejects an attempt below 1 or a random outside [0, 1) with the value in the message', () => {
    assert.throws(() => backoffDelayMs(0), /got 0/);
    assert.throws(() => backoffDelayMs(1.5), /got 1.5/);
    assert.throws(() => backoffDelayMs(1, 1), /got 1/);
  });
});

describe('transponder states', () => {
  test('a drop from PUBLISHING goes to RECONNECTING and back to PUBLISHING', () => {
    assert.ok(canTransition('CONNECTING', 'PUBLISHING'));
    assert.ok(canTransition('PUBLISHING', 'RECONNECTING'));
    assert.ok(canTransition('RECONNECTING', 'PUBLISHING'));
    assert.ok(canTransition('RECONNECTING', 'RECONNECTING'));
  });

  test('a refusal fails from any live state, stop works from any state but STOPPED', () => {
    for (const from of ['CONNECTING', 'PUBLISHING', 'RECONNECTING'] as const) {
      assert.ok(canTransition(from, 'FAILED'));
      assert.ok(canTransition(from, 'STOPPED'));
    }
    assert.ok(canTransition('FAILED', 'STOPPED'));
    assert.ok(!canTransition('STOPPED', 'PUBLISHING'));
    assert.ok(!canTransition('FAILED', 'PUBLISHING'));
    assert.ok(!canTransition('PUBLISHING', 'CONNECTING'));
  });

  test('FAILED and STOPPED are finished', () => {
    assert.deepEqual(
      (['CONNECTING', 'PUBLISHING', 'RECONNECTING', 'FAILED', 'STOPPED'] as const).map(isFinished),
      [false, false, false, true, true],
    );
  });
});
