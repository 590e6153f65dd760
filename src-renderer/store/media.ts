// The host's media folder: the sounds a transponder can play (sound_on), the pictures image layers show,
// and adding either.
import type { MediaImage } from '../../src-contract/studio.js';
import type { MediaFile } from '../services/api.js';
import type { StudioServices } from '../services/index.js';
import { messageOf, patch, type SetStudio } from './types.js';

export interface MediaSlice {
  files: MediaFile[];
  /** PNG, JPEG and WebP pictures of the folder. */
  images: MediaImage[];
  /** Why the list could not be read, in plain words. */
  error: string | undefined;
  /** Reads the list from the host. */
  load(): Promise<void>;
  /** Adds a WAV sound or a picture to the host's media folder and reads the list again; resolves with the refusal, if any. */
  upload(file: File): Promise<string | undefined>;
}

export function createMediaSlice(set: SetStudio, services: StudioServices): MediaSlice {
  const update = (fn: (s: MediaSlice) => Partial<MediaSlice>): void => patch(set, 'media', fn);

  async function load(): Promise<void> {
    try {
      const { files, images } = await services.api.media();
      update(() => ({ files, images: images ?? [], error: undefined }));
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

  return { files: [], images: [], error: undefined, load, upload };
}
