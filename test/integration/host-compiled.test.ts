// `npm start` runs the compiled host: bin/start.js (Electron's binary is missing here, so the headless host
// through bin/castbridge.js) serves the studio with no TypeScript compiled at run time. A probe outside the
// product (test/helpers/module-probe.mjs, given to every Node process through NODE_OPTIONS) records each
// module the processes load; the started host must load dist-main and no tsx, and no .ts file at all. Its
// stack traces still name the .ts sources, through the source maps.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { removeDir } from '../helpers/servers.js';
import { call } from '../helpers/http-client.js';

const ROOT = join(import.meta.dirname, '..', '..');
const PROBE = join(ROOT, 'test', 'helpers', 'module-probe.mjs');
const START_TIMEOUT_MS = 240_000; // includes a first studio build when dist/renderer is missing or stale
const EXIT_TIMEOUT_MS = 30_000;
const PORTS = ['rest_http_port=0', 'rest_https_port=0', 'local_rtmp_port=0', 'local_rtmp_http_port=0', 'ws_port=0', 'wss_port=0'];

interface ProbedProcess {
  argv: string[];
  modules: string[];
}

function readProbe(dir: string): ProbedProcess[] {
  return readdirSync(dir).map((name) => {
    const [first, ...lines] = readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean);
    return { argv: JSON.parse(first!) as string[], modules: lines.map((line) => line.slice(line.indexOf(' ') + 1)) };
  });
}

const isTsx = (module: string): boolean => module.includes('/node_modules/tsx/');
const isTypeScript = (module: string): boolean => /\.(m|c)?ts$/.test(new URL(module, 'file:///').pathname);

test('stack traces from the compiled CLI name the .ts sources', async () => {
  // An error thrown inside main() (its help text cannot be written) surfaces uncaught from bin/castbridge.js.
  const refuse = 'data:text/javascript,process.stdout.write=()=>{throw new Error("stdout refused")}';
  const child = spawn(process.execPath, ['--import', refuse, join(ROOT, 'bin', 'castbridge.js'), '--help'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  assert.equal(await new Promise((resolve) => child.once('exit', resolve)), 1, stderr);
  assert.match(stderr, /Error: stdout refused\n/);
  assert.match(stderr, /at main \(.*src-main[\\/]cli\.ts:\d+:\d+\)/, stderr);
  assert.doesNotMatch(stderr, /dist-main/, stderr);
});

describe('the started host runs compiled JavaScript', { timeout: START_TIMEOUT_MS + 60_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'castbridge-compiled-'));
  const probeDir = mkdtempSync(join(tmpdir(), 'castbridge-probe-'));
  after(() => {
    removeDir(dataDir);
    removeDir(probeDir);
  });

  test('the probe sees tsx where it is loaded', async () => {
    const dir = mkdtempSync(join(probeDir, 'control-'));
    const child = spawn(process.execPath, ['--import', PROBE, '--import', 'tsx', '-e', '0'], { cwd: ROOT, env: { ...process.env, MODULE_PROBE_DIR: dir, NODE_OPTIONS: '' } });
    assert.equal(await new Promise((resolve) => child.once('exit', resolve)), 0);
    const [probed] = readProbe(dir);
    assert.ok(probed?.modules.some(isTsx), 'tsx in the control run');
  });

  test('npm start: the headless host serves the studio without tsx or any .ts module', async () => {
    const dir = mkdtempSync(join(probeDir, 'start-'));
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'start.js'), '--data-dir', dataDir, ...PORTS.flatMap((p) => ['--set', p])], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CASTBRIDGE_LOG: 'silent', MODULE_PROBE_DIR: dir, NODE_OPTIONS: `--import=${PROBE}` },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no studio URL within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
        const look = (): void => {
          const match = /studio: (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        };
        child.stdout.on('data', look);
        void exited.then((code) => reject(new Error(`start.js exited with ${code} before printing the URL:\n${output}`)));
      });
      const page = await call(`${url}/`);
      assert.equal(page.status, 200);
      assert.match(page.text, /<title>Castbridge Studio<\/title>/);
      const info = await call(`${url}/api/info`);
      assert.equal(info.status, 200);
      assert.equal(info.json().dataDir, dataDir);

      const processes = readProbe(dir);
      const host = processes.find((p) => p.argv.some((a) => a.endsWith(join('bin', 'castbridge.js'))) && p.argv.includes('--headless'));
      const start = processes.find((p) => p.argv.some((a) => a.endsWith(join('bin', 'start.js'))));
      assert.ok(host, `the probe saw the host process:\n${processes.map((p) => p.argv.join(' ')).join('\n')}`);
      assert.ok(start, 'the probe saw bin/start.js');
      assert.ok(host.modules.some((m) => m.endsWith('/dist-main/node/cli.js')), 'the host runs dist-main/node/cli.js');
      assert.ok(host.modules.some((m) => m.includes('/node_modules/fastify/')), 'the probe saw the host load its packages');
      for (const p of [start, host]) {
        assert.deepEqual(p.modules.filter(isTsx), [], `tsx loaded by ${p.argv.join(' ')}`);
        assert.deepEqual(p.modules.filter(isTypeScript), [], `.ts modules loaded by ${p.argv.join(' ')}`);
      }
    } finally {
      child.kill('SIGTERM');
    }
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), EXIT_TIMEOUT_MS))]);
    assert.equal(code, 0, output.slice(-2000));
  });
});
