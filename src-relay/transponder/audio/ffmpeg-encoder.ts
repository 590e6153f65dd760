// AAC-LC (ISO/IEC 14496-3) and Speex (RFC 5574 payload, FLV SoundFormat 11) encoded by an ffmpeg child:
// s16le 48 kHz stereo on stdin, FLV on stdout (flv/'s FlvReader splits it into tags: for AAC the
// sequence header carries the AudioSpecificConfig, then one raw frame of 1024 samples per tag; for Speex one
// 20 ms frame of 320 samples at 16 kHz mono per tag, as FLV requires).
// docs/DESIGN.md §9: `-probesize 32 -analyzeduration 0` on the input gives the first frame in ~73 ms; never
// `-fflags nobuffer` (it drops ~1 s of audio). Frame times come from counting samples, not from ffmpeg.

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { Log } from '../../log.js';
import { PCM_CHANNELS, PCM_RATE } from '../../media.js';
import { findFfmpeg } from './ffmpeg.js';
import { BaseAudioEncoder } from './encoder-base.js';
import { FlvReader, type FlvTag } from '../../flv/file.js';
import { audioTagInfo, SOUND_FLAGS, TagType } from '../../flv/tags.js';
import { buildAudioSpecificConfig, parseAudioSpecificConfig } from '../../codec/aac.js';

interface CodecSetup {
  args: (bitrate: number) => string[];
  /** Input sample frames (48 kHz) per output frame. */
  frameInput: number;
  /** Encoder look-ahead in input sample frames: output frame n starts at input n·frameInput − delay. */
  delayInput: number;
}

const SETUP: Record<'aac' | 'speex', CodecSetup> = {
  aac: {
    // `-aac_coder fast` (the quantiser search): on speech, mono or stereo, it costs 2–3× less CPU than
    // `twoloop`, the default of current FFmpeg (5.1, 8; the 2018 build we ship defaults to fast), and
    // measures at least as well (docs/BENCHMARKS.md, "Audio encode/decode").
    args: (bitrate) => ['-c:a', 'aac', '-aac_coder', 'fast', '-b:a', String(bitrate), '-ar', '48000', '-ac', '2'],
    frameInput: 1024,
    // ffmpeg's AAC encoder primes with one frame (initial_padding 1024, ISO/IEC 14496-3 §4.5.2 overlap).
    delayInput: 1024,
  },
  speex: {
    args: () => ['-c:a', 'libspeex', '-frames_per_packet', '1', '-ar', '16000', '-ac', '1'],
    frameInput: 960, // 320 samples at 16 kHz
    // Wideband Speex look-ahead (SPEEX_GET_LOOKAHEAD): 2 × 80 (narrowband window − frame) + QMF order 64 − 1
    // = 223 samples at 16 kHz; cross-correlating ffmpeg's decode with the input measures the same here.
    delayInput: 223 * 3,
  },
};

const BITRATE = { default: 128_000, min: 16_000, max: 512_000 } as const;
/** Input queued for ffmpeg's stdin beyond 10 s of audio means the child stalled: memory stays bounded. */
const MAX_QUEUED_BYTES = 10 * PCM_RATE * PCM_CHANNELS * 2;
const STDERR_TAIL_BYTES = 2000;
const END_TIMEOUT_MS = 10_000;
/** An encoder's audio tag is a few hundred bytes; a DataSize near this means the stream lost its framing. */
const MAX_OUTPUT_TAG_BYTES = 1 << 20;

/** The reader of an encoder child's stdout: FLV whose tags are refused above MAX_OUTPUT_TAG_BYTES. */
export function encoderOutputReader(): FlvReader {
  return new FlvReader({ maxTagBody: MAX_OUTPUT_TAG_BYTES });
}

/** The ffmpeg command line of an encoder child: s16le 48 kHz stereo on stdin, FLV on stdout. */
export function ffmpegEncoderArgs(codec: 'aac' | 'speex', bitrate: number): string[] {
  return [
    ...['-hide_banner', '-loglevel', 'error', '-nostats'],
    ...['-f', 's16le', '-ar', String(PCM_RATE), '-ac', String(PCM_CHANNELS), '-probesize', '32', '-analyzeduration', '0'],
    ...['-i', 'pipe:0', '-vn'],
    ...SETUP[codec].args(bitrate),
    ...['-f', 'flv', '-flush_packets', '1', 'pipe:1'],
  ];
}

export class FfmpegAudioEncoder extends BaseAudioEncoder {
  readonly flvSoundFlags: number;
  readonly delayMs: number;
  private asc: Buffer | undefined;
  private readonly setup: CodecSetup;
  /** Undefined when no ffmpeg could be found (the encoder then only reports that error). */
  private readonly child: ChildProcessByStdio<Writable, Readable, Readable> | undefined;
  private readonly reader = encoderOutputReader();
  private stderrTail = '';
  private framesOut = 0;
  private readonly exited: Promise<void>;

