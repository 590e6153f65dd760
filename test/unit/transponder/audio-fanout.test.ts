import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { AudioFanout, fanoutKey, type FanoutEncoder, type FanoutMixer, type AudioSink } from '../../../src-relay/transponder/audio/fanout.js';
import type { AudioCodec, AudioFrame, PcmChunk } from '../../../src-relay/media.js';

// Stand-ins for the codec modules: the fan-out's job is routing, so an "encoder" that turns each chunk into
// one frame carrying its first sample, and a mixer that zeroes when muted and writes the sound's first
// sample while a sound plays (ending after the sound's length in chunks), are enough to see who got what.
class LabelEncoder extends EventEmitter<{ frame: [frame: AudioFrame]; error: [error: Error] }> implements FanoutEncoder {
  readonly audioSpecificConfig = Buffer.from([0x11, 0x90]);
  closed = false;
  constructor(readonly codec: AudioCodec) {
    super();
  }
  encode(chunk: PcmChunk): void {
    const data = Buffer.alloc(2);
    data.writeInt16LE(chunk.samples[0] ?? 0);
    this.emit('frame', { codec: this.codec, time: chunk.time, data });
  }
  close(): void {
    this.closed = true;
  }
}

class SimpleMixer extends EventEmitter<{ soundEnded: [] }> implements FanoutMixer {
  muted = false;
  private sound: { value: number; left: number; loop: boolean } | undefined;
  playSound(samples: Int16Array, loop: boolean): void {
    this.sound = { value: samples[0] ?? 0, left: samples.length, loop };
  }
  stopSound(): void {
    this.sound = undefined;
  }
  process(chunk: PcmChunk): PcmChunk {
    const out = this.muted ? new Int16Array(chunk.samples.length) : Int16Array.from(chunk.samples);
    if (this.sound) {
      out.fill(this.sound.value);
      if (!this.sound.loop && --this.sound.left === 0) {
        this.sound = undefined;
        this.emit('soundEnded');
      }
    }
    return { time: chunk.time, samples: out };
  }
}

function setup() {
  const stream = new EventEmitter<{ pcm: [chunk: PcmChunk] }>();
  const encoders: LabelEncoder[] = [];
  const fanout = new AudioFanout(stream as never, {
    createEncoder: (codec) => {
      const encoder = new LabelEncoder(codec);
      encoders.push(encoder);
      return encoder;
    },
    createMixer: () => new SimpleMixer(),
  });
  let time = 0;
  /** One 20 ms chunk of constant value 1000. */
  const push = (): void => {
    stream.emit('pcm', { time, samples: new Int16Array(1920).fill(1000) });
    time += 20;
  };
  return { fanout, encoders, push };
}

function recorder(): AudioSink & { got: Array<[number, number]>; ended: number } {
  const sink = {
    got: [] as Array<[number, number]>,
    ended: 0,
    frame(frame: AudioFrame) {
      sink.got.push([frame.time, frame.data.readInt16LE(0)]);
    },
    soundEnded() {
      sink.ended += 1;
    },
  };
  return sink;
}

