// The embedded RTMP server (docs/DESIGN.md §2, §9): a port in use is a clear message, not process.exit; the
// HTTP-FLV preview answers CORS to the studio's origin only and loopback Host names only (DNS rebinding);
// malformed AMF from a client does not take the host down; and a real publisher (ffmpeg) can be previewed.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogFields } from '../../src-relay/log.js';
import { createHost, type Host } from '../../src-main/host.js';
import { removeDir } from '../helpers/servers.js';
import { call } from '../helpers/http-client.js';

const RTMP_HANDSHAKE_SIZE = 1536;
const RTMP_VERSION = 3;
const AMF0_COMMAND = 20;

/** C0+C1, wait for S0+S1+S2, C2: then the socket speaks chunks. */
async function handshake(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(Buffer.concat([Buffer.from([RTMP_VERSION]), Buffer.alloc(RTMP_HANDSHAKE_SIZE)]));
  let got = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no S0+S1+S2')), 10_000);
    socket.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= 1 + 2 * RTMP_HANDSHAKE_SIZE) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  socket.write(Buffer.alloc(RTMP_HANDSHAKE_SIZE));
  return socket;
}

/**
 * One type-0 chunk on chunk stream 3 carrying an AMF0 command message:
 *  +--------+--------------+--------------+------+-----------+----------
 *  | fmt|csid| timestamp(3) | msg length(3)| type | stream(4) | payload…
 *  +--------+--------------+--------------+------+-----------+----------
 */
function commandChunk(payload: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x03;
  header.writeUIntBE(0, 1, 3);
  header.writeUIntBE(payload.length, 4, 3);
  header[7] = AMF0_COMMAND;
  header.writeUInt32LE(0, 8);
  return Buffer.concat([header, payload]);
}

const MALFORMED_AMF = [
  Buffer.from([0x02, 0xff, 0xff, 0x63, 0x6f]), // string claiming 65535 bytes, 2 present
  Buffer.from([0x02, 0x00, 0x07, ...Buffer.from('connect'), 0x00, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x03, 0x00, 0x03, 0x61, 0x70]), // object without end
  Buffer.from([0x02, 0x00, 0x07, ...Buffer.from('connect'), 0x00, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x08, 0xff, 0xff, 0xff, 0xff]), // ECMA array, huge count
  Buffer.from([0x0a, 0x7f, 0xff, 0xff, 0xff]), // strict array, huge count
  Buffer.from([0x11, 0x22, 0x33]), // unknown markers
];

const FLV_HEADER_SIZE = 9;
const FLV_PREV_TAG_SIZE = 4;
const FLV_TAG_HEADER_SIZE = 11;
const FLV_TAG_VIDEO = 9;
/** First byte of an AVC keyframe video tag: frame type 1 (key) << 4 | codec id 7 (AVC). */
const FLV_AVC_KEYFRAME = 0x17;
const PREVIEW_BYTES = 64 * 1024;

/** Reads the first bytes of an HTTP-FLV preview (or nothing when the stream is not there yet). */
function readPreview(url: string): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const req = httpGet(url, { timeout: 4000 }, (res) => {
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        size += c.length;
        if (size >= PREVIEW_BYTES) req.destroy();
      });
    });
    const done = () => resolve(Buffer.concat(chunks));
    req.on('timeout', () => req.destroy());
    req.on('close', done);
    req.on('error', () => {});
  });
}

