// Masking of secrets before anything reaches a log, an error message or the UI (docs/DESIGN.md §7): stream keys
// live in the rtmpUrl's last path segment, in the publish name and in query values; passwords in userinfo.

const MASK = '…';
const SHOWN_CHARS = 4;

/** "live_abc123" → "live…": enough to tell keys apart, not enough to use one. */
export function redactName(name: string): string {
  if (name.length <= SHOWN_CHARS) return MASK;
  return name.slice(0, SHOWN_CHARS) + MASK;
}

/** A path segment after the application that looks like a key rather than an instance name. */
function looksLikeKey(segment: string): boolean {
  return segment.length >= 6 && /[0-9_\-]/.test(segment);
}

function redactQuery(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0 ? pair : `${pair.slice(0, eq + 1)}***`;
    })
    .join('&');
}

function redactPath(path: string): string {
  const segments = path.split('/'); // path starts with '/', so segments[0] === '' and [1] is the app
  const last = segments.length - 1;
  if (last >= 2 && looksLikeKey(segments[last])) segments[last] = redactName(segments[last]);
  return segments.join('/');
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._~% -]*)(:\d{0,5})?$/;

/**
 * Masks the password, a key-like last path segment after the app and every query value of a URL. Works on
 * text that is not a valid URL too (best effort: the same rules by pattern).
 */
export function redactUrl(url: string): string {
  const match = /^([a-zA-Z][\w+.-]*:\/\/)([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/.exec(url);
  if (!match) return url.includes('?') ? url.slice(0, url.indexOf('?')) + '?***' : url;
  const [, scheme, authority, path, query = '', fragment = ''] = match;
  const at = authority.lastIndexOf('@');
  const hostPort = authority.slice(at + 1);
  // Anything but a plain host[:port] may be a password or key typed in the wrong place
  // (rtmp://user:password/x@host, rtmp://host\app\key): masked whole.
  let host = HOST_PORT.test(hostPort) ? hostPort : '***';
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(':');
    const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    host = `${user}${colon >= 0 ? ':***' : ''}@${host}`;
  }
  const redactedQuery = query ? `?${redactQuery(query.slice(1))}` : '';
  return `${scheme}${host}${redactPath(path)}${redactedQuery}${fragment ? '#***' : ''}`;
}

/** Replaces every occurrence of each secret (raw and URL-encoded) in free text, e.g. a server's status text. */
export function redactText(text: string, secrets: string[]): string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
  }
  let out = text;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    out = out.split(form).join(redactName(form));
  }
  return out;
}
