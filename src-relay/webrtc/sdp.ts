// RFC 8866 (SDP) as used by RFC 8829 (JSEP) and RFC 9725 (WHIP): what we read from a publisher's offer
// before handing it to werift, and the one line we add to werift's answer. werift parses the SDP
// itself; this module only decides whether we can ingest the offer and which payload types we take.
//
// Video: H.264 when the offer has it (every target takes it as it comes), else AV1, VP9, VP8 in that order:
// AV1 and VP9 can be copied to a target that takes them over Enhanced RTMP, VP8 always needs the transcoder.
import type { VideoCodec } from '../media.js';

export class IngestError extends Error {
  override readonly name = 'IngestError';
}

export const SDP_LIMITS = {
  /** A browser offer is 5–10 KB; anything past this is not an offer we want to parse. */
  maxOfferBytes: 64 * 1024,
} as const;

/** RFC 6184 §8.1 profile-level-id, ranked: constrained baseline 42e01f first (docs/DESIGN.md §9), then any
 * baseline, main, high. Lower rank wins. */
const H264_PROFILE_RANK: readonly { test: (profileLevelId: string) => boolean; rank: number }[] = [
  { test: (p) => p === '42e01f', rank: 0 },
  // constraint_set1_flag (0x40 of the second byte) makes baseline "constrained baseline" (H.264 §A.2.1.1).
  { test: (p) => p.startsWith('42') && (parseInt(p.slice(2, 4), 16) & 0x40) !== 0, rank: 1 },
  { test: (p) => p.startsWith('42'), rank: 2 },
  { test: (p) => p.startsWith('4d'), rank: 3 },
  { test: (p) => p.startsWith('64'), rank: 4 },
];

/** Audio codecs we decode, in order of preference (RFC 7587 Opus, RFC 3551 PCMU/PCMA). */
export const AUDIO_CODEC_PREFERENCE = ['opus', 'pcmu', 'pcma'] as const;
export type IngestAudioCodec = (typeof AUDIO_CODEC_PREFERENCE)[number];

/** What docs/DESIGN.md §9 wants in the answer's H.264 fmtp so Chromium starts at full resolution. */
export const ANSWER_H264_FMTP_EXTRA = 'x-google-start-bitrate=2500;x-google-min-bitrate=1000';

export interface OfferCodec {
  payloadType: number;
  name: string;
  clockRate: number;
  fmtp: Record<string, string>;
}

export interface OfferMedia {
  kind: string;
  port: number;
  /** RFC 8843 §6: a bundle-only m-section has port 0 in an offer and is still used. */
  bundleOnly: boolean;
  direction: string;
  codecs: OfferCodec[];
  /** a=extmap URIs offered (RFC 8285). */
  extmaps: string[];
  /** `a=rid:` values (RFC 8851), raw: "<id> <direction>[ <restrictions>]". */
  rids: string[];
  /** The `a=simulcast:` value (RFC 8853), raw. */
  simulcast: string | undefined;
}

export interface IngestPlan {
  video: {
    codec: VideoCodec;
    payloadType: number;
    /** H.264's profile-level-id (RFC 6184 §8.1); for the other codecs their profile (AV1 `profile`, VP9 `profile-id`, '' for VP8). */
    profileLevelId: string;
    clockRate: number;
    /** RFC 6184 §8.1 sprop-parameter-sets, decoded: SPS/PPS for publishers that send none in-band. */
    parameterSets?: Buffer[];
    /** RFC 8853 simulcast, when the offer's video has `a=simulcast:send` and the RID header extension. */
    simulcast?: SimulcastPlan;
  };
  audio: { payloadType: number; codec: IngestAudioCodec; clockRate: number; channels: number } | undefined;
}

/** RFC 8852 header extensions that name a simulcast RTP stream (and its RTX repair stream). */
export const RTP_STREAM_ID_URI = 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id';
export const REPAIRED_RTP_STREAM_ID_URI = 'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id';
export const SDES_MID_URI = 'urn:ietf:params:rtp-hdrext:sdes:mid';

/** One rid of an `a=simulcast` stream list (RFC 8853 §5.1): `~` marks it paused. */
export interface SimulcastRid {
  rid: string;
  paused: boolean;
}

