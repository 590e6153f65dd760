import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KEYFRAME_TIMING, KeyframeRequester } from '../../../src-relay/webrtc/keyframe.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('requests within 200 ms share one PLI; an unanswered PLI is followed by a FIR', async () => {
  const sent: string[] = [];
  const k = new KeyframeRequester({ sendPli: () => sent.push('pli'), sendFir: () => sent.push('fir') });
  try {
    k.request();
    k.request();
    k.request();
    assert.deepEqual(sent, ['pli']);
    await sleep(KEYFRAME_TIMING.minPliIntervalMs + 100);
    assert.deepEqual(sent, ['pli', 'pli'], 'the deferred requests become one more PLI once the interval passed');
    await sleep(KEYFRAME_TIMING.firAfterMs);
    assert.deepEqual(sent, ['pli', 'pli', 'fir']);
    assert.deepEqual(k.toJSON(), { requests: 3, plis: 2, firs: 1, keyframes: 0, unanswered: 0, pending: true, ignoresRequests: false });
  } finally {
    k.close();
  }
});

test('a keyframe answering the PLI cancels the FIR', async () => {
  const sent: string[] = [];
  const k = new KeyframeRequester({ sendPli: () => sent.push('pli'), sendFir: () => sent.push('fir') });
  try {
    k.request();
    k.onKeyframe();
    await sleep(KEYFRAME_TIMING.firAfterMs + 100);
    assert.deepEqual(sent, ['pli']);
  } finally {
    k.close();
  }
});

test('nothing is sent after close', async () => {
  const sent: string[] = [];
  const k = new KeyframeRequester({ sendPli: () => sent.push('pli'), sendFir: () => sent.push('fir') });
  k.request();
  k.request();
  k.close();
  k.request();
  await sleep(KEYFRAME_TIMING.firAfterMs + 100);
  assert.deepEqual(sent, ['pli']);
});

test('a publisher that answers neither PLI nor FIR, twice in a row, ignores keyframe requests; one answer clears it', async () => {
  const k = new KeyframeRequester({ sendPli: () => undefined, sendFir: () => undefined });
  try {
    k.request();
    await sleep(KEYFRAME_TIMING.unansweredAfterMs + 100);
    assert.equal(k.ignoresRequests, false, 'one unanswered request is a hiccup');
    k.request();
    await sleep(KEYFRAME_TIMING.unansweredAfterMs + 100);
    assert.equal(k.ignoresRequests, true);
    assert.equal(k.toJSON().unanswered, 2);
    k.request();
    k.onKeyframe();
    assert.equal(k.ignoresRequests, false, 'answered');
  } finally {
    k.close();
  }
});
