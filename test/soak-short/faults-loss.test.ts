// The soak's fault scenario, one condition (`npm run soak -- faults` runs them all): 5 % of the WebRTC
// leg's packets lost for 10 s, both ways. No damaged picture reaches the target (ffmpeg decodes the
// recording without an error), the audio has no gap, and the target stays connected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONDITIONS, runFaults } from '../../soak/faults.js';

test('5 % loss on the WebRTC leg for 10 s: clean recording, no audio gap, target kept', { timeout: 240_000 }, async () => {
  const loss5 = CONDITIONS.find((c) => c.id === 'loss5')!;
  const d = await runFaults({ legs: ['webrtc'], conditions: [loss5], seconds: 10, blackHole: false });
  const [r] = d.results as [(typeof d.results)[number]];
  assert.equal(r.error, undefined);
  assert.ok(r.videoFrames > 0, 'video was recorded');
  assert.equal(r.decodeErrors, 0, r.decodeSample.join('\n'));
  assert.ok(r.keyframes >= 1);
  assert.equal(r.audioGaps, 0, `largest audio step ${r.maxAudioStepMs} ms`);
  assert.equal(r.notPublishing, 0);
  assert.equal(r.reconnects, 0);
});
