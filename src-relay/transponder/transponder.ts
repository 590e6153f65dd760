// One RTMP push of a live stream (docs/DESIGN.md §3): connect/publish, metadata, fanned-out audio, reconnect with
// backoff, the audio tail on stop. The states and the backoff are in lifecycle.ts, the stats counters in
// stats.ts, which layer of the stream's video is sent (and changing layers) in layer-follower.ts, when a copy
// becomes the stream's H.264 encode for its keyframes in keyframe-path.ts; which tags
// a connection sends, in which order and with which timestamps, in flv/muxer.ts (one FlvMuxer per
// connection).
import { EventEmitter } from 'node:events';
import { paramsCodec, type AudioCodec, type AudioFrame, type VideoParams, type VideoFrame } from '../media.js';
import type { LiveStream, VideoLayer } from '../streams.js';
import type { Log } from '../log.js';
import type { Sound, TransponderJSON, TransponderOptions, TransponderStatus } from './service.js';
import type { AudioFanout, AudioSubscription, FanoutEncoder } from './audio/fanout.js';
import type { KeyframeScheduler } from './keyframes.js';
import type { RtmpTarget } from '../rtmp/url.js';
import { RtmpPublisher } from '../rtmp/publisher.js';
import { RtmpError } from '../rtmp/errors.js';
import { redactText, redactUrl } from '../redact.js';
import { onMetaData, type FlvMediaTag } from '../flv/tags.js';
import { ENHANCED_FOURCC, FlvMuxer, type StreamTagBodies } from '../flv/muxer.js';
import { backoffDelayMs, canTransition, isFinished } from './lifecycle.js';
import { appVersion } from '../version.js';
import type { AdaptiveTimingConfig } from './adaptive.js';
import { LayerFollower } from './layer-follower.js';
import { TransponderCounters } from './stats.js';
import { AudioTail } from './audio-tail.js';
import type { VideoRoute } from './video-route.js';
import type { H264Transcoder } from './transcode/transcoder.js';
import { KeyframePathWatch, TRANSCODE_SWITCH_HOLD_MS } from './keyframe-path.js';

/** Frame rate announced in onMetaData before one has been measured (Chromium's camera default). */
const DEFAULT_FRAMERATE = 30;
/**
 * Some servers refuse a publish by closing the connection without a status (nginx-rtmp when `on_publish`
 * answers non-2xx, `deny publish`): start() then rejects with CLOSED. Once is a hiccup; this many in a row,
 * with nothing published in between, is a refusal that retrying cannot fix.
 */
const MAX_SILENT_REFUSALS = 3;

export interface TransponderInit {
  mediaSessionId: string;
  stream: LiveStream;
  target: RtmpTarget;
  /** The URL as the caller gave it (echoed in TransponderJSON, redacted in logs). */
  rtmpUrl: string;
  options: TransponderOptions;
  audioCodec: AudioCodec;
  audio: AudioFanout;
  /** The keyframe scheduler of a layer of the stream, shared by the transponders that send it. */
  keyframesOf: (layer: VideoLayer) => KeyframeScheduler;
  /**
   * The stream's frame bodies, shared by its transponders (built once per frame). One cache serves every
   * layer: a layer hands each frame to all its transponders in one synchronous emit, so the last frame's
   * body is all there is to remember.
   */
  bodies: StreamTagBodies;
  /** Timing of options.adaptive (tests shorten the stable period); AdaptiveTiming by default. */
  adaptiveTiming?: Partial<AdaptiveTimingConfig>;
  muted: boolean;
  sound?: { sound: Sound; loop: boolean };
  log: Log;
  /** What the target gets of the video (video-route.ts); H.264 copied when not given. */
  route?: VideoRoute;
  /** The stream's H.264 encode, when the route is a transcode: its output's layer is what is sent. */
  transcoder?: H264Transcoder;
  /** The stream's H.264 encode for a copy whose keyframes come too far apart, or why it cannot run. */
  keyframeTranscoder?: () => H264Transcoder | string;
}

export interface TransponderEvents {
  /** State, mute or sound changed. */
  changed: [];
}

