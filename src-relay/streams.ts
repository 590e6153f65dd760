// Registry of published streams: a name maps to one live media source that fans out to any number of
// consumers (transponders). Ingest (WebRTC, WHIP, a file) publishes into it; transponders subscribe.
//
// A stream's video comes in one or more layers. A simulcast publisher (RFC 8853: `a=simulcast` with rids)
// encodes the same picture at two or three sizes and bitrates; each encoding is a VideoLayer with its own
// frames, parameter sets and keyframe requests. Any other publisher has one layer. The stream's own
// `video`/`params` events and `params` carry its primary layer, the largest picture, so a consumer that
// does not choose a layer gets what it got before simulcast existed.
import { EventEmitter } from 'node:events';
import { frameBytes, sameVideoParams, type PcmChunk, type VideoCodec, type VideoFrame, type VideoParams } from './media.js';

/** Events of a live stream. Every timestamp is in milliseconds on the stream's one clock. */
export interface LiveStreamEvents {
  /** A video access unit of the primary layer, in decode order. */
  video: [frame: VideoFrame];
  /** Decoded audio, 48 kHz stereo s16, contiguous unless the publisher stalled. */
  pcm: [chunk: PcmChunk];
  /**
   * New parameters of the primary layer (H.264 SPS/PPS, or another codec's size and configuration record:
   * the first ones, a resolution change, or another layer became primary).
   */
  params: [params: VideoParams];
  /** A layer was added, or the layers' order changed (sizes became known). */
  layers: [layers: readonly VideoLayer[]];
  /** The publisher is gone; no more events follow. */
  end: [reason: string];
}

/** What ingest provides to the registry for a published stream. */
export interface StreamSource {
  /**
   * Ask the publisher for a keyframe (RTCP PLI, FIR if PLI is not honoured) of one layer: `rid` names the
   * simulcast layer, undefined is the only layer of a stream without simulcast.
   */
  requestKeyframe(rid?: string): void;
  /** Stop receiving (the stream is being unpublished by us). */
  close(reason: string): void;
  /** Publisher description for logs and the UI, e.g. "whip 127.0.0.1:53211". */
  readonly description: string;
  /** The codec of every layer's pictures; H.264 when not given. */
  readonly videoCodec?: VideoCodec;
  /** The publisher answers no keyframe request (PLI, FIR): targets get keyframes only on its own schedule. */
  readonly ignoresKeyframeRequests?: boolean;
}

export interface VideoLayerEvents {
  /** A video access unit of this layer, in decode order. */
  video: [frame: VideoFrame];
  /** New parameters of this layer (SPS/PPS, or size and configuration record). */
  params: [params: VideoParams];
}

/** How long the layer's bitrate is averaged over. */
const BITRATE_WINDOW_MS = 2000;

/** One encoding of the stream's picture: its frames, parameter sets, measured bitrate and keyframe requests. */
export class VideoLayer extends EventEmitter<VideoLayerEvents> {
  /** Current parameters, undefined until the first SPS/PPS (or the first keyframe of another codec) arrive. */
  params: VideoParams | undefined;
  /** Frame sizes of the last BITRATE_WINDOW_MS: [dts, bytes]. */
  private readonly window: Array<[number, number]> = [];
  private windowBytes = 0;
  /** Stream time of the last keyframe, and of the newest picture. */
  private lastKeyframeDts: number | undefined;
  private newestDts: number | undefined;
  /** Stream time between the last two keyframes, ms; 0 until two arrived. */
  private lastKeyframeIntervalMs = 0;

  constructor(
    /** The simulcast rid (RFC 8851), undefined for a stream without simulcast. */
    readonly rid: string | undefined,
    private readonly stream: LiveStream,
  ) {
    super();
    this.setMaxListeners(0);
  }

  get width(): number {
    return this.params?.width ?? 0;
  }

  get height(): number {
    return this.params?.height ?? 0;
  }

  /** Video payload rate over the last two seconds of frames, in kb/s (0 until two frames arrived). */
  get bitrateKbps(): number {
    if (this.window.length < 2) return 0;
    const spanMs = this.window[this.window.length - 1]![0] - this.window[0]![0];
    return spanMs > 0 ? Math.round((this.windowBytes * 8) / spanMs) : 0;
  }

  /** Stream time between this layer's last two keyframes, ms (0 until two arrived). */
  get keyframeIntervalMs(): number {
    return this.lastKeyframeIntervalMs;
  }

  /**
   * The longest a consumer copying this layer waits for a keyframe, as far as seen: the last interval, or
   * the time since the last keyframe when that is longer already (0 before the first keyframe).
   */
  get keyframeSpacingMs(): number {
    if (this.lastKeyframeDts === undefined || this.newestDts === undefined) return 0;
    return Math.max(this.lastKeyframeIntervalMs, this.newestDts - this.lastKeyframeDts);
  }

  requestKeyframe(): void {
    this.stream.requestLayerKeyframe(this.rid);
  }

