// The settings of docs/DESIGN.md §6: every key with its type, default, description and validation, with the WCS
// property names where WCS has one (Flashphoner WCS `flashphoner.properties`). The file format and its
// comment-preserving edits live in properties.ts; this module only knows what the keys mean.
import { isIP } from 'node:net';
import { checkRtmpUrlSyntax } from '../../src-contract/rtmp-url.js';
import { redactUrl } from '../../src-relay/index.js';

export type SettingType = 'string' | 'boolean' | 'integer' | 'port' | 'rtmpUrl' | 'hostList' | 'originList' | 'address' | 'path';

interface SettingSpecBase {
  type: SettingType;
  default: string;
  description: string;
  /** Inclusive bounds of an integer setting. */
  min?: number;
  max?: number;
  /** True when a change only applies after a restart of the host. */
  restart?: boolean;
  /** True for secrets: masked in /api/settings. */
  secret?: boolean;
  /**
   * The value when a settings file exists but does not set the key (commented out or absent), where that
   * differs from `default` (docs/DESIGN.md §5: "an empty or commented-out setting means none"). The first-run file
   * then writes `default` as a live line, so that only a user's edit turns it off.
   */
  unsetInFile?: string;
}

/** Every setting. The order is the order of the generated file and of the Settings panel. */
export const SETTING_SPECS = {
  rtmp_transponder_stream_name_prefix: {
    type: 'string',
    default: 'rtmp_',
    unsetInFile: '',
    description: 'Prefix of the name a transponder publishes on its target (WCS). Empty or commented out: no prefix.',
  },
  rtmp_transponder_full_url: {
    type: 'boolean',
    default: 'false',
    description: 'Keep the rtmpUrl query in connect and use its last path segment as the stream name (WCS).',
  },
  rtmp_push_auto_start: {
    type: 'boolean',
    default: 'false',
    description: 'Push every stream that starts publishing to rtmp_push_auto_start_url (WCS).',
  },
  rtmp_push_auto_start_url: {
    type: 'rtmpUrl',
    default: '',
    description: 'Target of the automatic push, rtmp:// or rtmps:// (WCS).',
  },
  rtmp_keyframe_interval_ms: {
    type: 'integer',
    default: '2000',
    // The relay's keyframe scheduler needs ≥ 250 ms (src-relay/transponder/keyframes.ts); below that every
    // transponder startup would fail.
    min: 250,
    max: 60000,
    description: 'Ask the publisher for a keyframe this often, in milliseconds (YouTube and Facebook want 2000).',
  },
  rtmp_flash_version: {
    type: 'string',
    default: '',
    description: 'flashVer sent in RTMP connect. Empty: "FMLE/3.0 (compatible; Castbridge/<version>)".',
  },
  rtmps_ca_file: {
    type: 'path',
    default: '',
    description: 'PEM file of extra certificate authorities trusted for rtmps:// targets (besides the system ones).',
  },
  rest_bind_address: {
    type: 'address',
    default: '127.0.0.1',
    restart: true,
    description: 'Address of the REST/WHIP/studio server. Beyond loopback needs rest_auth_token.',
  },
  rest_http_port: {
    type: 'port',
    default: '8081',
    restart: true,
    description: 'HTTP port of the studio, REST API, WHIP and /ws (0: any free port).',
  },
  rest_https_enabled: {
    type: 'boolean',
    default: 'true',
    restart: true,
    description: 'Serve the same over HTTPS too.',
  },
  rest_https_port: {
    type: 'port',
    default: '8444',
    restart: true,
    description: 'HTTPS port of the same server (0: any free port).',
  },
  rest_https_cert: {
    type: 'path',
    default: '',
    restart: true,
    description: 'PEM certificate for HTTPS. Empty: a self-signed one made on first run in the data folder.',
  },
  rest_https_key: {
    type: 'path',
    default: '',
    restart: true,
    description: 'PEM private key matching rest_https_cert.',
  },
  rest_allowed_hosts: {
    type: 'hostList',
    default: '',
    restart: true,
    description: 'Extra Host names the server answers to, comma separated (loopback names always work).',
  },
  allowed_origins: {
    type: 'originList',
    default: '',
    restart: true,
    description: 'Web page origins allowed besides the host\'s own (REST CORS, /ws, WCS WebSocket), comma separated, exact scheme://host:port.',
  },
  ws_port: {
    type: 'port',
    default: '8080',
    restart: true,
    description: 'Port of the WCS client protocol (WebSocket, ws://) for the Flashphoner Web SDK and WCS pages (0: off).',
  },
  wss_port: {
    type: 'port',
    default: '8443',
    restart: true,
    description: 'Port of the WCS client protocol over TLS (wss://, the HTTPS certificate) (0: off).',
  },
  rest_auth_token: {
    type: 'string',
    default: '',
    restart: true,
    secret: true,
    description: 'When set, every API call needs "Authorization: Bearer <token>".',
  },
  rest_max_body_bytes: {
    type: 'integer',
    default: '65536',
    min: 1024,
    max: 16777216,
    restart: true,
    description: 'Largest JSON body the API accepts, in bytes (bigger: 413).',
  },
  local_rtmp_enabled: {
    type: 'boolean',
    default: 'true',
    restart: true,
    description: 'Run the embedded RTMP server (the default target and the preview source).',
  },
  local_rtmp_port: {
    type: 'port',
    default: '1935',
    restart: true,
    description: 'RTMP port of the embedded server, app "live" (0: any free port).',
  },
  local_rtmp_http_port: {
    type: 'port',
    default: '8000',
    restart: true,
    description: 'HTTP-FLV preview port of the embedded server (0: any free port).',
  },
  media_dir: {
    type: 'path',
    default: '',
    description: 'Folder of the WAV files for sound injection. Empty: <data folder>/media.',
  },
  recordings_dir: {
    type: 'path',
    default: '',
    description: 'Folder of the local recordings (<stream>-<YYYYMMDD-HHMMSS>.mp4; .flv while recording). Empty: <data folder>/recordings.',
  },
} as const satisfies Record<string, SettingSpecBase>;

