// `castbridge push FILE.flv RTMP_URL [--stream-name NAME] [--set key=value ...] [--no-pace] [--verbose]`:
// streams an FLV file to an RTMP(S) target through our own RTMP client, in real time (paced by the tags'
// timestamps) or as fast as the target accepts (--no-pace, for benchmarks). The same URL rules and
// settings (DESIGN.md §5–6) as a transponder; never prints a stream key or password.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFlvStream, type FlvTag } from '../../src-relay/flv/file.js';
import { TagType, onMetaData, videoTagInfo, AvcPacketType, SoundFormat, AacPacketType, type MetaInput } from '../../src-relay/flv/tags.js';
import { parseAvcDecoderConfigurationRecord, parseSps } from '../../src-relay/codec/h264.js';
import { channelCount, parseAudioSpecificConfig } from '../../src-relay/codec/aac.js';
import { asAmf0Record, decodeAmf0, type Amf0Value } from '../../src-relay/rtmp/amf0.js';
import { RtmpPublisher, RtmpError } from '../../src-relay/rtmp/publisher.js';
import { resolveRtmpTarget, RtmpUrlError, type RtmpTarget } from '../../src-relay/rtmp/url.js';
import { redactName, redactUrl } from '../../src-relay/redact.js';
import { consoleLog, silentLog } from '../../src-relay/log.js';
import type { AudioCodec } from '../../src-relay/media.js';
import { isSettingKey, parseSettingValue, SETTING_SPECS } from '../config/settings.js';
import { packageVersion } from './version.js';

export const PUSH_USAGE = `usage: castbridge push FILE.flv RTMP_URL [options]
  Streams an FLV file (H.264 + AAC/G.711/Speex) to an RTMP or RTMPS server in real time.
  --stream-name NAME   name to publish (prefix applied); default: the URL's stream segment
                       (with rtmp_transponder_full_url=true) or the file's base name
  --set key=value      a setting, e.g. rtmp_transponder_stream_name_prefix= (no prefix),
                       rtmp_transponder_full_url=true, rtmp_flash_version="FMLE/3.0 (compatible; X)"
  --no-pace            send as fast as the server accepts instead of in real time
  --verbose            log the RTMP session to stderr`;

export class PushUsageError extends Error {
  override name = 'PushUsageError';
}

export interface PushSettings {
  prefix: string;
  fullUrl: boolean;
  flashVer: string;
}

export interface PushArgs {
  file: string;
  rtmpUrl: string;
  streamName?: string;
  settings: PushSettings;
  pace: boolean;
  verbose: boolean;
}

/** The settings push uses; any other known key is accepted (it means nothing to a push). */
function applySetting(settings: PushSettings, pair: string): void {
  const eq = pair.indexOf('=');
  if (eq <= 0) throw new PushUsageError(`--set needs key=value, got "${pair}"`);
  const key = pair.slice(0, eq).trim();
  const text = pair.slice(eq + 1);
  if (!isSettingKey(key)) {
    throw new PushUsageError(`unknown setting "${key}" in --set (known: ${Object.keys(SETTING_SPECS).filter((k) => k.startsWith('rtmp_')).join(', ')}, …)`);
  }
  const parsed = parseSettingValue(key, text);
  if (!parsed.ok) throw new PushUsageError(parsed.error);
  if (key === 'rtmp_transponder_stream_name_prefix') settings.prefix = parsed.value as string;
  else if (key === 'rtmp_transponder_full_url') settings.fullUrl = parsed.value as boolean;
  else if (key === 'rtmp_flash_version') settings.flashVer = parsed.value as string;
}

