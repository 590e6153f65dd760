// Which ffmpeg the relay runs (AAC and Speex encoders). Order: $CASTBRIDGE_FFMPEG, then the platform binary
// of the npm package @ffmpeg-installer/ffmpeg (what the packaged app ships), then `ffmpeg` on PATH.
// The packaged static build comes before a newer system ffmpeg on purpose: with the same encoder options
// (`-aac_coder fast`) both spend the same CPU per minute of AAC, while a distribution's dynamically linked
// ffmpeg costs ~0.1 CPU s and ~200 ms more to start and 4× the memory (53 MB against 13 MB resident);
// docs/BENCHMARKS.md, "Audio encode/decode".
// In a packaged Electron app the package sits inside app.asar, which a child process cannot execute from:
// electron-builder unpacks it to app.asar.unpacked (asarUnpack), so the path is rewritten to point there.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ASAR = /([\\/])app\.asar([\\/])/;
const PROBE_TIMEOUT_MS = 10_000;

/** The last answer, with the $CASTBRIDGE_FFMPEG it was found under (re-probed when that changes). */
let cached: { env: string | undefined; path: string } | undefined;

/** Rewrites `…/app.asar/…` to `…/app.asar.unpacked/…` (a binary cannot be spawned from inside an asar). */
export function unpackedAsarPath(path: string): string {
  return path.replace(ASAR, '$1app.asar.unpacked$2');
}

function runs(path: string): boolean {
  const probe = spawnSync(path, ['-hide_banner', '-version'], { timeout: PROBE_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'ignore'] });
  return probe.status === 0 && probe.stdout.toString().startsWith('ffmpeg version');
}

function packagedFfmpeg(): string | undefined {
  try {
    const installer = require('@ffmpeg-installer/ffmpeg') as { path?: unknown };
    return typeof installer.path === 'string' ? unpackedAsarPath(installer.path) : undefined;
  } catch {
    return undefined; // package or platform binary missing: fall through to PATH
  }
}

export function findFfmpeg(): string {
  const fromEnv = process.env.CASTBRIDGE_FFMPEG || undefined;
  if (cached && cached.env === fromEnv) return cached.path;
  const path = probeFfmpeg(fromEnv);
  cached = { env: fromEnv, path };
  return path;
}

function probeFfmpeg(fromEnv: string | undefined): string {
  const tried: string[] = [];
  if (fromEnv) {
    // An explicit choice that does not work is an error, not a reason to silently run another ffmpeg.
    if (!runs(fromEnv)) {
      throw new Error(`CASTBRIDGE_FFMPEG=${fromEnv} is not a working ffmpeg (ffmpeg -version failed)`);
    }
    return fromEnv;
  }
  const packaged = packagedFfmpeg();
  if (packaged) {
    if (existsSync(packaged) && runs(packaged)) return packaged;
    tried.push(packaged);
  } else {
    tried.push('@ffmpeg-installer/ffmpeg (not installed for this platform)');
  }
  if (runs('ffmpeg')) return 'ffmpeg';
  tried.push('ffmpeg on PATH');
  throw new Error(`no working ffmpeg found; tried ${tried.join(', ')}. Set CASTBRIDGE_FFMPEG to an ffmpeg binary`);
}
