// A WCS session (src-main/wcs/wcs-session.ts, server.ts) on fakes over a real loopback socket: the frames the
// Web SDK waits for, in its order; bad frames answered and survived; streams ended with the session.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { TransponderJSON } from '../../../src-relay/transponder/service.js';
import { startWcsServers, type WcsServers } from '../../../src-main/wcs/server.js';
import { freePort } from '../../helpers/servers.js';
import { waitFor } from '../../helpers/wait.js';
import { fakeWorld, type FakeWorld } from '../rest/fakes.js';

type Frame = { message: string; data: any[] };
const OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\n';

interface Client {
  ws: WebSocket;
  frames: Frame[];
  send(message: string, data?: unknown): void;
  /** The next frame named `message` not taken yet, waiting for it. */
  next(message: string, match?: (f: Frame) => boolean): Promise<Frame>;
}

async function connect(url: string, options: WebSocket.ClientOptions = {}): Promise<Client> {
  const ws = new WebSocket(url, { handshakeTimeout: 5000, ...options });
  const frames: Frame[] = [];
  const taken = new Set<Frame>();
  ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as Frame));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    frames,
    send: (message, data = null) => ws.send(JSON.stringify({ message, data: [data] })),
    next: async (message, match = () => true) => {
      const frame = await waitFor(`a ${message} frame`, () => frames.find((f) => !taken.has(f) && f.message === message && match(f)), 5000);
      taken.add(frame);
      return frame;
    },
  };
}

async function established(url: string): Promise<Client> {
  const client = await connect(url);
  client.send('connection', { appKey: 'defaultApp', mediaProviders: ['WebRTC'], clientVersion: '2.0', custom: { page: 'p' } });
  await client.next('getUserData');
  return client;
}

