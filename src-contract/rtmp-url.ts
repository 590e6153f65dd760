// The syntax of an rtmpUrl (docs/DESIGN.md §5), checked the same way wherever one arrives: the REST startup body,
// the `/ws` and WCS republish, the auto-push setting, the studio's target form, and the relay when it
// connects (src-relay/rtmp/url.ts applies the WCS rules on top). Pure: whether the host resolves is the
// host's business (DNS), not this file's.
//   rtmp[s]://[user[:password]@]host[:port]/app[/instance][/stream][?query][#fragment]
// Messages name the part that is wrong and never echo the URL itself: it may hold a stream key or a password.

export interface RtmpUrlParts {
  tls: boolean;
  scheme: 'rtmp' | 'rtmps';
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

/** Which part is wrong, for callers that say it in their own words (the studio's target form). */
export type RtmpUrlProblem = 'scheme' | 'host' | 'port' | 'userinfo' | 'application';

export type RtmpUrlParse =
  | { ok: true; url: RtmpUrlParts }
  /** `error` is a sentence starting with the subject; `scheme` is set when the scheme is the problem and has one. */
  | { ok: false; problem: RtmpUrlProblem; error: string; scheme?: string };

export const DefaultPort = { rtmp: 1935, rtmps: 443 } as const;
const MAX_PORT = 65535;

class Refusal {
  constructor(
    readonly problem: RtmpUrlProblem,
    readonly phrase: string,
    readonly scheme?: string,
  ) {}
}

function decodeUserinfo(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new Refusal('userinfo', `${what} has a bad percent-escape`);
  }
}

function split(rtmpUrl: string): RtmpUrlParts {
  const schemeMatch = /^([a-zA-Z][\w+.-]*):\/\//.exec(rtmpUrl);
  if (!schemeMatch) throw new Refusal('scheme', 'must start with rtmp:// or rtmps://');
  const scheme = schemeMatch[1]!.toLowerCase();
  if (scheme !== 'rtmp' && scheme !== 'rtmps') {
    throw new Refusal('scheme', `scheme "${scheme.slice(0, 20)}" is not supported: use rtmp:// or rtmps://`, scheme.slice(0, 20));
  }
  const rest = rtmpUrl.slice(schemeMatch[0].length).replace(/#.*$/, '');
  const authorityEnd = rest.search(/[/?]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const afterAuthority = authorityEnd < 0 ? '' : rest.slice(authorityEnd);
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at) : undefined;
  const hostPort = at >= 0 ? authority.slice(at + 1) : authority;

  const hostMatch = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]*)(?::(.*))?$/.exec(hostPort);
  // Host and port text are never quoted: in a mistyped URL they are often the password or the stream key
  // (rtmp://user:password/x@host, rtmp://host\app\key).
  if (!hostMatch) throw new Refusal('host', 'host is not a host name or address');
  const [, hostText = '', portText] = hostMatch;
  if (!hostText) throw new Refusal('host', 'has no host');
  if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._~%-]+)$/.test(hostText)) {
    throw new Refusal('host', 'host has characters a host name cannot have (a "\\" instead of "/"?)');
  }
  const tls = scheme === 'rtmps';
  let port: number = tls ? DefaultPort.rtmps : DefaultPort.rtmp;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= MAX_PORT)) {
      const shown = /^\d{1,5}$/.test(portText) ? ` "${portText}"` : '';
      throw new Refusal('port', `port${shown} is not a number 1–${MAX_PORT}${shown ? '' : ' (a password goes before the host: rtmp://user:password@host/app)'}`);
    }
  }

  const queryAt = afterAuthority.indexOf('?');
  const pathText = queryAt < 0 ? afterAuthority : afterAuthority.slice(0, queryAt);
  const query = queryAt < 0 ? undefined : afterAuthority.slice(queryAt + 1);
  const parts: RtmpUrlParts = { tls, scheme, hostText, portText, port, path: pathText.replace(/^\/+/, ''), query };
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    parts.username = decodeUserinfo(colon < 0 ? userinfo : userinfo.slice(0, colon), 'user name');
    if (colon >= 0) parts.password = decodeUserinfo(userinfo.slice(colon + 1), 'password');
    if (!parts.username) throw new Refusal('userinfo', 'has a password but no user name');
  }
  return parts;
}

/**
 * Splits an RTMP URL into its parts, or says what is wrong in a sentence that starts with `subject`
 * ("RTMP URL has no host", "rtmpUrl port "99999" is not a number 1–65535"). Leading and trailing white
 * space is ignored. The application is not required here: which segment is the application depends on
 * rtmp_transponder_full_url (see `rtmpUrlError` for the check every rtmpUrl must pass).
 */
export function parseRtmpUrl(text: string, subject = 'RTMP URL'): RtmpUrlParse {
  try {
    return { ok: true, url: split(text.trim()) };
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    const failure: RtmpUrlParse = { ok: false, problem: err.problem, error: `${subject} ${err.phrase}` };
    if (err.scheme !== undefined) failure.scheme = err.scheme;
    return failure;
  }
}

/** The check every rtmpUrl passes before it is used: it parses and has an application path. */
export function checkRtmpUrlSyntax(text: string, subject = 'rtmpUrl'): RtmpUrlParse {
  const parsed = parseRtmpUrl(text, subject);
  if (parsed.ok && parsed.url.path.replace(/\//g, '') === '') {
    return { ok: false, problem: 'application', error: `${subject} has no application, e.g. rtmp://host/live` };
  }
  return parsed;
}
