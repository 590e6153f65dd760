// Target presets (docs/DESIGN.md §4) and how a target becomes a `/rest-api/push/startup` request.
// Presets publish the stream key as the name on the target, with no prefix: the key is appended as the
// last path segment and the transponder runs with rtmpTransponderFullUrl, which takes that segment as
// the publish name as written (docs/DESIGN.md §5), while the source stream keeps the studio's own name.
// A saved target and the startup body are the shared wire contract's (src-contract/), as the host declares them.
import { checkRtmpUrlSyntax, type RtmpUrlParse } from '../../src-contract/rtmp-url.js';
import type { TargetKind, Target } from '../../src-contract/studio.js';
import type { Quality, StartupBody, TargetVideoCodec, TransponderOptions } from '../../src-contract/transponder.js';

export type { Quality, StartupBody, Target, TargetKind };

/** Which video layer a target gets (startup's options.quality / maxBitrateKbps / maxHeight). */
export type LayerChoice = Pick<TransponderOptions, 'quality' | 'maxBitrateKbps' | 'maxHeight'>;

export interface TargetPreset {
  kind: TargetKind;
  label: string;
  rtmpUrl: string;
  /** Where the streamer finds the key. */
  keyHelp: string;
  /** The layer this ingest gets unless the streamer picks one (what it accepts and most uplinks carry). */
  layer: LayerChoice;
  /** The default in words, for the quality picker. */
  layerLabel: string;
  /**
   * The video codecs the ingest takes (startup's options.videoCodecs): a publisher's AV1 goes to YouTube as it
   * is (Enhanced RTMP); the others get H.264, transcoded when the publisher sends another codec. Absent: H.264.
   */
  videoCodecs?: readonly TargetVideoCodec[];
}

export const TARGET_PRESETS: readonly TargetPreset[] = [
  // YouTube takes 1080p at 8–12 Mb/s: the highest layer.
  // YouTube also takes AV1 (and HEVC) over Enhanced RTMP.
  { kind: 'youtube', label: 'YouTube', rtmpUrl: 'rtmps://a.rtmps.youtube.com:443/live2', keyHelp: 'YouTube Studio → Go live → Stream key', layer: { quality: 'highest' }, layerLabel: 'highest', videoCodecs: ['av1', 'h264'] },
  { kind: 'youtube-backup', label: 'YouTube (backup)', rtmpUrl: 'rtmps://b.rtmps.youtube.com:443/live2?backup=1', keyHelp: 'the same key as the primary YouTube ingest', layer: { quality: 'highest' }, layerLabel: 'highest', videoCodecs: ['av1', 'h264'] },
  // Facebook wants at most 4 Mb/s; Twitch caps most channels near 6 Mb/s.
  { kind: 'facebook', label: 'Facebook', rtmpUrl: 'rtmps://live-api-s.facebook.com:443/rtmp/', keyHelp: 'Facebook Live Producer → Stream key', layer: { maxBitrateKbps: 4000 }, layerLabel: 'up to 4 Mb/s' },
  { kind: 'twitch', label: 'Twitch', rtmpUrl: 'rtmp://live.twitch.tv/app', keyHelp: 'Twitch Creator Dashboard → Settings → Stream → Primary stream key', layer: { maxBitrateKbps: 6000 }, layerLabel: 'up to 6 Mb/s' },
  { kind: 'custom', label: 'Custom RTMP server', rtmpUrl: 'rtmp://', keyHelp: 'optional: the stream name your server expects', layer: { quality: 'highest' }, layerLabel: 'highest' },
];

/** The layer a target gets: the streamer's pick, else its preset's default, else the highest. */
export function targetLayer(target: Pick<Target, 'kind' | 'quality'>): LayerChoice {
  if (target.quality) return { quality: target.quality };
  return presetFor(target.kind)?.layer ?? { quality: 'highest' };
}

export const LOCAL_TARGET_ID = 'local';

export function presetFor(kind: TargetKind): TargetPreset | undefined {
  return TARGET_PRESETS.find((p) => p.kind === kind);
}

/** The built-in target: the embedded RTMP server, so a new user can go live at once. */
export function localTarget(localRtmpUrl: string): Target {
  return { id: LOCAL_TARGET_ID, name: 'This computer (preview)', kind: 'local', rtmpUrl: localRtmpUrl, streamKey: '' };
}

