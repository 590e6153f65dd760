// An FLV file written as it grows (Adobe FLV v10.1 Annex E: header, then tag + PreviousTagSize): every tag is
// handed to the operating system as soon as it is made (no buffering in the process), so a crash of the
// host loses nothing that was recorded; `fdatasync` runs at most once a second, so a power cut or a kernel
// crash loses at most about the last second. Writes are asynchronous and strictly in order; a disk that
// does not keep up (more than MAX_QUEUED_BYTES waiting) fails the file rather than growing the heap.
import { open, type FileHandle } from 'node:fs/promises';
import { flvHeader, flvTag, type FlvTag } from '../flv/file.js';

const SYNC_INTERVAL_MS = 1000;
/** About a minute of 8 Mb/s video waiting for the disk. */
const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

export class FlvFileWriter {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private readonly syncTimer: NodeJS.Timeout;
  private closed = false;
  /** Bytes handed to the file so far (header included). */
  bytes = 0;
  /** The first write or sync error; once set, nothing more is written. */
  error: Error | undefined;

  private constructor(
    private readonly handle: FileHandle,
    private readonly onError: (error: Error) => void,
  ) {
    this.syncTimer = setInterval(() => this.sync(), SYNC_INTERVAL_MS);
    this.syncTimer.unref();
  }

  /** Creates `path` (refusing to overwrite) and writes the FLV header. */
  static async create(path: string, onError: (error: Error) => void): Promise<FlvFileWriter> {
    const handle = await open(path, 'wx', 0o644);
    const writer = new FlvFileWriter(handle, onError);
    writer.append(flvHeader({ audio: true, video: true }));
    return writer;
  }

  writeTag(tag: FlvTag): void {
    this.append(flvTag(tag));
  }

  /** Waits for every queued byte, syncs once more and closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.syncTimer);
    while (this.writing) await this.writing;
    if (!this.error && this.dirty) await this.handle.datasync().catch((e: unknown) => this.fail(e));
    await this.handle.close().catch(() => undefined);
  }

  private append(buffer: Buffer): void {
    if (this.closed || this.error) return;
    this.queue.push(buffer);
    this.queuedBytes += buffer.length;
    if (this.queuedBytes > MAX_QUEUED_BYTES) {
      this.fail(new Error(`the disk is not keeping up: ${this.queuedBytes} bytes wait to be written`));
      return;
    }
    this.writing ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.error) {
        const pieces = this.queue;
        this.queue = [];
        this.queuedBytes = 0;
        let total = 0;
        for (const piece of pieces) total += piece.length;
        let written = (await this.handle.writev(pieces)).bytesWritten;
        // A short write (rare on a regular file): write the rest as one buffer.
        if (written < total) {
          const rest = Buffer.concat(pieces).subarray(written);
          written += (await this.handle.write(rest)).bytesWritten;
          if (written < total) throw new Error(`wrote ${written} of ${total} bytes`);
        }
        this.bytes += total;
        this.dirty = true;
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.writing = undefined;
    }
  }

  private sync(): void {
    if (!this.dirty || this.error || this.closed) return;
    this.dirty = false;
    this.handle.datasync().catch((e: unknown) => this.fail(e));
  }

  private fail(error: unknown): void {
    if (this.error) return;
    this.error = error instanceof Error ? error : new Error(String(error));
    this.queue = [];
    this.queuedBytes = 0;
    this.onError(this.error);
  }
}
