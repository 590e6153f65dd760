// `npm start` (bin/start.js) without Electron's binary — the case on this machine, whose electron package
// has types only — runs the headless host, which prints the studio URL and serves the built studio.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePort, removeDir } from '../../helpers/servers.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const START_TIMEOUT_MS = 240_000; // includes a first `npm run build` when dist/renderer is missing
const dataDir = mkdtempSync(join(tmpdir(), 'castbridge-start-'));
after(() => removeDir(dataDir));

test('npm start falls back to the headless host, prints the studio URL and stops on SIGTERM', { timeout: START_TIMEOUT_MS + 30_000 }, async () => {
  const wsPort = await freePort();
  const ports = ['rest_http_port=0', 'rest_https_port=0', `local_rtmp_port=${await freePort()}`, `local_rtmp_http_port=${await freePort()}`, `ws_port=${wsPort}`, 'wss_port=0'];
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'start.js'), '--data-dir', dataDir, ...ports.flatMap((p) => ['--set', p])], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CASTBRIDGE_LOG: 'silent' },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no studio URL within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
      const check = (): void => {
        const match = /studio: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
        if (match && /Data folder:/.test(output)) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      void exited.then((code) => reject(new Error(`start.js exited with ${code} before printing the URL:\n${output}`)));
    });
    assert.match(output, /Electron is not installed: starting the headless host/);
    assert.ok(output.includes(`WCS Web SDK urlServer: ws://127.0.0.1:${wsPort}\n`), `the WCS URL is printed:\n${output}`);
    const page = await (await fetch(url)).text();
    assert.match(page, /<title>Castbridge Studio<\/title>/);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, output);
});
