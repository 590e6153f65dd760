// The NTP ↔ RTP relation of one track over its last sender reports (RFC 3550 §6.4.1). Each report gives
// (NTP ms − RTP media ms) of one instant. A sender can only stamp a report late, never early: aiortc pairs
// the RTP timestamp of the last packet it sent (encoded some time before) with the report's own wallclock,
// up to ~0.8 s late at start and a few hundred ms later on; a busy sender is late by its scheduling delay.
// Lateness only ever makes the value larger, so the smallest value of the last few reports is the one
// nearest the truth (the idea of NTP's clock filter, which keeps the sample with the least delay), and a
// single late report moves nothing. For a sender whose reports scatter both ways (±50 ms), every track
// of the stream is read the same way, so the tracks keep their relation to each other.
// A value further than `discontinuityMs` from the filtered one is either a sender that restarted its
// timestamps or a report very late indeed (aiortc stalled for 5.6 s on a loaded machine, and its next
// report paired that old RTP time with the time of the report). One below can only be a restart and is
// taken at once; above, `confirmations` such reports in a row, within `discontinuityMs` of each other, are
// needed before the window starts again from them.

export class ReportFilter {
  private readonly values: number[] = [];
  /** Consecutive reports far above the filtered value, kept until they confirm a restart. */
  private readonly outliers: number[] = [];

  constructor(
    private readonly window: number,
    private readonly discontinuityMs: number,
    private readonly confirmations = 3,
  ) {
    if (!Number.isInteger(window) || window < 1) throw new Error(`report window must be a positive whole number, got ${window}`);
  }

  /** Adds one report's (NTP ms − RTP media ms). */
  add(offsetMs: number): void {
    if (!Number.isFinite(offsetMs)) return;
    const current = this.value();
    if (current !== undefined && offsetMs - current > this.discontinuityMs) {
      if (this.outliers.length && Math.abs(offsetMs - this.outliers[0]!) > this.discontinuityMs) this.outliers.length = 0;
      this.outliers.push(offsetMs);
      if (this.outliers.length < this.confirmations) return;
      this.values.splice(0, this.values.length, ...this.outliers);
      this.outliers.length = 0;
      return;
    }
    this.outliers.length = 0;
    if (current !== undefined && current - offsetMs > this.discontinuityMs) this.values.length = 0;
    this.values.push(offsetMs);
    if (this.values.length > this.window) this.values.shift();
  }

  /** The filtered (NTP ms − RTP media ms); undefined before a report. */
  value(): number | undefined {
    return this.values.length ? Math.min(...this.values) : undefined;
  }

  /** How far apart the reports in the window are (ms): 0 for an exact sender, the lateness for a late one. */
  spread(): number | undefined {
    return this.values.length ? Math.max(...this.values) - Math.min(...this.values) : undefined;
  }
}
