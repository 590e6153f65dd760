// One published stream of a session (WCS WebSDK's Stream): NEW → PENDING → PUBLISHING → UNPUBLISHED,
// or FAILED with an `info` reason.
import { Emitter } from './emitter.js';
import { STREAM_STATUS, type StreamStatus } from './protocol.js';
import { applyAnswer, createPublishPeer, type PublishPeer } from './publish-peer.js';

export interface StreamOptions {
  /** Name of the stream on the host (what transponders and `/rest-api/push/startup` refer to). */
  name: string;
  /** An element to show the local preview in. */
  display?: HTMLVideoElement;
  /** getUserMedia constraints, used when no `mediaStream` is given. Default: camera and microphone. */
  constraints?: MediaStreamConstraints;
  /** Republish to this RTMP(S) URL as soon as the stream is PUBLISHING (WCS's "WebRTC as RTMP"). */
  rtmpUrl?: string;
  /** Publish-only SDK: must be false when given (kept for WCS compatibility). */
  receiveVideo?: false;
  receiveAudio?: false;
  /** Publish this MediaStream instead of calling getUserMedia (screen capture, canvas, …). */
  mediaStream?: MediaStream;
  /**
   * Offer H.264 simulcast: the picture at up to three sizes (rids h/m/l at 1, 1/2, 1/4; fewer for captures
   * under 720 lines, none under 360), so that each RTMP target can take its own. Default false; a browser or host
   * that does not take simulcast gets one encoding.
   */
  simulcast?: boolean;
}

export interface StreamEvents extends Record<string, unknown[]> {
  PENDING: [stream: Stream];
  PUBLISHING: [stream: Stream];
  UNPUBLISHED: [stream: Stream];
  FAILED: [stream: Stream];
}

/** What a stream needs from its session. */
export interface StreamTransport {
  request(stream: Stream, message: { type: 'publish'; streamName: string; sdp: string; rtmpUrl?: string }): Promise<{ sdp: string }>;
  unpublish(streamName: string): void;
  forget(stream: Stream): void;
}

/** Reasons a stream fails before the host is involved, in WCS's style. */
export const LOCAL_FAILURE = {
  mediaDenied: 'FAILED_BY_MEDIA_ACCESS_DENIED',
  mediaMissing: 'FAILED_BY_MEDIA_DEVICE_NOT_FOUND',
  mediaBusy: 'FAILED_BY_MEDIA_DEVICE_BUSY',
  mediaOther: 'FAILED_BY_MEDIA_ERROR',
  ice: 'FAILED_BY_ICE_ERROR',
  sessionClosed: 'FAILED_BY_SESSION_DISCONNECT',
  rejected: 'FAILED_BY_HOST_REJECTION',
} as const;

/** Maps a getUserMedia DOMException name to a failure reason (W3C Media Capture §10.2). */
export function mediaFailureInfo(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return LOCAL_FAILURE.mediaDenied;
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return LOCAL_FAILURE.mediaMissing;
  if (name === 'NotReadableError' || name === 'AbortError') return LOCAL_FAILURE.mediaBusy;
  return LOCAL_FAILURE.mediaOther;
}

export class Stream extends Emitter<StreamEvents> {
  private status: StreamStatus = STREAM_STATUS.NEW;
  private info: string | undefined;
  private errorDetail: string | undefined;
  private peer: PublishPeer | undefined;
  private media: MediaStream | undefined;
  private ownsMedia = false;
  /** The video track sent in place of the media stream's own, when one was given. */
  private videoTrack: MediaStreamTrack | undefined;
  /** The host answered our offer: from now on it holds a stream under our name that we must unpublish. */
  private accepted = false;

  constructor(
    private readonly options: StreamOptions,
    private readonly transport: StreamTransport,
  ) {
    super();
    if (!options.name) throw new Error('createStream needs a non-empty name');
    if (options.receiveVideo || options.receiveAudio) throw new Error('this SDK publishes only: receiveVideo/receiveAudio must be false');
  }

  name(): string {
    return this.options.name;
  }

  getStatus(): StreamStatus {
    return this.status;
  }

  /** Why the stream failed or stopped (e.g. FAILED_BY_RTMP_WRITER_ERROR, STOPPED_BY_PUBLISHER_STOP). */
  getInfo(): string | undefined {
    return this.info;
  }

  /** The underlying error message, for logs and details. */
  getErrorDetail(): string | undefined {
    return this.errorDetail;
  }

  getMediaStream(): MediaStream | undefined {
    return this.media;
  }

  /**
   * Sends `track` as the stream's video from now on (before publish(): from the start), in place of the
   * media stream's video track: RTCRtpSender.replaceTrack, so nothing is renegotiated and the encodings
   * (simulcast layers, bitrates) stay those offered for the media stream's track.
   */
  async replaceVideoTrack(track: MediaStreamTrack): Promise<void> {
    if (track.kind !== 'video') throw new Error(`replaceVideoTrack needs a video track, got a ${track.kind} track`);
    this.videoTrack = track;
    const sender = this.peer?.videoSender;
    if (sender && sender.track !== track) await sender.replaceTrack(track);
  }

