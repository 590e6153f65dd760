// rtmp(s):// URLs to what the client sends, following WCS's rules (DESIGN.md §5):
//   rtmp://[user:password@]host[:port]/app[/instance][/stream][?query]
// full_url=false: app = the whole path after the host, the query is not sent, the publish name is
//   prefix + streamName.
// full_url=true:  the first segment is the app; a last segment after app (and instance) is the stream name as
//   written; the query rides inside app and tcUrl ("live/?user=u&pass=p").
// Credentials never go into tcUrl: they answer the server's challenge (auth.ts).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RtmpUrlError } from './errors.js';

export { RtmpUrlError };

export interface RtmpTarget {
  tls: boolean;
  host: string;
  port: number;
  app: string;
  tcUrl: string;
  streamName: string;
  username?: string;
  password?: string;
  flashVer: string;
  /** rtmps_ca_file: a PEM file of CAs trusted besides the system's (read at each connection, tls.ts). */
  caFile?: string;
}

export interface ResolveOptions {
  /** rtmp_transponder_stream_name_prefix ('' for none). */
  prefix: string;
  /** rtmp_transponder_full_url. */
  fullUrl: boolean;
  /** Publish streamName as given (presets whose stream name is the key). */
  noPrefix?: boolean;
  flashVer?: string;
  /** rtmps_ca_file ('' or absent: the system's CAs only); kept on rtmps:// targets only. */
  caFile?: string;
}

export const DefaultPort = { rtmp: 1935, rtmps: 443 } as const;
const MAX_PORT = 65535;

function packageVersion(): string {
  // Walk up from this file to our package.json: works from the source tree, a build folder and an asar.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
        if (pkg.name === 'castbridge' && typeof pkg.version === 'string') return pkg.version;
      } catch {
        // not ours or unreadable: keep walking
      }
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

/** flashVer sent in connect: encoders announce themselves as FMLE, which every ingest accepts. */
export const DEFAULT_FLASH_VER = `FMLE/3.0 (compatible; Castbridge/${packageVersion()})`;

interface UrlParts {
  tls: boolean;
  scheme: string;
  /** As written, brackets kept for IPv6: goes into tcUrl. */
  hostText: string;
  portText: string | undefined;
  port: number;
  username?: string;
  password?: string;
  /** Path after the host without the leading '/'. */
  path: string;
  /** Query without the '?', undefined when absent. */
  query: string | undefined;
}

function decodeUserinfo(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new RtmpUrlError(`RTMP URL ${what} has a bad percent-escape`);
  }
}

function parseUrl(rtmpUrl: string): UrlParts {
  const schemeMatch = /^([a-zA-Z][\w+.-]*):\/\//.exec(rtmpUrl);
  if (!schemeMatch) throw new RtmpUrlError(`RTMP URL must start with rtmp:// or rtmps://`);
  const scheme = schemeMatch[1].toLowerCase();
  if (scheme !== 'rtmp' && scheme !== 'rtmps') {
    throw new RtmpUrlError(`RTMP URL scheme "${scheme}" is not supported: use rtmp:// or rtmps://`);
  }
  const rest = rtmpUrl.slice(schemeMatch[0].length).replace(/#.*$/, '');
  const authorityEnd = rest.search(/[/?]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const afterAuthority = authorityEnd < 0 ? '' : rest.slice(authorityEnd);
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at) : undefined;
  const hostPort = at >= 0 ? authority.slice(at + 1) : authority;

  const hostMatch = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]*)(?::(.*))?$/.exec(hostPort);
  if (!hostMatch) throw new RtmpUrlError(`RTMP URL host "${hostPort}" is not a host name or address`);
  const [, hostText, portText] = hostMatch;
  if (!hostText) throw new RtmpUrlError('RTMP URL has no host');
  if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._~%-]+)$/.test(hostText)) {
    throw new RtmpUrlError(`RTMP URL host "${hostText}" has characters a host name cannot have`);
  }
  const tls = scheme === 'rtmps';
  let port: number = tls ? DefaultPort.rtmps : DefaultPort.rtmp;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= MAX_PORT)) throw new RtmpUrlError(`RTMP URL port "${portText}" is not a number 1–${MAX_PORT}`);
  }

  const queryAt = afterAuthority.indexOf('?');
  const pathText = queryAt < 0 ? afterAuthority : afterAuthority.slice(0, queryAt);
  const query = queryAt < 0 ? undefined : afterAuthority.slice(queryAt + 1);
  const parts: UrlParts = { tls, scheme, hostText, portText, port, path: pathText.replace(/^\/+/, ''), query };
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    parts.username = decodeUserinfo(colon < 0 ? userinfo : userinfo.slice(0, colon), 'user name');
    if (colon >= 0) parts.password = decodeUserinfo(userinfo.slice(colon + 1), 'password');
    if (!parts.username) throw new RtmpUrlError('RTMP URL has a password but no user name');
  }
  return parts;
}

/** Splits the path into the application (with any instance) and a trailing stream segment (full_url rules). */
function splitFullPath(path: string): { app: string; stream: string | undefined } {
  const segments = path.split('/');
  if (segments.length === 1) return { app: path, stream: undefined }; // "app": only the application
  const last = segments[segments.length - 1];
  if (last === '') return { app: path, stream: undefined }; // "app/", "app/inst/": no stream segment
  return { app: segments.slice(0, -1).join('/'), stream: last };
}

export function resolveRtmpTarget(rtmpUrl: string, streamName: string | undefined, opts: ResolveOptions): RtmpTarget {
  const url = parseUrl(rtmpUrl.trim());
  let app: string;
  let publishName: string | undefined;
  if (opts.fullUrl) {
    const split = splitFullPath(url.path);
    app = split.app;
    if (split.stream !== undefined) publishName = split.stream;
    if (url.query !== undefined) app += `?${url.query}`;
  } else {
    app = url.path.replace(/\/+$/, '');
  }
  if (!app || app.startsWith('?')) {
    throw new RtmpUrlError('RTMP URL has no application: expected rtmp://host[:port]/app[/instance]');
  }
  if (publishName === undefined) {
    if (!streamName) throw new RtmpUrlError('no stream name: the RTMP URL has no stream segment and no streamName was given');
    publishName = (opts.noPrefix ? '' : opts.prefix) + streamName;
  }
  const portPart = url.portText !== undefined ? `:${url.port}` : '';
  const target: RtmpTarget = {
    tls: url.tls,
    host: url.hostText.replace(/^\[(.*)\]$/, '$1'),
    port: url.port,
    app,
    tcUrl: `${url.scheme}://${url.hostText}${portPart}/${app}`,
    streamName: publishName,
    flashVer: opts.flashVer || DEFAULT_FLASH_VER,
  };
  if (url.tls && opts.caFile) target.caFile = opts.caFile;
  if (url.username !== undefined) target.username = url.username;
  if (url.password !== undefined) target.password = url.password;
  return target;
}
