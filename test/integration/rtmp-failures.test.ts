// What a streamer sees when a target misbehaves: every failure of the RTMP publisher is a typed RtmpError
// within the timeout (the transponder decides from `retryable` whether to reconnect), and a real
// node-media-server receives a stream that ffprobe can read.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { mediaTag } from '../../src-relay/flv/tags.js';
import { asAmf0Record, decodeAmf0 } from '../../src-relay/rtmp/amf0.js';
import { RtmpError } from '../../src-relay/rtmp/errors.js';
import { HANDSHAKE_SIZE, makeS0S1S2 } from '../../src-relay/rtmp/handshake.js';
import { RtmpPublisher } from '../../src-relay/rtmp/publisher.js';
import { resolveRtmpTarget } from '../../src-relay/rtmp/url.js';
import { startRtmpTestServer, type RtmpTestServer } from '../helpers/rtmp-auth-server.js';

const URL_OPTS = { prefix: 'rtmp_', fullUrl: false };

/** A raw TCP server that does `onSocket` with each connection. */
async function rawServer(onSocket: (s: Socket) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    onSocket(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `rtmp://127.0.0.1:${port}/live`,
    close: () =>
      new Promise((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}

/** Starts a publisher and returns the error start() rejected with (fails the test if it resolved). */
async function startError(url: string, timeoutMs = 3000, streamName = 'cam'): Promise<{ error: RtmpError; elapsed: number }> {
  const publisher = new RtmpPublisher(resolveRtmpTarget(url, streamName, URL_OPTS), { timeoutMs });
  const began = Date.now();
  try {
    await publisher.start();
  } catch (error) {
    assert.ok(error instanceof RtmpError, `expected an RtmpError, got ${String(error)}`);
    return { error, elapsed: Date.now() - began };
  } finally {
    publisher.destroy();
  }
  assert.fail('start() resolved against a failing server');
}

describe('RTMP publisher against failing servers', () => {
  test('a server that closes at once is CLOSED, retryable', async () => {
    const server = await rawServer((s) => s.end());
    try {
      const { error } = await startError(server.url);
      assert.equal(error.code, 'CLOSED');
      assert.equal(error.retryable, true);
    } finally {
      await server.close();
    }
  });

  test('a server answering garbage is PROTOCOL, naming the version byte', async () => {
    const server = await rawServer((s) => s.write('HTTP/1.1 400 Bad Request\r\n\r\n'));
    try {
      const { error } = await startError(server.url);
      assert.equal(error.code, 'PROTOCOL');
      assert.match(error.message, /version 72/);
      assert.equal(error.retryable, true);
    } finally {
      await server.close();
    }
  });

  test('a server that accepts and never answers is TIMEOUT within the timeout', async () => {
    const server = await rawServer(() => {});
    try {
      const { error, elapsed } = await startError(server.url, 1500);
      assert.equal(error.code, 'TIMEOUT');
      assert.equal(error.retryable, true);
      assert.ok(elapsed >= 1400 && elapsed < 5000, `took ${elapsed} ms`);
    } finally {
      await server.close();
    }
  });

  test('a server trickling one byte at a time is TIMEOUT: the deadline covers the whole start', async () => {
    const server = await rawServer((s) => {
      s.write(Buffer.from([3]));
      const timer = setInterval(() => s.write(Buffer.from([0])), 200);
      s.on('close', () => clearInterval(timer));
    });
    try {
      const { error, elapsed } = await startError(server.url, 1500);
      assert.equal(error.code, 'TIMEOUT');
      assert.ok(elapsed < 5000, `took ${elapsed} ms`);
    } finally {
      await server.close();
    }
  });

  test('garbage chunks after a good handshake are PROTOCOL, naming what was wrong', async () => {
    const server = await rawServer((s) => {
      let got = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (got.length >= 1 + HANDSHAKE_SIZE && got.length - d.length < 1 + HANDSHAKE_SIZE) {
          // S0+S1+S2, then a fmt 1 chunk on a chunk stream that never had a fmt 0 header
          s.write(Buffer.concat([makeS0S1S2(got.subarray(1, 1 + HANDSHAKE_SIZE)), Buffer.from([0x45, 0, 0, 0, 0, 0, 1, 20, 0])]));
        }
      });
    });
    try {
      const { error } = await startError(server.url);
      assert.equal(error.code, 'PROTOCOL');
      assert.match(error.message, /fmt 1 on chunk stream 5, which never had a fmt 0 header/);
    } finally {
      await server.close();
    }
  });

  test('a refused TCP connection is NETWORK, retryable', async () => {
    const server = await rawServer(() => {});
    const url = server.url;
    await server.close();
    const { error } = await startError(url);
    assert.equal(error.code, 'NETWORK');
    assert.equal(error.retryable, true);
  });

  test('a host name that does not resolve is DNS, retryable (RFC 6761 reserves .invalid)', async () => {
    const { error } = await startError('rtmp://castbridge-test.invalid/live', 8000);
    assert.equal(error.code, 'DNS');
    assert.equal(error.retryable, true);
    assert.match(error.message, /castbridge-test\.invalid:1935/);
  });

  test('connect answered with _error is CONNECT_REJECTED, not retryable', async () => {
    const server = await startRtmpTestServer({ rejectConnect: { level: 'error', code: 'NetConnection.Connect.Rejected', description: 'Server is full' } });
    try {
      const { error } = await startError(`${server.baseUrl}/live`);
      assert.equal(error.code, 'CONNECT_REJECTED');
      assert.equal(error.retryable, false);
      assert.match(error.message, /Server is full/);
    } finally {
      await server.close();
    }
  });

  test('connect to an unknown application is BAD_APPLICATION, not retryable', async () => {
    const server = await startRtmpTestServer({ rejectConnect: { level: 'error', code: 'NetConnection.Connect.InvalidApp', description: 'No such app' } });
    try {
      const { error } = await startError(`${server.baseUrl}/nope`);
      assert.equal(error.code, 'BAD_APPLICATION');
      assert.equal(error.retryable, false);
    } finally {
      await server.close();
    }
  });

  test('BadName on publish is BAD_NAME, and the echoed key is masked in the message', async () => {
    const key = 'abcd-efgh-ijkl-mnop';
    const server = await startRtmpTestServer({ publishStatus: { level: 'error', code: 'NetStream.Publish.BadName', description: `Stream ${key} is invalid` } });
    try {
      const publisher = new RtmpPublisher(resolveRtmpTarget(`${server.baseUrl}/live2`, key, { prefix: '', fullUrl: false }), { timeoutMs: 3000 });
      const error = await publisher.start().then(
        () => assert.fail('publish succeeded'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof RtmpError);
      assert.equal(error.code, 'BAD_NAME');
      assert.equal(error.retryable, false);
      assert.ok(!error.message.includes(key), `key leaked: ${error.message}`);
    } finally {
      await server.close();
    }
  });

  test('a target that stops reading: inter frames are dropped, memory stays bounded, then BLACK_HOLE', async () => {
    const server = await startRtmpTestServer({ stopReadingAfterPublish: true });
    const publisher = new RtmpPublisher(resolveRtmpTarget(`${server.baseUrl}/live`, 'cam', URL_OPTS), {
      timeoutMs: 5000,
      maxQueueMs: 700,
      blackHoleMs: 2500,
    });
    let congestionEvents = 0;
    publisher.on('congestion', () => congestionEvents++);
    const closed = new Promise<RtmpError | undefined>((resolve) => publisher.once('close', resolve));
    let timer: NodeJS.Timeout | undefined;
    try {
      await publisher.start();
      const heapBefore = process.memoryUsage().heapUsed;
      let frame = 0;
      const keyframe = Buffer.alloc(150_000, 0x17);
      const inter = Buffer.alloc(15_000, 0x27);
      // ~10x real time: 25 fps timestamps written every 4 ms, a keyframe each second of stream time
      timer = setInterval(() => {
        const ts = frame * 40;
        const isKey = frame % 25 === 0;
        publisher.writeTag({ kind: 'video', time: ts, body: isKey ? keyframe : inter, keyframe: isKey, sequenceHeader: false });
        publisher.writeTag({ kind: 'audio', time: ts, body: Buffer.from([0xaf, 0x01, 0x21, 0x00]), sequenceHeader: false });
        frame++;
      }, 4);
      let late: NodeJS.Timeout | undefined;
      const error = await Promise.race([closed, new Promise<'late'>((r) => (late = setTimeout(() => r('late'), 30_000)))]);
      clearTimeout(late);
      assert.notEqual(error, 'late', 'no BLACK_HOLE within 30 s');
      assert.ok(error instanceof RtmpError);
      assert.equal(error.code, 'BLACK_HOLE');
      assert.ok(publisher.droppedFrames > 0, 'no frame was dropped');
      assert.ok(congestionEvents > 0, 'no congestion event');
      const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
      assert.ok(heapGrowth < 200 * 1024 * 1024, `heap grew ${heapGrowth} bytes`);
    } finally {
      clearInterval(timer);
      publisher.destroy();
      await server.close();
    }
  });
});

// ------------------------------------------------------------------------------- node-media-server interop

interface FlvTag {
  type: number;
  timestamp: number;
  body: Buffer;
}

/** Just enough FLV (FLV spec v10.1 §E.2–E.4) to replay an ffmpeg-made file: header, then tags. */
function readFlvTags(file: Buffer): FlvTag[] {
  const tags: FlvTag[] = [];
  let pos = file.readUInt32BE(5) + 4; // header length, then PreviousTagSize0
  while (pos + 11 <= file.length) {
    const size = file.readUIntBE(pos + 1, 3);
    const timestamp = file.readUIntBE(pos + 4, 3) | (file[pos + 7] << 24);
    if (pos + 11 + size > file.length) break;
    tags.push({ type: file[pos], timestamp, body: file.subarray(pos + 11, pos + 11 + size) });
    pos += 11 + size + 4;
  }
  return tags;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** node-media-server's own constructor and run(), in a child process so its timers (a 30 s grace after each
 * publish) and its process.exit on a taken port cannot hold or kill the test process. */
const NMS_CHILD = `
const NodeMediaServer = require(process.argv[1]);
const nms = new NodeMediaServer(JSON.parse(process.argv[2]));
require(process.argv[1] + '/src/core/logger.js').level = 'error';
nms.run();
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`node-media-server did not listen on ${port} within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('RTMP publisher against node-media-server', () => {
  let dir: string;
  let nms: ChildProcess | undefined;
  let rtmpPort: number;
  let httpPort: number;
  let tags: FlvTag[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'castbridge-rtmp-nms-'));
    const flv = join(dir, 'in.flv');
    execFileSync('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', '4', '-c:v', 'libx264', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', '-f', 'flv', flv,
    ]);
    tags = readFlvTags(readFileSync(flv));
    rtmpPort = await freePort();
    httpPort = await freePort();
    const nmsRoot = dirname(createRequire(import.meta.url).resolve('node-media-server/package.json'));
    const config = { bind: '127.0.0.1', rtmp: { port: rtmpPort }, http: { port: httpPort }, store: { path: join(dir, 'store') }, webadmin: { enable: false } };
    nms = spawn(process.execPath, ['-e', NMS_CHILD, nmsRoot, JSON.stringify(config)], { stdio: ['pipe', 'ignore', 'inherit'], cwd: dir });
    await waitForPort(rtmpPort, 15_000);
    await waitForPort(httpPort, 15_000);
  });

  after(async () => {
    if (nms && nms.exitCode === null) {
      const exited = new Promise((resolve) => nms!.once('exit', resolve));
      nms.stdin?.end();
      const kill = setTimeout(() => nms!.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(kill);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('a few seconds published with RtmpPublisher show up in ffprobe as H.264 + AAC 160x120', async () => {
    const target = resolveRtmpTarget(`rtmp://127.0.0.1:${rtmpPort}/live`, 'cam', URL_OPTS);
    const publisher = new RtmpPublisher(target, { timeoutMs: 10_000 });
    await publisher.start();
    let probe: Promise<string> | undefined;
    try {
      const began = Date.now();
      for (const tag of tags) {
        const wait = tag.timestamp - (Date.now() - began);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (tag.type === 18) {
          const [, meta] = decodeAmf0(tag.body);
          publisher.writeMetadata(asAmf0Record(meta) ?? {});
        } else {
          const media = mediaTag(tag.type, tag.timestamp, tag.body);
          if (media) publisher.writeTag(media);
        }
        if (!probe && tag.timestamp >= 500) {
          probe = new Promise((resolve, reject) =>
            execFile(
              'ffprobe',
              ['-v', 'error', '-rw_timeout', '8000000', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', `http://127.0.0.1:${httpPort}/live/${target.streamName}.flv`],
              { timeout: 15_000 },
              (err, stdout, stderr) => (err ? reject(new Error(`ffprobe: ${err.message} ${stderr}`)) : resolve(stdout)),
            ),
          );
        }
      }
      const streams = (JSON.parse(await probe!) as { streams: { codec_name: string; width?: number; height?: number }[] }).streams;
      const video = streams.find((s) => s.codec_name === 'h264');
      assert.ok(video, `no h264 stream in ${JSON.stringify(streams)}`);
      assert.equal(video.width, 160);
      assert.equal(video.height, 120);
      assert.ok(streams.some((s) => s.codec_name === 'aac'), `no aac stream in ${JSON.stringify(streams)}`);
      assert.ok(publisher.bytesSent > 10_000);
      assert.equal(publisher.droppedFrames, 0);
    } finally {
      await probe?.catch(() => {});
      await publisher.stop();
    }
  });
});
