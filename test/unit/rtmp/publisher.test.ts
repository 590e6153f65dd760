// RtmpPublisher's session behaviour against our test server on loopback: what a target receives, how the
// publisher answers the server, and how it ends.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { generate } from 'selfsigned';
import { EcmaArray } from '../../../src-relay/rtmp/amf0.js';
import { RtmpError } from '../../../src-relay/rtmp/errors.js';
import { RtmpPublisher } from '../../../src-relay/rtmp/publisher.js';
import type { Log, LogFields } from '../../../src-relay/log.js';
import { resolveRtmpTarget } from '../../../src-relay/rtmp/url.js';
import { startRtmpTestServer, type PublishRecord } from '../../helpers/rtmp-auth-server.js';
import { waitFor } from '../../helpers/wait.js';

const OPTS = { prefix: 'rtmp_', fullUrl: false };
const AVC_SEQUENCE_HEADER = Buffer.from([0x17, 0x00, 0, 0, 0, 0x01, 0x42, 0xc0, 0x1e, 0xff]);

/** How long the publisher tests wait for what a local server sees. */
const WAIT_MS = 3000;

describe('RtmpPublisher', () => {
  test('sends metadata as @setDataFrame onMetaData, media with extended timestamps, answers pings, and unpublishes on stop', async () => {
    const server = await startRtmpTestServer({ chunkSize: 128 });
    const publisher = new RtmpPublisher(resolveRtmpTarget(`${server.baseUrl}/live`, 'cam', OPTS));
    const closes: (RtmpError | undefined)[] = [];
    publisher.on('close', (e) => closes.push(e));
    try {
      const published = server.nextPublish();
      await publisher.start();
      const record: PublishRecord = await published;
      assert.equal(record.type, 'live');
      assert.ok(publisher.connected);
      assert.match(server.connects[0].flashVer, /^FMLE\/3\.0 \(compatible; Castbridge\//);
      publisher.writeMetadata({ width: 160, height: 120, videocodecid: 7 });
      publisher.writeTag({ kind: 'video', time: 0, body: AVC_SEQUENCE_HEADER, keyframe: true, sequenceHeader: true });
      const big = Buffer.alloc(20_000, 0x27);
      publisher.writeTag({ kind: 'video', time: 0x1000000, body: Buffer.concat([Buffer.from([0x17]), big]), keyframe: true, sequenceHeader: false }); // past 0xFFFFFF: extended
      publisher.writeTag({ kind: 'audio', time: 0x1000010, body: Buffer.from([0xaf, 0x01, 0x21]), sequenceHeader: false });
      await waitFor('media', () => record.media.length === 3, WAIT_MS);
      assert.deepEqual(record.metadata, ['@setDataFrame', 'onMetaData', new EcmaArray({ width: 160, height: 120, videocodecid: 7 })]);
      assert.deepEqual(record.media.map((m) => [m.typeId, m.timestamp, m.length]), [
        [9, 0, AVC_SEQUENCE_HEADER.length],
        [9, 0x1000000, 20_001],
        [8, 0x1000010, 3],
      ]);
      assert.equal(record.pongs, 1, 'Ping Request not answered');
      assert.ok(publisher.bytesSent > 20_000);
      const began = Date.now();
      await publisher.stop();
      assert.ok(Date.now() - began < 2500);
      await publisher.stop(); // idempotent
      await waitFor('unpublish', () => record.commands.includes('deleteStream'), WAIT_MS);
      assert.deepEqual(record.commands.slice(-2), ['FCUnpublish', 'deleteStream']);
      assert.deepEqual(closes, [undefined]);
      assert.ok(!publisher.connected);
    } finally {
      publisher.destroy();
      await server.close();
    }
  });

  test('acknowledges every Window Acknowledgement Size bytes received (§5.4.3)', async () => {
    const server = await startRtmpTestServer({ windowAckSize: 5000, fillerBytes: 12_000 });
    const publisher = new RtmpPublisher(resolveRtmpTarget(`${server.baseUrl}/live`, 'cam', OPTS));
    try {
      const published = server.nextPublish();
      await publisher.start();
      const record = await published;
      await waitFor('an acknowledgement of the filler', () => record.acks.some((n) => n >= 12_000), WAIT_MS);
      assert.ok(record.acks.every((n, i) => i === 0 || n - record.acks[i - 1] >= 5000), `acks ${record.acks.join(',')}`);
    } finally {
      await publisher.stop();
      await server.close();
    }
  });

  test('a malformed command or control message is logged and skipped, the session goes on', async () => {
    const server = await startRtmpTestServer({ junkBeforeConnectResult: true });
    const events: string[] = [];
    const publisher = new RtmpPublisher(resolveRtmpTarget(`${server.baseUrl}/live`, 'cam', OPTS), { log: (event) => events.push(event) });
    try {
      await publisher.start();
      assert.ok(publisher.connected);
      assert.equal(events.filter((e) => e === 'rtmp.bad_message').length, 2);
    } finally {
      await publisher.stop();
      await server.close();
    }
  });

  test('a server that drops the connection while publishing closes with CLOSED, retryable, once', async () => {
    const server = await startRtmpTestServer();
    const publisher = new RtmpPublisher(resolveRtmpTarget(`${server.baseUrl}/live`, 'cam', OPTS));
    const closes: (RtmpError | undefined)[] = [];
    publisher.on('close', (e) => closes.push(e));
    try {
      await publisher.start();
      await server.close();
      await waitFor('close event', () => closes.length > 0, WAIT_MS);
      publisher.destroy();
      assert.equal(closes.length, 1);
      assert.equal(closes[0]?.code, 'CLOSED');
      assert.equal(closes[0]?.retryable, true);
      publisher.writeTag({ kind: 'video', time: 0, body: Buffer.from([0x27, 1]), keyframe: false, sequenceHeader: false }); // after close: ignored, no throw
    } finally {
      publisher.destroy();
      await server.close();
    }
  });

  test('a server that only answers onFCPublish(NetStream.Publish.Start) is taken at its word', async () => {
    const server = await startRtmpTestServer({ silentPublish: true });
    const publisher = new RtmpPublisher(resolveRtmpTarget(`${server.baseUrl}/live`, 'cam', OPTS), { timeoutMs: 5000 });
    try {
      await publisher.start();
      assert.ok(publisher.connected);
      assert.equal(server.publishes.length, 1);
    } finally {
      await publisher.stop();
      await server.close();
    }
  });

  test('stop() against a target that stopped reading still returns within about 2 s', async () => {
    const server = await startRtmpTestServer({ stopReadingAfterPublish: true });
    const publisher = new RtmpPublisher(resolveRtmpTarget(`${server.baseUrl}/live`, 'cam', OPTS), { blackHoleMs: 60_000 });
    try {
      await publisher.start();
      await new Promise((r) => setTimeout(r, 50)); // the server pauses its socket
      const keyframe = Buffer.alloc(500_000, 0x17);
      for (let i = 0; publisher.queuedBytes < 4_000_000 && i < 400; i++) {
        publisher.writeTag({ kind: 'video', time: i * 40, body: keyframe, keyframe: true, sequenceHeader: false });
        await new Promise((r) => setImmediate(r));
      }
      assert.ok(publisher.queuedBytes >= 4_000_000, `only ${publisher.queuedBytes} bytes queued: the target kept reading`);
      const began = Date.now();
      await publisher.stop();
      const took = Date.now() - began;
      assert.ok(took < 3500, `stop() took ${took} ms`);
      assert.ok(!publisher.connected);
    } finally {
      publisher.destroy();
      await server.close();
    }
  });

  test('congestion drops inter frames until a real keyframe: a sequence header goes out but does not end the spell', async () => {
    const server = await startRtmpTestServer({ stopReadingAfterPublish: true });
    const spells: LogFields[] = [];
    const log: Log = (event, fields = {}) => void (event === 'rtmp.congestion' && spells.push(fields));
    const publisher = new RtmpPublisher(resolveRtmpTarget(`${server.baseUrl}/live`, 'cam', OPTS), { blackHoleMs: 60_000, log });
    const video = (time: number, body: Buffer, keyframe: boolean, sequenceHeader = false): void =>
      publisher.writeTag({ kind: 'video', time, body, keyframe, sequenceHeader });
    const inter = Buffer.from([0x27, 0x01, 0, 0, 0, 0x41]);
    try {
      await publisher.start();
      await new Promise((r) => setTimeout(r, 50)); // the server pauses its socket
      // Keyframes at time 0 fill the socket and then our queue: never dropped, and no queued duration yet.
      const big = Buffer.alloc(500_000, 0x17);
      for (let i = 0; publisher.queuedBytes < 4_000_000 && i < 400; i++) {
        video(0, big, true);
        await new Promise((r) => setImmediate(r));
      }
      assert.ok(publisher.queuedBytes >= 4_000_000, `only ${publisher.queuedBytes} bytes queued: the target kept reading`);
      for (let t = 40; t <= 720; t += 40) video(t, inter, false); // 720 ms queued: past the 700 ms limit
      assert.equal(publisher.droppedFrames, 18);
      video(760, AVC_SEQUENCE_HEADER, true, true);
      video(800, inter, false);
      assert.equal(publisher.droppedFrames, 19, 'the inter frame after the sequence header is dropped');
      assert.equal(spells.length, 1, 'still the first dropping spell');
      video(840, Buffer.from([0x17, 0x01, 0, 0, 0, 0x65]), true);
      video(880, inter, false);
      assert.equal(publisher.droppedFrames, 20);
      assert.equal(spells.length, 2, 'the keyframe ended the spell; the next drop starts a new one');
    } finally {
      publisher.destroy();
      await server.close();
    }
  });

  test('stop() while connecting rejects start() with CLOSED at once', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as AddressInfo;
    const publisher = new RtmpPublisher(resolveRtmpTarget(`rtmp://127.0.0.1:${port}/live`, 'cam', OPTS), { timeoutMs: 10_000 });
    try {
      const started = publisher.start();
      await new Promise((r) => setTimeout(r, 100));
      const began = Date.now();
      await publisher.stop();
      await assert.rejects(started, (e: unknown) => e instanceof RtmpError && e.code === 'CLOSED');
      assert.ok(Date.now() - began < 1000);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => silent.close(r));
    }
  });

  test('RTMPS: TLS with SNI for a host name, the certificate checked against the given CA', async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      algorithm: 'sha256',
      keySize: 2048,
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] }],
    });
    const server = await startRtmpTestServer({ tls: { key: pems.private, cert: pems.cert } });
    const target = resolveRtmpTarget(`rtmps://localhost:${server.port}/live`, 'cam', OPTS);
    const trusted = new RtmpPublisher(target, { tlsOptions: { ca: pems.cert } });
    const untrusted = new RtmpPublisher(target);
    try {
      await trusted.start();
      assert.equal(server.connects[0].servername, 'localhost');
      assert.equal(server.connects[0].tcUrl, `rtmps://localhost:${server.port}/live`);
      await assert.rejects(
        untrusted.start(),
        (e: unknown) => e instanceof RtmpError && e.code === 'TLS_CERTIFICATE' && !e.retryable && /self-signed.*rtmps_ca_file/.test(e.message),
      );
    } finally {
      await trusted.stop();
      untrusted.destroy();
      await server.close();
    }
  });
});