export interface SimulcastPlan {
  /**
   * The offer's send streams in its order (RFC 8853: the first is the publisher's preferred one), each a
   * list of alternative rids; only rids we accept are kept, and a stream left with none is dropped.
   */
  streams: SimulcastRid[][];
  /** Every accepted rid, in the order of `streams`. */
  rids: string[];
  /** The `a=rid:<id> send …` line of each accepted rid, restrictions kept (RFC 8851 §4). */
  ridParams: Map<string, string>;
  /** Whether the offer has the repaired-rtp-stream-id extension too (answered when offered). */
  repairedRid: boolean;
}

/** Splits an SDP into its media sections and reads rtpmap/fmtp/direction of each (RFC 8866 §5.14, §6). */
export function parseOfferMedia(sdp: string): OfferMedia[] {
  const media: OfferMedia[] = [];
  let current: OfferMedia | undefined;
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) {
      const [kind, port] = line.slice(2).split(' ');
      current = { kind, port: Number(port), bundleOnly: false, direction: 'sendrecv', codecs: [], extmaps: [], rids: [], simulcast: undefined };
      media.push(current);
      continue;
    }
    if (!current) continue;
    if (line === 'a=bundle-only') current.bundleOnly = true;
    if (/^a=(sendonly|recvonly|sendrecv|inactive)$/.test(line)) current.direction = line.slice(2);
    const extmap = /^a=extmap:\d+(?:\/\w+)? (\S+)/.exec(line);
    if (extmap) current.extmaps.push(extmap[1]);
    if (line.startsWith('a=rid:')) current.rids.push(line.slice('a=rid:'.length));
    if (line.startsWith('a=simulcast:')) current.simulcast = line.slice('a=simulcast:'.length).trim();
    const rtpmap = /^a=rtpmap:(\d+) ([^/\s]+)\/(\d+)/.exec(line);
    if (rtpmap) {
      current.codecs.push({ payloadType: Number(rtpmap[1]), name: rtpmap[2].toLowerCase(), clockRate: Number(rtpmap[3]), fmtp: {} });
    }
    const fmtp = /^a=fmtp:(\d+) (.*)$/.exec(line);
    if (fmtp) {
      const codec = current.codecs.find((c) => c.payloadType === Number(fmtp[1]));
      if (codec) codec.fmtp = parseFmtp(fmtp[2]);
    }
  }
  return media;
}

function parseFmtp(text: string): Record<string, string> {
  const params: Record<string, string> = Object.create(null);
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) params[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
  }
  return params;
}

/** Decides what we take from an offer, or throws IngestError naming what is missing. */
export function planIngest(offerSdp: unknown): IngestPlan {
  if (typeof offerSdp !== 'string' || offerSdp.trim() === '') throw new IngestError('the SDP offer is empty');
  if (Buffer.byteLength(offerSdp) > SDP_LIMITS.maxOfferBytes) {
    throw new IngestError(`the SDP offer is ${Buffer.byteLength(offerSdp)} bytes, more than ${SDP_LIMITS.maxOfferBytes}`);
  }
  if (!/^v=0\r?$/m.test(offerSdp)) throw new IngestError('the offer is not SDP (no "v=0" line)');
  const media = parseOfferMedia(offerSdp);
  const used = media.filter((m) => m.port !== 0 || m.bundleOnly);
  const videos = used.filter((m) => m.kind === 'video');
  const audios = used.filter((m) => m.kind === 'audio');
  if (videos.length !== 1) throw new IngestError(`the offer has ${videos.length} video m-lines, expected exactly 1`);
  if (audios.length > 1) throw new IngestError(`the offer has ${audios.length} audio m-lines, expected at most 1`);
  for (const m of [...videos, ...audios]) {
    if (m.direction !== 'sendonly' && m.direction !== 'sendrecv') {
      throw new IngestError(`the offer's ${m.kind} is ${m.direction}: a publisher must send`);
    }
  }
  const video = chooseVideo(videos[0]);
  // Simulcast is taken for H.264 only: another codec's layers would each need the transcoder for most
  // targets, so such a publisher is answered without simulcast and sends one encoding (RFC 8853 §5.3).
  const simulcast = video.codec === 'h264' ? planSimulcast(videos[0], video.payloadType) : undefined;
  return { video: simulcast ? { ...video, simulcast } : video, audio: audios.length ? chooseAudio(audios[0]) : undefined };
}

