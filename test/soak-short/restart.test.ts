// The soak's restart scenario, once (`npm run soak -- restart` runs it 100 times): the castbridge host
// pushes Chromium's WHIP stream to nginx-rtmp, nginx is SIGKILLed and started again on the same port, and
// the transponder comes back by itself, announcing its reconnect attempts; every recording, before and
// after the restart, opens with the sequence headers and a keyframe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runRestart } from '../../soak/restart.js';

test('nginx-rtmp killed and restarted on the same port: the push resumes on a keyframe', { timeout: 240_000 }, async () => {
  const d = await runRestart({ restarts: 1, minDowntimeMs: 1500, maxDowntimeMs: 1500, seed: 1 });
  assert.equal(d.resumed, 1, 'PUBLISHING again after the restart');
  assert.equal(d.reconnectsCounted, 1);
  assert.ok(d.delays.length >= 1, 'a reconnect attempt with its next try was shown while RECONNECTING');
  assert.ok(d.recordingsTotal >= 2, `${d.recordingsTotal} recordings`);
  assert.deepEqual(d.badRecordings, []);
  assert.equal(d.recordingsOk, d.recordingsTotal);
});
