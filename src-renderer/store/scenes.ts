// Scenes as the studio uses them: the host's list (GET /api/scenes, then the `scenes` events), the scene
// the program shows, switching (a click or keys 1–9 here, or the host's scene-activate from
// POST /api/scenes/{name}/activate, answered with scene-applied), and editing a scene's layers, saved
// through PUT /api/scenes/{name} a moment after the last change.
import type { Scene, SceneLayer, ScenesHostMessage, ScenesList } from '../../src-contract/scenes.js';
import { sceneFromTemplate, type TemplateName, type TemplateOptions } from '../../src-contract/scene-templates.js';
import type { StudioServices } from '../services/index.js';
import { messageOf, patch, type GetStudio, type SetStudio } from './types.js';

export interface ScenesSlice {
  list: Scene[];
  /** The active scene as the host records it. */
  active: string | null;
  /** The scene the program draws now. */
  shown: string | undefined;
  /** The scene open in the layer editor. */
  editing: string | undefined;
  /** The layer selected in the editor (its index in the scene). */
  selectedLayer: number | undefined;
  error: string | undefined;
  shownScene(): Scene | undefined;
  load(): Promise<void>;
  /** A `scenes` or `scene-activate` message of the host. */
  onHostMessage(message: ScenesHostMessage): void;
  /** Switches the program to `name` and tells the host (a click, or a key 1–9). */
  switchTo(name: string): Promise<void>;
  /** The Camera / Screen buttons of the source: show the scene made from that layout, when there is one. */
  followSource(source: 'camera' | 'screen'): void;
  edit(name: string | undefined): void;
  selectLayer(index: number | undefined): void;
  /** Changes a scene here at once (the program redraws it) and saves it shortly after. */
  change(name: string, fn: (scene: Scene) => Scene): void;
  updateLayer(name: string, index: number, fields: Partial<SceneLayer>): void;
  /** A new scene from a ready-made layout, saved on the host. */
  create(template: TemplateName, options: TemplateOptions): Promise<void>;
  remove(name: string): Promise<void>;
}

/** Edits are saved this long after the last one (dragging a layer makes dozens a second). */
const SAVE_DELAY_MS = 400;

/** A new name for a scene made from `base`: "Camera", "Camera 2", "Camera 3"… */
export function freeSceneName(base: string, taken: readonly string[]): string {
  if (!taken.includes(base)) return base;
  for (let n = 2; ; n++) if (!taken.includes(`${base} ${n}`)) return `${base} ${n}`;
}

export function createScenesSlice(set: SetStudio, get: GetStudio, services: StudioServices): ScenesSlice {
  const update = (fn: (s: ScenesSlice) => Partial<ScenesSlice>): void => patch(set, 'scenes', fn);
  const saveTimers = new Map<string, ReturnType<typeof setTimeout>>();
  const setError = (error: string | undefined): void => update(() => ({ error }));
  const find = (name: string | null | undefined): Scene | undefined => get().scenes.list.find((s) => s.name === name);
  // Lists pushed over the socket since the studio started: a GET answered before a later push is older than
  // it, however late its answer arrives, and must not overwrite it.
  let pushed = 0;

  async function show(scene: Scene): Promise<void> {
    update(() => ({ shown: scene.name }));
    await get().program.show(scene);
  }

  function applyList(list: ScenesList): void {
    // A scene being edited keeps its local version until its save is done.
    const merged = list.scenes.map((s) => (saveTimers.has(s.name) ? (find(s.name) ?? s) : s));
    update((s) => ({ list: merged, active: list.active, editing: s.editing ?? list.active ?? undefined }));
    const target = list.active ? merged.find((s) => s.name === list.active) : undefined;
    if (target && get().scenes.shown !== target.name) void show(target);
  }

  async function applyRequest(id: string, scene: Scene): Promise<void> {
    const session = get().host.session;
    try {
      await show(scene);
      update((s) => ({ active: scene.name, list: s.list.some((x) => x.name === scene.name) ? s.list.map((x) => (x.name === scene.name ? scene : x)) : [...s.list, scene] }));
      session?.reportScene({ type: 'scene-applied', id, name: scene.name });
    } catch (error) {
      session?.reportScene({ type: 'scene-apply-failed', id, error: `The studio could not show "${scene.name}": ${messageOf(error)}` });
    }
  }

  function scheduleSave(name: string): void {
    clearTimeout(saveTimers.get(name));
    saveTimers.set(
      name,
      setTimeout(() => {
        saveTimers.delete(name);
        const scene = find(name);
        if (!scene) return;
        services.api.scenes.save(scene).then(
          () => setError(undefined),
          (error) => setError(`"${name}" was not saved: ${messageOf(error)}`),
        );
      }, SAVE_DELAY_MS),
    );
  }

  function change(name: string, fn: (scene: Scene) => Scene): void {
    const scene = find(name);
    if (!scene) return;
    const next = fn(scene);
    update((s) => ({ list: s.list.map((x) => (x.name === name ? next : x)) }));
    if (get().scenes.shown === name) void get().program.show({ ...next, transition: undefined });
    scheduleSave(name);
  }

  return {
    list: [],
    active: null,
    shown: undefined,
    editing: undefined,
    selectedLayer: undefined,
    error: undefined,
    shownScene: () => find(get().scenes.shown),
    async load() {
      const pushedBefore = pushed;
      try {
        const list = await services.api.scenes.list();
        if (pushed === pushedBefore) applyList(list);
      } catch (error) {
        if (pushed === pushedBefore) setError(`The scenes could not be loaded: ${messageOf(error)}`);
      }
    },
    onHostMessage(message) {
      if (message.type === 'scenes') {
        pushed++;
        applyList(message);
      } else void applyRequest(message.id, message.scene);
    },
    async switchTo(name) {
      const scene = find(name);
      if (!scene) return;
      await show(scene);
      update(() => ({ active: name, editing: name, selectedLayer: undefined }));
      get().host.session?.reportScene({ type: 'scene-active', name });
    },
    followSource(source) {
      const template = source === 'camera' ? 'Camera' : 'Screen only';
      const scene = get().scenes.list.find((s) => s.template === template) ?? find(template);
      if (scene && scene.name !== get().scenes.shown) void get().scenes.switchTo(scene.name);
    },
    edit: (editing) => update(() => ({ editing, selectedLayer: undefined })),
    selectLayer: (selectedLayer) => update(() => ({ selectedLayer })),
    change,
    updateLayer: (name, index, fields) => change(name, (scene) => ({ ...scene, layers: scene.layers.map((l, i) => (i === index ? { ...l, ...fields } : l)) })),
    async create(template, options) {
      const name = freeSceneName(options.name?.trim() || template, get().scenes.list.map((s) => s.name));
      const scene = sceneFromTemplate(template, { ...options, name });
      try {
        await services.api.scenes.save(scene);
        update((s) => ({ list: s.list.some((x) => x.name === name) ? s.list : [...s.list, scene], editing: name, error: undefined }));
      } catch (error) {
        setError(`The scene "${name}" was not made: ${messageOf(error)}`);
      }
    },
    async remove(name) {
      try {
        await services.api.scenes.remove(name);
        update((s) => ({ list: s.list.filter((x) => x.name !== name), editing: s.editing === name ? (s.active ?? undefined) : s.editing, error: undefined }));
      } catch (error) {
        setError(`"${name}" was not deleted: ${messageOf(error)}`);
      }
    },
  };
}
