// Where the studio goes live: saved targets (GET/PUT /api/targets), which ones are selected, and the
// built-in local target.
import type { StudioServices } from '../services/index.js';
import { LOCAL_TARGET_ID, localTarget, presetFor, type Target, type TargetKind } from './presets.js';
import { messageOf, patch, type GetStudio, type SetStudio, type StudioState } from './types.js';

export interface TargetsSlice {
  list: Target[];
  selectedIds: string[];
  localRtmpUrl: string | undefined;
  loaded: boolean;
  /** Save or load problem, in plain words. */
  error: string | undefined;
  /** How keys are protected at rest, and a warning when they are not really (Electron's basic_text). */
  secrets: { kind: string; warning?: string } | undefined;
  /** Targets came from the host (the local target is added if missing and selected on first load). */
  load(saved: Target[], localRtmpUrl: string | undefined): void;
  upsert(target: Target): void;
  remove(id: string): void;
  toggle(id: string, selected: boolean): void;
  setError(error: string | undefined): void;
  setSecrets(secrets: { kind: string; warning?: string }): void;
  /** Reads the saved targets from the host. */
  fetch(): Promise<void>;
  /** Adds or changes a target and saves the list on the host. */
  save(target: Target): Promise<void>;
  /** Removes a target and saves the list on the host. */
  delete(id: string): Promise<void>;
}

let counter = 0;
export function newTarget(kind: TargetKind): Target {
  const preset = presetFor(kind);
  counter += 1;
  return { id: `t${Date.now().toString(36)}${counter}`, name: preset?.label ?? 'Target', kind, rtmpUrl: preset?.rtmpUrl ?? 'rtmp://', streamKey: '' };
}

export function createTargetsSlice(set: SetStudio, get: GetStudio, services: StudioServices): TargetsSlice {
  const update = (fn: (s: TargetsSlice) => Partial<TargetsSlice>): void => patch(set, 'targets', fn);

  async function fetchSaved(): Promise<void> {
    const localRtmpUrl = get().host.info?.localRtmpUrl ?? undefined;
    try {
      get().targets.load(await services.api.targets(), localRtmpUrl);
    } catch (error) {
      get().targets.load([], localRtmpUrl);
      get().targets.setError(`Saved targets could not be loaded: ${messageOf(error)}`);
    }
  }

  async function persist(): Promise<void> {
    try {
      await services.api.saveTargets(targetsSelectors.saved(get()));
      get().targets.setError(undefined);
    } catch (error) {
      get().targets.setError(`Targets could not be saved: ${messageOf(error)}`);
    }
  }

  return {
    list: [],
    selectedIds: [],
    localRtmpUrl: undefined,
    loaded: false,
    error: undefined,
    secrets: undefined,
    load: (saved, localRtmpUrl) =>
      update((s) => {
        const others = saved.filter((t) => t.id !== LOCAL_TARGET_ID && t.kind !== 'local');
        const list = localRtmpUrl ? [localTarget(localRtmpUrl), ...others] : others;
        const ids = new Set(list.map((t) => t.id));
        const kept = s.selectedIds.filter((id) => ids.has(id));
        const selectedIds = !s.loaded && kept.length === 0 && localRtmpUrl ? [LOCAL_TARGET_ID] : kept;
        return { list, selectedIds, localRtmpUrl, loaded: true, error: undefined };
      }),
    upsert: (target) =>
      update((s) => {
        const exists = s.list.some((t) => t.id === target.id);
        return { list: exists ? s.list.map((t) => (t.id === target.id ? target : t)) : [...s.list, target] };
      }),
    remove: (id) =>
      update((s) => (id === LOCAL_TARGET_ID ? {} : { list: s.list.filter((t) => t.id !== id), selectedIds: s.selectedIds.filter((x) => x !== id) })),
    toggle: (id, selected) =>
      update((s) => ({ selectedIds: selected ? [...new Set([...s.selectedIds, id])] : s.selectedIds.filter((x) => x !== id) })),
    setError: (error) => update(() => ({ error })),
    setSecrets: (secrets) => update(() => ({ secrets })),
    fetch: fetchSaved,
    save: async (target) => {
      get().targets.upsert(target);
      await persist();
    },
    delete: async (id) => {
      get().targets.remove(id);
      await persist();
    },
  };
}

export const targetsSelectors = {
  selected: (s: StudioState) => s.targets.list.filter((t) => s.targets.selectedIds.includes(t.id)),
  /** What is saved on the host: everything but the built-in local target. */
  saved: (s: StudioState) => s.targets.list.filter((t) => t.kind !== 'local'),
  keys: (s: StudioState) => s.targets.list.map((t) => t.streamKey).filter((k) => k !== ''),
};