  /** Ingest side: a new picture of this layer. */
  pushVideo(frame: VideoFrame): void {
    if (this.stream.ended) return;
    const bytes = frameBytes(frame);
    this.window.push([frame.dts, bytes]);
    this.windowBytes += bytes;
    while (this.window.length > 2 && frame.dts - this.window[0]![0] > BITRATE_WINDOW_MS) this.windowBytes -= this.window.shift()![1];
    this.newestDts = frame.dts;
    if (frame.keyframe) {
      if (this.lastKeyframeDts !== undefined) this.lastKeyframeIntervalMs = Math.max(0, frame.dts - this.lastKeyframeDts);
      this.lastKeyframeDts = frame.dts;
    }
    this.emit('video', frame);
    this.stream.layerVideo(this, frame);
  }

  /** Ingest side: new parameter sets of this layer. Emitted only when they differ from the current ones. */
  pushParams(params: VideoParams): void {
    if (this.stream.ended) return;
    if (sameVideoParams(params, this.params)) return;
    this.params = params;
    this.emit('params', params);
    this.stream.layerParams(this);
  }
}

export class LiveStream extends EventEmitter<LiveStreamEvents> {
  /** Current video parameters of the primary layer, undefined until its first SPS/PPS arrive. */
  params: VideoParams | undefined;
  /** True when the publisher sends audio. */
  hasAudio = false;
  ended = false;
  readonly startedAt = Date.now();
  private layerList: VideoLayer[] = [];
  private primary: VideoLayer | undefined;
  /** The primary layer changed: its frames reach the stream's `video` event from its next keyframe on. */
  private primaryAwaitsKeyframe = false;

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

  /** The codec the publisher sends (the same in every layer). */
  get videoCodec(): VideoCodec {
    return this.source.videoCodec ?? 'h264';
  }

  /** The publisher is seen to ignore keyframe requests (webrtc/keyframe.ts), e.g. aiortc. */
  get ignoresKeyframeRequests(): boolean {
    return this.source.ignoresKeyframeRequests ?? false;
  }

  /** The video layers, largest picture first (layers whose size is not known yet last, in arrival order). */
  get layers(): readonly VideoLayer[] {
    return this.layerList;
  }

  /**
   * The layer with this rid, created on first use (WebRTC ingest calls it for a negotiated rid when that
   * layer's first picture or parameter sets arrive; undefined is the one layer of a stream without simulcast).
   */
  layer(rid?: string): VideoLayer {
    let layer = this.layerList.find((l) => l.rid === rid);
    if (!layer) {
      layer = new VideoLayer(rid, this);
      this.layerList.push(layer);
      this.reorder(true);
    }
    return layer;
  }

  /** Asks for a keyframe of the primary layer. */
  requestKeyframe(): void {
    this.requestLayerKeyframe(this.primary?.rid);
  }

  /** Ingest side, a stream without simulcast: a new picture. */
  pushVideo(frame: VideoFrame): void {
    this.layer().pushVideo(frame);
  }

  /** Ingest side, a stream without simulcast: new parameter sets. */
  pushParams(params: VideoParams): void {
    this.layer().pushParams(params);
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

  /** @internal VideoLayer → stream. */
  requestLayerKeyframe(rid: string | undefined): void {
    if (!this.ended) this.source.requestKeyframe(rid);
  }

  /** @internal VideoLayer → stream: forwards the primary layer's frames. */
  layerVideo(layer: VideoLayer, frame: VideoFrame): void {
    if (layer !== this.primary) return;
    if (this.primaryAwaitsKeyframe) {
      if (!frame.keyframe) return;
      this.primaryAwaitsKeyframe = false;
      // Parameter sets that changed while waiting were held back: they belong with this keyframe.
      if (layer.params) this.setParams(layer.params);
    }
    this.emit('video', frame);
  }

  /** @internal VideoLayer → stream: a layer's size may have changed the order. */
  layerParams(layer: VideoLayer): void {
    this.reorder();
    if (layer === this.primary && layer.params && !this.primaryAwaitsKeyframe) this.setParams(layer.params);
  }

  /** Sorts the layers by size; emits `layers` when the order changed or `added` (a new layer). */
  private reorder(added = false): void {
    const order = [...this.layerList].sort((a, b) => b.width * b.height - a.width * a.height);
    const changed = added || order.some((layer, i) => layer !== this.layerList[i]);
    this.layerList = order;
    const primary = order[0];
    if (primary !== this.primary) {
      const hadOne = this.primary !== undefined;
      this.primary = primary;
      // The first layer is primary from its first frame; a later switch waits for the new one's keyframe
      // so that no consumer decodes one layer's P-frames against another's pictures.
      this.primaryAwaitsKeyframe = hadOne;
      if (primary?.params) this.setParams(primary.params);
      if (hadOne) this.requestLayerKeyframe(primary?.rid);
    }
    if (changed) this.emit('layers', this.layerList);
  }

  private setParams(params: VideoParams): void {
    if (sameVideoParams(params, this.params)) return;
    this.params = params;
    this.emit('params', params);
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
