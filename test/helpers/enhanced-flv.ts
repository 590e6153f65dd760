// An FLV recording as the recorder writes one for an AV1- or VP9-copy target: Enhanced RTMP video (a
// SequenceStart with the configuration record built from the stream, then CodedFrames) and AAC audio, both
// from real encoders (Debian's ffmpeg: libaom-av1 / libvpx-vp9 to IVF, its AAC encoder to ADTS).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { av1CodecConfigurationRecord, findSequenceHeader } from '../../src-relay/codec/av1.js';
import { vp9PictureInfo, vpCodecConfigurationRecord } from '../../src-relay/codec/vp9.js';
import { buildAudioSpecificConfig, parseAdts } from '../../src-relay/codec/aac.js';
import { exVideoFrameBody, exVideoSequenceStartBody } from '../../src-relay/flv/enhanced.js';
import { writeFlv, type FlvTag } from '../../src-relay/flv/file.js';
import { aacFrameBody, aacSequenceHeaderBody, TagType } from '../../src-relay/flv/tags.js';
import { makeIvfClip } from './ivf.js';

const run = promisify(execFile);

export interface EnhancedFlv {
  flv: Buffer;
  /** The configuration record the SequenceStart carries. */
  record: Buffer;
  audioSpecificConfig: Buffer;
  videoFrames: number;
  keyframes: number;
  audioFrames: number;
}

/**
 * `seconds` of testsrc at `fps` (a keyframe every `gopFrames`) and a 48 kHz stereo sine, in `dir`; the audio
 * starts `audioDelayMs` after the first picture, as a recorder's first AAC frame follows the first keyframe.
 */
export async function makeEnhancedFlv(
  dir: string,
  codec: 'av1' | 'vp9',
  o: { width: number; height: number; fps: number; seconds: number; gopFrames: number; audioDelayMs: number },
): Promise<EnhancedFlv> {
  const clip = await makeIvfClip(join(dir, `${codec}.ivf`), codec, o);
  const aacFile = join(dir, 'audio.aac');
  await run('/usr/bin/ffmpeg', ['-hide_banner', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', String(o.seconds), '-c:a', 'aac', '-ac', '2', '-f', 'adts', aacFile], {
    timeout: 60_000,
  });
  const adts = parseAdts(readFileSync(aacFile));
  const fourCc = codec === 'av1' ? 'av01' : 'vp09';
  const key = clip.frames[0]!.data;
  const record = codec === 'av1' ? av1CodecConfigurationRecord(findSequenceHeader(key)!) : vpCodecConfigurationRecord(vp9PictureInfo(key), o.fps);
  const audioSpecificConfig = buildAudioSpecificConfig(adts[0]!);
  const media: FlvTag[] = [
    ...clip.frames.map((f) => ({ type: TagType.video, timestamp: f.pts, body: exVideoFrameBody(fourCc, f.keyframe, f.data) })),
    ...adts.map((a, i) => ({ type: TagType.audio, timestamp: o.audioDelayMs + Math.round((i * 1024 * 1000) / 48000), body: aacFrameBody(a.raw) })),
  ].sort((a, b) => a.timestamp - b.timestamp || b.type - a.type);
  const tags: FlvTag[] = [
    { type: TagType.video, timestamp: 0, body: exVideoSequenceStartBody(fourCc, record) },
    { type: TagType.audio, timestamp: o.audioDelayMs, body: aacSequenceHeaderBody(audioSpecificConfig) },
    ...media,
  ];
  return {
    flv: writeFlv(tags),
    record,
    audioSpecificConfig,
    videoFrames: clip.frames.length,
    keyframes: clip.frames.filter((f) => f.keyframe).length,
    audioFrames: adts.length,
  };
}
