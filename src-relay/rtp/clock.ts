// RFC 3550 §6.4.1 — sender reports: the NTP ↔ RTP timestamp pair that puts every track of a
// publisher on one wallclock. Maps each track's RTP timestamps to one stream clock in milliseconds.
//
// Policy (docs/DESIGN.md §3 "Timestamps"):
// - Stream time 0 is the arrival of the first packet of any track.
// - Before sender reports, a track maps RTP time linearly from the arrival of its first packet, so
//   nothing waits for a report (SRS drops the first seconds of audio that way).
// - The reference track (audio when the stream has audio) keeps that mapping for its whole life:
//   its samples are contiguous, and moving it would tear the audio. Its sender reports fix how NTP
//   time maps onto the stream clock.
// - Every other track (video) is then steered onto the NTP timeline through that mapping: its offset
//   slews toward the target at most `slewRate` ms per ms of media and `maxStepMs` per packet (no visible
//   jump: a frame's spacing changes by a few ms at most), and the caller keeps its decode times monotonic.
// - A track's NTP ↔ RTP relation is not its latest report but the minimum of (NTP − RTP media time) over
//   its last `reportWindow` reports (report-filter.ts): a sender that stamps a report late (aiortc pairs
//   the RTP time of the last packet it *sent* with the time of the report) only ever makes that value
//   larger, and an on-time report among the last few wins. Only an error past `maxSlewErrorMs` (a sender
//   restarting its timestamps) is taken at once.
//
// Why our own and not werift's NtpTimeBase/LipsyncBase: those emit nothing for a track until its
// first sender report arrives (audio dropped while waiting) and buffer frames for lipsync; we want
// zero added latency and a smooth correction instead.

import { ReportFilter } from './report-filter.js';

const RTP_TIMESTAMP_MOD = 2 ** 32;
const RTP_TIMESTAMP_HALF = 2 ** 31;
/** NTP timestamps are 32.32 fixed point seconds (RFC 3550 §4). */
const NTP_FRACTION = 2 ** 32;

export const CLOCK_DEFAULTS = {
  /** Fraction of elapsed media time by which a track's offset may move toward its target (5 % → 50 ms/s). */
  slewRate: 0.05,
  /** ...and at most this many ms per packet mapped, whatever the gap since the last (±5 ms frame spacing). */
  maxStepMs: 3,
  /** An error larger than this is not drift or a late report but a discontinuity: jump at once. */
  maxSlewErrorMs: 5000,
  /**
   * Sender reports per track the NTP ↔ RTP relation is filtered over: 16 s at one a second (libwebrtc's
   * video, aiortc), 80 s at one every 5 s (libwebrtc's audio); a clock drift of 50 ppm biases it by 4 ms.
   */
  reportWindow: 16,
} as const;

/** Extends 32-bit RTP timestamps to a monotonic-ish number line across wraps. */
export class RtpTimestampUnwrapper {
  private last: number | undefined;

  /** Extended value of `ts`, taken as the nearest to the last one; updates the state. */
  unwrap(ts: number): number {
    const ext = this.peek(ts);
    this.last = ext;
    return ext;
  }

  /** Extended value of `ts` without moving the state (for sender reports). */
  peek(ts: number): number {
    const value = ts >>> 0;
    if (this.last === undefined) return value;
    let delta = (value - (this.last % RTP_TIMESTAMP_MOD) + RTP_TIMESTAMP_MOD) % RTP_TIMESTAMP_MOD;
    if (delta >= RTP_TIMESTAMP_HALF) delta -= RTP_TIMESTAMP_MOD;
    return this.last + delta;
  }
}

/** Seconds of a 64-bit NTP timestamp, as milliseconds. */
export function ntpToMs(ntp: bigint): number {
  const seconds = Number(ntp >> 32n);
  const fraction = Number(ntp & 0xffffffffn);
  return (seconds + fraction / NTP_FRACTION) * 1000;
}

export interface StreamClockOptions {
  /** Which track's timeline the others follow: the one whose samples must stay contiguous. */
  reference: 'audio' | 'video';
  slewRate?: number;
  maxStepMs?: number;
  maxSlewErrorMs?: number;
  reportWindow?: number;
}

export class StreamClock {
  /** Arrival time (caller's ms clock) of the first packet of any track. */
  private origin: number | undefined;
  /** stream ms = NTP ms − ntpShift, learned from the reference track's sender reports. */
  ntpShift: number | undefined;
  readonly reference: 'audio' | 'video';
  readonly slewRate: number;
  readonly maxStepMs: number;
  readonly maxSlewErrorMs: number;
  readonly reportWindow: number;
  private readonly tracks: TrackClock[] = [];

  constructor(options: StreamClockOptions) {
    this.reference = options.reference;
    this.slewRate = options.slewRate ?? CLOCK_DEFAULTS.slewRate;
    this.maxStepMs = options.maxStepMs ?? CLOCK_DEFAULTS.maxStepMs;
    this.maxSlewErrorMs = options.maxSlewErrorMs ?? CLOCK_DEFAULTS.maxSlewErrorMs;
    this.reportWindow = options.reportWindow ?? CLOCK_DEFAULTS.reportWindow;
  }

  /**
   * A track of `kind`. It is the reference when its kind is the stream's reference kind, unless `reference`
   * says otherwise: of several tracks of that kind (simulcast layers without audio) only one may be.
   */
  addTrack(kind: 'audio' | 'video', clockRate: number, options: { reference?: boolean } = {}): TrackClock {
    if (!Number.isFinite(clockRate) || clockRate <= 0) throw new Error(`clock rate must be positive, got ${clockRate}`);
    const track = new TrackClock(this, options.reference ?? kind === this.reference, clockRate);
    this.tracks.push(track);
    return track;
  }

