// Keyframe requests of one video layer (docs/DESIGN.md §3): Chromium sends no periodic keyframes at all, and
// YouTube and Facebook want one every 2 s. One scheduler per layer of a stream (a simulcast publisher's
// layers are encoded, and keyframe-requested, each on its own), shared by the transponders sending it:
//  - `request()` when a transponder starts, reconnects or drops frames under congestion; requests within
//    `coalesceMs` of the previous one are merged while its keyframe is still on its way (it serves them all;
//    a PLI storm would only add more IDRs and break the cadence);
//  - while `isActive()` (some transponder is PUBLISHING) a periodic request aims the next keyframe at
//    `intervalMs` after the last one seen, sent early by the measured PLI → IDR latency.
import type { VideoFrame } from '../media.js';

/** What the scheduler needs of a layer (VideoLayer) or a stream (LiveStream, its primary layer). */
export interface KeyframeSource {
  requestKeyframe(): void;
  on(event: 'video', listener: (frame: VideoFrame) => void): unknown;
  off(event: 'video', listener: (frame: VideoFrame) => void): unknown;
}

export const KeyframeTiming = {
  /** Requests closer than this to the previous one are merged. */
  coalesceMs: 300,
  /** PLI → IDR latency assumed until measured (Chromium: ~30 ms, 26–73 ms; docs/DESIGN.md §9). */
  initialLatencyMs: 40,
  /** Latency samples above this are not answers to our request. */
  maxLatencySampleMs: 500,
  /** Weight of a new latency sample in the moving average. */
  latencyAlpha: 0.25,
  /** Never schedule the periodic request sooner than this. */
  minDelayMs: 100,
  /**
   * A request no keyframe answered is repeated after this long: libwebrtc ignores keyframe requests that
   * come within 300 ms of the previous one (EncoderRtcpFeedback's min keyframe send interval), e.g. right
   * after the ingest's own request at stream start.
   */
  retryMs: 500,
  /**
   * Congestion requests closer than this to the previous request are skipped: every keyframe goes to all
   * the stream's targets, and on a congested link a drop spell ends at each keyframe, so a request per
   * spell became a keyframe every ~400 ms for the healthy targets too (62 in 25 s), raising the very
   * bitrate that congested the link.
   */
  congestionSpacingMs: 1000,
} as const;

export class KeyframeScheduler {
  private lastRequestAt = -Infinity;
  /** A keyframe arrived since the last request: nothing is on its way to serve a new one. */
  private answered = true;
  /** When the keyframe that answered the last request, or the last unasked one, arrived. */
  private lastKeyframeAt = -Infinity;
  private latencyMs: number = KeyframeTiming.initialLatencyMs;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly onVideo = (frame: VideoFrame): void => {
    if (frame.keyframe) this.keyframeSeen(this.now());
  };

  constructor(
    private readonly stream: KeyframeSource,
    private readonly intervalMs: number,
    private readonly isActive: () => boolean,
    private readonly now: () => number = Date.now,
  ) {
    if (!(intervalMs >= 250)) throw new RangeError(`keyframe interval must be ≥ 250 ms, got ${intervalMs}`);
    stream.on('video', this.onVideo);
  }

  /**
   * Asks the publisher for a keyframe now unless one was asked for within `coalesceMs` and has not arrived
   * yet. A keyframe that already came cannot serve a transponder that starts after it (one reaching
   * PUBLISHING just after the answer to an earlier request would otherwise wait a whole interval).
   */
  request(): boolean {
    if (this.closed) return false;
    const now = this.now();
    if (!this.answered && now - this.lastRequestAt < KeyframeTiming.coalesceMs) return false;
    this.lastRequestAt = now;
    this.answered = false;
    this.stream.requestKeyframe();
    // keyframeSeen() replaces this timer; if no keyframe comes, ask again.
    this.schedule(Math.min(KeyframeTiming.retryMs, this.intervalMs));
    return true;
  }

  /**
   * A congested transponder dropped video and waits for a keyframe: ask for one unless a request went out
   * within `congestionSpacingMs` (its keyframe, or the periodic one, will end the drop spell).
   */
  requestAfterCongestion(): boolean {
    if (this.closed || this.now() - this.lastRequestAt < KeyframeTiming.congestionSpacingMs) return false;
    return this.request();
  }

  /**
   * A keyframe arrived at `at` (epoch ms): learn the latency, aim the next one `intervalMs` after it. A
   * second keyframe within `coalesceMs` of one that nothing was asked since (a publisher may answer one
   * request with two IDRs) leaves the aim where it was: the targets' cadence counts from the first.
   */
  keyframeSeen(at: number): void {
    if (this.closed) return;
    if (this.answered && at - this.lastKeyframeAt < KeyframeTiming.coalesceMs) return;
    this.answered = true;
    this.lastKeyframeAt = at;
    const sample = at - this.lastRequestAt;
    if (sample >= 0 && sample <= KeyframeTiming.maxLatencySampleMs) {
      this.latencyMs += KeyframeTiming.latencyAlpha * (sample - this.latencyMs);
    }
    this.schedule(this.intervalMs - this.latencyMs);
  }

  /** Current PLI → IDR latency estimate in ms. */
  get latencyEstimateMs(): number {
    return this.latencyMs;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.stream.off('video', this.onVideo);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), Math.max(KeyframeTiming.minDelayMs, Math.round(delayMs)));
    this.timer.unref();
  }

  private tick(): void {
    if (this.closed) return;
    // request() reschedules itself; when idle or merged into a recent request, keep the timer going.
    if (!this.isActive() || !this.request()) this.schedule(this.intervalMs);
  }
}
