// The embedded RTMP server (docs/DESIGN.md §2, §9): node-media-server 4.4.3 on 127.0.0.1, app `live`, the
// out-of-the-box target and the source of the studio's HTTP-FLV preview. Its traps, handled here:
// - a port in use makes it call process.exit(1): its servers never listen (ours do, see startLocalRtmp);
// - an exception in a session's data handler (malformed AMF crashed it before) would kill the host: each
//   RTMP socket's 'data' listeners are wrapped so a throw closes that one connection;
// - its HTTP server answers every Origin with `Access-Control-Allow-Origin: *`: we rewrite CORS to the
//   studio's origins only and refuse foreign origins, and refuse a Host that is not a loopback name on its
//   port (DNS rebinding: a page whose name resolves to 127.0.0.1 is same-origin and sends no Origin, and
//   the preview is the user's camera);
// - it writes `./data` unless store.path is set, serves /admin unless told not to, and logs at debug level.
import { createRequire } from 'node:module';
import { createServer, type Server, type Socket } from 'node:net';
import type { IncomingMessage, ServerResponse, Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import { type Log, redactUrl } from '../../src-relay/index.js';
import { isLoopbackAddress, parseHostHeader } from '../rest/security.js';

const require = createRequire(import.meta.url);

export const LOCAL_RTMP_APP = 'live';
/** node-media-server's own log lines that reach ours: the rest is chatter. */
const NMS_LOGGED_LEVELS = new Set(['warn', 'error']);

export interface LocalRtmpOptions {
  bind: string;
  /** 0: any free port. */
  port: number;
  httpPort: number;
  dataDir: string;
  /** Origins allowed to read the HTTP-FLV preview (the studio's own). Read on every request. */
  allowedOrigins: () => readonly string[];
  log: Log;
}

export interface LocalRtmp {
  rtmpPort: number;
  httpPort: number;
  /** rtmp://127.0.0.1:<port>/live */
  rtmpUrl: string;
  /** http://127.0.0.1:<httpPort>/live — append `/<name>.flv`. */
  previewBaseUrl: string;
  close(): Promise<void>;
}

export class LocalRtmpError extends Error {}

interface NmsInstance {
  run(): Promise<void>;
  stop(): Promise<void>;
  rtmpServer: { tcpServer?: Server; run(): void };
  httpServer: { httpServer?: HttpServer; run(): void };
}
type NmsConstructor = new (config: Record<string, unknown>) => NmsInstance;

let running = false;

/**
 * Starts the embedded server. One per process: node-media-server keeps its state in a module singleton.
 * The ports listen at once, on front servers of our own; node-media-server (~0.25 CPU s to load with its
 * express stack) is loaded at the first connection to either, and its own servers never listen: the front
 * servers hand it their connections (a server's 'connection' event takes injected sockets; they are paused
 * until handed over, so nothing is read before).
 */
export async function startLocalRtmp(opts: LocalRtmpOptions): Promise<LocalRtmp> {
  if (running) throw new LocalRtmpError('the embedded RTMP server is already running in this process');
  const rtmpFront = await listenFront(opts.bind, opts.port, 'local_rtmp_port');
  const httpFront = await listenFront(opts.bind, opts.httpPort, 'local_rtmp_http_port').catch((error: unknown) => {
    rtmpFront.server.close();
    throw error;
  });
  const rtmpPort = rtmpFront.port;
  const httpPort = httpFront.port;
  let closed = false;
  let loading: Promise<NmsInstance> | undefined;
  const load = (): Promise<NmsInstance> =>
    (loading ??= (async () => {
      routeNmsLog(opts.log);
      const NodeMediaServer = require('node-media-server') as NmsConstructor;
      const nms = new NodeMediaServer({
        bind: opts.bind,
        rtmp: { port: rtmpPort },
        http: { port: httpPort },
        store: { path: join(opts.dataDir, 'local-rtmp') },
        webadmin: { enable: false },
      });
      guardRtmpSessions(nms, opts.log);
      restrictCors(nms, opts.allowedOrigins, httpPort);
      nms.rtmpServer.run = () => undefined;
      nms.httpServer.run = () => undefined;
      await nms.run();
      opts.log('local_rtmp.loaded', { rtmpPort, httpPort });
      return nms;
    })());
  /** Every open connection (handed over or waiting): closing the host ends them all. */
  const open = new Set<Socket>();
  const handOver = (kind: 'rtmp' | 'http') => (socket: Socket): void => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
    load().then(
      (nms) => {
        const server = kind === 'rtmp' ? nms.rtmpServer.tcpServer : nms.httpServer.httpServer;
        if (closed || !server || socket.destroyed) return void socket.destroy();
        server.emit('connection', socket);
        socket.resume();
      },
      (error: unknown) => {
        opts.log('local_rtmp.load_failed', { error: (error as Error).message });
        socket.destroy();
      },
    );
  };
  rtmpFront.server.on('connection', handOver('rtmp'));
  httpFront.server.on('connection', handOver('http'));
  running = true;
  const host = opts.bind === '0.0.0.0' || opts.bind === '::' ? '127.0.0.1' : opts.bind;
  opts.log('local_rtmp.started', { rtmpPort, httpPort });
  return {
    rtmpPort,
    httpPort,
    rtmpUrl: `rtmp://${host}:${rtmpPort}/${LOCAL_RTMP_APP}`,
    previewBaseUrl: `http://${host}:${httpPort}/${LOCAL_RTMP_APP}`,
    close: async () => {
      closed = true;
      const fronts = [rtmpFront.server, httpFront.server].map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
      const nms = loading ? await loading.catch(() => undefined) : undefined;
      await nms?.stop();
      for (const socket of open) socket.destroy();
      await Promise.all(fronts);
      running = false;
    },
  };
}

