// The /ws endpoint (src-main/rest/ws.ts) on fakes over a real loopback socket: a fault of ours while
// handling a message is logged (not only echoed to the client), and the event hub lets go of every stream
// it follows once the stream ends or the endpoint closes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import type { Log } from '../../../src-relay/log.js';
import { createWsEndpoint, type WsEndpoint } from '../../../src-main/rest/ws.js';
import { fakeWorld, nullSource, type FakeWorld } from './fakes.js';

type Message = Record<string, unknown>;

/** Opens a session; `next(type)` resolves with the next message of that type. */
async function openSession(url: string): Promise<{ ws: WebSocket; next(type: string): Promise<Message> }> {
  const ws = new WebSocket(url, { handshakeTimeout: 10_000 });
  const messages: Message[] = [];
  const waiters: Array<{ type: string; resolve: (m: Message) => void }> = [];
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as Message;
    const waiter = waiters.findIndex((w) => w.type === message.type);
    if (waiter >= 0) waiters.splice(waiter, 1)[0]!.resolve(message);
    else messages.push(message);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = (type: string) =>
    new Promise<Message>((resolve, reject) => {
      const queued = messages.findIndex((m) => m.type === type);
      if (queued >= 0) return resolve(messages.splice(queued, 1)[0]!);
      const timer = setTimeout(() => reject(new Error(`no "${type}" message within 10 s`)), 10_000);
      waiters.push({ type, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  return { ws, next };
}

describe('/ws endpoint', () => {
  const logged: Array<{ event: string; fields: Record<string, unknown> | undefined }> = [];
  const log: Log = (event, fields) => void logged.push({ event, fields });
  let world: FakeWorld;
  let endpoint: WsEndpoint;
  let server: Server;
  let url: string;

  before(async () => {
    world = fakeWorld();
    world.deps.log = log;
    world.deps.ingest = {
      publish: async () => {
        throw new TypeError('cannot read properties of undefined (a bug of ours)');
      },
      unpublish: () => false,
    };
    endpoint = createWsEndpoint(world.deps);
    server = createServer((_req, res) => res.writeHead(404).end());
    server.on('upgrade', endpoint.handleUpgrade);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    world.deps.security.ports = () => ({ http: port });
    url = `ws://127.0.0.1:${port}/ws`;
  });
  after(async () => {
    await endpoint?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    world?.cleanup();
  });

  test('a fault of ours while publishing is logged and answered without internals', async () => {
    const { ws, next } = await openSession(url);
    try {
      await next('hello');
      ws.send(JSON.stringify({ type: 'publish', id: 'r1', streamName: 'cam1', sdp: 'v=0\r\n' }));
      const error = await next('error');
      assert.deepEqual([error.id, error.error], ['r1', 'internal error (see the host log)']);
      const entry = logged.find((l) => l.event === 'ws.internal_error');
      assert.ok(entry, `logged: ${logged.map((l) => l.event).join(', ')}`);
      assert.equal(entry.fields?.type, 'publish');
      assert.match(String(entry.fields?.error), /a bug of ours/);
    } finally {
      ws.terminate();
    }
  });

  test('the event hub stops following a stream once it ends, and every stream when it closes', async () => {
    const { ws, next } = await openSession(url);
    try {
      await next('hello');
      ws.send(JSON.stringify({ type: 'subscribe-events' }));
      await next('streams');
      const ended = world.registry.publish('gone', nullSource);
      const live = world.registry.publish('live', nullSource);
      assert.equal(ended.listenerCount('params'), 1);
      ended.end('STOPPED_BY_PUBLISHER_STOP');
      assert.equal(ended.listenerCount('params'), 0, 'released when the stream ended');
      assert.equal(live.listenerCount('params'), 1);
      await endpoint.close();
      assert.equal(live.listenerCount('params'), 0, 'released when the endpoint closed');
    } finally {
      ws.terminate();
    }
  });
});
