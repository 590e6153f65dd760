// allowed_origins on a real host (docs/DESIGN.md §7): a page origin listed there gets through REST CORS, `/ws`
// and the WCS WebSocket (ws:// and wss://) alike; an unlisted origin and `Origin: null` stay refused on all
// three; with rest_auth_token the WCS WebSocket wants `?access_token=` like `/ws`.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { silentLog } from '../../src-relay/log.js';
import { createHost, type Host } from '../../src-main/host.js';
import { freePort, removeDir } from '../helpers/servers.js';
import { call } from '../helpers/http-client.js';
import { waitFor } from '../helpers/wait.js';

const LISTED = 'http://pages.example:8000';
const ALSO_LISTED = 'https://studio.example';
const UNLISTED = 'http://pages.example:8001';

/** The handshake's outcome: the open socket and what it received, or the HTTP status of the refusal. */
function handshake(url: string, origin?: string, extra: WebSocket.ClientOptions = {}): Promise<{ ws?: WebSocket; status?: number; frames: any[] }> {
  const frames: any[] = [];
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { handshakeTimeout: 10_000, ...(origin !== undefined ? { origin } : {}), ...extra });
    ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
    ws.once('open', () => resolve({ ws, frames }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode, frames });
      res.resume();
    });
    ws.once('error', () => resolve({ status: -1, frames }));
  });
}

async function wcsEstablished(url: string, origin?: string, extra: WebSocket.ClientOptions = {}): Promise<string> {
  const result = await handshake(url, origin, extra);
  if (!result.ws) return `refused ${result.status}`;
  result.ws.send(JSON.stringify({ message: 'connection', data: [{ appKey: 'defaultApp' }] }));
  await waitFor('getUserData', () => result.frames.find((f) => f.message === 'getUserData'), 5000);
  result.ws.close();
  return 'ESTABLISHED';
}

describe('allowed_origins', { timeout: 60_000 }, () => {
  const dirs: string[] = [];
  let host: Host;
  let tokenHost: Host;

  before(async () => {
    const base = { rest_http_port: '0', rest_https_enabled: 'false', local_rtmp_enabled: 'false' };
    for (let i = 0; i < 2; i++) dirs.push(mkdtempSync(join(tmpdir(), 'castbridge-origins-')));
    host = await createHost({
      dataDir: dirs[0]!,
      log: silentLog,
      overrides: { ...base, ws_port: String(await freePort()), wss_port: String(await freePort()), allowed_origins: `${LISTED}, ${ALSO_LISTED}` },
    });
    tokenHost = await createHost({
      dataDir: dirs[1]!,
      log: silentLog,
      overrides: { ...base, ws_port: String(await freePort()), wss_port: '0', rest_auth_token: 'tok-abcdef', allowed_origins: LISTED },
    });
  });

  after(async () => {
    await host?.close();
    await tokenHost?.close();
    for (const d of dirs) removeDir(d);
  });

  test('REST CORS: a listed origin gets its preflight and the answer with its own Allow-Origin; others are refused without one', async () => {
    const url = `${host.httpUrl}/rest-api/push/find_all`;
    for (const origin of [LISTED, ALSO_LISTED]) {
      const preflight = await call(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
      assert.ok(preflight.status < 300, `preflight ${preflight.status}`);
      assert.equal(preflight.headers['access-control-allow-origin'], origin);
      const answer = await call(url, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: '{}' });
      assert.equal(answer.status, 404, 'no transponder yet: WCS answers 404');
      assert.equal(answer.headers['access-control-allow-origin'], origin);
    }
    for (const origin of [UNLISTED, 'null', 'http://pages.example']) {
      const refused = await call(url, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: '{}' });
      assert.equal(refused.status, 403, origin);
      assert.equal(refused.headers['access-control-allow-origin'], undefined);
    }
  });

  test('/ws: a listed origin gets hello; an unlisted one and null get 403', async () => {
    const url = `${host.httpUrl.replace(/^http/, 'ws')}/ws`;
    const ok = await handshake(url, LISTED);
    assert.ok(ok.ws, `status ${ok.status}`);
    await waitFor('hello', () => ok.frames.find((f) => f.type === 'hello'), 5000);
    ok.ws!.close();
    assert.equal((await handshake(url, UNLISTED)).status, 403);
    assert.equal((await handshake(url, 'null')).status, 403);
  });

  test('WCS WebSocket, ws:// and wss://: a listed origin, the studio\'s own and a page-less client get a session; others 403', async () => {
    assert.ok(host.wcsUrl && host.wcsTlsUrl);
    const tls = { rejectUnauthorized: false };
    assert.equal(await wcsEstablished(host.wcsUrl!, LISTED), 'ESTABLISHED');
    assert.equal(await wcsEstablished(host.wcsTlsUrl!, ALSO_LISTED, tls), 'ESTABLISHED');
    assert.equal(await wcsEstablished(host.wcsUrl!, new URL(host.httpUrl).origin), 'ESTABLISHED');
    assert.equal(await wcsEstablished(host.wcsUrl!), 'ESTABLISHED');
    assert.equal(await wcsEstablished(host.wcsUrl!, UNLISTED), 'refused 403');
    assert.equal(await wcsEstablished(host.wcsTlsUrl!, 'null', tls), 'refused 403');
    const port = new URL(host.wcsUrl!).port;
    assert.equal(await wcsEstablished(host.wcsUrl!, undefined, { headers: { host: `rebind.example:${port}` } }), 'refused 403');
  });

  test('with rest_auth_token the WCS WebSocket needs ?access_token= (or the bearer header)', async () => {
    const url = tokenHost.wcsUrl!;
    assert.equal(await wcsEstablished(url, LISTED), 'refused 401');
    assert.equal(await wcsEstablished(`${url}/?access_token=wrong`, LISTED), 'refused 401');
    assert.equal(await wcsEstablished(`${url}/?access_token=tok-abcdef`, LISTED), 'ESTABLISHED');
    assert.equal(await wcsEstablished(url, undefined, { headers: { authorization: 'Bearer tok-abcdef' } }), 'ESTABLISHED');
    assert.equal(await wcsEstablished(`${url}/?access_token=tok-abcdef`, UNLISTED), 'refused 403');
  });

  test('a WCS port in use leaves that listener off with a reason naming the setting; the host starts', async () => {
    const taken = new URL(host.wcsUrl!).port;
    const dir = mkdtempSync(join(tmpdir(), 'castbridge-origins-'));
    dirs.push(dir);
    const second = await createHost({ dataDir: dir, log: silentLog, overrides: { rest_http_port: '0', rest_https_enabled: 'false', local_rtmp_enabled: 'false', ws_port: taken, wss_port: '0' } });
    try {
      assert.equal(second.wcsUrl, undefined);
      assert.equal(second.wcsUnavailable.length, 1);
      assert.match(second.wcsUnavailable[0]!, /ws_port.*already in use.*change ws_port/);
      assert.equal((await fetch(`${second.httpUrl}/rest-api/openapi.json`)).status, 200, 'the REST server runs');
    } finally {
      await second.close();
    }
  });
});
