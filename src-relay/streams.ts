// Registry of published streams: a name maps to one live media source that fans out to any number of
// consumers (transponders). Ingest (WebRTC, WHIP, a file) publishes into it; transponders subscribe.
import { EventEmitter } from 'node:events';
import type { H264Params, PcmChunk, VideoFrame } from './media.js';

/** Events of a live stream. Every timestamp is in milliseconds on the stream's one clock. */
export interface LiveStreamEvents {
  /** A video access unit, in decode order. */
  video: [frame: VideoFrame];
  /** Decoded audio, 48 kHz stereo s16, contiguous unless the publisher stalled. */
  pcm: [chunk: PcmChunk];
  /** New SPS/PPS (first ones, or a resolution change). */
  params: [params: H264Params];
  /** The publisher is gone; no more events follow. */
  end: [reason: string];
}

/** What ingest provides to the registry for a published stream. */
export interface StreamSource {
  /** Ask the publisher for a keyframe (RTCP PLI, FIR if PLI is not honoured). */
  requestKeyframe(): void;
  /** Stop receiving (the stream is being unpublished by us). */
  close(reason: string): void;
  /** Publisher description for logs and the UI, e.g. "whip 127.0.0.1:53211". */
  readonly description: string;
}

export class LiveStream extends EventEmitter<LiveStreamEvents> {
  /** Current video parameters, undefined until the first SPS/PPS arrive. */
  params: H264Params | undefined;
  /** True when the publisher sends audio. */
  hasAudio = false;
  ended = false;
  readonly startedAt = Date.now();

  constructor(
    readonly name: string,
    private readonly source: StreamSource,
  ) {
    super();
    this.setMaxListeners(0);
  }

  get description(): string {
    return this.source.description;
  }

  requestKeyframe(): void {
    if (!this.ended) this.source.requestKeyframe();
  }

  /** Ingest side: a new picture. */
  pushVideo(frame: VideoFrame): void {
    if (!this.ended) this.emit('video', frame);
  }

  /** Ingest side: new parameter sets. Emitted only when they differ from the current ones. */
  pushParams(params: H264Params): void {
    if (this.ended) return;
    const old = this.params;
    if (old && old.sps.equals(params.sps) && old.pps.equals(params.pps)) return;
    this.params = params;
    this.emit('params', params);
  }

  /** Ingest side: decoded audio. */
  pushPcm(chunk: PcmChunk): void {
    if (this.ended) return;
    this.hasAudio = true;
    this.emit('pcm', chunk);
  }

  /** Either side: the stream is over. Idempotent. */
  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.source.close(reason);
    this.emit('end', reason);
  }
}

export interface StreamRegistryEvents {
  published: [stream: LiveStream];
  unpublished: [stream: LiveStream, reason: string];
}

export class StreamNameInUseError extends Error {
  constructor(readonly streamName: string) {
    super(`stream "${streamName}" is already being published`);
  }
}

export class StreamRegistry extends EventEmitter<StreamRegistryEvents> {
  private readonly byName = new Map<string, LiveStream>();

  /** Registers a new stream; throws StreamNameInUseError if the name is taken. */
  publish(name: string, source: StreamSource): LiveStream {
    if (this.byName.has(name)) throw new StreamNameInUseError(name);
    const stream = new LiveStream(name, source);
    this.byName.set(name, stream);
    stream.once('end', (reason) => {
      if (this.byName.get(name) === stream) this.byName.delete(name);
      this.emit('unpublished', stream, reason);
    });
    this.emit('published', stream);
    return stream;
  }

  get(name: string): LiveStream | undefined {
    return this.byName.get(name);
  }

  list(): LiveStream[] {
    return [...this.byName.values()];
  }

  /** Ends every stream (host shutdown). */
  endAll(reason: string): void {
    for (const stream of this.list()) stream.end(reason);
  }
}
