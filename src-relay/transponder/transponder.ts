// One RTMP push of a live stream (DESIGN.md §3): connect/publish, metadata, fanned-out audio, reconnect with
// backoff, the audio tail on stop. The states and the backoff are in lifecycle.ts, the stats counters in
// stats.ts; which tags a connection sends, in which order and with which timestamps, in flv/muxer.ts (one
// FlvMuxer per connection).
//
// Video comes from one layer of the stream (streams.ts VideoLayer): the one options.quality / maxBitrateKbps /
// maxHeight choose (layers.ts), and with options.adaptive as many layers lower as congestion asks
// (adaptive.ts). A change of layer waits for a keyframe of the new one, asked for at once: until it comes
// the old layer goes on, so the picture never breaks; that keyframe goes out after an onMetaData with the new
// size and a new AVC sequence header (the muxer sends one whenever the SPS/PPS differ), on the same clock.
import { EventEmitter } from 'node:events';
import type { AudioCodec, AudioFrame, H264Params, VideoFrame } from '../media.js';
import type { LiveStream, VideoLayer } from '../streams.js';
import type { Log } from '../log.js';
import type { Sound, TransponderJSON, TransponderOptions, TransponderStatus } from './service.js';
import type { TransponderAdaptive, TransponderLayer } from '../../src-contract/transponder.js';
import type { AudioFanout, AudioSubscription, FanoutEncoder } from './audio/fanout.js';
import type { KeyframeScheduler } from './keyframes.js';
import type { RtmpTarget } from '../rtmp/url.js';
import { RtmpPublisher } from '../rtmp/publisher.js';
import { RtmpError } from '../rtmp/errors.js';
import { redactText, redactUrl } from '../redact.js';
import { onMetaData, type FlvMediaTag } from '../flv/tags.js';
import { FlvMuxer, type StreamTagBodies } from '../flv/muxer.js';
import { backoffDelayMs, canTransition, isFinished } from './lifecycle.js';
import { appVersion } from '../version.js';
import { chooseLayer, lowestLayer } from './layers.js';
import { AdaptivePolicy, type AdaptiveTimingConfig } from './adaptive.js';
import { TransponderCounters } from './stats.js';

/** Frame rate announced in onMetaData before one has been measured (Chromium's camera default). */
const DEFAULT_FRAMERATE = 30;
/**
 * Some servers refuse a publish by closing the connection without a status (nginx-rtmp when `on_publish`
 * answers non-2xx, `deny publish`): start() then rejects with CLOSED. Once is a hiccup; this many in a row,
 * with nothing published in between, is a refusal that retrying cannot fix.
 */
const MAX_SILENT_REFUSALS = 3;
/**
 * How long stop() lets the audio catch up with the last video tag before unpublishing. Audio lags video by
 * the encoder's delay (ffmpeg's AAC pipe ~30 ms, a 1024-sample frame, the publisher's 40 ms coalescing), so
 * without this tail a recording ended with ~0.1 s of video that has no sound.
 */