  constructor(readonly codec: 'aac' | 'speex', options: { bitrate?: number; log: Log }) {
    super(options.log);
    const bitrate = options.bitrate ?? BITRATE.default;
    if (!Number.isInteger(bitrate) || bitrate < BITRATE.min || bitrate > BITRATE.max) {
      throw new RangeError(`bitrate must be an integer ${BITRATE.min}–${BITRATE.max} b/s, got ${bitrate}`);
    }
    this.setup = SETUP[codec];
    this.flvSoundFlags = SOUND_FLAGS[codec];
    this.delayMs = (this.setup.delayInput * 1000) / PCM_RATE;
    const args = ffmpegEncoderArgs(codec, bitrate);
    let ffmpeg: string;
    try {
      ffmpeg = findFfmpeg();
    } catch (err) {
      // Reported as 'error' (once the caller has subscribed), never thrown: the transponder must survive it.
      this.child = undefined;
      this.exited = Promise.resolve();
      setImmediate(() => this.fail(new Error(`ffmpeg ${codec} encoder cannot start: ${(err as Error).message}`)));
      return;
    }
    const child = spawn(ffmpeg, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    this.child = child;
    this.log('audio.encoder_start', { codec, pid: child.pid ?? -1 });
    child.stdin.on('error', () => {}); // EPIPE when ffmpeg dies: reported by the exit handler with stderr
    child.stderr.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    child.stdout.on('data', (d: Buffer) => this.onStdout(d));
    this.exited = new Promise((resolve) => {
      child.on('error', (err) => {
        this.fail(new Error(`ffmpeg ${codec} encoder could not run: ${err.message}`));
        resolve();
      });
      child.on('close', (code, signal) => {
        this.onExit(code, signal);
        resolve();
      });
    });
  }

  override get audioSpecificConfig(): Buffer | undefined {
    return this.asc;
  }

  protected encodePcm(samples: Int16Array): void {
    if (!this.child) return;
    if (this.child.stdin.writableLength > MAX_QUEUED_BYTES) {
      this.fail(new Error(`ffmpeg ${this.codec} encoder is not reading its input (${this.child.stdin.writableLength} bytes queued)`));
      return;
    }
    // A copy: the caller may reuse its array while the write is queued. Int16Array is host-endian, and every
    // platform we ship (x64, arm64) is little-endian, as s16le wants.
    this.child.stdin.write(Buffer.from(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength)));
  }

  async end(): Promise<void> {
    if (this.closed) return;
    if (!this.ending) {
      this.ending = true;
      this.child?.stdin.end();
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.fail(new Error(`ffmpeg ${this.codec} encoder did not finish within ${END_TIMEOUT_MS} ms`));
        resolve();
      }, END_TIMEOUT_MS);
    });
    await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const child = this.child;
    if (child) {
      child.stdout.removeAllListeners('data');
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    this.log('audio.encoder_stop', { codec: this.codec, frames: this.framesOut });
  }

  private onStdout(data: Buffer): void {
    if (this.closed) return;
    let tags: FlvTag[];
    try {
      tags = this.reader.push(data);
    } catch (err) {
      this.fail(new Error(`ffmpeg ${this.codec} encoder output: ${(err as Error).message}`, { cause: err }));
      return;
    }
    for (const tag of tags) if (tag.type === TagType.audio) this.onAudioBody(tag.body);
  }

  private onAudioBody(body: Buffer): void {
    const audio = audioTagInfo(body);
    if (!audio) return;
    if (audio.sequenceHeader) this.asc = canonicalAsc(audio.payload);
    else this.pushFrame(audio.payload);
  }

  private pushFrame(data: Buffer): void {
    const time = this.clock.timeAt(this.framesOut * this.setup.frameInput - this.setup.delayInput);
    this.framesOut++;
    this.emitFrame({ codec: this.codec, time, data: Buffer.from(data) });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.closed) return;
    if (this.ending && code === 0) return;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const tail = this.stderrTail.trim().split('\n').slice(-5).join(' | ');
    this.fail(new Error(`ffmpeg ${this.codec} encoder ${how}${tail ? `: ${tail}` : ' (no stderr output)'}`));
  }
}

/**
 * ffmpeg writes a 5-byte AudioSpecificConfig with explicit "no SBR" backward-compatible signalling
 * (syncExtensionType 0x2B7, ISO/IEC 14496-3 §1.6.5.2). Ingests and players all expect the plain 2-byte
 * AAC-LC form OBS and hardware encoders send (0x11 0x90 for 48 kHz stereo): keep just that.
 */
function canonicalAsc(raw: Buffer): Buffer {
  try {
    return buildAudioSpecificConfig(parseAudioSpecificConfig(raw));
  } catch {
    return Buffer.from(raw); // unusual config: pass it on as ffmpeg wrote it
  }
}
