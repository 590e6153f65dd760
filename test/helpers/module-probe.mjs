// A probe for the modules a Node process loads, used from outside the program it watches:
//   MODULE_PROBE_DIR=/tmp/x node --import /abs/test/helpers/module-probe.mjs PROGRAM ...
// (or NODE_OPTIONS="--import=/abs/.../module-probe.mjs", which reaches the Node children a program starts).
// Each process appends to $MODULE_PROBE_DIR/<pid>.log: a first line with its argv as JSON, then one line per
// module: every ES module URL the loader resolves (a resolve hook, in the loader's thread) and every
// CommonJS file require() loads. Plain JavaScript, so the probe itself needs no loader.
import { appendFileSync } from 'node:fs';
import { Module, register } from 'node:module';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

/** The loader-thread side: passed the log file by register() below. */
let hookLog;

export function initialize(data) {
  hookLog = data.file;
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (hookLog && !result.url.startsWith('node:')) appendFileSync(hookLog, `esm ${result.url}\n`);
  return result;
}

const dir = process.env.MODULE_PROBE_DIR;
if (isMainThread && dir && !hookLog) {
  const file = join(dir, `${process.pid}.log`);
  appendFileSync(file, `${JSON.stringify(process.argv)}\n`);
  register(import.meta.url, { data: { file } });
  const load = Module._load;
  Module._load = function probedLoad(request, parent, isMain) {
    const exports = load.apply(this, arguments);
    try {
      const filename = Module._resolveFilename(request, parent, isMain);
      if (!filename.startsWith('node:') && filename.includes('/')) appendFileSync(file, `cjs ${filename}\n`);
    } catch {
      // a built-in without the node: prefix
    }
    return exports;
  };
}
