// One stream's H.264 encode, shared by every target that needs it (hub.ts keeps one per stream): the targets
// that take only H.264 from a VP8, VP9 or AV1 publisher, and those that take the publisher's H.264 but need
// keyframes more often than a publisher that ignores keyframe requests makes them (keyframe-path.ts). The
// publisher's pictures go into an ffmpeg child as IVF on stdin (timestamps in stream milliseconds from the
// first keyframe; H.264 as Annex B access units), ffmpeg decodes them and encodes H.264 with libx264
// (transcodeArgs), and its FLV on stdout becomes the H.264 frames and parameter sets of `output`: a LiveStream
// of its own, not in the registry, whose one layer the targets' layer followers send like any H.264 layer.
// Timestamps map back to the stream clock (the FLV time plus the first keyframe's dts). A new picture size
// restarts the child at that keyframe; ffmpeg missing a decoder or encoder, exiting, or not reading its input
// is `failed`, with what went wrong, and the targets using it fail with that message.
//
// The child starts when a target first asks for a keyframe (it starts publishing), not before: its first
// picture out is an IDR, and a target connecting after it would wait for the next one. It need not wait for
// the publisher's next keyframe either (which may be seconds away: aiortc ignores requests): the pictures
// since the publisher's last keyframe are kept (for an H.264 stream, from before this transcoder existed:
// options.gop), fed first and decoded only, and encoding starts at the
// newest one, START_COALESCE_MS after the first request so that targets started together all get that IDR.
// Later targets get the encoder's next periodic keyframe (at most keyframeIntervalMs away).
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { h264Params, NalUnitType, nalType, parseAvcDecoderConfigurationRecord, splitLengthPrefixed } from '../../codec/h264.js';
import { FlvReader } from '../../flv/file.js';
import { AvcPacketType, FrameType, TagType } from '../../flv/tags.js';
import type { Log } from '../../log.js';
import { isH264Params, type H264Frame, type VideoCodec, type VideoFrame, type VideoParams } from '../../media.js';
import { LiveStream } from '../../streams.js';
import { findFfmpeg } from '../audio/ffmpeg.js';
import { transcodeArgs, transcodeCapability } from './ffmpeg-video.js';
import { GopKeeper } from './gop.js';
import { AV1_TEMPORAL_DELIMITER, ivfFileHeader, ivfFrameHeader, type IvfFourCc } from './ivf.js';

const IVF_FOURCC: Record<VideoCodec, IvfFourCc> = { h264: 'H264', vp8: 'VP80', vp9: 'VP90', av1: 'AV01' };
const START_CODE = Buffer.from([0, 0, 0, 1]);
/** Input queued beyond this (several seconds of video) means ffmpeg stopped reading: memory stays bounded. */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;
const STDERR_TAIL_BYTES = 2000;
const MAX_OUTPUT_TAG_BYTES = 8 * 1024 * 1024;
/** Pictures written and not yet out of the encoder beyond this mean it is stuck (a start's burst counts too). */
const MAX_IN_FLIGHT = 600;
/** The child starts this long after the first keyframe request (the targets going live together connect within it). */
export const START_COALESCE_MS = 300;

export interface TranscoderOptions {
  bitrateKbps: number;
  keyframeIntervalMs: number;
  log: Log;
  /** The ffmpeg to run (default: the app's, audio/ffmpeg.ts findFfmpeg). */
  ffmpeg?: () => string;
  /** The stream's pictures since its last keyframe, kept before this transcoder existed (gop.ts). */
  gop?: () => readonly VideoFrame[];
}

export interface TranscoderEvents {
  failed: [error: string];
}

export interface TranscoderStats {
  framesIn: number;
  framesOut: number;
  restarts: number;
  /** Mean time from a picture written to ffmpeg to its H.264 picture read back, ms. */
  meanLatencyMs: number;
}

interface Child {
  process: ChildProcessByStdio<Writable, Readable, Readable>;
  reader: FlvReader;
  /** Stream dts of the first picture: IVF time 0. */
  base: number;
  /** IVF time of the first picture encoded: FLV time 0. */
  encodeFrom: number;
  width: number;
  height: number;
  /** IVF timestamp → when it was written (performance.now), for the latency figure. */
  written: Map<number, number>;
  lengthSize: number;
  stderr: string;
}

export class H264Transcoder extends EventEmitter<TranscoderEvents> {
  /** The H.264 video of the stream. */
  readonly output: LiveStream;
  private child: Child | undefined;
  private errorValue: string | undefined;
  private closed = false;
  private lastDts = -Infinity;
  /** A target asked for a keyframe: the child runs from then on. */
  private wanted = false;
  private startTimer: NodeJS.Timeout | undefined;
  /** The publisher's pictures from its last keyframe on. */
  private readonly gop = new GopKeeper();
  private readonly stats = { framesIn: 0, framesOut: 0, restarts: 0, latencySum: 0 };
  private readonly codec: VideoCodec;
  private readonly onVideo = (frame: VideoFrame): void => this.input(frame);
  private readonly onEnd = (reason: string): void => this.close(reason);