export function parsePushArgs(argv: readonly string[]): PushArgs {
  const settings: PushSettings = {
    prefix: SETTING_SPECS.rtmp_transponder_stream_name_prefix.default,
    fullUrl: (SETTING_SPECS.rtmp_transponder_full_url.default as string) === 'true',
    flashVer: SETTING_SPECS.rtmp_flash_version.default,
  };
  const positional: string[] = [];
  let streamName: string | undefined;
  let pace = true;
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new PushUsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--stream-name') streamName = value();
    else if (arg.startsWith('--stream-name=')) streamName = arg.slice('--stream-name='.length);
    else if (arg === '--set') applySetting(settings, value());
    else if (arg.startsWith('--set=')) applySetting(settings, arg.slice('--set='.length));
    else if (arg === '--no-pace') pace = false;
    else if (arg === '--verbose') verbose = true;
    else if (arg.startsWith('--')) throw new PushUsageError(`unknown option "${arg}"`);
    else positional.push(arg);
  }
  if (positional.length !== 2) throw new PushUsageError(`expected FILE.flv and RTMP_URL, got ${positional.length} argument(s)`);
  if (streamName === '') throw new PushUsageError('--stream-name is empty');
  const [file, rtmpUrl] = positional as [string, string];
  return { file, rtmpUrl, ...(streamName !== undefined && { streamName }), settings, pace, verbose };
}

/** The target of a push: --stream-name, else the URL's (full_url), else the file's base name. */
export function pushTarget(args: PushArgs): RtmpTarget {
  const fallbackName = args.streamName ?? basename(args.file, extname(args.file));
  return resolveRtmpTarget(args.rtmpUrl, fallbackName, {
    prefix: args.settings.prefix,
    fullUrl: args.settings.fullUrl,
    ...(args.settings.flashVer && { flashVer: args.settings.flashVer }),
  });
}

const CODEC_BY_SOUND_FORMAT: Partial<Record<number, AudioCodec>> = {
  [SoundFormat.aac]: 'aac',
  [SoundFormat.g711Alaw]: 'pcma',
  [SoundFormat.g711Mulaw]: 'pcmu',
  [SoundFormat.speex]: 'speex',
};
/** Tags read ahead to find both sequence headers before sending onMetaData. */
const LOOKAHEAD_TAGS = 64;

/** onMetaData for the push: what the file says, else what its sequence headers say. */
export function buildPushMetadata(head: FlvTag[], version: string): Record<string, Amf0Value> {
  const meta: MetaInput = { version };
  let fileMeta: Record<string, Amf0Value> = {};
  for (const tag of head) {
    if (tag.type === TagType.script && Object.keys(fileMeta).length === 0) fileMeta = scriptMetadata(tag.body) ?? {};
    if (tag.type === TagType.video && meta.width === undefined && videoTagInfo(tag.body).sequenceHeader) {
      try {
        const sps = parseSps(parseAvcDecoderConfigurationRecord(tag.body.subarray(5)).sps[0] ?? Buffer.alloc(0));
        Object.assign(meta, { width: sps.width, height: sps.height }, sps.fps !== undefined && { framerate: sps.fps });
      } catch {
        // an unreadable sequence header: the file's own metadata (if any) still says the size
      }
    }
    if (tag.type === TagType.audio && meta.audioCodec === undefined && tag.body.length > 0) {
      const codec = CODEC_BY_SOUND_FORMAT[tag.body[0] >> 4];
      if (codec) meta.audioCodec = codec;
      if (codec === 'aac' && tag.body[1] === AacPacketType.sequenceHeader) {
        try {
          const asc = parseAudioSpecificConfig(tag.body.subarray(2));
          meta.audioSampleRate = asc.sampleRate;
          meta.stereo = channelCount(asc.channelConfig) >= 2;
        } catch {
          // keep the defaults of the codec
        }
      }
    }
  }
  const num = (key: string): number | undefined => (typeof fileMeta[key] === 'number' ? (fileMeta[key] as number) : undefined);
  meta.width ??= num('width');
  meta.height ??= num('height');
  meta.framerate ??= num('framerate');
  const videoRate = num('videodatarate');
  const audioRate = num('audiodatarate');
  if (videoRate) meta.videoDataRateKbps = videoRate;
  if (audioRate) meta.audioDataRateKbps = audioRate;
  if (meta.audioSampleRate === undefined && num('audiosamplerate')) meta.audioSampleRate = num('audiosamplerate');
  return onMetaData(meta);
}