/** Appends the key as the last path segment, before any query (`…/live2?backup=1` → `…/live2/KEY?backup=1`). */
export function urlWithKey(rtmpUrl: string, key: string): string {
  const q = rtmpUrl.indexOf('?');
  const base = q === -1 ? rtmpUrl : rtmpUrl.slice(0, q);
  const query = q === -1 ? '' : rtmpUrl.slice(q);
  return `${base.replace(/\/+$/, '')}/${encodeURIComponent(key)}${query}`;
}

/**
 * The body of `/rest-api/push/startup` for a target (docs/DESIGN.md §4): its layer, adaptive under congestion
 * (the studio's default; a home uplink rarely carries the highest layer to every target at once).
 */
export function startupBody(target: Target, sourceStreamName: string): StartupBody {
  const key = target.streamKey.trim();
  const videoCodecs = presetFor(target.kind)?.videoCodecs;
  const options = { ...targetLayer(target), adaptive: true, ...(videoCodecs ? { videoCodecs: [...videoCodecs] } : {}) };
  if (target.kind === 'local' || key === '') return { streamName: sourceStreamName, rtmpUrl: target.rtmpUrl, options };
  return { streamName: sourceStreamName, rtmpUrl: urlWithKey(target.rtmpUrl, key), noPrefix: true, rtmpTransponderFullUrl: true, options };
}

/** Why a target cannot be used yet, in a streamer's words; undefined when it is fine. */
export function targetProblem(target: Target): string | undefined {
  if (!target.name.trim()) return 'Give the target a name.';
  const url = checkRtmpUrlSyntax(target.rtmpUrl, 'The server URL');
  if (!url.ok) return urlProblem(url);
  if (target.kind !== 'local' && target.kind !== 'custom' && !target.streamKey.trim()) return `Paste your ${presetFor(target.kind)?.label ?? ''} stream key.`;
  if (/[\s/?#]/.test(target.streamKey.trim())) return 'The stream key should not contain spaces, slashes, "?" or "#".';
  return undefined;
}

/** The host's own check of an rtmpUrl (the same function), said in a streamer's words. */
function urlProblem(failure: Extract<RtmpUrlParse, { ok: false }>): string {
  switch (failure.problem) {
    case 'scheme':
      return failure.scheme === undefined
        ? 'The server URL should look like rtmp://server/app or rtmps://server/app.'
        : `The server URL must start with rtmp:// or rtmps://, not ${failure.scheme}://.`;
    case 'host':
      return /has no host$/.test(failure.error) ? 'The server URL has no server name.' : `${failure.error}.`;
    case 'application':
      return 'The server URL has no application after the server name, e.g. rtmp://server/live.';
    default:
      return `${failure.error}.`;
  }
}

const MASK = '••••';

/** A path segment after the application that looks like a key rather than an instance name (the host's
 *  rule in src-relay/redact.ts, which the renderer cannot import). */
function looksLikeKey(segment: string): boolean {
  return segment.length >= 6 && /[0-9_-]/.test(segment);
}

/**
 * Hides secrets in a transponder's rtmpUrl: the saved targets' keys wherever they appear, the password, every
 * query value, and a key-like last path segment after the application — the last two also for transponders
 * started through the REST API with a key the studio does not know.
 */
export function maskUrl(rtmpUrl: string, keys: readonly string[]): string {
  let masked = rtmpUrl.replace(/\/\/([^/@]+)@/, '//•••@');
  for (const key of keys) if (key) masked = masked.split(encodeURIComponent(key)).join(MASK).split(key).join(MASK);
  const match = /^([a-z][\w+.-]*:\/\/[^/?#]*)([^?#]*)(\?[^#]*)?/i.exec(masked);
  if (!match) return masked;
  const [, origin, path = '', query = ''] = match;
  const segments = path.split('/'); // ['', app, …]
  const last = segments.length - 1;
  if (last >= 2 && looksLikeKey(segments[last]!)) segments[last] = MASK;
  return origin + segments.join('/') + query.replace(/([?&][^=&#]*=)[^&#]*/g, `$1${MASK}`);
}
