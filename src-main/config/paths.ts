// Where the user's data lives (docs/DESIGN.md §2): `--data-dir`, else the platform's app-data folder, the same
// folder Electron's `userData` points to for an app named Castbridge.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const APP_NAME = 'Castbridge';

/** The platform's app-data folder for Castbridge. */
export function defaultDataDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  const home = homedir();
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), APP_NAME);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', APP_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), APP_NAME);
}

/** The repository (or packaged app) root: two levels above this file, as above the dist-main/<dir>/<file>.js it compiles into. */
export const APP_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The sound that ships with the app (H4 makes it). */
export const BUNDLED_TEST_WAV = join(APP_ROOT, 'assets', 'media', 'test.wav');

export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** The media folder: the `media_dir` setting (relative to the data folder), else `<data>/media`. */
export function mediaDirOf(dataDir: string, setting: string): string {
  if (setting === '') return join(dataDir, 'media');
  return isAbsolute(setting) ? setting : resolve(dataDir, setting);
}

/** Creates the media folder and seeds it with test.wav when that file is missing. */
export function prepareMediaDir(mediaDir: string): void {
  ensureDir(mediaDir);
  const target = join(mediaDir, 'test.wav');
  if (!existsSync(target) && existsSync(BUNDLED_TEST_WAV)) copyFileSync(BUNDLED_TEST_WAV, target);
}
