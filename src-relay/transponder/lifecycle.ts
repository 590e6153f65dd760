// The transponder's life (docs/DESIGN.md §3 "Reconnect"): which state may follow which, and how long to wait
// before the next reconnect attempt. Pure: no timers, no sockets.
//
//   CONNECTING ──publish ok──▶ PUBLISHING ──drop──▶ RECONNECTING ──publish ok──▶ PUBLISHING
//        │                        │                   │  ▲   (retry after backoff, unlimited)
//        │ retryable error        │                   └──┘
//        └───────────────────────────────────────────▶ RECONNECTING
//   any live state ──refusal retrying cannot fix──▶ FAILED      any state ──stop()──▶ STOPPED
import type { TransponderStatus } from './service.js';

const NEXT: Readonly<Record<TransponderStatus, readonly TransponderStatus[]>> = {
  CONNECTING: ['PUBLISHING', 'RECONNECTING', 'FAILED', 'STOPPED'],
  PUBLISHING: ['RECONNECTING', 'FAILED', 'STOPPED'],
  RECONNECTING: ['PUBLISHING', 'RECONNECTING', 'FAILED', 'STOPPED'],
  FAILED: ['STOPPED'],
  STOPPED: [],
};

export function canTransition(from: TransponderStatus, to: TransponderStatus): boolean {
  return NEXT[from].includes(to);
}

/** FAILED and STOPPED: nothing is sent any more. */
export function isFinished(status: TransponderStatus): boolean {
  return status === 'FAILED' || status === 'STOPPED';
}

export const Backoff = {
  /** First retry after 1 s ... */
  initialMs: 1000,
  /** ... doubling up to 30 s. */
  maxMs: 30_000,
  /** ± this fraction of jitter, so that many transponders to one server do not retry in lock step. */
  jitter: 0.1,
} as const;

/**
 * Delay before reconnect attempt `attempt` (1-based): 1 s, 2 s, 4 s … capped at 30 s, each ± 10 %.
 * @param random a number in [0, 1) (Math.random by default; tests pass a fixed one).
 */
export function backoffDelayMs(attempt: number, random: number = Math.random()): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be an integer ≥ 1, got ${attempt}`);
  if (!(random >= 0 && random < 1)) throw new RangeError(`random must be in [0, 1), got ${random}`);
  // 2^(attempt-1) overflows nothing: past 2^5 the cap applies anyway.
  const base = Math.min(Backoff.maxMs, Backoff.initialMs * 2 ** Math.min(attempt - 1, 16));
  const factor = 1 - Backoff.jitter + 2 * Backoff.jitter * random;
  return Math.round(base * factor);
}