/** Sends node-media-server's console logging (it sets itself to debug level) to our log, warnings only. */
function routeNmsLog(log: Log): void {
  const logger = require('node-media-server/src/core/logger.js') as { log: (message: string, level?: string) => void };
  logger.log = (message, level = 'info') => {
    if (NMS_LOGGED_LEVELS.has(level)) log('local_rtmp.log', { level, message: redactUrl(String(message)) });
  };
}

/** Listens on the port (0: a free one), paused connections; a refusal names the setting to change. */
async function listenFront(bind: string, port: number, setting: string): Promise<{ server: Server; port: number }> {
  const server = createServer({ pauseOnConnect: true });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'is already in use by another program' : `cannot be opened (${err.code ?? err.message})`;
      reject(new LocalRtmpError(`the embedded RTMP server cannot start: ${bind}:${port} (${setting}) ${why}; change ${setting} or set local_rtmp_enabled=false`));
    });
    server.listen(port, bind, () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address !== null ? address.port : port });
    });
  });
}

/** Wraps each RTMP connection's 'data' listeners: a throw closes that connection, not the process. */
function guardRtmpSessions(nms: NmsInstance, log: Log): void {
  const server = nms.rtmpServer.tcpServer;
  if (!server) return;
  const original = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    try {
      for (const listener of original) listener.call(server, socket);
    } catch (err) {
      log('local_rtmp.session_error', { error: (err as Error).message });
      socket.destroy();
      return;
    }
    const handlers = socket.listeners('data') as Array<(chunk: Buffer) => void>;
    socket.removeAllListeners('data');
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const handler of handlers) handler.call(socket, chunk);
      } catch (err) {
        log('local_rtmp.session_error', { remote: socket.remoteAddress, error: (err as Error).message });
        socket.destroy();
      }
    });
  });
}

const CORS_ORIGIN_HEADER = 'access-control-allow-origin';

/** A loopback name (127.0.0.1, localhost, [::1]), with no port or the preview's own. */
export function previewHostAllowed(host: string | undefined, httpPort: number): boolean {
  const parsed = host === undefined ? undefined : parseHostHeader(host);
  if (!parsed || !isLoopbackAddress(parsed.name)) return false;
  return parsed.port === undefined || parsed.port === httpPort;
}

/** Why a preview request is refused, or undefined when it may pass. */
function previewRefusal(req: IncomingMessage, allowedOrigins: () => readonly string[], httpPort: number): string | undefined {
  if (!previewHostAllowed(req.headers.host, httpPort)) return 'foreign host';
  const origin = req.headers.origin;
  if (origin !== undefined && !allowedOrigins().includes(origin)) return 'foreign origin';
  return undefined;
}

/** Replaces node-media-server's wildcard CORS with the allowed origins; a foreign Origin or Host gets 403. */
function restrictCors(nms: NmsInstance, allowedOrigins: () => readonly string[], httpPort: number): void {
  const server = nms.httpServer.httpServer;
  if (!server) return;
  const requestListeners = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const origin = req.headers.origin;
    const refusal = previewRefusal(req, allowedOrigins, httpPort);
    if (refusal) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end(refusal);
      return;
    }
    const allowed = origin !== undefined;
    const setHeader = res.setHeader.bind(res);
    res.setHeader = (name: string, value: number | string | readonly string[]) => {
      if (name.toLowerCase() === CORS_ORIGIN_HEADER) return allowed ? setHeader(name, origin) : res;
      return setHeader(name, value);
    };
    for (const listener of requestListeners) listener.call(server, req, res);
  });
  const upgradeListeners = server.listeners('upgrade') as Array<(req: IncomingMessage, socket: Socket, head: Buffer) => void>;
  server.removeAllListeners('upgrade');
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (previewRefusal(req, allowedOrigins, httpPort)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    for (const listener of upgradeListeners) listener.call(server, req, socket, head);
  });
}
