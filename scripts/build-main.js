#!/usr/bin/env node
// Compiles everything that runs in Node or Electron — the host, the relay, the `castbridge` CLI and the
// Electron main process — from TypeScript into dist-main/ with esbuild, with source maps that point stack
// traces at the .ts sources. Our own code is bundled; packages stay external and load from node_modules,
// except those in BUNDLED_PACKAGES (see there).
//
//   dist-main/node/cli.js          the CLI and headless host (bin/castbridge.js imports it)
//   dist-main/electron/main.js     Electron's entry (package.json "main"): src-main/electron/boot.mjs
//   dist-main/electron/app.js      src-main/electron/main.ts compiled
//   dist-main/electron/preload.cjs the window's preload, as written (plain CommonJS)
//   dist-main/chunks/*.js          code shared by the entries, loaded when first needed (`push` alone never
//                                  loads the host, its servers or WebRTC)
//   dist-main/build.json           what went in (path → mtime): ensureMainBuilt() rebuilds when any changed
//
// Runs as npm's `prepare` step (on `npm install` in a clone) and from bin/castbridge.js, bin/start.js and
// scripts/test.js whenever a source is newer than the build, so a stale dist-main never runs.
//   node scripts/build-main.js            build now
//   node scripts/build-main.js --if-stale build only when a source changed
//
// Several processes may build at once (tests run beside each other): every file is written to a temporary
// name and renamed into place, so a reader sees an old file or a new one, never half of one. Chunks of
// earlier builds are left for processes that may still load them and removed once they are a day old.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT_DIR = join(ROOT, 'dist-main');
const MANIFEST = join(OUT_DIR, 'build.json');
const ENTRIES = { 'node/cli': 'src-main/cli.ts', 'electron/app': 'src-main/electron/main.ts' };
/** Copied as they are: Electron's entry (which enables source maps before loading app.js) and the preload. */
const COPIES = { 'electron/main.js': 'src-main/electron/boot.mjs', 'electron/preload.cjs': 'src-main/electron/preload.cjs' };
/**
 * Inputs besides the bundled sources whose change makes a new build. src-relay/index.ts is read by the
 * relayFrontDoorDirect plugin rather than bundled, so it is listed here.
 */
const CONFIG_INPUTS = ['scripts/build-main.js', 'tsconfig.json', 'package.json', 'src-relay/index.ts'];
const OLD_CHUNK_MS = 24 * 60 * 60_000;
/**
 * Packages compiled into the bundle rather than loaded from node_modules: pure ESM without dependencies of
 * their own, whose many small files cost more to resolve and load one by one than the code itself (TypeBox:
 * ~700 modules, ~0.4 CPU s to import at each start; ~0.02 s bundled).
 */
const BUNDLED_PACKAGES = ['typebox'];

/** Resolves BUNDLED_PACKAGES (and their subpaths) to files, so that `packages: 'external'` leaves them in. */
const bundlePackages = {
  name: 'bundle-packages',
  setup(build) {
    const filter = new RegExp(`^(${BUNDLED_PACKAGES.map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})(/.*)?$`);
    // Resolved from the app's root as Node resolves a package (its "exports"); "default" covers ESM-only ones.
    const resolve = createRequire(join(ROOT, 'package.json')).resolve;
    build.onResolve({ filter }, (args) => ({ path: resolve(args.path) }));
  },
};

const RELAY_INDEX = join(ROOT, 'src-relay', 'index.ts');
/** `import {…} from '…'` / `export {…} from '…'` with a braced list (what src-relay/index.ts and its importers use). */
const BRACED_FROM = /\b(import|export)(\s+type)?\s*\{([^}]*)\}\s*from\s*(['"])([^'"]+)\4\s*;?/g;

/** `a`, `a as b`, `type a as b` → { type, name: a, as: b }. */
function bracedNames(list) {
  return list
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      const match = /^(type\s+)?([\w$]+)(?:\s+as\s+([\w$]+))?$/.exec(item);
      if (!match) throw new Error(`cannot read "${item}" in a braced import/export list`);
      return { type: Boolean(match[1]), name: match[2], as: match[3] ?? match[2] };
    });
}

/** What src-relay/index.ts re-exports: exported name → the module (absolute .js specifier) and its name there. */
function relayExports() {
  const map = new Map();
  for (const match of readFileSync(RELAY_INDEX, 'utf8').matchAll(BRACED_FROM)) {
    if (match[1] !== 'export') continue;
    const module = join(dirname(RELAY_INDEX), match[5]);
    for (const { name, as } of bracedNames(match[3])) map.set(as, { module, name });
  }
  return map;
}

/**
 * The host imports the relay only through src-relay/index.ts, but with code splitting esbuild would put every
 * module that front door re-exports into the chunk the `push` CLI loads at start (the transponders and WebRTC
 * ingest included). So each `import {…} from '…/src-relay/index.js'` in src-main is compiled as imports from
 * the modules index.ts takes those names from (read from index.ts itself), on the same line so that source
 * maps still point at the right lines; a chunk then holds only what its entry reaches.
 */
