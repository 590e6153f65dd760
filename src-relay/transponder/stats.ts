// A transponder's counters for its stats (docs/DESIGN.md §4 `stats`): bytes and dropped frames summed over its
// connections, and the bitrate and frame rates of the last one-second sample. The transponder tells it what
// happened; the manager's once-a-second timer asks for a sample.
import type { TransponderStats } from './service.js';

/** What the current connection has counted so far (RtmpPublisher's counters). */
export interface ConnectionCounters {
  bytesSent: number;
  droppedFrames: number;
}

export class TransponderCounters {
  /** Totals of the connections before the current one. */
  private bytesBefore = 0;
  private droppedBefore = 0;
  /** Pictures written (sequence headers not counted), and pictures the followed layer delivered. */
  private sentFrames = 0;
  private streamFrames = 0;
  private lastSample: { at: number; bytes: number; sentFrames: number; streamFrames: number };
  private rates: Pick<TransponderStats, 'bitrateKbps' | 'fps'> = { bitrateKbps: 0, fps: 0 };
  private streamFpsValue = 0;

  constructor(now: number = Date.now()) {
    this.lastSample = { at: now, bytes: 0, sentFrames: 0, streamFrames: 0 };
  }

  /** A picture arrived from the layer the transponder follows. */
  frameArrived(): void {
    this.streamFrames += 1;
  }

  /** A picture was written to the connection. */
  frameSent(): void {
    this.sentFrames += 1;
  }

  /** A connection ended: its counters join the totals. */
  retire(connection: ConnectionCounters): void {
    this.bytesBefore += connection.bytesSent;
    this.droppedBefore += connection.droppedFrames;
  }

  /** Frames dropped over every connection, the current one included. */
  droppedFrames(current: ConnectionCounters | undefined): number {
    return this.droppedBefore + (current?.droppedFrames ?? 0);
  }

  /** The followed layer's frame rate in the last sample (0 before one was taken). */
  get streamFps(): number {
    return this.streamFpsValue;
  }

  /** Bitrate and fps over the window since the last sample. */
  sample(current: ConnectionCounters | undefined, now: number = Date.now()): void {
    const seconds = (now - this.lastSample.at) / 1000;
    const bytes = this.bytesBefore + (current?.bytesSent ?? 0);
    if (seconds > 0) {
      this.rates = {
        bitrateKbps: Math.round(((bytes - this.lastSample.bytes) * 8) / 1000 / seconds),
        fps: Math.round(((this.sentFrames - this.lastSample.sentFrames) / seconds) * 10) / 10,
      };
      this.streamFpsValue = (this.streamFrames - this.lastSample.streamFrames) / seconds;
    }
    this.lastSample = { at: now, bytes, sentFrames: this.sentFrames, streamFrames: this.streamFrames };
  }

  /** The last sample's rates (zero while not publishing). */
  rate(publishing: boolean): Pick<TransponderStats, 'bitrateKbps' | 'fps'> {
    return publishing ? this.rates : { bitrateKbps: 0, fps: 0 };
  }
}
