// RFC 6184 — RTP Payload Format for H.264 Video, non-interleaved mode (packetization-mode=1):
// single NAL unit packets (§5.6), STAP-A (§5.7.1) and FU-A (§5.8), reassembled into access units.
//
// Why our own and not werift's H264RtpPayload + DepacketizeBase: werift's depacketizer forwards a
// picture whose FU-A lost its middle fragment as if it were whole, and keeps no notion of "waiting for
// the next IDR". We must never forward a corrupt picture (an RTMP target would show smeared video
// until the next keyframe), so a damaged access unit and every non-IDR one after it are dropped, and
// a keyframe is requested.
//
// Input comes from the reorder buffer (reorder.ts): packets in sequence order, and `lost` notices.

import { FRAME_LIMITS, type DepacketizerInput, type DepacketizerStats, type VideoRtpPacket } from './frame-assembler.js';

/** NAL unit / payload types (RFC 6184 Table 1; H.264 Table 7-1). */
export const RtpNalType = {
  idrSlice: 5,
  sps: 7,
  pps: 8,
  stapA: 24,
  stapB: 25,
  mtap16: 26,
  mtap24: 27,
  fuA: 28,
  fuB: 29,
} as const;

export const H264_LIMITS = {
  /** Largest access unit we assemble (a 4K IDR at high quality is ~1–2 MB). */
  maxAccessUnitBytes: FRAME_LIMITS.maxFrameBytes,
  /** Most NAL units in one access unit (slices + SEI + parameter sets). */
  maxNalusPerAccessUnit: 512,
  /** While waiting for an IDR, ask again after this many dropped pictures (~1 s at 30 fps). */
  dropsBetweenKeyframeRequests: FRAME_LIMITS.dropsBetweenKeyframeRequests,
} as const;

/** The fields of an RTP packet the depacketizer reads (the same for every video codec). */
export type H264RtpPacket = VideoRtpPacket;

export type H264Input = DepacketizerInput;

export type H264Output =
  | { kind: 'frame'; timestamp: number; keyframe: boolean; nalus: Buffer[] }
  | { kind: 'dropped'; timestamp: number; reason: string; requestKeyframe: boolean };

export type H264DepacketizerStats = DepacketizerStats;

interface AccessUnit {
  timestamp: number;
  nalus: Buffer[];
  bytes: number;
  /** Why the picture cannot be forwarded; undefined while it is whole. */
  damage: string | undefined;
}

interface Fragment {
  header: number;
  parts: Buffer[];
  bytes: number;
}

export class H264Depacketizer {
  private au: AccessUnit | undefined;
  private fu: Fragment | undefined;
  /** Packets were lost since the last packet: the next access unit may be missing its start. */
  private gapPending = false;
  /** True from the start and after every damaged picture, until an IDR arrives. */
  private waitingForIdr = true;
  private dropsSinceRequest = 0;
  private readonly stats = {
    packets: 0,
    frames: 0,
    keyframes: 0,
    droppedFrames: 0,
    lostPackets: 0,
    malformedPackets: 0,
  };

  /** Never throws: malformed payloads damage the picture they belong to. */
  processInput(input: H264Input): H264Output[] {
    const out: H264Output[] = [];
    if (input.kind === 'lost') {
      this.stats.lostPackets += input.count;
      if (this.au) this.damage(`${input.count} RTP packet(s) lost`);
      this.fu = undefined;
      this.gapPending = true;
      return out;
    }
    const { packet } = input;
    this.stats.packets++;
    if (this.au && this.au.timestamp !== packet.timestamp) {
      // A new timestamp without a marker on the previous picture (RFC 6184 §5.1: the marker is a hint).
      if (this.gapPending) this.damage('RTP packets lost at the end of the picture');
      this.finish(out);
    }
    if (!this.au) {
      this.au = { timestamp: packet.timestamp, nalus: [], bytes: 0, damage: undefined };
      if (this.gapPending) this.damage('RTP packets lost before the picture');
    }
    this.gapPending = false;
    this.readPayload(packet.payload);
    if (packet.marker) this.finish(out);
    return out;
  }

  toJSON(): H264DepacketizerStats {
    return { ...this.stats, waitingForKeyframe: this.waitingForIdr };
  }

  //  NAL unit header / payload header (RFC 6184 §5.3, §1.3):
  //  +---------------+
  //  |0|1|2|3|4|5|6|7|
  //  +-+-+-+-+-+-+-+-+
  //  |F|NRI|  Type   |
  //  +---------------+
  private readPayload(payload: Buffer): void {
    if (payload.length === 0) return this.malformed('empty RTP payload');
    const header = payload[0];
    if (header & 0x80) return this.malformed('forbidden_zero_bit is set in the NAL header');
    const type = header & 0x1f;
    if (type >= 1 && type <= 23) {
      // Single NAL unit packet (§5.6).
      if (this.fu) this.damage('single NAL unit inside an unfinished FU-A');
      this.fu = undefined;
      return this.addNalu(payload);
    }
    switch (type) {
      case RtpNalType.stapA:
        return this.readStapA(payload);
      case RtpNalType.fuA:
        return this.readFuA(payload);
      case RtpNalType.stapB:
      case RtpNalType.mtap16:
      case RtpNalType.mtap24:
      case RtpNalType.fuB:
        return this.malformed(`payload type ${type} is only allowed in interleaved mode (packetization-mode 2)`);
      default:
        // 0 and 30–31 are undefined: "a receiver MUST ignore" them (§5.4).
        return;
    }
  }

