// The end of a push or a recording: the video stops first, then the audio is let catch up with the last
// video tag written, for at most AUDIO_TAIL_MAX_MS. Audio lags video by the encoder's delay (ffmpeg's AAC
// pipe ~30 ms, a 1024-sample frame, the publisher's 40 ms coalescing), so without this tail a recording
// ended with ~0.1 s of video that has no sound.
import type { FlvMuxer } from '../flv/muxer.js';

export const AUDIO_TAIL_MAX_MS = 300;

export class AudioTail {
  private caughtUp: (() => void) | undefined;

  /** `muxer`: the tags written so far (undefined while there is no connection). */
  constructor(private readonly muxer: () => Pick<FlvMuxer, 'lastTime'> | undefined) {}

  /** The last audio tag written is earlier than the last video tag. */
  behind(): boolean {
    const muxer = this.muxer();
    const audio = muxer?.lastTime('audio');
    const video = muxer?.lastTime('video');
    return audio !== undefined && video !== undefined && audio < video;
  }

  /** Resolves once audio written reaches the last video tag (audioWritten), or after AUDIO_TAIL_MAX_MS. */
  async wait(): Promise<void> {
    if (!this.behind()) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.caughtUp = resolve;
      timer = setTimeout(resolve, AUDIO_TAIL_MAX_MS);
    });
    clearTimeout(timer);
    this.caughtUp = undefined;
  }

  /** An audio tag was written: ends a wait that it completes. */
  audioWritten(): void {
    if (this.caughtUp && !this.behind()) this.caughtUp();
  }
}
