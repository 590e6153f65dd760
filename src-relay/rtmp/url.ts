// rtmp(s):// URLs to what the client sends, following WCS's rules (docs/DESIGN.md §5):
//   rtmp://[user:password@]host[:port]/app[/instance][/stream][?query]
// full_url=false: app = the whole path after the host, the query is not sent, the publish name is
//   prefix + streamName.
// full_url=true:  the first segment is the app; a last segment after app (and instance) is the stream name as
//   written; the query rides inside app and tcUrl ("live/?user=u&pass=p").
// Credentials never go into tcUrl: they answer the server's challenge (auth.ts).
import { DefaultPort, parseRtmpUrl, type RtmpUrlParts } from '../../src-contract/rtmp-url.js';
import { RtmpUrlError } from './errors.js';
import { appVersion } from '../version.js';

export { RtmpUrlError };

import type { VideoFourCc } from '../flv/enhanced.js';

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
  /** Enhanced RTMP: the FourCCs (av01, vp09, hvc1) this connection may send, announced in connect. */
  fourCcList?: VideoFourCc[];
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

export { DefaultPort };

/** flashVer sent in connect: encoders announce themselves as FMLE, which every ingest accepts. */
export const DEFAULT_FLASH_VER = `FMLE/3.0 (compatible; Castbridge/${appVersion()})`;

/** The shared rtmpUrl syntax (src-contract/rtmp-url.ts), as an RtmpUrlError when it is wrong. */
function parseUrl(rtmpUrl: string): RtmpUrlParts {
  const parsed = parseRtmpUrl(rtmpUrl);
  if (!parsed.ok) throw new RtmpUrlError(parsed.error);
  return parsed.url;
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
