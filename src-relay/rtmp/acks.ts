// What the target acknowledged (RTMP 1.0 §5.4.3, §5.4.4): we announce a Window Acknowledgement Size, and a
// server that honours it sends an Acknowledgement (the bytes it has received so far, modulo 2^32) each time
// another window's worth arrived. Bytes the kernel took into its send buffer say nothing about the target;
// an acknowledgement does. This is the bookkeeping of the black-hole rule (publisher.ts watch()).

export class AckTracker {
  /** Bytes we wrote to the socket (media and commands after publishing started). */
  private sent = 0;
  /** Our estimate of the bytes the target acknowledged, never above `sent`. */
  private acked = 0;
  private lastSequence = 0;
  private acks = 0;
  /**
   * The window the target acknowledges by: ours, or what its acknowledgements show if larger (a server may
   * keep a window of its own): the first one's number (which also counts the few bytes before publishing),
   * then the largest step between two.
   */
  private effectiveWindow: number;
  /** Since when more than a window is unacknowledged with no acknowledgement after it (undefined: none owed). */
  private owedSince: number | undefined;

  constructor(readonly window: number) {
    if (!Number.isInteger(window) || window <= 0 || window >= 2 ** 31) throw new RangeError(`acknowledgement window must be a positive 31-bit integer, got ${window}`);
    this.effectiveWindow = window;
  }

  /** True once an acknowledgement arrived: the target acknowledges, so the acknowledgement rule applies. */
  get acknowledging(): boolean {
    return this.acks > 0;
  }

  get ackWindow(): number {
    return this.effectiveWindow;
  }

  get unacknowledged(): number {
    return this.sent - this.acked;
  }

  wrote(bytes: number, now: number): void {
    this.sent += bytes;
    if (this.owedSince === undefined && this.unacknowledged > this.effectiveWindow) this.owedSince = now;
  }

  /**
   * An Acknowledgement with this sequence number arrived. The server's count starts earlier than ours (it
   * includes the connect commands), and it wraps at 2^32 (nginx-rtmp restarts it at 0xf0000000): a number
   * below the previous one counts as a wrap. Either way the estimate is kept at or below what we sent, so an
   * over-count only makes the rule later, never early.
   */
  acknowledged(sequence: number, now: number): void {
    const seq = sequence >>> 0;
    if (this.acks > 0 && seq === this.lastSequence) return; // no progress
    const wrapped = seq < this.lastSequence;
    const delta = wrapped ? seq + 2 ** 32 - this.lastSequence : seq - this.lastSequence;
    if (!wrapped) this.effectiveWindow = Math.max(this.effectiveWindow, delta);
    this.acked = Math.min(this.sent, this.acked + delta);
    this.lastSequence = seq;
    this.acks++;
    this.owedSince = this.unacknowledged > this.effectiveWindow ? now : undefined;
  }

  /**
   * How long the target has owed an acknowledgement: more than a window was written since the last one
   * (the target acknowledges per window received), counted from the later of that write and that
   * acknowledgement. 0 when none is owed.
   */
  overdueMs(now: number): number {
    return this.owedSince === undefined ? 0 : now - this.owedSince;
  }
}
