// A `ws` WebSocketServer (noServer) made at the first upgrade: importing `ws` costs ~0.1 CPU s, paid at the
// host's start though no studio or WCS page may connect for a while. Until then upgrades wait for the import
// (the client sends nothing before the 101 answer).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ServerOptions, WebSocket, WebSocketServer } from 'ws';

export class LazyWebSocketServer {
  private server: WebSocketServer | undefined;
  private loading: Promise<WebSocketServer> | undefined;
  private closed = false;

  constructor(private readonly options: ServerOptions) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, onConnection: (ws: WebSocket) => void): void {
    if (this.server) return this.server.handleUpgrade(req, socket, head, onConnection);
    this.loading ??= import('ws').then(({ WebSocketServer: Server }) => (this.server = new Server(this.options)));
    this.loading.then(
      (server) => {
        if (this.closed || socket.destroyed) socket.destroy();
        else server.handleUpgrade(req, socket, head, onConnection);
      },
      () => socket.destroy(),
    );
  }

  /** Terminates every client and closes the server (if it was ever made). */
  async close(): Promise<void> {
    this.closed = true;
    const server = this.server ?? (await this.loading?.catch(() => undefined));
    if (!server) return;
    for (const client of server.clients) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
