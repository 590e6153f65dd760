// A web page on an origin of its own (another port of 127.0.0.1), as WCS pages usually are served apart from
// the server they talk to: tests put the official Flashphoner scripts and a small HTML page on it, so every
// call to the host is cross-origin and goes through its Origin checks and CORS.
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

export interface PageServer {
  /** "http://127.0.0.1:<port>", the Origin the pages send. */
  origin: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8' };

/** Serves `files` (URL path → content) with a content type from the extension; anything else is 404. */
export async function startPageServer(files: Record<string, string | Buffer>): Promise<PageServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const body = files[path];
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    const ext = path.slice(path.lastIndexOf('.') + 1);
    res.writeHead(200, { 'content-type': TYPES[ext] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
