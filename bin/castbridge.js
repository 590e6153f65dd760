#!/usr/bin/env -S node --max-semi-space-size=1
// Entry point of the `castbridge` command: runs the CLI compiled into dist-main/ (scripts/build-main.js).
// In a source checkout the build is brought up to date first (a stat of each source; esbuild runs only
// when one changed), so `git pull` or an edit never runs yesterday's code. Source maps are enabled before
// anything compiled loads, so stack traces name the .ts sources. The flags on the first line are the host's
// (bin/node-flags.js says why); other ways of starting this file pass the same ones.
import { existsSync } from 'node:fs';

process.setSourceMapsEnabled(true);
if (existsSync(new URL('../scripts/build-main.js', import.meta.url))) {
  const { ensureMainBuiltOrExit } = await import('../scripts/build-main.js');
  await ensureMainBuiltOrExit();
}
const { main } = await import('../dist-main/node/cli.js');
process.exitCode = await main(process.argv.slice(2));
