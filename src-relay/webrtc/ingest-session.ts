// One publisher's WebRTC session: werift's peer connection in, a LiveStream out. Wires the pure stages
// (reorder → depacketize → clock) per track, asks for keyframes, and ends the stream when the publisher
// goes (connection failed/closed, or no RTP for a while).
import {
  RtcpPayloadSpecificFeedback,
  RtcpSrPacket,
  type MediaStreamTrack,
  type RTCPeerConnection,
  type RTCRtpReceiver,
  type RtcpPacket,
  type RtpPacket,
} from 'werift';
import { h264Params } from '../codec/h264.js';
import type { Log } from '../log.js';
import type { H264Params } from '../media.js';
import { StreamClock, type TrackClock } from '../rtp/clock.js';
import { H264Depacketizer, RtpNalType, type H264Output } from '../rtp/h264.js';
import { ReorderBuffer, type ReorderOutput } from '../rtp/reorder.js';
import { FIR_FMT, FIR_LENGTH_WORDS, serializeFirBody } from '../rtp/rtcp-fir.js';
import type { LiveStream, StreamSource } from '../streams.js';
import { AudioDepacketizer } from './audio.js';
import { KeyframeRequester } from './keyframe.js';
import type { IngestPlan } from './sdp.js';

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

export class IngestSession implements StreamSource {
  readonly sessionId: string;
  readonly description: string;
  stream: LiveStream | undefined;
  private readonly log: Log;
  private readonly clock: StreamClock;
  private readonly videoReorder = new ReorderBuffer<ReorderablePacket>();
  private readonly audioReorder = new ReorderBuffer<ReorderablePacket>();
  private readonly h264 = new H264Depacketizer();
  private readonly audio: AudioDepacketizer | undefined;
  private videoClock: TrackClock | undefined;
  private audioClock: TrackClock | undefined;
  private videoReceiver: RTCRtpReceiver | undefined;
  private videoSsrc: number | undefined;
  private firSequence = 0;
  private readonly keyframes: KeyframeRequester;
  private lastVideoDts = -Infinity;
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
    this.log = options.log;
    this.clock = new StreamClock({ reference: options.plan.audio ? 'audio' : 'video' });
    this.audio = options.plan.audio ? new AudioDepacketizer(options.plan.audio.codec, options.plan.audio.clockRate) : undefined;
    this.keyframes = new KeyframeRequester({ sendPli: () => this.sendPli(), sendFir: () => this.sendFir() });
    pc.onTrack.subscribe((track) => this.attachTrack(track));
    pc.connectionStateChange.subscribe((state) => this.onConnectionState(state));
    this.ticker = setInterval(() => this.tick(), INGEST_SESSION_TIMING.tickMs);
  }

  /** StreamSource: RTCP PLI now, FIR if no keyframe follows (keyframe.ts). */
  requestKeyframe(): void {
    this.keyframes.request();
  }

  /** StreamSource: called by LiveStream.end(); stops everything. Idempotent. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.ticker);
    this.keyframes.close();
    this.audio?.destroy();
    this.log('ingest.closed', {
      mediaSessionId: this.sessionId,
      reason,
      videoFrames: this.videoFrames,
      pcmChunks: this.pcmChunks,
      ...prefixed('video', this.h264.toJSON()),
      ...prefixed('keyframes', this.keyframes.toJSON()),
    });
    this.options.onState?.('closed');
    this.pc.close().catch((error: unknown) => this.log('ingest.close_error', { mediaSessionId: this.sessionId, error: String(error) }));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  toJSON(): Record<string, unknown> {
    return {
      sessionId: this.sessionId,
      video: this.h264.toJSON(),
      videoReorder: this.videoReorder.toJSON(),
      audio: this.audio?.toJSON(),
      audioReorder: this.audioReorder.toJSON(),
      clock: this.clock.toJSON(),
      keyframes: this.keyframes.toJSON(),
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
      this.videoClock ??= this.clock.addTrack('video', this.options.plan.video.clockRate);
    } else if (track.kind === 'audio' && this.options.plan.audio) {
      this.audioClock ??= this.clock.addTrack('audio', this.options.plan.audio.clockRate);
    }
    track.onReceiveRtp.subscribe((packet) => this.guard('rtp', () => this.onRtp(track.kind, packet)));
    track.onReceiveRtcp.subscribe((packet) => this.guard('rtcp', () => this.onRtcp(track.kind, packet)));
  }

  /** A malformed packet is logged and skipped, never allowed to kill the session. */
  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.log('ingest.packet_error', { mediaSessionId: this.sessionId, what, error: error instanceof Error ? error.message : String(error) });
    }
  }

  private onRtp(kind: string, packet: RtpPacket): void {
    if (this.closed) return;
    const now = performance.now();
    this.lastRtpAt = now;
    const { header } = packet;
    const input = {
      packet: {
        sequenceNumber: header.sequenceNumber,
        timestamp: header.timestamp,
        marker: header.marker,
        payload: packet.payload,
        arrival: now,
      },
      now,
    };
    if (kind === 'video') {
      if (header.payloadType !== this.options.plan.video.payloadType) return;
      this.videoSsrc = header.ssrc;
      this.handleVideo(this.videoReorder.processInput(input));
    } else if (kind === 'audio' && this.options.plan.audio) {
      if (header.payloadType !== this.options.plan.audio.payloadType) return;
      this.handleAudio(this.audioReorder.processInput(input));
    }
  }

  private onRtcp(kind: string, packet: RtcpPacket): void {
    if (!(packet instanceof RtcpSrPacket)) return;
    const clock = kind === 'video' ? this.videoClock : this.audioClock;
    clock?.onSenderReport(packet.senderInfo.ntpTimestamp, packet.senderInfo.rtpTimestamp);
  }

  private handleVideo(outputs: ReorderOutput<ReorderablePacket>[]): void {
    for (const output of outputs) {
      for (const result of this.h264.processInput(output)) this.onH264(result);
    }
  }

  private onH264(result: H264Output): void {
    if (result.kind === 'dropped') {
      if (result.requestKeyframe) {
        this.log('ingest.frame_dropped', { mediaSessionId: this.sessionId, reason: result.reason });
        this.keyframes.request();
      }
      return;
    }
    if (result.keyframe) {
      this.keyframes.onKeyframe();
      this.updateParams(result.nalus);
    }
    const clock = this.videoClock;
    if (!clock || !this.stream) return;
    const mapped = Math.round(clock.toStreamMs(result.timestamp, performance.now()));
    const dts = mapped > this.lastVideoDts ? mapped : this.lastVideoDts + 1;
    this.lastVideoDts = dts;
    this.videoFrames++;
    this.stream.pushVideo({ codec: 'h264', dts, cts: 0, keyframe: result.keyframe, nalus: result.nalus });
  }

  /** SPS/PPS from the keyframe itself, else (first keyframe only) from the offer's sprop-parameter-sets. */
  private updateParams(nalus: Buffer[]): void {
    const outOfBand = this.stream?.params ? [] : (this.options.plan.video.parameterSets ?? []);
    const sps = nalus.find((n) => (n[0] & 0x1f) === RtpNalType.sps) ?? outOfBand.find((n) => (n[0] & 0x1f) === RtpNalType.sps);
    const pps = nalus.find((n) => (n[0] & 0x1f) === RtpNalType.pps) ?? outOfBand.find((n) => (n[0] & 0x1f) === RtpNalType.pps);
    if (!sps || !pps || !this.stream) return;
    const current = this.stream.params;
    if (current && current.sps.equals(sps) && current.pps.equals(pps)) return;
    let params: H264Params;
    try {
      params = h264Params(Buffer.from(sps), Buffer.from(pps));
    } catch (error) {
      this.log('ingest.bad_sps', { mediaSessionId: this.sessionId, error: error instanceof Error ? error.message : String(error) });
      return;
    }
    this.log('ingest.params', { mediaSessionId: this.sessionId, width: params.width, height: params.height, profile: params.profile, level: params.level });
    this.stream.pushParams(params);
  }

  private handleAudio(outputs: ReorderOutput<ReorderablePacket>[]): void {
    if (!this.audio || !this.audioClock) return;
    for (const output of outputs) {
      // A lost audio packet needs nothing here: the next packet's timestamp shows the gap to conceal.
      if (output.kind !== 'packet') continue;
      const streamMs = this.audioClock.toStreamMs(output.packet.timestamp, output.packet.arrival);
      for (const chunk of this.audio.processInput(output.packet, streamMs)) {
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
    this.handleVideo(this.videoReorder.flush(now));
    this.handleAudio(this.audioReorder.flush(now));
    if (this.lastRtpAt === undefined) {
      if (now - this.startedAt > INGEST_SESSION_TIMING.firstMediaTimeoutMs) {
        this.end(`no media within ${INGEST_SESSION_TIMING.firstMediaTimeoutMs / 1000} s (ICE/DTLS did not connect)`);
      }
    } else if (now - this.lastRtpAt > INGEST_SESSION_TIMING.mediaSilenceTimeoutMs) {
      this.end(`no RTP for ${INGEST_SESSION_TIMING.mediaSilenceTimeoutMs / 1000} s (publisher gone)`);
    }
  }

  /** The publisher's video SSRC: from its RTP, or before any RTP from the offer's a=ssrc line. */
  private mediaSsrc(): number | undefined {
    return this.videoSsrc ?? this.videoReceiver?.track.ssrc;
  }

  private sendPli(): void {
    const receiver = this.videoReceiver;
    const ssrc = this.mediaSsrc();
    if (!receiver || ssrc === undefined) return;
    receiver.sendRtcpPLI(ssrc).catch(() => undefined);
  }

  /** RFC 5104 §4.3.1: the sequence number changes with every new request. */
  private sendFir(): void {
    const receiver = this.videoReceiver;
    const ssrc = this.mediaSsrc();
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
    this.log('ingest.fir', { mediaSessionId: this.sessionId, sequence: this.firSequence });
  }
}

function prefixed(prefix: string, stats: object): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  for (const [key, value] of Object.entries(stats)) {
    if (typeof value === 'number' || typeof value === 'boolean') out[`${prefix}_${key}`] = value;
  }
  return out;
}
