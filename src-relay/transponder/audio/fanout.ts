// Audio of a stream's transponders (docs/DESIGN.md §3 "Audio"): the stream's PCM goes through a mixer (mute, WAV
// injection) and an encoder for the transponder's codec. One encode serves every transponder whose audio
// state is the same, so a group = (codec, muted) for transponders without a sound, and a group of its own for
// a transponder that is injecting a sound.
//
//   stream 'pcm' ─▶ group "aac:live"  : mixer(unmuted) ─▶ encoder ─▶ transponders A, B, C
//                ─▶ group "aac:muted" : mixer(muted)   ─▶ encoder ─▶ transponder D      (silence, not a gap)
//                ─▶ group "aac:own:7" : mixer(sound)   ─▶ encoder ─▶ transponder E
//
// When a transponder changes group (mute, sound on/off/ended) it takes the old group's frames that start
// before the switch time and the new group's from then on, so the switch leaves no gap while the new
// encoder warms up. Encoders stamp frames with the input clock (AudioFrame.time = first sample), so the
// encoder delay never shifts timestamps; it only delays delivery. Two consequences:
// - the old group keeps encoding after its last member left until it has put out a frame at or past the
//   switch time: an encoder holds its last ~60 ms (AAC look-ahead) until more input pushes them out;
// - the new group's frames are held back until the old group's last ones are out (the two encoders run at
//   different delays), so the transponder receives the audio in time order.
//
// A stream that sends no audio gets video only: encoders start on the first PCM chunk, so nothing is encoded
// and no audio tag is sent (onMetaData still names the transponder's audio codec: at connect time the audio
// may just not have arrived yet). Audio encoded before a connection's first keyframe is dropped so that both
// tracks start together (transponder/clock.ts).
import { EventEmitter } from 'node:events';
import type { AudioCodec, AudioFrame, PcmChunk } from '../../media.js';
import { PCM_CHANNELS, PCM_RATE } from '../../media.js';
import type { LiveStream } from '../../streams.js';
import type { Log } from '../../log.js';
import { silentLog } from '../../log.js';

/** What the fan-out needs of an encoder (src-relay/transponder/audio/encoder.ts provides it). */
export interface FanoutEncoder extends EventEmitter<{ frame: [frame: AudioFrame]; error: [error: Error] }> {
  /** AudioSpecificConfig for the AAC sequence header (ISO 14496-3 §1.6.2.1); undefined for other codecs. */
  readonly audioSpecificConfig?: Buffer;
  encode(chunk: PcmChunk): void;
  close(): void;
}

/** What the fan-out needs of a mixer (src-relay/transponder/audio/mixer.ts provides it). */
export interface FanoutMixer extends EventEmitter<{ soundEnded: [] }> {
  muted: boolean;
  playSound(samples: Int16Array, loop: boolean): void;
  stopSound(): void;
  process(chunk: PcmChunk): PcmChunk;
}

export interface FanoutDeps {
  createEncoder(codec: AudioCodec): FanoutEncoder;
  createMixer(): FanoutMixer;
  log?: Log;
}

/** Receives the encoded frames of one transponder. */
export interface AudioSink {
  /** `encoder` is the group's encoder (for its AudioSpecificConfig). */
  frame(frame: AudioFrame, encoder: FanoutEncoder): void;
  /** A non-looping sound finished: the transponder is back in a shared group. */
  soundEnded(): void;
}

/** How long a group that lost a member keeps delivering its frames before the switch time at the most. */
const SWITCH_GRACE_MS = 3000;

/** The group key: transponders with equal keys share one mixer and one encoder. */
export function fanoutKey(codec: AudioCodec, muted: boolean, ownId?: number): string {
  return ownId === undefined ? `${codec}:${muted ? 'muted' : 'live'}` : `${codec}:own:${ownId}`;
}

interface Membership {
  sink: AudioSink;
  /** Frames with fromTime ≤ time < untilTime go to this member (stream clock, ms). */
  fromTime: number;
  untilTime: number;
  /** Called once the membership has had its last frame (or its grace ran out). */
  onDone?: () => void;
}

/**
 * An encoder that emits 'error' has closed itself (ffmpeg died, a write failed). The group replaces it so
 * that its transponders do not go silent for good: the first replacement starts on the next PCM chunk, the
 * next ones after these delays. A replacement that delivers a frame proves itself and resets the count; after
 * this many failures in a row with no frame in between (ffmpeg missing or unusable) the group gives up,
 * logs it, and carries no audio rather than spawning encoders forever.
 */
const ENCODER_RESTART_DELAYS_MS = [0, 1000, 5000] as const;