const relayFrontDoorDirect = {
  name: 'relay-front-door-direct',
  setup(build) {
    const srcMain = join(ROOT, 'src-main') + sep;
    const indexJs = RELAY_INDEX.replace(/\.ts$/, '.js');
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (!args.path.startsWith(srcMain)) return undefined;
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('src-relay/index')) return undefined;
      const exports = relayExports();
      const dir = dirname(args.path);
      const contents = source.replace(BRACED_FROM, (whole, keyword, typeOnly, list, _quote, specifier) => {
        if (typeOnly || join(dir, specifier) !== indexJs) return whole;
        const byModule = new Map();
        for (const item of bracedNames(list)) {
          const target = exports.get(item.name);
          if (!target) throw new Error(`${relative(ROOT, args.path)}: ${item.name} is not re-exported by name from src-relay/index.ts`);
          const names = byModule.get(target.module) ?? [];
          names.push(`${item.type ? 'type ' : ''}${target.name === item.as ? target.name : `${target.name} as ${item.as}`}`);
          byModule.set(target.module, names);
        }
        const statements = [...byModule].map(([module, names]) => {
          const from = toPosix(relative(dir, module));
          return `${keyword} { ${names.join(', ')} } from '${from.startsWith('.') ? from : `./${from}`}';`;
        });
        return statements.join(' ') + '\n'.repeat(whole.split('\n').length - 1);
      });
      return { contents, loader: 'ts' };
    });
  },
};

const toPosix = (path) => path.split(sep).join('/');

function mtimeOf(rel) {
  try {
    return statSync(join(ROOT, rel)).mtimeMs;
  } catch {
    return -1;
  }
}

/** Why dist-main must be built, or undefined when it is current. Reads only build.json and stats files. */
export function staleReason() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'));
  } catch {
    return 'dist-main is missing';
  }
  for (const [rel, mtime] of Object.entries(manifest.inputs ?? {})) {
    if (mtimeOf(rel) !== mtime) return `${rel} changed`;
  }
  for (const rel of manifest.outputs ?? []) {
    if (!existsSync(join(OUT_DIR, rel))) return `dist-main/${rel} is missing`;
  }
  return manifest.inputs && manifest.outputs ? undefined : 'dist-main/build.json is incomplete';
}

function writeAtomically(file, contents) {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, contents);
  renameSync(temp, file);
}

function removeOldChunks(current) {
  const dir = join(OUT_DIR, 'chunks');
  if (!existsSync(dir)) return;
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (current.has(`chunks/${name}`)) continue;
    try {
      if (now - statSync(file).mtimeMs > OLD_CHUNK_MS) unlinkSync(file);
    } catch {
      // another build removed it first
    }
  }
}

class EsbuildMissing extends Error {}

async function importEsbuild() {
  try {
    return await import('esbuild');
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new EsbuildMissing('esbuild is not installed (a dev dependency): run `npm install` in the app folder');
  }
}

/** Builds dist-main. Throws with esbuild's messages (file:line) when a source does not parse. */
export async function buildMain() {
  const started = Date.now();
  const inputsBefore = Object.fromEntries([...CONFIG_INPUTS, ...Object.values(COPIES)].map((rel) => [rel, mtimeOf(rel)]));
  const { build } = await importEsbuild();
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ENTRIES,
    outdir: OUT_DIR,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    plugins: [bundlePackages, relayFrontDoorDirect],
    sourcemap: 'linked',
    sourcesContent: false,
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const outputs = [];
  for (const file of result.outputFiles) {
    // src-main/config/paths.ts finds the app's root two folders above the file it is compiled into.
    if (relative(OUT_DIR, file.path).split(sep).length !== 2) throw new Error(`${file.path} is not two folders below the app's root`);
    writeAtomically(file.path, file.contents);
    outputs.push(toPosix(relative(OUT_DIR, file.path)));
  }
  for (const [out, source] of Object.entries(COPIES)) {
    writeAtomically(join(OUT_DIR, out), readFileSync(join(ROOT, source)));
    outputs.push(out);
  }
  // A source saved while esbuild ran may or may not be in this build: it is recorded as unknown (-2), so the
  // next check rebuilds.
  const inputs = { ...inputsBefore };
  for (const rel of Object.keys(result.metafile.inputs)) {
    const mtime = mtimeOf(rel);
    inputs[toPosix(rel)] = mtime >= started ? -2 : mtime;
  }
  for (const [rel, before] of Object.entries(inputsBefore)) {
    if (mtimeOf(rel) !== before) inputs[rel] = -2;
  }
  writeAtomically(MANIFEST, `${JSON.stringify({ esbuild: (await importEsbuild()).version, inputs, outputs }, null, 1)}\n`);
  removeOldChunks(new Set(outputs));
  return { outputs, ms: Date.now() - started };
}

/** Builds when staleReason() says so; quiet when dist-main is current. Returns whether it built. */
export async function ensureMainBuilt({ log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  const reason = staleReason();
  if (!reason) return false;
  log(`castbridge: compiling the host into dist-main (${reason})…`);
  try {
    await buildMain();
  } catch (err) {
    // Installed without dev dependencies (e.g. from a registry, where file times are not kept): the
    // dist-main that came with it runs.
    if (!(err instanceof EsbuildMissing) || !existsSync(join(OUT_DIR, 'node', 'cli.js'))) throw err;
    log(`castbridge: ${err.message}; running the dist-main that is there`);
    return false;
  }
  return true;
}

function describeFailure(err) {
  if (Array.isArray(err?.errors) && err.errors.length) {
    return err.errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : e.text)).join('\n');
  }
  return err instanceof Error ? err.message : String(err);
}

/** For callers that cannot go on without a build: prints what failed to parse and exits 1. */
export async function ensureMainBuiltOrExit(options) {
  try {
    await ensureMainBuilt(options);
  } catch (err) {
    process.stderr.write(`castbridge: compiling the host failed:\n${describeFailure(err)}\n`);
    process.exit(1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--if-stale')) {
    await ensureMainBuiltOrExit();
  } else {
    try {
      const { outputs, ms } = await buildMain();
      process.stdout.write(`dist-main: ${outputs.filter((o) => o.endsWith('.js') || o.endsWith('.cjs')).length} files in ${ms} ms\n`);
    } catch (err) {
      process.stderr.write(`compiling the host failed:\n${describeFailure(err)}\n`);
      process.exitCode = 1;
    }
  }
}
