import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { KEYFRAME_TIMING, KeyframeRequester } from '../../../src-relay/webrtc/keyframe.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('requests while the PLI is answered share it; an unanswered PLI is followed by a FIR', async () => {
  const sent: string[] = [];
  const k = new KeyframeRequester({ sendPli: () => sent.push('pli'), sendFir: () => sent.push('fir') });
  try {
    k.request();
    k.request();
    k.request();
    assert.deepEqual(sent, ['pli']);
    await sleep(KEYFRAME_TIMING.minPliIntervalMs + 100);
    assert.deepEqual(sent, ['pli'], 'the keyframe on its way serves the later requests: no second PLI');
    await sleep(KEYFRAME_TIMING.firAfterMs - KEYFRAME_TIMING.minPliIntervalMs);
    assert.deepEqual(sent, ['pli', 'fir']);
    assert.deepEqual(k.toJSON(), { requests: 3, plis: 1, firs: 1, keyframes: 0, unanswered: 0, pending: true, ignoresRequests: false });
  } finally {
    k.close();
  }
});

test('one keyframe per request: no deferred PLI while the answer is due, no PLI beside the FIR, a request after the keyframe gets its own unless another keyframe comes first', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  const sent: string[] = [];
  let now = 0;
  const advance = (ms: number): void => {
    now += ms;
    mock.timers.tick(ms);
  };
  const k = new KeyframeRequester({ sendPli: () => sent.push(`pli@${now}`), sendFir: () => sent.push(`fir@${now}`) }, () => now);
  try {
    k.request(); // a target starts
    advance(30);
    k.request(); // a lost frame asks again while the answer is on its way
    advance(40);
    k.onKeyframe(); // the answer
    advance(KEYFRAME_TIMING.firAfterMs);
    assert.deepEqual(sent, ['pli@0'], 'one PLI, one keyframe');

    k.request(); // a periodic request that no keyframe answers
    advance(KEYFRAME_TIMING.firAfterMs);
    assert.deepEqual(sent.slice(1), [`pli@570`, `fir@1070`]);
    k.request(); // the scheduler's retry, just after the FIR: the FIR serves it
    advance(KEYFRAME_TIMING.minPliIntervalMs - 1);
    assert.deepEqual(sent.slice(3), [], 'no PLI beside the FIR');
    k.onKeyframe();

    k.request(); // a target that starts just after that keyframe: it is not served by it
    assert.deepEqual(sent.slice(3), [], 'held to the PLI spacing');
    advance(1);
    assert.deepEqual(sent.slice(3), [`pli@${1070 + KEYFRAME_TIMING.minPliIntervalMs}`]);
    k.onKeyframe();

    advance(1000);
    k.request(); // a PLI goes out
    advance(40);
    k.onKeyframe();
    k.request(); // a target starts just after its answer: a PLI is deferred to keep the spacing
    advance(50);
    k.onKeyframe(); // a keyframe comes before the deferred PLI (the publisher's own): it serves that target
    advance(KEYFRAME_TIMING.minPliIntervalMs);
    assert.deepEqual(sent.slice(4), [`pli@${1070 + KEYFRAME_TIMING.minPliIntervalMs + 1000}`], 'the deferred PLI is not sent');
  } finally {
    k.close();
    mock.timers.reset();
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
    // The publisher's own keyframe, seconds after the request it did not answer, is no answer.
    k.request();
    k.onKeyframe();
    assert.equal(k.ignoresRequests, true, 'a keyframe 3 s after the request is the publisher\'s own');
    await sleep(KEYFRAME_TIMING.minPliIntervalMs + 50);
    k.request();
    k.onKeyframe();
    assert.equal(k.ignoresRequests, false, 'answered');
  } finally {
    k.close();
  }
});
