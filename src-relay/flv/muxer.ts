// The FLV tags of one transponder connection (Adobe FLV v10.1 Annex E, as RTMP 1.0 §7.1.4–7.1.5 carries them):
// the stream's frames (media.ts) in, the video and audio tags to publish out, in the order a server and its
// players need them. A pure stage: no socket, no timers; one instance per connection, so a reconnection
// starts again with a sequence header, a keyframe and timestamp 0.
//
// The rules, and why:
// - The first video tag is the AVC sequence header, and the next one an IDR (E.4.3.1: a decoder needs the
//   AVCDecoderConfigurationRecord before any NAL unit, and a picture before the first IDR cannot be
//   decoded). Pictures before the first IDR, or before SPS/PPS are known, are dropped and counted.
// - New SPS/PPS (a resolution change) go out as a new sequence header just before the next IDR, the first
//   picture that uses them.
// - The AAC sequence header (the AudioSpecificConfig) goes out once, before the first AAC frame (E.4.2.1).
// - Timestamps come from FlvClock: 0 at the first IDR, monotonic per track. Audio from before the first IDR
//   is not sent, so both tracks start together (docs/DECISIONS.md).
// - AV1 and VP9 go out as Enhanced RTMP (IsExHeader, FourCC av01/vp09): a SequenceStart with the stream's
//   configuration record before the first keyframe and whenever it changes, then CodedFrames. VP8 pictures
//   have no FLV form here and are dropped (a target of a VP8 publisher gets the transcoder's H.264).
import { isH264Params, paramsCodec, sameVideoParams, type AudioFrame, type VideoFrame, type VideoParams } from '../media.js';
import { FlvClock, type Track } from '../transponder/clock.js';
import { exVideoFrameBody, exVideoSequenceStartBody } from './enhanced.js';
import { aacSequenceHeaderBody, audioFrameBody, avcFrameBody, avcSequenceHeaderBody, type FlvMediaTag } from './tags.js';

/** The Enhanced RTMP FourCC of the codecs sent without transcoding besides H.264 (VP8 never is). */
export const ENHANCED_FOURCC = { av1: 'av01', vp9: 'vp09' } as const;

export type FlvMuxerInput =
  /** `params`: the stream's SPS/PPS when the frame arrived (undefined until known). */
  | { kind: 'video'; frame: VideoFrame; params: VideoParams | undefined }
  /** `audioSpecificConfig`: the AAC encoder's, for the sequence header (undefined for other codecs). */
  | { kind: 'audio'; frame: AudioFrame; audioSpecificConfig: Buffer | undefined };

export interface FlvMuxerStats {
  /** True until the first IDR of the connection was sent. */
  waitingForKeyframe: boolean;
  /** Pictures sent (sequence headers not counted). */
  videoTags: number;
  /** Audio frames sent (the AAC sequence header not counted). */
  audioTags: number;
  sequenceHeaders: number;
  aacSequenceHeaders: number;
  /** Pictures dropped before the first IDR (or before SPS/PPS were known). */
  droppedVideoBeforeKeyframe: number;
  /** Pictures of a codec FLV cannot carry here (VP8), or whose parameters are another codec's. */
  droppedVideoCodec: number;
  /** Audio frames dropped because they came, or start, before the first IDR. */
  droppedAudioBeforeKeyframe: number;
  /** AAC frames dropped because the encoder had no AudioSpecificConfig yet. */
  droppedAudioWithoutConfig: number;
}

export class FlvMuxer {
  private readonly clock = new FlvClock();
  /** The SPS/PPS of the last sequence header sent; undefined before the first. */
  private sentParams: VideoParams | undefined;
  private aacHeaderSent = false;
  private readonly last: Record<Track, number | undefined> = { video: undefined, audio: undefined };
  private readonly stats: Omit<FlvMuxerStats, 'waitingForKeyframe'> = {
    videoTags: 0,
    audioTags: 0,
    sequenceHeaders: 0,
    aacSequenceHeaders: 0,
    droppedVideoBeforeKeyframe: 0,
    droppedVideoCodec: 0,
    droppedAudioBeforeKeyframe: 0,
    droppedAudioWithoutConfig: 0,
  };

  /** `bodies`: the stream's shared frame bodies (StreamTagBodies); a private one when alone. */
  constructor(private readonly bodies: StreamTagBodies = new StreamTagBodies()) {}