export type SettingKey = keyof typeof SETTING_SPECS;
export const SETTING_KEYS = Object.keys(SETTING_SPECS) as SettingKey[];

interface ValueOfType {
  string: string;
  boolean: boolean;
  integer: number;
  port: number;
  rtmpUrl: string;
  hostList: string[];
  originList: string[];
  address: string;
  path: string;
}

/** Typed values of every setting. */
export type Settings = { -readonly [K in SettingKey]: ValueOfType[(typeof SETTING_SPECS)[K]['type']] };

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTING_SPECS, key);
}

export function specOf(key: SettingKey): SettingSpecBase {
  return SETTING_SPECS[key];
}

const BOOLEAN_WORDS: Record<string, boolean> = { true: true, false: false, yes: true, no: false, on: true, off: false };
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,62})(\.[a-z0-9]([a-z0-9-]{0,62}))*\.?$/i;
const MAX_PORT = 65535;

/** The inclusive bounds of a port or a bounded integer setting (shown by the Settings panel). */
export function boundsOf(key: SettingKey): { min: number; max: number } | undefined {
  const spec = specOf(key);
  if (spec.type === 'port') return { min: 0, max: MAX_PORT };
  if (spec.type === 'integer' && spec.min !== undefined && spec.max !== undefined) return { min: spec.min, max: spec.max };
  return undefined;
}

type Parsed = { ok: true; value: Settings[SettingKey] } | { ok: false; error: string };