export class Transponder extends EventEmitter<TransponderEvents> {
  readonly mediaSessionId: string;
  readonly stream: LiveStream;
  readonly rtmpUrl: string;
  private statusValue: TransponderStatus = 'CONNECTING';
  private infoValue: string | undefined;
  private attempt = 0;
  private nextRetryAt: number | undefined;
  private reconnects = 0;
  /** Consecutive start() failures where the server closed the connection without saying why. */
  private silentRefusals = 0;
  private publishingSince = 0;
  private publisher: RtmpPublisher | undefined;
  private stopping = false;
  private wakeUp: (() => void) | undefined;
  private mutedValue: boolean;
  private readonly audio: AudioSubscription;
  /** The tags of the current connection; a new one for each connection. */
  private muxer: FlvMuxer | undefined;
  /** Stop's wait for the audio to catch up with the last video tag. */
  private readonly audioTail = new AudioTail(() => this.muxer);
  private readonly counters = new TransponderCounters();
  private readonly video: LayerFollower;
  private readonly onTranscoderFailed = (error: string): void => this.fail(`TRANSCODER: ${error}`);
  private route: VideoRoute;
  private transcoderValue: H264Transcoder | undefined;
  private readonly keyframePath: KeyframePathWatch<H264Transcoder>;
  constructor(private readonly init: TransponderInit) {
    super();
    this.route = init.route ?? { codec: 'h264', path: 'copy' };
    this.transcoderValue = init.transcoder;
    this.keyframePath = new KeyframePathWatch(init.options.maxKeyframeIntervalMs, init.keyframeTranscoder);
    this.mediaSessionId = init.mediaSessionId;
    this.stream = init.stream;
    this.rtmpUrl = init.rtmpUrl;
    this.mutedValue = init.muted;
    this.video = new LayerFollower(init.transcoder?.output ?? init.stream, init.options, init.adaptiveTiming, {
      video: (frame, params) => this.sendVideo(frame, params),
      switching: (next) => this.publisher?.writeMetadata(this.metadata(next.params)),
      arrived: () => this.counters.frameArrived(),
      changed: () => this.emit('changed'),
      publishing: () => this.statusValue === 'PUBLISHING' && this.publisher !== undefined,
      videoSent: () => this.muxer?.lastTime('video') !== undefined,
      finished: () => this.stopping || isFinished(this.statusValue),
      keyframesOf: init.keyframesOf,
      log: init.log,
      mediaSessionId: init.mediaSessionId,
    });
    this.audio = init.audio.subscribe(init.audioCodec, init.muted, {
      frame: (frame, encoder) => this.sendAudio(frame, encoder),
      soundEnded: () => this.emit('changed'),
    });
    if (init.sound) this.audio.playSound(init.sound.sound.samples, init.sound.loop);
    init.transcoder?.on('failed', this.onTranscoderFailed);
  }

  get status(): TransponderStatus {
    return this.statusValue;
  }

  get muted(): boolean {
    return this.mutedValue;
  }

  /** The stream whose layers are sent: the source, or its H.264 transcoder's output. */
  get videoStream(): LiveStream {
    return this.transcoderValue?.output ?? this.stream;
  }

  /** The stream's H.264 transcoder this transponder uses, if any. */
  get transcoder(): H264Transcoder | undefined {
    return this.transcoderValue;
  }

  /** The transponder sends this layer's frames, or waits for its keyframe to change to it. */
  uses(layer: VideoLayer): boolean {
    return this.video.uses(layer);
  }

  /** Begins connecting; the outcome shows in `status` and 'changed' events. */
  start(): void {
    if (this.transcoderValue?.error) return this.fail(`TRANSCODER: ${this.transcoderValue.error}`);
    this.run().catch((error: unknown) => {
      this.init.log('transponder.crash', { mediaSessionId: this.mediaSessionId, error: String(error) });
      this.fail(`internal error: ${(error as Error).message}`);
    });
  }

  /** Ends the push: FCUnpublish/deleteStream when publishing, at once otherwise. Idempotent. */
  async stop(reason: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.wakeUp?.();
    if (this.statusValue === 'PUBLISHING') await this.audioTail.wait();
    this.detach();
    const publisher = this.publisher;
    this.publisher = undefined;
    if (publisher && this.statusValue === 'PUBLISHING') await publisher.stop().catch(() => publisher.destroy());
    else publisher?.destroy();
    this.setStatus('STOPPED', reason);
  }

  setMuted(muted: boolean): void {
    if (muted === this.mutedValue) return;
    this.mutedValue = muted;
    this.audio.setMuted(muted);
    this.emit('changed');
  }

