// What AAC encoding and Opus decoding cost with each tool we could ship, on the same 60 s of 48 kHz stereo
// PCM (a 1 kHz tone for 20 s, then speech-like noise; test/helpers/audio-quality.ts), and what each does to
// the sound. AAC-LC 128 kb/s through:
//   - ffmpeg children on a PCM pipe with the relay's command line (ffmpegEncoderArgs), each binary with its
//     build's default `aac_coder` and with `fast` / `twoloop` forced: the npm package the relay ships
//     (@ffmpeg-installer, a 2018 static build) and /usr/bin/ffmpeg where present;
//   - libavcodec in-process through node-av (FFmpeg 8, prebuilt per platform), when it can be loaded.
// CPU is user+sys of the encoding process (/usr/bin/time for a child; process.cpuUsage in a fresh Node
// process for in-process rows, module load included), RSS is the child's peak or what loading and running
// the codec added to a Node process, first frame is the time from the first PCM chunk (fed in real time for
// the first 200 ms) to the first AAC frame out. Quality: each output is decoded by /usr/bin/ffmpeg and
// compared with the input. Opus decode (20 ms mono packets at 32 kb/s, as Chromium sends, to 48 kHz stereo
// s16 as the relay needs) through opusscript (what the relay uses), opus-decoder (WASM), @evan/opus and
// node-av's decoders. Each case runs AUDIO_BENCH_RUNS (3) times; the table shows the medians.
//
// Packages that are not dependencies of the project are looked up in AUDIO_BENCH_MODULES too (a scratch
// directory where they were installed with `npm install node-av opus-decoder @evan/opus`); a tool that is
// nowhere prints "not installed".
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { aacFrameBody, aacSequenceHeaderBody, audioTagInfo, encoderOutputReader, ffmpegEncoderArgs, findFfmpeg, type FlvTag, TagType, writeFlv } from '../src-relay/index.js';
import { compareNoise, compareTone, findDelay, RATE, testSignal } from '../test/helpers/audio-quality.js';
import type { BenchResult } from './run.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const THIS_FILE = fileURLToPath(import.meta.url);
const TIME = '/usr/bin/time';
const SYSTEM_FFMPEG = '/usr/bin/ffmpeg';
const SECONDS = Number(process.env.AUDIO_BENCH_SECONDS ?? 60);
const TONE_SECONDS = SECONDS / 3;
const RUNS = Number(process.env.AUDIO_BENCH_RUNS ?? 3);
const BITRATE = 128_000;
/** 20 ms of 48 kHz stereo s16, the chunk size the relay's mixer hands the encoder. */
const CHUNK_BYTES = 960 * 4;
/** The first chunks are fed in real time so "first frame" is a latency, not a throughput. */
const PACED_CHUNKS = 10;
const OPUS_BITRATE = 32_000;
const OPUS_FRAME = 960;
const RUN_TIMEOUT_MS = 5 * 60_000;

interface AacRun {
  /** Everything the encoding process spent, start-up included. */
  cpuS: number;
  /** What starting cost: the same ffmpeg printing its version, or loading the module in-process. */
  startS: number;
  rssMB: number;
  firstFrameMs: number;
  asc: Buffer;
  frames: Buffer[];
}