  /**
   * The tags to publish for one frame, in order (none, one, or a sequence header and the frame); their
   * `time` counts ms from the connection's first keyframe.
   */
  processInput(input: FlvMuxerInput): FlvMediaTag[] {
    return input.kind === 'video' ? this.video(input.frame, input.params) : this.audio(input.frame, input.audioSpecificConfig);
  }

  /** FLV time of the last tag sent on `track`; undefined before the first. */
  lastTime(track: Track): number | undefined {
    return this.last[track];
  }

  toJSON(): FlvMuxerStats {
    return { waitingForKeyframe: !this.clock.started, ...this.stats };
  }

  private video(frame: VideoFrame, params: VideoParams | undefined): FlvMediaTag[] {
    if (frame.codec === 'vp8' || (params && paramsCodec(params) !== frame.codec)) {
      this.stats.droppedVideoCodec++;
      return [];
    }
    if (!this.clock.started) {
      if (!frame.keyframe || !params) {
        this.stats.droppedVideoBeforeKeyframe++;
        return [];
      }
      this.clock.start(frame.dts);
    }
    const time = this.clock.toFlv('video', frame.dts);
    if (time === undefined) return []; // not reached: the clock's base is the first keyframe's dts
    const out: FlvMediaTag[] = [];
    if (frame.keyframe && params && !sameVideoParams(params, this.sentParams)) {
      out.push({ kind: 'video', time, body: sequenceHeaderBody(params), keyframe: true, sequenceHeader: true });
      this.sentParams = params;
      this.stats.sequenceHeaders++;
    }
    out.push({ kind: 'video', time, body: this.bodies.video(frame), keyframe: frame.keyframe, sequenceHeader: false });
    this.last.video = time;
    this.stats.videoTags++;
    return out;
  }

  private audio(frame: AudioFrame, audioSpecificConfig: Buffer | undefined): FlvMediaTag[] {
    if (!this.clock.started) {
      this.stats.droppedAudioBeforeKeyframe++;
      return [];
    }
    const time = this.clock.toFlv('audio', frame.time);
    if (time === undefined) {
      this.stats.droppedAudioBeforeKeyframe++;
      return [];
    }
    const out: FlvMediaTag[] = [];
    if (frame.codec === 'aac' && !this.aacHeaderSent) {
      if (!audioSpecificConfig) {
        this.stats.droppedAudioWithoutConfig++;
        return out;
      }
      out.push({ kind: 'audio', time, body: aacSequenceHeaderBody(audioSpecificConfig), sequenceHeader: true });
      this.aacHeaderSent = true;
      this.stats.aacSequenceHeaders++;
    }
    out.push({ kind: 'audio', time, body: this.bodies.audio(frame), sequenceHeader: false });
    this.last.audio = time;
    this.stats.audioTags++;
    return out;
  }
}

function sequenceHeaderBody(params: VideoParams): Buffer {
  if (isH264Params(params)) return avcSequenceHeaderBody(params);
  if (params.codec === 'vp8') throw new Error('VP8 has no sequence header in FLV');
  return exVideoSequenceStartBody(ENHANCED_FOURCC[params.codec], params.record);
}

function videoFrameBody(frame: VideoFrame): Buffer {
  if (frame.codec === 'h264') return avcFrameBody(frame);
  if (frame.codec === 'vp8') throw new Error('VP8 has no FLV form');
  return exVideoFrameBody(ENHANCED_FOURCC[frame.codec], frame.keyframe, frame.data);
}

/**
 * The FLV bodies of a stream's frames, built once for all of its transponders: the stream emits a frame to
 * each of them in turn (and an audio group's encoder to each of its members), so remembering the last frame
 * of each track is enough, and a map would only add garbage to collect. A transponder's RTMP chunk writer
 * then cuts the shared body into chunks as views of it, without copying (chunk.ts writePieces): a target
 * costs its chunk headers and a socket write, not a copy of the picture. A body handed out is never changed.
 */
export class StreamTagBodies {
  private lastVideo: { frame: VideoFrame; body: Buffer } | undefined;
  private lastAudio: { frame: AudioFrame; body: Buffer } | undefined;

  video(frame: VideoFrame): Buffer {
    if (this.lastVideo?.frame !== frame) this.lastVideo = { frame, body: videoFrameBody(frame) };
    return this.lastVideo.body;
  }

  audio(frame: AudioFrame): Buffer {
    if (this.lastAudio?.frame !== frame) this.lastAudio = { frame, body: audioFrameBody(frame) };
    return this.lastAudio.body;
  }
}