  playSound(sound: Sound, loop: boolean): void {
    this.audio.playSound(sound.samples, loop);
    this.emit('changed');
  }

  stopSound(): void {
    this.audio.stopSound();
    this.emit('changed');
  }

  /** Called once a second by the manager: bitrate and fps over the last window. */
  sampleStats(now: number = Date.now()): void {
    this.counters.sample(this.publisher, now);
    const publisher = this.publisher;
    this.video.sample(publisher ? { now, queuedMs: publisher.queuedMs, droppedFrames: this.counters.droppedFrames(publisher) } : undefined);
    this.checkKeyframes();
  }

  toJSON(): TransponderJSON {
    const layer = this.video.current;
    const params = layer ? layer.params : this.stream.params;
    const publishing = this.statusValue === 'PUBLISHING';
    return {
      mediaSessionId: this.mediaSessionId,
      streamName: this.init.target.streamName,
      sourceStreamName: this.stream.name,
      rtmpUrl: this.rtmpUrl,
      width: params?.width ?? 0,
      height: params?.height ?? 0,
      muted: this.mutedValue,
      soundEnabled: this.audio.soundEnabled,
      options: this.init.options,
      status: this.statusValue,
      ...(this.infoValue === undefined ? {} : { info: this.infoValue }),
      stats: {
        ...this.counters.rate(publishing),
        droppedFrames: this.counters.droppedFrames(this.publisher),
        uptimeMs: publishing ? Date.now() - this.publishingSince : 0,
        reconnects: this.reconnects,
        ...(this.statusValue === 'RECONNECTING' ? { attempt: this.attempt, nextRetryAt: this.nextRetryAt } : {}),
        queuedMs: this.publisher?.queuedMs ?? 0,
      },
      ...this.video.toJSON(),
      videoCodec: this.route.codec,
      videoPath: this.route.path,
      ...(this.route.reason === undefined ? {} : { videoPathReason: this.route.reason }),
      ...this.keyframePath.toJSON(this.stream, this.stream.layers.find((l) => this.video.uses(l)) ?? this.stream.layers[0]),
    };
  }

  /**
   * A copy of H.264 whose keyframes come further apart than the target takes, from a publisher that ignores
   * keyframe requests, changes to the stream's H.264 encode (keyframe-path.ts) at the encode's next keyframe,
   * on the same connection (a new AVC sequence header goes out with it). It stays there until it stops.
   */
  private checkKeyframes(): void {
    if (this.route.path !== 'copy' || this.route.codec !== 'h264' || this.stopping || isFinished(this.statusValue)) return;
    const change = this.keyframePath.check(this.stream, this.video.current);
    if (!change) return;
    if ('problem' in change) {
      this.init.log('transponder.video_path_problem', { mediaSessionId: this.mediaSessionId, problem: change.problem });
    } else {
      this.transcoderValue = change.transcoder;
      change.transcoder.on('failed', this.onTranscoderFailed);
      this.route = { codec: 'h264', path: 'transcode', reason: change.reason };
      this.video.redirect(change.transcoder.output, TRANSCODE_SWITCH_HOLD_MS);
      this.init.log('transponder.video_path', { mediaSessionId: this.mediaSessionId, videoPath: 'transcode', reason: change.reason });
    }
    this.emit('changed');
  }

  // ---- connection loop -------------------------------------------------------------------------------

  private async run(): Promise<void> {
    while (!this.stopping) {
      const error = await this.connectAndPublish();
      if (this.stopping || isFinished(this.statusValue)) return;
      if (error instanceof RtmpError && !error.retryable) {
        this.fail(`${error.code}: ${this.redact(error.message)}`);
        return;
      }
      if (this.silentRefusals >= MAX_SILENT_REFUSALS) {
        this.fail(`REFUSED: the server closed the connection before publishing started ${this.silentRefusals} times in a row (stream key or name refused?)`);
        return;
      }
      this.attempt += 1;
      const delay = backoffDelayMs(this.attempt);
      this.nextRetryAt = Date.now() + delay;
      this.setStatus('RECONNECTING', error ? `${errorCode(error)}: ${this.redact(error.message)}` : 'connection closed');
      this.init.log('transponder.retry', { mediaSessionId: this.mediaSessionId, attempt: this.attempt, delayMs: delay });
      await this.sleep(delay);
    }
  }

