// `/ws` (docs/PROTOCOL.md) on a real host: the handshake passes the same Host/Origin/token gate as HTTP
// (foreign and `null` origins refused), a session publishes from Chromium with an rtmpUrl (the transponder
// reaches nginx-rtmp), events flow to a subscriber, and the stream dies with its session.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { Browser, Page } from 'playwright-core';
import { silentLog } from '../../src-relay/log.js';
import { createHost, type Host } from '../../src-main/host.js';
import { launchChromium } from '../helpers/chromium.js';
import { removeDir, startNginxRtmp, type NginxRtmp } from '../helpers/servers.js';
import { call, waitUntil } from '../unit/rest/http-client.js';

type Message = Record<string, any>;

/** Opens a WebSocket; resolves with the handshake outcome (HTTP status on refusal). */
function connect(url: string, headers: Record<string, string> = {}, origin?: string): Promise<{ ws?: WebSocket; status?: number; messages: Message[] }> {
  const messages: Message[] = [];
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers, ...(origin !== undefined ? { origin } : {}), handshakeTimeout: 10_000 });
    ws.on('message', (data) => messages.push(JSON.parse(data.toString())));
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode, messages });
      res.resume();
    });
    ws.once('error', () => resolve({ status: -1, messages }));
  });
}

function wsUrl(host: Host): string {
  return `${host.httpUrl.replace(/^http/, 'ws')}/ws`;
}

