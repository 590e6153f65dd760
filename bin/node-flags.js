// The Node/V8 flags the `castbridge` command runs with, read from the first line of bin/castbridge.js
// (`#!/usr/bin/env -S node FLAGS`), which is how a shell starts it. bin/start.js and the benches start the
// same file as `node FLAGS bin/castbridge.js …`, and Electron gets them as --js-flags, so every way of
// starting the host runs with one list.
//
// --max-semi-space-size=1 (MiB): the relay's per-packet garbage (RTP packets, their decrypted copies, FLV
// tags) grows V8's young generation to its 16 MiB semi-spaces, 32 MiB held for good; capped at 1 MiB the
// host holds 30–40 MB less for the same CPU (docs/BENCHMARKS.md). V8 reads it only at start-up
// (v8.setFlagsFromString after start changes nothing), so it has to be on the command line.
import { readFileSync } from 'node:fs';

/** The flags on the `#!… node` line of `entry` (default bin/castbridge.js); [] when it names none. */
export function nodeFlagsOf(entry = new URL('./castbridge.js', import.meta.url)) {
  const first = readFileSync(entry, 'utf8').split('\n', 1)[0] ?? '';
  const match = /^#!.*\bnode((?:\s+-\S+)*)\s*$/.exec(first);
  return match ? match[1].trim().split(/\s+/).filter(Boolean) : [];
}
