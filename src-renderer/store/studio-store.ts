// The one bound store of the studio, built from the slices (zustand vanilla: testable without React).
// Actions reach the network and the devices only through `services`.
import { createStore, type StoreApi } from 'zustand/vanilla';
import { browserServices, type StudioServices } from '../services/index.js';
import { createDevicesSlice } from './devices.js';
import { createHostSlice } from './host.js';
import { createMediaSlice } from './media.js';
import { createMixerSlice } from './mixer.js';
import { createProgramSlice } from './program.js';
import { createPublishSlice } from './publish.js';
import { createRecordingsSlice } from './recordings.js';
import { createScenesSlice } from './scenes.js';
import { createSettingsSlice } from './settings.js';
import { createTargetsSlice } from './targets.js';
import { createTranspondersSlice } from './transponders.js';
import type { StudioState } from './types.js';

export type StudioStore = StoreApi<StudioState>;

export function createStudioStore(options: { services?: StudioServices; streamName?: string } = {}): StudioStore {
  const services = options.services ?? browserServices;
  return createStore<StudioState>()((set, get) => ({
    host: createHostSlice(set, get, services),
    devices: createDevicesSlice(set, get, services),
    publish: createPublishSlice(set, get, services, options.streamName),
    targets: createTargetsSlice(set, get, services),
    transponders: createTranspondersSlice(set, services),
    media: createMediaSlice(set, services),
    settings: createSettingsSlice(set, get, services),
    recordings: createRecordingsSlice(set, get, services),
    program: createProgramSlice(set, get, services),
    scenes: createScenesSlice(set, get, services),
    mixer: createMixerSlice(set, get, services),
  }));
}

export type { StudioState } from './types.js';
