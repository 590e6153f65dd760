// What an RTMP publisher (publisher.ts) can be told, its defaults, and the events it emits.
import type { ConnectionOptions } from 'node:tls';
import type { RtmpError } from './errors.js';
import type { Log } from '../log.js';

export interface RtmpPublisherOptions {
  /** Connect + publish, auth retries included (default 10000). */
  timeoutMs?: number;
  /** Queued unsent video beyond which inter frames are dropped (default 700). */
  maxQueueMs?: number;
  /**
   * BLACK_HOLE after this long (default 13000) without progress: no Acknowledgement while the target owes
   * one (targets that acknowledge), or nothing handed to the kernel while data waits (any target).
   */
  blackHoleMs?: number;
  /** Bytes queued beyond which the target counts as too slow and the connection is dropped (default 32 MiB). */
  maxQueueBytes?: number;
  log?: Log;
  mediaSessionId?: string;
  /** For RTMPS to servers with a private CA (tests): passed to tls.connect. */
  tlsOptions?: Pick<ConnectionOptions, 'ca' | 'rejectUnauthorized'>;
}

export const PublisherDefaults = {
  timeoutMs: 10_000,
  maxQueueMs: 700,
  blackHoleMs: 13_000,
  /**
   * The Window Acknowledgement Size we announce after Publish.Start: the target acknowledges each 64 KiB it
   * receives (under a second of a 0.6 Mb/s stream), so a silent target shows within blackHoleMs plus that.
   */
  ackWindow: 64 * 1024,
  /** How often the black-hole rules are checked. */
  watchdogMs: 250,
  maxQueueBytes: 32 * 1024 * 1024,
  /** Bytes left in the socket's own buffer before we stop handing it more (the rest waits in our queue). */
  socketHighWater: 64 * 1024,
  /** Connections one start() may open: first try, "need auth" retry, challenge response. */
  maxAuthConnections: 3,
  stopTimeoutMs: 2000,
  /**
   * Audio and metadata wait at most this long for the next video frame (which flushes everything queued)
   * before going out on their own: one socket write per video frame instead
   * of one per message, with audio (~47 AAC frames/s) riding along with video (~30 frames/s). Video itself is
   * never held back.
   */
  audioCoalesceMs: 40,
} as const;

export interface RtmpPublisherEvents {
  /** The connection ended after start() resolved; error undefined after stop()/destroy(). Emitted once. */
  close: [error: RtmpError | undefined];
  /** Video frames were dropped for congestion; the figure is the total dropped so far. */
  congestion: [droppedFrames: number];
}
