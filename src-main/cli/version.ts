// The program version, from our package.json (the repository or packaged app root).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_ROOT } from '../config/paths.js';

let cached: string | undefined;

export function packageVersion(): string {
  if (cached !== undefined) return cached;
  try {
    const pkg = JSON.parse(readFileSync(join(APP_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
    cached = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    cached = '0.0.0';
  }
  return cached;
}
