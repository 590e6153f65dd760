// FLV timestamps of one transponder connection (docs/DESIGN.md §3 "Timestamps"): milliseconds from the start of
// the (re)connection, derived from the stream's one clock so that audio and video keep their relative
// offset, never negative and never going backwards per track (FLV / RTMP 1.0 §6.1.3 carries 32-bit
// unsigned ms; servers and players misbehave on a track whose time steps back).
export type Track = 'video' | 'audio';

export class FlvClock {
  private base: number | undefined;
  private readonly last: Record<Track, number> = { video: -1, audio: -1 };

  /** True once the base is set (the first keyframe of this connection was sent). */
  get started(): boolean {
    return this.base !== undefined;
  }

  /** Starts a new connection: the next `start()` sets a new base. */
  reset(): void {
    this.base = undefined;
    this.last.video = -1;
    this.last.audio = -1;
  }

  /** Fixes time zero of this connection at `streamTime` (the first keyframe's dts). */
  start(streamTime: number): void {
    this.base = streamTime;
  }

  /**
   * FLV time of a frame at `streamTime` on `track`, or undefined if it lies before the base (audio encoded
   * before the first keyframe is dropped so that both tracks start together). Monotonic: a frame earlier
   * than the previous one of its track gets the previous one's time.
   */
  toFlv(track: Track, streamTime: number): number | undefined {
    if (this.base === undefined) throw new Error('FlvClock.toFlv called before start()');
    const relative = Math.round(streamTime - this.base);
    if (relative < 0 && this.last[track] < 0) return undefined;
    const time = Math.max(relative, this.last[track], 0);
    this.last[track] = time;
    return time;
  }
}