describe('WCS session', () => {
  let world: FakeWorld;
  let servers: WcsServers;
  let url: string;

  before(async () => {
    world = fakeWorld();
    servers = await startWcsServers(world.deps, { bind: '127.0.0.1', wsPort: await freePort(), wssPort: 0 });
    url = `ws://127.0.0.1:${servers.wsPort}`;
  });

  after(async () => {
    await servers?.close();
    world?.cleanup();
  });

  test('connection is answered by getUserData with the echoed configuration and a session id as authToken', async () => {
    const client = await connect(url);
    client.send('connection', { appKey: 'defaultApp', mediaProviders: ['WebRTC'], clientVersion: '2.0', custom: { page: 'p' }, clientBrowserVersion: 'UA' });
    const user = (await client.next('getUserData')).data[0];
    assert.equal(user.appKey, 'defaultApp');
    assert.deepEqual(user.custom, { page: 'p' });
    assert.match(user.authToken, /^[0-9a-f-]{36}$/);
    assert.equal(user.sessionId, user.authToken);
    client.send('ping');
    assert.deepEqual(await client.next('pong'), { message: 'pong', data: [] });
    client.ws.close();
  });

  test('publishStream: setRemoteSDP with the answer, PUBLISHING on media, the republish started, UNPUBLISHED on unPublishStream', async () => {
    const client = await established(url);
    client.send('publishStream', { mediaSessionId: 'm1', name: 'cam1', sdp: OFFER, rtmpUrl: 'rtmp://127.0.0.1/live', record: false });
    const sdp = await client.next('setRemoteSDP');
    assert.equal(sdp.data[0], 'm1');
    assert.match(sdp.data[1], /^v=0/);
    world.registry.get('cam1')!.emit('pcm', {} as never);
    const publishing = (await client.next('notifyStreamStatusEvent')).data[0];
    assert.deepEqual([publishing.mediaSessionId, publishing.name, publishing.status], ['m1', 'cam1', 'PUBLISHING']);
    assert.deepEqual(world.transponders.find({ streamName: 'cam1' }).map((t) => t.rtmpUrl), ['rtmp://127.0.0.1/live']);
    client.send('unPublishStream', { mediaSessionId: 'm1', name: 'cam1' });
    const unpublished = (await client.next('notifyStreamStatusEvent')).data[0];
    assert.deepEqual([unpublished.status, unpublished.info], ['UNPUBLISHED', 'Stopped by publisher stop']);
    assert.equal(world.registry.get('cam1'), undefined);
    for (const t of world.transponders.list()) await world.transponders.terminate(t.mediaSessionId);
    client.ws.close();
  });

  test('a republish its target refuses later is FAILED "Failed by RTMP writer error", and the stream ends', async () => {
    const client = await established(url);
    client.send('publishStream', { mediaSessionId: 'm2', name: 'cam2', sdp: OFFER, rtmpUrl: 'rtmp://127.0.0.1/live' });
    await client.next('setRemoteSDP');
    world.registry.get('cam2')!.emit('pcm', {} as never);
    await client.next('notifyStreamStatusEvent', (f) => f.data[0].status === 'PUBLISHING');
    const [t] = world.transponders.find({ streamName: 'cam2' }) as [TransponderJSON];
    world.transponders.emit('changed', { ...t, status: 'FAILED', info: 'BAD_NAME: refused' });
    const failed = (await client.next('notifyStreamStatusEvent', (f) => f.data[0].status === 'FAILED')).data[0];
    assert.deepEqual([failed.mediaSessionId, failed.info], ['m2', 'Failed by RTMP writer error']);
    await waitFor('the stream ends with its failed republish', () => !world.registry.get('cam2'), 2000);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(client.frames.filter((f) => f.message === 'notifyStreamStatusEvent' && f.data[0].mediaSessionId === 'm2').length, 2, 'nothing after FAILED');
    await world.transponders.terminate(t.mediaSessionId);
    client.ws.close();
  });

  test('a REST terminate of the republish is STOPPED "Stopped by rest /terminate", and the stream ends', async () => {
    const client = await established(url);
    client.send('publishStream', { mediaSessionId: 'm4', name: 'cam4', sdp: OFFER, rtmpUrl: 'rtmp://127.0.0.1/live' });
    await client.next('setRemoteSDP');
    world.registry.get('cam4')!.emit('pcm', {} as never);
    await client.next('notifyStreamStatusEvent', (f) => f.data[0].status === 'PUBLISHING');
    const [t] = world.transponders.find({ streamName: 'cam4' }) as [TransponderJSON];
    world.transponders.byId.delete(t.mediaSessionId);
    world.transponders.emit('removed', { ...t, status: 'STOPPED', info: 'STOPPED_BY_REST_TERMINATE' });
    const stopped = (await client.next('notifyStreamStatusEvent', (f) => f.data[0].status === 'STOPPED')).data[0];
    assert.deepEqual([stopped.mediaSessionId, stopped.info], ['m4', 'Stopped by rest /terminate']);
    await waitFor('the stream ends with its terminated republish', () => !world.registry.get('cam4'), 2000);
    client.ws.close();
  });

  test('a bad rtmpUrl is FAILED "Failed by RTMP writer error" before anything is published', async () => {
    const client = await established(url);
    client.send('publishStream', { mediaSessionId: 'm3', name: 'cam3', sdp: OFFER, rtmpUrl: 'http://127.0.0.1/live' });
    const failed = (await client.next('notifyStreamStatusEvent')).data[0];
    assert.deepEqual([failed.status, failed.info], ['FAILED', 'Failed by RTMP writer error']);
    assert.equal(world.registry.get('cam3'), undefined);
    client.ws.close();
  });

  test('refusals the SDK shows: name in use, record, no session yet, unknown stream, an offer we cannot answer', async () => {
    const first = await established(url);
    first.send('publishStream', { mediaSessionId: 'a', name: 'taken', sdp: OFFER });
    await first.next('setRemoteSDP');
    const second = await established(url);
    const status = async (client: Client, id: string) => (await client.next('notifyStreamStatusEvent', (f) => f.data[0].mediaSessionId === id)).data[0];
    second.send('publishStream', { mediaSessionId: 'b', name: 'taken', sdp: OFFER });
    assert.deepEqual(await status(second, 'b').then((s) => [s.status, s.info]), ['FAILED', 'Stream name is already in use']);
    second.send('publishStream', { mediaSessionId: 'c', name: 'rec', sdp: OFFER, record: true });
    assert.match((await status(second, 'c')).info, /does not record/);
    second.send('publishStream', { mediaSessionId: 'd', name: 'audio-only', sdp: 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n' });
    assert.match((await status(second, 'd')).info, /^Failed by error: .*video/);
    second.send('unPublishStream', { mediaSessionId: 'nope', name: 'x' });
    assert.deepEqual(await status(second, 'nope').then((s) => [s.status, s.info]), ['FAILED', 'Stream not found']);
    const fresh = await connect(url);
    fresh.send('publishStream', { mediaSessionId: 'e', name: 'early', sdp: OFFER });
    assert.deepEqual(await status(fresh, 'e').then((s) => [s.status, s.info]), ['FAILED', 'Session not ready']);
    for (const c of [first, second, fresh]) c.ws.close();
    await waitFor('the stream ends with its session', () => !world.registry.get('taken'), 2000);
  });

  test('malformed and binary frames get a fail frame and the session goes on; an oversized frame closes only that socket', async () => {
    const client = await established(url);
    client.ws.send('{"message": "publishStream", ');
    assert.match((await client.next('fail')).data[0].info, /not JSON/);
    client.ws.send(Buffer.from([1, 2, 3]));
    assert.match((await client.next('fail')).data[0].info, /binary/);
    client.send('playStream', { mediaSessionId: 'p', name: 'cam' });
    assert.equal((await client.next('notifyStreamStatusEvent')).data[0].status, 'FAILED');
    client.send('ping');
    await client.next('pong');

    const big = await established(url);
    const closed = new Promise<number>((resolve) => big.ws.once('close', (code) => resolve(code)));
    big.ws.send(JSON.stringify({ message: 'pushLogs', data: ['x'.repeat(600 * 1024)] }));
    assert.equal(await closed, 1009, 'closed as too big');
    client.send('ping');
    await client.next('pong');
    client.ws.close();
  });

  test('closing the connection ends every stream it publishes', async () => {
    const client = await established(url);
    client.send('publishStream', { mediaSessionId: 'x1', name: 'gone1', sdp: OFFER });
    client.send('publishStream', { mediaSessionId: 'x2', name: 'gone2', sdp: OFFER });
    await client.next('setRemoteSDP');
    await client.next('setRemoteSDP');
    const reasons: string[] = [];
    for (const name of ['gone1', 'gone2']) world.registry.get(name)!.once('end', (reason) => reasons.push(reason));
    client.ws.terminate();
    await waitFor('both streams end', () => reasons.length === 2, 2000);
    assert.deepEqual(reasons, ['STOPPED_BY_SESSION_DISCONNECT', 'STOPPED_BY_SESSION_DISCONNECT']);
  });

  test('keep-alive: we ping, a client that answers stays, a silent one is dropped and its streams end', async () => {
    const quick = await startWcsServers(world.deps, { bind: '127.0.0.1', wsPort: await freePort(), wssPort: 0, keepAlive: { pingMs: 100, timeoutMs: 400 } });
    try {
      const quickUrl = `ws://127.0.0.1:${quick.wsPort}`;
      const alive = await established(quickUrl);
      alive.ws.on('message', (data) => JSON.parse(data.toString()).message === 'ping' && alive.send('pong'));
      const silent = await established(quickUrl);
      silent.send('publishStream', { mediaSessionId: 's1', name: 'silent', sdp: OFFER });
      await silent.next('setRemoteSDP');
      const dropped = new Promise<void>((resolve) => silent.ws.once('close', () => resolve()));
      await dropped;
      await waitFor('its stream ends', () => !world.registry.get('silent'), 2000);
      assert.ok(silent.frames.some((f) => f.message === 'ping'), 'it was pinged first');
      assert.equal(alive.ws.readyState, WebSocket.OPEN, 'the client answering pings stays');
      alive.ws.close();
    } finally {
      await quick.close();
    }
  });

  test('a plain HTTP request on the port says what the port is for', async () => {
    const res = await fetch(`http://127.0.0.1:${servers.wsPort}/`);
    assert.equal(res.status, 426);
    assert.match(((await res.json()) as { error: string }).error, /WCS WebSocket port/);
  });
});
