// A web page on an origin of its own (another port of 127.0.0.1), as WCS pages usually are served apart from
// the server they talk to: tests put the official Flashphoner files (a package folder as it is) and small
// pages of their own on it, so every call to the host is cross-origin and goes through its Origin checks and
// CORS.
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

export interface PageServer {
  /** "http://127.0.0.1:<port>", the Origin the pages send. */
  origin: string;
  close(): Promise<void>;
}

export interface PageServerContent {
  /** URL path → content, served first. */
  files?: Record<string, string | Buffer>;
  /** A folder served as it is below "/" (no path leaves it). */
  root?: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css',
  '.mp4': 'video/mp4',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
};

function typeOf(path: string): string {
  return TYPES[extname(path)] ?? 'application/octet-stream';
}

/** A file of `root` for a URL path, or undefined when there is none (or the path leaves the folder). */
function fileUnder(root: string, path: string): string | undefined {
  const file = normalize(join(root, path));
  if (!file.startsWith(root + sep)) return undefined;
  try {
    return statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

export async function startPageServer(content: PageServerContent): Promise<PageServer> {
  const server: Server = createServer((req, res) => {
    let path: string;
    try {
      path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    } catch {
      return void res.writeHead(400).end();
    }
    const body = content.files?.[path];
    if (body !== undefined) return void res.writeHead(200, { 'content-type': typeOf(path), 'cache-control': 'no-store' }).end(body);
    const file = content.root === undefined ? undefined : fileUnder(content.root, path);
    if (file === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': typeOf(file) });
    createReadStream(file).pipe(res);
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
