// One local recording: a stream's video frames and its AAC audio, through the same FlvMuxer rules a
// transponder's connection follows (flv/muxer.ts: sequence header and keyframe first, the AAC header once,
// timestamps from 0 at the first keyframe), written to an FLV file as they come (flv-file-writer.ts). The
// frames and the audio come from the stream's shared parts (the manager's recordingSource): the frame bodies
// built once for every target, and the audio fan-out, so a recording beside an AAC target costs no second
// encoder. Stopping lets the audio catch up with the last picture, as a transponder's stop does.
import type { AudioFrame, VideoParams, VideoFrame } from '../media.js';
import type { LiveStream } from '../streams.js';
import type { Log } from '../log.js';
import type { AudioFanout, AudioSubscription, FanoutEncoder } from '../transponder/audio/fanout.js';
import type { KeyframeScheduler } from '../transponder/keyframes.js';
import { FlvMuxer, type StreamTagBodies } from '../flv/muxer.js';
import { TagType, type FlvMediaTag } from '../flv/tags.js';
import { AudioTail } from '../transponder/audio-tail.js';
import type { FlvFileWriter } from './flv-file-writer.js';

/** The pictures a recording takes: the stream's, or the video a transponder sends. */
export interface RecordedVideo {
  readonly params: VideoParams | undefined;
  on(event: 'video', listener: (frame: VideoFrame) => void): unknown;
  off(event: 'video', listener: (frame: VideoFrame) => void): unknown;
}

/** What a recording follows, as the manager hands it out (TransponderManager.recordingSource). */
export interface RecordingSource {
  stream: LiveStream;
  video: RecordedVideo;
  audio: AudioFanout;
  keyframes: KeyframeScheduler;
  bodies: StreamTagBodies;
  /** The mirrored transponder's mute state when the recording starts (false for a stream). */
  muted: boolean;
  /** Lets the stream's shared parts go once nothing else uses them. Idempotent. */
  release(): void;
}


export class Recorder {
  private readonly muxer: FlvMuxer;
  private readonly audio: AudioSubscription;
  private stopping = false;
  /** Set once the audio tail is over: later frames (the fan-out's grace) are not written. */
  private audioDone = false;
  private stopped: Promise<void> | undefined;
  /** Stop's wait for the audio to catch up with the last picture, as a transponder's stop. */
  private readonly audioTail = new AudioTail(() => this.muxer);
  private readonly lastFileTime: Record<FlvMediaTag['kind'], number | undefined> = { video: undefined, audio: undefined };
  private readonly onVideo = (frame: VideoFrame): void => this.video(frame);

  constructor(
    private readonly source: RecordingSource,
    private readonly writer: FlvFileWriter,
    private readonly log: Log,
    private readonly recordingId: string,
  ) {
    this.muxer = new FlvMuxer(source.bodies);
    source.video.on('video', this.onVideo);
    // Always AAC: what MP4 players expect, whatever codec the mirrored transponder sends.
    this.audio = source.audio.subscribe('aac', source.muted, {
      frame: (frame, encoder) => this.audioFrame(frame, encoder),
      soundEnded: () => undefined,
    });
    source.keyframes.request();
  }

  /** Media time recorded so far: the later track's last tag in the file (0 before the first keyframe). */
  get durationMs(): number {
    return Math.max(this.lastFileTime.video ?? 0, this.lastFileTime.audio ?? 0);
  }

  get bytes(): number {
    return this.writer.bytes;
  }

  setMuted(muted: boolean): void {
    this.audio.setMuted(muted);
  }

  /** Stops taking pictures, lets the audio reach the last one (bounded), closes the file. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= this.finish();
    return this.stopped;
  }

  private async finish(): Promise<void> {
    this.stopping = true;
    this.source.video.off('video', this.onVideo);
    await this.audioTail.wait();
    this.audioDone = true;
    this.audio.close();
    await this.writer.close();
    this.source.release();
  }

  private video(frame: VideoFrame): void {
    if (this.stopping) return;
    this.write(this.muxer.processInput({ kind: 'video', frame, params: this.source.video.params }));
  }

  private audioFrame(frame: AudioFrame, encoder: FanoutEncoder): void {
    if (this.audioDone) return;
    this.write(this.muxer.processInput({ kind: 'audio', frame, audioSpecificConfig: encoder.audioSpecificConfig }));
    this.audioTail.audioWritten();
  }

  /**
   * The tag's time in the file: an MP4 needs strictly increasing decode times per track, while the muxer's
   * clock only promises non-decreasing milliseconds (two pictures 1 ms apart round to the same value when
   * the stream clock steers video), so a frame that would repeat its track's last time goes 1 ms later.
   */
  private fileTime(tag: FlvMediaTag): number {
    const last = this.lastFileTime[tag.kind];
    // A sequence header shares its keyframe's time and is no frame: it never moves the track's clock.
    if (tag.sequenceHeader) return Math.max(tag.time, last ?? 0);
    const time = last !== undefined && tag.time <= last ? last + 1 : tag.time;
    this.lastFileTime[tag.kind] = time;
    return time;
  }


  private write(tags: FlvMediaTag[]): void {
    for (const tag of tags) {
      try {
        this.writer.writeTag({ type: tag.kind === 'video' ? TagType.video : TagType.audio, timestamp: this.fileTime(tag), body: tag.body });
      } catch (error) {
        this.log('recording.tag_error', { recordingId: this.recordingId, error: (error as Error).message });
      }
    }
  }
}
