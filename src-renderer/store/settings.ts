// The Settings panel: every setting from GET /api/settings with its explanation, edited as drafts,
// validated here before PUT /api/settings (which validates again and answers a refusal with the key as a field).
import { checkRtmpUrlSyntax } from '../../src-contract/rtmp-url.js';
import { ApiError } from '../services/api.js';
import type { StudioServices } from '../services/index.js';
import type { SettingItem } from '../services/types.js';
import { messageOf, patch, type GetStudio, type SetStudio, type StudioState } from './types.js';

export type { SettingItem };

export interface Bounds {
  min?: number | undefined;
  max?: number | undefined;
}

function outOfBounds(n: number, bounds: Bounds): boolean {
  return (bounds.min !== undefined && n < bounds.min) || (bounds.max !== undefined && n > bounds.max);
}

function range(bounds: Bounds): string {
  return `from ${bounds.min ?? '…'} to ${bounds.max ?? '…'}`;
}

/** Kinds for which an emptied field means "back to the default" (for a string, empty is a value: no prefix). */
const EMPTY_MEANS_DEFAULT = new Set(['boolean', 'integer', 'port', 'address']);

export interface SettingsSlice {
  items: SettingItem[];
  file: string | undefined;
  drafts: Record<string, string>;
  errors: Record<string, string>;
  saving: boolean;
  /** Outcome of the last save, in plain words. */
  notice: string | undefined;
  load(items: SettingItem[], file: string | undefined): void;
  edit(key: string, value: string): void;
  setSaving(saving: boolean, notice?: string): void;
  setServerError(key: string | undefined, message: string): void;
  /** Reads every setting from the host. */
  fetch(): Promise<void>;
  /** Sends the changed values; a refusal marks the key the host names. */
  save(): Promise<void>;
}

const MAX_PORT = 65535;

/** Validates a value by the conventions of its key (DESIGN.md §6) and the bounds the host declares for it;
 *  returns the message, or undefined. */
export function validateSetting(key: string, value: string, bounds: Bounds = {}): string | undefined {
  const v = value.trim();
  if (v === '') return undefined; // empty = use the default
  if (key.endsWith('_port')) {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n > MAX_PORT) return `${key} must be a port number from 0 to ${MAX_PORT}, got "${v}"`;
    return undefined;
  }
  if (key.endsWith('_ms')) {
    if (!/^\d+$/.test(v)) return `${key} must be a whole number of milliseconds, got "${v}"`;
    if (outOfBounds(Number(v), bounds)) return `${key} must be ${range(bounds)} milliseconds, got ${v}`;
    return undefined;
  }
  if (/(_enabled|_full_url|_auto_start)$/.test(key)) {
    if (v !== 'true' && v !== 'false') return `${key} must be true or false, got "${v}"`;
    return undefined;
  }
  if (key.endsWith('_url')) {
    if (!checkRtmpUrlSyntax(v, key).ok) return `${key} must be an rtmp:// or rtmps:// URL, got "${v}"`;
    return undefined;
  }
  if (key.endsWith('_address')) {
    if (!/^[\w.:[\]-]+$/.test(v)) return `${key} must be an IP address or host name, got "${v}"`;
    return undefined;
  }
  if (bounds.min !== undefined || bounds.max !== undefined) {
    if (!/^-?\d+$/.test(v) || outOfBounds(Number(v), bounds)) return `${key} must be a whole number ${range(bounds)}, got "${v}"`;
    return undefined;
  }
  if (key === 'rtmp_transponder_stream_name_prefix' && /[\s/?#]/.test(v)) {
    return `${key} must not contain spaces, "/", "?" or "#", got "${v}"`;
  }
  return undefined;
}

export function createSettingsSlice(set: SetStudio, get: GetStudio, services: StudioServices): SettingsSlice {
  const update = (fn: (s: SettingsSlice) => Partial<SettingsSlice>): void => patch(set, 'settings', fn);

  async function fetchAll(): Promise<void> {
    try {
      const body = await services.api.settings();
      get().settings.load(body.settings, body.file);
    } catch (error) {
      get().settings.setServerError(undefined, `Settings could not be loaded: ${messageOf(error)}`);
    }
  }

  async function save(): Promise<void> {
    const changes = settingsSelectors.changes(get());
    const needRestart = Object.keys(changes).filter((k) => get().settings.items.find((i) => i.key === k)?.restart);
    get().settings.setSaving(true);
    try {
      const body = await services.api.saveSettings(changes);
      get().settings.load(body.settings, body.file);
      get().settings.setSaving(false, needRestart.length ? `Saved. Restart Castbridge for ${needRestart.join(', ')} to take effect.` : 'Saved.');
    } catch (error) {
      get().settings.setServerError(error instanceof ApiError ? error.key : undefined, messageOf(error));
    }
  }

  return {
    items: [],
    file: undefined,
    drafts: {},
    errors: {},
    saving: false,
    notice: undefined,
    load: (items, file) =>
      update(() => ({ items, file, drafts: {}, errors: Object.fromEntries(items.filter((i) => i.error).map((i) => [i.key, i.error as string])) })),
    edit: (key, value) =>
      update((s) => {
        const errors = { ...s.errors };
        const item = s.items.find((i) => i.key === key);
        const problem = validateSetting(key, value, { min: item?.min, max: item?.max });
        if (problem) errors[key] = problem;
        else delete errors[key];
        return { drafts: { ...s.drafts, [key]: value }, errors, notice: undefined };
      }),
    setSaving: (saving, notice) => update(() => ({ saving, notice })),
    setServerError: (key, message) =>
      update((s) => ({ saving: false, notice: message, errors: key ? { ...s.errors, [key]: message } : s.errors })),
    fetch: fetchAll,
    save,
  };
}

export const settingsSelectors = {
  /** Changed values only, ready for PUT /api/settings; an emptied number, port, address or true/false field is
   *  `null` (the host resets it to its default) rather than "" (which the host refuses for those kinds). */
  changes: (s: StudioState): Record<string, string | null> => {
    const changes: Record<string, string | null> = {};
    for (const [key, value] of Object.entries(s.settings.drafts)) {
      const item = s.settings.items.find((i) => i.key === key);
      if (item?.value === value) continue;
      changes[key] = value.trim() === '' && item?.type !== undefined && EMPTY_MEANS_DEFAULT.has(item.type) ? null : value;
    }
    return changes;
  },
  canSave: (s: StudioState) =>
    !s.settings.saving && Object.keys(s.settings.drafts).length > 0 && Object.keys(s.settings.drafts).every((k) => !s.settings.errors[k]),
  valueOf: (key: string) => (s: StudioState) => s.settings.drafts[key] ?? s.settings.items.find((i) => i.key === key)?.value ?? '',
};
