// The audio mixer as the streamer sees it: one channel per source (microphone, the screen's audio, media
// sounds) with a fader in dB, mute, and a peak meter in dBFS with a clip mark; the capture switches of
// the microphone (noise suppression, echo cancellation). The sound itself runs in mixer/mixer.ts.
import type { ChannelKind, Mixer } from '../mixer/mixer.js';
import type { StudioServices } from '../services/index.js';
import { messageOf, patch, type GetStudio, type SetStudio } from './types.js';

export interface MixerChannelView {
  id: string;
  kind: ChannelKind;
  label: string;
  db: number;
  muted: boolean;
  /** A source is feeding it now. */
  live: boolean;
  peakDbfs: number;
  /** The peak reached the clip level within the last CLIP_HOLD_MS. */
  clipped: boolean;
}

export interface MixerSlice {
  channels: MixerChannelView[];
  error: string | undefined;
  /** The media sound playing now, and whether it loops. */
  playing: { file: string; loop: boolean } | undefined;
  /** Connects the slice to the program's mixer and starts its meters. */
  attach(mixer: Mixer): void;
  /** A source's track (undefined: it stopped) into channel `id`. */
  feed(id: 'microphone' | 'screen', track: MediaStreamTrack | undefined): void;
  setDb(id: string, db: number): void;
  setMuted(id: string, muted: boolean): void;
  /** Plays a sound of the media folder through the "Media sounds" channel, once or looped until stopped. */
  playMedia(file: string, opts?: { loop?: boolean }): Promise<void>;
  stopMedia(): void;
}

const LABELS: Record<string, { kind: ChannelKind; label: string }> = {
  microphone: { kind: 'microphone', label: 'Microphone' },
  screen: { kind: 'screen', label: 'Screen audio' },
  media: { kind: 'media', label: 'Media sounds' },
};
const METER_INTERVAL_MS = 100;
const CLIP_HOLD_MS = 2000;

export function createMixerSlice(set: SetStudio, get: GetStudio, services: StudioServices): MixerSlice {
  const update = (fn: (s: MixerSlice) => Partial<MixerSlice>): void => patch(set, 'mixer', fn);
  let mixer: Mixer | undefined;
  let meterTimer: ReturnType<typeof setInterval> | undefined;
  const clippedAt: Record<string, number> = {};
  /** Counts playMedia calls: the latest one owns `playing`. */
  let playToken = 0;

  const edit = (id: string, fn: (c: MixerChannelView) => Partial<MixerChannelView>): void =>
    update((s) => ({ channels: s.channels.map((c) => (c.id === id ? { ...c, ...fn(c) } : c)) }));

  function channelView(id: string): MixerChannelView {
    const known = LABELS[id] ?? { kind: 'media' as const, label: id };
    return { id, kind: known.kind, label: known.label, db: 0, muted: false, live: false, peakDbfs: -Infinity, clipped: false };
  }

  function ensureChannel(id: string): void {
    if (!get().mixer.channels.some((c) => c.id === id)) update((s) => ({ channels: [...s.channels, channelView(id)] }));
  }

  function readMeters(): void {
    if (!mixer) return;
    const levels = mixer.levels();
    const now = Date.now();
    update((s) => ({
      channels: s.channels.map((c) => {
        const level = levels[c.id];
        if (!level) return c;
        if (level.clipped) clippedAt[c.id] = now;
        return { ...c, peakDbfs: level.peakDbfs, clipped: now - (clippedAt[c.id] ?? -Infinity) < CLIP_HOLD_MS };
      }),
    }));
  }

  return {
    channels: [channelView('microphone')],
    error: undefined,
    playing: undefined,
    attach(next) {
      mixer = next;
      clearInterval(meterTimer);
      meterTimer = setInterval(readMeters, METER_INTERVAL_MS);
      for (const c of get().mixer.channels) {
        mixer.setGainDb(c.id, c.db);
        mixer.setMuted(c.id, c.muted);
      }
    },
    feed(id, track) {
      if (!mixer) return;
      ensureChannel(id);
      mixer.setTrack(id, LABELS[id]!.kind, track);
      const channel = get().mixer.channels.find((c) => c.id === id)!;
      mixer.setGainDb(id, channel.db);
      mixer.setMuted(id, channel.muted);
      edit(id, () => ({ live: track !== undefined }));
    },
    setDb(id, db) {
      mixer?.setGainDb(id, db);
      edit(id, () => ({ db }));
    },
    setMuted(id, muted) {
      mixer?.setMuted(id, muted);
      edit(id, () => ({ muted }));
    },
    async playMedia(file, opts = {}) {
      if (!mixer) return;
      const program = mixer;
      ensureChannel('media');
      const channel = get().mixer.channels.find((c) => c.id === 'media')!;
      const loop = opts.loop ?? false;
      const token = ++playToken;
      try {
        const bytes = await (await services.api.mediaFile(file)).arrayBuffer();
        edit('media', () => ({ live: true }));
        const playing = program.play('media', bytes, { loop });
        program.setGainDb('media', channel.db);
        program.setMuted('media', channel.muted);
        update(() => ({ error: undefined, playing: { file, loop } }));
        await playing;
      } catch (error) {
        update(() => ({ error: `"${file}" could not be played: ${messageOf(error)}` }));
      } finally {
        // A newer sound may have replaced this one meanwhile: only the latest one's end clears the state.
        if (token === playToken) {
          edit('media', () => ({ live: false }));
          update(() => ({ playing: undefined }));
        }
      }
    },

    stopMedia() {
      mixer?.stop('media');
    },
  };
}
