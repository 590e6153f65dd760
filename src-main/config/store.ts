// The settings in effect: `castbridge.properties` in the data folder (created with commented defaults on
// first run), then the one-run `--set key=value` overrides on top. Unknown keys and bad values are reported
// with their key and line and replaced by defaults: the host always starts. A key with `unsetInFile` (the
// name prefix) is written live on first run and means `unsetInFile` when the file does not set it.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { editProperties, parseProperties } from './properties.js';
import {
  SETTING_KEYS,
  SETTING_SPECS,
  defaultSettings,
  fileBaseSettings,
  formatSettingValue,
  isSettingKey,
  boundsOf,
  parseSettingValue,
  specOf,
  type SettingKey,
  type Settings,
} from './settings.js';

export const SETTINGS_FILE_NAME = 'castbridge.properties';

export interface SettingIssue {
  source: 'file' | 'override';
  key?: string;
  line?: number;
  message: string;
}

/** A setting as /api/settings shows it. */
export interface SettingView {
  key: SettingKey;
  value: string;
  default: string;
  description: string;
  type: string;
  restart: boolean;
  overridden: boolean;
  /** Inclusive bounds of a number (integer or port). */
  min?: number;
  max?: number;
  error?: string;
}

/** A refused PUT: names the key. */
export class SettingsError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

const SECRET_MASK = '********';

export function settingsTemplate(): string {
  const lines = [
    '# Castbridge settings. One key=value a line; # starts a comment. Lines starting with # are defaults.',
    '# Changes made in the studio keep these comments. Keys marked (restart) apply after a restart.',
    '# The name prefix line is live: comment it out or empty it and transponders publish without a prefix.',
    '',
  ];
  for (const key of SETTING_KEYS) {
    const spec = specOf(key);
    const live = spec.unsetInFile !== undefined; // its default only holds while the line is there
    lines.push(`# ${spec.description}${spec.restart ? ' (restart)' : ''}`, `${live ? '' : '#'}${key}=${spec.default}`, '');
  }
  return lines.join('\n');
}

export class SettingsStore {
  values: Settings = defaultSettings();
  issues: SettingIssue[] = [];
  private overrides: Map<SettingKey, string> = new Map();
  private fileErrors = new Map<SettingKey, string>();

  private constructor(
    readonly file: string,
    private readonly rawOverrides: Record<string, string>,
  ) {}

  /** Reads (or creates) the settings file of `dataDir` and applies the overrides. */
  static open(dataDir: string, overrides: Record<string, string> = {}): SettingsStore {
    const file = join(dataDir, SETTINGS_FILE_NAME);
    if (!existsSync(file)) writeFileSync(file, settingsTemplate(), { mode: 0o600 });
    const store = new SettingsStore(file, { ...overrides });
    store.reload();
    return store;
  }

  /** Re-reads the file; overrides stay on top. */
  reload(): void {
    const values = fileBaseSettings() as Record<SettingKey, unknown>;
    const issues: SettingIssue[] = [];
    this.fileErrors.clear();
    const parsed = parseProperties(readFileSync(this.file, 'utf8'));
    for (const p of parsed.problems) issues.push({ source: 'file', line: p.line, message: `${this.file}: ${p.message}` });
    for (const entry of parsed.entries) {
      if (!isSettingKey(entry.key)) {
        issues.push({ source: 'file', key: entry.key, line: entry.line, message: `${this.file} line ${entry.line}: unknown setting "${entry.key}" (ignored)` });
        continue;
      }
      const result = parseSettingValue(entry.key, entry.value);
      if (result.ok) values[entry.key] = result.value;
      else {
        const message = `${this.file} line ${entry.line}: ${result.error}; using the default "${SETTING_SPECS[entry.key].default}"`;
        values[entry.key] = defaultSettings()[entry.key];
        issues.push({ source: 'file', key: entry.key, line: entry.line, message });
        this.fileErrors.set(entry.key, result.error);
      }
    }
    this.overrides = new Map();
    for (const [key, text] of Object.entries(this.rawOverrides)) {
      if (!isSettingKey(key)) {
        issues.push({ source: 'override', key, message: `--set ${key}: unknown setting (ignored)` });
        continue;
      }
      const result = parseSettingValue(key, text);
      if (!result.ok) {
        issues.push({ source: 'override', key, message: `--set ${key}: ${result.error} (ignored)` });
        continue;
      }
      values[key] = result.value;
      this.overrides.set(key, text);
    }
    this.values = values as Settings;
    this.issues = issues;
  }

  list(): SettingView[] {
    return SETTING_KEYS.map((key) => {
      const spec = specOf(key);
      const text = formatSettingValue(this.values[key]);
      const view: SettingView = {
        key,
        value: spec.secret && text !== '' ? SECRET_MASK : text,
        default: spec.default,
        description: spec.description,
        type: spec.type,
        restart: spec.restart === true,
        overridden: this.overrides.has(key),
      };
      const bounds = boundsOf(key);
      if (bounds) Object.assign(view, bounds);
      const error = this.fileErrors.get(key);
      if (error !== undefined) view.error = error;
      return view;
    });
  }

  /**
   * Validates every change first (nothing is written when one is bad), then edits the file in place and
   * reloads. A change drops the one-run override of its key. `null` resets a key to its default.
   */
  update(changes: Record<string, unknown>): void {
    const edits = new Map<string, string | undefined>();
    for (const [key, raw] of Object.entries(changes)) {
      if (!isSettingKey(key)) throw new SettingsError(key, `unknown setting "${key}"`);
      if (raw === null) {
        // Back to the default: a key whose absence means something else keeps its default as a live line.
        const spec = specOf(key);
        edits.set(key, spec.unsetInFile === undefined ? undefined : spec.default);
        continue;
      }
      const text = textOf(key, raw);
      if (specOf(key).secret && text === SECRET_MASK) continue;
      const result = parseSettingValue(key, text);
      if (!result.ok) throw new SettingsError(key, result.error);
      edits.set(key, formatSettingValue(result.value));
    }
    const next = editProperties(readFileSync(this.file, 'utf8'), edits);
    const temp = `${this.file}.tmp`;
    writeFileSync(temp, next, { mode: 0o600 });
    renameSync(temp, this.file);
    for (const key of edits.keys()) delete this.rawOverrides[key];
    this.reload();
  }
}

function textOf(key: string, raw: unknown): string {
  if (typeof raw === 'string') {
    if (/[\r\n]/.test(raw)) throw new SettingsError(key, `${key} must be a single line`);
    return raw;
  }
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  if (Array.isArray(raw) && raw.every((h) => typeof h === 'string')) return raw.join(',');
  throw new SettingsError(key, `${key} must be a string, number or boolean, got ${Array.isArray(raw) ? 'array' : typeof raw}`);
}
