import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SendQueue, type QueuedItem, type VideoFrameKind } from '../../../src-relay/rtmp/queue.js';

const video = (timestamp: number, frame: VideoFrameKind = 'inter'): QueuedItem => ({ kind: 'video', frame, timestamp, bytes: Buffer.alloc(100) });
const audio = (timestamp: number): QueuedItem => ({ kind: 'audio', timestamp, bytes: Buffer.alloc(10) });

test('queued duration is newest − oldest unsent video timestamp', () => {
  const q = new SendQueue(700);
  assert.equal(q.queuedMs, 0);
  q.push(audio(0));
  q.push(video(0, 'keyframe'));
  q.push(video(40));
  q.push(audio(500));
  q.push(video(80));
  assert.equal(q.queuedMs, 80);
  q.shift();
  q.shift();
  assert.equal(q.queuedMs, 40);
  assert.equal(q.bytes, 100 + 10 + 100);
});

test('past the limit, unsent inter frames go and the next ones are dropped until a keyframe; audio, keyframes and sequence headers stay', () => {
  const q = new SendQueue(700);
  q.push(video(0, 'sequenceHeader'));
  q.push(video(0, 'keyframe'));
  for (let t = 40; t <= 680; t += 40) {
    q.push(video(t));
    q.push(audio(t));
  }
  assert.equal(q.droppedFrames, 0);
  assert.equal(q.push(video(720)), 18, 'the 17 queued inter frames and this one');
  assert.ok(q.isDropping);
  assert.equal(q.push(video(760)), 1);
  q.push(audio(760));
  assert.equal(q.push(video(800, 'keyframe')), 0, 'a keyframe is never dropped and ends the spell');
  assert.ok(!q.isDropping);
  assert.equal(q.droppedFrames, 19);
  const kinds: string[] = [];
  for (let item = q.shift(); item; item = q.shift()) kinds.push(item.kind === 'video' ? { keyframe: 'video-key', inter: 'video', sequenceHeader: 'video-seq' }[item.frame] : item.kind);
  assert.equal(kinds.filter((k) => k === 'audio').length, 18);
  assert.deepEqual(kinds.filter((k) => k.startsWith('video')), ['video-seq', 'video-key', 'video-key']);
  assert.equal(q.bytes, 0);
  assert.equal(q.push(video(840)), 0, 'once drained, inter frames after the keyframe flow again');
  assert.equal(q.length, 1);
});

test('an item that left the queue is not kept alive by it (its chunks are views of frame bodies)', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const q = new SendQueue(700);
  const sent = new Set<number>();
  const collected = new FinalizationRegistry<number>((n) => sent.delete(n));
  // Fewer items than the queue compacts at, so only emptying each slot as it leaves lets them go.
  const sendOne = (n: number): void => {
    const item = video(n * 33, n === 0 ? 'keyframe' : 'inter');
    collected.register(item.bytes as Buffer, n);
    sent.add(n);
    q.push(item);
    assert.equal(q.shift(), item);
  };
  for (let n = 0; n < 100; n++) sendOne(n);
  q.push(video(3300)); // still queued: the queue keeps working after the slots were emptied
  for (let i = 0; i < 20 && sent.size > 0; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(sent.size, 0, `${sent.size} of 100 sent items still reachable`);
  assert.equal(q.length, 1);
  assert.equal(q.shift()?.timestamp, 3300);
});
