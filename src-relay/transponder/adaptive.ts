// When an adaptive transponder changes layer (options.adaptive), as an SFU does per receiver: a target whose
// link cannot carry its layer steps down one layer after sustained congestion, and back up one layer after a
// stable period, with hysteresis so that it does not flap. A pure stage: one sample of the target's send
// queue in (once a second, the time passed in), a step out; no timers, no sockets.
//
// The congestion signal is the publisher's own (rtmp/queue.ts, after OBS): unsent video past ~700 ms makes it
// drop inter frames until the next keyframe. A sample is congested when frames were dropped since the last
// one or the queue holds more than half that limit. Under a link slower than the layer, the queue fills,
// drops, drains while only keyframes and audio go, and fills again at the next keyframe, so congested
// samples come in spells with clean ones between: an episode lasts until `clearMs` passes without one.
//   - step down: the episode has lasted `sustainMs` and this sample is congested (a blip never steps);
//   - step up: no congested sample for `stableMs`, and the queue nearly empty now (headroom: the link took
//     everything at once); a step up that congestion undoes within `failWindowMs` doubles the wait before
//     the next one (up to `maxStableMs`), and one that holds resets it;
//   - after either step, `settleMs` to judge the new layer: its keyframe takes a moment to come and the
//     queue of the old one to drain.
// Nothing here knows the link's capacity: a TCP sender only learns it by filling it, so "headroom" is a
// queue that stays empty, and a step up is a probe that the doubling wait keeps rare when it fails.

export const AdaptiveTiming = {
  /** A sample is congested with this much unsent video queued (half the publisher's 700 ms drop limit). */
  congestedQueueMs: 350,
  /** Congestion this long steps down. */
  sustainMs: 3000,
  /** A congestion episode ends after this long without a congested sample. */
  clearMs: 2000,
  /** No decision this long after a step. */
  settleMs: 3000,
  /** Without congestion this long, step up. */
  stableMs: 20_000,
  /** The wait doubles after each failed step up, up to this. */
  maxStableMs: 320_000,
  /** Step up only with at most this much queued at that moment. */
  headroomQueueMs: 100,
  /** A step down this soon after a step up means the step up failed. */
  failWindowMs: 30_000,
} as const;

export type AdaptiveTimingConfig = { -readonly [K in keyof typeof AdaptiveTiming]: number };

export interface AdaptiveSample {
  /** Epoch ms (or any monotonic ms). */
  now: number;
  /** Unsent video queued now (RtmpPublisher.queuedMs). */
  queuedMs: number;
  /** Video frames dropped for congestion so far (a total that only grows). */
  droppedFrames: number;
  /** There is a lower layer to step down to. */
  canStepDown: boolean;
  /** The target is below the layer it asked for. */
  canStepUp: boolean;
}

export type AdaptiveStep = 'down' | 'up';

export interface AdaptiveStats {
  /** Since when the current congestion episode runs; undefined without one. */
  congestedSince: number | undefined;
  lastStep: AdaptiveStep | undefined;
  lastStepAt: number | undefined;
  /** The stable period the next step up waits for. */
  stableWaitMs: number;
  failedStepUps: number;
}

export class AdaptivePolicy {
  private readonly timing: AdaptiveTimingConfig;
  private lastDropped: number | undefined;
  private congestedSince: number | undefined;
  private lastCongestedAt = -Infinity;
  private lastStep: AdaptiveStep | undefined;
  private lastStepAt = -Infinity;
  private stableWaitMs: number;
  private failedStepUps = 0;

  constructor(timing: Partial<AdaptiveTimingConfig> = {}) {
    this.timing = { ...AdaptiveTiming, ...timing };
    this.stableWaitMs = this.timing.stableMs;
  }

  /** One sample (about once a second): the step to take now, if any. */
  processInput(sample: AdaptiveSample): AdaptiveStep | undefined {
    const { now } = sample;
    const dropped = this.lastDropped !== undefined && sample.droppedFrames > this.lastDropped;
    this.lastDropped = sample.droppedFrames;
    const congested = dropped || sample.queuedMs >= this.timing.congestedQueueMs;
    if (congested) this.lastCongestedAt = now;
    if (this.lastStep === 'up' && now - this.lastStepAt >= this.timing.failWindowMs) this.stableWaitMs = this.timing.stableMs;
    if (now - this.lastStepAt < this.timing.settleMs) {
      // What the old layer left queued is no verdict on the new one.
      this.congestedSince = undefined;
      return undefined;
    }
    if (congested) this.congestedSince ??= now;
    else if (this.congestedSince !== undefined && now - this.lastCongestedAt >= this.timing.clearMs) this.congestedSince = undefined;

    if (congested && this.congestedSince !== undefined && now - this.congestedSince >= this.timing.sustainMs && sample.canStepDown) {
      if (this.lastStep === 'up' && now - this.lastStepAt < this.timing.failWindowMs) {
        this.failedStepUps += 1;
        this.stableWaitMs = Math.min(this.timing.maxStableMs, this.stableWaitMs * 2);
      }
      this.congestedSince = undefined;
      return this.step('down', now);
    }
    if (
      !congested &&
      sample.canStepUp &&
      now - this.lastCongestedAt >= this.stableWaitMs &&
      now - this.lastStepAt >= this.stableWaitMs &&
      sample.queuedMs <= this.timing.headroomQueueMs
    ) {
      return this.step('up', now);
    }
    return undefined;
  }

  toJSON(): AdaptiveStats {
    return {
      congestedSince: this.congestedSince,
      lastStep: this.lastStep,
      lastStepAt: Number.isFinite(this.lastStepAt) ? this.lastStepAt : undefined,
      stableWaitMs: this.stableWaitMs,
      failedStepUps: this.failedStepUps,
    };
  }

  private step(step: AdaptiveStep, now: number): AdaptiveStep {
    this.lastStep = step;
    this.lastStepAt = now;
    return step;
  }
}
