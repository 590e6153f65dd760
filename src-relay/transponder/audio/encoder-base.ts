// Shared by the audio encoders: the sample clock that stamps every frame with the stream-clock time of its
// first input sample, gap filling, and safe error reporting. The FLV flags byte of each codec is flv/tags.ts's.

import { EventEmitter } from 'node:events';
import type { AudioCodec, AudioFrame, PcmChunk } from '../../media.js';
import { PCM_CHANNELS, PCM_RATE } from '../../media.js';
import type { Log } from '../../log.js';

export interface AudioEncoder extends EventEmitter<{ frame: [AudioFrame]; error: [Error] }> {
  readonly codec: AudioCodec;
  /** AAC AudioSpecificConfig once known (FLV AAC sequence header payload); undefined for other codecs. */
  readonly audioSpecificConfig: Buffer | undefined;
  /** FLV SoundFormat/rate/size/type flags byte for this codec (first byte of an FLV AUDIODATA body). */
  readonly flvSoundFlags: number;
  /** Encoder delay already accounted for in emitted frame times (ms). */
  readonly delayMs: number;
  /** 48 kHz interleaved stereo in. Frames come out asynchronously for ffmpeg-based codecs. */
  encode(chunk: PcmChunk): void;
  /** Encodes what is buffered (padding the last frame), emits the last frames, then closes. */
  end(): Promise<void>;
  /** Stops at once; no frame or error is emitted afterwards. */
  close(): void;
}

export interface AudioEncoderOptions {
  /** Bits per second (AAC: default 128000; ignored by G.711 and Speex). */
  bitrate?: number;
  log?: Log;
}

/** Gaps up to this long are filled with silence so frame times stay on the input's clock. */
const MAX_GAP_FILL_MS = 60_000;
/** Jitter below this is not a gap: sample counting already keeps time. */
const GAP_TOLERANCE_MS = 5;

/**
 * Counts input samples from the first chunk's time. A chunk later than expected (a gap in the source) is
 * preceded by silence, sample-accurately; an early or overlapping chunk just continues the count, so frame
 * times never go backwards.
 */
export class PcmClock {
  private startTime: number | undefined;
  private frames = 0;

  get started(): boolean {
    return this.startTime !== undefined;
  }

  /** Sample frames of silence to insert before this chunk (0 when it follows on). */
  gapBefore(time: number): number {
    if (this.startTime === undefined) {
      this.startTime = time;
      return 0;
    }
    const gapMs = time - this.timeAt(this.frames);
    if (gapMs <= GAP_TOLERANCE_MS || gapMs > MAX_GAP_FILL_MS) return 0;
    return Math.round((gapMs * PCM_RATE) / 1000);
  }

  advance(frames: number): void {
    this.frames += frames;
  }

  /** Stream-clock time (ms) of input sample frame `n` (48 kHz) counted from the first chunk. */
  timeAt(n: number): number {
    return (this.startTime ?? 0) + (n * 1000) / PCM_RATE;
  }
}

/** Common plumbing: sample clock, gap filling, safe 'error' emission, closed state. */
export abstract class BaseAudioEncoder extends EventEmitter<{ frame: [AudioFrame]; error: [Error] }> implements AudioEncoder {
  abstract readonly codec: AudioCodec;
  abstract readonly flvSoundFlags: number;
  abstract readonly delayMs: number;
  get audioSpecificConfig(): Buffer | undefined {
    return undefined;
  }
  protected readonly clock = new PcmClock();
  protected closed = false;
  protected ending = false;

  constructor(protected readonly log: Log) {
    super();
  }

  encode(chunk: PcmChunk): void {
    if (this.closed || this.ending) return;
    if (chunk.samples.length % PCM_CHANNELS !== 0) {
      this.fail(new RangeError(`PCM chunk has ${chunk.samples.length} samples, not a multiple of ${PCM_CHANNELS} channels`));
      return;
    }
    const gap = this.clock.gapBefore(chunk.time);
    if (gap > 0) {
      this.log('audio.gap_filled', { codec: this.codec, ms: Math.round((gap * 1000) / PCM_RATE) });
      this.encodePcm(new Int16Array(gap * PCM_CHANNELS));
      this.clock.advance(gap);
    }
    this.encodePcm(chunk.samples);
    this.clock.advance(chunk.samples.length / PCM_CHANNELS);
  }

  abstract end(): Promise<void>;
  abstract close(): void;
  protected abstract encodePcm(samples: Int16Array): void;

  protected emitFrame(frame: AudioFrame): void {
    if (!this.closed) this.emit('frame', frame);
  }

  /** Reports once, then closes; never throws when nobody listens (logged instead). */
  protected fail(error: Error): void {
    if (this.closed) return;
    this.close();
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else this.log('audio.encoder_error', { codec: this.codec, error: error.message });
  }
}