class Group {
  readonly members = new Set<Membership>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Started on the first PCM chunk: a stream without audio costs no encoder process. */
  private encoder: FanoutEncoder | undefined;
  /** Failures since the last encoder that delivered a frame. */
  private failures = 0;
  private restartAt = 0;
  private gaveUp = false;

  constructor(
    readonly key: string,
    readonly mixer: FanoutMixer,
    private readonly createEncoder: () => FanoutEncoder,
    private readonly log: Log,
  ) {}

  get encoding(): boolean {
    return this.encoder !== undefined;
  }

  encode(chunk: PcmChunk): void {
    const encoder = this.encoder ?? this.startEncoder();
    if (encoder) encoder.encode(this.mixer.process(chunk));
    else this.mixer.process(chunk); // keep a sound's position moving while the encoder is down
  }

  private startEncoder(): FanoutEncoder | undefined {
    if (this.gaveUp || Date.now() < this.restartAt) return undefined;
    if (this.failures > 0) this.log('audio.encoder_restart', { group: this.key, attempt: this.failures });
    const encoder = this.createEncoder();
    encoder.on('frame', (frame) => {
      this.failures = 0;
      this.deliver(frame, encoder);
    });
    encoder.on('error', (error) => this.encoderFailed(encoder, error));
    this.encoder = encoder;
    return encoder;
  }

  private encoderFailed(encoder: FanoutEncoder, error: Error): void {
    this.log('audio.encoder_error', { group: this.key, error: error.message });
    encoder.close();
    if (this.encoder !== encoder) return;
    this.encoder = undefined;
    if (this.failures >= ENCODER_RESTART_DELAYS_MS.length) {
      this.gaveUp = true;
      this.log('audio.encoder_gave_up', { group: this.key, failures: this.failures + 1 });
      return;
    }
    this.restartAt = Date.now() + ENCODER_RESTART_DELAYS_MS[this.failures]!;
    this.failures += 1;
  }

  private deliver(frame: AudioFrame, encoder: FanoutEncoder): void {
    for (const member of this.members) {
      if (frame.time >= member.untilTime) this.retire(member);
      else if (frame.time >= member.fromTime) member.sink.frame(frame, encoder);
    }
  }

  private retire(member: Membership): void {
    if (this.members.delete(member)) member.onDone?.();
  }

  /** Ends a membership at `time`, keeping it a little longer for frames still in the encoder. */
  leave(member: Membership, time: number, onEmpty: () => void): void {
    member.untilTime = time;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.retire(member);
      if (this.members.size === 0) onEmpty();
    }, SWITCH_GRACE_MS);
    timer.unref();
    this.timers.add(timer);
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.encoder?.close();
    this.encoder = undefined;
  }
}

/** The audio path of one stream, shared by all its transponders. */
export class AudioFanout {
  private readonly groups = new Map<string, Group>();
  private nextOwnId = 1;
  /** Stream time where the next PCM chunk starts: the switch time of a group change. */
  private nextChunkTime = 0;
  private readonly log: Log;
  private readonly onPcm = (chunk: PcmChunk): void => this.process(chunk);

  constructor(
    private readonly stream: Pick<LiveStream, 'on' | 'off'>,
    private readonly deps: FanoutDeps,
  ) {
    this.log = deps.log ?? silentLog;
    stream.on('pcm', this.onPcm);
  }

  /** Number of running encoders (for tests and stats). */
  get encoderCount(): number {
    return [...this.groups.values()].filter((g) => g.encoding).length;
  }

  groupKeys(): string[] {
    return [...this.groups.keys()];
  }

  subscribe(codec: AudioCodec, muted: boolean, sink: AudioSink): AudioSubscription {
    return new AudioSubscription(this, codec, muted, sink);
  }

  close(): void {
    this.stream.off('pcm', this.onPcm);
    for (const group of this.groups.values()) group.close();
    this.groups.clear();
  }

  /** @internal joins `key`'s group (created on demand) from the current switch time. */
  join(key: string, codec: AudioCodec, sink: AudioSink, setup?: (mixer: FanoutMixer) => void): Membership {
    let group = this.groups.get(key);
    if (!group) {
      const mixer = this.deps.createMixer();
      mixer.muted = key.endsWith(':muted');
      setup?.(mixer);
      group = new Group(key, mixer, () => this.deps.createEncoder(codec), this.log);
      this.groups.set(key, group);
    }
    const member: Membership = { sink, fromTime: this.nextChunkTime, untilTime: Infinity };
    group.members.add(member);
    return member;
  }

  /** @internal */
  leave(key: string, member: Membership): void {
    const group = this.groups.get(key);
    if (!group) return;
    group.leave(member, this.nextChunkTime, () => this.dropGroup(key, group));
  }

