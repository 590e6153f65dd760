// electron-builder.yml is checked against electron-builder's own JSON schema (its binary cannot be
// downloaded here, so the config is validated instead of built), every file it names must exist, and its
// file patterns pack the compiled host (dist-main) and the built studio but no TypeScript source.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { ensureMainBuilt } from '../../scripts/build-main.js';

const require = createRequire(import.meta.url);
// js-yaml comes with electron-builder (it reads its config with it) and ships no types; so does minimatch,
// which electron-builder matches its `files` patterns with.
const { load } = require('js-yaml') as { load(text: string): unknown };
const { minimatch } = require('minimatch') as { minimatch(path: string, pattern: string, options?: { dot?: boolean }): boolean };
const ROOT = join(import.meta.dirname, '..', '..');
const config = load(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as Record<string, unknown> & {
  mac: { target: Array<{ target: string; arch: string[] }>; entitlements: string; entitlementsInherit: string; hardenedRuntime: boolean; extendInfo: Record<string, string>; icon: string };
  win: { target: Array<{ target: string }>; icon: string };
  linux: { target: string[]; icon: string };
  asarUnpack: string[];
  files: string[];
  extraMetadata?: { main?: string };
  icon: string;
};
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string; dependencies: Record<string, string> };

/** Whether electron-builder packs the app file at `path` (relative, '/'-separated): a pattern takes it, no '!' pattern drops it. */
function packed(path: string): boolean {
  const positive = config.files.filter((p) => !p.startsWith('!'));
  const negative = config.files.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  return positive.some((p) => minimatch(path, p, { dot: true })) && !negative.some((p) => minimatch(path, p, { dot: true }));
}

/** Every file of the working tree outside node_modules, .git and build output of other tools. */
function treeFiles(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (['node_modules', '.git', 'release', 'test-output'].includes(entry.name)) return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? treeFiles(path) : [relative(ROOT, path).split(sep).join('/')];
  });
}

