// One publisher's WebRTC session: werift's peer connection in, a LiveStream out. Wires the pure stages
// (reorder → depacketize → clock) per track, asks for keyframes, and ends the stream when the publisher
// goes (connection failed/closed, or no RTP for a while).
//
// Video comes as one RTP stream, or with simulcast (RFC 8853) as one per rid: werift routes each packet
// to the rid's track by the RID header extension (RFC 8852) and remembers the SSRC it came with, and
// each layer gets its own pipeline here (reorder, depacketizer, track clock, keyframe requests to its
// SSRC) feeding `stream.layer(rid)`. All layers' track clocks and the audio's belong to one StreamClock,
// and the layers' pictures are put on one timeline (simulcast-timeline.ts): the same captured picture has
// the same time in every layer, so a consumer switching layers at a keyframe sees no jump.
import {
  RtcpPayloadSpecificFeedback,
  RtcpSrPacket,
  type MediaStreamTrack,
  type RTCPeerConnection,
  type RTCRtpReceiver,
  type RtcpPacket,
  type RtpPacket,
} from 'werift';
import type { Log } from '../log.js';
import { isH264Params, type VideoCodec } from '../media.js';
import { StreamClock, type TrackClock } from '../rtp/clock.js';
import { SimulcastTimeline } from '../rtp/simulcast-timeline.js';
import { ReorderBuffer, type ReorderOutput } from '../rtp/reorder.js';
import { FIR_FMT, FIR_LENGTH_WORDS, serializeFirBody } from '../rtp/rtcp-fir.js';
import type { LiveStream, StreamSource } from '../streams.js';
import { AudioDepacketizer } from './audio.js';
import { KeyframeRequester, type KeyframeSender } from './keyframe.js';
import type { IngestPlan } from './sdp.js';
import { createDepacketizer, keyframeParams, type DepacketizedOutput, type VideoDepacketizer } from './video-codecs.js';

export const INGEST_SESSION_TIMING = {
  /** No RTP at all this long after the answer: ICE/DTLS never came up. */
  firstMediaTimeoutMs: 10_000,
  /** No RTP for this long once media flowed: the publisher is gone (closed tab, lost network). */
  mediaSilenceTimeoutMs: 5_000,
  /** How often the watchdog looks, and the reorder buffers release packets whose gap timed out. */
  tickMs: 50,
} as const;

export type IngestSessionState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

export interface IngestSessionOptions {
  sessionId: string;
  streamName: string;
  plan: IngestPlan;
  log: Log;
  description: string;
  onState?: (state: IngestSessionState) => void;
}

interface ReorderablePacket {
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
  payload: Buffer;
  arrival: number;
}

/** One video RTP stream: the only one, or one simulcast layer. */
class VideoPipeline {
  readonly reorder = new ReorderBuffer<ReorderablePacket>();
  readonly depacketizer: VideoDepacketizer;
  readonly keyframes: KeyframeRequester;
  clock: TrackClock | undefined;
  /** The layer's SSRC, learned from its RTP. */
  ssrc: number | undefined;
  lastDts = -Infinity;
  frames = 0;
  /** `ingest.layer` was logged (with the first parameter sets). */
  announced = false;

  constructor(
    /** The simulcast rid, undefined for a publisher without simulcast. */
    readonly rid: string | undefined,
    sender: KeyframeSender,
    codec: VideoCodec,
  ) {
    this.depacketizer = createDepacketizer(codec);
    this.keyframes = new KeyframeRequester(sender);
  }

  toJSON(): Record<string, unknown> {
    return { rid: this.rid ?? null, ssrc: this.ssrc ?? null, frames: this.frames, video: this.depacketizer.toJSON(), reorder: this.reorder.toJSON(), keyframes: this.keyframes.toJSON() };
  }
}

