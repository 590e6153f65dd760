import { test } from 'node:test';
import assert from 'node:assert/strict';
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
