// Which layer of the stream a transponder sends, and the change from one layer to another (streams.ts
// VideoLayer). The choice is options.quality / maxBitrateKbps / maxHeight (layers.ts), lowered by as many
// layers as options.adaptive's congestion steps say (adaptive.ts). A change of layer waits for a keyframe
// of the new one, asked for at once: until it comes the old layer goes on, so the picture never breaks; that
// keyframe goes out after an onMetaData with the new size and a new AVC sequence header (the muxer sends one
// whenever the SPS/PPS differ), on the same clock. The same change takes a transponder from the publisher's
// layer to the one layer of the stream's H.264 encode (redirect): that keyframe comes later than the
// picture it encodes, so the old layer's pictures are held back up to holdMs meanwhile, and those at or after
// the keyframe's instant are dropped, not sent twice.
import type { VideoParams, VideoFrame } from '../media.js';
import type { LiveStream, VideoLayer } from '../streams.js';
import type { Log } from '../log.js';
import type { TransponderOptions } from './service.js';
import type { TransponderAdaptive, TransponderLayer } from '../../src-contract/transponder.js';
import type { KeyframeScheduler } from './keyframes.js';
import { chooseLayer, lowestLayer } from './layers.js';
import { AdaptivePolicy, type AdaptiveTimingConfig } from './adaptive.js';

/** What the follower needs of its transponder. */
export interface LayerSink {
  /** Writes a picture of the layer sent; false when nothing was written (not publishing). */
  video(frame: VideoFrame, params: VideoParams | undefined): boolean;
  /** A change of layer happens now, at `next`'s keyframe: the new size's metadata goes out before it. */
  switching(next: VideoLayer): void;
  /** A picture arrived from the followed layer (sent or not). */
  arrived(): void;
  /** The layer sent or the adaptive state changed. */
  changed(): void;
  /** The transponder is publishing on a connection. */
  publishing(): boolean;
  /** A picture went out on the current connection. */
  videoSent(): boolean;
  /** The transponder is stopping or finished: the choice no longer changes. */
  finished(): boolean;
  keyframesOf(layer: VideoLayer): KeyframeScheduler;
  log: Log;
  mediaSessionId: string;
}

/** One sample of the connection's send queue, for options.adaptive. */
export interface QueueSample {
  now: number;
  queuedMs: number;
  droppedFrames: number;
}

/** Pictures held during a pending change at most (a few seconds of video), whatever holdMs says. */
const MAX_HELD = 300;

export class LayerFollower {
  /** The layer whose frames are sent; undefined until the stream has one. */
  private layer: VideoLayer | undefined;
  /** The layer to change to at its next keyframe. */
  private pending: VideoLayer | undefined;
  /** While a change of layer is pending: the old layer's latest pictures, not sent yet (layerVideo). */
  private held: VideoFrame[] = [];
  /** How far (stream ms) the held pictures reach back behind the newest during a pending change. */
  private holdMs = 0;
  /** Stream time of the last picture written. */
  private lastVideoDts: number | undefined;
  /** options.adaptive: how many layers below the chosen one congestion has taken it. */
  private stepsDown = 0;
  private readonly policy: AdaptivePolicy | undefined;
  private lastStep: Pick<TransponderAdaptive, 'stepped' | 'reason'> = {};
  /** Layers whose parameter sets are watched: a size that becomes known may change the choice. */
  private readonly watched = new Set<VideoLayer>();

  private readonly onVideo = (frame: VideoFrame): void => this.layerVideo(frame);
  private readonly onPendingVideo = (frame: VideoFrame): void => this.pendingVideo(frame);
  private readonly onParams = (): void => this.sink.changed();
  private readonly onLayers = (): void => {
    for (const layer of this.stream.layers) {
      if (this.watched.has(layer)) continue;
      this.watched.add(layer);
      layer.on('params', this.onLayerParams);
    }
    this.choose();
  };
  private readonly onLayerParams = (): void => this.choose();

  constructor(
    private stream: LiveStream,
    private readonly options: TransponderOptions,
    adaptiveTiming: Partial<AdaptiveTimingConfig> | undefined,
    private readonly sink: LayerSink,
  ) {
    this.policy = options.adaptive ? new AdaptivePolicy(adaptiveTiming) : undefined;
    stream.on('layers', this.onLayers);
    this.onLayers();
  }

  /** The layer sent now. */
  get current(): VideoLayer | undefined {
    return this.layer;
  }

  /** The transponder sends this layer's frames, or waits for its keyframe to change to it. */
  uses(layer: VideoLayer): boolean {
    return layer === this.layer || layer === this.pending;
  }

  /**
   * Follows `stream`'s layers from now on (the stream's H.264 encode instead of the publisher's pictures),
   * changing at its next keyframe like a change of layer, with the old layer's pictures held up to `holdMs`.
   */
  redirect(stream: LiveStream, holdMs: number): void {
    if (stream === this.stream || this.sink.finished()) return;
    this.stream.off('layers', this.onLayers);
    for (const layer of this.watched) layer.off('params', this.onLayerParams);
    this.watched.clear();
    this.stream = stream;
    this.holdMs = holdMs;
    stream.on('layers', this.onLayers);
    this.onLayers();
  }

  /** A new connection: a change that waited for a keyframe is made now (the connection starts with one). */
  connectionStarted(): void {
    if (this.pending) this.setLayer(this.pending);
  }

  /** Asks the layer sent for a keyframe (a connection starts); after congestion, at the congestion pace. */
  requestKeyframe(afterCongestion = false): void {
    if (!this.layer) return;
    const keyframes = this.sink.keyframesOf(this.layer);
    if (afterCongestion) keyframes.requestAfterCongestion();
    else keyframes.request();
  }