export class IngestSession implements StreamSource {
  readonly sessionId: string;
  readonly description: string;
  readonly videoCodec: VideoCodec;
  stream: LiveStream | undefined;
  private readonly log: Log;
  private readonly clock: StreamClock;
  private readonly audioReorder = new ReorderBuffer<ReorderablePacket>();
  private readonly audio: AudioDepacketizer | undefined;
  private audioClock: TrackClock | undefined;
  private videoReceiver: RTCRtpReceiver | undefined;
  /** By rid; the key undefined is the one video stream of a publisher without simulcast. */
  private readonly video = new Map<string | undefined, VideoPipeline>();
  /** Simulcast: the layers' pictures on one timeline (simulcast-timeline.ts). */
  private readonly timeline = new SimulcastTimeline();
  private firSequence = 0;
  private readonly startedAt = performance.now();
  private lastRtpAt: number | undefined;
  private readonly ticker: NodeJS.Timeout;
  private closed = false;
  private videoFrames = 0;
  private pcmChunks = 0;

  constructor(
    readonly pc: RTCPeerConnection,
    private readonly options: IngestSessionOptions,
  ) {
    this.sessionId = options.sessionId;
    this.description = options.description;
    this.videoCodec = options.plan.video.codec;
    this.log = options.log;
    this.clock = new StreamClock({ reference: options.plan.audio ? 'audio' : 'video' });
    this.audio = options.plan.audio ? new AudioDepacketizer(options.plan.audio.codec, options.plan.audio.clockRate) : undefined;
    for (const rid of options.plan.video.simulcast?.rids ?? [undefined]) {
      const pipeline: VideoPipeline = new VideoPipeline(rid, { sendPli: () => this.sendPli(pipeline), sendFir: () => this.sendFir(pipeline) }, options.plan.video.codec);
      this.video.set(rid, pipeline);
    }
    this.timeline.onLock = ({ rid, leader, shiftMs }) =>
      this.log('ingest.layer_timeline', { mediaSessionId: this.sessionId, rid, leader, shiftMs: Math.round(shiftMs * 10) / 10 });
    pc.onTrack.subscribe((track) => this.attachTrack(track));
    pc.connectionStateChange.subscribe((state) => this.onConnectionState(state));
    this.ticker = setInterval(() => this.tick(), INGEST_SESSION_TIMING.tickMs);
  }

  /**
   * StreamSource: RTCP PLI now, FIR if no keyframe follows (keyframe.ts), to the SSRC of the layer `rid`;
   * undefined asks the only layer, or with simulcast the primary (largest) one.
   */
  requestKeyframe(rid?: string): void {
    const pipeline = this.video.get(rid) ?? (rid === undefined ? this.video.get(this.stream?.layers[0]?.rid) : undefined);
    pipeline?.keyframes.request();
  }

