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
import { startRtmpTestServer } from '../helpers/rtmp-auth-server.js';
import { removeDir, startNginxRtmp, PLAIN_HOST, type NginxRtmp } from '../helpers/servers.js';
import { call } from '../helpers/http-client.js';
import { waitFor } from '../helpers/wait.js';

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

/**
 * In the page: publishes the fake camera over a new `/ws` session as `streamName` with `rtmpUrl`, until the
 * stream is PUBLISHING. The socket stays open in `window.__ws[streamName]` and every message it receives is
 * kept in `window.__wsMessages[streamName]`. Returns the `type:status` seen so far.
 */
function publishOverWs(page: Page, streamName: string, rtmpUrl: string): Promise<string[]> {
  return page.evaluate(
    async ({ streamName, rtmpUrl }) => {
      const seen: string[] = [];
      const w = window as unknown as { __ws?: Record<string, WebSocket>; __wsMessages?: Record<string, Record<string, unknown>[]> };
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
      const messages: Record<string, unknown>[] = [];
      (w.__ws ??= {})[streamName] = ws;
      (w.__wsMessages ??= {})[streamName] = messages;
      await new Promise((r) => ws.addEventListener('open', r, { once: true }));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no PUBLISHING; saw ${seen.join(',')}`)), 30_000);
        ws.addEventListener('message', async (event) => {
          const m = JSON.parse(event.data as string);
          messages.push(m);
          seen.push(m.status ? `${m.type}:${m.status}` : m.type);
          if (m.type === 'answer') await pc.setRemoteDescription({ type: 'answer', sdp: m.sdp });
          if (m.type === 'error') reject(new Error(m.error));
          if (m.type === 'stream' && m.status === 'PUBLISHING') {
            clearTimeout(timer);
            resolve();
          }
        });
        ws.send(JSON.stringify({ type: 'publish', id: 'r1', streamName, sdp: pc.localDescription!.sdp, rtmpUrl }));
      });
      return seen;
    },
    { streamName, rtmpUrl },
  );
}

/** The messages the page's `/ws` session for `streamName` received so far. */
function wsMessages(page: Page, streamName: string): Promise<Message[]> {
  return page.evaluate((name) => (window as unknown as { __wsMessages: Record<string, Message[]> }).__wsMessages[name] ?? [], streamName);
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
    const overrides = PLAIN_HOST;
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
    await waitFor('hello', () => ok.messages.find((m) => m.type === 'hello'), 5000);
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
    await waitFor('the first streams event', () => subscriber.messages.find((m) => m.type === 'streams'), 5000);

    browser = await launchChromium({ fps: 15 });
    page = await browser.newPage();
    await page.goto(`${host.httpUrl}/rest-api/openapi.json`);
    const before = nginx.publishes.length;
    const statuses = await publishOverWs(page, 'wscam', nginx.url('live'));
    assert.deepEqual(statuses.slice(0, 4), ['hello', 'answer', 'stream:PENDING', 'stream:PUBLISHING']);
    const published = await nginx.waitForPublish(before + 1, 30_000);
    assert.equal(published.name, 'rtmp_wscam');
    await waitFor('a transponder event', () => subscriber.messages.find((m) => m.type === 'transponder' && m.transponder.sourceStreamName === 'wscam'), 10_000);
    await waitFor('a stats event', () => subscriber.messages.find((m) => m.type === 'stats'), 10_000);
    await waitFor('a streams event', () => subscriber.messages.find((m) => m.type === 'streams' && m.streams.some((s: Message) => s.streamName === 'wscam')), 10_000);

    await page.evaluate(() => (window as unknown as { __ws: Record<string, WebSocket> }).__ws['wscam']!.close());
    await waitFor('the stream ends with its session', () => !host.registry.get('wscam'), 15_000);
    await waitFor('transponder-removed', () => subscriber.messages.find((m) => m.type === 'transponder-removed'), 15_000);
    assert.equal(host.transponders.find({ streamName: 'wscam' }).length, 0);
    subscriber.ws!.close();
  });

  test('a target that refuses the publish later (BadName) reaches the session as FAILED_BY_RTMP_WRITER_ERROR with a redacted reason', async () => {
    const key = 'sk_live_9f8e7d6c5b4a';
    const refusing = await startRtmpTestServer({ publishStatus: { level: 'error', code: 'NetStream.Publish.BadName', description: `Stream ${key} is invalid` } });
    try {
      await publishOverWs(page, 'wsbad', `${refusing.baseUrl}/live/${key}`);
      const failed = await waitFor(
        'a FAILED stream message',
        async () => (await wsMessages(page, 'wsbad')).find((m) => m.type === 'stream' && m.status === 'FAILED'),
        30_000,
      );
      assert.equal(failed.streamName, 'wsbad');
      assert.equal(failed.info, 'FAILED_BY_RTMP_WRITER_ERROR');
      assert.equal(typeof failed.reason, 'string');
      assert.match(failed.reason, /BAD_NAME|refused/);
      assert.ok(!failed.reason.includes(key), `the reason hides the stream key: ${failed.reason}`);
      assert.ok(refusing.connects.length >= 1, 'the transponder reached the target');
      assert.ok(host.registry.get('wsbad'), 'the stream itself keeps publishing');
    } finally {
      await page.evaluate(() => (window as unknown as { __ws: Record<string, WebSocket> }).__ws['wsbad']?.close()).catch(() => undefined);
      await refusing.close();
    }
    await waitFor('the stream ends with its session', () => !host.registry.get('wsbad'), 15_000);
  });

  test('a REST terminate of the session\'s transponder reaches it as STOPPED_BY_REST_TERMINATE', async () => {
    const before = nginx.publishes.length;
    await publishOverWs(page, 'wsterm', nginx.url('live'));
    await nginx.waitForPublish(before + 1, 30_000);
    const [transponder] = host.transponders.find({ streamName: 'wsterm' });
    assert.ok(transponder);
    const res = await call(`${host.httpUrl}/rest-api/push/terminate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mediaSessionId: transponder.mediaSessionId }),
    });
    assert.equal(res.status, 200);
    const stopped = await waitFor(
      'a STOPPED stream message',
      async () => (await wsMessages(page, 'wsterm')).find((m) => m.type === 'stream' && m.status === 'STOPPED'),
      15_000,
    );
    assert.deepEqual(stopped, { type: 'stream', streamName: 'wsterm', status: 'STOPPED', info: 'STOPPED_BY_REST_TERMINATE' });
    const messages = await wsMessages(page, 'wsterm');
    assert.ok(!messages.some((m) => m.status === 'FAILED'), 'a terminate is no failure');
    await page.evaluate(() => (window as unknown as { __ws: Record<string, WebSocket> }).__ws['wsterm']!.close());
    await waitFor('the stream ends with its session', () => !host.registry.get('wsterm'), 15_000);
  });
});
