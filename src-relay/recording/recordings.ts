// Local recordings as the host sees them (`/rest-api/recording/*`): start one of a transponder's output or of
// a stream, stop it, list them and the files of the recordings folder. A recording writes
// `<folder>/<stream>-<YYYYMMDD-HHMMSS>.flv` as it goes (nothing is lost to a crash of the host), and on stop
// the FLV is remuxed to an MP4 (remux.ts). FLV files left by a crash are remuxed when the host starts.
// A recording ends with its stream, and a mirrored transponder's recording ends when that transponder is
// terminated; it follows the transponder's mute (a sound it injects is not recorded).
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Recording, RecordingFile, RecordingFileList, RecordingStartupBody } from '../../src-contract/recording.js';
import type { Log } from '../log.js';
import type { LiveStream } from '../streams.js';
import { silentLog } from '../log.js';
import type { TransponderJSON } from '../transponder/service.js';
import { TransponderError } from '../transponder/service.js';
import { FlvFileWriter } from './flv-file-writer.js';
import { Recorder, type RecordingSource } from './recorder.js';
import { remuxToMp4 } from './remux.js';
import { flvDurationMs } from '../flv/file.js';
import { mp4DurationMs } from './durations.js';

export type { Recording, RecordingFile, RecordingFileList };

/** A refusal the REST layer maps to an HTTP status. */
export class RecordingError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

/** What the recordings need of the transponder manager. */
export interface RecordingSources {
  recordingSource(query: { mediaSessionId?: string; streamName?: string }): RecordingSource;
  on<K extends 'changed' | 'removed'>(event: K, listener: (transponder: TransponderJSON) => void): unknown;
  off<K extends 'changed' | 'removed'>(event: K, listener: (transponder: TransponderJSON) => void): unknown;
}

export interface RecordingsConfig {
  /** The recordings folder now (follows the `recordings_dir` setting). */
  dir: () => string;
  /** The ffmpeg that remuxes (findFfmpeg). */
  ffmpeg: () => string;
  log?: Log;
}

export interface RecordingServiceEvents {
  /** A recording started, stopped, failed, or its file changed (remuxed). */
  changed: [recording: Recording];
}

/** The host's contract with the recordings (the REST routes use only this). */
export interface RecordingService {
  /** Throws RecordingError: 400 neither field, 404 no such transponder or stream. */
  startup(body: RecordingStartupBody): Promise<Recording>;
  /** Resolves once the file is finalized (remuxed, or kept as FLV when that failed). Throws 404. */
  terminate(recordingId: string): Promise<Recording>;
  list(): Recording[];
  files(): Promise<RecordingFileList>;
  on(event: 'changed', listener: (recording: Recording) => void): unknown;
  off(event: 'changed', listener: (recording: Recording) => void): unknown;
}

/** Ended recordings kept in the list (the studio shows what just finished). */
const MAX_ENDED = 20;
const NAME_UNSAFE = /[^A-Za-z0-9._-]+/g;
const MAX_NAME_PART = 64;

interface Entry {
  json: Recording;
  /** Until the file is closed. */
  recorder?: Recorder;
  stream: LiveStream;
  path: string;
  finishing?: Promise<void>;
  onEnd?: () => void;
}

