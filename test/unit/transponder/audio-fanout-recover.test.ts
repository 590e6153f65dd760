import { test, describe, mock, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { AudioFanout, type FanoutEncoder, type FanoutMixer, type AudioSink } from '../../../src-relay/transponder/audio/fanout.js';
import type { AudioCodec, AudioFrame, PcmChunk } from '../../../src-relay/media.js';
import type { LogFields } from '../../../src-relay/log.js';

// An encoder that emits 'error' has closed itself (BaseAudioEncoder.fail): the fan-out must replace it, with
// bounded retries, instead of leaving the group silent. Stand-ins as in audio-fanout.test.ts: one frame per
// chunk carrying the chunk's first sample, and a pass-through mixer.
class LabelEncoder extends EventEmitter<{ frame: [frame: AudioFrame]; error: [error: Error] }> implements FanoutEncoder {
  closed = false;
  constructor(readonly codec: AudioCodec) {
    super();
  }
  encode(chunk: PcmChunk): void {
    if (this.closed) return;
    const data = Buffer.alloc(2);
    data.writeInt16LE(chunk.samples[0] ?? 0);
    this.emit('frame', { codec: this.codec, time: chunk.time, data });
  }
  /** What BaseAudioEncoder.fail does: close, then report. */
  fail(message: string): void {
    this.closed = true;
    this.emit('error', new Error(message));
  }
  close(): void {
    this.closed = true;
  }
}

class PassMixer extends EventEmitter<{ soundEnded: [] }> implements FanoutMixer {
  muted = false;
  playSound(): void {}
  stopSound(): void {}
  process(chunk: PcmChunk): PcmChunk {
    return { time: chunk.time, samples: this.muted ? new Int16Array(chunk.samples.length) : chunk.samples };
  }
}

function setup(options: { failOnCreate?: boolean } = {}) {
  const stream = new EventEmitter<{ pcm: [chunk: PcmChunk] }>();
  const encoders: LabelEncoder[] = [];
  const logs: Array<[string, LogFields | undefined]> = [];
  const fanout = new AudioFanout(stream as never, {
    createEncoder: (codec) => {
      const encoder = new LabelEncoder(codec);
      encoders.push(encoder);
      // An encoder that cannot start (ffmpeg missing) reports its error on its first input.
      if (options.failOnCreate) encoder.encode = () => encoder.fail('spawn ffmpeg ENOENT');
      return encoder;
    },
    createMixer: () => new PassMixer(),
    log: (event, fields) => void logs.push([event, fields]),
  });
  let time = 0;
  /** One 20 ms chunk whose samples are its index (so frames say which chunk they carry). */
  const push = (): void => {
    stream.emit('pcm', { time, samples: new Int16Array(1920).fill(time / 20) });
    time += 20;
  };
  const sink: AudioSink & { got: number[] } = {
    got: [],
    frame(frame) {
      sink.got.push(frame.data.readInt16LE(0));
    },
    soundEnded() {},
  };
  return { fanout, encoders, logs, push, sink };
}

describe('audio fan-out: a failed encoder is replaced', () => {
  afterEach(() => mock.timers.reset());

  test('the next chunk goes to a new encoder at once, and the failure and restart are logged', () => {
    const { fanout, encoders, logs, push, sink } = setup();
    fanout.subscribe('aac', false, sink);
    push();
    push();
    encoders[0]!.fail('ffmpeg exited with code 1');
    assert.equal(fanout.encoderCount, 0);
    push();
    push();
    assert.equal(encoders.length, 2, 'a replacement encoder');
    assert.equal(fanout.encoderCount, 1);
    assert.deepEqual(sink.got, [0, 1, 2, 3], 'no chunk lost to the failure');
    assert.deepEqual(
      logs.map(([event]) => event),
      ['audio.encoder_error', 'audio.encoder_restart'],
    );
    assert.equal(logs[0]![1]!.group, 'aac:live');
    assert.equal(logs[0]![1]!.error, 'ffmpeg exited with code 1');
    fanout.close();
    assert.ok(encoders.every((e) => e.closed));
  });

  test('a replacement that delivers frames resets the count: occasional failures never exhaust the retries', () => {
    const { fanout, encoders, logs, push, sink } = setup();
    fanout.subscribe('aac', true, sink);
    for (let i = 0; i < 10; i++) {
      push();
      encoders.at(-1)!.fail(`crash ${i}`);
    }
    push();
    assert.equal(encoders.length, 11);
    assert.equal(sink.got.length, 11, 'every chunk was encoded');
    assert.ok(!logs.some(([event]) => event === 'audio.encoder_gave_up'));
    fanout.close();
  });

  test('failures in a row back off (0, 1 s, 5 s) and then give up with a log line; other groups go on', () => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const { fanout, encoders, logs, push, sink } = setup({ failOnCreate: true });
    fanout.subscribe('pcmu', false, sink);
    push(); // encoder 1 fails on its first input
    assert.equal(encoders.length, 1);
    push(); // restarts at once; encoder 2 fails
    assert.equal(encoders.length, 2);
    push(); // within the 1 s delay: nothing started
    assert.equal(encoders.length, 2);
    mock.timers.tick(1000);
    push(); // encoder 3 fails
    assert.equal(encoders.length, 3);
    mock.timers.tick(4999);
    push();
    assert.equal(encoders.length, 3, 'still inside the 5 s delay');
    mock.timers.tick(1);
    push(); // encoder 4 fails: the fourth failure in a row
    assert.equal(encoders.length, 4);
    mock.timers.tick(600_000);
    push();
    assert.equal(encoders.length, 4, 'gave up: no encoder spawned forever');
    assert.equal(fanout.encoderCount, 0);
    assert.deepEqual(sink.got, []);
    const gaveUp = logs.filter(([event]) => event === 'audio.encoder_gave_up');
    assert.equal(gaveUp.length, 1);
    assert.deepEqual(gaveUp[0]![1], { group: 'pcmu:live', failures: 4 });
    assert.deepEqual(
      logs.filter(([event]) => event === 'audio.encoder_restart').map(([, f]) => f!.attempt),
      [1, 2, 3],
    );
    assert.ok(encoders.every((e) => e.closed));
    fanout.close();
  });

  test('an error from an encoder already replaced changes nothing', () => {
    const { fanout, encoders, push, sink } = setup();
    fanout.subscribe('aac', false, sink);
    push();
    const first = encoders[0]!;
    first.fail('first');
    push();
    first.emit('error', new Error('late second report'));
    push();
    assert.equal(encoders.length, 2);
    assert.equal(fanout.encoderCount, 1);
    assert.deepEqual(sink.got, [0, 1, 2]);
    fanout.close();
  });
});

