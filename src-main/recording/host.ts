// The host's side of local recording: the folder (the `recordings_dir` setting), the relay's RecordingManager
// on the host's transponders, and the leftovers of a crash remuxed in the background at start.
import { isAbsolute, join, resolve } from 'node:path';
import { findFfmpeg, RecordingManager, type Log, type TransponderManager } from '../../src-relay/index.js';

/** The recordings folder: the `recordings_dir` setting (relative to the data folder), else `<data>/recordings`. */
export function recordingsDirOf(dataDir: string, setting: string): string {
  if (setting === '') return join(dataDir, 'recordings');
  return isAbsolute(setting) ? setting : resolve(dataDir, setting);
}

/** Starts the recordings of a host; FLV files a crash left in the folder are remuxed to MP4 in the background. */
export function startRecordings(transponders: TransponderManager, dir: () => string, log: Log): RecordingManager {
  const recordings = new RecordingManager(transponders, { dir, ffmpeg: findFfmpeg, log });
  void recordings.recoverLeftovers();
  return recordings;
}
