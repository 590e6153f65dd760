// RTMP publisher authentication by challenge, as Adobe Media Server / Wowza ("authmod=adobe") and Limelight
// ("authmod=llnw") do it, and as ffmpeg's libavformat/rtmpproto.c answers them. The server refuses `connect`
// with an `_error` whose description carries the challenge; the client reconnects with a query on the app:
//
//   1. connect app="live"                          ← _error "[ code=403 need auth; authmod=adobe ]"
//   2. connect app="live?authmod=adobe&user=U"     ← _error "… ?reason=needauth&user=U&salt=S&challenge=C&opaque=O"
//   3. connect app="live?authmod=adobe&user=U&challenge=C2&response=R&opaque=O"   ← _result (or reason=authfailed)
//
// adobe:  R = base64(md5(base64(md5(user + salt + password)) + (opaque || challenge) + C2)), C2 = 8 hex digits
// llnw:   HA1 = md5hex(user:live:password), HA2 = md5hex(publish:/app[/_definst_]),
//         R = md5hex(HA1:nonce:00000001:cnonce:auth:HA2)   (HTTP digest, RFC 2617 §3.2.2, realm "live")
import { createHash, randomBytes } from 'node:crypto';

export type AuthMod = 'adobe' | 'llnw';

export interface Credentials {
  username: string;
  password: string;
}

export const LLNW = { realm: 'live', method: 'publish', qop: 'auth', nc: '00000001', defaultInstance: '/_definst_' } as const;

/** What to do after a connect `_error`. `query` goes after the app and tcUrl, starting with '?'. */
export type AuthStep =
  | { kind: 'retry'; query: string; authmod: AuthMod }
  | { kind: 'fail'; code: 'AUTH_REQUIRED' | 'AUTH_FAILED'; reason: string }
  | { kind: 'not-auth' };

export function md5(text: string): Buffer {
  return createHash('md5').update(text, 'utf8').digest();
}

export function clientNonce(): string {
  return randomBytes(4).toString('hex'); // ffmpeg: "%08x" of a random 32-bit number
}

export function findAuthMod(description: string): AuthMod | undefined {
  const match = /authmod=(adobe|llnw)\b/.exec(description);
  return match ? (match[1] as AuthMod) : undefined;
}

/** The key=value parameters after "?reason=needauth" (or any "?reason="). */
export function parseChallenge(description: string): Record<string, string> {
  const at = description.indexOf('?reason=');
  const params: Record<string, string> = {};
  if (at < 0) return params;
  for (const pair of description.slice(at + 1).split(/[&\s]/)) {
    const eq = pair.indexOf('=');
    if (eq > 0) params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return params;
}

export function adobeResponse(c: Credentials, salt: string, challenge: string | undefined, opaque: string | undefined, clientChallenge: string): string {
  const hash1 = md5(c.username + salt + c.password).toString('base64');
  return md5(hash1 + (opaque ?? challenge ?? '') + clientChallenge).toString('base64');
}

/** The app as llnw's digest sees it: the plain app (no query), with Wowza's default instance if it has none. */
export function llnwUri(app: string): string {
  const plain = app.split('?')[0];
  return `/${plain}${plain.includes('/') ? '' : LLNW.defaultInstance}`;
}

export function llnwResponse(c: Credentials, app: string, nonce: string, cnonce: string): string {
  const ha1 = md5(`${c.username}:${LLNW.realm}:${c.password}`).toString('hex');
  const ha2 = md5(`${LLNW.method}:${llnwUri(app)}`).toString('hex');
  return md5(`${ha1}:${nonce}:${LLNW.nc}:${cnonce}:${LLNW.qop}:${ha2}`).toString('hex');
}

/**
 * Tracks one publisher's authentication across reconnects: feed it each connect `_error` description, it
 * answers with the next query to connect with, or why to give up.
 */
export class AuthSession {
  private responded = false;

  constructor(
    private readonly credentials: Credentials | undefined,
    /** The app without any auth query. */
    private readonly app: string,
  ) {}

  next(description: string): AuthStep {
    const authmod = findAuthMod(description);
    if (!authmod) return { kind: 'not-auth' };
    const c = this.credentials;
    if (!c || !c.password) {
      return { kind: 'fail', code: 'AUTH_REQUIRED', reason: `server requires authentication (authmod=${authmod}) and the URL has no user:password` };
    }
    if (description.includes('?reason=authfailed')) return { kind: 'fail', code: 'AUTH_FAILED', reason: 'wrong user name or password' };
    if (description.includes('?reason=nosuchuser')) return { kind: 'fail', code: 'AUTH_FAILED', reason: 'unknown user name' };
    if (this.responded) return { kind: 'fail', code: 'AUTH_FAILED', reason: `authentication (authmod=${authmod}) refused` };
    const user = encodeURIComponent(c.username);
    if (description.includes('code=403 need auth')) return { kind: 'retry', authmod, query: `?authmod=${authmod}&user=${user}` };
    if (!description.includes('?reason=needauth')) {
      return { kind: 'fail', code: 'AUTH_FAILED', reason: `authentication (authmod=${authmod}) rejected without a challenge` };
    }
    const p = parseChallenge(description);
    this.responded = true;
    if (authmod === 'adobe') {
      const challenge2 = clientNonce();
      const response = adobeResponse(c, p.salt ?? '', p.challenge, p.opaque, challenge2);
      const opaque = p.opaque !== undefined ? `&opaque=${p.opaque}` : '';
      return { kind: 'retry', authmod, query: `?authmod=adobe&user=${user}&challenge=${challenge2}&response=${response}${opaque}` };
    }
    const cnonce = clientNonce();
    const nonce = p.nonce ?? '';
    const response = llnwResponse(c, this.app, nonce, cnonce);
    return {
      kind: 'retry',
      authmod,
      query: `?authmod=llnw&user=${user}&nonce=${nonce}&cnonce=${cnonce}&nc=${LLNW.nc}&response=${response}`,
    };
  }
}
