// Per-transponder audio state: mute and WAV sound injection over the source (REST `mute`, `sound_on`).
// Works on the relay's PCM (48 kHz interleaved stereo 16-bit); a muted transponder sends encoded silence,
// never a gap, so `process` always returns a chunk of the input's length and time.

import { EventEmitter } from 'node:events';
import type { PcmChunk } from '../../media.js';

const INT16_MAX = 32767;
const INT16_MIN = -32768;

export class AudioMixer extends EventEmitter<{ soundEnded: [] }> {
  muted = false;
  private sound: Int16Array | undefined;
  private loop = false;
  private position = 0;

  /** True while a sound is being injected (REST `soundEnabled`). */
  get soundEnabled(): boolean {
    return this.sound !== undefined;
  }

  /** Starts `samples` (48 kHz interleaved stereo) from its beginning, replacing any sound playing. */
  playSound(samples: Int16Array, loop: boolean): void {
    if (samples.length % 2 !== 0) throw new RangeError(`stereo sound must have an even sample count, got ${samples.length}`);
    if (samples.length === 0) throw new RangeError('sound has no samples');
    this.sound = samples;
    this.loop = loop;
    this.position = 0;
  }

  /** Stops the sound at once (REST `sound_off`); emits nothing, the caller asked for it. */
  stopSound(): void {
    this.sound = undefined;
    this.position = 0;
  }

  /** The chunk as this transponder sends it. Unmuted with no sound that is the input itself (not copied):
   *  what a mixer returns is read, never written to. */
  process(chunk: PcmChunk): PcmChunk {
    const sound = this.sound;
    if (!sound && !this.muted) return chunk;
    const out = this.muted ? new Int16Array(chunk.samples.length) : chunk.samples.slice();
    if (!sound) return { time: chunk.time, samples: out };
    let ended = false;
    for (let i = 0; i < out.length; i++) {
      if (this.position >= sound.length) {
        if (!this.loop) {
          ended = true;
          break;
        }
        this.position = 0;
      }
      const v = out[i]! + sound[this.position++]!;
      out[i] = v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v;
    }
    if (!this.loop && this.position >= sound.length) ended = true;
    if (ended) {
      this.sound = undefined;
      this.position = 0;
      this.emit('soundEnded');
    }
    return { time: chunk.time, samples: out };
  }
}
