// Listens with one fastify app on HTTP and HTTPS at once (docs/DESIGN.md §2): fastify's serverFactory hands
// its request handler to both node servers; /ws upgrades on either go to the WebSocket endpoint.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { TlsPair } from '../config/tls.js';
import { buildApp } from './app.js';
import type { RestDeps } from './deps.js';
import { listenError, listenOn } from './listen.js';
import { createWsEndpoint, type WsEndpoint } from './ws.js';

export interface RestServerOptions {
  bind: string;
  httpPort: number;
  /** Set to serve HTTPS too. */
  https?: { port: number; tls: TlsPair };
  bodyLimit: number;
}

export interface RestServers {
  app: FastifyInstance;
  httpPort: number;
  httpsPort?: number;
  close(): Promise<void>;
}

/** Time given to open connections to finish on close before they are cut. */
const CLOSE_GRACE_MS = 2000;

/** `ports` is filled in once the servers listen (the security gate reads it). */
export async function startRestServers(
  deps: RestDeps,
  opts: RestServerOptions,
  ports: { http?: number; https?: number },
): Promise<RestServers> {
  let httpsServer: HttpsServer | undefined;
  let httpServer: Server | undefined;
  const app = await buildApp(deps, {
    bodyLimit: opts.bodyLimit,
    serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
      httpServer = createServer(handler);
      if (opts.https) httpsServer = createHttpsServer({ cert: opts.https.tls.cert, key: opts.https.tls.key }, handler);
      return httpServer;
    },
  });
  const ws = createWsEndpoint(deps);
  await app.listen({ port: opts.httpPort, host: opts.bind }).catch((err: NodeJS.ErrnoException) => {
    throw listenError(err, opts.bind, opts.httpPort, 'rest_http_port');
  });
  ports.http = (httpServer!.address() as AddressInfo).port;
  httpServer!.on('upgrade', ws.handleUpgrade);
  if (httpsServer && opts.https) {
    const server = httpsServer;
    ports.https = await listenOn(server, opts.https.port, opts.bind, 'rest_https_port').catch(async (err: unknown) => {
      await closeAll(app, ws, undefined);
      throw err;
    });
    server.on('upgrade', ws.handleUpgrade);
  }
  const result: RestServers = { app, httpPort: ports.http, close: () => closeAll(app, ws, httpsServer) };
  if (ports.https !== undefined) result.httpsPort = ports.https;
  return result;
}

async function closeAll(app: FastifyInstance, ws: WsEndpoint, httpsServer: HttpsServer | undefined): Promise<void> {
  await ws.close();
  const cut = setTimeout(() => {
    app.server.closeAllConnections();
    httpsServer?.closeAllConnections();
  }, CLOSE_GRACE_MS);
  app.server.closeIdleConnections();
  httpsServer?.closeIdleConnections();
  const httpsClosed = httpsServer?.listening ? new Promise<void>((resolve) => httpsServer.close(() => resolve())) : Promise.resolve();
  await Promise.all([app.close(), httpsClosed]);
  clearTimeout(cut);
}
