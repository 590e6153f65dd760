// The scene messages of /ws as rest/ws.ts parses them (docs/PROTOCOL.md "Scenes"): the four a studio sends,
// each refused in a sentence when a field is missing, and every other type left to the session's own switch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClientMessage } from '../../../src-main/rest/ws.js';

test('the studio\'s scene messages parse; a missing field is an error naming it; others are not scene messages', () => {
  assert.deepEqual(parseClientMessage('{"type":"scenes-attach"}'), { type: 'scenes-attach' });
  assert.deepEqual(parseClientMessage('{"type":"scene-applied","id":"a1","name":"Camera"}'), { type: 'scene-applied', id: 'a1', name: 'Camera' });
  assert.deepEqual(parseClientMessage('{"type":"scene-apply-failed","id":"a1","error":"no camera"}'), { type: 'scene-apply-failed', id: 'a1', error: 'no camera' });
  assert.deepEqual(parseClientMessage('{"type":"scene-active","name":"Be right back"}'), { type: 'scene-active', name: 'Be right back' });
  assert.deepEqual(parseClientMessage('{"type":"scene-applied","name":"Camera"}'), { error: 'scene-applied needs the id of the scene-activate it answers and the scene name' });
  assert.deepEqual(parseClientMessage('{"type":"scene-apply-failed","id":"a2"}'), { error: 'scene-apply-failed needs the id of the scene-activate it answers and an error sentence', id: 'a2' });
  assert.deepEqual(parseClientMessage('{"type":"scene-active","name":5}'), { error: 'scene-active needs the name of the scene the studio shows' });
  assert.deepEqual(parseClientMessage('{"type":"subscribe-events"}'), { type: 'subscribe-events' });
  assert.deepEqual(parseClientMessage('{"type":"scene-delete","name":"x"}'), { error: 'unknown message type "scene-delete"' });
});
