// The werift version the run-time patches (werift-srtp-patch.ts, werift-dtls-patch.ts) were written against.
// Each patch replaces methods whose source it has read; on any other werift it must refuse, not guess.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const PATCHED_WERIFT_VERSIONS = ['0.24.4'] as const;

/** The installed werift's version, from the nearest package.json named werift above its entry point. */
function weriftVersion(): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve('werift'));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'werift') return pkg.version ?? 'unknown';
    } catch {
      // not this directory
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}

/** Why `patchFile` must not be applied to the installed werift, or undefined when it may. */
export function weriftVersionMismatch(patchFile: string): string | undefined {
  const version = weriftVersion();
  if ((PATCHED_WERIFT_VERSIONS as readonly string[]).includes(version)) return undefined;
  return `written for werift ${PATCHED_WERIFT_VERSIONS.join(', ')}, found ${version}: check ${patchFile} against its source and add the version`;
}
