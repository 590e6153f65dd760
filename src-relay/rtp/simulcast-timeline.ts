// RFC 8853 simulcast layers on one timeline. The layers are encodings of the same captured pictures, and
// a sender like libwebrtc stamps a picture with the same capture time in every layer, each RTP stream
// adding its own random timestamp base: the RTP timestamps of one picture differ between two layers by
// a constant. Each layer's sender reports (RFC 3550 §6.4.1) say roughly when its pictures were taken, but
// only to a few milliseconds (every report is stamped at its own instant), which is too coarse for a
// consumer that switches layers at a keyframe. So: the first layer to send leads and keeps its own track
// clock; another layer keeps its own until the reports' wallclock puts one of its pictures on a single
// picture of the leader (within matchWindowMs, no other near, and the two arrived close together), the
// same constant found matchesToLock times in a row; from then on its RTP timestamps, less that constant,
// are read on the leader's clock, and the same picture has the same time in both. Until it is locked a layer keeps its own clock (sender reports or
// arrival), as a stream without simulcast does.
import type { TrackClock } from './clock.js';

export const SIMULCAST_TIMELINE = {
  /** A layer's picture and the leader's are the same capture if the reports put them this close. */
  matchWindowMs: 12,
  /** ...and no other picture of the leader is within this. */
  ambiguousWithinMs: 24,
  /** The same RTP difference this many pictures in a row locks the layer onto the leader. */
  matchesToLock: 3,
  /** ...and the two layers' own clocks (arrival, then reports) put them no further apart than this. */
  maxArrivalSkewMs: 150,
  /** Pictures of the leader kept to match against (3 s at 30 fps). */
  leaderHistory: 90,
} as const;

const RTP_MOD = 2 ** 32;

interface LayerState {
  clock: TrackClock;
  /** (layer RTP − leader RTP) mod 2^32 of one picture, once locked. */
  delta: number | undefined;
  candidate: number | undefined;
  matches: number;
  /** RTP timestamps of its latest pictures not yet compared with the leader's. */
  pending: number[];
}

/** Pictures of a layer kept waiting for the leader's (a few frames of encoding order). */
const PENDING_MAX = 5;

export class SimulcastTimeline {
  /** Called when a layer locks onto the leader's timeline (for the log). */
  onLock: ((event: { rid: string; leader: string; shiftMs: number }) => void) | undefined;

  private leader: string | undefined;
  private readonly layers = new Map<string, LayerState>();
  /** The leader's recent pictures' RTP timestamps. */
  private readonly history: Array<{ rtp: number }> = [];

  /** Stream ms of a picture of layer `rid` (its track clock `clock`) with this RTP timestamp. */
  map(rid: string, clock: TrackClock, rtpTimestamp: number, arrivalMs: number): number {
    this.leader ??= rid;
    let state = this.layers.get(rid);
    if (!state) this.layers.set(rid, (state = { clock, delta: undefined, candidate: undefined, matches: 0, pending: [] }));
    if (rid === this.leader) {
      const ms = clock.toStreamMs(rtpTimestamp, arrivalMs);
      this.history.push({ rtp: rtpTimestamp >>> 0 });
      if (this.history.length > SIMULCAST_TIMELINE.leaderHistory) this.history.shift();
      this.settlePending(clock);
      return ms;
    }
    const leaderClock = this.layers.get(this.leader)!.clock;
    if (state.delta !== undefined) {
      // A picture the leader has not had yet moves the leader's clock (its slew, once per picture); one
      // it had is read without moving it, so every layer's copy of a picture gets the same time.
      const onLeaderRtp = (rtpTimestamp - state.delta + RTP_MOD) % RTP_MOD;
      if (leaderClock.isAhead(onLeaderRtp)) return leaderClock.toStreamMs(onLeaderRtp, arrivalMs);
      const onLeader = leaderClock.peekStreamMs(onLeaderRtp);
      if (onLeader !== undefined) return onLeader;
    }
    const own = clock.toStreamMs(rtpTimestamp, arrivalMs);
    state.pending.push(rtpTimestamp >>> 0);
    if (state.pending.length > PENDING_MAX) state.pending.shift();
    this.settlePending(leaderClock);
    if (state.delta !== undefined) {
      // Locked with this picture: how far the layer's own clock had put it from the leader's timeline.
      const onLeader = leaderClock.peekStreamMs((rtpTimestamp - state.delta + RTP_MOD) % RTP_MOD);
      this.onLock?.({ rid, leader: this.leader, shiftMs: onLeader === undefined ? 0 : onLeader - own });
    }
    return own;
  }

  /** Whether layer `rid` reads its timestamps on the leader's clock (for stats). */
  isLocked(rid: string): boolean {
    return rid === this.leader || this.layers.get(rid)?.delta !== undefined;
  }

  toJSON(): { leader: string | null; locked: string[] } {
    return { leader: this.leader ?? null, locked: [...this.layers.keys()].filter((rid) => this.isLocked(rid)) };
  }

  /** Layer pictures waiting for the leader's picture of the same instant (it may be encoded later). */
  private settlePending(leaderClock: TrackClock): void {
    for (const state of this.layers.values()) {
      while (state.pending.length && state.delta === undefined && this.tryMatch(state, state.pending[0]!, leaderClock)) state.pending.shift();
    }
  }

  /**
   * Compares where the sender reports put a picture of a layer with where they put the leader's recent
   * pictures. False when the leader's picture of that instant has not come yet (try again later).
   */
  private tryMatch(state: LayerState, rtp: number, leaderClock: TrackClock): boolean {
    const reported = state.clock.ntpMs(rtp);
    if (reported === undefined) return true;
    const distances: Array<{ rtp: number; at: number; d: number }> = [];
    for (const h of this.history) {
      const at = leaderClock.ntpMs(h.rtp);
      if (at === undefined) return true;
      distances.push({ rtp: h.rtp, at, d: Math.abs(at - reported) });
    }
    const newest = distances[distances.length - 1];
    if (!newest || reported > newest.at + SIMULCAST_TIMELINE.matchWindowMs) return false;
    distances.sort((a, b) => a.d - b.d);
    const [best, second] = distances;
    const unambiguous = best && best.d <= SIMULCAST_TIMELINE.matchWindowMs && (!second || second.d > SIMULCAST_TIMELINE.ambiguousWithinMs);
    // A report can be far off (a sender reporting a layer it had paused): the two pictures must also have
    // arrived close together, as one captured picture's encodings do.
    const own = state.clock.peekStreamMs(rtp);
    const leaderAt = best ? leaderClock.peekStreamMs(best.rtp) : undefined;
    const arrivedTogether = own !== undefined && leaderAt !== undefined && Math.abs(own - leaderAt) <= SIMULCAST_TIMELINE.maxArrivalSkewMs;
    if (!best || !unambiguous || !arrivedTogether) {
      state.matches = 0;
      return true;
    }
    const delta = (rtp - best.rtp + RTP_MOD) % RTP_MOD;
    if (delta === state.candidate) state.matches++;
    else {
      state.candidate = delta;
      state.matches = 1;
    }
    if (state.matches >= SIMULCAST_TIMELINE.matchesToLock) state.delta = delta;
    return true;
  }
}
