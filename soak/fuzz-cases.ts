// The fuzz targets that run in a process of their own (fuzz.ts forks it): each case i is made from a PRNG
// seeded with (seed, i), so any case replays alone. A case passes when the parser returns, or throws its
// own typed error with a message; any other throw is a crash, reported with the input. Progress goes to the
// parent every PROGRESS_EVERY cases, which kills a run that stops progressing (a hang).
import { readFileSync } from 'node:fs';
import { Amf0Error, EcmaArray, decodeAmf0, encodeAmf0 } from '../src-relay/rtmp/amf0.js';
import { ChunkReader, RtmpProtocolError, type RtmpMessage } from '../src-relay/rtmp/chunk.js';
import { FlvFormatError, FlvReader, readFlv, writeFlv, type FlvTag } from '../src-relay/flv/file.js';
import { WavError, decodeWavTo48kStereo, encodeWav, parseWav } from '../src-relay/codec/audio/wav.js';
import { IngestError, planIngest } from '../src-relay/webrtc/sdp.js';
import { parseClientFrame, type ClientRequest } from '../src-main/wcs/protocol.js';
import { AMF_CORPUS, BOUNDARY_U32, forceGc, mutateMany, randomBytes, writtenChunkStreams } from '../test/helpers/fuzz.js';
import { mulberry32 } from '../test/helpers/prng.js';

export const TARGETS = ['amf0', 'chunk', 'flv', 'wav', 'sdp', 'wcs'] as const;
export type Target = (typeof TARGETS)[number];
export const PROGRESS_EVERY = 500;
const FIXTURES = new URL('../test/fixtures/', import.meta.url);

export type CaseOutcome = 'accepted' | 'rejected';

export interface RunReport {
  target: Target;
  from: number;
  to: number;
  accepted: number;
  rejected: number;
  crashes: { index: number; error: string; inputHex: string }[];
  maxCaseMs: number;
  slowCases: number;
  heapBefore: number;
  heapAfter: number;
  maxRss: number;
}

// ---- inputs ---------------------------------------------------------------------------------------------

/** What servers sent our publisher (captured), and chunk forms they rarely use. */
function chunkCorpus(): Buffer[] {
  const captured = ['nginx-rtmp-publish.server.bin', 'node-media-server-publish.server.bin', 'ffmpeg-listen-publish.server.bin'].map((f) => readFileSync(new URL(`rtmp/${f}`, FIXTURES)));
  return [...captured, ...writtenChunkStreams()];
}

function flvCorpus(): Buffer[] {
  const tags: FlvTag[] = [
    { type: 18, timestamp: 0, body: encodeAmf0('onMetaData', new EcmaArray({ width: 64, height: 48 })) },
    { type: 9, timestamp: 0, body: Buffer.from('1700000000014d401fffe1000a674d401f', 'hex') },
    { type: 8, timestamp: 0, body: Buffer.from('af001190', 'hex') },
    { type: 9, timestamp: 33, body: Buffer.concat([Buffer.from('1701000000', 'hex'), Buffer.alloc(40, 1)]) },
    { type: 8, timestamp: 0x1000000, body: Buffer.from('af01aabbcc', 'hex') },
  ];
  return [readFileSync(new URL('flv/testsrc-64x48-0.5s.flv', FIXTURES)), writeFlv(tags), writeFlv(tags.slice(0, 2), { audio: false, video: true })];
}