/** Limits on what a simulcast offer may list (browsers send two to four encodings). */
const MAX_SIMULCAST_RIDS = 8;
/** RFC 8851 §10: rid-syntax is alphanumerics, '-' and '_' (at most 255; we take 32). */
const RID_SYNTAX = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * RFC 8853 simulcast of the offer's video, or undefined when it offers none. A simulcast offer is taken
 * only with the RID header extension (RFC 8852): without it the layers' RTP cannot be told apart, so the
 * answer leaves simulcast out and the publisher sends one encoding (RFC 8853 §5.3). Rids that are not
 * `send`, or whose `pt=` restriction excludes the video payload type we answer, are left out; the offer's
 * stream order, alternatives (`,`) and paused marks (`~`) are kept for the rest.
 */
export function planSimulcast(video: OfferMedia, payloadType: number): SimulcastPlan | undefined {
  if (video.simulcast === undefined || !video.extmaps.includes(RTP_STREAM_ID_URI)) return undefined;
  const ridParams = new Map<string, string>();
  for (const value of video.rids) {
    const [rid, direction, ...rest] = value.split(/\s+/);
    if (!rid || !RID_SYNTAX.test(rid) || direction !== 'send' || ridParams.has(rid)) continue;
    const restrictions = rest.join(' ');
    const pt = /(?:^|;)pt=([\d,]+)/.exec(restrictions)?.[1];
    if (pt && !pt.split(',').map(Number).includes(payloadType)) continue;
    ridParams.set(rid, restrictions);
  }
  // "send <streams>" possibly beside "recv <streams>" (RFC 8853 §5.1); we only receive.
  const words = video.simulcast.split(/\s+/);
  const sendAt = words.indexOf('send');
  if (sendAt < 0 || sendAt + 1 >= words.length) return undefined;
  const streams: SimulcastRid[][] = [];
  const rids: string[] = [];
  for (const streamText of words[sendAt + 1].split(';')) {
    const alternatives: SimulcastRid[] = [];
    for (const alt of streamText.split(',')) {
      const paused = alt.startsWith('~');
      const rid = paused ? alt.slice(1) : alt;
      if (!ridParams.has(rid) || rids.includes(rid) || rids.length >= MAX_SIMULCAST_RIDS) continue;
      alternatives.push({ rid, paused });
      rids.push(rid);
    }
    if (alternatives.length) streams.push(alternatives);
  }
  if (rids.length === 0) return undefined;
  for (const rid of [...ridParams.keys()]) if (!rids.includes(rid)) ridParams.delete(rid);
  return { streams, rids, ridParams, repairedRid: video.extmaps.includes(REPAIRED_RTP_STREAM_ID_URI) };
}

/**
 * What werift reads of the offer's video simulcast: the `a=rid` lines of the rids we take (werift
 * registers a receiver per rid from them) and no `a=simulcast` line when we do not take simulcast, so
 * that its answer carries none. Pure; line endings are kept.
 */
export function offerForWerift(offerSdp: string, simulcast: SimulcastPlan | undefined): string {
  const eol = offerSdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = offerSdp.split(/\r?\n/);
  let kind: string | undefined;
  const out = lines.filter((line) => {
    if (line.startsWith('m=')) kind = line.slice(2).split(' ')[0];
    if (kind !== 'video') return true;
    if (line.startsWith('a=simulcast:')) return simulcast !== undefined;
    if (line.startsWith('a=rid:')) {
      const rid = line.slice('a=rid:'.length).split(/\s+/)[0];
      return simulcast !== undefined && simulcast.rids.includes(rid);
    }
    return true;
  });
  return out.join(eol);
}

/**
 * The answer's simulcast lines in its video m-section (RFC 8853 §5.3): `a=rid:<id> recv` for each rid we
 * take, and `a=simulcast:recv` with the offer's streams in the offer's order, alternatives and paused
 * marks kept. werift writes its own lines from the offer's a=rid lines (no alternatives or pauses, and a
 * rid with restrictions answered as "send"); they are replaced.
 */
export function addSimulcastAnswer(answerSdp: string, simulcast: SimulcastPlan): string {
  const eol = answerSdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = answerSdp.split(/\r?\n/);
  const out: string[] = [];
  let kind: string | undefined;
  let inserted = false;
  const ours = [
    ...simulcast.rids.map((rid) => `a=rid:${rid} recv`),
    `a=simulcast:recv ${simulcast.streams.map((alts) => alts.map((a) => (a.paused ? '~' : '') + a.rid).join(',')).join(';')}`,
  ];
  const flush = (): void => {
    if (kind === 'video' && !inserted) {
      // Before a trailing empty line (the SDP's final EOL).
      const tail = out.length && out[out.length - 1] === '' ? out.splice(out.length - 1) : [];
      out.push(...ours, ...tail);
      inserted = true;
    }
  };
  for (const line of lines) {
    if (line.startsWith('m=')) {
      flush();
      kind = line.slice(2).split(' ')[0];
    }
    if (kind === 'video' && (line.startsWith('a=rid:') || line.startsWith('a=simulcast:'))) continue;
    out.push(line);
  }
  flush();
  if (!inserted) throw new Error('the answer has no video m-section for simulcast');
  return out.join(eol);
}

