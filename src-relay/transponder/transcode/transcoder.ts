// One stream's H.264 encode of a VP8, VP9 or AV1 publisher, shared by every target that takes only H.264
// (hub.ts keeps one per stream). The publisher's pictures go into an ffmpeg child as IVF on stdin (timestamps
// in stream milliseconds from the first keyframe), ffmpeg decodes them and encodes H.264 with libx264
// (transcodeArgs), and its FLV on stdout becomes the H.264 frames and parameter sets of `output`: a LiveStream
// of its own, not in the registry, whose one layer the targets' layer followers send like any H.264 layer.
// Timestamps map back to the stream clock (the FLV time plus the first keyframe's dts). A new picture size
// restarts the child at that keyframe; ffmpeg missing a decoder or encoder, exiting, or not reading its input
// is `failed`, with what went wrong, and the targets using it fail with that message.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { h264Params, parseAvcDecoderConfigurationRecord, splitLengthPrefixed } from '../../codec/h264.js';
import { FlvReader } from '../../flv/file.js';
import { AvcPacketType, FrameType, TagType } from '../../flv/tags.js';
import type { Log } from '../../log.js';
import { isH264Params, type CodedFrame, type VideoCodec, type VideoFrame } from '../../media.js';
import { LiveStream } from '../../streams.js';
import { findFfmpeg } from '../audio/ffmpeg.js';
import { transcodeArgs, transcodeCapability } from './ffmpeg-video.js';
import { AV1_TEMPORAL_DELIMITER, ivfFileHeader, ivfFrameHeader, type IvfFourCc } from './ivf.js';

const IVF_FOURCC: Record<Exclude<VideoCodec, 'h264'>, IvfFourCc> = { vp8: 'VP80', vp9: 'VP90', av1: 'AV01' };
/** Input queued beyond this (several seconds of video) means ffmpeg stopped reading: memory stays bounded. */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;
const STDERR_TAIL_BYTES = 2000;
const MAX_OUTPUT_TAG_BYTES = 8 * 1024 * 1024;
/** Pictures written and not yet out of the encoder beyond this mean it is stuck. */
const MAX_IN_FLIGHT = 120;

export interface TranscoderOptions {
  bitrateKbps: number;
  keyframeIntervalMs: number;
  log: Log;
  /** The ffmpeg to run (default: the app's, audio/ffmpeg.ts findFfmpeg). */
  ffmpeg?: () => string;
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
  /** Stream dts of the first picture: IVF and FLV time 0. */
  base: number;
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
  private readonly stats = { framesIn: 0, framesOut: 0, restarts: 0, latencySum: 0 };
  private readonly codec: Exclude<VideoCodec, 'h264'>;
  private readonly onVideo = (frame: VideoFrame): void => this.input(frame);
  private readonly onEnd = (reason: string): void => this.close(reason);

  constructor(
    private readonly source: LiveStream,
    private readonly options: TranscoderOptions,
  ) {
    super();
    const codec = source.videoCodec;
    if (codec === 'h264') throw new Error('an H.264 stream needs no transcoder');
    this.codec = codec;
    this.output = new LiveStream(source.name, {
      description: `${source.description}, ${codec.toUpperCase()} → H.264`,
      videoCodec: 'h264',
      // The encoder makes a keyframe every keyframeIntervalMs by itself (-force_key_frames).
      requestKeyframe: () => undefined,
      close: () => undefined,
    });
    source.on('video', this.onVideo);
    source.once('end', this.onEnd);
    // Ask the publisher for a keyframe now: the encoder can start only at one.
    source.requestKeyframe();
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
    this.source.off('video', this.onVideo);
    this.source.off('end', this.onEnd);
    this.stopChild();
    this.options.log('transcoder.stopped', { stream: this.source.name, reason, ...this.toJSON() });
    this.output.end(reason);
  }

  private input(frame: VideoFrame): void {
    if (this.closed || this.errorValue || frame.codec === 'h264') return;
    const params = this.source.params;
    if (frame.keyframe && params && !isH264Params(params) && (!this.child || params.width !== this.child.width || params.height !== this.child.height)) {
      if (this.child) {
        this.stats.restarts++;
        this.stopChild();
      }
      if (!this.startChild(frame, params.width, params.height)) return;
    }
    const child = this.child;
    if (!child) return; // before the first keyframe
    this.write(child, frame);
  }

  private startChild(frame: CodedFrame, width: number, height: number): boolean {
    let ffmpeg: string;
    try {
      ffmpeg = (this.options.ffmpeg ?? findFfmpeg)();
    } catch (error) {
      this.fail(`H.264 transcoder cannot start: ${(error as Error).message}`);
      return false;
    }
    const capability = transcodeCapability(ffmpeg, this.codec);
    if ('error' in capability) {
      this.fail(`H.264 transcoder cannot start: ${capability.error}`);
      return false;
    }
    const args = transcodeArgs({ decoder: capability.decoder, bitrateKbps: this.options.bitrateKbps, keyframeIntervalMs: this.options.keyframeIntervalMs });
    const process = spawn(ffmpeg, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    const child: Child = { process, reader: new FlvReader({ maxTagBody: MAX_OUTPUT_TAG_BYTES }), base: frame.dts, width, height, written: new Map(), lengthSize: 4, stderr: '' };
    this.child = child;
    process.stdin.on('error', () => undefined); // EPIPE when ffmpeg dies: reported by the exit handler
    process.stderr.on('data', (d: Buffer) => {
      child.stderr = (child.stderr + d.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    process.stdout.on('data', (d: Buffer) => this.onStdout(child, d));
    process.on('error', (error) => this.childFailed(child, `could not run: ${error.message}`));
    process.on('close', (code, signal) => this.childFailed(child, signal ? `was killed by ${signal}` : `exited with code ${code}`));
    process.stdin.write(ivfFileHeader(IVF_FOURCC[this.codec], width, height));
    this.options.log('transcoder.started', { stream: this.source.name, codec: this.codec, decoder: capability.decoder, width, height, bitrateKbps: this.options.bitrateKbps, pid: process.pid ?? -1 });
    return true;
  }

  private write(child: Child, frame: CodedFrame): void {
    const stdin = child.process.stdin;
    if (stdin.writableLength > MAX_QUEUED_BYTES || child.written.size > MAX_IN_FLIGHT) {
      this.fail(`H.264 transcoder (ffmpeg) is not keeping up: ${child.written.size} pictures in flight, ${stdin.writableLength} bytes queued`);
      return;
    }
    const timestamp = Math.max(0, Math.round(frame.dts - child.base));
    const data = this.codec === 'av1' ? Buffer.concat([AV1_TEMPORAL_DELIMITER, frame.data]) : frame.data;
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
      const writtenAt = child.written.get(tag.timestamp);
      if (writtenAt !== undefined) {
        this.stats.latencySum += performance.now() - writtenAt;
        child.written.delete(tag.timestamp);
      }
      for (const [ts] of child.written) if (ts < tag.timestamp) child.written.delete(ts);
      const mapped = child.base + tag.timestamp;
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