/** Parses one textual value; the error says what was expected and what came. */
export function parseSettingValue(key: SettingKey, text: string): Parsed {
  const spec = specOf(key);
  const value = text.trim();
  switch (spec.type) {
    case 'string':
    case 'path':
      return { ok: true, value };
    case 'boolean': {
      const word = BOOLEAN_WORDS[value.toLowerCase()];
      if (word === undefined) return { ok: false, error: `${key} must be true or false, got "${value}"` };
      return { ok: true, value: word };
    }
    case 'integer':
    case 'port': {
      const { min, max } = boundsOf(key) ?? { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };
      if (!/^-?\d+$/.test(value)) return { ok: false, error: `${key} must be an integer ${min}–${max}, got "${value}"` };
      const n = Number(value);
      if (n < min || n > max) return { ok: false, error: `${key} must be an integer ${min}–${max}, got ${n}` };
      return { ok: true, value: n };
    }
    case 'rtmpUrl':
      return parseRtmpUrlSetting(key, value);
    case 'address':
      if (isIP(value) === 0 && value !== 'localhost') {
        return { ok: false, error: `${key} must be an IP address (e.g. 127.0.0.1 or 0.0.0.0), got "${value}"` };
      }
      return { ok: true, value };
    case 'hostList': {
      const hosts = value.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
      const bad = hosts.find((h) => !HOST_NAME.test(h) && isIP(h.replace(/^\[|\]$/g, '')) === 0);
      if (bad !== undefined) return { ok: false, error: `${key} must list host names separated by commas, got "${bad}"` };
      return { ok: true, value: hosts };
    }
    case 'originList': {
      const origins: string[] = [];
      for (const item of value.split(',').map((o) => o.trim()).filter((o) => o !== '')) {
        const origin = originOf(item);
        if (origin === undefined) {
          return { ok: false, error: `${key} must list exact origins like https://example.com:8888 separated by commas (no wildcard, no path, not "null"), got "${item.slice(0, 100)}"` };
        }
        origins.push(origin);
      }
      return { ok: true, value: origins };
    }
  }
}

/** "scheme://host[:port]" as a browser sends it in Origin, lower case; undefined when it is not one. */
function originOf(text: string): string | undefined {
  if (text === 'null' || text.includes('*')) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') return undefined;
  // Only scheme://host[:port][/]: a path, query, fragment or user is not part of an origin. A default port
  // (:443 for https) is accepted and dropped, as browsers leave it out of Origin.
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '' || /[?#]$/.test(text)) return undefined;
  return url.origin.toLowerCase();
}

/** The rtmpUrl syntax every caller shares (src-contract/rtmp-url.ts); empty means none. */
function parseRtmpUrlSetting(key: SettingKey, value: string): Parsed {
  if (value === '' || checkRtmpUrlSyntax(value, key).ok) return { ok: true, value };
  // The value may hold a stream key: the message reaches the log, the UI and a 400 body (docs/DESIGN.md §7).
  return { ok: false, error: `${key} must be an rtmp:// or rtmps:// URL, got "${redactUrl(value)}"` };
}

/** The typed defaults. */
export function defaultSettings(): Settings {
  const out: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    const parsed = parseSettingValue(key, SETTING_SPECS[key].default);
    if (!parsed.ok) throw new Error(`default of ${key} is invalid: ${parsed.error}`);
    out[key] = parsed.value;
  }
  return out as Settings;
}

/** The typed values of a settings file that sets no key: the defaults, except the `unsetInFile` ones. */
export function fileBaseSettings(): Settings {
  const out: Record<string, unknown> = defaultSettings();
  for (const key of SETTING_KEYS) {
    const unset = specOf(key).unsetInFile;
    if (unset === undefined) continue;
    const parsed = parseSettingValue(key, unset);
    if (!parsed.ok) throw new Error(`unsetInFile of ${key} is invalid: ${parsed.error}`);
    out[key] = parsed.value;
  }
  return out as Settings;
}

/** The textual form of a typed value (as the file stores it). */
export function formatSettingValue(value: Settings[SettingKey]): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}
