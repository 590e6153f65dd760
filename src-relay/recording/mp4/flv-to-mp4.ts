// A finished (or crash-cut) FLV recording whose video is Enhanced RTMP AV1 or VP9 (av01/vp09, which the
// bundled ffmpeg 4.1 cannot read from FLV) and whose audio is AAC, made a plain MP4 without ffmpeg: the FLV
// is read twice with the project's reader (flv/file.ts), once to lay out the samples and build the moov, once
// to copy each frame's bytes into the mdat after it. The moov goes in front (a player starts without seeking
// to the end), the video on a 90 kHz timescale, the audio on its sample rate's. Memory holds the sample tables
// (a few bytes a sample), never the media.
import { open, type FileHandle } from 'node:fs/promises';
import { FlvReader } from '../../flv/file.js';
import { exVideoTagInfo, VideoFourCc } from '../../flv/enhanced.js';
import { audioTagInfo, TagType } from '../../flv/tags.js';
import { ObuType, parseAv1SequenceHeader, splitObus } from '../../codec/av1.js';
import { vp9PictureInfo } from '../../codec/vp9.js';
import { channelCount, parseAudioSpecificConfig } from '../../codec/aac.js';
import { boxHeader } from './boxes.js';
import { TrackSamples } from './samples.js';
import { av01SampleEntry, ftyp, moov, movieDurationMs, mp4aSampleEntry, vp09SampleEntry, type TrackInput } from './movie.js';

export const VIDEO_TIMESCALE = 90_000;
/** Samples per AAC-LC access unit (ISO/IEC 14496-3 §4.5.2.1.1, frameLengthFlag 0). */
const AAC_FRAME_SAMPLES = 1024;
/** The duration given to the last video sample when the file has a single one (one frame at 30 fps). */
const DEFAULT_FRAME_TICKS = 3000;
const READ_CHUNK = 1024 * 1024;
const WRITE_BATCH = 4 * 1024 * 1024;
const VIDEO_TRACK = 1;
const AUDIO_TRACK = 2;
/** The bitrate written in the esds when the file is too short to measure one. */
const FALLBACK_AUDIO_BITRATE = 128_000;

export class Mp4WriteError extends Error {
  override name = 'Mp4WriteError';
}

/** Tags looked at for the first video tag: a recording's first tag is its video sequence header. */
const MAX_TAGS_BEFORE_VIDEO = 256;

/** The FourCC of the first video tag when it is an Enhanced RTMP one this writer takes, else undefined. */
export async function enhancedVideoFourCc(flvPath: string): Promise<'av01' | 'vp09' | undefined> {
  let seen = 0;
  for await (const tag of flvTags(flvPath)) {
    if (++seen > MAX_TAGS_BEFORE_VIDEO) return undefined;
    if (tag.type !== TagType.video) continue;
    let fourCc: string | undefined;
    try {
      fourCc = exVideoTagInfo(tag.body)?.fourCc;
    } catch {
      return undefined;
    }
    return fourCc === VideoFourCc.av1 || fourCc === VideoFourCc.vp9 ? fourCc : undefined;
  }
  return undefined;
}

