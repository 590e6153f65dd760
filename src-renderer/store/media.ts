// The sounds a transponder can play (sound_on): the WAV files of the host's media folder, and adding one.
import type { MediaFile } from '../services/api.js';
import type { StudioServices } from '../services/index.js';
import { messageOf, patch, type SetStudio } from './types.js';

export interface MediaSlice {
  files: MediaFile[];
  /** Why the list could not be read, in plain words. */
  error: string | undefined;
  /** Reads the list from the host. */
  load(): Promise<void>;
  /** Adds a WAV file to the host's media folder and reads the list again; resolves with the refusal, if any. */
  upload(file: File): Promise<string | undefined>;
}

export function createMediaSlice(set: SetStudio, services: StudioServices): MediaSlice {
  const update = (fn: (s: MediaSlice) => Partial<MediaSlice>): void => patch(set, 'media', fn);

  async function load(): Promise<void> {
    try {
      const { files } = await services.api.media();
      update(() => ({ files, error: undefined }));
    } catch (error) {
      update(() => ({ error: `The sound list could not be loaded: ${messageOf(error)}` }));
    }
  }

  async function upload(file: File): Promise<string | undefined> {
    try {
      await services.api.uploadMedia(file.name, file);
    } catch (error) {
      return messageOf(error);
    }
    await load();
    return undefined;
  }

  return { files: [], error: undefined, load, upload };
}
