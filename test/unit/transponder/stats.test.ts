// TransponderCounters with literal counts: totals across connections, rates over the sample window, zero
// rates while not publishing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TransponderCounters } from '../../../src-relay/transponder/stats.js';

test('bitrate and fps over the window; dropped frames summed over connections', () => {
  const counters = new TransponderCounters(0);
  const first = { bytesSent: 0, droppedFrames: 0 };
  for (let i = 0; i < 30; i++) {
    counters.frameArrived();
    counters.frameSent();
  }
  first.bytesSent = 125_000; // 1 Mb in the first second
  counters.sample(first, 1000);
  assert.deepEqual(counters.rate(true), { bitrateKbps: 1000, fps: 30 });
  assert.equal(counters.streamFps, 30);
  assert.deepEqual(counters.rate(false), { bitrateKbps: 0, fps: 0 });

  first.bytesSent = 187_500;
  first.droppedFrames = 4;
  counters.retire(first); // the connection ends; a new one starts from zero
  const second = { bytesSent: 62_500, droppedFrames: 1 };
  for (let i = 0; i < 15; i++) counters.frameArrived();
  for (let i = 0; i < 10; i++) counters.frameSent();
  counters.sample(second, 3000); // 125 000 bytes over 2 s across both connections
  assert.deepEqual(counters.rate(true), { bitrateKbps: 500, fps: 5 });
  assert.equal(counters.streamFps, 7.5);
  assert.equal(counters.droppedFrames(second), 5);
  assert.equal(counters.droppedFrames(undefined), 4);
});
