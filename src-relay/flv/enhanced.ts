// Enhanced RTMP v2 (veovera/enhanced-rtmp, docs/enhanced/enhanced-rtmp-v2.md) — the video tag bodies
// that carry AV1, VP9, VP8 and HEVC by FourCC in FLV and RTMP video messages, and the `connect` command
// fields that declare them. Pure functions, no I/O. Classic AVC bodies stay in tags.ts.
import { FrameType, videoTagInfo } from './tags.js';

/** VideoFourCc (the spec's enum; the FOURCC written after the first byte). */
export const VideoFourCc = { vp8: 'vp08', vp9: 'vp09', av1: 'av01', avc: 'avc1', hevc: 'hvc1' } as const;
export type VideoFourCc = (typeof VideoFourCc)[keyof typeof VideoFourCc];

/** VideoPacketType, the low nibble of the first byte when IsExVideoHeader is set. */
export const VideoPacketType = {
  sequenceStart: 0,
  codedFrames: 1,
  sequenceEnd: 2,
  /** CodedFrames with an implied composition time offset of 0 (avc1/hvc1 only carry one). */
  codedFramesX: 3,
  metadata: 4,
  mpeg2TsSequenceStart: 5,
  multitrack: 6,
  modEx: 7,
} as const;

//  ExVideoTagHeader (Enhanced RTMP v2, "Enhancing Video"):
//  +-+-----+-------+---------------+---------------------------+------------------------------+
//  |X|Frame|Packet | FOURCC (4 B)  | compositionTimeOffset SI24| body                         |
//  | |Type |Type   |               | avc1/hvc1 CodedFrames only| SequenceStart: config record |
//  +-+-----+-------+---------------+---------------------------+ CodedFrames: the frame       |
//   X = IsExVideoHeader (0x80), FrameType UB[3] (1 key, 2 inter), PacketType UB[4]            |
export const IS_EX_VIDEO_HEADER = 0x80;
const EX_HEADER_SIZE = 5;

const FOURCCS: ReadonlySet<string> = new Set(Object.values(VideoFourCc));

/** The codecs whose CodedFrames carry an SI24 composition time offset (the others have no reordering). */
function carriesCompositionTime(fourCc: VideoFourCc): boolean {
  return fourCc === VideoFourCc.avc || fourCc === VideoFourCc.hevc;
}

function exHeader(fourCc: VideoFourCc, frameType: number, packetType: number): Buffer {
  if (!FOURCCS.has(fourCc)) throw new Error(`video FourCC '${fourCc}' is not one of ${[...FOURCCS].join(', ')}`);
  const header = Buffer.alloc(EX_HEADER_SIZE);
  header[0] = IS_EX_VIDEO_HEADER | (frameType << 4) | packetType;
  header.write(fourCc, 1, 'latin1');
  return header;
}

/** SequenceStart: the codec's configuration record (av1C body, vpcC body, hvcC). Sent as a keyframe. */
export function exVideoSequenceStartBody(fourCc: VideoFourCc, configRecord: Buffer): Buffer {
  return Buffer.concat([exHeader(fourCc, FrameType.keyframe, VideoPacketType.sequenceStart), configRecord]);
}

/**
 * One coded frame. AV1/VP9/VP8 use CodedFrames with the frame right after the FOURCC (their `cts` must be
 * 0); AVC/HEVC use CodedFramesX when `cts` is 0, else CodedFrames with the SI24 offset in ms.
 */
export function exVideoFrameBody(fourCc: VideoFourCc, keyframe: boolean, data: Buffer, cts = 0): Buffer {
  const frameType = keyframe ? FrameType.keyframe : FrameType.inter;
  if (!carriesCompositionTime(fourCc)) {
    if (cts !== 0) throw new Error(`'${fourCc}' frames carry no composition time offset, got ${cts} ms`);
    return Buffer.concat([exHeader(fourCc, frameType, VideoPacketType.codedFrames), data]);
  }
  if (cts === 0) return Buffer.concat([exHeader(fourCc, frameType, VideoPacketType.codedFramesX), data]);
  if (!Number.isInteger(cts) || cts < -0x800000 || cts > 0x7fffff) throw new Error(`composition time ${cts} ms is outside the SI24 range ±8388607`);
  const offset = Buffer.alloc(3);
  offset.writeIntBE(cts, 0, 3);
  return Buffer.concat([exHeader(fourCc, frameType, VideoPacketType.codedFrames), offset, data]);
}

/** SequenceEnd: the stream's end, with no body (FrameType 1, as ffmpeg's FLV muxer writes it). */
export function exVideoSequenceEndBody(fourCc: VideoFourCc): Buffer {
  return exHeader(fourCc, FrameType.keyframe, VideoPacketType.sequenceEnd);
}

