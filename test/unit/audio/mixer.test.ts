import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AudioMixer } from '../../../src-relay/transponder/audio/mixer.js';
import { sine } from '../../helpers/tone.js';

const chunk = (time: number, samples: Int16Array) => ({ time, samples });
const FRAMES = 960; // 20 ms at 48 kHz

describe('AudioMixer (mute and sound injection per transponder)', () => {
  test('a muted transponder sends exact zeros, same length and time, not a gap', () => {
    const mixer = new AudioMixer();
    mixer.muted = true;
    const source = sine(1000, 48000, FRAMES, 20000, 2);
    const out = mixer.process(chunk(1234, source));
    assert.equal(out.time, 1234);
    assert.equal(out.samples.length, source.length);
    assert.ok(out.samples.every((v) => v === 0));
    assert.notEqual(out.samples, source);
  });

  test('unmuted without a sound passes the source through uncopied (one less array per packet)', () => {
    const mixer = new AudioMixer();
    const source = sine(1000, 48000, FRAMES, 20000, 2);
    const input = chunk(0, source);
    assert.equal(mixer.process(input), input);
  });

  test('muted with a sound playing sends only the sound', () => {
    const mixer = new AudioMixer();
    mixer.muted = true;
    const sound = sine(440, 48000, FRAMES * 10, 5000, 2);
    mixer.playSound(sound, false);
    const out = mixer.process(chunk(0, sine(1000, 48000, FRAMES, 20000, 2)));
    assert.deepEqual(out.samples, sound.subarray(0, FRAMES * 2));
  });

  test('sound over the source adds and saturates at the 16-bit limits', () => {
    const mixer = new AudioMixer();
    mixer.playSound(Int16Array.from([30000, -30000, 100, -100]), true);
    const out = mixer.process(chunk(0, Int16Array.from([10000, -10000, 5, 5])));
    assert.deepEqual(Array.from(out.samples), [32767, -32768, 105, -95]);
  });

  test('a looped sound wraps around and keeps playing', () => {
    const mixer = new AudioMixer();
    let ended = 0;
    mixer.on('soundEnded', () => ended++);
    mixer.playSound(Int16Array.from([1, 2, 3, 4, 5, 6]), true); // 3 stereo frames
    const out = mixer.process(chunk(0, new Int16Array(14)));
    assert.deepEqual(Array.from(out.samples), [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1, 2]);
    const next = mixer.process(chunk(0.15, new Int16Array(4)));
    assert.deepEqual(Array.from(next.samples), [3, 4, 5, 6]);
    assert.equal(ended, 0);
    assert.equal(mixer.soundEnabled, true);
  });

  test('a sound without loop ends, emits soundEnded once, and soundEnabled turns false', () => {
    const mixer = new AudioMixer();
    let ended = 0;
    mixer.on('soundEnded', () => ended++);
    const sound = sine(440, 48000, 1500, 8000, 2); // 1.5 chunks
    mixer.playSound(sound, false);
    assert.equal(mixer.soundEnabled, true);
    const first = mixer.process(chunk(0, new Int16Array(FRAMES * 2)));
    assert.deepEqual(first.samples, sound.subarray(0, FRAMES * 2));
    assert.equal(ended, 0);
    const second = mixer.process(chunk(20, new Int16Array(FRAMES * 2)));
    assert.deepEqual(second.samples.subarray(0, 540 * 2), sound.subarray(FRAMES * 2));
    assert.ok(second.samples.subarray(540 * 2).every((v) => v === 0), 'silence after the sound');
    assert.equal(ended, 1);
    assert.equal(mixer.soundEnabled, false);
    mixer.process(chunk(40, new Int16Array(FRAMES * 2)));
    assert.equal(ended, 1);
  });

  test('a sound that ends exactly on a chunk boundary ends in that chunk', () => {
    const mixer = new AudioMixer();
    let ended = 0;
    mixer.on('soundEnded', () => ended++);
    mixer.playSound(new Int16Array(FRAMES * 2).fill(7), false);
    mixer.process(chunk(0, new Int16Array(FRAMES * 2)));
    assert.equal(ended, 1);
    assert.equal(mixer.soundEnabled, false);
  });

  test('stopSound stops at once without soundEnded; playSound restarts from the beginning', () => {
    const mixer = new AudioMixer();
    let ended = 0;
    mixer.on('soundEnded', () => ended++);
    mixer.playSound(Int16Array.from([1, 1, 2, 2, 3, 3]), false);
    mixer.process(chunk(0, new Int16Array(2)));
    mixer.stopSound();
    assert.equal(mixer.soundEnabled, false);
    assert.deepEqual(Array.from(mixer.process(chunk(0, new Int16Array(2))).samples), [0, 0]);
    mixer.playSound(Int16Array.from([1, 1, 2, 2, 3, 3]), false);
    assert.deepEqual(Array.from(mixer.process(chunk(0, new Int16Array(2))).samples), [1, 1]);
    assert.equal(ended, 0);
  });

  test('refuses an empty or odd-length sound', () => {
    const mixer = new AudioMixer();
    assert.throws(() => mixer.playSound(new Int16Array(0), true), /no samples/);
    assert.throws(() => mixer.playSound(new Int16Array(3), true), /even sample count, got 3/);
  });
});
