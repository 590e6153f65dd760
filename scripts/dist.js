#!/usr/bin/env node
// `npm run dist`: build the studio and the compiled host (dist-main), make sure the relay's ffmpeg is there
// for every architecture the installer targets, then run electron-builder for the current platform.
//
// @ffmpeg-installer/ffmpeg picks its binary at run time from `@ffmpeg-installer/<platform>-<arch>`, but npm
// installs only the build machine's own one. The macOS dmg is built for x64 and arm64, so on a Mac both
// darwin packages are installed (without touching package.json) before packing; each app then finds the
// binary of the architecture it runs on.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const installer = require('@ffmpeg-installer/ffmpeg/package.json');
const EXTRA_ARCHES = { darwin: ['darwin-x64', 'darwin-arm64'] };

function run(command, args) {
  console.log(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run('npm', ['run', '--silent', 'build']);
run('npm', ['run', '--silent', 'build:main']);
const extra = (EXTRA_ARCHES[process.platform] ?? []).map((p) => `@ffmpeg-installer/${p}@${installer.optionalDependencies[`@ffmpeg-installer/${p}`]}`);
if (extra.length) run('npm', ['install', '--no-save', '--force', '--no-audit', '--no-fund', ...extra]);
run('npx', ['electron-builder', '--config', 'electron-builder.yml', ...process.argv.slice(2)]);
