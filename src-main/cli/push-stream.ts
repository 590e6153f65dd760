// Streams FLV tags through a started RtmpPublisher: our onMetaData first, then the tags as they are, paced
// by their timestamps (real time) or as fast as the publisher's queue drains (--no-pace) without ever
// reaching its congestion drop limit.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FlvTag } from '../../src-relay/flv/file.js';
import { TagType, videoTagInfo } from '../../src-relay/flv/tags.js';
import { RtmpError, type RtmpPublisher } from '../../src-relay/rtmp/publisher.js';
import { buildPushMetadata, haveBothHeaders } from './file-metadata.js';

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

/** Reads tags until both sequence headers are in (or LOOKAHEAD_TAGS, or the end). */
async function readHead(iterator: AsyncIterator<FlvTag>): Promise<{ head: FlvTag[]; exhausted: boolean }> {
  const head: FlvTag[] = [];
  while (head.length < LOOKAHEAD_TAGS && !haveBothHeaders(head)) {
    const next = await iterator.next();
    if (next.done) return { head, exhausted: true };
    head.push(next.value);
  }
  return { head, exhausted: false };
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

/** Sends the tags of an FLV file through a started publisher; resolves when all are sent, rejects on a close. */
export async function pushTags(publisher: RtmpPublisher, tags: AsyncIterable<FlvTag>, version: string, options: PushOptions): Promise<PushResult> {
  const watch = closeWatch(publisher, options.signal);
  const iterator = tags[Symbol.asyncIterator]();
  const { head, exhausted } = await readHead(iterator);
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
  const send = async (tag: FlvTag): Promise<void> => {
    watch.check();
    if (tag.type === TagType.script) return; // our own onMetaData went first
    base ??= tag.timestamp;
    const ms = Math.max(0, tag.timestamp - base);
    await (options.pace ? waitUntil(startedAt + ms, options.signal) : waitForQueue(publisher, watch));
    watch.check();
    if (tag.type === TagType.video) publisher.writeVideo(ms, tag.body, videoTagInfo(tag.body).keyframe);
    else if (tag.type === TagType.audio) publisher.writeAudio(ms, tag.body);
    lastMs = Math.max(lastMs, ms);
    count++;
  };

  const timer = setInterval(report, options.progressIntervalMs ?? 1000);
  try {
    for (const tag of head) await send(tag);
    if (!exhausted) {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) await send(next.value);
    }
    const drainUntil = performance.now() + DRAIN_TIMEOUT_MS;
    while (publisher.queuedMs > 0 && !watch.closed && performance.now() < drainUntil) await sleep(DRAIN_POLL_MS);
    watch.check();
  } finally {
    clearInterval(timer);
    watch.dispose();
  }
  report();
  return { tags: count, mediaMs: lastMs, bytesSent: publisher.bytesSent, droppedFrames: publisher.droppedFrames };
}

/** Real time: sleeps until the tag is due (an abort ends the sleep; the caller's check() reports it). */
async function waitUntil(due: number, signal: AbortSignal | undefined): Promise<void> {
  const wait = due - performance.now();
  if (wait > 1) await sleep(wait, undefined, signal ? { signal } : undefined).catch(() => undefined);
}

/** No pacing: lets the publisher's queue drain below the high-water mark, so nothing is ever dropped. */
async function waitForQueue(publisher: RtmpPublisher, watch: { readonly closed: boolean }): Promise<void> {
  while (publisher.queuedMs > NO_PACE_HIGH_WATER_MS && !watch.closed) await sleep(NO_PACE_POLL_MS);
}

export class PushAborted extends Error {
  override name = 'PushAborted';
  constructor() {
    super('push interrupted');
  }
}
