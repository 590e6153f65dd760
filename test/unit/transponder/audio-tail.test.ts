// AudioTail with a stand-in muxer (only its last tag times matter): no wait when the audio is not behind,
// a wait that ends with the audio tag that catches up, and one that gives up after AUDIO_TAIL_MAX_MS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AUDIO_TAIL_MAX_MS, AudioTail } from '../../../src-relay/transponder/audio-tail.js';

function muxerAt(times: { audio?: number; video?: number }) {
  return { lastTime: (track: 'audio' | 'video') => times[track] };
}

test('nothing to wait for: no muxer, no audio yet, or audio already at the last picture', async () => {
  for (const muxer of [undefined, muxerAt({ video: 500 }), muxerAt({ audio: 500, video: 500 }), muxerAt({ audio: 520, video: 500 })]) {
    const tail = new AudioTail(() => muxer);
    assert.equal(tail.behind(), false);
    const started = performance.now();
    await tail.wait();
    assert.ok(performance.now() - started < 50);
  }
});

test('the wait ends with the audio tag that reaches the last picture, not before', async () => {
  const times = { audio: 400, video: 500 };
  const tail = new AudioTail(() => muxerAt(times));
  let done = false;
  const waiting = tail.wait().then(() => (done = true));
  times.audio = 480;
  tail.audioWritten();
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false, 'still behind at 480 ms');
  times.audio = 501;
  tail.audioWritten();
  await waiting;
  assert.equal(done, true);
});

test('audio that never comes: the wait gives up after AUDIO_TAIL_MAX_MS', async () => {
  const tail = new AudioTail(() => muxerAt({ audio: 100, video: 500 }));
  const started = performance.now();
  await tail.wait();
  const waited = performance.now() - started;
  assert.ok(waited >= AUDIO_TAIL_MAX_MS - 5 && waited < AUDIO_TAIL_MAX_MS + 500, `waited ${waited.toFixed(0)} ms`);
});