/** The object of an `onMetaData` script tag (with or without `@setDataFrame`), undefined otherwise. */
function scriptMetadata(body: Buffer): Record<string, Amf0Value> | undefined {
  try {
    const values = decodeAmf0(body);
    const at = values.indexOf('onMetaData');
    return at >= 0 && values[at + 1] !== undefined ? asAmf0Record(values[at + 1]!) : undefined;
  } catch {
    return undefined;
  }
}

export interface PushProgress {
  /** Media time sent, ms. */
  mediaMs: number;
  bytesSent: number;
  /** Over the last report interval. */
  bitrateKbps: number;
}

export interface PushResult {
  tags: number;
  mediaMs: number;
  bytesSent: number;
  droppedFrames: number;
}

export interface PushOptions {
  pace: boolean;
  /** Aborts the push (Ctrl-C); the publisher is stopped cleanly. */
  signal?: AbortSignal;
  onProgress?: (progress: PushProgress) => void;
  progressIntervalMs?: number;
}

/** Without pacing, wait while this much video waits in the publisher's queue (its drop limit is 700 ms). */
const NO_PACE_HIGH_WATER_MS = 300;
const NO_PACE_POLL_MS = 2;
/** How long the end of a push waits for the queue to empty before stop() (which flushes too, bounded). */
const DRAIN_TIMEOUT_MS = 10_000;

/** Sends the tags of an FLV file through a started publisher; resolves when all are sent, rejects on a close. */
export async function pushTags(publisher: RtmpPublisher, tags: AsyncIterable<FlvTag>, version: string, options: PushOptions): Promise<PushResult> {
  let closedWith: RtmpError | undefined;
  let closed = false;
  const onClose = (error: RtmpError | undefined): void => {
    closed = true;
    closedWith = error;
  };
  publisher.on('close', onClose);
  const iterator = tags[Symbol.asyncIterator]();
  const head: FlvTag[] = [];
  let exhausted = false;
  while (head.length < LOOKAHEAD_TAGS && !haveBothHeaders(head)) {
    const next = await iterator.next();
    if (next.done) {
      exhausted = true;
      break;
    }
    head.push(next.value);
  }
  publisher.writeMetadata(buildPushMetadata(head, version));

  let base: number | undefined;
  let lastMs = 0;
  let count = 0;
  const startedAt = performance.now();
  let lastReport = { at: startedAt, bytes: 0 };
  const report = (): void => {
    const now = performance.now();
    const bitrateKbps = ((publisher.bytesSent - lastReport.bytes) * 8) / Math.max(1, now - lastReport.at);
    lastReport = { at: now, bytes: publisher.bytesSent };
    options.onProgress?.({ mediaMs: lastMs, bytesSent: publisher.bytesSent, bitrateKbps });
  };
  const timer = setInterval(report, options.progressIntervalMs ?? 1000);
  const check = (): void => {
    if (closed) throw closedWith ?? new RtmpError('CLOSED', 'the connection closed during the push');
    if (options.signal?.aborted) throw new PushAborted();
  };
  try {
    const send = async (tag: FlvTag): Promise<void> => {
      check();
      if (tag.type === TagType.script) return; // our own onMetaData went first
      base ??= tag.timestamp;
      const ms = Math.max(0, tag.timestamp - base);
      if (options.pace) {
        const wait = startedAt + ms - performance.now();
        if (wait > 1) await sleep(wait, undefined, options.signal ? { signal: options.signal } : undefined).catch(() => undefined);
      } else {
        while (publisher.queuedMs > NO_PACE_HIGH_WATER_MS && !closed && !options.signal?.aborted) await sleep(NO_PACE_POLL_MS);
      }
      check();
      if (tag.type === TagType.video) publisher.writeVideo(ms, tag.body, videoTagInfo(tag.body).keyframe);
      else if (tag.type === TagType.audio) publisher.writeAudio(ms, tag.body);
      lastMs = Math.max(lastMs, ms);
      count++;
    };
    for (const tag of head) await send(tag);
    if (!exhausted) {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) await send(next.value);
    }
    const drainUntil = performance.now() + DRAIN_TIMEOUT_MS;
    while (publisher.queuedMs > 0 && !closed && performance.now() < drainUntil) await sleep(10);
    check();
  } finally {
    clearInterval(timer);
    publisher.off('close', onClose);
  }
  report();
  return { tags: count, mediaMs: lastMs, bytesSent: publisher.bytesSent, droppedFrames: publisher.droppedFrames };
}