const AUDIO_TAIL_MAX_MS = 300;

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
  /** Resolved by sendAudio() once the audio has caught up with the video (stop's audio tail). */
  private audioCaughtUp: (() => void) | undefined;
  private readonly counters = new TransponderCounters();
  /** The layer whose frames are sent; undefined until the stream has one. */
  private layer: VideoLayer | undefined;
  /** The layer to change to at its next keyframe. */
  private pending: VideoLayer | undefined;
  /** options.adaptive: how many layers below the chosen one congestion has taken it. */
  private stepsDown = 0;
  private readonly policy: AdaptivePolicy | undefined;
  private lastStep: Pick<TransponderAdaptive, 'stepped' | 'reason'> = {};
  /** Stream time of the last picture handed to the muxer. */
  private lastVideoDts: number | undefined;
  /** While a change of layer is pending: the old layer's last picture, not sent yet (layerVideo). */
  private held: VideoFrame | undefined;

  private readonly onVideo = (frame: VideoFrame): void => this.layerVideo(frame);
  private readonly onPendingVideo = (frame: VideoFrame): void => this.pendingVideo(frame);
  private readonly onParams = (): void => {
    this.emit('changed');
  };
  /** Layers whose parameter sets are watched: a size that becomes known may change the choice. */
  private readonly watched = new Set<VideoLayer>();
  private readonly onLayers = (): void => {
    for (const layer of this.stream.layers) {
      if (this.watched.has(layer)) continue;
      this.watched.add(layer);
      layer.on('params', this.onLayerParams);
    }
    this.chooseLayer();
  };
  private readonly onLayerParams = (): void => this.chooseLayer();

  constructor(private readonly init: TransponderInit) {
    super();
    this.mediaSessionId = init.mediaSessionId;
    this.stream = init.stream;
    this.rtmpUrl = init.rtmpUrl;
    this.mutedValue = init.muted;
    this.policy = init.options.adaptive ? new AdaptivePolicy(init.adaptiveTiming) : undefined;
    this.stream.on('layers', this.onLayers);
    this.onLayers();
    this.audio = init.audio.subscribe(init.audioCodec, init.muted, {
      frame: (frame, encoder) => this.sendAudio(frame, encoder),
      soundEnded: () => this.emit('changed'),
    });
    if (init.sound) this.audio.playSound(init.sound.sound.samples, init.sound.loop);
  }

  get status(): TransponderStatus {
    return this.statusValue;
  }

  get muted(): boolean {
    return this.mutedValue;
  }

  /** The transponder sends this layer's frames, or waits for its keyframe to change to it. */
  uses(layer: VideoLayer): boolean {
    return layer === this.layer || layer === this.pending;
  }

  /** Begins connecting; the outcome shows in `status` and 'changed' events. */
  start(): void {
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
    if (this.statusValue === 'PUBLISHING') await this.audioTail();
    this.detach();
    const publisher = this.publisher;
    this.publisher = undefined;
    if (publisher && this.statusValue === 'PUBLISHING') await publisher.stop().catch(() => publisher.destroy());
    else publisher?.destroy();
    this.setStatus('STOPPED', reason);
  }

  /** While stopping: video is no longer sent; wait (bounded) until the audio sent reaches the last video tag. */
  private async audioTail(): Promise<void> {
    if (!this.audioBehindVideo()) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.audioCaughtUp = resolve;
      timer = setTimeout(resolve, AUDIO_TAIL_MAX_MS);
    });
    clearTimeout(timer);
    this.audioCaughtUp = undefined;
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
    this.adapt(now);
    // A bitrate limit follows the layers' measured bitrates.
    if (this.init.options.maxBitrateKbps !== undefined) this.chooseLayer();
  }

  toJSON(): TransponderJSON {
    const layer = this.layer;
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
      ...(layer ? { layer: layerJSON(layer) } : {}),
      ...(this.policy ? { adaptive: { ...this.lastStep, stepsDown: this.stepsDown } } : {}),
    };
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
    publisher.on('congestion', () => {
      if (this.layer) this.init.keyframesOf(this.layer).requestAfterCongestion();
    });
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
    // A change of layer that waited for a keyframe is made now: the new connection starts with one anyway.
    if (this.pending) this.setLayer(this.pending);
    publisher.writeMetadata(this.metadata(this.layer?.params));
    this.setStatus('PUBLISHING', undefined);
    if (this.layer) this.init.keyframesOf(this.layer).request();
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
    this.stream.off('layers', this.onLayers);
    for (const layer of this.watched) layer.off('params', this.onLayerParams);
    this.watched.clear();
    this.layer?.off('video', this.onVideo);
    this.layer?.off('params', this.onParams);
    this.pending?.off('video', this.onPendingVideo);
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

  private metadata(params: H264Params | undefined): ReturnType<typeof onMetaData> {
    return onMetaData({
      width: params?.width,
      height: params?.height,
      framerate: this.counters.streamFps > 0 ? Math.round(this.counters.streamFps) : DEFAULT_FRAMERATE,
      audioCodec: this.init.audioCodec,
      version: appVersion(),
    });
  }

  /**
   * A picture of the layer sent. While a change of layer waits for the new layer's keyframe, each picture
   * is held until the next one comes: the keyframe replaces a held picture of the same instant (layers share
   * the capture clock), so the target never gets two pictures for one moment.
   */
  private layerVideo(frame: VideoFrame): void {
    this.counters.frameArrived();
    if (!this.pending) {
      this.sendVideo(frame);
      return;
    }
    const held = this.held;
    this.held = frame;
    if (held) this.sendVideo(held);
  }

  private sendHeld(): void {
    const held = this.held;
    this.held = undefined;
    if (held) this.sendVideo(held);
  }

  private sendVideo(frame: VideoFrame): void {
    const publisher = this.publisher;
    if (!publisher || !this.muxer || this.statusValue !== 'PUBLISHING' || this.stopping) return;
    this.write(publisher, this.muxer.processInput({ kind: 'video', frame, params: this.layer?.params }));
    this.lastVideoDts = frame.dts;
  }

  // ---- layers ------------------------------------------------------------------------------------------

  /** Picks the layer to send from the stream's layers, the options and the adaptive steps; changes to it. */
  private chooseLayer(): void {
    if (this.stopping || isFinished(this.statusValue)) return;
    const layers = this.stream.layers;
    const current = this.layer ? layers.indexOf(this.layer) : -1;
    const chosen = chooseLayer(layers, this.init.options, current >= 0 ? current : undefined);
    if (chosen < 0) return;
    const lowest = lowestLayer(layers);
    this.stepsDown = Math.min(this.stepsDown, lowest - chosen);
    this.changeTo(layers[chosen + this.stepsDown]!);
  }

  /**
   * Sends `next` from now on: at once when nothing of the current layer was sent on this connection yet,
   * otherwise from `next`'s next keyframe (asked for now).
   */
  private changeTo(next: VideoLayer): void {
    if (next === this.layer) {
      this.pending?.off('video', this.onPendingVideo);
      this.pending = undefined;
      this.sendHeld();
      return;
    }
    if (next === this.pending) return;
    const publishing = this.statusValue === 'PUBLISHING' && this.publisher !== undefined;
    if (!this.layer || !publishing || this.muxer?.lastTime('video') === undefined) {
      this.setLayer(next);
      if (publishing) this.init.keyframesOf(next).request();
      return;
    }
    this.pending?.off('video', this.onPendingVideo);
    this.pending = next;
    next.on('video', this.onPendingVideo);
    this.init.keyframesOf(next).request();
    this.init.log('transponder.layer_pending', { mediaSessionId: this.mediaSessionId, from: describeLayer(this.layer), to: describeLayer(next) });
  }

  /** A frame of the layer to change to: its first keyframe (with parameter sets) makes the change. */
  private pendingVideo(frame: VideoFrame): void {
    const next = this.pending;
    if (!next || !frame.keyframe || !next.params) return;
    const from = this.layer;
    if (this.held && this.held.dts < frame.dts) this.sendHeld();
    this.held = undefined;
    this.setLayer(next);
    // Servers and players that read the size from the metadata see the new one; the sequence header follows
    // with the keyframe (the muxer sends one because the SPS/PPS differ).
    if (this.publisher && this.statusValue === 'PUBLISHING') this.publisher.writeMetadata(this.metadata(next.params));
    this.init.log('transponder.layer', { mediaSessionId: this.mediaSessionId, from: from && describeLayer(from), to: describeLayer(next) });
    // Should a picture of the old layer at this instant or later have gone out, the keyframe still comes
    // after it: a track's timestamps only grow.
    const last = this.lastVideoDts;
    this.sendVideo(last !== undefined && frame.dts <= last ? { ...frame, dts: last + 1 } : frame);
  }

  private setLayer(next: VideoLayer): void {
    this.pending?.off('video', this.onPendingVideo);
    this.pending = undefined;
    this.held = undefined;
    this.layer?.off('video', this.onVideo);
    this.layer?.off('params', this.onParams);
    this.layer = next;
    next.on('video', this.onVideo);
    next.on('params', this.onParams);
    this.emit('changed');
  }

  /** options.adaptive: one sample of the send queue; a step changes the layer. */
  private adapt(now: number): void {
    const publisher = this.publisher;
    if (!this.policy || !publisher || this.statusValue !== 'PUBLISHING' || !this.layer) return;
    const layers = this.stream.layers;
    const index = layers.indexOf(this.pending ?? this.layer);
    const step = this.policy.processInput({
      now,
      queuedMs: publisher.queuedMs,
      droppedFrames: this.counters.droppedFrames(publisher),
      canStepDown: index >= 0 && index < lowestLayer(layers),
      canStepUp: this.stepsDown > 0,
    });
    if (!step) return;
    this.stepsDown += step === 'down' ? 1 : -1;
    this.lastStep = step === 'down' ? { stepped: 'down', reason: 'congestion' } : { stepped: 'up', reason: 'stable' };
    this.init.log('transponder.adaptive_step', { mediaSessionId: this.mediaSessionId, step, stepsDown: this.stepsDown, queuedMs: publisher.queuedMs });
    this.chooseLayer();
    this.emit('changed');
  }

  private sendAudio(frame: AudioFrame, encoder: FanoutEncoder): void {
    const publisher = this.publisher;
    if (!publisher || !this.muxer || this.statusValue !== 'PUBLISHING') return;
    this.write(publisher, this.muxer.processInput({ kind: 'audio', frame, audioSpecificConfig: encoder.audioSpecificConfig }));
    if (this.audioCaughtUp && !this.audioBehindVideo()) this.audioCaughtUp();
  }

  /** The last audio tag sent is earlier than the last video tag (what stop's audio tail waits out). */
  private audioBehindVideo(): boolean {
    const audio = this.muxer?.lastTime('audio');
    const video = this.muxer?.lastTime('video');
    return audio !== undefined && video !== undefined && audio < video;
  }

  private write(publisher: RtmpPublisher, tags: FlvMediaTag[]): void {
    for (const tag of tags) {
      publisher.writeTag(tag);
      if (tag.kind === 'video' && !tag.sequenceHeader) this.counters.frameSent();
    }
  }
}

function layerJSON(layer: VideoLayer): TransponderLayer {
  return { ...(layer.rid === undefined ? {} : { rid: layer.rid }), width: layer.width, height: layer.height, bitrateKbps: layer.bitrateKbps };
}

/** For logs: "h 1280x720". */
function describeLayer(layer: VideoLayer): string {
  return `${layer.rid ?? 'single'} ${layer.width}x${layer.height}`;
}

function errorCode(error: Error): string {
  return error instanceof RtmpError ? error.code : error.name;
}
