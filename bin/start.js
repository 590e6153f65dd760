#!/usr/bin/env node
// `npm start`: the Electron studio when Electron's binary is installed, else the headless host (which
// prints the studio URL to open in a browser). Builds the studio first if dist/renderer is missing or older
// than a source file of the studio (a `git pull` must not leave a new user on yesterday's studio), and the
// compiled host (dist-main, scripts/build-main.js) when a source changed since it was built. Electron runs
// this folder's package.json "main", dist-main/electron/main.js; the headless host is bin/castbridge.js,
// which runs dist-main/node/cli.js. Nothing is compiled at run time.
//   npm start [-- --data-dir DIR --set key=value ...]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureMainBuiltOrExit } from '../scripts/build-main.js';
import { nodeFlagsOf } from './node-flags.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STUDIO_INDEX = join(ROOT, 'dist', 'renderer', 'index.html');
const STUDIO_SOURCES = join(ROOT, 'src-renderer');
/** The wire contract the studio bundles and its SDK declarations print. */
const CONTRACT_SOURCES = join(ROOT, 'src-contract');
const CLI = join(ROOT, 'bin', 'castbridge.js');

/** The Electron binary's path, or undefined when the package or its download is missing (never throws). */
function electronBinary() {
  try {
    const path = createRequire(import.meta.url)('electron');
    return typeof path === 'string' && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/** The modification time of the newest file under dir (0 when there is none). */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const info = statSync(join(dir, entry));
    if (info.isFile()) newest = Math.max(newest, info.mtimeMs);
  }
  return newest;
}

function studioIsCurrent() {
  if (!existsSync(STUDIO_INDEX)) return false;
  // A packaged app ships dist/renderer without its sources.
  if (!existsSync(STUDIO_SOURCES)) return true;
  const contract = existsSync(CONTRACT_SOURCES) ? newestMtime(CONTRACT_SOURCES) : 0;
  return statSync(STUDIO_INDEX).mtimeMs >= Math.max(newestMtime(STUDIO_SOURCES), contract);
}

function buildStudioIfStale() {
  if (studioIsCurrent()) return;
  console.log(existsSync(STUDIO_INDEX) ? 'Rebuilding the studio (its sources changed)…' : 'Building the studio (first run)…');
  const result = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    console.error('Building the studio failed; the host still starts and its page says how to build it.');
  }
}

function run(command, args) {
  const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit' });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

buildStudioIfStale();
await ensureMainBuiltOrExit();
const args = process.argv.slice(2);
const electron = electronBinary();
if (electron) {
  // The app folder: Electron reads package.json (its name, and "main": dist-main/electron/main.js) as in
  // the installers.
  // The host runs in Electron's main process, whose V8 takes flags only from the command line.
  run(electron, [`--js-flags=${nodeFlagsOf().join(' ')}`, ROOT, ...args]);
} else {
  console.log("Electron is not installed: starting the headless host. Open the studio URL it prints in Chrome or Chromium.");
  run(process.execPath, [...nodeFlagsOf(), CLI, '--headless', ...args]);
}