/** The files a compiled module loads before it runs: itself and, transitively, its static imports (not import()). */
function staticImportGraph(entry: string): string[] {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s*(?:[^'"();]*?\sfrom\s*)?["'](\.[^"']+)["']/gm)) {
      todo.push(join(dirname(file), match[1]!));
    }
  }
  return [...seen];
}

describe('the compiled CLI', () => {
  test('`castbridge push` loads at start the publisher, not the transponders or WebRTC ingest', async () => {
    await ensureMainBuilt();
    const files = staticImportGraph(join(ROOT, 'dist-main', 'node', 'cli.js'));
    assert.ok(files.length >= 2, `cli.js imports its chunks: ${files.join(', ')}`);
    const code = files.map((file) => readFileSync(file, 'utf8')).join('\n');
    // esbuild marks where each source begins with a `// path` comment.
    const sources = new Set([...code.matchAll(/^\/\/ (src-[\w-]+\/[\w/.-]+\.ts)$/gm)].map((m) => m[1]));
    assert.ok(sources.has('src-relay/rtmp/publisher.ts') && sources.has('src-relay/flv/file.ts'), [...sources].join(', '));
    assert.deepEqual([...sources].filter((s) => /^src-relay\/(transponder|webrtc)\//.test(s) || s === 'src-relay/streams.ts'), [], 'relay modules push does not use');
    assert.doesNotMatch(code, /\b(class|var) (TransponderManager|WebRtcIngest)\b/);
    assert.ok(code.length < 140_000, `push's static code is ${code.length} bytes`);
  });
});

describe('electron-builder.yml', () => {
  test('is valid against electron-builder\'s schema', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
    const validate = ajv.compile(schema);
    assert.equal(validate(config), true, JSON.stringify(validate.errors, null, 2));
  });

  test('targets nsis, dmg for x64 and arm64, AppImage and deb', () => {
    assert.deepEqual(config.win.target.map((t) => t.target), ['nsis']);
    assert.deepEqual(config.mac.target, [{ target: 'dmg', arch: ['x64', 'arm64'] }]);
    assert.deepEqual(config.linux.target, ['AppImage', 'deb']);
  });

  test('macOS asks for the camera and microphone under the hardened runtime', () => {
    assert.equal(config.mac.hardenedRuntime, true);
    assert.ok(config.mac.extendInfo.NSCameraUsageDescription);
    assert.ok(config.mac.extendInfo.NSMicrophoneUsageDescription);
    for (const file of [config.mac.entitlements, config.mac.entitlementsInherit]) {
      const plist = readFileSync(join(ROOT, file), 'utf8');
      assert.match(plist, /com\.apple\.security\.device\.camera<\/key>\s*<true\/>/, file);
      assert.match(plist, /com\.apple\.security\.device\.audio-input<\/key>\s*<true\/>/, file);
    }
  });

  test('the relay\'s ffmpeg is unpacked from the asar', () => {
    assert.ok(config.asarUnpack.includes('node_modules/@ffmpeg-installer/**'));
    assert.ok(existsSync(join(ROOT, 'node_modules', '@ffmpeg-installer')));
  });

  test('packs the compiled host and the built studio, with source maps, and no TypeScript source', async () => {
    await ensureMainBuilt();
    assert.ok(config.files.includes('dist-main/**/*'), 'dist-main is packed');
    assert.ok(config.files.includes('dist/renderer/**/*'), 'the built studio is packed');
    assert.ok(config.files.includes('!src-*/**/*.ts'), 'TypeScript sources are excluded');
    assert.equal(config.extraMetadata?.main, undefined, 'the app starts at package.json "main"');
    assert.match(pkg.main, /^dist-main\/electron\/main\.js$/);
    const { outputs } = JSON.parse(readFileSync(join(ROOT, 'dist-main', 'build.json'), 'utf8')) as { outputs: string[] };
    assert.ok(outputs.includes('electron/main.js') && outputs.includes('electron/app.js') && outputs.includes('electron/preload.cjs'), outputs.join(', '));
    for (const out of outputs) assert.ok(packed(`dist-main/${out}`), `dist-main/${out} is packed`);
    assert.ok(outputs.some((out) => out.endsWith('.js.map')), 'source maps are built');
    for (const file of ['package.json', 'dist/renderer/index.html', 'dist/renderer/assets/index.js', 'assets/icons/tray.png', 'assets/media/test.wav']) {
      assert.ok(packed(file), `${file} is packed`);
    }
    const tree = treeFiles();
    const sources = tree.filter((file) => /\.(m|c)?ts$/.test(file) && !file.endsWith('.d.ts'));
    assert.ok(sources.includes('src-main/host.ts') && sources.includes('src-relay/transponder/transponder.ts'), 'the walk sees the sources');
    assert.deepEqual(sources.filter(packed), [], 'no TypeScript source is packed');
    for (const file of ['bin/castbridge.js', 'src-main/electron/boot.mjs', 'scripts/build-main.js', 'test/unit/packaging.test.ts', 'dist-main/build.json']) {
      assert.equal(packed(file), false, `${file} is not packed`);
    }
  });

  test('no compiler or bundler is a run-time dependency (electron-builder packs those into the app)', () => {
    for (const tool of ['tsx', 'typescript', 'esbuild', 'vite']) assert.equal(pkg.dependencies[tool], undefined, tool);
  });

  test('every file it names exists, and the icon is a 512x512 PNG', async () => {
    await ensureMainBuilt();
    const files = [config.icon, config.mac.icon, config.win.icon, config.linux.icon, config.mac.entitlements, config.mac.entitlementsInherit, pkg.main, 'assets/icons/tray.png', 'dist-main/electron/preload.cjs'];
    for (const file of files) assert.ok(existsSync(join(ROOT, file)), `${file} is missing`);
    const png = readFileSync(join(ROOT, config.icon));
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.equal(png.readUInt32BE(16), 512, 'width');
    assert.equal(png.readUInt32BE(20), 512, 'height');
  });
});
