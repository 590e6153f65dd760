// The acknowledgement bookkeeping behind the black-hole rule (acks.ts, publisher.ts watch()).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AckTracker } from '../../../src-relay/rtmp/acks.js';

const W = 64 * 1024;

test('nothing is owed until more than a window is unacknowledged', () => {
  const t = new AckTracker(W);
  t.wrote(W, 0);
  assert.equal(t.overdueMs(5000), 0);
  t.wrote(1, 1000);
  assert.equal(t.unacknowledged, W + 1);
  assert.equal(t.overdueMs(5000), 4000, 'counted from the write that made an acknowledgement due');
});

test('the rule applies once the target acknowledged, and each acknowledgement restarts the clock', () => {
  const t = new AckTracker(W);
  t.wrote(3 * W, 0);
  assert.equal(t.acknowledging, false);
  t.acknowledged(W + 3000, 100); // the first number also counts the connect commands
  assert.equal(t.acknowledging, true);
  assert.equal(t.ackWindow, W + 3000);
  assert.equal(t.unacknowledged, 3 * W - (W + 3000));
  assert.equal(t.overdueMs(1100), 1000, 'still more than a window unacknowledged: owed since the acknowledgement');
  t.acknowledged(2 * W + 3000, 2000);
  assert.equal(t.overdueMs(2500), 0, 'less than a window left: nothing owed');
  t.wrote(W + 3001, 3000);
  assert.equal(t.overdueMs(16_000), 13_000);
});

test('a repeated sequence number is no progress', () => {
  const t = new AckTracker(W);
  t.wrote(4 * W, 0);
  t.acknowledged(W, 0);
  t.acknowledged(2 * W, 1000);
  t.acknowledged(2 * W, 9000);
  assert.equal(t.overdueMs(14_000), 13_000);
});

test('a server that acknowledges by a larger window of its own: the window is learnt, no false alarm', () => {
  const t = new AckTracker(W);
  const theirs = 2_500_000;
  t.wrote(theirs, 0);
  t.acknowledged(theirs, 0);
  assert.equal(t.ackWindow, theirs, 'learnt from the first acknowledgement');
  t.wrote(theirs, 1000);
  t.acknowledged(2 * theirs, 30_000);
  assert.equal(t.ackWindow, theirs);
  t.wrote(theirs - 1, 31_000);
  assert.equal(t.overdueMs(60_000), 0, 'less than their window since their last acknowledgement');
  t.wrote(2, 40_000);
  assert.equal(t.overdueMs(60_000), 20_000);
});

test('a sequence number that wraps (or restarts, as nginx-rtmp does at 0xf0000000) keeps counting forward', () => {
  const t = new AckTracker(W);
  const start = 2 ** 32 - W;
  t.wrote(2 ** 32 + 4 * W, 0);
  t.acknowledged(W, 0);
  t.acknowledged(start, 0);
  const window = t.ackWindow;
  t.acknowledged(W / 2, 1000); // past 2^32
  assert.equal(t.unacknowledged, 2 ** 32 + 4 * W - (2 ** 32 + W / 2));
  assert.equal(t.ackWindow, window, 'a wrap does not count as a window step');
  // A restart at 0 counts as a wrap: the estimate may overshoot, but never past what was written.
  t.acknowledged(100, 2000);
  assert.ok(t.unacknowledged >= 0);
  assert.equal(t.overdueMs(20_000), 0);
});

test('a window out of range is a clear error', () => {
  assert.throws(() => new AckTracker(0), /positive 31-bit integer, got 0/);
});
