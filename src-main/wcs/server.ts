// The WCS client protocol's listeners (docs/DESIGN.md §2, §4a): ws:// on ws_port and wss:// (the HTTPS
// certificate) on wss_port, each bound to rest_bind_address. Upgrades pass the same Host / Origin / token gate
// as the REST server and `/ws` (security.ts): pages on the host's own origins and on allowed_origins get in,
// `Origin: null` and foreign pages do not; with rest_auth_token the token comes as `?access_token=` (a page
// cannot set headers on a WebSocket).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { LazyWebSocketServer } from '../rest/lazy-ws.js';
import type { TlsPair } from '../config/tls.js';
import type { RestDeps } from '../rest/deps.js';
import { listenOn } from '../rest/listen.js';
import { checkRequest, ownOrigins, tokenOk, type SecurityPolicy } from '../rest/security.js';
import { MAX_FRAME_BYTES } from './protocol.js';
import { WcsSession, type KeepAlive } from './wcs-session.js';

const STATUS_TEXT: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 426: 'Upgrade Required' };

export interface WcsServerOptions {
  bind: string;
  /** 0: no ws:// listener. */
  wsPort: number;
  /** 0: no wss:// listener. */
  wssPort: number;
  /** Needed when wssPort is not 0. */
  tls?: TlsPair;
  /** Ping cadence and the silence after which a client is dropped; default DEFAULT_KEEPALIVE. */
  keepAlive?: KeepAlive;
}

export interface WcsServers {
  wsPort?: number;
  wssPort?: number;
  /** Why a configured listener is not there (its port taken, say): one sentence naming the setting each. */
  unavailable: string[];
  close(): Promise<void>;
}

/**
 * The gate's policy for these ports: a Host naming ws_port or wss_port is ours, and the origins trusted are
 * the REST server's own pages plus allowed_origins (nothing serves pages on the WCS ports).
 */
function wcsPolicy(base: SecurityPolicy, listened: { ws?: number; wss?: number }): SecurityPolicy {
  return { ...base, ports: () => ({ http: listened.ws, https: listened.wss }), extraOrigins: ownOrigins(base) };
}

function refuse(socket: Duplex, status: number, error: string): void {
  const body = JSON.stringify({ error });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** A plain HTTP request on a WCS port: say what the port is for. */
function notWebSocket(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(426, { 'content-type': 'application/json', upgrade: 'websocket', connection: 'close' });
  res.end(JSON.stringify({ error: 'this is Castbridge\'s WCS WebSocket port: point the Web SDK\'s urlServer here (ws:// or wss://), not a browser tab' }));
}

function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startWcsServers(deps: RestDeps, opts: WcsServerOptions): Promise<WcsServers> {
  if (opts.wssPort !== 0 && !opts.tls) throw new Error('wss_port needs the HTTPS certificate');
  const wss = new LazyWebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const listened: { ws?: number; wss?: number } = {};
  const servers: Server[] = [];

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://host');
    const facts = {
      host: req.headers.host,
      origin: req.headers.origin,
      authorization: req.headers.authorization,
      queryToken: url.searchParams.get('access_token') ?? undefined,
      path: url.pathname,
    };
    const policy = wcsPolicy(deps.security, listened);
    const refusal =
      checkRequest(facts, policy) ??
      (tokenOk(facts, policy.token) ? undefined : { status: 401, error: 'this server needs the token: add ?access_token=<rest_auth_token> to urlServer' });
    if (refusal) {
      deps.log('wcs.refused', { status: refusal.status, remote: req.socket.remoteAddress, origin: req.headers.origin?.slice(0, 100) });
      return refuse(socket, refusal.status, refusal.error);
    }
    wss.handleUpgrade(req, socket, head, (ws) => new WcsSession(ws, deps, req.socket.remoteAddress, opts.keepAlive));
  };

  const close = async (): Promise<void> => {
    await wss.close();
    await Promise.all(servers.map(closeServer));
  };

  // The WCS ports serve existing WCS pages beside the studio: one that cannot listen (8080 is a popular port)
  // is reported and left off, and the studio, REST and WHIP start all the same.
  const unavailable: string[] = [];
  const start = async (server: Server, port: number, setting: string): Promise<number | undefined> => {
    servers.push(server);
    server.on('upgrade', onUpgrade);
    try {
      return await listenOn(server, port, opts.bind, setting, ', or set it to 0 to turn the WCS WebSocket off');
    } catch (err) {
      unavailable.push((err as Error).message);
      deps.log('wcs.unavailable', { setting, error: (err as Error).message });
      return undefined;
    }
  };
  if (opts.wsPort !== 0) {
    const port = await start(createServer(notWebSocket), opts.wsPort, 'ws_port');
    if (port !== undefined) listened.ws = port;
  }
  if (opts.wssPort !== 0 && opts.tls) {
    const port = await start(createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, notWebSocket), opts.wssPort, 'wss_port');
    if (port !== undefined) listened.wss = port;
  }
  const result: WcsServers = { unavailable, close };
  if (listened.ws !== undefined) result.wsPort = listened.ws;
  if (listened.wss !== undefined) result.wssPort = listened.wss;
  return result;
}
