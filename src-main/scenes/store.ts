// The saved scenes (`/api/scenes`): `<data folder>/scenes.json`, `{ "active": name | null, "scenes": [...] }`
// in the order the studio lists them. Read once at start; every change is written whole to a temporary
// file renamed over the old one, so a crash leaves either the old file or the new one. A first run starts
// with the ready-made layouts (src-contract/scene-templates.ts), "Camera" active.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Log } from '../../src-relay/index.js';
import { defaultScenes } from '../../src-contract/scene-templates.js';
import type { Scene, ScenesList } from '../../src-contract/scenes.js';
import { checkScene, SceneError } from './validate.js';

export const SCENES_FILE_NAME = 'scenes.json';
/** Where a scenes file that does not parse is kept, so a save does not silently replace the user's data. */
export const DAMAGED_SUFFIX = '.damaged';

export class ScenesStore {
  private scenes: Scene[];
  private active: string | null;

  private constructor(
    readonly file: string,
    state: ScenesList,
  ) {
    this.scenes = state.scenes;
    this.active = state.active;
  }

  /** Reads `<dataDir>/scenes.json`, seeding the ready-made layouts when there is none. */
  static open(dataDir: string, log: Log): ScenesStore {
    const file = join(dataDir, SCENES_FILE_NAME);
    if (!existsSync(file)) {
      const store = new ScenesStore(file, { active: 'Camera', scenes: defaultScenes() });
      store.write(store.list());
      log('scenes.seeded', { file, scenes: store.scenes.length });
      return store;
    }
    let state: ScenesList;
    try {
      state = parseScenesFile(readFileSync(file, 'utf8'), log);
    } catch (err) {
      const kept = `${file}${DAMAGED_SUFFIX}`;
      renameSync(file, kept);
      log('scenes.damaged', { file, keptAs: kept, error: (err as Error).message });
      const store = new ScenesStore(file, { active: 'Camera', scenes: defaultScenes() });
      store.write(store.list());
      return store;
    }
    return new ScenesStore(file, state);
  }

  list(): ScenesList {
    return { active: this.active, scenes: this.scenes.map((s) => structuredClone(s)) };
  }

  get(name: string): Scene | undefined {
    const scene = this.scenes.find((s) => s.name === name);
    return scene && structuredClone(scene);
  }

  get activeName(): string | null {
    return this.active;
  }

  /** Creates or replaces a checked scene (a replaced one keeps its place in the list); true when new. */
  put(scene: Scene): boolean {
    const index = this.scenes.findIndex((s) => s.name === scene.name);
    const scenes = [...this.scenes];
    if (index === -1) scenes.push(structuredClone(scene));
    else scenes[index] = structuredClone(scene);
    this.commit({ active: this.active, scenes });
    return index === -1;
  }

  /** Removes a scene; false when there is none of that name. The caller keeps the active one. */
  delete(name: string): boolean {
    if (!this.scenes.some((s) => s.name === name)) return false;
    this.commit({ active: this.active, scenes: this.scenes.filter((s) => s.name !== name) });
    return true;
  }

  /** Records the scene the studio shows; false when there is none of that name. */
  setActive(name: string): boolean {
    if (!this.scenes.some((s) => s.name === name)) return false;
    if (this.active !== name) this.commit({ active: name, scenes: this.scenes });
    return true;
  }

  /** Writes first, then changes what the store answers: a failed write changes nothing. */
  private commit(next: ScenesList): void {
    this.write(next);
    this.scenes = next.scenes;
    this.active = next.active;
  }

  private write(state: ScenesList): void {
    const temp = `${this.file}.tmp`;
    writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, this.file);
  }
}

/**
 * The contents of a scenes file. Throws when it is not JSON or not `{active, scenes: []}`; a scene that
 * fails its checks (edited by hand) is left out with a log line naming the field, not the whole file.
 */
export function parseScenesFile(text: string, log: Log): ScenesList {
  const raw: unknown = JSON.parse(text);
  if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as { scenes?: unknown }).scenes)) {
    throw new Error('expected an object {"active": name, "scenes": [...]}');
  }
  const { active, scenes: rawScenes } = raw as { active?: unknown; scenes: unknown[] };
  const scenes: Scene[] = [];
  for (const [i, entry] of rawScenes.entries()) {
    try {
      const scene = checkScene(entry);
      if (scenes.some((s) => s.name === scene.name)) throw new SceneError('name', `a second scene is named ${JSON.stringify(scene.name)}`);
      scenes.push(scene);
    } catch (err) {
      if (!(err instanceof SceneError)) throw err;
      log('scenes.skipped', { index: i, field: err.field, error: err.message });
    }
  }
  const known = typeof active === 'string' && scenes.some((s) => s.name === active);
  return { active: known ? (active as string) : (scenes[0]?.name ?? null), scenes };
}
