// What the VP8, VP9 and AV1 depacketizers share: packets of one RTP timestamp make one frame (the marker
// bit ends it, a new timestamp ends it too: the marker is a hint), a gap damages the frame it falls in,
// and after any damaged frame every frame is dropped until a keyframe, with a keyframe request on the
// first drop and again every `dropsBetweenKeyframeRequests` drops. The same policy as H264Depacketizer
// (h264.ts): a corrupt picture is never forwarded, an RTMP target would show smeared video until the
// next keyframe. Each codec only reads its payload descriptor and says what a finished frame is.

export const FRAME_LIMITS = {
  /** Largest frame we assemble (a 4K keyframe at high quality is ~1–2 MB). */
  maxFrameBytes: 8 * 1024 * 1024,
  /** Most packets of one frame (8 MB in 1,200-byte packets is ~7,000): bounds what tiny packets can hold. */
  maxPacketsPerFrame: 16_384,
  /** While waiting for a keyframe, ask again after this many dropped frames (~1 s at 30 fps). */
  dropsBetweenKeyframeRequests: 30,
} as const;

/** The fields of an RTP packet a depacketizer reads. */
export interface VideoRtpPacket {
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
  payload: Buffer;
}

export type DepacketizerInput = { kind: 'packet'; packet: VideoRtpPacket } | { kind: 'lost'; count: number };

export type DepacketizerOutput =
  | { kind: 'frame'; timestamp: number; keyframe: boolean; data: Buffer }
  | { kind: 'dropped'; timestamp: number; reason: string; requestKeyframe: boolean };

export interface DepacketizerStats {
  packets: number;
  frames: number;
  keyframes: number;
  droppedFrames: number;
  lostPackets: number;
  malformedPackets: number;
  waitingForKeyframe: boolean;
}

/** The frame being assembled: its payload pieces in order, or why it cannot be forwarded. */
export interface PendingFrame {
  timestamp: number;
  parts: Buffer[];
  bytes: number;
  packets: number;
  /** True once a packet of this frame was read (the first packet's descriptor opens the frame). */
  started: boolean;
  damage: string | undefined;
}

/** A finished frame as the codec sees it: forwardable data, or the reason it is not whole. */
export type ClosedFrame = { data: Buffer; keyframe: boolean } | { damage: string } | undefined;

export abstract class FrameAssembler {
  protected frame: PendingFrame | undefined;
  /** Packets were lost since the last packet: the next frame may be missing its start. */
  private gapPending = false;
  private waitingForKeyframe = true;
  private dropsSinceRequest = 0;
  private readonly stats = { packets: 0, frames: 0, keyframes: 0, droppedFrames: 0, lostPackets: 0, malformedPackets: 0 };

  /** Never throws: a malformed payload damages the frame it belongs to and is counted. */
  processInput(input: DepacketizerInput): DepacketizerOutput[] {
    const out: DepacketizerOutput[] = [];
    if (input.kind === 'lost') {
      this.stats.lostPackets += input.count;
      if (this.frame) this.damage(`${input.count} RTP packet(s) lost`);
      this.resetPartial();
      this.gapPending = true;
      return out;
    }
    const { packet } = input;
    this.stats.packets++;
    // A packet of padding only (RFC 3550 §5.1, probes for bandwidth) carries nothing of any frame.
    if (packet.payload.length === 0) return out;
    if (this.frame && this.frame.timestamp !== packet.timestamp) {
      if (this.gapPending) this.damage('RTP packets lost at the end of the frame');
      this.finish(out);
    }
    if (!this.frame) {
      this.frame = { timestamp: packet.timestamp, parts: [], bytes: 0, packets: 0, started: false, damage: undefined };
      if (this.gapPending) this.damage('RTP packets lost before the frame');
    }
    this.gapPending = false;
    if (++this.frame.packets > FRAME_LIMITS.maxPacketsPerFrame) this.damage(`frame has more than ${FRAME_LIMITS.maxPacketsPerFrame} packets`);
    this.readPayload(packet.payload, packet.marker);
    this.frame.started = true;
    if (packet.marker) this.finish(out);
    return out;
  }

  toJSON(): DepacketizerStats {
    return { ...this.stats, waitingForKeyframe: this.waitingForKeyframe };
  }

  /** Reads one packet's payload into this.frame (always set while it runs). */
  protected abstract readPayload(payload: Buffer, marker: boolean): void;

  /** Turns the frame's parts into what is forwarded, or says why it is not whole. */
  protected abstract close(frame: PendingFrame): ClosedFrame;

  /** Forgets any half-read unit (a fragment spanning packets) after a loss or at the end of a frame. */
  protected abstract resetPartial(): void;

  protected append(part: Buffer): void {
    const frame = this.frame!;
    if (frame.damage) return;
    if (frame.bytes + part.length > FRAME_LIMITS.maxFrameBytes) return this.damage(`frame exceeds ${FRAME_LIMITS.maxFrameBytes} bytes`);
    frame.parts.push(part);
    frame.bytes += part.length;
  }

  protected malformed(reason: string): void {
    this.stats.malformedPackets++;
    this.damage(reason);
  }

  protected damage(reason: string): void {
    const frame = this.frame;
    if (!frame || frame.damage) return;
    frame.damage = reason;
    frame.parts = [];
    frame.bytes = 0;
  }

  private finish(out: DepacketizerOutput[]): void {
    const frame = this.frame;
    this.frame = undefined;
    if (!frame) return;
    const closed = frame.damage ? { damage: frame.damage } : this.close(frame);
    this.resetPartial();
    if (!closed) return;
    if ('damage' in closed) return this.drop(out, frame.timestamp, closed.damage);
    if (this.waitingForKeyframe && !closed.keyframe) return this.drop(out, frame.timestamp, 'waiting for a keyframe');
    this.waitingForKeyframe = false;
    this.dropsSinceRequest = 0;
    this.stats.frames++;
    if (closed.keyframe) this.stats.keyframes++;
    out.push({ kind: 'frame', timestamp: frame.timestamp, keyframe: closed.keyframe, data: closed.data });
  }

  private drop(out: DepacketizerOutput[], timestamp: number, reason: string): void {
    const firstOfRun = !this.waitingForKeyframe;
    this.waitingForKeyframe = true;
    this.stats.droppedFrames++;
    const requestKeyframe =
      firstOfRun ||
      (this.stats.frames === 0 && this.dropsSinceRequest === 0) ||
      this.dropsSinceRequest >= FRAME_LIMITS.dropsBetweenKeyframeRequests;
    this.dropsSinceRequest = requestKeyframe ? 1 : this.dropsSinceRequest + 1;
    out.push({ kind: 'dropped', timestamp, reason, requestKeyframe });
  }
}
