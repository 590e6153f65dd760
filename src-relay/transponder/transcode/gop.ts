// The pictures of a stream since its last keyframe: what a decoder needs to show the present picture. The
// H.264 transcoder (transcoder.ts) starts from them, so its first picture out is an IDR of the present
// without waiting for the publisher's next keyframe, which may be seconds away (aiortc ignores requests).
// The relay keeps them for each H.264 stream with targets (transponder/manager.ts), so that a copy that
// changes to the transcoder later for its keyframes (keyframe-path.ts) finds them there.
import { frameBytes, type VideoFrame } from '../../media.js';

export interface GopLimits {
  frames: number;
  bytes: number;
}

/** 20 s at 30 fps (a publisher whose keyframes are 10 s apart is what needs them), and bytes. */
export const GOP_LIMITS: GopLimits = { frames: 600, bytes: 32 * 1024 * 1024 };

export class GopKeeper {
  private list: VideoFrame[] = [];
  private bytes = 0;

  constructor(private readonly limits: GopLimits = GOP_LIMITS) {}

  /** The pictures from the last keyframe on, in decode order (empty before the first or past the limits). */
  get frames(): readonly VideoFrame[] {
    return this.list;
  }

  /** A new picture of the stream: a keyframe starts over, a picture past the limits empties the list. */
  push(frame: VideoFrame): void {
    if (frame.keyframe) this.clear();
    else if (this.list.length === 0) return; // no keyframe to decode it from
    const bytes = frameBytes(frame);
    if (this.list.length >= this.limits.frames || this.bytes + bytes > this.limits.bytes) {
      this.clear();
      return;
    }
    this.list.push(frame);
    this.bytes += bytes;
  }

  clear(): void {
    this.list = [];
    this.bytes = 0;
  }
}
