// The program version: the one place it is read, from our package.json (name "castbridge"), found by walking
// up from this module, which works from the source tree, the compiled dist-main and a packaged asar. The
// host's info, the CLI, the RTMP connect's flashVer and the onMetaData `encoder` field all say this.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folders walked up before giving up (src-relay/ and dist-main/chunks/ are one and two below the root). */
const MAX_LEVELS = 6;
const UNKNOWN = '0.0.0';

let cached: string | undefined;

export function appVersion(): string {
  cached ??= readVersion();
  return cached;
}

function readVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < MAX_LEVELS; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
        if (pkg.name === 'castbridge' && typeof pkg.version === 'string') return pkg.version;
      } catch {
        // not ours or unreadable: keep walking
      }
    }
    dir = dirname(dir);
  }
  return UNKNOWN;
}
