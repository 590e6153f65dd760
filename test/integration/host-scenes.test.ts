// Scenes on a real host (docs/PROTOCOL.md "Scenes"): the routes are in /rest-api/openapi.json; scenes put
// over HTTP survive a restart of the host; activation with no studio is a 409 with the sentence; a studio is
// a real WebSocket client of /ws that attaches and answers scene-applied, and the REST call answers 200 once
// it has; the studio's own switch is recorded; other event subscribers hear every change; a foreign Origin is
// refused on both HTTP and /ws.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { silentLog } from '../../src-relay/log.js';
import { createHost, type Host } from '../../src-main/host.js';
import { removeDir, PLAIN_HOST } from '../helpers/servers.js';
import { call } from '../helpers/http-client.js';
import { waitFor } from '../helpers/wait.js';

const OVERRIDES = PLAIN_HOST;
const PNG = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'images', 'red.png'));
type Message = Record<string, any>;

/** A /ws client keeping every message it receives. */
async function open(host: Host, origin?: string): Promise<{ ws: WebSocket; messages: Message[] }> {
  const messages: Message[] = [];
  const ws = new WebSocket(`${host.httpUrl.replace(/^http/, 'ws')}/ws`, { handshakeTimeout: 10_000, ...(origin ? { origin } : {}) });
  ws.on('message', (data) => messages.push(JSON.parse(data.toString())));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake answered ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return { ws, messages };
}

const json = (body: unknown, extra: Record<string, string> = {}) => ({ headers: { 'content-type': 'application/json', ...extra }, body: JSON.stringify(body) });

describe('scenes on the host', { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'castbridge-scenes-host-'));
  const hosts: Host[] = [];
  const sockets: WebSocket[] = [];
  const start = async () => {
    const host = await createHost({ dataDir, log: silentLog, overrides: OVERRIDES });
    hosts.push(host);
    return host;
  };
  after(async () => {
    for (const ws of sockets) ws.terminate();
    for (const h of hosts) await h.close().catch(() => undefined);
    removeDir(dataDir);
  });

  test('scenes put over HTTP are there after a restart, the routes are documented, bad ones are refused', async () => {
    const host = await start();
    const base = host.httpUrl;
    const seeded = (await call(`${base}/api/scenes`)).json();
    assert.equal(seeded.active, 'Camera');
    assert.equal(seeded.scenes.length, 5);

    const doc = (await call(`${base}/rest-api/openapi.json`)).json();
    assert.ok(doc.paths['/api/scenes']?.get);
    assert.ok(doc.paths['/api/scenes/{name}']?.put && doc.paths['/api/scenes/{name}']?.delete);
    assert.ok(doc.paths['/api/scenes/{name}/activate']?.post);
    assert.ok(doc.paths['/api/media/{name}']?.get && doc.paths['/api/media/{name}']?.put);
    assert.equal(doc.paths['/api/scenes/{name}'].put.requestBody.content['application/json'].schema.properties.layers.maxItems, 32);

    const upload = await call(`${base}/api/media/logo.png`, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: PNG });
    assert.equal(upload.status, 200, upload.text);
    const served = await call(`${base}/api/media/logo.png`);
    assert.equal(served.headers['content-type'], 'image/png');
    const logo = { name: 'Logo corner', layers: [{ kind: 'camera', x: 0, y: 0, width: 1, height: 1 }, { kind: 'image', x: 0.75, y: 0.05, width: 0.2, height: 0.2, file: 'logo.png', opacity: 0.9 }] };
    const put = await call(`${base}/api/scenes/${encodeURIComponent(logo.name)}`, { method: 'PUT', ...json(logo) });
    assert.equal(put.status, 200, put.text);
    const bad = await call(`${base}/api/scenes/Bad`, { method: 'PUT', ...json({ name: 'Bad', layers: [{ kind: 'camera', x: 0.5, y: 0, width: 0.6, height: 1 }] }) });
    assert.equal(bad.status, 400);
    assert.equal(bad.json().field, 'layers[0].width');
    const foreign = await call(`${base}/api/scenes/Evil`, { method: 'PUT', ...json({ name: 'Evil', layers: [] }, { origin: 'https://evil.example' }) });
    assert.equal(foreign.status, 403);

    await host.close();
    const again = await start();
    const after = (await call(`${again.httpUrl}/api/scenes`)).json();
    assert.deepEqual(after.scenes.find((s: Message) => s.name === logo.name), logo);
    assert.ok(!after.scenes.some((s: Message) => s.name === 'Bad' || s.name === 'Evil'));
  });

  test('activate: 409 with no studio, 404 unknown, 200 once a /ws studio applies it; the studio switching is recorded and heard', async () => {
    const host = hosts.at(-1)!;
    const base = host.httpUrl;
    const none = await call(`${base}/api/scenes/Screen%20only/activate`, { method: 'POST' });
    assert.equal(none.status, 409);
    assert.equal(none.json().error, `No studio is open to show the scene: open the studio (${base}/) and try again.`);
    assert.equal((await call(`${base}/api/scenes/Nope/activate`, { method: 'POST' })).status, 404);

    await assert.rejects(open(host, 'https://evil.example'), /handshake answered 403/);

    const listener = await open(host);
    sockets.push(listener.ws);
    listener.ws.send(JSON.stringify({ type: 'subscribe-events' }));
    await waitFor('the scenes event on subscribing', () => listener.messages.some((m) => m.type === 'scenes'), 10_000);

    const studio = await open(host);
    sockets.push(studio.ws);
    studio.ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (m.type === 'scene-activate') studio.ws.send(JSON.stringify({ type: 'scene-applied', id: m.id, name: m.scene.name }));
    });
    studio.ws.send(JSON.stringify({ type: 'scenes-attach' }));
    await waitFor('the list on attaching', () => studio.messages.some((m) => m.type === 'scenes'), 10_000);

    const activated = await call(`${base}/api/scenes/Logo%20corner/activate`, { method: 'POST' });
    assert.equal(activated.status, 200, activated.text);
    assert.deepEqual(activated.json(), { active: 'Logo corner' });
    const sent = studio.messages.find((m) => m.type === 'scene-activate');
    assert.equal(sent?.scene.layers[1].file, 'logo.png');
    assert.equal((await call(`${base}/api/scenes`)).json().active, 'Logo corner');
    await waitFor('the subscriber to hear it', () => listener.messages.some((m) => m.type === 'scenes' && m.active === 'Logo corner'), 10_000);

    studio.ws.send(JSON.stringify({ type: 'scene-active', name: 'Be right back' }));
    await waitFor('the studio switch to be recorded', async () => (await call(`${base}/api/scenes`)).json().active === 'Be right back', 10_000);
    await waitFor('and heard', () => listener.messages.some((m) => m.type === 'scenes' && m.active === 'Be right back'), 10_000);
    studio.ws.send(JSON.stringify({ type: 'scene-active', name: 'Nope' }));
    await waitFor('an unknown scene refused', () => studio.messages.some((m) => m.type === 'error' && /no scene named "Nope"/.test(m.error)), 10_000);

    studio.ws.close();
    await waitFor('the studio to be forgotten', async () => (await call(`${base}/api/scenes/Camera/activate`, { method: 'POST' })).status === 409, 10_000);
  });
});