/** The non-H.264 codecs we take, in order of preference, and the profiles of each we can decode. */
const OTHER_VIDEO_CODECS: readonly { codec: Exclude<VideoCodec, 'h264'>; name: string; profile: (fmtp: Record<string, string>) => string | undefined }[] = [
  // AV1 RTP payload format §7.2: profile defaults to 0 (Main: 8/10-bit 4:2:0).
  { codec: 'av1', name: 'av1', profile: (f) => ((f['profile'] ?? '0') === '0' ? '0' : undefined) },
  // RFC 9628 §6: profile-id defaults to 0 (8-bit 4:2:0); 2 is 10-bit 4:2:0, which the decoders read too.
  { codec: 'vp9', name: 'vp9', profile: (f) => (['0', '2'].includes(f['profile-id'] ?? '0') ? (f['profile-id'] ?? '0') : undefined) },
  { codec: 'vp8', name: 'vp8', profile: () => '' },
];

function chooseVideo(video: OfferMedia): IngestPlan['video'] {
  if (video.codecs.some(isH264Mode1)) return chooseH264(video);
  for (const { codec, name, profile } of OTHER_VIDEO_CODECS) {
    const found = video.codecs
      .filter((c) => c.name === name && profile(c.fmtp) !== undefined)
      .sort((a, b) => Number(profile(a.fmtp)) - Number(profile(b.fmtp)))[0];
    if (found) return { codec, payloadType: found.payloadType, profileLevelId: profile(found.fmtp) ?? '', clockRate: found.clockRate };
  }
  const offered = video.codecs.map((c) => `${c.name}/${c.payloadType}`).join(', ') || 'none';
  throw new IngestError(`the offer's video has no H.264 with packetization-mode=1, AV1, VP9 or VP8 (offered: ${offered})`);
}

function isH264Mode1(c: OfferCodec): boolean {
  return c.name === 'h264' && (c.fmtp['packetization-mode'] ?? '0') === '1';
}

function chooseH264(video: OfferMedia): IngestPlan['video'] {
  const candidates = video.codecs
    .filter(isH264Mode1)
    .map((c) => {
      const profileLevelId = (c.fmtp['profile-level-id'] ?? '42001f').toLowerCase();
      const rank = H264_PROFILE_RANK.find((r) => r.test(profileLevelId))?.rank ?? H264_PROFILE_RANK.length;
      const sprop = c.fmtp['sprop-parameter-sets'];
      const parameterSets = sprop ? decodeSprop(sprop) : undefined;
      return { payloadType: c.payloadType, profileLevelId, clockRate: c.clockRate, rank, parameterSets };
    })
    .sort((a, b) => a.rank - b.rank);
  if (candidates.length === 0) {
    const offered = video.codecs.map((c) => `${c.name}/${c.payloadType}`).join(', ') || 'none';
    throw new IngestError(`the offer's video has no H.264 with packetization-mode=1 (offered: ${offered})`);
  }
  const { payloadType, profileLevelId, clockRate, parameterSets } = candidates[0];
  const codec = 'h264' as const;
  return parameterSets?.length ? { codec, payloadType, profileLevelId, clockRate, parameterSets } : { codec, payloadType, profileLevelId, clockRate };
}

/** sprop-parameter-sets: comma-separated base64 NAL units (RFC 6184 §8.1); undecodable entries are skipped. */
function decodeSprop(value: string): Buffer[] {
  return value
    .split(',')
    .map((b64) => Buffer.from(b64.trim(), 'base64'))
    .filter((nalu) => nalu.length > 0 && (nalu[0] & 0x80) === 0);
}

function chooseAudio(audio: OfferMedia): NonNullable<IngestPlan['audio']> {
  for (const codec of AUDIO_CODEC_PREFERENCE) {
    const found = audio.codecs.find((c) => c.name === codec);
    if (found) return { payloadType: found.payloadType, codec, clockRate: found.clockRate, channels: codec === 'opus' ? 2 : 1 };
  }
  const offered = audio.codecs.map((c) => `${c.name}/${c.payloadType}`).join(', ') || 'none';
  throw new IngestError(`the offer's audio has no Opus, PCMU or PCMA (offered: ${offered})`);
}

