// One H.264 transcoder per stream (transcoder.ts), shared by every target of that stream that needs it (H.264
// from a VP8, VP9 or AV1 publisher, or keyframes more often than an H.264 publisher that ignores requests
// makes them: keyframe-path.ts): started by the first such target, stopped with the last, or when the stream
// ends (or it fails). However many targets, the stream is decoded and encoded once.
import type { LiveStream } from '../../streams.js';
import { H264Transcoder, type TranscoderOptions } from './transcoder.js';

interface Entry {
  transcoder: H264Transcoder;
  users: number;
}

export class TranscoderHub {
  private readonly byStream = new Map<LiveStream, Entry>();

  /** `options` apply when this call starts the transcoder (the first target's bitrate); later users share it. */
  acquire(stream: LiveStream, options: () => TranscoderOptions): H264Transcoder {
    let entry = this.byStream.get(stream);
    if (!entry || entry.transcoder.output.ended) {
      const transcoder = new H264Transcoder(stream, options());
      entry = { transcoder, users: 0 };
      const created = entry;
      this.byStream.set(stream, entry);
      transcoder.output.once('end', () => {
        if (this.byStream.get(stream) === created) this.byStream.delete(stream);
      });
      // A failed transcoder fails its targets (they listen for it) and is let go: a target started later
      // gets a new one.
      transcoder.once('failed', () => {
        if (this.byStream.get(stream) === created) this.byStream.delete(stream);
        setImmediate(() => transcoder.close('the transcoder failed'));
      });
    }
    entry.users++;
    return entry.transcoder;
  }

  release(stream: LiveStream, transcoder: H264Transcoder): void {
    const entry = this.byStream.get(stream);
    if (!entry || entry.transcoder !== transcoder) return;
    entry.users--;
    if (entry.users > 0) return;
    this.byStream.delete(stream);
    transcoder.close('no target needs H.264 from this stream any more');
  }

  /** The running transcoder of a stream, if any (for stats). */
  of(stream: LiveStream): H264Transcoder | undefined {
    return this.byStream.get(stream)?.transcoder;
  }

  get size(): number {
    return this.byStream.size;
  }
}