  /** StreamSource: called by LiveStream.end(); stops everything. Idempotent. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.ticker);
    for (const pipeline of this.video.values()) pipeline.keyframes.close();
    this.audio?.destroy();
    const perLayer: Record<string, number | boolean> = {};
    for (const pipeline of this.video.values()) {
      const tag = pipeline.rid === undefined ? '' : `_${pipeline.rid}`;
      Object.assign(perLayer, prefixed(`video${tag}`, pipeline.depacketizer.toJSON()), prefixed(`keyframes${tag}`, pipeline.keyframes.toJSON()));
    }
    this.log('ingest.closed', {
      mediaSessionId: this.sessionId,
      reason,
      videoFrames: this.videoFrames,
      pcmChunks: this.pcmChunks,
      ...perLayer,
    });
    this.options.onState?.('closed');
    this.pc.close().catch((error: unknown) => this.log('ingest.close_error', { mediaSessionId: this.sessionId, error: String(error) }));
  }

  /** StreamSource: some layer's publisher answered neither PLI nor FIR, twice in a row. */
  get ignoresKeyframeRequests(): boolean {
    return [...this.video.values()].some((p) => p.keyframes.ignoresRequests);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  toJSON(): Record<string, unknown> {
    const single = this.video.get(undefined);
    return {
      sessionId: this.sessionId,
      ...(single
        ? { video: single.depacketizer.toJSON(), videoReorder: single.reorder.toJSON(), keyframes: single.keyframes.toJSON() }
        : { layers: [...this.video.values()].map((p) => p.toJSON()), timeline: this.timeline.toJSON() }),
      audio: this.audio?.toJSON(),
      audioReorder: this.audioReorder.toJSON(),
      clock: this.clock.toJSON(),
    };
  }

  private end(reason: string): void {
    if (this.closed) return;
    if (this.stream) this.stream.end(reason);
    else this.close(reason);
  }

  private attachTrack(track: MediaStreamTrack): void {
    const transceiver = this.pc.getTransceivers().find((t) => t.receiver.track === track || t.receiver.tracks.includes(track));
    if (track.kind === 'video') {
      this.videoReceiver = transceiver?.receiver;
      if (this.options.plan.video.simulcast) {
        // werift reports the transceiver once; it holds one track per negotiated rid.
        for (const ridTrack of transceiver?.receiver.tracks ?? [track]) {
          const pipeline = ridTrack.rid === undefined ? undefined : this.video.get(ridTrack.rid);
          if (pipeline) this.attachVideo(ridTrack, pipeline);
        }
      } else {
        const pipeline = this.video.get(undefined)!;
        pipeline.clock ??= this.clock.addTrack('video', this.options.plan.video.clockRate);
        this.attachVideo(track, pipeline);
      }
      return;
    }
    if (track.kind === 'audio' && this.options.plan.audio) {
      this.audioClock ??= this.clock.addTrack('audio', this.options.plan.audio.clockRate);
    }
    track.onReceiveRtp.subscribe((packet) => this.guard('rtp', this.onAudioRtp, packet, undefined));
    track.onReceiveRtcp.subscribe((packet) => this.guard('rtcp', this.onRtcp, this.audioClock, packet));
  }

  private attachVideo(track: MediaStreamTrack, pipeline: VideoPipeline): void {
    track.onReceiveRtp.subscribe((packet) => this.guard('rtp', this.onVideoRtp, pipeline, packet));
    track.onReceiveRtcp.subscribe((packet) => this.guard('rtcp', this.onRtcp, pipeline.clock, packet));
  }

  /** A malformed packet is logged and skipped, never allowed to kill the session (fn: a method, no closure per packet). */
  private guard<A, B>(what: string, fn: (this: this, a: A, b: B) => void, a: A, b: B): void {
    try {
      fn.call(this, a, b);
    } catch (error) {
      this.log('ingest.packet_error', { mediaSessionId: this.sessionId, what, error: error instanceof Error ? error.message : String(error) });
    }
  }

  private packetInput(packet: RtpPacket, now: number): { packet: ReorderablePacket; now: number } {
    const { header } = packet;
    return {
      packet: { sequenceNumber: header.sequenceNumber, timestamp: header.timestamp, marker: header.marker, payload: packet.payload, arrival: now },
      now,
    };
  }

  private onVideoRtp(pipeline: VideoPipeline, packet: RtpPacket): void {
    if (this.closed) return;
    const now = performance.now();
    this.lastRtpAt = now;
    if (packet.header.payloadType !== this.options.plan.video.payloadType) return;
    pipeline.ssrc = packet.header.ssrc;
    // A simulcast layer's clock starts with its first packet; without audio the first layer to send is
    // the reference the others follow.
    pipeline.clock ??= this.clock.addTrack('video', this.options.plan.video.clockRate, {
      reference: !this.options.plan.audio && ![...this.video.values()].some((p) => p.clock?.isReference),
    });
    this.handleVideo(pipeline, pipeline.reorder.processInput(this.packetInput(packet, now)));
  }

  private onAudioRtp(packet: RtpPacket): void {
    if (this.closed || !this.options.plan.audio) return;
    const now = performance.now();
    this.lastRtpAt = now;
    if (packet.header.payloadType !== this.options.plan.audio.payloadType) return;
    this.handleAudio(this.audioReorder.processInput(this.packetInput(packet, now)));
  }

  private onRtcp(clock: TrackClock | undefined, packet: RtcpPacket): void {
    if (!(packet instanceof RtcpSrPacket)) return;
    clock?.onSenderReport(packet.senderInfo.ntpTimestamp, packet.senderInfo.rtpTimestamp);
  }

  private handleVideo(pipeline: VideoPipeline, outputs: ReorderOutput<ReorderablePacket>[]): void {
    for (const output of outputs) {
      for (const result of pipeline.depacketizer.processInput(output)) this.onFrame(pipeline, result);
    }
  }

  private onFrame(pipeline: VideoPipeline, result: DepacketizedOutput): void {
    if (result.kind === 'dropped') {
      if (result.requestKeyframe) {
        this.log('ingest.frame_dropped', { mediaSessionId: this.sessionId, reason: result.reason, ...(pipeline.rid === undefined ? {} : { rid: pipeline.rid }) });
        pipeline.keyframes.request();
      }
      return;
    }
    if (result.keyframe) {
      pipeline.keyframes.onKeyframe();
      this.updateParams(pipeline, result);
    }
    const clock = pipeline.clock;
    if (!clock || !this.stream) return;
    const now = performance.now();
    const exact = pipeline.rid === undefined ? clock.toStreamMs(result.timestamp, now) : this.timeline.map(pipeline.rid, clock, result.timestamp, now);
    const mapped = Math.round(exact);
    const dts = mapped > pipeline.lastDts ? mapped : pipeline.lastDts + 1;
    pipeline.lastDts = dts;
    pipeline.frames++;
    this.videoFrames++;
    const layer = this.stream.layer(pipeline.rid);
    if ('nalus' in result) layer.pushVideo({ codec: 'h264', dts, cts: 0, keyframe: result.keyframe, nalus: result.nalus });
    else if (this.videoCodec !== 'h264') layer.pushVideo({ codec: this.videoCodec, dts, cts: 0, keyframe: result.keyframe, data: result.data });
  }

  /** The keyframe's parameters (video-codecs.ts keyframeParams), pushed to the layer when they changed. */
  private updateParams(pipeline: VideoPipeline, frame: { nalus: Buffer[] } | { data: Buffer }): void {
    if (!this.stream) return;
    const layer = this.stream.layer(pipeline.rid);
    const params = keyframeParams(this.videoCodec, frame, layer.params, this.options.plan.video.parameterSets);
    if (params === undefined) return;
    if (typeof params === 'string') {
      this.log('ingest.bad_keyframe', { mediaSessionId: this.sessionId, codec: this.videoCodec, error: params });
      return;
    }
    const rid = pipeline.rid === undefined ? {} : { rid: pipeline.rid };
    const detail = isH264Params(params) ? { profile: params.profile, level: params.level } : { codec: params.codec };
    this.log('ingest.params', { mediaSessionId: this.sessionId, ...rid, width: params.width, height: params.height, ...detail });
    if (!pipeline.announced) {
      pipeline.announced = true;
      this.log('ingest.layer', { mediaSessionId: this.sessionId, rid: pipeline.rid ?? null, ssrc: pipeline.ssrc ?? null, width: params.width, height: params.height });
    }
    layer.pushParams(params);
  }

  private handleAudio(outputs: ReorderOutput<ReorderablePacket>[]): void {
    if (!this.audio || !this.audioClock) return;
    for (const output of outputs) {
      // A lost audio packet needs nothing here: the next packet's timestamp shows the gap to conceal.
      if (output.kind !== 'packet') continue;
      const streamMs = this.audioClock.toStreamMs(output.packet.timestamp, output.packet.arrival);
      // Opus is decoded only while something listens for PCM (an AAC encoder, a publication's first media).
      const decode = this.stream !== undefined && this.stream.listenerCount('pcm') > 0;
      if (this.stream && !decode) this.stream.hasAudio = true;
      for (const chunk of this.audio.processInput(output.packet, streamMs, decode)) {
        if (!this.stream) continue;
        this.pcmChunks++;
        this.stream.pushPcm(chunk);
      }
    }
  }

  private onConnectionState(state: string): void {
    if (this.closed) return; // our own close() already reported 'closed'
    this.log('ingest.connection', { mediaSessionId: this.sessionId, state });
    if (state === 'connecting' || state === 'connected' || state === 'disconnected' || state === 'failed' || state === 'closed') {
      this.options.onState?.(state);
    }
    if (state === 'failed') this.end('ICE/DTLS connection failed');
    else if (state === 'closed') this.end('the publisher closed the connection');
    // 'disconnected' may recover; the media watchdog ends the stream if it does not.
  }

  private tick(): void {
    const now = performance.now();
    for (const pipeline of this.video.values()) this.handleVideo(pipeline, pipeline.reorder.flush(now));
    this.handleAudio(this.audioReorder.flush(now));
    if (this.lastRtpAt === undefined) {
      if (now - this.startedAt > INGEST_SESSION_TIMING.firstMediaTimeoutMs) {
        this.end(`no media within ${INGEST_SESSION_TIMING.firstMediaTimeoutMs / 1000} s (ICE/DTLS did not connect)`);
      }
    } else if (now - this.lastRtpAt > INGEST_SESSION_TIMING.mediaSilenceTimeoutMs) {
      this.end(`no RTP for ${INGEST_SESSION_TIMING.mediaSilenceTimeoutMs / 1000} s (publisher gone)`);
    }
  }

  /** A layer's SSRC: from its RTP, or (without simulcast) before any RTP from the offer's a=ssrc line. */
  private mediaSsrc(pipeline: VideoPipeline): number | undefined {
    return pipeline.ssrc ?? (pipeline.rid === undefined ? this.videoReceiver?.track.ssrc : undefined);
  }

  private sendPli(pipeline: VideoPipeline): void {
    const receiver = this.videoReceiver;
    const ssrc = this.mediaSsrc(pipeline);
    if (!receiver || ssrc === undefined) return;
    receiver.sendRtcpPLI(ssrc).catch(() => undefined);
  }

  /** RFC 5104 §4.3.1: the sequence number changes with every new request. */
  private sendFir(pipeline: VideoPipeline): void {
    const receiver = this.videoReceiver;
    const ssrc = this.mediaSsrc(pipeline);
    if (!receiver || ssrc === undefined) return;
    this.firSequence = (this.firSequence + 1) & 0xff;
    const body = serializeFirBody(receiver.rtcpSsrc, ssrc, this.firSequence);
    // Shaped like werift's (unexported) FullIntraRequest so its PSFB wrapper writes the RTCP header.
    const feedback = {
      count: FIR_FMT,
      senderSsrc: receiver.rtcpSsrc,
      mediaSsrc: 0,
      fir: [{ ssrc, sequenceNumber: this.firSequence }],
      length: FIR_LENGTH_WORDS,
      serialize: () => body,
    };
    const packet = new RtcpPayloadSpecificFeedback({ feedback });
    receiver.dtlsTransport.sendRtcp([packet]).catch(() => undefined);
    this.log('ingest.fir', { mediaSessionId: this.sessionId, sequence: this.firSequence, ...(pipeline.rid === undefined ? {} : { rid: pipeline.rid }) });
  }
}

function prefixed(prefix: string, stats: object): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  for (const [key, value] of Object.entries(stats)) {
    if (typeof value === 'number' || typeof value === 'boolean') out[`${prefix}_${key}`] = value;
  }
  return out;
}
