// The scene messages a studio sends on /ws (docs/PROTOCOL.md "Scenes"), parsed and handed to the ScenesHub.
// rest/ws.ts calls these for the message types it does not know itself.
import type { ScenesClientMessage } from '../../src-contract/scenes.js';
import type { SceneStudio, ScenesHub } from './hub.js';

export const SCENE_MESSAGE_TYPES = ['scenes-attach', 'scene-applied', 'scene-apply-failed', 'scene-active'] as const;

const MAX_ID = 100;
const MAX_ERROR = 1000;

/** The scene message in `m`; `{error}` when it is one with bad fields; undefined when `m.type` is none of them. */
export function parseSceneMessage(m: Record<string, unknown>): ScenesClientMessage | { error: string; id?: string } | undefined {
  const id = typeof m.id === 'string' && m.id.length <= MAX_ID ? m.id : undefined;
  const bad = (error: string) => (id === undefined ? { error } : { error, id });
  switch (m.type) {
    case 'scenes-attach':
      return { type: 'scenes-attach' };
    case 'scene-applied':
      if (id === undefined || typeof m.name !== 'string') return bad('scene-applied needs the id of the scene-activate it answers and the scene name');
      return { type: 'scene-applied', id, name: m.name };
    case 'scene-apply-failed':
      if (id === undefined || typeof m.error !== 'string') return bad('scene-apply-failed needs the id of the scene-activate it answers and an error sentence');
      return { type: 'scene-apply-failed', id, error: m.error.slice(0, MAX_ERROR) };
    case 'scene-active':
      if (typeof m.name !== 'string') return bad('scene-active needs the name of the scene the studio shows');
      return { type: 'scene-active', name: m.name };
    default:
      return undefined;
  }
}

export function isSceneMessage(m: { type: string }): m is ScenesClientMessage {
  return (SCENE_MESSAGE_TYPES as readonly string[]).includes(m.type);
}

/**
 * Applies a studio's scene message. An answer to an activation that is no longer waiting (timed out, or
 * answered by another studio) is ignored; `scene-active` for an unknown scene throws (404).
 */
export function handleSceneMessage(studio: SceneStudio, hub: ScenesHub, message: ScenesClientMessage): void {
  switch (message.type) {
    case 'scenes-attach':
      hub.attach(studio);
      return;
    case 'scene-applied':
      hub.applied(message.id);
      return;
    case 'scene-apply-failed':
      hub.applyFailed(message.id, message.error);
      return;
    case 'scene-active':
      hub.studioSwitched(message.name);
      return;
  }
}
