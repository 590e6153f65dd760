#!/usr/bin/env node
// `npm test`: makes sure the real peers the tests use are installed (Debian's chromium, ffmpeg, nginx with
// the RTMP and stream modules, aiortc), type-checks, brings the compiled host (dist-main) up to date — the
// tests that start the host or the CLI run bin/castbridge.js as a user does, which runs the compiled output —
// then runs every test/**/*.test.ts with Node's own test runner (the tests themselves run from source
// through tsx).
//   npm test                      all tests
//   npm test -- test/unit         only the files under a folder (or single files)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { ensureMainBuiltOrExit } from './build-main.js';

// nginx's stream module is the TLS front of the RTMPS tests; python3-aiortc the non-browser WHIP publisher;
// firefox-esr the publisher without H.264 (VP8/VP9/AV1); GStreamer's webrtcbin (plugins-bad, libnice,
// the Python bindings) a third WebRTC stack, publishing VP8 + Opus.
const GSTREAMER = ['gstreamer1.0-plugins-base', 'gstreamer1.0-plugins-good', 'gstreamer1.0-plugins-bad', 'gstreamer1.0-nice', 'python3-gst-1.0', 'gir1.2-gst-plugins-bad-1.0'];
const PACKAGES = ['chromium', 'ffmpeg', 'nginx', 'libnginx-mod-rtmp', 'libnginx-mod-stream', 'python3-aiortc', 'firefox-esr', 'xvfb', ...GSTREAMER];
const LIB = `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
const NEEDED_FILES = [
  '/usr/bin/chromium',
  '/usr/bin/ffmpeg',
  '/usr/bin/ffprobe',
  '/usr/sbin/nginx',
  '/usr/lib/nginx/modules/ngx_rtmp_module.so',
  '/usr/lib/nginx/modules/ngx_stream_module.so',
  '/usr/lib/python3/dist-packages/aiortc/__init__.py',
  '/usr/bin/firefox-esr',
  '/usr/bin/Xvfb',
  `${LIB}/gstreamer-1.0/libgstwebrtc.so`,
  `${LIB}/gstreamer-1.0/libgstnice.so`,
  `${LIB}/gstreamer-1.0/libgstvpx.so`,
  `${LIB}/gstreamer-1.0/libgstopus.so`,
  `${LIB}/girepository-1.0/GstWebRTC-1.0.typelib`,
  '/usr/lib/python3/dist-packages/gi/overrides/Gst.py',
];

function ensurePeers() {
  const missing = NEEDED_FILES.filter((f) => !existsSync(f));
  if (missing.length === 0) return;
  const command = `apt-get update && apt-get install -y ${PACKAGES.join(' ')}`;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !existsSync('/usr/bin/apt-get')) {
    console.error(`The tests need real peers that are not installed (${missing.join(', ')}).\nRun, as root on Debian:\n  ${command}`);
    process.exit(1);
  }
  console.log(`installing the tests' peers: ${command}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('sh', ['-c', command], { stdio: 'inherit', env });
}

// node-av (FFmpeg 8 with dav1d as one native addon, ~200 MB) decodes Enhanced RTMP in the tests; it is no
// dependency of the project, so it goes into a folder of its own, as the Debian peers go into the system
// (test/helpers/node-av.ts reads it from there). --ignore-scripts: its postinstall only downloads an ffmpeg
// command-line binary from outside the registry, which the library does not need.
const NODE_AV_VERSION = '6.1.1';
const NODE_AV_DIR = process.env.NODE_AV_DIR ?? join(homedir(), '.cache', 'castbridge-test-peers', 'node-av');

function ensureNodeAv() {
  if (existsSync(join(NODE_AV_DIR, 'node_modules', 'node-av', 'dist', 'index.js'))) return;
  const args = ['install', '--prefix', NODE_AV_DIR, '--ignore-scripts', '--no-audit', '--no-fund', `node-av@${NODE_AV_VERSION}`];
  console.log(`installing the tests' decoder for Enhanced RTMP: npm ${args.join(' ')}`);
  execFileSync('npm', args, { stdio: 'inherit' });
}

function findTests(path) {
  if (!existsSync(path)) throw new Error(`no such test path: ${path}`);
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .flatMap((entry) => {
      const child = join(path, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : findTests(child);
      return entry.name.endsWith('.test.ts') ? [child] : [];
    })
    .sort();
}

ensurePeers();
ensureNodeAv();
const args = process.argv.slice(2);
const files = (args.length ? args : ['test']).flatMap(findTests).map((f) => relative(process.cwd(), f));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

if (!args.length) {
  const typecheck = spawnSync('npm', ['run', '--silent', 'typecheck'], { stdio: 'inherit' });
  if (typecheck.status !== 0) process.exit(typecheck.status ?? 1);
}

await ensureMainBuiltOrExit();

// Three groups. The unit tests (test/unit) run two files at a time: they start no servers and no browser,
// and on this two-core machine half their time is each file's start-up. Beside them, one file at a time,
// run the integration tests in SERVERS_ONLY: they start nginx, ffmpeg or the host but no browser and no
// WebRTC publisher, and assert nothing about timing, so sharing the CPU only makes them slower. Then every
// other test, one file at a time and alone: they run Chromium or aiortc and measure frame rates, A/V sync,
// keyframe cadence and reaction times that a second test beside them would disturb. A new test file lands
// in that last group unless it is added here.
const SERVERS_ONLY = new Set([
  'aac-quality',
  'allowed-origins',
  'audio-encoders',
  'host-compiled',
  'host-headless',
  'host-https',
  'host-local-rtmp',
  'host-scenes',
  'host-webrtc-warmup',
  'push',
  'relay-codecs',
  'rest-fuzz',
  'rtmp-auth',
  'rtmp-handshake',
  'rtmp-sequence',
  'rtmps',
  'url-rules',
].map((name) => join('test', 'integration', `${name}.test.ts`)));
const isUnit = (file) => file.split(/[\\/]/)[1] === 'unit';
const unit = files.filter(isUnit);
const serversOnly = files.filter((f) => SERVERS_ONLY.has(f));
const alone = files.filter((f) => !isUnit(f) && !SERVERS_ONLY.has(f));

/** Runs node's test runner on `group`; `quiet` collects its report to print once the other group printed. */
function runTests(group, concurrency, quiet) {
  if (group.length === 0) return Promise.resolve({ status: 0, output: '' });
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...group], {
    stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    env: { ...process.env, CASTBRIDGE_TEST: '1' },
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ status: code ?? 1, output })));
}

const [unitRun, serversRun] = await Promise.all([runTests(unit, 2, false), runTests(serversOnly, 1, unit.length > 0)]);
process.stdout.write(serversRun.output);
const aloneRun = await runTests(alone, 1, false);
process.exit([unitRun, serversRun, aloneRun].find((r) => r.status !== 0)?.status ?? 0);
