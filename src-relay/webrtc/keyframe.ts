// Asking a publisher for a keyframe: RTCP PLI (RFC 4585 §6.3.1), and FIR (RFC 5104 §4.3.1) when a PLI
// goes unanswered. Chromium answers a PLI with an IDR in ~30 ms (docs/DESIGN.md §9), so FIR is the fallback
// for encoders that ignore PLI, and for a PLI lost on the way.

export const KEYFRAME_TIMING = {
  /** Never more than one PLI per this many ms: a burst of requests from many transponders is one PLI. */
  minPliIntervalMs: 200,
  /** A keyframe should follow a PLI within this; otherwise send a FIR. */
  firAfterMs: 500,
  /** No keyframe this long after a PLI (and the FIR after it): the request went unanswered. */
  unansweredAfterMs: 1500,
  /** This many unanswered requests in a row: the publisher ignores keyframe requests (aiortc does). */
  unansweredToIgnore: 2,
} as const;

export interface KeyframeSender {
  sendPli(): void;
  sendFir(): void;
}

export interface KeyframeRequesterStats {
  requests: number;
  plis: number;
  firs: number;
  keyframes: number;
  /** Requests that got no keyframe within unansweredAfterMs. */
  unanswered: number;
}

export class KeyframeRequester {
  /** When the last PLI or FIR went out, and which. */
  private lastAskedAt = -Infinity;
  private lastAsked: 'pli' | 'fir' = 'pli';
  /** A request is outstanding: a PLI or FIR went out and no keyframe came back yet. */
  private pending = false;
  /** When the outstanding request's first PLI went out (later PLIs and FIRs repeat it). */
  private pendingSince = -Infinity;
  private deferredPli: NodeJS.Timeout | undefined;
  private firTimer: NodeJS.Timeout | undefined;
  private unansweredTimer: NodeJS.Timeout | undefined;
  /** Unanswered requests since the last answered one. */
  private unansweredInARow = 0;
  private closed = false;
  private readonly stats: KeyframeRequesterStats = { requests: 0, plis: 0, firs: 0, keyframes: 0, unanswered: 0 };

  constructor(
    private readonly sender: KeyframeSender,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * One keyframe for every request until it arrives: a request while the answer to the last PLI is due
   * (within `minPliIntervalMs`) is served by that answer, as a request after a keyframe within that time is
   * by one deferred PLI. A second PLI, or a PLI and a FIR, for what one keyframe serves would bring a second
   * IDR a frame or two after the first (Chromium answers each).
   */
  request(): void {
    if (this.closed) return;
    this.stats.requests++;
    if (this.deferredPli) return;
    const since = this.now() - this.lastAskedAt;
    if (this.pending) {
      if (since < KEYFRAME_TIMING.minPliIntervalMs) return;
      if (this.lastAsked === 'pli' && since >= KEYFRAME_TIMING.firAfterMs) this.sendFir();
      else this.sendPli();
      return;
    }
    const wait = KEYFRAME_TIMING.minPliIntervalMs - since;
    if (wait > 0) {
      this.deferredPli = setTimeout(() => {
        this.deferredPli = undefined;
        this.sendPli();
      }, wait);
      return;
    }
    this.sendPli();
  }

  /**
   * True once unansweredToIgnore requests in a row got no keyframe (PLI, then FIR), until one is answered:
   * the stream's targets then get the keyframes the publisher makes on its own schedule.
   */
  get ignoresRequests(): boolean {
    return this.unansweredInARow >= KEYFRAME_TIMING.unansweredToIgnore;
  }

  /**
   * A keyframe arrived: whatever was asked is served, a deferred PLI too (its requests came before it). It
   * answers the request only within unansweredAfterMs of the request's first PLI: a publisher that ignores
   * requests, asked again and again, still makes its own keyframes, each one soon after some repeat.
   */
  onKeyframe(): void {
    this.stats.keyframes++;
    if (this.pending && this.now() - this.pendingSince <= KEYFRAME_TIMING.unansweredAfterMs) this.unansweredInARow = 0;
    clearTimeout(this.unansweredTimer);
    this.unansweredTimer = undefined;
    this.pending = false;
    clearTimeout(this.deferredPli);
    this.deferredPli = undefined;
    clearTimeout(this.firTimer);
    this.firTimer = undefined;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.deferredPli);
    clearTimeout(this.firTimer);
    clearTimeout(this.unansweredTimer);
  }

  toJSON(): KeyframeRequesterStats & { pending: boolean; ignoresRequests: boolean } {
    return { ...this.stats, pending: this.pending, ignoresRequests: this.ignoresRequests };
  }

  private sendPli(): void {
    if (this.closed) return;
    this.asked('pli');
    this.stats.plis++;
    this.sender.sendPli();
    this.unansweredTimer ??= setTimeout(() => {
      this.unansweredTimer = undefined;
      if (!this.pending || this.closed) return;
      this.stats.unanswered++;
      this.unansweredInARow++;
    }, KEYFRAME_TIMING.unansweredAfterMs);
    if (!this.firTimer) {
      this.firTimer = setTimeout(() => {
        this.firTimer = undefined;
        if (this.pending && !this.closed) this.sendFir();
      }, KEYFRAME_TIMING.firAfterMs);
    }
  }

  /** The PLI went unanswered: a FIR instead, which a request that comes just after it joins. */
  private sendFir(): void {
    clearTimeout(this.firTimer);
    this.firTimer = undefined;
    this.asked('fir');
    this.stats.firs++;
    this.sender.sendFir();
  }

  private asked(what: 'pli' | 'fir'): void {
    if (!this.pending) this.pendingSince = this.now();
    this.lastAskedAt = this.now();
    this.lastAsked = what;
    this.pending = true;
  }
}
