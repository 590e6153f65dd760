// The studio's layers (CONVENTIONS.md, zustand slices): store actions call the services, the services know
// nothing of the store or the components. This reads the import graph from src-renderer/services and fails
// if any file it reaches, directly or through another renderer module (the SDK), is in store/ or
// components/: such an import closes a circle through the whole store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const RENDERER = resolve(import.meta.dirname, '..', '..', '..', 'src-renderer');
const FORBIDDEN = ['store', 'components'].map((d) => join(RENDERER, d));

/** Relative module specifiers of a file: static imports and re-exports (type-only too) and dynamic import(). */
function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/(?:^|[\s;])(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec?.startsWith('.')) found.push(spec);
  }
  return found;
}

/** The file a relative specifier names (the sources import `./x.js` for `./x.ts` or `./x.tsx`). */
function resolveFile(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  const stem = base.replace(/\.js$/, '');
  for (const candidate of [base, `${stem}.ts`, `${stem}.tsx`, join(base, 'index.ts')]) if (existsSync(candidate) && candidate.match(/\.tsx?$/)) return candidate;
  return undefined;
}

test('src-renderer/services reaches nothing in store/ or components/, directly or through the SDK', () => {
  const start = readdirSync(join(RENDERER, 'services')).filter((f) => /\.tsx?$/.test(f)).map((f) => join(RENDERER, 'services', f));
  assert.ok(start.length >= 5, `read the services: ${start.length}`);
  const seen = new Map<string, string>(start.map((f) => [f, 'services']));
  const queue = [...start];
  const bad: string[] = [];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      const target = resolveFile(file, spec);
      if (!target || !target.startsWith(RENDERER) || seen.has(target)) continue;
      seen.set(target, file);
      if (FORBIDDEN.some((d) => target.startsWith(`${d}/`))) bad.push(`${relative(RENDERER, file)} imports ${relative(RENDERER, target)}`);
      else queue.push(target);
    }
  }
  assert.deepEqual(bad, []);
  assert.ok([...seen.keys()].some((f) => f.includes(`${join('src-renderer', 'sdk')}`)), 'the walk follows the services into the SDK');
});

test('the walk sees an import of the store: the old SettingItem import would be caught', () => {
  const old = "import type { SettingItem } from '../store/settings.js';\nexport { x } from './y.js';\nconst m = await import('../store/hooks.js');";
  const specs = specifiers(old);
  assert.deepEqual(specs, ['../store/settings.js', './y.js', '../store/hooks.js']);
  const target = resolveFile(join(RENDERER, 'services', 'api.ts'), specs[0]!);
  assert.equal(target, join(RENDERER, 'store', 'settings.ts'));
});
