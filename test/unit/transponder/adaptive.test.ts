// The adaptive policy (transponder/adaptive.ts) with literal samples, one a second as the manager's stats
// tick gives them: when a congested target steps down, when it steps back up, and that it does not flap.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { AdaptivePolicy, AdaptiveTiming, type AdaptiveSample, type AdaptiveStep } from '../../../src-relay/transponder/adaptive.js';

interface Tick {
  queuedMs?: number;
  /** Frames dropped during this second. */
  drops?: number;
}

/** Feeds one sample a second from t = 0 s; returns the steps taken with their second. */
function run(policy: AdaptivePolicy, ticks: Tick[], start = { t: 0, dropped: 0, stepsDown: 0, layers: 3 }): { steps: [number, AdaptiveStep][]; state: typeof start } {
  const state = { ...start };
  const steps: [number, AdaptiveStep][] = [];
  for (const tick of ticks) {
    state.dropped += tick.drops ?? 0;
    const sample: AdaptiveSample = {
      now: state.t * 1000,
      queuedMs: tick.queuedMs ?? 0,
      droppedFrames: state.dropped,
      canStepDown: state.stepsDown < state.layers - 1,
      canStepUp: state.stepsDown > 0,
    };
    const step = policy.processInput(sample);
    if (step) {
      steps.push([state.t, step]);
      state.stepsDown += step === 'down' ? 1 : -1;
    }
    state.t += 1;
  }
  return { steps, state };
}

const clean = (n: number): Tick[] => Array.from({ length: n }, () => ({ queuedMs: 20 }));
/** A link slower than the layer: the queue fills and drops, drains during the drop spell, fills again. */
const congested = (n: number): Tick[] => Array.from({ length: n }, (_, i) => (i % 3 === 2 ? { queuedMs: 80 } : { queuedMs: 700, drops: 12 }));

describe('adaptive policy', () => {
  test('sustained congestion steps down once after 3 s; a blip of two seconds does not', () => {
    const blip = run(new AdaptivePolicy(), [...clean(5), { queuedMs: 900, drops: 20 }, { queuedMs: 500 }, ...clean(10)]);
    assert.deepEqual(blip.steps, []);
    const sustained = run(new AdaptivePolicy(), [...clean(5), ...congested(5)]);
    assert.deepEqual(sustained.steps, [[8, 'down']]);
  });

  test('congestion that goes on after a step down takes it down one more layer, after the settle time, and no lower than the lowest', () => {
    const { steps } = run(new AdaptivePolicy(), [...clean(2), ...congested(30)]);
    assert.deepEqual(steps.map(([, s]) => s), ['down', 'down']);
    assert.ok(steps[1]![0] - steps[0]![0] >= (AdaptiveTiming.settleMs + AdaptiveTiming.sustainMs) / 1000 - 1, `steps at ${steps.map(([t]) => t)}`);
  });

  test('after the congestion ends it steps up after 20 s without congestion, one layer at a time', () => {
    const policy = new AdaptivePolicy();
    const down = run(policy, [...clean(2), ...congested(5)]);
    assert.deepEqual(down.steps, [[5, 'down']]);
    const up = run(policy, clean(50), { ...down.state });
    assert.equal(up.steps.length, 1, `steps ${JSON.stringify(up.steps)}`);
    const [at, step] = up.steps[0]!;
    assert.equal(step, 'up');
    // The last congested sample was at t = 6 s.
    assert.ok(at >= 6 + AdaptiveTiming.stableMs / 1000 && at <= 6 + AdaptiveTiming.stableMs / 1000 + 1, `stepped up at ${at} s`);
  });

  test('no step up while the queue is not nearly empty (no headroom), nor while congestion comes back now and then', () => {
    const policy = new AdaptivePolicy({ stableMs: 5000 });
    const down = run(policy, [...clean(2), ...congested(5)]);
    const busy = run(policy, Array.from({ length: 30 }, () => ({ queuedMs: 200 })), down.state);
    assert.deepEqual(busy.steps, []);
    const spotty = run(policy, Array.from({ length: 30 }, (_, i) => (i % 4 === 0 ? { queuedMs: 400 } : { queuedMs: 10 })), busy.state);
    assert.deepEqual(spotty.steps, []);
  });

  test('a step up that congestion undoes doubles the wait before the next one; one that holds resets it (no flapping)', () => {
    const policy = new AdaptivePolicy({ stableMs: 10_000, failWindowMs: 30_000 });
    // Link fits the lower layer only: every step up brings congestion back.
    let state = { t: 0, dropped: 0, stepsDown: 0, layers: 2 };
    const ups: number[] = [];
    const downs: number[] = [];
    for (let second = 0; second < 400; second++) {
      const tick = state.stepsDown === 0 ? (second % 3 === 2 ? { queuedMs: 80 } : { queuedMs: 700, drops: 10 }) : { queuedMs: 10 };
      const r = run(policy, [tick], state);
      state = r.state;
      for (const [t, s] of r.steps) (s === 'up' ? ups : downs).push(t);
    }
    assert.ok(ups.length >= 3, `ups at ${ups}`);
    const waits = ups.map((t, i) => t - downs[i]!);
    // Each failed probe waits twice as long as the one before (10, 20, 40, 80 … s after the step down).
    for (let i = 1; i < waits.length; i++) assert.ok(waits[i]! >= 1.8 * waits[i - 1]!, `waits ${waits}`);
    assert.ok(ups.length <= 6, `${ups.length} step ups in 400 s is flapping: ${ups}`);
    assert.equal(policy.toJSON().failedStepUps, ups.length - (state.stepsDown === 0 ? 1 : 0));

    // Once the link is fine again, a step up that holds resets the wait.
    const fine = run(policy, clean(400), state);
    assert.equal(fine.state.stepsDown, 0);
    assert.equal(policy.toJSON().stableWaitMs, 10_000);
  });

  test('a target at the lowest layer does not step, however congested', () => {
    const { steps } = run(new AdaptivePolicy(), congested(20), { t: 0, dropped: 0, stepsDown: 0, layers: 1 });
    assert.deepEqual(steps, []);
  });
});