// A real encoder holds its last input until more pushes it out (ffmpeg's AAC look-ahead is ~60 ms), and two
// encoders run at different delays. A switch of group must still give the transponder every frame, once, in
// time order.
class LaggingEncoder extends EventEmitter<{ frame: [frame: AudioFrame]; error: [error: Error] }> implements FanoutEncoder {
  closed = false;
  private readonly queue: AudioFrame[] = [];
  constructor(
    readonly codec: AudioCodec,
    /** Chunks held back before a frame comes out. */
    private readonly lag: number,
  ) {
    super();
  }
  encode(chunk: PcmChunk): void {
    const data = Buffer.alloc(2);
    data.writeInt16LE(chunk.samples[0] ?? 0);
    this.queue.push({ codec: this.codec, time: chunk.time, data });
    while (this.queue.length > this.lag) this.emit('frame', this.queue.shift()!);
  }
  close(): void {
    this.closed = true;
  }
}

function laggingSetup(lags: number[]) {
  const stream = new EventEmitter<{ pcm: [chunk: PcmChunk] }>();
  let created = 0;
  const fanout = new AudioFanout(stream as never, {
    createEncoder: (codec) => new LaggingEncoder(codec, lags[created++] ?? 0),
    createMixer: () => new PassMixer(),
  });
  let time = 0;
  const push = (): void => {
    stream.emit('pcm', { time, samples: new Int16Array(1920).fill(1 + time / 20) });
    time += 20;
  };
  const sink: AudioSink & { got: Array<[number, number]> } = {
    got: [],
    frame(frame) {
      sink.got.push([frame.time, frame.data.readInt16LE(0)]);
    },
    soundEnded() {},
  };
  return { fanout, push, sink };
}

describe('audio fan-out: switching groups with encoders that lag', () => {
  test('the group left keeps encoding until its frames before the switch are out: no gap', () => {
    const { fanout, push, sink } = laggingSetup([3, 3]);
    const sub = fanout.subscribe('aac', false, sink);
    for (let i = 0; i < 5; i++) push();
    sub.setMuted(true); // switch at 100 ms; frames 40, 60, 80 are still inside the live encoder
    for (let i = 0; i < 8; i++) push();
    assert.deepEqual(
      sink.got.map(([t]) => t),
      [0, 20, 40, 60, 80, 100, 120, 140, 160, 180],
      'every 20 ms frame once, in order',
    );
    assert.deepEqual(sink.got.map(([, v]) => v), [1, 2, 3, 4, 5, 0, 0, 0, 0, 0], 'live up to the switch, then silence');
    fanout.close();
  });

  test('frames of the new group wait for the old group\'s last ones, so they arrive in time order', () => {
    const { fanout, push, sink } = laggingSetup([3, 0, 0]);
    const sub = fanout.subscribe('aac', false, sink);
    for (let i = 0; i < 5; i++) push();
    sub.setMuted(true); // the muted encoder has no lag: its frames would overtake the live one's
    push();
    push();
    sub.setMuted(false); // back to the live group while it still drains the first switch
    for (let i = 0; i < 6; i++) push();
    const times = sink.got.map(([t]) => t);
    assert.deepEqual(times, [...times].sort((a, b) => a - b), `in time order: ${times.join(', ')}`);
    // Back in the lagging live group: its last three chunks (200–240) are still inside it.
    assert.deepEqual(times, [0, 20, 40, 60, 80, 100, 120, 140, 160, 180]);
    assert.deepEqual(sink.got.map(([, v]) => v), [1, 2, 3, 4, 5, 0, 0, 8, 9, 10]);
    fanout.close();
  });
});