describe('audio fan-out', () => {
  test('fan-out keys: one per (codec, muted), and one of its own with a sound', () => {
    assert.equal(fanoutKey('aac', false), 'aac:live');
    assert.equal(fanoutKey('aac', true), 'aac:muted');
    assert.equal(fanoutKey('pcmu', false), 'pcmu:live');
    assert.equal(fanoutKey('aac', false, 3), 'aac:own:3');
    assert.notEqual(fanoutKey('aac', true, 3), fanoutKey('aac', true, 4));
  });

  test('one encode serves every transponder whose audio state is the same', () => {
    const { fanout, encoders, push } = setup();
    const a = recorder();
    const b = recorder();
    const c = recorder();
    const d = recorder();
    fanout.subscribe('aac', false, a);
    fanout.subscribe('aac', false, b);
    fanout.subscribe('aac', true, c);
    fanout.subscribe('pcma', false, d);
    push();
    assert.equal(encoders.length, 3);
    assert.deepEqual(fanout.groupKeys().sort(), ['aac:live', 'aac:muted', 'pcma:live']);
    assert.deepEqual(a.got, [[0, 1000]]);
    assert.deepEqual(b.got, [[0, 1000]]);
    assert.deepEqual(c.got, [[0, 0]], 'muted gets silence, not a gap');
    assert.deepEqual(d.got, [[0, 1000]]);
    fanout.close();
    assert.ok(encoders.every((e) => e.closed));
  });

  test('muting midway switches to silence with no gap and no duplicate frame', () => {
    const { fanout, push } = setup();
    const a = recorder();
    const sub = fanout.subscribe('aac', false, a);
    push();
    push();
    sub.setMuted(true);
    push();
    push();
    sub.setMuted(false);
    push();
    assert.deepEqual(a.got, [
      [0, 1000],
      [20, 1000],
      [40, 0],
      [60, 0],
      [80, 1000],
    ]);
    fanout.close();
  });

  test('a sound gets its own encoder, and the transponder returns to the shared one when it ends', () => {
    const { fanout, encoders, push } = setup();
    const a = recorder();
    const b = recorder();
    const sub = fanout.subscribe('aac', false, a);
    fanout.subscribe('aac', false, b);
    push();
    sub.playSound(new Int16Array(2).fill(7), false); // lasts 2 chunks in SimpleMixer
    assert.equal(sub.soundEnabled, true);
    assert.match(sub.groupKey, /^aac:own:/);
    push();
    push();
    push();
    assert.equal(a.ended, 1);
    assert.equal(sub.soundEnabled, false);
    assert.equal(sub.groupKey, 'aac:live');
    assert.deepEqual(a.got, [
      [0, 1000],
      [20, 7],
      [40, 7],
      [60, 1000],
    ]);
    assert.deepEqual(b.got.map(([, v]) => v), [1000, 1000, 1000, 1000], 'the others never hear the sound');
    assert.equal(encoders.length, 2);
    fanout.close();
  });

  test('stopSound while muted goes back to the muted group', () => {
    const { fanout, push } = setup();
    const a = recorder();
    const sub = fanout.subscribe('aac', true, a);
    sub.playSound(new Int16Array(100).fill(5), true);
    push();
    sub.stopSound();
    push();
    assert.equal(sub.groupKey, 'aac:muted');
    assert.deepEqual(a.got, [
      [0, 5],
      [20, 0],
    ]);
    fanout.close();
  });

  test('a closed subscription receives nothing more and its idle group stops encoding', () => {
    const { fanout, encoders, push } = setup();
    const a = recorder();
    const sub = fanout.subscribe('aac', false, a);
    push();
    sub.close();
    push();
    assert.equal(a.got.length, 1);
    let encoded = 0;
    encoders[0]!.on('frame', () => encoded++);
    push();
    assert.equal(encoded, 0);
    fanout.close();
  });

  test('a stream without audio starts no encoder', () => {
    const { fanout, encoders } = setup();
    fanout.subscribe('aac', false, recorder());
    fanout.subscribe('aac', true, recorder());
    assert.equal(encoders.length, 0);
    assert.equal(fanout.encoderCount, 0);
    fanout.close();
  });

  test('an encoder that fails is closed and the stream keeps going (a new one takes over)', () => {
    const { fanout, encoders, push } = setup();
    const a = recorder();
    fanout.subscribe('aac', false, a);
    push();
    assert.equal(fanout.encoderCount, 1);
    encoders[0]!.emit('error', new Error('ffmpeg exited 1'));
    assert.equal(encoders[0]!.closed, true);
    assert.equal(fanout.encoderCount, 0);
    push(); // replaced on the next chunk (retries and back-off: audio-fanout-recover.test.ts)
    assert.equal(encoders.length, 2);
    assert.equal(a.got.length, 2);
    fanout.close();
  });
});