export interface ExVideoTagInfo {
  fourCc: VideoFourCc;
  packetType: number;
  frameType: number;
  keyframe: boolean;
  sequenceStart: boolean;
  sequenceEnd: boolean;
  /** Composition time offset in ms (0 unless an avc1/hvc1 CodedFrames carries one). */
  cts: number;
  /** The configuration record (SequenceStart) or the frame (CodedFrames/X), a view of the body. */
  data: Buffer;
}

/**
 * What an Enhanced RTMP video body says; undefined for a classic (non-ex-header) body. Throws, naming the
 * fault, on a truncated body, an unknown FOURCC, or a packet type it does not read (metadata, multitrack,
 * ModEx, MPEG-2 TS).
 */
export function exVideoTagInfo(body: Buffer): ExVideoTagInfo | undefined {
  if (body.length === 0 || !(body[0] & IS_EX_VIDEO_HEADER)) return undefined;
  if (body.length < EX_HEADER_SIZE) throw new Error(`Enhanced RTMP video body of ${body.length} bytes, expected at least ${EX_HEADER_SIZE}`);
  const frameType = (body[0] >> 4) & 0x07;
  const packetType = body[0] & 0x0f;
  const fourCc = body.toString('latin1', 1, EX_HEADER_SIZE);
  if (!FOURCCS.has(fourCc)) throw new Error(`Enhanced RTMP video FourCC '${fourCc}' is not one of ${[...FOURCCS].join(', ')}`);
  const known = fourCc as VideoFourCc;
  let cts = 0;
  let start = EX_HEADER_SIZE;
  switch (packetType) {
    case VideoPacketType.sequenceStart:
    case VideoPacketType.sequenceEnd:
    case VideoPacketType.codedFramesX:
      break;
    case VideoPacketType.codedFrames:
      if (carriesCompositionTime(known)) {
        if (body.length < EX_HEADER_SIZE + 3) throw new Error(`'${fourCc}' CodedFrames body of ${body.length} bytes ends inside its composition time`);
        cts = body.readIntBE(EX_HEADER_SIZE, 3);
        start += 3;
      }
      break;
    default:
      throw new Error(`Enhanced RTMP video packet type ${packetType} is not read here (SequenceStart, CodedFrames, SequenceEnd, CodedFramesX are)`);
  }
  return {
    fourCc: known,
    packetType,
    frameType,
    keyframe: frameType === FrameType.keyframe,
    sequenceStart: packetType === VideoPacketType.sequenceStart,
    sequenceEnd: packetType === VideoPacketType.sequenceEnd,
    cts,
    data: body.subarray(start),
  };
}

/**
 * The flags a sender's congestion policy and a recorder need of any video body, classic (tags.ts
 * videoTagInfo) or Enhanced RTMP: keyframe (FrameType 1) and sequence header (AVC sequence header or
 * SequenceStart). Never throws; an empty body is neither.
 */
export function videoBodyFlags(body: Buffer): { keyframe: boolean; sequenceHeader: boolean; enhanced: boolean } {
  if (body.length === 0) return { keyframe: false, sequenceHeader: false, enhanced: false };
  if (!(body[0] & IS_EX_VIDEO_HEADER)) {
    const { keyframe, sequenceHeader } = videoTagInfo(body);
    return { keyframe, sequenceHeader, enhanced: false };
  }
  return {
    keyframe: ((body[0] >> 4) & 0x07) === FrameType.keyframe,
    sequenceHeader: (body[0] & 0x0f) === VideoPacketType.sequenceStart,
    enhanced: true,
  };
}

/** onMetaData `videocodecid` of an enhanced stream: the FOURCC read as a UI32 ("av01" → 0x61763031). */
export function fourCcCodecId(fourCc: VideoFourCc): number {
  return Buffer.from(fourCc, 'latin1').readUInt32BE(0);
}

/** FourCcInfoMask of `videoFourCcInfoMap`. */
export const FourCcInfoMask = { canDecode: 0x01, canEncode: 0x02, canForward: 0x04 } as const;

/**
 * The `connect` command object's additions declaring the codecs a client sends: `fourCcList` (a strict
 * array, from the first Enhanced RTMP) and its successor `videoFourCcInfoMap`, both, as the spec asks
 * servers to accept either. A publisher encodes (CanEncode) what it sends.
 */
export function enhancedConnectFields(fourCcs: readonly VideoFourCc[]): { fourCcList: string[]; videoFourCcInfoMap: Record<string, number> } {
  for (const fourCc of fourCcs) if (!FOURCCS.has(fourCc)) throw new Error(`video FourCC '${fourCc}' is not one of ${[...FOURCCS].join(', ')}`);
  return {
    fourCcList: [...fourCcs],
    videoFourCcInfoMap: Object.fromEntries(fourCcs.map((f) => [f, FourCcInfoMask.canEncode])),
  };
}