function haveBothHeaders(head: FlvTag[]): boolean {
  const video = head.some((t) => t.type === TagType.video && t.body.length > 1 && t.body[1] === AvcPacketType.sequenceHeader);
  const audio = head.some((t) => t.type === TagType.audio && t.body.length > 0 && (t.body[0] >> 4 !== SoundFormat.aac || t.body[1] === AacPacketType.sequenceHeader));
  return video && audio;
}

export class PushAborted extends Error {
  override name = 'PushAborted';
  constructor() {
    super('push interrupted');
  }
}

function formatTime(ms: number): string {
  const s = ms / 1000;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${(s % 60).toFixed(1).padStart(4, '0')}`;
}

/** The command: exit 0 when the whole file was sent, 1 on a failure, 2 on a usage error, 130 on Ctrl-C. */
export async function runPush(argv: readonly string[], stderr: NodeJS.WritableStream = process.stderr): Promise<number> {
  const say = (line: string): void => void stderr.write(`${line}\n`);
  if (argv.includes('--help') || argv.includes('-h')) {
    say(PUSH_USAGE);
    return 0;
  }
  let args: PushArgs;
  let target: RtmpTarget;
  try {
    args = parsePushArgs(argv);
    target = pushTarget(args);
  } catch (error) {
    if (error instanceof PushUsageError || error instanceof RtmpUrlError) {
      say(`castbridge push: ${error.message}\n${PUSH_USAGE.split('\n')[0]} (--help for more)`);
      return 2;
    }
    throw error;
  }
  const where = `${redactUrl(target.tcUrl)} as ${redactName(target.streamName)}`;
  try {
    const info = await stat(args.file);
    if (!info.isFile()) throw new Error('not a regular file');
  } catch (error) {
    say(`castbridge push: cannot read ${args.file}: ${(error as Error).message}`);
    return 1;
  }
  const version = packageVersion();
  const publisher = new RtmpPublisher(target, { log: args.verbose ? consoleLog : silentLog });
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    say(`castbridge push: connecting to ${where}`);
    await publisher.start();
    say(`castbridge push: publishing ${basename(args.file)}${args.pace ? '' : ' (no pacing)'}`);
    const started = performance.now();
    const result = await pushTags(publisher, readFlvStream(createReadStream(args.file, { highWaterMark: 256 * 1024 })), version, {
      pace: args.pace,
      signal: abort.signal,
      onProgress: (p) => say(`time=${formatTime(p.mediaMs)} bitrate=${p.bitrateKbps.toFixed(1)}kb/s sent=${(p.bytesSent / 1024).toFixed(0)}KiB`),
    });
    await publisher.stop();
    const wallS = (performance.now() - started) / 1000;
    say(
      `castbridge push: done: ${result.tags} tags, ${formatTime(result.mediaMs)} of media, ${(result.bytesSent / 1024).toFixed(0)} KiB in ${wallS.toFixed(1)} s` +
        (result.droppedFrames ? `, ${result.droppedFrames} video frames dropped (congestion)` : ''),
    );
    return 0;
  } catch (error) {
    if (error instanceof PushAborted) {
      await publisher.stop(); // a clean unpublish: the server closes its recording
      say('castbridge push: interrupted');
      return 130;
    }
    publisher.destroy();
    const message = error instanceof Error ? error.message : String(error);
    const code = error instanceof RtmpError ? ` [${error.code}]` : '';
    say(`castbridge push: failed to push to ${where}: ${message}${code}`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