  /** One connection: resolves with why it ended (undefined: closed without an error). */
  private async connectAndPublish(): Promise<Error | undefined> {
    const publisher = new RtmpPublisher(this.init.target, { log: this.init.log, mediaSessionId: this.mediaSessionId });
    this.publisher = publisher;
    const closed = new Promise<Error | undefined>((resolve) => publisher.once('close', resolve));
    try {
      await publisher.start();
    } catch (error) {
      this.retire(publisher);
      if (error instanceof RtmpError && error.code === 'CLOSED' && !this.stopping) this.silentRefusals += 1;
      else this.silentRefusals = 0;
      return error instanceof Error ? error : new Error(String(error));
    }
    this.silentRefusals = 0;
    if (this.stopping) return undefined;
    publisher.on('congestion', () => this.video.requestKeyframe(true));
    this.beginPublishing(publisher);
    const error = await closed;
    this.retire(publisher);
    return error;
  }

  private beginPublishing(publisher: RtmpPublisher): void {
    if (this.attempt > 0) this.reconnects += 1;
    this.attempt = 0;
    this.nextRetryAt = undefined;
    this.publishingSince = Date.now();
    this.muxer = new FlvMuxer(this.init.bodies);
    this.video.connectionStarted();
    publisher.writeMetadata(this.metadata(this.video.current?.params));
    this.setStatus('PUBLISHING', undefined);
    this.video.requestKeyframe();
    this.init.log('transponder.publishing', {
      mediaSessionId: this.mediaSessionId,
      url: redactUrl(this.rtmpUrl),
      reconnects: this.reconnects,
    });
  }

  /** Folds a finished publisher's counters into the totals and closes it. */
  private retire(publisher: RtmpPublisher): void {
    if (this.publisher !== publisher) return;
    this.counters.retire(publisher);
    this.publisher = undefined;
    publisher.destroy();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private fail(info: string): void {
    this.detach();
    this.publisher?.destroy();
    this.publisher = undefined;
    this.init.log('transponder.failed', { mediaSessionId: this.mediaSessionId, url: redactUrl(this.rtmpUrl), info });
    this.setStatus('FAILED', info);
  }

  private detach(): void {
    this.transcoderValue?.off('failed', this.onTranscoderFailed);
    this.video.close();
    this.audio.close();
  }

  private setStatus(status: TransponderStatus, info: string | undefined): void {
    if (status !== this.statusValue && !canTransition(this.statusValue, status)) return;
    this.statusValue = status;
    this.infoValue = info;
    this.emit('changed');
  }

  private redact(text: string): string {
    return redactText(text, [this.init.target.streamName]);
  }

  // ---- media -------------------------------------------------------------------------------------------

  private metadata(params: VideoParams | undefined): ReturnType<typeof onMetaData> {
    const codec = params ? paramsCodec(params) : 'h264';
    return onMetaData({
      width: params?.width,
      height: params?.height,
      ...(codec === 'av1' || codec === 'vp9' ? { videoFourCc: ENHANCED_FOURCC[codec] } : {}),
      framerate: this.counters.streamFps > 0 ? Math.round(this.counters.streamFps) : DEFAULT_FRAMERATE,
      audioCodec: this.init.audioCodec,
      version: appVersion(),
    });
  }

  /** A picture of the layer sent, written when publishing; false when not written. */
  private sendVideo(frame: VideoFrame, params: VideoParams | undefined): boolean {
    const publisher = this.publisher;
    if (!publisher || !this.muxer || this.statusValue !== 'PUBLISHING' || this.stopping) return false;
    this.write(publisher, this.muxer.processInput({ kind: 'video', frame, params }));
    return true;
  }

  private sendAudio(frame: AudioFrame, encoder: FanoutEncoder): void {
    const publisher = this.publisher;
    if (!publisher || !this.muxer || this.statusValue !== 'PUBLISHING') return;
    this.write(publisher, this.muxer.processInput({ kind: 'audio', frame, audioSpecificConfig: encoder.audioSpecificConfig }));
    this.audioTail.audioWritten();
  }

  private write(publisher: RtmpPublisher, tags: FlvMediaTag[]): void {
    for (const tag of tags) {
      publisher.writeTag(tag);
      if (tag.kind === 'video' && !tag.sequenceHeader) this.counters.frameSent();
    }
  }
}

function errorCode(error: Error): string {
  return error instanceof RtmpError ? error.code : error.name;
}