  constructor(
    private readonly source: LiveStream,
    private readonly options: TranscoderOptions,
  ) {
    super();
    const codec = source.videoCodec;
    this.codec = codec;
    this.output = new LiveStream(source.name, {
      description: `${source.description}, ${codec.toUpperCase()} → H.264 (libx264)`,
      videoCodec: 'h264',
      // The encoder makes a keyframe every keyframeIntervalMs by itself (-force_key_frames); the first request starts it.
      requestKeyframe: () => this.keyframeWanted(),
      close: () => undefined,
    });
    // The one layer exists from the start: a target asks it for the keyframe that starts the child.
    this.output.layer();
    for (const frame of options.gop?.() ?? []) this.gop.push(frame);
    source.on('video', this.onVideo);
    source.once('end', this.onEnd);
    // A keyframe soon: pictures to start from (and less to decode first) when the publisher honours requests.
    source.requestKeyframe();
    // What the app's ffmpeg lacks is known before any target waits for a picture (after the caller subscribed).
    setImmediate(() => {
      if (!this.closed) this.capability();
    });
  }

  /** The decoder to run, or undefined after failing with what is missing. */
  private capability(): { ffmpeg: string; decoder: string } | undefined {
    let ffmpeg: string;
    try {
      ffmpeg = (this.options.ffmpeg ?? findFfmpeg)();
    } catch (error) {
      this.fail(`H.264 transcoder cannot start: ${(error as Error).message}`);
      return undefined;
    }
    const capability = transcodeCapability(ffmpeg, this.codec);
    if ('error' in capability) {
      this.fail(`H.264 transcoder cannot start: ${capability.error}`);
      return undefined;
    }
    return { ffmpeg, decoder: capability.decoder };
  }

  /** Why the transcoder failed, undefined while it works. */
  get error(): string | undefined {
    return this.errorValue;
  }

  toJSON(): TranscoderStats {
    const { framesIn, framesOut, restarts, latencySum } = this.stats;
    return { framesIn, framesOut, restarts, meanLatencyMs: framesOut ? Math.round((latencySum / framesOut) * 10) / 10 : 0 };
  }

  /** Stops the child and ends `output`. Idempotent. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.startTimer);
    this.source.off('video', this.onVideo);
    this.source.off('end', this.onEnd);
    this.stopChild();
    this.options.log('transcoder.stopped', { stream: this.source.name, reason, ...this.toJSON() });
    this.output.end(reason);
  }

  private keyframeWanted(): void {
    if (this.wanted || this.startTimer || this.closed) return;
    this.startTimer = setTimeout(() => {
      this.wanted = true;
      this.startFromGop();
    }, START_COALESCE_MS);
  }

  private input(frame: VideoFrame): void {
    if (this.closed || this.errorValue || frame.codec !== this.codec) return;
    this.gop.push(frame);
    const params = this.source.params;
    const child = this.child;
    if (child && frame.keyframe && params && (params.width !== child.width || params.height !== child.height)) {
      this.stats.restarts++;
      this.stopChild();
      this.startFromGop();
      return;
    }
    if (child) this.write(child, frame);
    else this.startFromGop();
  }

  /** Starts the child when wanted, from the kept pictures (decoded up to the newest, which is encoded first). */
  private startFromGop(): void {
    const params = this.source.params;
    const gop = this.gop.frames;
    if (!this.wanted || this.child || this.errorValue || gop.length === 0 || !params) return;
    const first = gop[0]!;
    const newest = gop[gop.length - 1]!;
    const child = this.startChild(first, params.width, params.height, Math.round(newest.dts - first.dts));
    if (!child) return;
    for (const frame of gop) this.write(child, frame);
  }

