// The local server's defences (docs/DESIGN.md §7), as pure functions of a request's headers so that a unit test
// can read them: Host against DNS rebinding, Origin against cross-site requests (no wildcard CORS, ever),
// the optional bearer token, and the rule that binding beyond loopback needs a token.
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

export const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'] as const;

export interface SecurityPolicy {
  /** Extra Host names (rest_allowed_hosts), lower case, without port. */
  allowedHosts: readonly string[];
  /** The address the server binds; a specific non-loopback IP is an allowed Host too. */
  bindAddress: string;
  /** rest_auth_token; '' when none. */
  token: string;
  /** The ports actually listened on (known after listen). */
  ports: () => { http?: number; https?: number };
  /** Further origins trusted like our own, e.g. the Electron shell's page origin when it is not ours. */
  extraOrigins?: readonly string[];
}

export interface RequestFacts {
  host: string | undefined;
  origin: string | undefined;
  authorization: string | undefined;
  /** `access_token` query parameter (WebSocket handshakes from a browser cannot set headers). */
  queryToken?: string | undefined;
  path: string;
}

export interface Refusal {
  status: 401 | 403;
  error: string;
}

export class BindRefusedError extends Error {}

export function isLoopbackAddress(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, '').toLowerCase();
  return a === 'localhost' || a === '::1' || a.startsWith('127.') || a === '::ffff:127.0.0.1';
}

/** Throws when the server would be reachable beyond this machine without a token. */
export function checkBindAllowed(bindAddress: string, token: string): void {
  if (isLoopbackAddress(bindAddress) || token !== '') return;
  throw new BindRefusedError(
    `refusing to serve the API on ${bindAddress} (beyond this computer) without a token: set rest_auth_token, or rest_bind_address=127.0.0.1`,
  );
}

function hostNames(policy: SecurityPolicy): string[] {
  const names: string[] = [...LOOPBACK_NAMES, ...policy.allowedHosts];
  const bind = policy.bindAddress;
  if (isIP(bind) !== 0 && bind !== '0.0.0.0' && bind !== '::') names.push(isIP(bind) === 6 ? `[${bind}]` : bind);
  return names.map((n) => n.toLowerCase());
}

function listenedPorts(policy: SecurityPolicy): number[] {
  const { http, https } = policy.ports();
  return [http, https].filter((p): p is number => p !== undefined);
}

/** Splits a Host header into name and port ("[::1]:8081" → "[::1]", 8081). */
export function parseHostHeader(host: string): { name: string; port?: number } | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(host.trim());
  if (!m) return undefined;
  return m[2] === undefined ? { name: m[1]!.toLowerCase() } : { name: m[1]!.toLowerCase(), port: Number(m[2]) };
}

export function hostAllowed(host: string | undefined, policy: SecurityPolicy): boolean {
  if (host === undefined) return false;
  const parsed = parseHostHeader(host);
  if (!parsed || !hostNames(policy).includes(parsed.name)) return false;
  return parsed.port === undefined || listenedPorts(policy).includes(parsed.port);
}

/** The origins of the host's own pages: each allowed name on each listened port and scheme. */
export function ownOrigins(policy: SecurityPolicy): string[] {
  const { http, https } = policy.ports();
  const origins: string[] = [];
  for (const name of hostNames(policy)) {
    if (http !== undefined) origins.push(`http://${name}:${http}`);
    if (https !== undefined) origins.push(`https://${name}:${https}`);
  }
  for (const extra of policy.extraOrigins ?? []) if (extra !== 'null' && !extra.includes('*')) origins.push(extra.toLowerCase());
  return origins;
}

export function originAllowed(origin: string, policy: SecurityPolicy): boolean {
  return ownOrigins(policy).includes(origin.toLowerCase());
}

/** Paths that are API calls (token required when set); the static studio and SDK files are not. */
export function isApiPath(path: string): boolean {
  return /^\/(rest-api|api|whip|ws)(\/|$|\?)/.test(path);
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function tokenOk(facts: RequestFacts, token: string): boolean {
  if (token === '') return true;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(facts.authorization ?? '')?.[1];
  if (bearer !== undefined) return sameSecret(bearer, token);
  return facts.queryToken !== undefined && sameSecret(facts.queryToken, token);
}

/** The one gate every HTTP request and WebSocket handshake goes through. */
export function checkRequest(facts: RequestFacts, policy: SecurityPolicy): Refusal | undefined {
  if (!hostAllowed(facts.host, policy)) {
    return { status: 403, error: `Host "${String(facts.host).slice(0, 100)}" is not a name of this server (add it to rest_allowed_hosts)` };
  }
  if (facts.origin !== undefined && !originAllowed(facts.origin, policy)) {
    return { status: 403, error: `requests from the web page origin "${facts.origin.slice(0, 100)}" are not allowed` };
  }
  if (isApiPath(facts.path) && !tokenOk(facts, policy.token)) {
    return { status: 401, error: 'this API needs "Authorization: Bearer <rest_auth_token>"' };
  }
  return undefined;
}
