// The screen and window picker's pure half (src-main/electron/capture-sources.ts): what the renderer may ask
// for, how a source reaches it, the one-shot choice the display-media handler uses, system audio only where
// Electron has loopback capture; and the preload exposes the two verbs on their allowed channels.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CHOICE_TTL_MS, fallbackQuestion, listOptions, parseChoice, PendingChoice, systemAudioAvailable, toCaptureSource } from '../../../src-main/electron/capture-sources.js';
import { IpcChannel } from '../../../src-main/electron/ipc.js';

const image = (url: string | undefined) => ({ isEmpty: () => url === undefined, toDataURL: () => url ?? '' });

describe('capture source picker', () => {
  test('a request lists screens and windows with 16:9 thumbnails and window icons; bad ones are refused in a sentence', () => {
    assert.deepEqual(listOptions(undefined), { types: ['screen', 'window'], thumbnailSize: { width: 320, height: 180 }, fetchWindowIcons: true });
    assert.deepEqual(listOptions({ types: ['screen'], thumbnailWidth: 0 }), { types: ['screen'], thumbnailSize: { width: 0, height: 0 }, fetchWindowIcons: false });
    for (const bad of [{ types: [] }, { types: ['tab'] }, { types: 'screen' }, { thumbnailWidth: 5000 }, { thumbnailWidth: 1.5 }, 'screens', null]) {
      assert.throws(() => listOptions(bad), /captureSources/, JSON.stringify(bad));
    }
  });

  test('a source reaches the renderer as plain data, kind from its id, empty images left out', () => {
    assert.deepEqual(toCaptureSource({ id: 'window:5678:0', name: 'Slides', thumbnail: image('data:image/png;base64,AAA'), appIcon: image('data:image/png;base64,BBB') }), {
      id: 'window:5678:0',
      name: 'Slides',
      kind: 'window',
      thumbnail: 'data:image/png;base64,AAA',
      appIcon: 'data:image/png;base64,BBB',
    });
    assert.deepEqual(toCaptureSource({ id: 'screen:1:0', name: 'Screen 1', thumbnail: image(undefined), appIcon: null }), { id: 'screen:1:0', name: 'Screen 1', kind: 'screen' });
  });

  test('a choice is checked, used once, and expires; system audio is Windows loopback only', () => {
    assert.deepEqual(parseChoice({ id: 'screen:0:0' }), { id: 'screen:0:0', audio: false });
    assert.deepEqual(parseChoice({ id: 'window:42:0', audio: true }), { id: 'window:42:0', audio: true });
    for (const bad of [{ id: 'file:///etc/passwd' }, { id: 'screen:0:0', audio: 'yes' }, {}, 'screen:0:0', { id: 'screen:0:0; rm' }]) {
      assert.throws(() => parseChoice(bad), /chooseCaptureSource/, JSON.stringify(bad));
    }
    const pending = new PendingChoice();
    assert.equal(pending.take(), undefined, 'no choice, no capture');
    pending.set({ id: 'screen:0:0', audio: true }, 1000);
    assert.deepEqual(pending.take(1000 + CHOICE_TTL_MS), { id: 'screen:0:0', audio: true });
    assert.equal(pending.take(1000 + CHOICE_TTL_MS), undefined, 'used once');
    pending.set({ id: 'screen:0:0', audio: false }, 1000);
    assert.equal(pending.take(1001 + CHOICE_TTL_MS), undefined, 'a stale choice is dropped');
    assert.equal(systemAudioAvailable('win32'), true);
    assert.equal(systemAudioAvailable('linux'), false);
    assert.equal(systemAudioAvailable('darwin'), false);
  });

  test('without a choice the shell asks: screens first, long names shortened, at most ten, Cancel last', () => {
    const sources = [
      { id: 'window:7:0', name: 'A window with a very long title that goes on and on past sixty characters for sure' },
      { id: 'screen:0:0', name: 'Entire screen' },
      { id: 'window:8:0', name: '  ' },
    ];
    const question = fallbackQuestion(sources);
    assert.deepEqual(question.ids, ['screen:0:0', 'window:7:0', 'window:8:0']);
    assert.equal(question.buttons[0], 'Entire screen');
    assert.equal(question.buttons[1]!.length, 60);
    assert.ok(question.buttons[1]!.endsWith('…'));
    assert.equal(question.buttons[2], 'Window');
    assert.equal(question.buttons[question.cancelId], 'Cancel');
    assert.equal(question.cancelId, 3);
    const many = fallbackQuestion(Array.from({ length: 30 }, (_, i) => ({ id: `window:${i}:0`, name: `W${i}` })));
    assert.equal(many.ids.length, 10);
    assert.equal(many.buttons.length, 11);
  });

  test('the preload exposes captureSources and chooseCaptureSource on their channels, passing the payload on', () => {
    const preload = readFileSync(join(import.meta.dirname, '..', '..', '..', 'src-main', 'electron', 'preload.cjs'), 'utf8');
    assert.match(preload, new RegExp(`captureSources: \\(.*request\\) => ipcRenderer\\.invoke\\('${IpcChannel.listCaptureSources}', request\\)`));
    assert.match(preload, new RegExp(`chooseCaptureSource: \\(.*choice\\) => ipcRenderer\\.invoke\\('${IpcChannel.chooseCaptureSource}', choice\\)`));
  });
});