  private startChild(frame: VideoFrame, width: number, height: number, encodeFromMs: number): Child | undefined {
    const capability = this.capability();
    if (!capability) return undefined;
    const { ffmpeg } = capability;
    const args = transcodeArgs({ decoder: capability.decoder, bitrateKbps: this.options.bitrateKbps, keyframeIntervalMs: this.options.keyframeIntervalMs, encodeFromMs });
    const process = spawn(ffmpeg, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    const child: Child = { process, reader: new FlvReader({ maxTagBody: MAX_OUTPUT_TAG_BYTES }), base: frame.dts, encodeFrom: encodeFromMs, width, height, written: new Map(), lengthSize: 4, stderr: '' };
    this.child = child;
    process.stdin.on('error', () => undefined); // EPIPE when ffmpeg dies: reported by the exit handler
    process.stderr.on('data', (d: Buffer) => {
      child.stderr = (child.stderr + d.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    process.stdout.on('data', (d: Buffer) => this.onStdout(child, d));
    process.on('error', (error) => this.childFailed(child, `could not run: ${error.message}`));
    process.on('close', (code, signal) => this.childFailed(child, signal ? `was killed by ${signal}` : `exited with code ${code}`));
    process.stdin.write(ivfFileHeader(IVF_FOURCC[this.codec], width, height));
    this.options.log('transcoder.started', { stream: this.source.name, codec: this.codec, decoder: capability.decoder, width, height, bitrateKbps: this.options.bitrateKbps, encodeFromMs, pid: process.pid ?? -1 });
    return child;
  }

  private write(child: Child, frame: VideoFrame): void {
    const stdin = child.process.stdin;
    if (stdin.writableLength > MAX_QUEUED_BYTES || child.written.size > MAX_IN_FLIGHT) {
      this.fail(`H.264 transcoder (ffmpeg) is not keeping up: ${child.written.size} pictures in flight, ${stdin.writableLength} bytes queued`);
      return;
    }
    const timestamp = Math.max(0, Math.round(frame.dts - child.base));
    const data = frame.codec === 'h264' ? annexB(frame, this.source.params) : frame.codec === 'av1' ? Buffer.concat([AV1_TEMPORAL_DELIMITER, frame.data]) : frame.data;
    stdin.write(Buffer.concat([ivfFrameHeader(data.length, timestamp), data]));
    child.written.set(timestamp, performance.now());
    this.stats.framesIn++;
  }

  private onStdout(child: Child, data: Buffer): void {
    if (this.child !== child || this.closed) return;
    let tags;
    try {
      tags = child.reader.push(data);
    } catch (error) {
      this.fail(`H.264 transcoder output: ${(error as Error).message}`);
      return;
    }
    for (const tag of tags) {
      if (tag.type !== TagType.video || tag.body.length < 5) continue;
      const body = tag.body;
      if (body[1] === AvcPacketType.sequenceHeader) {
        const record = parseAvcDecoderConfigurationRecord(body.subarray(5));
        const [sps, pps] = [record.sps[0], record.pps[0]];
        child.lengthSize = record.lengthSize;
        if (sps && pps) this.output.pushParams(h264Params(Buffer.from(sps), Buffer.from(pps)));
        continue;
      }
      if (body[1] !== AvcPacketType.nalu) continue;
      const ivfTime = child.encodeFrom + tag.timestamp;
      const writtenAt = child.written.get(ivfTime);
      if (writtenAt !== undefined) {
        this.stats.latencySum += performance.now() - writtenAt;
        child.written.delete(ivfTime);
      }
      for (const [ts] of child.written) if (ts < ivfTime) child.written.delete(ts);
      const mapped = child.base + ivfTime;
      const dts = mapped > this.lastDts ? mapped : this.lastDts + 1;
      this.lastDts = dts;
      this.stats.framesOut++;
      const nalus = splitLengthPrefixed(Buffer.from(body.subarray(5)), child.lengthSize);
      this.output.pushVideo({ codec: 'h264', dts, cts: body.readIntBE(2, 3), keyframe: body[0] >> 4 === FrameType.keyframe, nalus });
    }
  }

  private childFailed(child: Child, how: string): void {
    if (this.child !== child || this.closed) return;
    const tail = child.stderr.trim().split('\n').slice(-3).join(' | ');
    this.fail(`H.264 transcoder (ffmpeg) ${how}${tail ? `: ${tail}` : ''}`);
  }

  private fail(error: string): void {
    if (this.errorValue || this.closed) return;
    this.errorValue = error;
    this.stopChild();
    this.options.log('transcoder.failed', { stream: this.source.name, error });
    this.emit('failed', error);
  }

  private stopChild(): void {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    child.process.stdout.removeAllListeners('data');
    child.process.stdin.end();
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  }
}

/**
 * An H.264 access unit as one IVF frame: its NAL units with start codes, an IDR led by the stream's SPS and
 * PPS unless it carries its own (the decoder has no other source of parameter sets). IVF carries one time per
 * frame, written from the decode time: WebRTC's H.264 has no B-frames (cts 0), so it is the picture's time too.
 */
function annexB(frame: H264Frame, params: VideoParams | undefined): Buffer {
  const carriesSps = frame.nalus.some((n) => nalType(n) === NalUnitType.sps);
  const lead = frame.keyframe && !carriesSps && isH264Params(params) ? [params.sps, params.pps] : [];
  return Buffer.concat([...lead, ...frame.nalus].flatMap((nalu) => [START_CODE, nalu]));
}

/** What keeps the app's ffmpeg from encoding `codec` to H.264 (no binary, no decoder, no libx264), or undefined. */
export function transcoderProblem(codec: VideoCodec, ffmpeg: () => string = findFfmpeg): string | undefined {
  try {
    const capability = transcodeCapability(ffmpeg(), codec);
    return 'error' in capability ? capability.error : undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
