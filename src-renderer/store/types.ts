// The combined studio state: one nested object per concern (zustand's slices pattern).
import type { StoreApi } from 'zustand/vanilla';
import type { DevicesSlice } from './devices.js';
import type { HostSlice } from './host.js';
import type { MediaSlice } from './media.js';
import type { MixerSlice } from './mixer.js';
import type { ProgramSlice } from './program.js';
import type { PublishSlice } from './publish.js';
import type { RecordingsSlice } from './recordings.js';
import type { ScenesSlice } from './scenes.js';
import type { SettingsSlice } from './settings.js';
import type { TargetsSlice } from './targets.js';
import type { TranspondersSlice } from './transponders.js';

export interface StudioState {
  host: HostSlice;
  devices: DevicesSlice;
  publish: PublishSlice;
  targets: TargetsSlice;
  transponders: TranspondersSlice;
  media: MediaSlice;
  settings: SettingsSlice;
  recordings: RecordingsSlice;
  program: ProgramSlice;
  scenes: ScenesSlice;
  mixer: MixerSlice;
}

export type SetStudio = StoreApi<StudioState>['setState'];
export type GetStudio = StoreApi<StudioState>['getState'];

/** Replaces one slice's fields, keeping its actions. */
export function patch<K extends keyof StudioState>(set: SetStudio, key: K, update: (slice: StudioState[K]) => Partial<StudioState[K]>): void {
  set((state) => ({ [key]: { ...state[key], ...update(state[key]) } }) as Pick<StudioState, K>);
}

/** An error's message, for a sentence shown to the streamer. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
