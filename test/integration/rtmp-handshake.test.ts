// The handshake our publisher sends (the digest form, as ffmpeg) against the servers people run, and the
// fallback to the simple form when a server closes the connection on it. What each server answered is read
// from the publisher's `rtmp.handshake` log event.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogFields } from '../../src-relay/log.js';
import { RtmpError } from '../../src-relay/rtmp/errors.js';
import { HANDSHAKE_SIZE } from '../../src-relay/rtmp/handshake.js';
import { RtmpPublisher } from '../../src-relay/rtmp/publisher.js';
import { resolveRtmpTarget } from '../../src-relay/rtmp/url.js';
import { startRtmpTestServer, type RtmpTestServer } from '../helpers/rtmp-auth-server.js';
import { startFfmpegListener, startNodeMediaServer, type NodeMediaServerHandle } from '../helpers/servers.js';

const URL_OPTS = { prefix: '', fullUrl: true };

interface Logged {
  event: string;
  fields: LogFields;
}

/** Publishes (connect … Publish.Start), stops; returns what the publisher logged. */
async function publishOnce(url: string): Promise<Logged[]> {
  const logs: Logged[] = [];
  const publisher = new RtmpPublisher(resolveRtmpTarget(url, undefined, URL_OPTS), { log: (event, fields = {}) => logs.push({ event, fields }), timeoutMs: 8000 });
  try {
    await publisher.start();
  } finally {
    await publisher.stop();
  }
  return logs;
}

function handshakeOutcome(logs: Logged[]): { form: unknown; serverDigest: unknown; serverSignedC1: unknown } {
  const h = logs.find((l) => l.event === 'rtmp.handshake');
  assert.ok(h, `no rtmp.handshake logged: ${logs.map((l) => l.event).join(', ')}`);
  return { form: h.fields.form, serverDigest: h.fields.serverDigest, serverSignedC1: h.fields.serverSignedC1 };
}

/**
 * A TCP front of `backendPort` that closes every connection whose C1 announces a version (the digest form)
 * when `refuse` says so, and otherwise passes the bytes through. Counts connections and what it refused.
 */
async function refusingFront(backendPort: number, refuse: (c1Version: number) => boolean): Promise<{ url: string; connections: number; refused: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const state = { connections: 0, refused: 0 };
  const server: Server = createServer((client) => {
    state.connections += 1;
    sockets.add(client);
    client.on('error', () => {});
    client.on('close', () => sockets.delete(client));
    let head = Buffer.alloc(0);
    const onData = (data: Buffer): void => {
      head = Buffer.concat([head, data]);
      if (head.length < 1 + HANDSHAKE_SIZE) return;
      client.off('data', onData);
      if (refuse(head.readUInt32BE(5))) {
        state.refused += 1;
        client.destroy();
        return;
      }
      const backend = connect(backendPort, '127.0.0.1', () => {
        backend.write(head);
        client.pipe(backend).pipe(client);
      });
      sockets.add(backend);
      backend.on('error', () => client.destroy());
      backend.on('close', () => client.destroy());
    };
    client.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `rtmp://127.0.0.1:${port}/live`,
    get connections() {
      return state.connections;
    },
    get refused() {
      return state.refused;
    },
    close: () =>
      new Promise((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}

describe('the RTMP handshake against real servers', { timeout: 120_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'castbridge-handshake-'));
  let nms: NodeMediaServerHandle;
  let plain: RtmpTestServer;

  before(async () => {
    [nms, plain] = await Promise.all([startNodeMediaServer(), startRtmpTestServer()]);
  });
  after(async () => {
    await nms?.stop();
    await plain?.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('node-media-server answers our digest C1 with a signed S1 and an S2 signed from our digest', async () => {
    const logs = await publishOnce(`${nms.url('live')}/hs_nms`);
    assert.deepEqual(handshakeOutcome(logs), { form: 'digest', serverDigest: true, serverSignedC1: true });
  });

  test('`ffmpeg -listen 1` answers in the simple form (S1 version 0): S1 is echoed and publishing starts', async () => {
    const listener = await startFfmpegListener({ app: 'live', name: 'hs_ffmpeg', outFile: join(work, 'ffmpeg.flv') });
    try {
      const logs = await publishOnce(listener.url);
      assert.deepEqual(handshakeOutcome(logs), { form: 'digest', serverDigest: false, serverSignedC1: false });
    } finally {
      await listener.stop();
    }
  });

  test('a server that closes the connection on the digest C1 gets the simple one on a second connection', async () => {
    const front = await refusingFront(plain.port, (version) => version !== 0);
    try {
      const logs = await publishOnce(`${front.url}/hs_fallback`);
      assert.equal(front.refused, 1);
      assert.equal(front.connections, 2);
      assert.ok(logs.some((l) => l.event === 'rtmp.handshake_refused' && l.fields.next === 'simple'));
      assert.deepEqual(handshakeOutcome(logs), { form: 'simple', serverDigest: false, serverSignedC1: false });
      assert.equal(plain.publishes.at(-1)?.streamName, 'hs_fallback');
    } finally {
      await front.close();
    }
  });

  test('a server that closes on both forms is CLOSED (retryable) after exactly two connections', async () => {
    const front = await refusingFront(plain.port, () => true);
    try {
      await assert.rejects(publishOnce(`${front.url}/hs_refused`), (e: unknown) => e instanceof RtmpError && e.code === 'CLOSED' && e.retryable);
      assert.equal(front.connections, 2);
    } finally {
      await front.close();
    }
  });
});
