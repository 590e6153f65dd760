#!/usr/bin/env node
// Type-checking src-main/electron needs Electron's type declarations, which live in the `electron` package.
// Electron is an optional dependency: where its install script cannot download the binary (a machine without
// access to Electron's download host), npm drops the whole package, types included. Then this installs the
// package again with --ignore-scripts (no binary download, nothing saved to package.json), which gives the
// types; `npm start` still sees no binary and runs the headless host.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(ROOT, 'node_modules', 'electron', 'electron.d.ts'))) {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const spec = `electron@${pkg.optionalDependencies.electron}`;
  console.log(`Electron's types are missing (its binary could not be installed); installing ${spec} with --ignore-scripts for the type check…`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', spec], { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    console.error(`Could not install ${spec} for its types; run: npm install --no-save --ignore-scripts ${spec}`);
    process.exit(result.status ?? 1);
  }
}
