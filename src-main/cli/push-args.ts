// Arguments of `castbridge push`: the file, the target URL, --stream-name and --set with the settings of
// docs/DESIGN.md §6 (the WCS names), resolved into an RtmpTarget by the same URL rules as a transponder (§5).
import { basename, extname } from 'node:path';
import { resolveRtmpTarget, type RtmpTarget } from '../../src-relay/index.js';
import { isSettingKey, parseSettingValue, SETTING_SPECS } from '../config/settings.js';

export const PUSH_USAGE = `usage: castbridge push FILE.flv RTMP_URL [options]
  Streams an FLV file (H.264 + AAC/G.711/Speex) to an RTMP or RTMPS server in real time.
  --stream-name NAME   name to publish (prefix applied); default: the URL's stream segment
                       (with rtmp_transponder_full_url=true) or the file's base name
  --set key=value      a setting, e.g. rtmp_transponder_stream_name_prefix= (no prefix),
                       rtmp_transponder_full_url=true, rtmp_flash_version="FMLE/3.0 (compatible; X)",
                       rtmps_ca_file=ca.pem (CAs trusted for rtmps:// besides the system's)
  --no-pace            send as fast as the server accepts instead of in real time
  --verbose            log the RTMP session to stderr`;

export class PushUsageError extends Error {
  override name = 'PushUsageError';
}

export interface PushSettings {
  prefix: string;
  fullUrl: boolean;
  flashVer: string;
  /** rtmps_ca_file ('' for none). */
  caFile: string;
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
  else if (key === 'rtmps_ca_file') settings.caFile = parsed.value as string;
}

export function parsePushArgs(argv: readonly string[]): PushArgs {
  const settings: PushSettings = {
    prefix: SETTING_SPECS.rtmp_transponder_stream_name_prefix.default,
    fullUrl: (SETTING_SPECS.rtmp_transponder_full_url.default as string) === 'true',
    flashVer: SETTING_SPECS.rtmp_flash_version.default,
    caFile: SETTING_SPECS.rtmps_ca_file.default,
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
    ...(args.settings.caFile && { caFile: args.settings.caFile }),
  });
}