  /** Once a second: adaptive steps, and a bitrate limit follows the layers' measured bitrates. */
  sample(queue: QueueSample | undefined): void {
    if (queue) this.adapt(queue);
    if (this.options.maxBitrateKbps !== undefined) this.choose();
  }

  /** The find/find_all additions: the layer sent, and adaptive's state when on. */
  toJSON(): { layer?: TransponderLayer; adaptive?: TransponderAdaptive } {
    return {
      ...(this.layer ? { layer: layerJSON(this.layer) } : {}),
      ...(this.policy ? { adaptive: { ...this.lastStep, stepsDown: this.stepsDown } } : {}),
    };
  }

  close(): void {
    this.stream.off('layers', this.onLayers);
    for (const layer of this.watched) layer.off('params', this.onLayerParams);
    this.watched.clear();
    this.layer?.off('video', this.onVideo);
    this.layer?.off('params', this.onParams);
    this.pending?.off('video', this.onPendingVideo);
  }

  /**
   * A picture of the layer sent. While a change of layer waits for the new layer's keyframe, each picture
   * is held until the next one comes (and holdMs beyond): the keyframe replaces held pictures of its instant
   * or later (layers share the capture clock), so the target never gets two pictures for one moment.
   */
  private layerVideo(frame: VideoFrame): void {
    this.sink.arrived();
    if (!this.pending) {
      this.send(frame);
      return;
    }
    this.held.push(frame);
    while (this.held.length > 1 && (this.held[0]!.dts < frame.dts - this.holdMs || this.held.length > MAX_HELD)) this.send(this.held.shift()!);
  }

  /** Sends the held pictures before `before` (all when not given) and forgets the others. */
  private sendHeld(before = Infinity): void {
    const held = this.held;
    this.held = [];
    for (const frame of held) if (frame.dts < before) this.send(frame);
  }

  private send(frame: VideoFrame): void {
    if (this.sink.video(frame, this.layer?.params)) this.lastVideoDts = frame.dts;
  }

  /** Picks the layer to send from the stream's layers, the options and the adaptive steps; changes to it. */
  private choose(): void {
    if (this.sink.finished()) return;
    const layers = this.stream.layers;
    const current = this.layer ? layers.indexOf(this.layer) : -1;
    const chosen = chooseLayer(layers, this.options, current >= 0 ? current : undefined);
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
    const publishing = this.sink.publishing();
    if (!this.layer || !publishing || !this.sink.videoSent()) {
      this.setLayer(next);
      if (publishing) this.sink.keyframesOf(next).request();
      return;
    }
    this.pending?.off('video', this.onPendingVideo);
    this.pending = next;
    next.on('video', this.onPendingVideo);
    this.sink.keyframesOf(next).request();
    this.sink.log('transponder.layer_pending', { mediaSessionId: this.sink.mediaSessionId, from: describeLayer(this.layer), to: describeLayer(next) });
  }

  /** A frame of the layer to change to: its first keyframe (with parameter sets) makes the change. */
  private pendingVideo(frame: VideoFrame): void {
    const next = this.pending;
    if (!next || !frame.keyframe || !next.params) return;
    const from = this.layer;
    this.sendHeld(frame.dts);
    this.setLayer(next);
    // Servers and players that read the size from the metadata see the new one; the sequence header follows
    // with the keyframe (the muxer sends one because the SPS/PPS differ).
    if (this.sink.publishing()) this.sink.switching(next);
    this.sink.log('transponder.layer', { mediaSessionId: this.sink.mediaSessionId, from: from && describeLayer(from), to: describeLayer(next) });
    // Should a picture of the old layer at this instant or later have gone out, the keyframe still comes
    // after it: a track's timestamps only grow.
    const last = this.lastVideoDts;
    this.send(last !== undefined && frame.dts <= last ? { ...frame, dts: last + 1 } : frame);
  }

  private setLayer(next: VideoLayer): void {
    this.pending?.off('video', this.onPendingVideo);
    this.pending = undefined;
    this.held = [];
    this.holdMs = 0;
    this.layer?.off('video', this.onVideo);
    this.layer?.off('params', this.onParams);
    this.layer = next;
    next.on('video', this.onVideo);
    next.on('params', this.onParams);
    this.sink.changed();
  }

  /** options.adaptive: one sample of the send queue; a step changes the layer. */
  private adapt(queue: QueueSample): void {
    if (!this.policy || !this.sink.publishing() || !this.layer) return;
    const layers = this.stream.layers;
    const index = layers.indexOf(this.pending ?? this.layer);
    const step = this.policy.processInput({
      ...queue,
      canStepDown: index >= 0 && index < lowestLayer(layers),
      canStepUp: this.stepsDown > 0,
    });
    if (!step) return;
    this.stepsDown += step === 'down' ? 1 : -1;
    this.lastStep = step === 'down' ? { stepped: 'down', reason: 'congestion' } : { stepped: 'up', reason: 'stable' };
    this.sink.log('transponder.adaptive_step', { mediaSessionId: this.sink.mediaSessionId, step, stepsDown: this.stepsDown, queuedMs: queue.queuedMs });
    this.choose();
    this.sink.changed();
  }
}

function layerJSON(layer: VideoLayer): TransponderLayer {
  return { ...(layer.rid === undefined ? {} : { rid: layer.rid }), width: layer.width, height: layer.height, bitrateKbps: layer.bitrateKbps };
}

/** For logs: "h 1280x720". */
function describeLayer(layer: VideoLayer): string {
  return `${layer.rid ?? 'single'} ${layer.width}x${layer.height}`;
}
