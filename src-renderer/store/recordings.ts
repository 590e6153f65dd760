// Local recordings (`/rest-api/recording/*`): the live and just-ended recordings, and the files of the host's
// recordings folder. The host answers a start at once with the recording, so the button changes state
// without waiting; while something records, the list is read again once a second (size and duration grow).
import type { Recording, RecordingFile } from '../../src-contract/recording.js';
import type { StudioServices } from '../services/index.js';
import { messageOf, patch, type SetStudio, type GetStudio, type StudioState } from './types.js';

export type { Recording, RecordingFile };

/** How often the list is read while a recording runs. */
export const RECORDING_POLL_MS = 1000;

export interface RecordingsSlice {
  byId: Record<string, Recording>;
  /** Start order. */
  order: string[];
  /** Recordings being stopped (the host remuxes before it answers). */
  stopping: Record<string, true>;
  files: RecordingFile[];
  /** The host's recordings folder. */
  dir: string | undefined;
  /** The last refused start or stop, in the host's words. */
  error: string | undefined;
  /** Why the list could not be read (cleared by the next read that works). */
  listError: string | undefined;
  /** Reads the recordings and the files; keeps reading while one records. */
  load(): Promise<void>;
  /** Records the stream `streamName`, or what the transponder `mediaSessionId` sends. */
  start(source: { streamName?: string; mediaSessionId?: string }): Promise<void>;
  stop(recordingId: string): Promise<void>;
  /** Takes a recording object the host sent. */
  apply(recording: Recording): void;
}

function withRecording(s: RecordingsSlice, r: Recording): Pick<RecordingsSlice, 'byId' | 'order'> {
  return { byId: { ...s.byId, [r.recordingId]: r }, order: s.order.includes(r.recordingId) ? s.order : [...s.order, r.recordingId] };
}

export function createRecordingsSlice(set: SetStudio, get: GetStudio, services: StudioServices): RecordingsSlice {
  const update = (fn: (s: RecordingsSlice) => Partial<RecordingsSlice>): void => patch(set, 'recordings', fn);
  const api = services.api.recording;
  let timer: ReturnType<typeof setTimeout> | undefined;

  /** One read at a time, then another in a second while anything records. */
  function schedule(): void {
    clearTimeout(timer);
    timer = undefined;
    if (recordingsSelectors.anyRecording(get())) timer = setTimeout(() => void get().recordings.load(), RECORDING_POLL_MS);
  }

  async function load(): Promise<void> {
    try {
      const [list, files] = await Promise.all([api.findAll(), api.files()]);
      update((s) => {
        let next: Pick<RecordingsSlice, 'byId' | 'order'> = { byId: {}, order: [] };
        for (const r of list) next = withRecording({ ...s, ...next }, r);
        return { ...next, files: files.files, dir: files.dir, listError: undefined };
      });
    } catch (error) {
      update(() => ({ listError: `The recordings could not be read: ${messageOf(error)}` }));
    }
    schedule();
  }

  async function start(source: { streamName?: string; mediaSessionId?: string }): Promise<void> {
    update(() => ({ error: undefined }));
    try {
      const recording = await api.startup(source);
      update((s) => withRecording(s, recording));
    } catch (error) {
      update(() => ({ error: messageOf(error) }));
    }
    schedule();
  }

  async function stop(recordingId: string): Promise<void> {
    update((s) => ({ error: undefined, stopping: { ...s.stopping, [recordingId]: true } }));
    try {
      const recording = await api.terminate(recordingId);
      update((s) => withRecording(s, recording));
    } catch (error) {
      update(() => ({ error: messageOf(error) }));
    }
    update((s) => {
      const stopping = { ...s.stopping };
      delete stopping[recordingId];
      return { stopping };
    });
    await load();
  }

  return {
    byId: {},
    order: [],
    stopping: {},
    files: [],
    dir: undefined,
    error: undefined,
    listError: undefined,
    load,
    start,
    stop,
    apply: (recording) => {
      update((s) => withRecording(s, recording));
      if (!timer) schedule();
    },
  };
}

const live = (r: Recording | undefined): r is Recording => r?.status === 'RECORDING';

export const recordingsSelectors = {
  anyRecording: (s: StudioState) => s.recordings.order.some((id) => live(s.recordings.byId[id])),
  /** The live recording of a whole stream (not of one of its targets), if any. */
  ofStream: (streamName: string) => (s: StudioState) =>
    s.recordings.order.map((id) => s.recordings.byId[id]).find((r) => live(r) && r.streamName === streamName && r.mediaSessionId === undefined),
  /** The live recording mirroring a transponder, if any. */
  ofTransponder: (mediaSessionId: string) => (s: StudioState) =>
    s.recordings.order.map((id) => s.recordings.byId[id]).find((r) => live(r) && r.mediaSessionId === mediaSessionId),
};

/** "1:05" / "1:02:03" for an elapsed time in ms. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** "830 KB" / "12.4 MB" / "1.21 GB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1e6) return `${Math.round(bytes / 1e3)} KB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}
