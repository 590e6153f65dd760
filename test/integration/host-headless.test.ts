// `castbridge --headless`: starts the host from the command line on free ports, prints the studio URL,
// creates the settings file in the data folder, reports bad settings with key and line without dying,
// and exits 0 on SIGTERM after closing everything, even when a second signal arrives while it closes.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeDir } from '../helpers/servers.js';
import { call } from '../helpers/http-client.js';
import { waitFor } from '../helpers/wait.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'castbridge.js');
const START_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 30_000;

/** A WAV upload that sent its headers and a first chunk, then waits: a request the server is still busy with. */
async function startSlowUpload(base: string): Promise<Socket> {
  const { hostname, port, host } = new URL(base);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  socket.write(`PUT /api/media/slow.wav HTTP/1.1\r\nHost: ${host}\r\nContent-Type: audio/wav\r\nContent-Length: 100000\r\n\r\nRIFF`);
  return socket;
}

describe('castbridge --headless', { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'castbridge-headless-'));
  after(() => removeDir(dataDir));

  test('serves, then SIGTERM closes it and exits 0, a second signal notwithstanding', async () => {
    writeFileSync(join(dataDir, 'castbridge.properties'), 'rtmp_keyframe_interval_ms=sometimes\n');
    const child = spawn(
      process.execPath,
      [BIN, '--headless', '--data-dir', dataDir, '--set', 'rest_http_port=0', '--set', 'rest_https_port=0', '--set', 'local_rtmp_port=0', '--set', 'local_rtmp_http_port=0', '--set', 'ws_port=0', '--set', 'wss_port=0'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CASTBRIDGE_LOG: '' } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no studio URL within ${START_TIMEOUT_MS} ms:\n${stdout}\n${stderr}`)), START_TIMEOUT_MS);
        const look = () => {
          const m = /studio: (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        };
        child.stdout.on('data', look);
        void exited.then((code) => reject(new Error(`exited ${code} before serving:\n${stdout}\n${stderr}`)));
      });
      const info = await call(`${url}/api/info`);
      assert.equal(info.status, 200);
      assert.equal(info.json().dataDir, dataDir);
      assert.match(info.json().localRtmpUrl, /^rtmp:\/\/127\.0\.0\.1:\d+\/live$/);
      assert.ok(existsSync(join(dataDir, 'https-cert.pem')), 'self-signed certificate made on first run');
      assert.match(stderr, /line 1: rtmp_keyframe_interval_ms must be an integer/);
      assert.ok(!stderr.includes('uncaught'), stderr);
      // Ctrl-C under `npm start` reaches the host twice (from the terminal, and forwarded by bin/start.js):
      // a second signal while closing must not cut the clean shutdown short. An upload still in flight
      // keeps the shutdown busy (its grace period) while the second signal arrives.
      const upload = await startSlowUpload(url);
      child.kill('SIGTERM');
      await waitFor('the host to take the first signal', () => stderr.includes('event=host.signal'), EXIT_TIMEOUT_MS);
      child.kill('SIGINT');
      upload.on('error', () => {});
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), EXIT_TIMEOUT_MS))]);
      assert.equal(code, 0, `exit code after SIGTERM\n${stderr.slice(-2000)}`);
      assert.match(stderr, /event=host.stopped/);
      upload.destroy();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
