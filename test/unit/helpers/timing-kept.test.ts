// The A/V test's measure of "the target keeps the publisher's frame timing", on made-up frame times: it must
// find where the target starts and see a frame moved by more than the tolerance.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { timingKept } from '../../helpers/av-sync.js';
import { mulberry32 } from '../../helpers/prng.js';

/** Irregular publisher frames, 23–44 ms apart as Firefox's, from stream time 5000 ms. */
function publisherFrames(count: number): number[] {
  const random = mulberry32(7);
  const out = [5000];
  for (let i = 1; i < count; i++) out.push(out[i - 1]! + 23 + Math.round(random() * 21));
  return out;
}

describe('timingKept', () => {
  test('a target that starts at a later frame and copies the timing has no error', () => {
    const source = publisherFrames(200);
    const start = source[40]!;
    const target = source.slice(40, 180).map((ms) => (ms - start) / 1000);
    const kept = timingKept(target, source);
    assert.equal(kept.shiftMs, start);
    assert.deepEqual(new Set(kept.errorsMs), new Set([0]));
  });

  test('a target whose frames were put on a 33.3 ms grid shows the moved frames', () => {
    const source = publisherFrames(120);
    const target = source.slice(10, 110).map((_, i) => (i * 1000) / 30 / 1000);
    const kept = timingKept(target, source);
    assert.ok(kept.errorsMs.filter((e) => Math.abs(e) > 5).length > 10, `errors ${kept.errorsMs.join(' ')}`);
  });

  test("one frame moved by 8 ms is that frame's error", () => {
    const source = publisherFrames(100);
    const target = source.slice(0, 90).map((ms, i) => (ms - 5000 + (i === 50 ? 8 : 0)) / 1000);
    const kept = timingKept(target, source);
    assert.deepEqual(kept.errorsMs.map((e, i) => [i, e]).filter(([, e]) => e !== 0), [[50, 8]]);
  });
});