describe('/ws session and events WebSocket', { timeout: 240_000 }, () => {
  let dataDir: string;
  let tokenDir: string;
  let host: Host;
  let tokenHost: Host;
  let nginx: NginxRtmp;
  let browser: Browser;
  let page: Page;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'castbridge-ws-'));
    tokenDir = mkdtempSync(join(tmpdir(), 'castbridge-ws-token-'));
    const overrides = { rest_http_port: '0', rest_https_enabled: 'false', local_rtmp_enabled: 'false' };
    host = await createHost({ dataDir, log: silentLog, overrides });
    tokenHost = await createHost({ dataDir: tokenDir, log: silentLog, overrides: { ...overrides, rest_auth_token: 'tok-123456' } });
    nginx = await startNginxRtmp();
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await host?.close();
    await tokenHost?.close();
    await nginx?.stop();
    for (const d of [dataDir, tokenDir]) if (d) removeDir(d);
  });

  test('handshakes from a foreign or null Origin, or for a foreign Host, are refused; our own origin gets hello', async () => {
    const own = new URL(host.httpUrl).origin;
    assert.equal((await connect(wsUrl(host), {}, 'http://evil.example')).status, 403);
    assert.equal((await connect(wsUrl(host), {}, 'null')).status, 403);
    assert.equal((await connect(wsUrl(host), { host: `rebind.example:${new URL(host.httpUrl).port}` })).status, 403);
    const ok = await connect(wsUrl(host), {}, own);
    assert.ok(ok.ws, 'connected');
    await waitUntil(() => ok.messages.find((m) => m.type === 'hello'), 5000, 'hello');
    assert.match(ok.messages[0]!.sessionId, /\w{8}/);
    ok.ws!.close();
  });

  test('with rest_auth_token, a handshake without the token gets 401; with it, hello', async () => {
    assert.equal((await connect(wsUrl(tokenHost))).status, 401);
    assert.equal((await connect(wsUrl(tokenHost), { authorization: 'Bearer nope' })).status, 401);
    const byHeader = await connect(wsUrl(tokenHost), { authorization: 'Bearer tok-123456' });
    assert.ok(byHeader.ws);
    byHeader.ws!.close();
    const byQuery = await connect(`${wsUrl(tokenHost)}?access_token=tok-123456`);
    assert.ok(byQuery.ws);
    byQuery.ws!.close();
    const api = await call(`${tokenHost.httpUrl}/rest-api/push/find_all`, { method: 'POST' });
    assert.equal(api.status, 401);
  });

  test('HTTP with a rebinding Host or a foreign Origin is refused over a real socket, without CORS headers', async () => {
    const port = new URL(host.httpUrl).port;
    const rebind = await call(`${host.httpUrl}/api/info`, { headers: { host: `attacker.example:${port}` } });
    assert.equal(rebind.status, 403);
    const foreign = await call(`${host.httpUrl}/rest-api/push/find_all`, { method: 'POST', headers: { origin: 'https://evil.example' } });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers['access-control-allow-origin'], undefined);
  });

  test('a session publishes with an rtmpUrl, events reach a subscriber, and the stream ends with the session', async () => {
    const subscriber = await connect(wsUrl(host), {}, new URL(host.httpUrl).origin);
    assert.ok(subscriber.ws);
    subscriber.ws!.send(JSON.stringify({ type: 'subscribe-events' }));
    await waitUntil(() => subscriber.messages.find((m) => m.type === 'streams'), 5000, 'the first streams event');

    browser = await launchChromium({ fps: 15 });
    page = await browser.newPage();
    await page.goto(`${host.httpUrl}/rest-api/openapi.json`);
    const before = nginx.publishes.length;
    const statuses = await page.evaluate(
      async ({ rtmpUrl }) => {
        const seen: string[] = [];
        const media = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: true });
        const pc = new RTCPeerConnection({ iceServers: [] });
        for (const track of media.getTracks()) {
          const tr = pc.addTransceiver(track, { direction: 'sendonly', streams: [media] });
          if (track.kind === 'video') tr.setCodecPreferences(RTCRtpReceiver.getCapabilities('video')!.codecs.filter((c) => /h264/i.test(c.mimeType)));
        }
        await pc.setLocalDescription(await pc.createOffer());
        await new Promise<void>((resolve) => {
          if (pc.iceGatheringState === 'complete') return resolve();
          pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
          setTimeout(resolve, 5000);
        });
        const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/ws`);
        (window as unknown as { __ws: WebSocket }).__ws = ws;
        await new Promise((r) => ws.addEventListener('open', r, { once: true }));
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no PUBLISHING; saw ${seen.join(',')}`)), 30_000);
          ws.addEventListener('message', async (event) => {
            const m = JSON.parse(event.data as string);
            seen.push(m.status ? `${m.type}:${m.status}` : m.type);
            if (m.type === 'answer') await pc.setRemoteDescription({ type: 'answer', sdp: m.sdp });
            if (m.type === 'error') reject(new Error(m.error));
            if (m.type === 'stream' && m.status === 'PUBLISHING') {
              clearTimeout(timer);
              resolve();
            }
          });
          ws.send(JSON.stringify({ type: 'publish', id: 'r1', streamName: 'wscam', sdp: pc.localDescription!.sdp, rtmpUrl }));
        });
        return seen;
      },
      { rtmpUrl: nginx.url('live') },
    );
    assert.deepEqual(statuses.slice(0, 4), ['hello', 'answer', 'stream:PENDING', 'stream:PUBLISHING']);
    const published = await nginx.waitForPublish(before + 1, 30_000);
    assert.equal(published.name, 'rtmp_wscam');
    await waitUntil(() => subscriber.messages.find((m) => m.type === 'transponder' && m.transponder.sourceStreamName === 'wscam'), 10_000, 'a transponder event');
    await waitUntil(() => subscriber.messages.find((m) => m.type === 'stats'), 10_000, 'a stats event');
    await waitUntil(() => subscriber.messages.find((m) => m.type === 'streams' && m.streams.some((s: Message) => s.streamName === 'wscam')), 10_000, 'a streams event');

    await page.evaluate(() => (window as unknown as { __ws: WebSocket }).__ws.close());
    await waitUntil(() => !host.registry.get('wscam'), 15_000, 'the stream ends with its session');
    await waitUntil(() => subscriber.messages.find((m) => m.type === 'transponder-removed'), 15_000, 'transponder-removed');
    assert.equal(host.transponders.find({ streamName: 'wscam' }).length, 0);
    subscriber.ws!.close();
  });
});
