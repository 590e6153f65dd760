// The one bound store of the studio, built from the slices (zustand vanilla: testable without React).
import { createStore, type StoreApi } from 'zustand/vanilla';
import { createDevicesSlice } from './devices.js';
import { createPublishSlice } from './publish.js';
import { createSettingsSlice } from './settings.js';
import { createTargetsSlice } from './targets.js';
import { createTranspondersSlice } from './transponders.js';
import type { StudioState } from './types.js';

export type StudioStore = StoreApi<StudioState>;

export function createStudioStore(streamName = 'studio'): StudioStore {
  return createStore<StudioState>()((set) => ({
    devices: createDevicesSlice(set),
    publish: createPublishSlice(set, streamName),
    targets: createTargetsSlice(set),
    transponders: createTranspondersSlice(set),
    settings: createSettingsSlice(set),
  }));
}

export type { StudioState } from './types.js';