/** `<stream>-<YYYYMMDD-HHMMSS>` in local time, the stream name reduced to characters every file system takes. */
export function recordingBaseName(streamName: string, at: Date): string {
  const safe = streamName.replace(NAME_UNSAFE, '_').replace(/^[._]+/, '').slice(0, MAX_NAME_PART) || 'stream';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${safe}-${at.getFullYear()}${p(at.getMonth() + 1)}${p(at.getDate())}-${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}`;
}

/** Creates `<base>.flv`, or `<base>-2.flv`… when a recording of the same second exists. */
async function createFile(dir: string, base: string, onError: (error: Error) => void): Promise<{ path: string; writer: FlvFileWriter }> {
  for (let n = 1; ; n++) {
    const path = join(dir, `${n === 1 ? base : `${base}-${n}`}.flv`);
    try {
      return { path, writer: await FlvFileWriter.create(path, onError) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 99) throw error;
    }
  }
}

export class RecordingManager extends EventEmitter<RecordingServiceEvents> implements RecordingService {
  private readonly entries = new Map<string, Entry>();
  private readonly log: Log;
  private readonly onTransponderChanged = (t: TransponderJSON): void => {
    for (const e of this.live()) if (e.json.mediaSessionId === t.mediaSessionId) e.recorder?.setMuted(t.muted);
  };
  private readonly onTransponderRemoved = (t: TransponderJSON): void => {
    for (const e of this.live()) if (e.json.mediaSessionId === t.mediaSessionId) void this.finish(e, 'STOPPED_BY_TRANSPONDER_END');
  };

  constructor(
    private readonly sources: RecordingSources,
    private readonly config: RecordingsConfig,
  ) {
    super();
    this.log = config.log ?? silentLog;
    sources.on('changed', this.onTransponderChanged);
    sources.on('removed', this.onTransponderRemoved);
  }

  async startup(body: RecordingStartupBody): Promise<Recording> {
    if (body.mediaSessionId === undefined && body.streamName === undefined) {
      throw new RecordingError(400, 'recording startup needs mediaSessionId (a transponder to mirror) or streamName (a published stream)');
    }
    let source: RecordingSource;
    try {
      source = this.sources.recordingSource(body);
    } catch (error) {
      if (error instanceof TransponderError) throw new RecordingError(error.status === 409 ? 409 : error.status === 400 ? 400 : 404, error.message);
      throw error;
    }
    const stream = source.stream;
    if (body.streamName !== undefined && body.mediaSessionId !== undefined && stream.name !== body.streamName) {
      source.release();
      throw new RecordingError(400, `transponder "${body.mediaSessionId}" sends stream "${stream.name}", not "${body.streamName}"`);
    }
    const recordingId = randomUUID();
    let file: { path: string; writer: FlvFileWriter };
    try {
      const dir = this.config.dir();
      mkdirSync(dir, { recursive: true });
      file = await createFile(dir, recordingBaseName(stream.name, new Date()), (error) => this.writeFailed(recordingId, error));
    } catch (error) {
      source.release();
      this.log('recording.open_failed', { stream: stream.name, error: (error as Error).message });
      throw new Error(`the recording file could not be created: ${(error as Error).message}`);
    }
    const json: Recording = {
      recordingId,
      streamName: stream.name,
      ...(body.mediaSessionId !== undefined ? { mediaSessionId: body.mediaSessionId } : {}),
      file: basename(file.path),
      status: 'RECORDING',
      startedAt: Date.now(),
      bytes: 0,
      durationMs: 0,
    };
    const entry: Entry = { json, path: file.path, recorder: new Recorder(source, file.writer, this.log, recordingId), stream };
    entry.onEnd = () => void this.finish(entry, 'STOPPED_BY_STREAM_END');
    stream.once('end', entry.onEnd);
    this.entries.set(recordingId, entry);
    this.log('recording.started', { recordingId, stream: stream.name, mediaSessionId: body.mediaSessionId, file: json.file });
    this.emit('changed', this.view(entry));
    // The stream may have ended while the file was being created.
    if (stream.ended) void this.finish(entry, 'STOPPED_BY_STREAM_END');
    return this.view(entry);
  }

  async terminate(recordingId: string): Promise<Recording> {
    const entry = this.entries.get(recordingId);
    if (!entry) throw new RecordingError(404, `no recording with recordingId "${recordingId.slice(0, 256)}"`);
    await this.finish(entry, 'STOPPED_BY_REST_TERMINATE');
    return this.view(entry);
  }

  list(): Recording[] {
    return [...this.entries.values()].map((e) => this.view(e));
  }

  async files(): Promise<RecordingFileList> {
    const dir = this.config.dir();
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /\.(mp4|flv)$/i.test(n)).sort();
    const writing = new Set([...this.live()].map((e) => basename(e.path)));
    const files = await Promise.all(names.map((name) => this.describe(dir, name, writing.has(name))));
    return { dir, files: files.filter((f): f is RecordingFile => f !== undefined) };
  }

  /** Ends every recording and finalizes its file (host shutdown). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => this.finish(e, 'STOPPED_BY_SHUTDOWN')));
  }

  /**
   * FLV files of the folder that no recording writes (left by a crash) are remuxed to MP4 one after another,
   * in the background; an FLV whose remux fails is kept. Call at host start, before any recording starts.
   */
  recoverLeftovers(): Promise<void> {
    const dir = this.config.dir();
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return Promise.resolve();
    }
    for (const part of names.filter((n) => n.endsWith('.mp4.part'))) {
      try {
        unlinkSync(join(dir, part));
      } catch {
        // gone already
      }
    }
    const leftovers = names.filter((n) => /\.flv$/i.test(n));
    return (async () => {
      for (const name of leftovers) {
        try {
          const mp4 = await remuxToMp4(join(dir, name), this.config.ffmpeg());
          this.log('recording.recovered', { file: name, mp4: basename(mp4) });
        } catch (error) {
          this.log('recording.recover_failed', { file: name, error: (error as Error).message });
        }
      }
    })();
  }

  close(): void {
    this.sources.off('changed', this.onTransponderChanged);
    this.sources.off('removed', this.onTransponderRemoved);
  }

  private *live(): Iterable<Entry> {
    for (const e of this.entries.values()) if (e.json.status === 'RECORDING' && !e.finishing) yield e;
  }

  private view(entry: Entry): Recording {
    if (entry.recorder && entry.json.status === 'RECORDING') {
      entry.json.bytes = entry.recorder.bytes;
      entry.json.durationMs = Math.round(entry.recorder.durationMs);
    }
    return { ...entry.json };
  }

  private writeFailed(recordingId: string, error: Error): void {
    const entry = this.entries.get(recordingId);
    if (!entry) return;
    this.log('recording.write_failed', { recordingId, error: error.message });
    void this.finish(entry, `FAILED: the file could not be written: ${error.message}`, true);
  }

  /** Stops the recorder, remuxes the file; once per recording. */
  private finish(entry: Entry, reason: string, failed = false): Promise<void> {
    entry.finishing ??= (async () => {
      if (entry.onEnd) entry.stream.off('end', entry.onEnd);
      const recorder = entry.recorder;
      this.view(entry);
      entry.json.info = 'finalizing: remuxing to MP4';
      this.emit('changed', this.view(entry));
      await recorder?.stop();
      if (recorder) {
        entry.json.bytes = recorder.bytes;
        entry.json.durationMs = Math.round(recorder.durationMs);
      }
      entry.recorder = undefined;
      let info = reason;
      const remuxStart = Date.now();
      try {
        const mp4 = await remuxToMp4(entry.path, this.config.ffmpeg());
        entry.path = mp4;
        entry.json.file = basename(mp4);
      } catch (error) {
        info = `${reason}; the MP4 could not be made, the FLV is kept: ${(error as Error).message}`;
        this.log('recording.remux_failed', { recordingId: entry.json.recordingId, error: (error as Error).message });
      }
      entry.json.status = failed ? 'FAILED' : 'STOPPED';
      entry.json.info = info;
      this.log('recording.stopped', {
        recordingId: entry.json.recordingId,
        reason,
        file: entry.json.file,
        durationMs: entry.json.durationMs,
        bytes: entry.json.bytes,
        remuxMs: Date.now() - remuxStart,
      });
      this.emit('changed', this.view(entry));
      this.trimEnded();
    })();
    return entry.finishing;
  }

  private trimEnded(): void {
    const ended = [...this.entries.values()].filter((e) => e.json.status !== 'RECORDING');
    for (const e of ended.slice(0, Math.max(0, ended.length - MAX_ENDED))) this.entries.delete(e.json.recordingId);
  }

  private async describe(dir: string, name: string, recording: boolean): Promise<RecordingFile | undefined> {
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    const live = recording ? [...this.live()].find((e) => basename(e.path) === name) : undefined;
    const durationMs = live?.recorder ? Math.round(live.recorder.durationMs) : /\.mp4$/i.test(name) ? await mp4DurationMs(path) : await flvDurationMs(path);
    return {
      name,
      bytes: info.size,
      ...(durationMs !== undefined ? { durationMs } : {}),
      createdAt: Math.round(info.birthtimeMs > 0 ? info.birthtimeMs : info.ctimeMs),
      recording,
    };
  }
}