/** Adds ANSWER_H264_FMTP_EXTRA to the answer's fmtp of the H.264 payload type (docs/DESIGN.md §9). */
export function addH264AnswerParams(answerSdp: string, payloadType: number): string {
  const eol = answerSdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = answerSdp.split(/\r?\n/);
  const fmtpAt = lines.findIndex((l) => l.startsWith(`a=fmtp:${payloadType} `));
  if (fmtpAt >= 0) {
    if (!lines[fmtpAt].includes('x-google-start-bitrate')) lines[fmtpAt] += `;${ANSWER_H264_FMTP_EXTRA}`;
  } else {
    const rtpmapAt = lines.findIndex((l) => l.startsWith(`a=rtpmap:${payloadType} `));
    if (rtpmapAt < 0) throw new Error(`the answer has no rtpmap for H.264 payload type ${payloadType}`);
    lines.splice(rtpmapAt + 1, 0, `a=fmtp:${payloadType} packetization-mode=1;${ANSWER_H264_FMTP_EXTRA}`);
  }
  return lines.join(eol);
}

/**
 * The answer's video fmtp additions: H.264's as addH264AnswerParams; for AV1, VP9 and VP8 the same start
 * and minimum bitrate hints, on the codec's fmtp line or a new one (Firefox ignores them, Chromium reads them).
 */
export function addVideoAnswerParams(answerSdp: string, video: Pick<IngestPlan['video'], 'codec' | 'payloadType'>): string {
  if (video.codec === 'h264') return addH264AnswerParams(answerSdp, video.payloadType);
  const eol = answerSdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = answerSdp.split(/\r?\n/);
  const fmtpAt = lines.findIndex((l) => l.startsWith(`a=fmtp:${video.payloadType} `));
  if (fmtpAt >= 0) {
    if (!lines[fmtpAt].includes('x-google-start-bitrate')) lines[fmtpAt] += `;${ANSWER_H264_FMTP_EXTRA}`;
  } else {
    const rtpmapAt = lines.findIndex((l) => l.startsWith(`a=rtpmap:${video.payloadType} `));
    if (rtpmapAt < 0) throw new Error(`the answer has no rtpmap for ${video.codec} payload type ${video.payloadType}`);
    lines.splice(rtpmapAt + 1, 0, `a=fmtp:${video.payloadType} ${ANSWER_H264_FMTP_EXTRA}`);
  }
  return lines.join(eol);
}

/** The DTLS role werift takes in a connection ('client' sends the ClientHello). */
export type DtlsRole = 'client' | 'server';

/**
 * RFC 8842 §5.3 (a=setup, RFC 4145 §4): the DTLS role our answer takes in each m-section, by mid — the
 * complement of an offer's `active` (we are the server) or `passive` (we are the client); `actpass` leaves
 * the choice to us and we answer `active` as RFC 8842 §5.3 recommends (werift's default). A media-level
 * a=setup overrides the session-level one. `holdconn` is refused: the publisher would never connect.
 */
export function answerDtlsRoles(offerSdp: string): Map<string, DtlsRole> {
  const roles = new Map<string, DtlsRole>();
  let sessionSetup: string | undefined;
  let current: { mid?: string; setup?: string } | undefined;
  const sections: { mid?: string; setup?: string }[] = [];
  for (const raw of offerSdp.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) sections.push((current = {}));
    const setup = /^a=setup:(\S+)$/.exec(line)?.[1];
    if (setup) {
      if (current) current.setup = setup;
      else sessionSetup = setup;
    }
    const mid = /^a=mid:(\S+)$/.exec(line)?.[1];
    if (mid && current) current.mid = mid;
  }
  for (const section of sections) {
    const setup = section.setup ?? sessionSetup ?? 'actpass';
    if (setup === 'holdconn') throw new IngestError(`the offer's m-section "${section.mid ?? '?'}" has a=setup:holdconn: it will not connect`);
    if (!['active', 'passive', 'actpass'].includes(setup)) throw new IngestError(`the offer has a=setup:${setup.slice(0, 40)}; expected actpass, active or passive`);
    if (section.mid !== undefined) roles.set(section.mid, setup === 'active' ? 'server' : 'client');
  }
  return roles;
}
