// A tiny HTTP(S) client for the host tests: sends exactly the bytes and headers given (fetch would add an
// Origin or refuse the self-signed certificate), trusting the host's own certificate for HTTPS.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): any;
}

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** PEM to trust for https:// URLs. */
  ca?: string;
  timeoutMs?: number;
}

export function call(url: string, opts: CallOptions = {}): Promise<Reply> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      { method: opts.method ?? 'GET', headers: opts.headers ?? {}, ca: opts.ca, timeout: opts.timeoutMs ?? 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${opts.method ?? 'GET'} ${url} timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** POST a JSON value (or raw text) to /rest-api/push/<method>. */
export function push(base: string, method: string, body: unknown, ca?: string, headers: Record<string, string> = {}): Promise<Reply> {
  return call(`${base}/rest-api/push/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ca,
  });
}
