// The combined studio state: one nested object per concern (zustand's slices pattern).
import type { StoreApi } from 'zustand/vanilla';
import type { DevicesSlice } from './devices.js';
import type { PublishSlice } from './publish.js';
import type { SettingsSlice } from './settings.js';
import type { TargetsSlice } from './targets.js';
import type { TranspondersSlice } from './transponders.js';

export interface StudioState {
  devices: DevicesSlice;
  publish: PublishSlice;
  targets: TargetsSlice;
  transponders: TranspondersSlice;
  settings: SettingsSlice;
}

export type SetStudio = StoreApi<StudioState>['setState'];
export type GetStudio = StoreApi<StudioState>['getState'];

/** Replaces one slice's fields, keeping its actions. */
export function patch<K extends keyof StudioState>(set: SetStudio, key: K, update: (slice: StudioState[K]) => Partial<StudioState[K]>): void {
  set((state) => ({ [key]: { ...state[key], ...update(state[key]) } }) as Pick<StudioState, K>);
}
