// The soak's drift scenario for 20 s (`npm run soak -- drift` runs 10 minutes): Chromium publishes a
// picture that flashes exactly when its sound beeps; in nginx-rtmp's recording, the flashes and the beeps
// line up, timestamps never go back and the audio has no gap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDrift } from '../../soak/drift.js';
import { summarizeOffsets } from '../../soak/analyze.js';

test('20 s of marks: picture and sound in step at the server, no timestamp regression, no audio gap', { timeout: 240_000 }, async () => {
  const d = await runDrift({ durationMs: 20_000, markPeriodMs: 1000, targets: 1 });
  const [{ timing, marks }] = d.recordings as [(typeof d.recordings)[number]];
  assert.ok(marks.offsetsMs.length >= 15, `${marks.offsetsMs.length} flashes paired with a beep (${marks.flashes} flashes, ${marks.beeps} beeps)`);
  const o = summarizeOffsets(marks);
  assert.ok(Math.abs(o.median) <= 40, `median A/V offset ${o.median} ms (all: ${marks.offsetsMs.join(' ')})`);
  assert.equal(timing.videoRegressions, 0);
  assert.equal(timing.audioRegressions, 0);
  assert.equal(timing.audioGaps, 0, `largest audio step ${timing.maxAudioStepMs} ms`);
  assert.deepEqual(d.interruptions, []);
});