function wavCorpus(): Buffer[] {
  const tone = (n: number): Int16Array => Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
  const extra = (w: Buffer): Buffer => {
    // a LIST chunk of odd size (pad byte) before data
    const list = Buffer.concat([Buffer.from('LIST', 'latin1'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc\0', 'latin1')]);
    const out = Buffer.concat([w.subarray(0, 36), list, w.subarray(36)]);
    out.writeUInt32LE(out.length - 8, 4);
    return out;
  };
  return [
    encodeWav(tone(200), 48000, 2),
    encodeWav(tone(150), 44100, 1, 8),
    encodeWav(tone(90), 8000, 3, 24),
    encodeWav(tone(64), 22050, 2, 32),
    encodeWav(Float32Array.from(tone(100), (x) => x / 32768), 16000, 1, 32, true),
    extra(encodeWav(tone(100), 48000, 1)),
  ];
}

const CHROMIUM_OFFER = [
  'v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1', 'a=msid-semantic: WMS',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 0 8 13', 'c=IN IP4 0.0.0.0', 'a=ice-ufrag:abcd', 'a=ice-pwd:abcdefghijklmnopqrstuvwx',
  'a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF',
  'a=setup:actpass', 'a=sendonly', 'a=mid:0', 'a=rtcp-mux', 'a=rtpmap:111 opus/48000/2', 'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:13 CN/8000', 'a=candidate:1 1 udp 2122260223 192.0.2.2 50000 typ host',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 102 104 108 116 39', 'c=IN IP4 0.0.0.0', 'a=sendonly', 'a=mid:1', 'a=rtcp-mux', 'a=rtcp-fb:102 nack pli',
  'a=rtpmap:96 VP8/90000', 'a=rtpmap:102 H264/90000', 'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  'a=rtpmap:104 H264/90000', 'a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
  'a=rtpmap:108 H264/90000', 'a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f;sprop-parameter-sets=Z0LAH4yNQA==,aM48gA==',
  'a=rtpmap:116 H264/90000', 'a=fmtp:116 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f',
  'a=ssrc:1 cname:x', 'a=ssrc-group:FID 1 2',
].join('\r\n') + '\r\n';

export function sdpCorpus(): string[] {
  return [CHROMIUM_OFFER, readFileSync(new URL('sdp/aiortc-1.4-offer.sdp', FIXTURES), 'utf8')];
}

/** Line-level and byte-level mutations of an SDP. */
export function mutateSdp(sdp: string, next: () => number): string {
  if (next() < 0.5) return mutateMany(Buffer.from(sdp, 'latin1'), next).toString('latin1');
  const lines = sdp.split('\r\n');
  const n = 1 + Math.floor(next() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(next() * lines.length);
    const pick = next();
    if (pick < 0.25) lines.splice(at, 1);
    else if (pick < 0.5) lines.splice(at, 0, lines[Math.floor(next() * lines.length)]!);
    else if (pick < 0.75) lines[at] = (lines[at] ?? '').replace(/\d+/, () => String(BOUNDARY_U32[Math.floor(next() * BOUNDARY_U32.length)]));
    else lines[at] = (lines[at] ?? '') + ['', '\u0000', ';;;', ' '.repeat(200), '=', 'a=', '\n', 'x'.repeat(5000)][Math.floor(next() * 8)];
  }
  return lines.join(next() < 0.1 ? '\n' : '\r\n');
}

// ---- WCS WebSocket frames ---------------------------------------------------------------------------------

/** Frames as the official Web SDK sends them ({message, data: [argument]}): the corpus WCS frames mutate. */
export function wcsCorpus(offer: string): Record<string, unknown>[] {
  const stream = { mediaSessionId: 'fz-1', name: 'fuzzcam', published: true, hasVideo: true, hasAudio: true, status: 'PENDING', record: false, mediaProvider: 'WebRTC', sdp: offer };
  return [
    { message: 'connection', data: [{ appKey: 'defaultApp', mediaProviders: ['WebRTC'], keepAlive: false, clientVersion: '2.0', clientOSVersion: '5.0 (X11)', clientBrowserVersion: 'Mozilla/5.0', msePacketizationVersion: 2, custom: { page: 'p' } }] },
    { message: 'publishStream', data: [{ ...stream, rtmpUrl: 'rtmp://127.0.0.1:1/live' }] },
    { message: 'publishStream', data: [{ ...stream, mediaSessionId: 'fz-2', name: 'fuzzcam2' }] },
    { message: 'publishStream', data: [{ ...stream, mediaSessionId: 'fz-3', name: 'fuzzcam3', rtmpUrl: '' }] },
    { message: 'unPublishStream', data: [{ mediaSessionId: 'fz-1', name: 'fuzzcam' }] },
    { message: 'unPublishStream', data: [{ mediaSessionId: 'fz-2', name: 'fuzzcam2' }] },
    { message: 'ping', data: [null] },
    { message: 'pong', data: [null] },
    { message: 'playStream', data: [{ mediaSessionId: 'p1', name: 'fuzzcam', sdp: offer }] },
    { message: 'availableStream', data: [{ mediaSessionId: 'p2', name: 'fuzzcam' }] },
    { message: 'call', data: [{ callId: 'c1', callee: 'bob', sdp: offer }] },
    { message: 'sendData', data: [{ operationId: 'op1', payload: { a: 1 } }] },
    { message: 'snapshot', data: [{ mediaSessionId: 's1', name: 'fuzzcam' }] },
    { message: 'pushLogs', data: ['a log line'] },
    { message: 'sendStreamEvent', data: [{ mediaSessionId: 'fz-1', type: 'audioMuted' }] },
  ];
}

const WCS_KEYS = ['message', 'data', 'mediaSessionId', 'name', 'sdp', 'rtmpUrl', 'record', 'appKey', 'custom', 'callId', 'operationId', '__proto__', 'constructor', 'prototype', 'toString', ''];
const WCS_STRINGS = ['', 'connection', 'publishStream', 'unPublishStream', 'ping', 'pong', 'playStream', 'fail', 'v=0', 'rtmp://127.0.0.1:1/live', 'http://x/', '\u0000', '\ud800', '\n\r', '../../etc/passwd', '__proto__', 'x'.repeat(257)];

function randomJson(next: () => number, depth: number): unknown {
  switch (Math.floor(next() * (depth > 4 ? 5 : 7))) {
    case 0:
      return null;
    case 1:
      return next() < 0.5;
    case 2:
      return [0, -1, 1e308, -0, 2 ** 53 + 1, 0.5, Math.floor((next() - 0.5) * 2 ** (next() * 64))][Math.floor(next() * 7)];
    case 3:
    case 4:
      return WCS_STRINGS[Math.floor(next() * WCS_STRINGS.length)];
    case 5:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomJson(next, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let k = Math.floor(next() * 5); k > 0; k--) Object.defineProperty(o, WCS_KEYS[Math.floor(next() * WCS_KEYS.length)]!, { value: randomJson(next, depth + 1), enumerable: true, configurable: true, writable: true });
      return o;
    }
  }
}

/** Something big or deep: a huge string or array, or nesting thousands of levels deep. */
function monster(next: () => number): string {
  const n = Math.floor(next() * 100_000);
  switch (Math.floor(next() * 4)) {
    case 0:
      return JSON.stringify('x'.repeat(n * 3));
    case 1:
      return `[${new Array(n).fill(0).join(',')}]`;
    case 2:
      return '['.repeat(n) + ']'.repeat(next() < 0.8 ? n : Math.floor(next() * n));
    default:
      return '{"a":'.repeat(n / 5) + '1' + '}'.repeat(n / 5);
  }
}

/** Replaces, removes or adds one value somewhere in a frame (a random walk down from the top). */
function mutateValue(value: unknown, next: () => number, depth = 0): unknown {
  const isObj = typeof value === 'object' && value !== null;
  if (!isObj || depth > 4 || next() < 0.3) return next() < 0.85 ? randomJson(next, depth) : undefined;
  if (Array.isArray(value)) {
    const out = [...value];
    const at = Math.floor(next() * (out.length + 1));
    out[at] = mutateValue(out[at], next, depth + 1);
    return out;
  }
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const keys = Object.keys(out);
  const key = next() < 0.8 && keys.length ? keys[Math.floor(next() * keys.length)]! : WCS_KEYS[Math.floor(next() * WCS_KEYS.length)]!;
  const v = mutateValue(out[key], next, depth + 1);
  if (v === undefined) delete out[key];
  else Object.defineProperty(out, key, { value: v, enumerable: true, configurable: true, writable: true });
  return out;
}

/** One WCS client frame's text: mutated SDK frames (values, text, bytes), random JSON, monsters, noise. */
export function wcsFrameText(i: number, next: () => number, corpus: Record<string, unknown>[]): string {
  const base = corpus[i % corpus.length]!;
  const pick = next();
  if (pick < 0.1) return JSON.stringify(base);
  if (pick < 0.45) return JSON.stringify(mutateValue(base, next)) ?? 'undefined';
  if (pick < 0.6) return mutateMany(Buffer.from(JSON.stringify(base)), next).toString(next() < 0.5 ? 'utf8' : 'latin1');
  if (pick < 0.67) {
    const text = JSON.stringify(base);
    return text.slice(0, Math.floor(next() * text.length));
  }
  if (pick < 0.77) return JSON.stringify(randomJson(next, 0)) ?? 'null';
  if (pick < 0.87) return JSON.stringify({ message: randomJson(next, 2), data: randomJson(next, 1) }) ?? '{}';
  if (pick < 0.9) {
    // a monster as the frame's argument, as the frame itself, or as its data
    const m = monster(next);
    const where = Math.floor(next() * 3);
    return where === 0 ? `{"message":${JSON.stringify(base.message)},"data":[${m}]}` : where === 1 ? m : `{"message":${JSON.stringify(base.message)},"data":${m}}`;
  }
  if (pick < 0.95) {
    // __proto__ / constructor keys at the top, in the argument, or as the message
    const key = ['__proto__', 'constructor', 'prototype'][Math.floor(next() * 3)]!;
    const arg = JSON.stringify((base.data as unknown[])[0] ?? {});
    const inner = arg.startsWith('{') && arg.length > 2 ? `{"${key}":{"polluted":true,"mediaSessionId":"pp"},${arg.slice(1)}` : arg;
    return [`{"${key}":{"message":"ping"},"message":${JSON.stringify(base.message)},"data":[${inner}]}`, `{"message":"${key}","data":[${inner}]}`, `{"message":${JSON.stringify(base.message)},"data":[${inner}]}`][Math.floor(next() * 3)]!;
  }
  return randomBytes(next, 200).toString(next() < 0.5 ? 'utf8' : 'latin1');
}

const WCS_KINDS = new Set(['connection', 'ping', 'pong', 'publishStream', 'unPublishStream', 'unsupported', 'ignored', 'malformed']);

/** A `malformed` frame's answer: what the session sends back, counted as a refusal. */
export class WcsRefusal extends Error {}

/** An info text a person can read: a short single-line sentence, no stack, no control characters. */
export function isSentence(info: unknown): boolean {
  return typeof info === 'string' && info.length >= 10 && info.length <= 400 && /^[A-Za-z"]/.test(info) && !/[\u0000-\u001f\u007f]/.test(info) && !/\bat .*:\d+:\d+/.test(info);
}

/** Checks what parseClientFrame made of a frame; throws MISMATCH for a broken contract, WcsRefusal for `malformed`. */
export function checkClientRequest(r: ClientRequest): void {
  if (typeof r !== 'object' || r === null || !WCS_KINDS.has(r.kind)) mismatch(`unknown kind ${JSON.stringify((r as { kind?: unknown } | null)?.kind)}`);
  const id = (v: unknown): boolean => typeof v === 'string' && v.length > 0 && v.length <= 256;
  switch (r.kind) {
    case 'malformed': {
      const info = (r.reply.data?.[0] as { info?: unknown } | undefined)?.info;
      if (r.reply.message !== 'fail' || !Array.isArray(r.reply.data)) mismatch(`a malformed frame answered by ${r.reply.message}`);
      if (!isSentence(info)) mismatch(`a fail info that is not a sentence: ${JSON.stringify(info)?.slice(0, 200)}`);
      if (JSON.stringify(r.reply).length > 4096) mismatch('a fail frame over 4 KiB');
      throw new WcsRefusal(info as string);
    }
    case 'unsupported':
      if (typeof r.reply.message !== 'string' || !Array.isArray(r.reply.data) || typeof r.reply.data[0] !== 'object') mismatch(`an unsupported reply the SDK cannot read: ${JSON.stringify(r.reply).slice(0, 200)}`);
      if (JSON.stringify(r.reply).length > 4096) mismatch('an unsupported reply over 4 KiB');
      return;
    case 'publishStream':
      if (!id(r.request.mediaSessionId) || typeof r.request.name !== 'string' || !r.request.name || !r.request.sdp.startsWith('v=0') || typeof r.request.record !== 'boolean') mismatch('a publishStream request without its fields');
      if (r.request.rtmpUrl !== undefined && (typeof r.request.rtmpUrl !== 'string' || r.request.rtmpUrl.trim() === '')) mismatch('an empty rtmpUrl kept');
      return;
    case 'unPublishStream':
      if (!id(r.stream.mediaSessionId)) mismatch('an unPublishStream without a mediaSessionId');
      return;
    case 'connection':
      if (typeof r.config !== 'object' || r.config === null || Array.isArray(r.config)) mismatch('a connection config that is not an object');
      return;
    default:
      return;
  }
}

// ---- one case per target ---------------------------------------------------------------------------------

const sameMessages = (a: RtmpMessage[], b: RtmpMessage[]): boolean =>
  a.length === b.length && a.every((m, i) => m.csid === b[i]!.csid && m.typeId === b[i]!.typeId && m.timestamp === b[i]!.timestamp && m.streamId === b[i]!.streamId && m.payload.equals(b[i]!.payload));

const sameTags = (a: FlvTag[], b: FlvTag[]): boolean => a.length === b.length && a.every((t, i) => t.type === b[i]!.type && t.timestamp === b[i]!.timestamp && t.body.equals(b[i]!.body));

/** Throws a plain Error (a crash) when two ways of reading the same bytes disagree. */
function mismatch(what: string): never {
  throw new Error(`MISMATCH: ${what}`);
}

type Runner = (i: number, next: () => number) => { input: Buffer; run: () => void; typed: new (...args: never[]) => Error };

function makeRunners(): Record<Target, Runner> {
  const amf = AMF_CORPUS;
  const chunks = chunkCorpus();
  const flvs = flvCorpus();
  const wavs = wavCorpus();
  const sdps = sdpCorpus();
  const frames = wcsCorpus(CHROMIUM_OFFER);
  return {
    amf0: (i, next) => {
      const input = next() < 0.3 ? randomBytes(next, 96) : mutateMany(amf[i % amf.length]!, next);
      return { input, typed: Amf0Error, run: () => void decodeAmf0(input) };
    },
    // The same bytes read at once and one byte at a time: the same messages, or the same kind of refusal.
    chunk: (i, next) => {
      const input = next() < 0.1 ? randomBytes(next, 256) : mutateMany(chunks[i % chunks.length]!, next);
      return {
        input,
        typed: RtmpProtocolError,
        run: () => {
          let whole: RtmpMessage[] | Error;
          try {
            whole = new ChunkReader({ maxBuffered: 1024 * 1024 }).push(input);
          } catch (e) {
            whole = e as Error;
          }
          const reader = new ChunkReader({ maxBuffered: 1024 * 1024 });
          const bytewise: RtmpMessage[] = [];
          let error: Error | undefined;
          try {
            for (let k = 0; k < input.length; k++) bytewise.push(...reader.push(input.subarray(k, k + 1)));
          } catch (e) {
            error = e as Error;
          }
          if (whole instanceof Error || error) {
            if (!(whole instanceof Error) || !error) mismatch(`whole ${whole instanceof Error ? 'threw' : 'read'}, byte by byte ${error ? 'threw' : 'read'}`);
            if (whole.constructor !== error.constructor) mismatch(`${whole.name} vs ${error.name}`);
            throw whole;
          }
          if (!sameMessages(whole, bytewise)) mismatch(`${whole.length} messages at once, ${bytewise.length} byte by byte`);
        },
      };
    },
    flv: (i, next) => {
      const input = next() < 0.1 ? Buffer.concat([Buffer.from('FLV\x01\x05\0\0\0\x09\0\0\0\0', 'latin1'), randomBytes(next, 256)]) : mutateMany(flvs[i % flvs.length]!, next);
      const splits = Array.from({ length: 1 + Math.floor(next() * 8) }, () => Math.floor(next() * (input.length + 1))).sort((a, b) => a - b);
      return {
        input,
        typed: FlvFormatError,
        run: () => {
          let whole: FlvTag[] | Error;
          try {
            whole = readFlv(input);
          } catch (e) {
            whole = e as Error;
          }
          const reader = new FlvReader();
          const pushed: FlvTag[] = [];
          let error: Error | undefined;
          try {
            let from = 0;
            for (const at of [...splits, input.length]) {
              pushed.push(...reader.push(input.subarray(from, at)));
              from = at;
            }
            reader.end();
          } catch (e) {
            error = e as Error;
          }
          if (whole instanceof Error || error) {
            if (!(whole instanceof Error) || !error) mismatch(`readFlv ${whole instanceof Error ? 'threw' : 'read'}, pushed in pieces ${error ? 'threw' : 'read'}`);
            throw whole;
          }
          if (!sameTags(whole, pushed)) mismatch(`${whole.length} tags at once, ${pushed.length} in pieces`);
        },
      };
    },
    wav: (i, next) => {
      const input = mutateMany(wavs[i % wavs.length]!, next);
      return {
        input,
        typed: WavError,
        run: () => {
          parseWav(input);
          decodeWavTo48kStereo(input);
        },
      };
    },
    sdp: (i, next) => {
      const text = mutateSdp(sdps[i % sdps.length]!, next);
      return { input: Buffer.from(text, 'latin1'), typed: IngestError, run: () => void planIngest(text) };
    },
    // parseClientFrame never throws: a throw, an unknown kind or a bad answer is a crash; `malformed` a refusal.
    wcs: (i, next) => {
      const text = wcsFrameText(i, next, frames);
      return { input: Buffer.from(text), typed: WcsRefusal, run: () => checkClientRequest(parseClientFrame(text)) };
    },
  };
}

export function caseRandom(seed: number, index: number): () => number {
  return mulberry32((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
}

const SLOW_CASE_MS = 250;

/** Runs cases [from, to) of a target; `progress` is told every PROGRESS_EVERY cases. */
export function runCases(target: Target, seed: number, from: number, to: number, progress: (i: number) => void): RunReport {
  const gc = forceGc();
  const runner = makeRunners()[target];
  gc();
  const report: RunReport = { target, from, to, accepted: 0, rejected: 0, crashes: [], maxCaseMs: 0, slowCases: 0, heapBefore: process.memoryUsage().heapUsed, heapAfter: 0, maxRss: 0 };
  for (let i = from; i < to; i++) {
    if ((i - from) % PROGRESS_EVERY === 0) progress(i);
    const { input, run, typed } = runner(i, caseRandom(seed, i));
    const started = performance.now();
    try {
      run();
      report.accepted++;
    } catch (error) {
      if (error instanceof typed && error.message.length > 0) report.rejected++;
      else if (report.crashes.length < 20) report.crashes.push({ index: i, error: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack?.split('\n').slice(1, 4).join('\n')}` : String(error), inputHex: input.toString('hex').slice(0, 2000) });
      else report.crashes.push({ index: i, error: String(error), inputHex: '' });
    }
    const ms = performance.now() - started;
    report.maxCaseMs = Math.max(report.maxCaseMs, ms);
    if (ms > SLOW_CASE_MS) report.slowCases++;
  }
  gc();
  report.heapAfter = process.memoryUsage().heapUsed;
  report.maxRss = process.resourceUsage().maxRSS * 1024;
  return report;
}

// Run as a child of fuzz.ts: argv target seed from to; reports over IPC.
if (process.send && process.argv[2] && (TARGETS as readonly string[]).includes(process.argv[2])) {
  const [target, seed, from, to] = [process.argv[2] as Target, Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];
  const report = runCases(target, seed, from, to, (i) => process.send!({ progress: i }));
  process.send({ report }, () => process.exit(0));
}
