// The H.264 video of an FLV file as the WebRTC ingest would deliver it (parameter sets and access units),
// to feed a synthetic LiveStream in tests that need real video without a browser.
import { readFileSync } from 'node:fs';
import { h264Params, parseAvcDecoderConfigurationRecord, splitLengthPrefixed } from '../../src-relay/codec/h264.js';
import { readFlv } from '../../src-relay/flv/file.js';
import { TagType, videoTagInfo } from '../../src-relay/flv/tags.js';
import type { H264Params, VideoFrame } from '../../src-relay/media.js';

/** FLV AVC video tag body (FLV spec E.4.3.1): flags, AVCPacketType, CompositionTime (SI24), data. */
const AVC_PACKET_TYPE_OFFSET = 1;
const AVC_NALU = 1;
const COMPOSITION_TIME_OFFSET = 2;
const AVC_DATA_OFFSET = 5;
/** NALU length size of the AVCDecoderConfigurationRecord ffmpeg and nginx write. */
const NALU_LENGTH_SIZE = 4;

export function videoOfFlv(file: string): { params: H264Params; frames: VideoFrame[] } {
  let params: H264Params | undefined;
  const frames: VideoFrame[] = [];
  for (const tag of readFlv(readFileSync(file))) {
    if (tag.type !== TagType.video) continue;
    const info = videoTagInfo(tag.body);
    if (info.sequenceHeader) {
      const record = parseAvcDecoderConfigurationRecord(tag.body.subarray(AVC_DATA_OFFSET));
      params = h264Params(record.sps[0]!, record.pps[0]!);
    } else if (tag.body[AVC_PACKET_TYPE_OFFSET] === AVC_NALU) {
      const cts = tag.body.readIntBE(COMPOSITION_TIME_OFFSET, 3);
      frames.push({ codec: 'h264', dts: tag.timestamp, cts, keyframe: info.keyframe, nalus: splitLengthPrefixed(tag.body.subarray(AVC_DATA_OFFSET), NALU_LENGTH_SIZE) });
    }
  }
  if (!params) throw new Error(`${file} has no AVC sequence header`);
  return { params, frames };
}