/** The FLV's tags, read in 1 MB pieces of their own; a tag cut off at the end of the file is left out. */
async function* flvTags(path: string): AsyncGenerator<{ type: number; timestamp: number; body: Buffer }> {
  const handle = await open(path, 'r');
  try {
    const reader = new FlvReader();
    let position = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(READ_CHUNK);
      const { bytesRead } = await handle.read(chunk, 0, READ_CHUNK, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      yield* reader.push(chunk.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}

type Sample = { kind: 'video' | 'audio'; data: Buffer; time: number; sync: boolean };

/**
 * Turns tags into samples, the same way on both passes: the video's first SequenceStart is its
 * configuration, frames before it and before the first keyframe are left out, as are SequenceEnd and
 * script data; AAC raw frames after the sequence header are the audio samples.
 */
class SampleReader {
  fourCc: 'av01' | 'vp09' | undefined;
  videoConfig: Buffer | undefined;
  firstKeyframe: Buffer | undefined;
  audioConfig: Buffer | undefined;
  private audioRate = 0;
  private lastAudio: number | undefined;
  private lastVideo: number | undefined;

  take(tag: { type: number; timestamp: number; body: Buffer }): Sample | undefined {
    if (tag.type === TagType.video) return this.video(tag.timestamp, tag.body);
    if (tag.type === TagType.audio) return this.audio(tag.timestamp, tag.body);
    return undefined;
  }

  private video(ms: number, body: Buffer): Sample | undefined {
    if (body.length === 0) return undefined;
    const info = exVideoTagInfo(body);
    if (!info) throw new Mp4WriteError('the FLV mixes classic and Enhanced RTMP video tags');
    if (info.fourCc !== VideoFourCc.av1 && info.fourCc !== VideoFourCc.vp9) throw new Mp4WriteError(`the MP4 writer takes av01 and vp09 video, not '${info.fourCc}'`);
    if (this.fourCc && info.fourCc !== this.fourCc) throw new Mp4WriteError(`the video changes codec from '${this.fourCc}' to '${info.fourCc}'`);
    if (info.sequenceStart) {
      this.fourCc = info.fourCc;
      this.videoConfig ??= Buffer.from(info.data);
      return undefined;
    }
    if (info.sequenceEnd || !this.videoConfig || info.data.length === 0) return undefined;
    if (!this.firstKeyframe) {
      if (!info.keyframe) return undefined;
      this.firstKeyframe = Buffer.from(info.data);
    }
    // Strictly increasing decoding times, even if two frames share a millisecond.
    let time = ms * (VIDEO_TIMESCALE / 1000);
    if (this.lastVideo !== undefined && time <= this.lastVideo) time = this.lastVideo + 1;
    this.lastVideo = time;
    return { kind: 'video', data: info.data, time, sync: info.keyframe };
  }

  private audio(ms: number, body: Buffer): Sample | undefined {
    const info = audioTagInfo(body);
    if (!info) return undefined;
    if (info.codec !== 'aac') throw new Mp4WriteError(`the MP4 writer takes AAC audio, not SoundFormat ${info.soundFormat}`);
    if (info.sequenceHeader) {
      if (!this.audioConfig) {
        this.audioConfig = Buffer.from(info.payload);
        this.audioRate = parseAudioSpecificConfig(this.audioConfig).sampleRate;
      }
      return undefined;
    }
    if (!this.audioConfig || info.payload.length === 0) return undefined;
    // The FLV's ms are the AAC frames' times rounded: a frame that follows the previous one within that
    // rounding is exactly one frame later, so the track keeps the encoder's spacing; a gap stays a gap.
    let time = Math.round((ms * this.audioRate) / 1000);
    if (this.lastAudio !== undefined) {
      const next = this.lastAudio + AAC_FRAME_SAMPLES;
      if (Math.abs(time - next) <= Math.ceil(this.audioRate / 1000)) time = next;
      else if (time <= this.lastAudio) time = this.lastAudio + 1;
    }
    this.lastAudio = time;
    return { kind: 'audio', data: info.payload, time, sync: true };
  }

  get sampleRate(): number {
    return this.audioRate;
  }
}

/** Width and height of the video: AV1's sequence header (in av1C's configOBUs or the first keyframe), VP9's keyframe header. */
function pictureSize(reader: SampleReader): { width: number; height: number } {
  if (reader.fourCc === VideoFourCc.vp9) {
    const info = vp9PictureInfo(reader.firstKeyframe!);
    if (!info.width || !info.height) throw new Mp4WriteError('the first VP9 keyframe states no picture size');
    return { width: info.width, height: info.height };
  }
  const configObus = reader.videoConfig!.subarray(4);
  const sequenceHeader = [...(configObus.length ? splitObus(configObus) : []), ...splitObus(reader.firstKeyframe!)].find((o) => o.type === ObuType.sequenceHeader);
  if (!sequenceHeader) throw new Mp4WriteError('no AV1 sequence header OBU in the configuration record or the first keyframe');
  const { width, height } = parseAv1SequenceHeader(sequenceHeader.obu);
  return { width, height };
}

interface Layout {
  tracks: TrackInput[];
  mdatBytes: number;
  durationMs: number;
}

async function layOut(flvPath: string): Promise<Layout> {
  const reader = new SampleReader();
  let video: TrackSamples | undefined;
  let audio: TrackSamples | undefined;
  let offset = 0;
  let previous: 'video' | 'audio' | undefined;
  for await (const tag of flvTags(flvPath)) {
    const sample = reader.take(tag);
    if (!sample) continue;
    const track = sample.kind === 'video' ? (video ??= new TrackSamples(VIDEO_TIMESCALE, 0)) : (audio ??= new TrackSamples(reader.sampleRate, AAC_FRAME_SAMPLES));
    track.add(sample.time, sample.data.length, sample.sync, offset, previous === sample.kind);
    offset += sample.data.length;
    previous = sample.kind;
  }
  if (!video || !reader.fourCc || !reader.videoConfig) throw new Mp4WriteError('the FLV has no AV1 or VP9 picture after a sequence start');
  video.lastSampleDuration = video.count > 1 ? video.averageDelta : DEFAULT_FRAME_TICKS;
  const { width, height } = pictureSize(reader);
  const firstMs = Math.min(video.firstTime! / (VIDEO_TIMESCALE / 1000), audio ? (audio.firstTime! * 1000) / audio.timescale : Infinity);
  const tracks: TrackInput[] = [
    {
      id: VIDEO_TRACK,
      kind: 'video',
      samples: video,
      sampleEntry: reader.fourCc === VideoFourCc.av1 ? av01SampleEntry(reader.videoConfig, width, height) : vp09SampleEntry(reader.videoConfig, width, height),
      width,
      height,
      startMs: Math.round(video.firstTime! / (VIDEO_TIMESCALE / 1000) - firstMs),
    },
  ];
  if (audio && reader.audioConfig) {
    const config = parseAudioSpecificConfig(reader.audioConfig);
    const seconds = audio.duration / audio.timescale;
    const bitrate = seconds > 0 ? Math.round((audio.bytes * 8) / seconds) : FALLBACK_AUDIO_BITRATE;
    tracks.push({
      id: AUDIO_TRACK,
      kind: 'audio',
      samples: audio,
      sampleEntry: mp4aSampleEntry(reader.audioConfig, channelCount(config.channelConfig) || 2, config.sampleRate, AUDIO_TRACK, bitrate),
      startMs: Math.round((audio.firstTime! * 1000) / audio.timescale - firstMs),
    });
  }
  return { tracks, mdatBytes: offset, durationMs: movieDurationMs(tracks) };
}

/** ftyp: isom, iso6 (the sample tables and edit lists used), mp41, and av01 for AV1 (AV1-ISOBMFF §2.1). */
function fileType(tracks: TrackInput[]): Buffer {
  const av1 = tracks[0].sampleEntry.toString('latin1', 4, 8) === 'av01';
  return ftyp('isom', 0x200, ['isom', 'iso6', ...(av1 ? ['av01'] : []), 'mp41']);
}

/** The file's head (ftyp, moov, mdat header), chunk offsets pointing into the mdat after it. */
function head(layout: Layout): Buffer {
  const type = fileType(layout.tracks);
  const mdat = boxHeader('mdat', layout.mdatBytes);
  const size32 = type.length + moov(layout.tracks, 0, false).length + mdat.length;
  if (!layout.tracks.some((t) => t.samples.needsCo64(size32))) return Buffer.concat([type, moov(layout.tracks, size32, false), mdat]);
  const size64 = type.length + moov(layout.tracks, 0, true).length + mdat.length;
  return Buffer.concat([type, moov(layout.tracks, size64, true), mdat]);
}

async function writeBatch(handle: FileHandle, pieces: Buffer[]): Promise<void> {
  let total = 0;
  for (const p of pieces) total += p.length;
  const { bytesWritten } = await handle.writev(pieces);
  if (bytesWritten < total) {
    const rest = Buffer.concat(pieces).subarray(bytesWritten);
    const more = await handle.write(rest);
    if (bytesWritten + more.bytesWritten < total) throw new Mp4WriteError(`wrote ${bytesWritten + more.bytesWritten} of ${total} bytes`);
  }
}

/**
 * Writes the MP4 of `flvPath` to `mp4Path` (created, or replaced). Resolves with the movie's duration in ms;
 * rejects with an Mp4WriteError (or the reader's FlvFormatError) naming what the FLV lacks or breaks.
 */
export async function writeMp4FromFlv(flvPath: string, mp4Path: string): Promise<{ durationMs: number; bytes: number }> {
  const layout = await layOut(flvPath);
  const header = head(layout);
  const handle = await open(mp4Path, 'w', 0o644);
  try {
    const reader = new SampleReader();
    let pieces: Buffer[] = [header];
    let pending = header.length;
    let media = 0;
    for await (const tag of flvTags(flvPath)) {
      const sample = reader.take(tag);
      if (!sample) continue;
      pieces.push(sample.data);
      pending += sample.data.length;
      media += sample.data.length;
      if (pending >= WRITE_BATCH) {
        await writeBatch(handle, pieces);
        pieces = [];
        pending = 0;
      }
    }
    if (pieces.length) await writeBatch(handle, pieces);
    if (media !== layout.mdatBytes) throw new Mp4WriteError(`the FLV changed while it was read: ${media} bytes of media, ${layout.mdatBytes} laid out`);
    await handle.datasync();
    return { durationMs: layout.durationMs, bytes: header.length + media };
  } finally {
    await handle.close();
  }
}
