// The built studio (`/`) and SDK (`/sdk/`) from staticDir (dist/renderer, built by Vite). When the folder
// is missing, `/` says how to build it. Paths are resolved inside the folder only. Every response carries the
// studio's CSP as a header (csp.ts), so the policy holds in any browser, for the SDK page too.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { contentSecurityPolicy } from './csp.js';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const NOT_BUILT_PAGE = `<!doctype html><meta charset="utf-8"><title>Castbridge</title>
<h1>Castbridge host is running</h1>
<p>The studio is not built yet. Run <code>npm run build</code> and reload this page.</p>
<p>The WCS REST API is at <a href="/rest-api/openapi.json">/rest-api/openapi.json</a>; publish with WHIP at <code>/whip/&lt;streamName&gt;</code>.</p>`;

/** Security headers for pages we serve, beside the CSP. */
const PAGE_HEADERS = { 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' };

/** The SDK example's pages, whose "Server" field may name another Castbridge host. */
const SDK_PATH = /^\/+sdk(\/|$|\?)/;

function pageHeaders(previewOrigin: string | undefined, url: string): Record<string, string> {
  return { ...PAGE_HEADERS, 'content-security-policy': contentSecurityPolicy(previewOrigin, SDK_PATH.test(url)) };
}

/** The file a URL path names inside root, or undefined when it would leave root. */
export function fileInside(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0]!);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const base = resolve(root);
  const full = resolve(base, `.${decoded.startsWith('/') ? decoded : `/${decoded}`}`);
  return full === base || full.startsWith(base + sep) ? full : undefined;
}

async function sendFile(reply: FastifyReply, path: string, headers: Record<string, string>): Promise<FastifyReply> {
  const type = MIME[extname(path).toLowerCase()] ?? 'application/octet-stream';
  return reply.headers(headers).type(type).send(await readFile(path));
}

/** `previewOrigin`: where the studio may fetch the HTTP-FLV preview from (the embedded RTMP server). */
export function registerStatic(app: FastifyInstance, staticDir: string, previewOrigin: () => string | undefined): void {
  app.get('/*', async (req, reply) => {
    const headers = pageHeaders(previewOrigin(), req.url);
    const built = existsSync(join(staticDir, 'index.html'));
    if (!built && (req.url === '/' || req.url.startsWith('/?'))) return reply.headers(headers).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
    let path = fileInside(staticDir, req.url);
    if (path === undefined) return reply.code(404).send({ error: 'not found' });
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory()) {
      // One leading slash: "//sdk" must not become a redirect to the host "sdk" (protocol-relative URL).
      const dir = req.url.split('?')[0]!.replace(/^\/+/, '/');
      if (!dir.endsWith('/')) return reply.redirect(`${dir}/`);
      path = join(path, 'index.html');
    }
    if (!(await stat(path).catch(() => undefined))?.isFile()) return reply.code(404).send({ error: `not found: ${req.url.slice(0, 200)}` });
    return sendFile(reply, path, headers);
  });
}