  /** Captures (unless a MediaStream was given), offers, and sends the offer to the host. Never rejects:
   *  failures end in FAILED with `getInfo()`; resolves with the status reached. */
  async publish(): Promise<StreamStatus> {
    if (this.status === STREAM_STATUS.PENDING || this.status === STREAM_STATUS.PUBLISHING) {
      throw new Error(`stream "${this.options.name}" is already ${this.status}`);
    }
    this.info = this.errorDetail = undefined;
    this.accepted = false;
    this.setStatus(STREAM_STATUS.PENDING);
    try {
      this.media = await this.acquireMedia();
    } catch (error) {
      return this.fail(mediaFailureInfo(error), error);
    }
    // stop() may come during any await below: what was opened after it must be closed here, or the
    // camera stays on with nothing showing it.
    if (!this.isActive()) return this.abandon();
    if (this.options.display) {
      this.options.display.srcObject = this.media;
      this.options.display.muted = true;
      void this.options.display.play().catch(() => undefined);
    }
    try {
      this.peer = await createPublishPeer(this.media, { simulcast: this.options.simulcast === true });
      if (!this.isActive()) return this.abandon();
      const replacement = this.videoTrack;
      if (replacement && this.peer.videoSender && this.peer.videoSender.track !== replacement) await this.peer.videoSender.replaceTrack(replacement);
      this.watchConnection(this.peer.pc);
      const answer = await this.transport.request(this, { type: 'publish', streamName: this.options.name, sdp: this.peer.offerSdp, rtmpUrl: this.options.rtmpUrl });
      this.accepted = true;
      if (!this.isActive() || !this.peer) {
        // stop() came while the offer was on its way: the host's stream must not outlive it.
        this.transport.unpublish(this.options.name);
        return this.status;
      }
      await applyAnswer(this.peer, answer.sdp);
    } catch (error) {
      return this.fail(LOCAL_FAILURE.rejected, error);
    }
    return this.status;
  }

  /** Stops publishing; the host sends UNPUBLISHED with STOPPED_BY_PUBLISHER_STOP. */
  stop(): void {
    if (this.accepted && this.isActive()) this.transport.unpublish(this.options.name);
    this.release();
    if (this.status !== STREAM_STATUS.FAILED && this.status !== STREAM_STATUS.UNPUBLISHED) {
      this.info = 'STOPPED_BY_PUBLISHER_STOP';
      this.setStatus(STREAM_STATUS.UNPUBLISHED);
    }
    this.transport.forget(this);
  }

  /** @internal The host reported a status for this stream name. */
  onHostStatus(status: StreamStatus, info: string | undefined): void {
    if (status === this.status && info === this.info) return;
    if (status === STREAM_STATUS.FAILED || status === STREAM_STATUS.UNPUBLISHED || status === STREAM_STATUS.STOPPED) {
      this.info = info;
      this.release();
      this.transport.forget(this);
    }
    this.setStatus(status);
  }

  /** @internal The session is gone: nothing published through it survives. */
  onSessionClosed(): void {
    if (this.status === STREAM_STATUS.PENDING || this.status === STREAM_STATUS.PUBLISHING) this.fail(LOCAL_FAILURE.sessionClosed, undefined);
  }

  private async acquireMedia(): Promise<MediaStream> {
    if (this.options.mediaStream) return this.options.mediaStream;
    if (!navigator.mediaDevices?.getUserMedia) throw new DOMException('media devices are not available (an insecure origin?)', 'SecurityError');
    const media = await navigator.mediaDevices.getUserMedia(this.options.constraints ?? { audio: true, video: true });
    this.ownsMedia = true;
    return media;
  }

  /** Re-reads the status: it changes under await (host events, stop()). */
  private isActive(): boolean {
    const status: StreamStatus = this.status;
    return status === STREAM_STATUS.PENDING || status === STREAM_STATUS.PUBLISHING;
  }

  private watchConnection(pc: RTCPeerConnection): void {
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'failed') this.fail(LOCAL_FAILURE.ice, new Error('the WebRTC connection to the host failed'));
    });
  }

  private fail(info: string, error: unknown): StreamStatus {
    this.info = info;
    this.errorDetail = error instanceof Error ? `${error.name}: ${error.message}` : error === undefined ? undefined : String(error);
    if (this.accepted && this.isActive()) this.transport.unpublish(this.options.name);
    this.release();
    this.transport.forget(this);
    this.setStatus(STREAM_STATUS.FAILED);
    return this.status;
  }

  /** publish() found the stream stopped under an await: close what it opened since, keep the status. */
  private abandon(): StreamStatus {
    this.release();
    return this.status;
  }

  private release(): void {
    this.peer?.pc.close();
    this.peer = undefined;
    if (this.ownsMedia) for (const track of this.media?.getTracks() ?? []) track.stop();
    this.ownsMedia = false;
  }

  private setStatus(status: StreamStatus): void {
    this.status = status;
    if (status === 'PENDING' || status === 'PUBLISHING' || status === 'UNPUBLISHED' || status === 'FAILED') this.emit(status, this);
    else if (status === 'STOPPED') this.emit('UNPUBLISHED', this);
  }
}