  //  STAP-A (§5.7.1):
  //  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
  //  |STAP-A NAL HDR |         NALU 1 Size           | NALU 1 HDR    |
  //  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
  //  |                         NALU 1 Data  ...      | NALU 2 Size   | ...
  private readStapA(payload: Buffer): void {
    if (this.fu) this.damage('STAP-A inside an unfinished FU-A');
    this.fu = undefined;
    const nalus: Buffer[] = [];
    let offset = 1;
    while (offset < payload.length) {
      if (offset + 2 > payload.length) return this.malformed(`STAP-A size field at byte ${offset} runs past the ${payload.length}-byte payload`);
      const size = payload.readUInt16BE(offset);
      offset += 2;
      if (size === 0) return this.malformed(`STAP-A NAL unit at byte ${offset - 2} has size 0`);
      if (offset + size > payload.length) return this.malformed(`STAP-A NAL unit of ${size} bytes exceeds the ${payload.length - offset} bytes left`);
      nalus.push(payload.subarray(offset, offset + size));
      offset += size;
    }
    if (nalus.length === 0) return this.malformed('STAP-A carries no NAL unit');
    for (const nalu of nalus) this.addNalu(nalu);
  }

  //  FU-A (§5.8): FU indicator, FU header, fragment
  //  +---------------+---------------+
  //  |0|1|2|3|4|5|6|7|0|1|2|3|4|5|6|7|
  //  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
  //  |F|NRI|  Type=28|S|E|R|  Type   |
  //  +---------------+---------------+
  private readFuA(payload: Buffer): void {
    if (payload.length < 3) return this.malformed(`FU-A of ${payload.length} bytes, expected at least 3`);
    const indicator = payload[0];
    const fuHeader = payload[1];
    const start = (fuHeader & 0x80) !== 0;
    const end = (fuHeader & 0x40) !== 0;
    const fragment = payload.subarray(2);
    if (start && end) return this.malformed('FU-A has both the start and end bits set (§5.8)');
    if (start) {
      if (this.fu) this.damage('FU-A started before the previous one ended');
      // The reconstructed NAL header: F and NRI from the indicator, type from the FU header.
      this.fu = { header: (indicator & 0xe0) | (fuHeader & 0x1f), parts: [fragment], bytes: fragment.length };
      return;
    }
    if (!this.fu) return this.damage('FU-A fragment without its start');
    this.fu.parts.push(fragment);
    this.fu.bytes += fragment.length;
    if (this.fu.bytes > H264_LIMITS.maxAccessUnitBytes) {
      this.fu = undefined;
      return this.damage(`FU-A NAL unit exceeds ${H264_LIMITS.maxAccessUnitBytes} bytes`);
    }
    if (end) {
      const nalu = Buffer.concat([Buffer.from([this.fu.header]), ...this.fu.parts], this.fu.bytes + 1);
      this.fu = undefined;
      this.addNalu(nalu);
    }
  }

  private addNalu(nalu: Buffer): void {
    const au = this.au!;
    if (au.damage) return;
    if (au.nalus.length >= H264_LIMITS.maxNalusPerAccessUnit) {
      return this.damage(`access unit has more than ${H264_LIMITS.maxNalusPerAccessUnit} NAL units`);
    }
    if (au.bytes + nalu.length > H264_LIMITS.maxAccessUnitBytes) {
      return this.damage(`access unit exceeds ${H264_LIMITS.maxAccessUnitBytes} bytes`);
    }
    au.nalus.push(nalu);
    au.bytes += nalu.length;
  }

  private malformed(reason: string): void {
    this.stats.malformedPackets++;
    this.damage(reason);
  }

  private damage(reason: string): void {
    if (!this.au || this.au.damage) return;
    this.au.damage = reason;
    this.au.nalus = [];
    this.au.bytes = 0;
  }

  private finish(out: H264Output[]): void {
    const au = this.au;
    this.au = undefined;
    if (!au) return;
    if (this.fu) {
      this.fu = undefined;
      if (!au.damage) au.damage = 'FU-A unfinished at the end of the picture';
    }
    if (au.damage) return this.drop(out, au.timestamp, au.damage);
    if (au.nalus.length === 0) return;
    const keyframe = au.nalus.some((n) => (n[0] & 0x1f) === RtpNalType.idrSlice);
    if (this.waitingForIdr && !keyframe) return this.drop(out, au.timestamp, 'waiting for a keyframe');
    this.waitingForIdr = false;
    this.dropsSinceRequest = 0;
    this.stats.frames++;
    if (keyframe) this.stats.keyframes++;
    out.push({ kind: 'frame', timestamp: au.timestamp, keyframe, nalus: au.nalus });
  }

  private drop(out: H264Output[], timestamp: number, reason: string): void {
    const firstOfRun = !this.waitingForIdr;
    this.waitingForIdr = true;
    this.stats.droppedFrames++;
    const requestKeyframe =
      firstOfRun || this.stats.frames === 0 && this.dropsSinceRequest === 0 || this.dropsSinceRequest >= H264_LIMITS.dropsBetweenKeyframeRequests;
    this.dropsSinceRequest = requestKeyframe ? 1 : this.dropsSinceRequest + 1;
    out.push({ kind: 'dropped', timestamp, reason, requestKeyframe });
  }
}
