// The audio mixer (Web Audio): each source (a microphone, a screen's or tab's audio, media sounds) goes
// through its own gain (the fader, in dB) and mute into one MediaStreamAudioDestinationNode, whose track is
// the one audio track the studio publishes. A meter per source reads its peak after the fader.
import { CLIP_DBFS, dbToGain, peakDbfs } from './db.js';

export type ChannelKind = 'microphone' | 'screen' | 'media';

export interface ChannelLevel {
  /** Peak since the last reading, dBFS (−Infinity for silence). */
  peakDbfs: number;
  clipped: boolean;
}

interface Channel {
  kind: ChannelKind;
  gain: GainNode;
  analyser: AnalyserNode;
  samples: Float32Array<ArrayBuffer>;
  input: AudioNode | undefined;
  track: MediaStreamTrack | undefined;
  db: number;
  muted: boolean;
  /** Muted by the scene (a "Be right back" scene turns the microphone off), apart from the streamer's mute. */
  sceneMuted: boolean;
}

export class Mixer {
  readonly context: AudioContext;
  private readonly destination: MediaStreamAudioDestinationNode;
  private readonly channels = new Map<string, Channel>();

  constructor() {
    this.context = new AudioContext({ sampleRate: 48000 });
    this.destination = this.context.createMediaStreamDestination();
  }

  /** The mix: the one audio track published. */
  get track(): MediaStreamTrack {
    return this.destination.stream.getAudioTracks()[0]!;
  }

  /** Starts the audio clock where the page may not start it by itself (autoplay policy). */
  resume(): void {
    if (this.context.state === 'suspended') void this.context.resume().catch(() => undefined);
  }

  private channel(id: string, kind: ChannelKind): Channel {
    let channel = this.channels.get(id);
    if (!channel) {
      const gain = this.context.createGain();
      const analyser = this.context.createAnalyser();
      analyser.fftSize = 2048;
      gain.connect(analyser);
      gain.connect(this.destination);
      channel = { kind, gain, analyser, samples: new Float32Array(analyser.fftSize), input: undefined, track: undefined, db: 0, muted: false, sceneMuted: false };
      this.channels.set(id, channel);
    }
    return channel;
  }

  /** Feeds a captured audio track into channel `id` (undefined: the source ended, the channel stays). */
  setTrack(id: string, kind: ChannelKind, track: MediaStreamTrack | undefined): void {
    const channel = this.channel(id, kind);
    if (channel.track === track) return;
    channel.input?.disconnect();
    channel.input = undefined;
    channel.track = track;
    if (track) {
      channel.input = this.context.createMediaStreamSource(new MediaStream([track]));
      channel.input.connect(channel.gain);
    }
    this.resume();
  }

  /**
   * Plays decoded audio through channel `id`, once or looped until stop(id); resolves when it ends or is
   * stopped. A new sound on the channel stops the one playing.
   */
  async play(id: string, bytes: ArrayBuffer, opts: { loop?: boolean } = {}): Promise<void> {
    const channel = this.channel(id, 'media');
    const buffer = await this.context.decodeAudioData(bytes);
    this.stop(id);
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.loop = opts.loop ?? false;
    source.connect(channel.gain);
    channel.input = source;
    this.resume();
    await new Promise<void>((resolve) => {
      source.onended = () => resolve();
      source.start();
    });
    source.disconnect();
    if (channel.input === source) channel.input = undefined;
  }

  /** Stops the sound playing through channel `id`, if any (its play() then resolves). */
  stop(id: string): void {
    const channel = this.channels.get(id);
    if (channel?.input instanceof AudioBufferSourceNode) channel.input.stop();
  }

  setGainDb(id: string, db: number): void {
    const channel = this.channels.get(id);
    if (!channel) return;
    channel.db = db;
    this.applyGain(channel);
  }

  setMuted(id: string, muted: boolean, by: 'user' | 'scene' = 'user'): void {
    const channel = this.channels.get(id);
    if (!channel) return;
    if (by === 'scene') channel.sceneMuted = muted;
    else channel.muted = muted;
    this.applyGain(channel);
  }

  /** Every channel's peak since the last call. */
  levels(): Record<string, ChannelLevel> {
    const levels: Record<string, ChannelLevel> = {};
    for (const [id, channel] of this.channels) {
      channel.analyser.getFloatTimeDomainData(channel.samples);
      const peak = peakDbfs(channel.samples);
      levels[id] = { peakDbfs: peak, clipped: peak >= CLIP_DBFS };
    }
    return levels;
  }

  close(): void {
    void this.context.close().catch(() => undefined);
  }

  private applyGain(channel: Channel): void {
    const value = channel.muted || channel.sceneMuted ? 0 : dbToGain(channel.db);
    // setValueAtTime, not a ramp: a mute is digital silence from the next render quantum on.
    channel.gain.gain.setValueAtTime(value, this.context.currentTime);
  }
}
