// G.711 (A-law / µ-law) for RTMP: FLV SoundFormat 7/8 carries 8 kHz mono. 48 kHz stereo is downmixed,
// resampled to 8 kHz and cut into 20 ms frames of 160 samples (one byte each, ITU-T G.711).

import type { AudioCodec } from '../../media.js';
import type { Log } from '../../log.js';
import { encodeAlaw, encodeUlaw } from '../../codec/audio/g711.js';
import { Resampler, stereoToMono } from '../../codec/audio/resample.js';
import { BaseAudioEncoder } from './encoder-base.js';
import { SOUND_FLAGS } from '../../flv/tags.js';

export const G711 = { rate: 8000, frameSamples: 160, frameMs: 20 } as const;
/** 48000 / 8000: input sample frames per output sample. */
const DECIMATION = 6;

export class G711Encoder extends BaseAudioEncoder {
  readonly flvSoundFlags: number;
  /** The resampler times its output exactly (look-ahead is latency, not offset). */
  readonly delayMs = 0;
  private readonly resampler = new Resampler(48000, G711.rate, 1);
  private readonly compand: (pcm: Int16Array) => Buffer;
  private pending = new Int16Array(G711.frameSamples);
  private pendingLength = 0;
  private framesOut = 0;

  constructor(readonly codec: Extract<AudioCodec, 'pcma' | 'pcmu'>, log: Log) {
    super(log);
    this.flvSoundFlags = SOUND_FLAGS[codec];
    this.compand = codec === 'pcma' ? encodeAlaw : encodeUlaw;
  }

  protected encodePcm(samples: Int16Array): void {
    this.push(this.resampler.process(stereoToMono(samples)));
  }

  async end(): Promise<void> {
    if (this.closed || this.ending) return;
    this.ending = true;
    this.push(this.resampler.flush());
    if (this.pendingLength > 0) {
      this.pending.fill(0, this.pendingLength); // pad the last frame with silence
      this.pendingLength = G711.frameSamples;
      this.emitPending();
    }
    this.close();
  }

  close(): void {
    this.closed = true;
  }

  private push(mono8k: Int16Array): void {
    let offset = 0;
    while (offset < mono8k.length) {
      const take = Math.min(G711.frameSamples - this.pendingLength, mono8k.length - offset);
      this.pending.set(mono8k.subarray(offset, offset + take), this.pendingLength);
      this.pendingLength += take;
      offset += take;
      if (this.pendingLength === G711.frameSamples) this.emitPending();
    }
  }

  private emitPending(): void {
    const time = this.clock.timeAt(this.framesOut * G711.frameSamples * DECIMATION);
    this.framesOut++;
    this.pendingLength = 0;
    this.emitFrame({ codec: this.codec, time, data: this.compand(this.pending) });
  }
}
