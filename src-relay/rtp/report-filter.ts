// The NTP ↔ RTP relation of one track over its last sender reports (RFC 3550 §6.4.1). Each report gives
// (NTP ms − RTP media ms) of one instant. A sender can only stamp a report late, never early: aiortc pairs
// the RTP timestamp of the last packet it sent (encoded some time before) with the report's own wallclock,
// up to ~0.8 s late at start and a few hundred ms later on; a busy sender is late by its scheduling delay.
// Lateness only ever makes the value larger, so the smallest value of the last few reports is the one
// nearest the truth (the idea of NTP's clock filter, which keeps the sample with the least delay), and a
// single late report moves nothing. For a sender whose reports scatter both ways (±50 ms), every track
// of the stream is read the same way, so the tracks keep their relation to each other.
// A value further than `discontinuityMs` from the filtered one is not lateness but a sender that restarted
// its timestamps: the window starts again from it.

export class ReportFilter {
  private readonly values: number[] = [];

  constructor(
    private readonly window: number,
    private readonly discontinuityMs: number,
  ) {
    if (!Number.isInteger(window) || window < 1) throw new Error(`report window must be a positive whole number, got ${window}`);
  }

  /** Adds one report's (NTP ms − RTP media ms). */
  add(offsetMs: number): void {
    if (!Number.isFinite(offsetMs)) return;
    const current = this.value();
    if (current !== undefined && Math.abs(offsetMs - current) > this.discontinuityMs) this.values.length = 0;
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