  /** Stream ms of an arrival time; the first call fixes stream time 0. */
  arrivalToStream(arrivalMs: number): number {
    this.origin ??= arrivalMs;
    return arrivalMs - this.origin;
  }

  toJSON(): { ntpShift: number | null; tracks: ReturnType<TrackClock['toJSON']>[] } {
    return { ntpShift: this.ntpShift ?? null, tracks: this.tracks.map((t) => t.toJSON()) };
  }
}

export class TrackClock {
  private readonly unwrapper = new RtpTimestampUnwrapper();
  /** stream ms = ext × 1000 / rate + offsetMs; undefined before the first packet. */
  private offsetMs: number | undefined;
  /** NTP ms = ext × 1000 / rate + ntpOffsetMs, from the latest sender report (for simulcast matching). */
  private ntpOffsetMs: number | undefined;
  /** The same relation filtered over the last reports: what steers the stream clock. */
  private readonly reports: ReportFilter;
  private lastExt: number | undefined;
  private senderReports = 0;

  constructor(
    private readonly stream: StreamClock,
    readonly isReference: boolean,
    readonly clockRate: number,
  ) {
    this.reports = new ReportFilter(stream.reportWindow, stream.maxSlewErrorMs);
  }

  /** Stream time (ms) of an RTP timestamp of a packet that arrived at `arrivalMs`. */
  toStreamMs(rtpTimestamp: number, arrivalMs: number): number {
    const ext = this.unwrapper.unwrap(rtpTimestamp);
    const mediaMs = this.mediaMs(ext);
    if (this.offsetMs === undefined) {
      // Sender reports may already place this track (a report can precede the first packet).
      const fromArrival = this.stream.arrivalToStream(arrivalMs) - mediaMs;
      this.offsetMs = this.targetOffset() ?? fromArrival;
      this.updateShift();
    } else if (!this.isReference) {
      this.slew(this.lastExt === undefined ? 0 : mediaMs - this.mediaMs(this.lastExt));
    }
    this.lastExt = ext;
    return mediaMs + this.offsetMs;
  }

  /**
   * Stream time of an RTP timestamp on the track's current mapping, without moving it (no unwrap state,
   * no slew); undefined before the track's first packet.
   */
  peekStreamMs(rtpTimestamp: number): number | undefined {
    if (this.offsetMs === undefined) return undefined;
    return this.mediaMs(this.unwrapper.peek(rtpTimestamp)) + this.offsetMs;
  }

  /** Whether an RTP timestamp is later than the last one mapped with toStreamMs (or nothing was mapped yet). */
  isAhead(rtpTimestamp: number): boolean {
    return this.lastExt === undefined || this.unwrapper.peek(rtpTimestamp) > this.lastExt;
  }

  /**
   * The sender's wallclock (NTP, ms) of an RTP timestamp by its latest report; undefined before one. Each
   * report of a libwebrtc sender is exact, and simulcast layers are matched on them as they come.
   */
  ntpMs(rtpTimestamp: number): number | undefined {
    if (this.ntpOffsetMs === undefined) return undefined;
    return this.mediaMs(this.unwrapper.peek(rtpTimestamp)) + this.ntpOffsetMs;
  }

  /** RFC 3550 §6.4.1: NTP timestamp and RTP timestamp of the same instant. */
  onSenderReport(ntpTimestamp: bigint, rtpTimestamp: number): void {
    const ext = this.unwrapper.peek(rtpTimestamp);
    this.ntpOffsetMs = ntpToMs(ntpTimestamp) - this.mediaMs(ext);
    this.reports.add(this.ntpOffsetMs);
    this.senderReports++;
    this.updateShift();
  }

  toJSON(): { reference: boolean; clockRate: number; offsetMs: number | null; senderReports: number; reportSpreadMs: number | null } {
    return {
      reference: this.isReference,
      clockRate: this.clockRate,
      offsetMs: this.offsetMs ?? null,
      senderReports: this.senderReports,
      reportSpreadMs: this.reports.spread() ?? null,
    };
  }

  private mediaMs(ext: number): number {
    return (ext * 1000) / this.clockRate;
  }

  private updateShift(): void {
    const filtered = this.reports.value();
    if (this.isReference && this.offsetMs !== undefined && filtered !== undefined) {
      this.stream.ntpShift = filtered - this.offsetMs;
    }
  }

  /** Where the sender reports put this track's offset, when they can (not for the reference). */
  private targetOffset(): number | undefined {
    const shift = this.stream.ntpShift;
    const filtered = this.reports.value();
    if (this.isReference || shift === undefined || filtered === undefined) return undefined;
    return filtered - shift;
  }

  /** Moves the offset toward where the sender reports say it belongs, by at most slewRate × elapsed and maxStepMs. */
  private slew(elapsedMediaMs: number): void {
    const target = this.targetOffset();
    if (target === undefined || this.offsetMs === undefined) return;
    const error = target - this.offsetMs;
    if (Math.abs(error) > this.stream.maxSlewErrorMs) {
      this.offsetMs = target;
      return;
    }
    const step = Math.min(this.stream.maxStepMs, this.stream.slewRate * Math.max(0, elapsedMediaMs));
    this.offsetMs += Math.max(-step, Math.min(step, error));
  }
}
