#!/usr/bin/env node
// Entry point of the `castbridge` command. The host is TypeScript run through tsx's loader, so there is
// no separate build step between `npm install` and a working command.
import { setFlagsFromString } from 'node:v8';
import { register } from 'tsx/esm/api';

// `push` is a short, I/O-bound job: V8's top tier (TurboFan) spends more CPU compiling the streaming loop
// than the optimized code saves before the file is sent (measured by bench/push.bench.ts: a 60 s 1080p file
// unpaced, 0.26 → 0.19 CPU s compiled). Maglev, the tier below, stays on. Set before any of our code runs;
// the long-running host keeps every tier.
const PUSH_V8_FLAGS = '--max-opt=2';
if (process.argv[2] === 'push') setFlagsFromString(PUSH_V8_FLAGS);

register();
const { main } = await import('../src-main/cli.ts');
process.exitCode = await main(process.argv.slice(2));
