// scenes.json (src-main/scenes/store.ts): what is saved is read back by the next start; a file that does not
// parse is kept aside, not overwritten; a hand-edited bad scene is left out alone; no temp file stays behind.
import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Log } from '../../../src-relay/index.js';
import { silentLog } from '../../../src-relay/log.js';
import { DAMAGED_SUFFIX, SCENES_FILE_NAME, ScenesStore } from '../../../src-main/scenes/store.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'castbridge-scenes-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the scenes store', () => {
  test('what one start saves, the next reads: order, active scene, contents; nothing but scenes.json left', () => {
    const dir = tempDir();
    const first = ScenesStore.open(dir, silentLog);
    assert.equal(first.put({ name: 'Talk', layers: [{ kind: 'text', x: 0, y: 0.8, width: 1, height: 0.2, text: 'Hello' }] }), true);
    assert.equal(first.put({ name: 'Camera', layers: [] }), false);
    assert.equal(first.setActive('Talk'), true);
    assert.equal(first.setActive('Nope'), false);
    assert.equal(first.delete('Side by side'), true);
    const again = ScenesStore.open(dir, silentLog);
    assert.deepEqual(again.list(), first.list());
    assert.equal(again.list().active, 'Talk');
    assert.deepEqual(again.list().scenes.map((s) => s.name), ['Camera', 'Screen + camera', 'Screen only', 'Be right back', 'Talk']);
    assert.deepEqual(readdirSync(dir), [SCENES_FILE_NAME]);
  });

  test('a file that does not parse is kept aside and the layouts start again; a bad scene is left out alone', () => {
    const dir = tempDir();
    const file = join(dir, SCENES_FILE_NAME);
    writeFileSync(file, '{ "active": "Camera", "scenes": [');
    const events: string[] = [];
    const log: Log = (event) => events.push(event);
    const store = ScenesStore.open(dir, log);
    assert.equal(store.list().scenes.length, 5);
    assert.equal(readFileSync(`${file}${DAMAGED_SUFFIX}`, 'utf8'), '{ "active": "Camera", "scenes": [');
    assert.ok(events.includes('scenes.damaged'));

    writeFileSync(
      file,
      JSON.stringify({
        active: 'Broken',
        scenes: [
          { name: 'Good', layers: [] },
          { name: 'Broken', layers: [{ kind: 'video', x: 0, y: 0, width: 1, height: 1 }] },
          { name: 'Good', layers: [] },
        ],
      }),
    );
    const skipped: unknown[] = [];
    const partial = ScenesStore.open(dir, (event, fields) => event === 'scenes.skipped' && skipped.push(fields));
    assert.deepEqual(partial.list(), { active: 'Good', scenes: [{ name: 'Good', layers: [] }] });
    assert.equal(skipped.length, 2);
    assert.ok(existsSync(file));
  });
});
