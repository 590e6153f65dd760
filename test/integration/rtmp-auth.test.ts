// Publishing to a server that wants a password (rtmp://user:pass@host/app): our test server plays the server
// side of Adobe's and Limelight's challenges; ffmpeg's own RTMP client first proves that server right, then
// RtmpPublisher authenticates against it, and a wrong password fails for good instead of retrying forever.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { AuthMod } from '../../src-relay/rtmp/auth.js';
import { RtmpError } from '../../src-relay/rtmp/errors.js';
import { RtmpPublisher } from '../../src-relay/rtmp/publisher.js';
import { resolveRtmpTarget } from '../../src-relay/rtmp/url.js';
import { formatLogLine, type Log } from '../../src-relay/log.js';
import { startRtmpTestServer } from '../helpers/rtmp-auth-server.js';

const USER = 'alice';
const PASSWORD = 'S3cret-pw';

function ffmpegPush(url: string): Promise<{ code: number | null; stderr: string }> {
  const args = ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-t', '2', '-c:v', 'libx264', '-f', 'flv', url];
  return new Promise((resolve) => {
    const child = execFile('ffmpeg', args, { timeout: 30_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr });
    });
    child.stdin?.end();
  });
}

for (const mod of ['adobe', 'llnw'] as const satisfies readonly AuthMod[]) {
  describe(`authmod=${mod}`, () => {
    test('ffmpeg publishes with the right password and is refused with a wrong one (the test server is right)', async () => {
      const server = await startRtmpTestServer({ auth: { mod, users: { [USER]: PASSWORD } } });
      try {
        const good = await ffmpegPush(`rtmp://${USER}:${PASSWORD}@127.0.0.1:${server.port}/app/stream1`);
        assert.equal(good.code, 0, `ffmpeg failed: ${good.stderr}`);
        assert.equal(server.publishes.length, 1);
        assert.equal(server.publishes[0].streamName, 'stream1');
        assert.ok(server.publishes[0].media.length > 5, 'ffmpeg sent no media');
        const bad = await ffmpegPush(`rtmp://${USER}:wrong@127.0.0.1:${server.port}/app/stream2`);
        assert.notEqual(bad.code, 0);
        assert.match(bad.stderr, /authfailed|Incorrect username\/password/);
        assert.equal(server.publishes.length, 1);
      } finally {
        await server.close();
      }
    });

    test('RtmpPublisher answers the challenge and publishes; the password is never in tcUrl or logs', async () => {
      const server = await startRtmpTestServer({ auth: { mod, users: { [USER]: PASSWORD } } });
      const lines: string[] = [];
      const log: Log = (event, fields) => lines.push(formatLogLine(event, fields));
      const target = resolveRtmpTarget(`rtmp://${USER}:${PASSWORD}@127.0.0.1:${server.port}/live`, 'cam', { prefix: 'rtmp_', fullUrl: false });
      const publisher = new RtmpPublisher(target, { timeoutMs: 8000, log, mediaSessionId: 'auth-test' });
      try {
        const published = server.nextPublish();
        await publisher.start();
        const record = await published;
        assert.equal(record.streamName, 'rtmp_cam');
        assert.equal(server.connects.length, 3, 'expected: plain connect, user query, challenge response');
        assert.ok(server.connects[2].accepted);
        for (const c of server.connects) assert.ok(!c.tcUrl.includes(PASSWORD) && !c.app.includes(PASSWORD), `password sent in clear: ${c.tcUrl}`);
        assert.ok(lines.length > 0 && lines.every((l) => !l.includes(PASSWORD)), 'password in logs');
        publisher.writeTag({ kind: 'video', time: 0, body: Buffer.from([0x17, 0, 0, 0, 0, 1, 0x42, 0xc0, 0x1e]), keyframe: true, sequenceHeader: true });
        publisher.writeTag({ kind: 'video', time: 40, body: Buffer.from([0x27, 1, 0, 0, 0, 0, 0, 0, 1, 0x41]), keyframe: false, sequenceHeader: false });
        for (let i = 0; i < 50 && record.media.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
        assert.deepEqual(record.media.map((m) => m.timestamp), [0, 40]);
      } finally {
        await publisher.stop();
        await server.close();
      }
    });

    test('RtmpPublisher with a wrong password fails AUTH_FAILED, not retryable', async () => {
      const server = await startRtmpTestServer({ auth: { mod, users: { [USER]: PASSWORD } } });
      const target = resolveRtmpTarget(`rtmp://${USER}:wrong@127.0.0.1:${server.port}/live`, 'cam', { prefix: 'rtmp_', fullUrl: false });
      const publisher = new RtmpPublisher(target, { timeoutMs: 8000 });
      try {
        const error = await publisher.start().then(() => assert.fail('published with a wrong password'), (e: unknown) => e);
        assert.ok(error instanceof RtmpError, String(error));
        assert.equal(error.code, 'AUTH_FAILED');
        assert.equal(error.retryable, false);
        assert.ok(!error.message.includes('wrong@'), error.message);
        assert.equal(server.publishes.length, 0);
      } finally {
        publisher.destroy();
        await server.close();
      }
    });
  });
}

test('a server that wants authentication from a URL without credentials is AUTH_REQUIRED, not retryable', async () => {
  const server = await startRtmpTestServer({ auth: { mod: 'adobe', users: { [USER]: PASSWORD } } });
  const publisher = new RtmpPublisher(resolveRtmpTarget(`${server.baseUrl}/live`, 'cam', { prefix: '', fullUrl: false }), { timeoutMs: 5000 });
  try {
    const error = await publisher.start().then(() => assert.fail('published without credentials'), (e: unknown) => e);
    assert.ok(error instanceof RtmpError);
    assert.equal(error.code, 'AUTH_REQUIRED');
    assert.equal(error.retryable, false);
    assert.equal(server.connects.length, 1);
  } finally {
    publisher.destroy();
    await server.close();
  }
});
