// Scenes between the REST API and the open studios (docs/PROTOCOL.md, "Scenes"): the saved scenes, the /ws
// sessions that said `scenes-attach` (studios whose compositor applies scenes), and the activations waiting
// for a studio's `scene-applied`. An activation is answered by the first studio that applies it or fails
// it; it gives up after `applyTimeoutMs`, or at once when every studio it was sent to has closed.
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Log } from '../../src-relay/index.js';
import type { Scene, ScenesList } from '../../src-contract/scenes.js';
import { HttpError } from '../rest/errors.js';
import { checkSceneImages } from './images.js';
import type { ScenesStore } from './store.js';
import { checkScene, checkSceneName } from './validate.js';

/** How long `POST /api/scenes/{name}/activate` waits for a studio to apply the scene. */
export const APPLY_TIMEOUT_MS = 5000;

/** A /ws session as the hub sees it: something to send a JSON message to. */
export interface SceneStudio {
  send(message: object): void;
}

export interface ScenesHubOptions {
  /** The current media folder, where image layers' files must be. */
  mediaDir: () => string;
  /** The studio's address, for the sentence when none is open. */
  studioUrl: () => string;
  log: Log;
  applyTimeoutMs?: number;
}

interface Pending {
  name: string;
  /** The studios it was sent to that have not closed. */
  studios: Set<SceneStudio>;
  resolve(name: string): void;
  reject(error: HttpError): void;
}

export interface ScenesHubEvents {
  /** After every change of the scenes or of the active one. */
  changed: [ScenesList];
}

export class ScenesHub extends EventEmitter<ScenesHubEvents> {
  private readonly studios = new Set<SceneStudio>();
  private readonly pending = new Map<string, Pending>();
  private readonly applyTimeoutMs: number;

  constructor(
    private readonly store: ScenesStore,
    private readonly opts: ScenesHubOptions,
  ) {
    super();
    this.applyTimeoutMs = opts.applyTimeoutMs ?? APPLY_TIMEOUT_MS;
  }

  list(): ScenesList {
    return this.store.list();
  }

  /** Creates or replaces a scene after its checks; throws SceneError (400) naming the field. */
  async put(pathName: string, body: unknown): Promise<{ scene: Scene; created: boolean }> {
    checkSceneName(pathName, 'the scene name in the path');
    const scene = checkScene(body, pathName);
    await checkSceneImages(scene, this.opts.mediaDir());
    const created = this.store.put(scene);
    this.opts.log('scenes.saved', { name: scene.name, layers: scene.layers.length, created });
    this.changed();
    return { scene, created };
  }

  delete(name: string): void {
    if (!this.store.get(name)) throw notFound(name);
    if (this.store.activeName === name) throw new HttpError(409, `"${name}" is the scene being shown: switch to another scene before deleting it`);
    this.store.delete(name);
    this.opts.log('scenes.deleted', { name });
    this.changed();
  }

  /** Sends the scene to every attached studio; resolves with its name once one has applied it. */
  activate(name: string): Promise<string> {
    const scene = this.store.get(name);
    if (!scene) return Promise.reject(notFound(name));
    if (this.studios.size === 0) {
      return Promise.reject(new HttpError(409, `No studio is open to show the scene: open the studio (${this.opts.studioUrl()}) and try again.`));
    }
    const id = randomUUID();
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.opts.log('scenes.apply_timeout', { name });
        reject(new HttpError(504, `The studio did not show "${name}" within ${this.applyTimeoutMs / 1000} s: is its tab open and publishing?`));
      }, this.applyTimeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.pending.delete(id);
      };
      this.pending.set(id, {
        name,
        studios: new Set(this.studios),
        resolve: (applied) => {
          done();
          resolve(applied);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      });
      for (const studio of this.studios) studio.send({ type: 'scene-activate', id, scene });
    });
  }

  attach(studio: SceneStudio): void {
    this.studios.add(studio);
    studio.send({ type: 'scenes', ...this.store.list() });
  }

  isAttached(studio: SceneStudio): boolean {
    return this.studios.has(studio);
  }

  /** A session closed: it applies nothing more. */
  detach(studio: SceneStudio): void {
    if (!this.studios.delete(studio)) return;
    for (const p of [...this.pending.values()]) {
      p.studios.delete(studio);
      if (p.studios.size === 0) p.reject(new HttpError(409, `The studio closed before it showed "${p.name}".`));
    }
  }

  /** `scene-applied`: the studio draws the scene (its transition has started). */
  applied(id: string): boolean {
    const p = this.pending.get(id);
    if (!p) return false;
    if (!this.store.setActive(p.name)) {
      p.reject(new HttpError(409, `"${p.name}" was deleted while the studio switched to it.`));
      return true;
    }
    this.opts.log('scenes.activated', { name: p.name });
    p.resolve(p.name);
    this.changed();
    return true;
  }

  /** `scene-apply-failed`: the studio could not show the scene; the REST call answers 409 with its words. */
  applyFailed(id: string, error: string): boolean {
    const p = this.pending.get(id);
    if (!p) return false;
    p.reject(new HttpError(409, `The studio could not show "${p.name}": ${error.slice(0, 500)}`));
    return true;
  }

  /** `scene-active`: the user switched scenes in the studio itself. Throws 404 for a scene the host lacks. */
  studioSwitched(name: string): void {
    if (!this.store.setActive(name)) throw notFound(name);
    this.opts.log('scenes.activated', { name, by: 'studio' });
    this.changed();
  }

  /** Ends the waiting activations (host shutdown). */
  close(): void {
    for (const p of [...this.pending.values()]) p.reject(new HttpError(503, 'The host is shutting down.'));
    this.studios.clear();
  }

  private changed(): void {
    const list = this.store.list();
    for (const studio of this.studios) studio.send({ type: 'scenes', ...list });
    this.emit('changed', list);
  }
}

function notFound(name: string): HttpError {
  return new HttpError(404, `There is no scene named "${name.slice(0, 100)}".`);
}