/** The status and headers of a live HTTP-FLV response (its body never ends: the request is dropped after). */
function previewHeaders(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { headers, timeout: 10_000 }, (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
      req.destroy();
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 10 s`)));
    req.on('error', (err) => reject(err));
  });
}

/** True when the FLV bytes hold an AVC keyframe video tag (FLV spec: header, then tag + previous size). */
function hasAvcKeyframe(flv: Buffer): boolean {
  if (flv.length < FLV_HEADER_SIZE || flv.toString('latin1', 0, 3) !== 'FLV') return false;
  let at = FLV_HEADER_SIZE + FLV_PREV_TAG_SIZE;
  while (at + FLV_TAG_HEADER_SIZE < flv.length) {
    const type = flv[at]! & 0x1f;
    const size = flv.readUIntBE(at + 1, 3);
    if (type === FLV_TAG_VIDEO && flv[at + FLV_TAG_HEADER_SIZE] === FLV_AVC_KEYFRAME) return true;
    at += FLV_TAG_HEADER_SIZE + size + FLV_PREV_TAG_SIZE;
  }
  return false;
}

describe('embedded RTMP server', { timeout: 180_000 }, () => {
  const dirs: string[] = [];
  const hosts: Host[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'castbridge-local-rtmp-'));
    dirs.push(d);
    return d;
  };
  after(async () => {
    for (const h of hosts) await h.close();
    for (const d of dirs) removeDir(d);
  });

  test('a local_rtmp_port in use is reported clearly and the host still starts', async () => {
    const blocker: Server = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    const logged: Array<[string, LogFields | undefined]> = [];
    try {
      const host = await createHost({
        dataDir: tempDir(),
        log: (event, fields) => logged.push([event, fields]),
        overrides: { rest_http_port: '0', rest_https_enabled: 'false', local_rtmp_port: String(port), local_rtmp_http_port: '0', ws_port: '0', wss_port: '0' },
      });
      hosts.push(host);
      assert.equal(host.localRtmp, undefined);
      const unavailable = logged.find(([e]) => e === 'local_rtmp.unavailable');
      assert.ok(unavailable, 'logged');
      assert.match(String(unavailable[1]?.error), new RegExp(`127\\.0\\.0\\.1:${port} \\(local_rtmp_port\\) is already in use`));
      const info = await call(`${host.httpUrl}/api/info`);
      assert.equal(info.json().localRtmpUrl, null);
      await host.close();
      hosts.pop();
    } finally {
      blocker.close();
    }
  });

  test('a rest_http_port in use fails createHost with a sentence naming the setting', async () => {
    const blocker: Server = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    try {
      await assert.rejects(
        createHost({ dataDir: tempDir(), log: () => {}, overrides: { rest_http_port: String(port), local_rtmp_enabled: 'false', ws_port: '0', wss_port: '0' } }),
        new RegExp(`127\\.0\\.0\\.1:${port} \\(rest_http_port\\) is already in use`),
      );
      await assert.rejects(
        createHost({ dataDir: tempDir(), log: () => {}, overrides: { rest_http_port: '0', rest_bind_address: '0.0.0.0', local_rtmp_enabled: 'false', ws_port: '0', wss_port: '0' } }),
        /without a token/,
      );
    } finally {
      blocker.close();
    }
  });

  test('preview CORS for the studio only, malformed AMF survived, ffmpeg publish previewed over HTTP-FLV', async () => {
    const events: string[] = [];
    const host = await createHost({
      dataDir: tempDir(),
      log: (event) => events.push(event),
      overrides: { rest_http_port: '0', rest_https_enabled: 'false', local_rtmp_port: '0', local_rtmp_http_port: '0', ws_port: '0', wss_port: '0' },
    });
    hosts.push(host);
    const local = host.localRtmp!;
    assert.ok(local, 'started');
    const studioOrigin = new URL(host.httpUrl).origin;
    const preview = `${local.previewBaseUrl}/none.flv`;
    const foreign = await call(preview, { headers: { origin: 'http://evil.example' } });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers['access-control-allow-origin'], undefined);
    // DNS rebinding: a page on a name that resolves to 127.0.0.1 is same-origin there and sends no Origin.
    for (const hostHeader of ['attacker.example', `attacker.example:${local.httpPort}`, `127.0.0.1:${local.httpPort + 1}`]) {
      const rebound = await call(preview, { headers: { host: hostHeader } });
      assert.equal(rebound.status, 403, hostHeader);
      assert.equal(rebound.text, 'foreign host');
    }

    for (const payload of MALFORMED_AMF) {
      const socket = await handshake(local.rtmpPort);
      socket.on('error', () => {});
      socket.write(commandChunk(payload));
      await new Promise((r) => setTimeout(r, 300));
      socket.destroy();
    }
    assert.equal((await call(`${host.httpUrl}/api/info`)).status, 200, 'the host still serves');
    // node-media-server 4.4.3 throws on some of these (out-of-bounds reads): the guard turned each throw into
    // one closed connection instead of a dead process.
    assert.ok(events.includes('local_rtmp.session_error'), `the guard caught a throw: ${events.join(',')}`);

    const ffmpeg = spawn('/usr/bin/ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-t', '20',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '15', '-f', 'flv', `${local.rtmpUrl}/probe`,
    ], { stdio: 'ignore' });
    try {
      let flv: Buffer = Buffer.alloc(0);
      for (let attempt = 0; attempt < 10 && !hasAvcKeyframe(flv); attempt++) {
        await new Promise((r) => setTimeout(r, 1000));
        flv = await readPreview(`${local.previewBaseUrl}/probe.flv`);
      }
      assert.ok(hasAvcKeyframe(flv), `the preview carries H.264 keyframes (${flv.length} bytes read)`);
      const ours = await previewHeaders(`${local.previewBaseUrl}/probe.flv`, { origin: studioOrigin });
      assert.equal(ours.status, 200);
      assert.equal(ours.headers['access-control-allow-origin'], studioOrigin, 'the studio reads the preview');
      const loopbackName = await previewHeaders(`http://localhost:${local.httpPort}/live/probe.flv`, {});
      assert.equal(loopbackName.status, 200, 'localhost is a loopback name');
    } finally {
      ffmpeg.kill('SIGKILL');
    }
  });
});
