// Streams FLV tags through a started RtmpPublisher: our onMetaData first, then the tags as they are, paced
// by their timestamps (real time) or as fast as the publisher's queue drains (--no-pace) without ever
// reaching its congestion drop limit.
import { setTimeout as sleep } from 'node:timers/promises';
import { type FlvTag, mediaTag, RtmpError, type RtmpPublisher, TagType } from '../../src-relay/index.js';
import { buildPushMetadata, haveBothHeaders } from './file-metadata.js';
import type { FlvBatch } from './flv-file.js';

/** Tags read ahead to find both sequence headers before sending onMetaData. */
const LOOKAHEAD_TAGS = 64;

export interface PushProgress {
  /** Media time sent, ms. */
  mediaMs: number;
  bytesSent: number;
  /** Over the last report interval. */
  bitrateKbps: number;
}

export interface PushResult {
  tags: number;
  mediaMs: number;
  bytesSent: number;
  droppedFrames: number;
}

export interface PushOptions {
  pace: boolean;
  /** Aborts the push (Ctrl-C); the publisher is stopped cleanly. */
  signal?: AbortSignal;
  onProgress?: (progress: PushProgress) => void;
  progressIntervalMs?: number;
}

/** Without pacing, wait while this much video waits in the publisher's queue (its drop limit is 700 ms). */
const NO_PACE_HIGH_WATER_MS = 300;
const NO_PACE_POLL_MS = 2;
/** How long the end of a push waits for the queue to empty before stop() (which flushes too, bounded). */
const DRAIN_TIMEOUT_MS = 10_000;
const DRAIN_POLL_MS = 10;

/**
 * Reads batches until their first tags hold both sequence headers (or LOOKAHEAD_TAGS, or the end): `head`
 * is those first tags (for onMetaData), `batches` the whole batches read, to be sent in order.
 */
async function readHead(iterator: AsyncIterator<FlvBatch>): Promise<{ head: FlvTag[]; batches: FlvBatch[]; exhausted: boolean }> {
  const head: FlvTag[] = [];
  const batches: FlvBatch[] = [];
  let used = 0;
  while (head.length < LOOKAHEAD_TAGS && !haveBothHeaders(head)) {
    const batch = batches[batches.length - 1];
    if (!batch || used === batch.tags.length) {
      const next = await iterator.next();
      if (next.done) return { head, batches, exhausted: true };
      batches.push(next.value);
      used = 0;
      continue;
    }
    head.push(batch.tags[used++]!);
  }
  return { head, batches, exhausted: false };
}

/** Throws once the publisher closed or the push was aborted; `check()` is called between tags. */
function closeWatch(publisher: RtmpPublisher, signal: AbortSignal | undefined): { check(): void; readonly closed: boolean; dispose(): void } {
  let closed = false;
  let closedWith: RtmpError | undefined;
  const onClose = (error: RtmpError | undefined): void => {
    closed = true;
    closedWith = error;
  };
  publisher.on('close', onClose);
  return {
    check() {
      if (closed) throw closedWith ?? new RtmpError('CLOSED', 'the connection closed during the push');
      if (signal?.aborted) throw new PushAborted();
    },
    get closed() {
      return closed || signal?.aborted === true;
    },
    dispose: () => void publisher.off('close', onClose),
  };
}

/**
 * Sends the tags of an FLV file through a started publisher; resolves when all are sent, rejects on a close.
 * `batches` yields tags a group at a time (readFlvFile: those of one file read): a group is sent without an
 * async step per tag, awaiting only when a tag must wait (its time, or the publisher's queue). Each tag's
 * release() is called once its body is no longer needed (sent, dropped, skipped, or the connection gone).
 */
export async function pushTags(publisher: RtmpPublisher, batches: AsyncIterable<FlvBatch>, version: string, options: PushOptions): Promise<PushResult> {
  const watch = closeWatch(publisher, options.signal);
  const iterator = batches[Symbol.asyncIterator]();
  const { head, batches: first, exhausted } = await readHead(iterator);
  publisher.writeMetadata(buildPushMetadata(head, version));

  const startedAt = performance.now();
  let base: number | undefined;
  let lastMs = 0;
  let count = 0;
  let lastReport = { at: startedAt, bytes: 0 };
  const report = (): void => {
    const now = performance.now();
    const bitrateKbps = ((publisher.bytesSent - lastReport.bytes) * 8) / Math.max(1, now - lastReport.at);
    lastReport = { at: now, bytes: publisher.bytesSent };
    options.onProgress?.({ mediaMs: lastMs, bytesSent: publisher.bytesSent, bitrateKbps });
  };
  // Unpaced, the tags handed over between two waits leave in as few socket writes as the socket takes.
  const cork = options.pace ? (): void => {} : (): void => publisher.cork();
  /** Sends one group of tags, each when it may go; awaits only for a tag that has to wait. */
  const send = async ({ tags, release }: FlvBatch): Promise<void> => {
    cork();
    try {
      for (const tag of tags) {
        watch.check();
        if (tag.type === TagType.script) {
          release();
          continue; // our own onMetaData went first
        }
        base ??= tag.timestamp;
        const ms = Math.max(0, tag.timestamp - base);
        if (options.pace) {
          if (startedAt + ms - performance.now() > 1) await waitUntil(startedAt + ms, options.signal);
        } else if (mustWaitForQueue(publisher, watch)) {
          publisher.uncork();
          if (mustWaitForQueue(publisher, watch)) await waitForQueue(publisher, watch);
          cork();
        }
        watch.check();
        const media = mediaTag(tag.type, ms, tag.body);
        if (media) publisher.writeTag(media, release);
        else release();
        lastMs = Math.max(lastMs, ms);
        count++;
      }
    } finally {
      publisher.uncork();
    }
  };

  const timer = setInterval(report, options.progressIntervalMs ?? 1000);
  try {
    for (const batch of first) await send(batch);
    if (!exhausted) {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) await send(next.value);
    }
    const drainUntil = performance.now() + DRAIN_TIMEOUT_MS;
    while (publisher.queuedMs > 0 && !watch.closed && performance.now() < drainUntil) await sleep(DRAIN_POLL_MS);
    watch.check();
  } finally {
    clearInterval(timer);
    watch.dispose();
    // A push that ended early closes the file now, not at garbage collection (a failed close changes nothing).
    await Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
  report();
  return { tags: count, mediaMs: lastMs, bytesSent: publisher.bytesSent, droppedFrames: publisher.droppedFrames };
}

/** Real time: sleeps until the tag is due (an abort ends the sleep; the caller's check() reports it). */
async function waitUntil(due: number, signal: AbortSignal | undefined): Promise<void> {
  const wait = due - performance.now();
  if (wait > 1) await sleep(wait, undefined, signal ? { signal } : undefined).catch(() => undefined);
}

function mustWaitForQueue(publisher: RtmpPublisher, watch: { readonly closed: boolean }): boolean {
  return publisher.queuedMs > NO_PACE_HIGH_WATER_MS && !watch.closed;
}

/** No pacing: lets the publisher's queue drain below the high-water mark, so nothing is ever dropped. */
async function waitForQueue(publisher: RtmpPublisher, watch: { readonly closed: boolean }): Promise<void> {
  while (mustWaitForQueue(publisher, watch)) await sleep(NO_PACE_POLL_MS);
}

export class PushAborted extends Error {
  override name = 'PushAborted';
  constructor() {
    super('push interrupted');
  }
}