interface OpusRun {
  cpuS: number;
  loadS: number;
  rssMB: number;
  pcm: Int16Array;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Resolves a package from the project, else from AUDIO_BENCH_MODULES; undefined when it is in neither. */
function resolveOptional(name: string): string | undefined {
  const bases = [join(ROOT, 'package.json')];
  if (process.env.AUDIO_BENCH_MODULES) bases.push(join(process.env.AUDIO_BENCH_MODULES, 'package.json'));
  for (const base of bases) {
    try {
      return createRequire(base).resolve(name);
    } catch {
      // not there
    }
  }
  return undefined;
}

function ffmpegVersion(path: string): string | undefined {
  const probe = spawnSync(path, ['-hide_banner', '-version'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.status !== 0) return undefined;
  const match = /^ffmpeg version (\S+)/.exec(probe.stdout);
  return match?.[1];
}

// ---------------------------------------------------------------- AAC through an ffmpeg child

async function feed(pcm: Buffer, write: (chunk: Buffer) => Promise<void>): Promise<void> {
  for (let offset = 0, i = 0; offset < pcm.length; offset += CHUNK_BYTES, i++) {
    await write(pcm.subarray(offset, offset + CHUNK_BYTES));
    if (i < PACED_CHUNKS) await sleep(20);
  }
}

async function runChild(ffmpeg: string, args: string[], pcm: Buffer, dir: string): Promise<AacRun> {
  const timeFile = join(dir, `time-${process.hrtime.bigint()}.txt`);
  const child = spawn(TIME, ['-f', '%U %S %M', '-o', timeFile, ffmpeg, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const reader = encoderOutputReader();
  const frames: Buffer[] = [];
  let asc = Buffer.alloc(0);
  let started = 0;
  let firstFrameMs = NaN;
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.stdout.on('data', (d: Buffer) => {
    for (const tag of reader.push(d)) {
      const audio = tag.type === TagType.audio ? audioTagInfo(tag.body) : undefined;
      if (!audio) continue;
      if (audio.sequenceHeader) asc = Buffer.from(audio.payload);
      else {
        if (frames.length === 0) firstFrameMs = performance.now() - started;
        frames.push(Buffer.from(audio.payload));
      }
    }
  });
  const exited = once(child, 'exit') as Promise<[number | null]>;
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  started = performance.now();
  await feed(pcm, async (chunk) => {
    if (!child.stdin.write(chunk)) await once(child.stdin, 'drain');
  });
  child.stdin.end();
  const [code] = await exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${ffmpeg} exited ${code}: ${stderr}`);
  const [user, sys, maxKb] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { cpuS: user! + sys!, startS: childStartUp(ffmpeg, dir), rssMB: maxKb! / 1024, firstFrameMs, asc, frames };
}

/** CPU s of `ffmpeg -version`: loading the binary and its libraries, which every encoder child pays once. */
function childStartUp(ffmpeg: string, dir: string): number {
  const timeFile = join(dir, `time-${process.hrtime.bigint()}.txt`);
  spawnSync(TIME, ['-f', '%U %S', '-o', timeFile, ffmpeg, '-hide_banner', '-version'], { stdio: 'ignore', timeout: RUN_TIMEOUT_MS });
  const [user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return user! + sys!;
}

// ---------------------------------------------------------------- in-process cases (a fresh Node process each)

/** Runs one in-process case in a new Node process (its own CPU clock and memory), returning its report. */
async function runWorker(kind: string, input: string, output: string): Promise<{ cpuS: number; loadS: number; rssMB: number; firstFrameMs?: number; asc?: string }> {
  const child = spawn(process.execPath, [...process.execArgv, THIS_FILE, '--worker', kind, input, output], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: process.env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  const line = stdout.trim().split('\n').pop() ?? '';
  // A report printed before a crash at exit still counts (the crash is noted in the table).
  if (!line.startsWith('{')) throw new Error(`worker ${kind} exited ${code ?? signal}: ${stderr}`);
  const report = JSON.parse(line) as { cpuS: number; loadS: number; rssMB: number; firstFrameMs?: number; asc?: string; crashedAtExit?: boolean };
  if (code !== 0) report.crashedAtExit = true;
  return report;
}

/** The parts of node-av's API used here (node-av is not a dependency of the project, so no import of its types). */
interface NodeAvCodecContext {
  sampleRate: number;
  sampleFormat: number;
  channelLayout: object;
  bitRate: bigint;
  timeBase: { num: number; den: number };
  readonly frameSize: number;
  readonly extraData: Buffer | null;
  allocContext3(codec: object): void;
  open2Sync(codec: object, options: object | null): number;
  sendFrameSync(frame: NodeAvFrame | null): number;
  receivePacketSync(packet: NodeAvPacket): number;
  sendPacketSync(packet: NodeAvPacket): number;
  receiveFrameSync(frame: NodeAvFrame): number;
  freeContext(): void;
}
interface NodeAvPacket {
  data: Buffer | null;
  alloc(): void;
  unref(): void;
}
interface NodeAvFrame {
  readonly data: Buffer[] | null;
  readonly nbSamples: number;
  readonly channels: number;
  readonly format: number;
  alloc(): void;
  unref(): void;
  free(): void;
}
interface NodeAv {
  Codec: { findEncoder(id: number): object | null; findDecoderByName(name: string): object | null };
  CodecContext: new () => NodeAvCodecContext;
  Packet: new () => NodeAvPacket;
  Frame: (new () => NodeAvFrame) & {
    fromAudioBuffer(buffer: Buffer, props: { nbSamples: number; format: number; sampleRate: number; channelLayout: object; pts: bigint }): NodeAvFrame;
  };
  Dictionary: { fromObject(options: Record<string, string>): object };
  AV_CODEC_ID_AAC: number;
  AV_SAMPLE_FMT_FLTP: number;
  AV_CHANNEL_LAYOUT_STEREO: object;
}

async function loadNodeAv(): Promise<NodeAv> {
  const path = resolveOptional('node-av');
  if (!path) throw new Error('node-av is not installed');
  return (await import(pathToFileURL(path).href)) as NodeAv;
}

async function workerAac(coder: string, input: string, output: string): Promise<object> {
  const rssBefore = process.memoryUsage().rss;
  const cpuBefore = process.cpuUsage();
  const av = await loadNodeAv();
  const load = process.cpuUsage(cpuBefore);
  const codec = av.Codec.findEncoder(av.AV_CODEC_ID_AAC);
  if (!codec) throw new Error('node-av has no AAC encoder');
  const ctx = new av.CodecContext();
  ctx.allocContext3(codec);
  ctx.sampleRate = RATE;
  ctx.sampleFormat = av.AV_SAMPLE_FMT_FLTP;
  ctx.channelLayout = av.AV_CHANNEL_LAYOUT_STEREO;
  ctx.bitRate = BigInt(BITRATE);
  ctx.timeBase = { num: 1, den: RATE };
  const options = coder === 'default' ? null : av.Dictionary.fromObject({ aac_coder: coder });
  const opened = ctx.open2Sync(codec, options);
  if (opened < 0) throw new Error(`avcodec_open2 failed: ${opened}`);
  const frameSize = ctx.frameSize;
  const planar = Buffer.alloc(frameSize * 2 * 4);
  const planes = new Float32Array(planar.buffer, planar.byteOffset, frameSize * 2);
  const packet = new av.Packet();
  packet.alloc();
  const frames: Buffer[] = [];
  const pcmFile = readFileSync(input);
  const pcm = new Int16Array(pcmFile.buffer, pcmFile.byteOffset, pcmFile.length >> 1);
  let pending = new Int16Array(0);
  let pts = 0n;
  let started = 0;
  let firstFrameMs = NaN;
  const drain = (): void => {
    while (ctx.receivePacketSync(packet) >= 0) {
      if (frames.length === 0) firstFrameMs = performance.now() - started;
      frames.push(Buffer.from(packet.data!));
      packet.unref();
    }
  };
  const encodeFrame = (samples: Int16Array): void => {
    for (let i = 0; i < frameSize; i++) {
      planes[i] = samples[2 * i]! / 32768;
      planes[frameSize + i] = samples[2 * i + 1]! / 32768;
    }
    const frame = av.Frame.fromAudioBuffer(planar, { nbSamples: frameSize, format: av.AV_SAMPLE_FMT_FLTP, sampleRate: RATE, channelLayout: av.AV_CHANNEL_LAYOUT_STEREO, pts });
    pts += BigInt(frameSize);
    ctx.sendFrameSync(frame);
    frame.free();
    drain();
  };
  started = performance.now();
  await feed(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), async (chunk) => {
    const samples = new Int16Array(chunk.buffer, chunk.byteOffset, chunk.length >> 1);
    const joined = new Int16Array(pending.length + samples.length);
    joined.set(pending);
    joined.set(samples, pending.length);
    let offset = 0;
    for (; offset + frameSize * 2 <= joined.length; offset += frameSize * 2) encodeFrame(joined.subarray(offset, offset + frameSize * 2));
    pending = joined.slice(offset);
  });
  ctx.sendFrameSync(null);
  drain();
  const asc = ctx.extraData ? Buffer.from(ctx.extraData).toString('hex') : '';
  const cpu = process.cpuUsage(cpuBefore);
  const rssMB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  ctx.freeContext();
  writeLengthPrefixed(output, frames);
  return { cpuS: (cpu.user + cpu.system) / 1e6, loadS: (load.user + load.system) / 1e6, rssMB, firstFrameMs, asc };
}

function writeLengthPrefixed(file: string, items: Buffer[]): void {
  const parts: Buffer[] = [];
  for (const item of items) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(item.length);
    parts.push(length, item);
  }
  writeFileSync(file, Buffer.concat(parts));
}

function readLengthPrefixed(file: string): Buffer[] {
  const data = readFileSync(file);
  const items: Buffer[] = [];
  for (let offset = 0; offset + 4 <= data.length; ) {
    const length = data.readUInt32BE(offset);
    items.push(data.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  return items;
}

/** Opus decoders: each turns a packet into 48 kHz interleaved stereo s16 (what the relay's mixer takes). */
type PacketDecoder = (packet: Buffer) => Int16Array;

async function opusDecoder(kind: string): Promise<PacketDecoder> {
  switch (kind) {
    case 'opusscript': {
      const { OpusDecoder } = await import('../src-relay/codec/audio/opus.js');
      const decoder = new OpusDecoder();
      return (packet) => decoder.decode(packet);
    }
    case 'opus-decoder': {
      const mod = (await import(pathToFileURL(resolveOptional('opus-decoder')!).href)) as {
        OpusDecoder: new (o: { channels: number; sampleRate: number }) => {
          ready: Promise<void>;
          decodeFrame(p: Uint8Array): { channelData: Float32Array[]; samplesDecoded: number };
        };
      };
      const decoder = new mod.OpusDecoder({ channels: 2, sampleRate: RATE });
      await decoder.ready;
      return (packet) => {
        const { channelData, samplesDecoded } = decoder.decodeFrame(packet);
        const out = new Int16Array(samplesDecoded * 2);
        for (let i = 0; i < samplesDecoded; i++) {
          out[2 * i] = Math.max(-32768, Math.min(32767, Math.round(channelData[0]![i]! * 32768)));
          out[2 * i + 1] = Math.max(-32768, Math.min(32767, Math.round(channelData[1]![i]! * 32768)));
        }
        return out;
      };
    }
    case '@evan/opus': {
      const mod = (await import(pathToFileURL(resolveOptional('@evan/opus')!).href)) as {
        default?: { Decoder: new (o: { channels: number; sample_rate: number }) => { decode(p: Uint8Array): Uint8Array } };
        Decoder?: new (o: { channels: number; sample_rate: number }) => { decode(p: Uint8Array): Uint8Array };
      };
      const Decoder = mod.Decoder ?? mod.default!.Decoder;
      const decoder = new Decoder({ channels: 2, sample_rate: RATE });
      return (packet) => {
        const pcm = decoder.decode(packet);
        return new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength));
      };
    }
    case 'node-av opus':
    case 'node-av libopus': {
      const av = await loadNodeAv();
      const codec = av.Codec.findDecoderByName(kind === 'node-av opus' ? 'opus' : 'libopus');
      if (!codec) throw new Error(`node-av has no ${kind} decoder`);
      const ctx = new av.CodecContext();
      ctx.allocContext3(codec);
      ctx.sampleRate = RATE;
      ctx.channelLayout = av.AV_CHANNEL_LAYOUT_STEREO;
      const opened = ctx.open2Sync(codec, null);
      if (opened < 0) throw new Error(`avcodec_open2 failed: ${opened}`);
      const packet = new av.Packet();
      packet.alloc();
      const frame = new av.Frame();
      frame.alloc();
      return (data) => {
        packet.data = data;
        ctx.sendPacketSync(packet);
        packet.unref();
        const parts: Int16Array[] = [];
        while (ctx.receiveFrameSync(frame) >= 0) {
          parts.push(toStereoS16(frame.data!, frame.nbSamples, frame.channels, frame.format === av.AV_SAMPLE_FMT_FLTP));
          frame.unref();
        }
        return parts.length === 1 ? parts[0]! : concatInt16(parts);
      };
    }
    default:
      throw new Error(`unknown Opus decoder ${kind}`);
  }
}

/** FFmpeg frame planes (FLTP or interleaved S16, 1 or 2 channels) to interleaved stereo s16. */
function toStereoS16(planes: Buffer[], samples: number, channels: number, planarFloat: boolean): Int16Array {
  const out = new Int16Array(samples * 2);
  if (planarFloat) {
    const left = new Float32Array(planes[0]!.buffer, planes[0]!.byteOffset, samples);
    const right = channels > 1 ? new Float32Array(planes[1]!.buffer, planes[1]!.byteOffset, samples) : left;
    for (let i = 0; i < samples; i++) {
      out[2 * i] = Math.max(-32768, Math.min(32767, Math.round(left[i]! * 32768)));
      out[2 * i + 1] = Math.max(-32768, Math.min(32767, Math.round(right[i]! * 32768)));
    }
  } else {
    const data = planes[0]!;
    for (let i = 0; i < samples; i++) {
      out[2 * i] = data.readInt16LE(2 * i * channels);
      out[2 * i + 1] = data.readInt16LE(2 * (i * channels + (channels > 1 ? 1 : 0)));
    }
  }
  return out;
}

function concatInt16(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

async function workerOpus(kind: string, input: string, output: string): Promise<object> {
  const packets = readLengthPrefixed(input);
  const rssBefore = process.memoryUsage().rss;
  const cpuBefore = process.cpuUsage();
  const decode = await opusDecoder(kind);
  const load = process.cpuUsage(cpuBefore);
  const parts = packets.map((p) => decode(p));
  const cpu = process.cpuUsage(cpuBefore);
  const rssMB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  const pcm = concatInt16(parts);
  writeFileSync(output, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  return { cpuS: (cpu.user + cpu.system) / 1e6, loadS: (load.user + load.system) / 1e6, rssMB };
}

// ---------------------------------------------------------------- the table

/** 20 ms mono Opus packets of the signal's left channel, by opusscript's libopus encoder (deterministic). */
function opusPackets(signal: Int16Array): Buffer[] {
  const require = createRequire(join(ROOT, 'package.json'));
  const OpusScript = require('opusscript') as typeof import('opusscript');
  const encoder = new OpusScript(RATE, 1, OpusScript.Application.AUDIO);
  encoder.encoderCTL(4002 /* OPUS_SET_BITRATE */, OPUS_BITRATE);
  const packets: Buffer[] = [];
  const mono = new Int16Array(OPUS_FRAME);
  for (let f = 0; f + OPUS_FRAME <= signal.length / 2; f += OPUS_FRAME) {
    for (let i = 0; i < OPUS_FRAME; i++) mono[i] = signal[2 * (f + i)]!;
    packets.push(Buffer.from(encoder.encode(Buffer.from(mono.buffer), OPUS_FRAME)));
  }
  encoder.delete();
  return packets;
}

async function decodeWithSystemFfmpeg(flv: Buffer, dir: string): Promise<Int16Array> {
  const file = join(dir, `decode-${process.hrtime.bigint()}.flv`);
  writeFileSync(file, flv);
  const child = spawn(SYSTEM_FFMPEG, ['-v', 'error', '-i', file, '-f', 's16le', '-ac', '2', '-ar', String(RATE), 'pipe:1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${SYSTEM_FFMPEG} could not decode the AAC output (exit ${code})`);
  const pcm = Buffer.concat(chunks);
  return new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length >> 1);
}

function aacFlv(asc: Buffer, frames: Buffer[]): Buffer {
  const tags: FlvTag[] = [{ type: TagType.audio, timestamp: 0, body: aacSequenceHeaderBody(asc) }];
  frames.forEach((f, i) => tags.push({ type: TagType.audio, timestamp: Math.round((i * 1024 * 1000) / RATE), body: aacFrameBody(f) }));
  return writeFlv(tags, { audio: true, video: false });
}

const fmt = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : '—');

interface AacCase {
  name: string;
  /** Why the case cannot run here, if it cannot. */
  missing?: string;
  run: (dir: string, pcmFile: string, pcm: Buffer) => Promise<AacRun>;
}

/** The relay's command line with `-aac_coder` set to `coder`, or left out ('default': the build's default); undefined keeps it as the relay has it. */
function childArgs(coder: string | undefined): string[] {
  const args = ffmpegEncoderArgs('aac', BITRATE);
  if (coder === undefined) return args;
  const at = args.indexOf('-aac_coder');
  if (at >= 0) args.splice(at, 2);
  if (coder !== 'default') args.splice(args.indexOf('-b:a'), 0, '-aac_coder', coder);
  return args;
}

function childCase(name: string, ffmpeg: string | undefined, coder: string | undefined): AacCase {
  const args = childArgs(coder);
  return {
    name,
    missing: ffmpeg && existsSync(TIME) ? undefined : ffmpeg ? `needs ${TIME}` : 'not installed',
    run: (dir, _file, pcm) => runChild(ffmpeg!, args, pcm, dir),
  };
}

function nodeAvCase(coder: string): AacCase {
  return {
    name: `node-av (FFmpeg 8, in-process), aac_coder ${coder}`,
    missing: resolveOptional('node-av') ? undefined : 'not installed',
    run: async (dir, pcmFile) => {
      const out = join(dir, `nodeav-${coder}-${process.hrtime.bigint()}.bin`);
      const report = await runWorker(`aac:${coder}`, pcmFile, out);
      return { cpuS: report.cpuS, startS: report.loadS, rssMB: report.rssMB, firstFrameMs: report.firstFrameMs ?? NaN, asc: Buffer.from(report.asc ?? '', 'hex'), frames: readLengthPrefixed(out) };
    },
  };
}

function installerFfmpeg(): string | undefined {
  const resolved = resolveOptional('@ffmpeg-installer/ffmpeg');
  if (!resolved) return undefined;
  try {
    const { path } = createRequire(join(ROOT, 'package.json'))(resolved) as { path: string };
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

async function aacTable(dir: string, signal: Int16Array): Promise<BenchResult> {
  const pcm = Buffer.from(signal.buffer, signal.byteOffset, signal.byteLength);
  const pcmFile = join(dir, 'signal.s16le');
  writeFileSync(pcmFile, pcm);
  const installer = installerFfmpeg();
  const installerVersion = installer ? ffmpegVersion(installer) : undefined;
  const system = existsSync(SYSTEM_FFMPEG) ? SYSTEM_FFMPEG : undefined;
  const systemVersion = system ? ffmpegVersion(system) : undefined;
  let relay = '';
  try {
    relay = findFfmpeg();
  } catch {
    relay = '';
  }
  const relayArgs = ffmpegEncoderArgs('aac', BITRATE);
  const cases: AacCase[] = [
    childCase(`relay as configured: ${relay === installer ? '@ffmpeg-installer' : relay || 'no ffmpeg'} ${relayArgs.slice(relayArgs.indexOf('-c:a'), relayArgs.indexOf('-ar', relayArgs.indexOf('-c:a'))).join(' ')}`, relay || undefined, undefined),
    childCase(`@ffmpeg-installer ${installerVersion ?? ''} (2018), build default coder`, installer, 'default'),
    childCase(`@ffmpeg-installer ${installerVersion ?? ''}, aac_coder twoloop`, installer, 'twoloop'),
    childCase(`@ffmpeg-installer ${installerVersion ?? ''}, aac_coder fast`, installer, 'fast'),
    childCase(`/usr/bin/ffmpeg ${systemVersion ?? ''}, build default coder`, system, 'default'),
    childCase(`/usr/bin/ffmpeg ${systemVersion ?? ''}, aac_coder twoloop`, system, 'twoloop'),
    childCase(`/usr/bin/ffmpeg ${systemVersion ?? ''}, aac_coder fast`, system, 'fast'),
    nodeAvCase('twoloop'),
    nodeAvCase('fast'),
  ];
  const toneStart = Math.round(Math.min(2, TONE_SECONDS / 4) * RATE);
  const toneEnd = Math.round((TONE_SECONDS - 1) * RATE);
  const noiseStart = Math.round((TONE_SECONDS + 1) * RATE);
  const noiseEnd = Math.round((SECONDS - 1) * RATE);
  const rows: string[][] = [];
  for (const c of cases) {
    process.stderr.write(`bench audio: ${c.name}…\n`);
    if (c.missing) {
      rows.push([c.name, c.missing, '', '', '', '', '', '', '', '', '']);
      continue;
    }
    const runs: AacRun[] = [];
    try {
      for (let i = 0; i < RUNS; i++) runs.push(await c.run(dir, pcmFile, pcm));
    } catch (error) {
      rows.push([c.name, `failed: ${(error as Error).message.split('\n')[0]}`, '', '', '', '', '', '', '', '', '']);
      continue;
    }
    const last = runs[runs.length - 1]!;
    let quality = ['—', '—', '—', '—', '—', '—'];
    if (system) {
      const decoded = await decodeWithSystemFfmpeg(aacFlv(last.asc, last.frames), dir);
      const delay = findDelay(signal, decoded, noiseStart);
      const tone = compareTone(signal, decoded, delay, toneStart, toneEnd);
      const noise = compareNoise(signal, decoded, delay, noiseStart, noiseEnd);
      quality = [fmt(tone.hz, 1), fmt(tone.levelDb, 2), fmt(tone.thdnDb, 1), fmt(noise.snrDb, 1), fmt(noise.bandErrorDb, 2), String(delay)];
    }
    rows.push([
      c.name,
      fmt(median(runs.map((r) => r.cpuS)), 2),
      fmt(median(runs.map((r) => r.startS)), 2),
      fmt(median(runs.map((r) => r.rssMB)), 0),
      fmt(median(runs.map((r) => r.firstFrameMs)), 0),
      ...quality,
    ]);
  }
  return {
    title: `AAC-LC ${BITRATE / 1000} kb/s, ${SECONDS} s of 48 kHz stereo (tone ${TONE_SECONDS} s, then speech-like noise), median of ${RUNS}`,
    columns: ['encoder', 'CPU s', 'of it start-up s', 'RSS MB', 'first frame ms', 'tone Hz', 'tone level dB', 'tone THD+N dB', 'noise SNR dB', 'band error dB', 'delay'],
    rows,
  };
}

/** CPU by content: the AAC coders on what a relay encodes (speech from a mono microphone is L = R), a test tone and silence. */
async function aacContentTable(dir: string): Promise<BenchResult> {
  const speech = testSignal(SECONDS, 0);
  const mono = speech.slice();
  for (let i = 0; i < mono.length; i += 2) mono[i + 1] = mono[i]!;
  const contents: { name: string; signal: Int16Array; kind: 'speech' | 'tone' | 'silence' }[] = [
    { name: 'speech-like, mono microphone (L = R)', signal: mono, kind: 'speech' },
    { name: 'speech-like, stereo', signal: speech, kind: 'speech' },
    { name: '1 kHz tone, L = R', signal: testSignal(SECONDS, SECONDS), kind: 'tone' },
    { name: 'silence', signal: new Int16Array(SECONDS * RATE * 2), kind: 'silence' },
  ];
  const installer = installerFfmpeg();
  const system = existsSync(SYSTEM_FFMPEG) ? SYSTEM_FFMPEG : undefined;
  const configs = [
    { name: '@ffmpeg-installer, fast', ffmpeg: installer, coder: 'fast' },
    { name: '@ffmpeg-installer, twoloop', ffmpeg: installer, coder: 'twoloop' },
    { name: '/usr/bin/ffmpeg, fast', ffmpeg: system, coder: 'fast' },
    { name: '/usr/bin/ffmpeg, twoloop', ffmpeg: system, coder: 'twoloop' },
  ];
  const rows: string[][] = [];
  for (const content of contents) {
    const pcm = Buffer.from(content.signal.buffer, content.signal.byteOffset, content.signal.byteLength);
    for (const config of configs) {
      process.stderr.write(`bench audio: ${content.name}, ${config.name}…\n`);
      const c = childCase(config.name, config.ffmpeg, config.coder);
      if (c.missing) {
        rows.push([content.name, config.name, c.missing, '', '', '']);
        continue;
      }
      const runs: AacRun[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await c.run(dir, '', pcm));
      const last = runs[runs.length - 1]!;
      let quality = ['—', '—', '—'];
      if (system) {
        const decoded = await decodeWithSystemFfmpeg(aacFlv(last.asc, last.frames), dir);
        const end = (SECONDS - 1) * RATE;
        if (content.kind === 'speech') {
          const delay = findDelay(content.signal, decoded, RATE);
          const noise = compareNoise(content.signal, decoded, delay, RATE, end);
          quality = [fmt(noise.snrDb, 1), fmt(noise.bandErrorDb, 2), ''];
        } else if (content.kind === 'tone') {
          const tone = compareTone(content.signal, decoded, 1024, RATE, end);
          quality = ['', '', `THD+N ${fmt(tone.thdnDb, 1)} dB, ${fmt(tone.hz, 1)} Hz, ${fmt(tone.levelDb, 2)} dB`];
        } else {
          let peak = 0;
          for (const v of decoded) peak = Math.max(peak, Math.abs(v));
          quality = ['', '', `peak ${peak}`];
        }
      }
      rows.push([content.name, config.name, fmt(median(runs.map((r) => r.cpuS)), 2), ...quality]);
    }
  }
  return {
    title: `AAC-LC ${BITRATE / 1000} kb/s by content, ${SECONDS} s each, ffmpeg children with the relay's command line, median of ${RUNS}`,
    columns: ['content', 'encoder', 'CPU s', 'SNR dB', 'band error dB', 'other'],
    rows,
  };
}

async function opusTable(dir: string, signal: Int16Array): Promise<BenchResult> {
  const packets = opusPackets(signal);
  const packetFile = join(dir, 'opus.bin');
  writeLengthPrefixed(packetFile, packets);
  const kinds: { kind: string; name: string; pkg: string }[] = [
    { kind: 'opusscript', name: 'opusscript (libopus WASM, the relay today)', pkg: 'opusscript' },
    { kind: 'opus-decoder', name: 'opus-decoder (libopus WASM)', pkg: 'opus-decoder' },
    { kind: '@evan/opus', name: '@evan/opus (libopus, prebuilt native)', pkg: '@evan/opus' },
    { kind: 'node-av opus', name: "node-av, FFmpeg's own Opus decoder", pkg: 'node-av' },
    { kind: 'node-av libopus', name: 'node-av, libopus', pkg: 'node-av' },
  ];
  const rows: string[][] = [];
  let reference: Int16Array | undefined;
  for (const { kind, name, pkg } of kinds) {
    process.stderr.write(`bench audio: ${name}…\n`);
    if (!resolveOptional(pkg)) {
      rows.push([name, 'not installed', '', '', '', '']);
      continue;
    }
    const runs: OpusRun[] = [];
    try {
      for (let i = 0; i < RUNS; i++) {
        const out = join(dir, `opus-${i}.pcm`);
        const report = await runWorker(`opus:${kind}`, packetFile, out);
        const bytes = readFileSync(out);
        runs.push({ cpuS: report.cpuS, loadS: report.loadS, rssMB: report.rssMB, pcm: new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1) });
      }
    } catch (error) {
      rows.push([name, `failed: ${(error as Error).message.split('\n')[0]}`, '', '', '', '']);
      continue;
    }
    const pcm = runs[runs.length - 1]!.pcm;
    reference ??= pcm;
    const n = Math.min(reference.length, pcm.length);
    let signalEnergy = 0;
    let diffEnergy = 0;
    for (let i = 0; i < n; i++) {
      signalEnergy += reference[i]! * reference[i]!;
      diffEnergy += (reference[i]! - pcm[i]!) ** 2;
    }
    const versus = diffEnergy === 0 ? 'identical' : fmt(10 * Math.log10(signalEnergy / diffEnergy), 1);
    const decodeS = median(runs.map((r) => r.cpuS - r.loadS));
    const loadS = median(runs.map((r) => r.loadS));
    rows.push([name, fmt(decodeS, 3), fmt((decodeS * 1000) / SECONDS, 1), fmt(loadS, 3), fmt(median(runs.map((r) => r.rssMB)), 0), versus]);
  }
  return {
    title: `Opus decode, ${packets.length} packets of 20 ms mono at ${OPUS_BITRATE / 1000} kb/s (${SECONDS} s) to 48 kHz stereo s16, median of ${RUNS}`,
    columns: ['decoder', 'decode CPU s', 'ms per s of audio', 'module load CPU s', 'RSS added MB', 'SNR vs opusscript dB'],
    rows,
  };
}

export default async function audioBench(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'castbridge-audio-bench-'));
  try {
    const signal = testSignal(SECONDS, TONE_SECONDS);
    return [await aacTable(dir, signal), await aacContentTable(dir), await opusTable(dir, signal)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === THIS_FILE && process.argv[2] === '--worker') {
  const [kind, input, output] = process.argv.slice(3) as [string, string, string];
  const [family, variant] = [kind.slice(0, kind.indexOf(':')), kind.slice(kind.indexOf(':') + 1)];
  const report = family === 'aac' ? await workerAac(variant, input, output) : await workerOpus(variant, input, output);
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
