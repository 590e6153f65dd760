// The studio's scene list has two sources: GET /api/scenes when it starts and the `scenes` pushes on its
// socket. They race at start-up, and the list on screen must be the newest whatever order they land in.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ScenesList } from '../../../src-contract/scenes.js';
import type { StudioServices } from '../../../src-renderer/services/index.js';
import { createStudioStore } from '../../../src-renderer/store/studio-store.js';

function colourScene(name: string) {
  return { name, layers: [{ kind: 'color' as const, color: '#000000', x: 0, y: 0, width: 1, height: 1 }] };
}

/** Services whose only used call, the scenes GET, answers when the test says so. */
function slowScenesGet() {
  let answer: (list: ScenesList) => void = () => undefined;
  let refuse: (error: Error) => void = () => undefined;
  const services = {
    api: {
      scenes: {
        list: () =>
          new Promise<ScenesList>((resolve, reject) => {
            answer = resolve;
            refuse = reject;
          }),
      },
    },
  } as unknown as StudioServices;
  return { services, answer: (list: ScenesList) => answer(list), refuse: (error: Error) => refuse(error) };
}

const names = (store: ReturnType<typeof createStudioStore>) => store.getState().scenes.list.map((s) => s.name);

describe('studio scene list', () => {
  test('a GET answered after a newer push does not bring the older list back', async () => {
    const get = slowScenesGet();
    const store = createStudioStore({ services: get.services });
    const loading = store.getState().scenes.load();
    store.getState().scenes.onHostMessage({ type: 'scenes', scenes: [colourScene('Logo'), colourScene('Lower third')], active: null } as never);
    get.answer({ scenes: [], active: null } as ScenesList);
    await loading;
    assert.deepEqual(names(store), ['Logo', 'Lower third']);
    assert.equal(store.getState().scenes.error, undefined);
  });

  test('a GET failing after a push leaves the pushed list and no error', async () => {
    const get = slowScenesGet();
    const store = createStudioStore({ services: get.services });
    const loading = store.getState().scenes.load();
    store.getState().scenes.onHostMessage({ type: 'scenes', scenes: [colourScene('Logo')], active: null } as never);
    get.refuse(new Error('connection reset'));
    await loading;
    assert.deepEqual(names(store), ['Logo']);
    assert.equal(store.getState().scenes.error, undefined);
  });

  test('with no push meanwhile the GET fills the list, and its failure is said', async () => {
    const ok = slowScenesGet();
    const store = createStudioStore({ services: ok.services });
    const loading = store.getState().scenes.load();
    ok.answer({ scenes: [colourScene('Camera')], active: null } as ScenesList);
    await loading;
    assert.deepEqual(names(store), ['Camera']);

    const failing = slowScenesGet();
    const other = createStudioStore({ services: failing.services });
    const failed = other.getState().scenes.load();
    failing.refuse(new Error('connection reset'));
    await failed;
    assert.match(other.getState().scenes.error ?? '', /could not be loaded: connection reset/);
  });
});
