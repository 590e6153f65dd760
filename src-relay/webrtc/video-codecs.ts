// What ingest needs of each video codec a publisher may send: its RTP depacketizer (rtp/h264.ts RFC 6184,
// rtp/vp8.ts RFC 7741, rtp/vp9.ts RFC 9628, rtp/av1.ts the AOM AV1 RTP payload format), all of one shape
// (packets in order and loss notices in; whole pictures, or drops until a keyframe after a loss, out), and
// for VP8, VP9 and AV1 the stream parameters read from a keyframe (size, configuration record).
import { av1CodecConfigurationRecord, findSequenceHeader, parseAv1SequenceHeader } from '../codec/av1.js';
import { vp8KeyframeInfo } from '../codec/vp8.js';
import { vp9FrameInfo, vpCodecConfigurationRecord } from '../codec/vp9.js';
import { h264Params } from '../codec/h264.js';
import { isH264Params, sameVideoParams, type CodedVideoParams, type VideoCodec, type VideoParams } from '../media.js';
import { Av1Depacketizer } from '../rtp/av1.js';
import { H264Depacketizer, RtpNalType, type H264Input } from '../rtp/h264.js';
import { Vp8Depacketizer } from '../rtp/vp8.js';
import { Vp9Depacketizer } from '../rtp/vp9.js';

/** A depacketizer's output: an H.264 access unit (`nalus`), another codec's picture (`data`), or a drop. */
export type DepacketizedOutput =
  | { kind: 'frame'; timestamp: number; keyframe: boolean; nalus: Buffer[] }
  | { kind: 'frame'; timestamp: number; keyframe: boolean; data: Buffer }
  | { kind: 'dropped'; timestamp: number; reason: string; requestKeyframe: boolean };

export interface VideoDepacketizer {
  processInput(input: H264Input): DepacketizedOutput[];
  toJSON(): object;
}

export function createDepacketizer(codec: VideoCodec): VideoDepacketizer {
  switch (codec) {
    case 'h264':
      return new H264Depacketizer();
    case 'vp8':
      return new Vp8Depacketizer();
    case 'vp9':
      return new Vp9Depacketizer();
    case 'av1':
      return new Av1Depacketizer();
  }
}

/**
 * The parameters a keyframe of VP8, VP9 or AV1 carries, or why it carries none (an AV1 keyframe without a
 * sequence header, a header that does not parse).
 */
export function codedParams(codec: Exclude<VideoCodec, 'h264'>, data: Buffer): CodedVideoParams | string {
  try {
    switch (codec) {
      case 'vp8': {
        const info = vp8KeyframeInfo(data);
        if (!info) return 'the VP8 keyframe has no start code';
        return { codec, width: info.width, height: info.height, record: Buffer.alloc(0) };
      }
      case 'vp9': {
        const info = vp9FrameInfo(data);
        if (!info?.keyframe || info.width === undefined || info.height === undefined) return 'the VP9 keyframe has no frame size';
        return { codec, width: info.width, height: info.height, record: vpCodecConfigurationRecord(info) };
      }
      case 'av1': {
        const header = findSequenceHeader(data);
        if (!header) return 'the AV1 keyframe has no sequence header';
        const info = parseAv1SequenceHeader(header);
        return { codec, width: info.width, height: info.height, record: av1CodecConfigurationRecord(header) };
      }
    }
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * The parameters a keyframe brings, when they differ from `current`: H.264's SPS/PPS from the picture, else
 * (first keyframe only) from the offer's sprop-parameter-sets; another codec's size and record. Undefined when
 * unchanged or absent; a string says why they cannot be read.
 */
export function keyframeParams(
  codec: VideoCodec,
  frame: { nalus: Buffer[] } | { data: Buffer },
  current: VideoParams | undefined,
  sprop: readonly Buffer[] | undefined,
): VideoParams | string | undefined {
  if ('data' in frame) {
    if (codec === 'h264') return undefined;
    const params = codedParams(codec, frame.data);
    return typeof params === 'string' || !sameVideoParams(params, current) ? params : undefined;
  }
  const outOfBand = current ? [] : (sprop ?? []);
  const find = (type: number): Buffer | undefined => frame.nalus.find((n) => (n[0]! & 0x1f) === type) ?? outOfBand.find((n) => (n[0]! & 0x1f) === type);
  const sps = find(RtpNalType.sps);
  const pps = find(RtpNalType.pps);
  if (!sps || !pps) return undefined;
  if (isH264Params(current) && current.sps.equals(sps) && current.pps.equals(pps)) return undefined;
  try {
    return h264Params(Buffer.from(sps), Buffer.from(pps));
  } catch (error) {
    return `bad SPS: ${error instanceof Error ? error.message : String(error)}`;
  }
}