  /** @internal the group's mixer (for a subscription's own group). */
  mixer(key: string): FanoutMixer | undefined {
    return this.groups.get(key)?.mixer;
  }

  /** @internal */
  newOwnId(): number {
    return this.nextOwnId++;
  }

  private dropGroup(key: string, group: Group): void {
    if (this.groups.get(key) !== group || group.members.size > 0) return;
    this.groups.delete(key);
    group.close();
  }

  private process(chunk: PcmChunk): void {
    this.nextChunkTime = chunk.time + ((chunk.samples.length / PCM_CHANNELS) * 1000) / PCM_RATE;
    for (const group of this.groups.values()) {
      // A group whose members have all left still encodes until its frames reach their switch times.
      if (group.members.size === 0) continue;
      try {
        group.encode(chunk);
      } catch (error) {
        this.log('audio.group_error', { group: group.key, error: (error as Error).message });
      }
    }
  }
}

/**
 * A subscription's memberships, oldest first. Frames of a membership go straight to the sink only while
 * every older one is done; until then they are held, and released in order when the older ones finish.
 * Bounded: a membership is done at the latest SWITCH_GRACE_MS after it ended.
 */
class InOrder {
  private readonly entries: Array<{ done: boolean; held: Array<[AudioFrame, FanoutEncoder]> }> = [];

  constructor(private readonly sink: AudioSink) {}

  /** The frame callback for a new (newest) membership, and what marks it done. */
  add(): { frame: AudioSink['frame']; done: () => void } {
    const entry = { done: false, held: [] as Array<[AudioFrame, FanoutEncoder]> };
    this.entries.push(entry);
    return {
      frame: (frame, encoder) => {
        if (this.entries[0] === entry) this.sink.frame(frame, encoder);
        else entry.held.push([frame, encoder]);
      },
      done: () => {
        entry.done = true;
        this.release();
      },
    };
  }

  private release(): void {
    while (this.entries[0]?.done) {
      this.entries.shift();
      const next = this.entries[0];
      if (!next) return;
      for (const [frame, encoder] of next.held) this.sink.frame(frame, encoder);
      next.held = [];
    }
  }
}

/** One transponder's place in the fan-out; follows its mute and sound state. */
export class AudioSubscription {
  private key: string;
  private member: Membership;
  private ownId: number | undefined;
  private closed = false;
  private readonly inOrder: InOrder;

  constructor(
    private readonly fanout: AudioFanout,
    readonly codec: AudioCodec,
    private muted: boolean,
    private readonly sink: AudioSink,
  ) {
    this.inOrder = new InOrder(sink);
    this.key = fanoutKey(codec, muted);
    this.member = this.joinGroup(this.key);
  }

  get soundEnabled(): boolean {
    return this.ownId !== undefined;
  }

  get groupKey(): string {
    return this.key;
  }

  setMuted(muted: boolean): void {
    if (this.closed || muted === this.muted) return;
    this.muted = muted;
    const mixer = this.ownId === undefined ? undefined : this.fanout.mixer(this.key);
    if (mixer) mixer.muted = muted;
    else this.move(fanoutKey(this.codec, muted));
  }

  /** Starts injecting `samples` (48 kHz stereo s16) in a group of its own. */
  playSound(samples: Int16Array, loop: boolean): void {
    if (this.closed) return;
    const current = this.ownId === undefined ? undefined : this.fanout.mixer(this.key);
    if (current) {
      current.playSound(samples, loop);
      return;
    }
    const ownId = this.fanout.newOwnId();
    this.ownId = ownId;
    this.move(fanoutKey(this.codec, this.muted, ownId), (mixer) => {
      mixer.muted = this.muted;
      mixer.playSound(samples, loop);
      mixer.once('soundEnded', () => {
        if (this.ownId !== ownId) return;
        this.backToShared();
        this.sink.soundEnded();
      });
    });
  }

  stopSound(): void {
    if (this.closed || this.ownId === undefined) return;
    this.fanout.mixer(this.key)?.stopSound();
    this.backToShared();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.fanout.leave(this.key, this.member);
  }

  private backToShared(): void {
    this.ownId = undefined;
    this.move(fanoutKey(this.codec, this.muted));
  }

  private move(key: string, setup?: (mixer: FanoutMixer) => void): void {
    this.fanout.leave(this.key, this.member);
    this.key = key;
    this.member = this.joinGroup(key, setup);
  }

  private joinGroup(key: string, setup?: (mixer: FanoutMixer) => void): Membership {
    const { frame, done } = this.inOrder.add();
    const member = this.fanout.join(key, this.codec, { frame, soundEnded: () => this.sink.soundEnded() }, setup);
    member.onDone = done;
    return member;
  }
}
