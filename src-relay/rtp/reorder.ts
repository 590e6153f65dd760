// RFC 3550 §A.1 — sequence numbers: a small reorder buffer in front of the depacketizers.
//
// Why our own and not werift's JitterBufferBase: werift's buffer emits a `lost` notice only as a
// side effect of its own timer and keys its state on RTP timestamps; we need, per track, a pure
// processInput → outputs stage that (1) releases in-order packets at once (no added latency on a
// clean loopback path), (2) holds a packet that arrived early for at most `maxDelayMs` or
// `maxPackets`, (3) reports exactly how many packets were skipped so the H.264 depacketizer can
// drop the damaged picture, and (4) drops duplicates (NACK retransmissions without RTX arrive twice).

/** Half the 16-bit sequence space: a signed distance beyond this wraps (RFC 3550 §A.1). */
const SEQ_MOD = 0x10000;
const SEQ_HALF = 0x8000;

export const REORDER_DEFAULTS = {
  /** Packets held at most while waiting for a missing one (~0.2 s of 720p video). */
  maxPackets: 64,
  /** Milliseconds a packet may wait for a missing predecessor before the gap is declared lost. */
  maxDelayMs: 80,
  /** A jump larger than this (either way) is a new sequence (sender restart), not loss (§A.1 MAX_DROPOUT). */
  maxDropout: 3000,
} as const;

export interface SequencedPacket {
  sequenceNumber: number;
}

export type ReorderOutput<T> = { kind: 'packet'; packet: T } | { kind: 'lost'; count: number };

export interface ReorderStats {
  received: number;
  released: number;
  reordered: number;
  duplicates: number;
  late: number;
  lost: number;
  resets: number;
  buffered: number;
}

/** Signed distance from `from` to `to` in 16-bit sequence space, in [−32768, 32767]. */
export function seqDistance(from: number, to: number): number {
  const d = (to - from + SEQ_MOD) % SEQ_MOD;
  return d >= SEQ_HALF ? d - SEQ_MOD : d;
}

export interface ReorderOptions {
  maxPackets?: number;
  maxDelayMs?: number;
  maxDropout?: number;
}

export class ReorderBuffer<T extends SequencedPacket> {
  private readonly maxPackets: number;
  private readonly maxDelayMs: number;
  private readonly maxDropout: number;
  /** The sequence number expected next; undefined before the first packet. */
  private next: number | undefined;
  private readonly held = new Map<number, { packet: T; arrival: number }>();
  private readonly stats: Omit<ReorderStats, 'buffered'> = {
    received: 0,
    released: 0,
    reordered: 0,
    duplicates: 0,
    late: 0,
    lost: 0,
    resets: 0,
  };

  constructor(options: ReorderOptions = {}) {
    this.maxPackets = options.maxPackets ?? REORDER_DEFAULTS.maxPackets;
    this.maxDelayMs = options.maxDelayMs ?? REORDER_DEFAULTS.maxDelayMs;
    this.maxDropout = options.maxDropout ?? REORDER_DEFAULTS.maxDropout;
    if (!Number.isInteger(this.maxPackets) || this.maxPackets < 1 || this.maxPackets > SEQ_HALF / 2) {
      throw new Error(`maxPackets must be an integer 1–${SEQ_HALF / 2}, got ${this.maxPackets}`);
    }
  }

  /** Feeds one packet that arrived at `now` (ms); returns what can be released, in sequence order. */
  processInput(input: { packet: T; now: number }): ReorderOutput<T>[] {
    const { packet, now } = input;
    const seq = packet.sequenceNumber & 0xffff;
    this.stats.received++;
    const out: ReorderOutput<T>[] = [];
    if (this.next === undefined) {
      this.next = seq;
    }
    const d = seqDistance(this.next, seq);
    if (Math.abs(d) > this.maxDropout) {
      // A new sequence: release what we hold (its gaps are loss), then restart at this packet.
      this.stats.resets++;
      this.releaseAll(out);
      this.next = seq;
    } else if (d < 0) {
      // Already released or skipped as lost: a duplicate or a retransmission that came too late.
      this.stats.late++;
      return out;
    } else if (d > 0) {
      if (this.held.has(seq)) {
        this.stats.duplicates++;
        return out;
      }
      this.stats.reordered++;
      this.held.set(seq, { packet, arrival: now });
      if (d >= this.maxPackets || this.held.size > this.maxPackets) this.skipToOldestHeld(out);
      this.flushExpired(now, out);
      return out;
    }
    this.release(packet, out);
    this.drainConsecutive(out);
    this.flushExpired(now, out);
    return out;
  }

  /** Declares lost any gap whose successor has waited longer than maxDelayMs (call from a timer too). */
  flush(now: number): ReorderOutput<T>[] {
    const out: ReorderOutput<T>[] = [];
    this.flushExpired(now, out);
    return out;
  }

  toJSON(): ReorderStats {
    return { ...this.stats, buffered: this.held.size };
  }

  private flushExpired(now: number, out: ReorderOutput<T>[]): void {
    while (this.held.size > 0) {
      const oldest = this.oldestHeld();
      if (now - oldest.arrival < this.maxDelayMs) return;
      this.skipToOldestHeld(out);
    }
  }

  /** The held packet with the earliest arrival. */
  private oldestHeld(): { arrival: number } {
    let oldest = Infinity;
    for (const entry of this.held.values()) oldest = Math.min(oldest, entry.arrival);
    return { arrival: oldest };
  }

  /** Gives up on the gap before the lowest held packet: reports it lost and releases from there. */
  private skipToOldestHeld(out: ReorderOutput<T>[]): void {
    if (this.next === undefined || this.held.size === 0) return;
    let lowest = Infinity;
    for (const seq of this.held.keys()) lowest = Math.min(lowest, seqDistance(this.next, seq));
    if (lowest > 0) {
      out.push({ kind: 'lost', count: lowest });
      this.stats.lost += lowest;
      this.next = (this.next + lowest) % SEQ_MOD;
    }
    this.drainConsecutive(out);
  }

  private releaseAll(out: ReorderOutput<T>[]): void {
    while (this.held.size > 0) this.skipToOldestHeld(out);
  }

  private drainConsecutive(out: ReorderOutput<T>[]): void {
    for (;;) {
      const entry = this.next === undefined ? undefined : this.held.get(this.next);
      if (!entry) return;
      this.held.delete(this.next!);
      this.release(entry.packet, out);
    }
  }

  private release(packet: T, out: ReorderOutput<T>[]): void {
    out.push({ kind: 'packet', packet });
    this.stats.released++;
    this.next = ((packet.sequenceNumber & 0xffff) + 1) % SEQ_MOD;
  }
}
