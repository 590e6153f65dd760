// The application-level send queue in front of the socket, with OBS rtmp-stream's congestion policy
// (obs-outputs/rtmp-stream.c, drop_frames): the queued duration is newest − oldest unsent video timestamp;
// past the limit, unsent non-keyframe video is dropped and further non-keyframe video is dropped until the
// next keyframe. Audio, keyframes, sequence headers, metadata and commands are never dropped. Pure.

/**
 * What the drop policy needs of a video message: an inter frame may be dropped, a keyframe ends a dropping
 * spell, a sequence header is neither (never dropped, but no picture follows from it alone).
 */
export type VideoFrameKind = 'keyframe' | 'inter' | 'sequenceHeader';

interface QueuedMessage {
  /** Milliseconds (the message timestamp). */
  timestamp: number;
  /** Encoded chunks ready for the socket: one buffer, or pieces written back to back (see ChunkWriter.writePieces). */
  bytes: Buffer | readonly Buffer[];
  /** Called once when the item leaves without being sent: dropped here (the sender calls it otherwise). */
  done?: () => void;
}

export type QueuedItem = QueuedMessage & ({ kind: 'video'; frame: VideoFrameKind } | { kind: 'audio' | 'data' | 'command' });

/** Bytes an item puts on the wire. */
export function queuedItemSize(item: QueuedItem): number {
  const { bytes } = item;
  if (Buffer.isBuffer(bytes)) return bytes.length;
  let size = 0;
  for (const piece of bytes as readonly Buffer[]) size += piece.length;
  return size;
}

export class SendQueue {
  /** Items from `head` on are unsent; the slots before it are emptied as items leave (see shift()). */
  private items: (QueuedItem | undefined)[] = [];
  private head = 0;
  private queuedBytes = 0;
  /** Dropping inter frames until the next keyframe. */
  private dropping = false;
  droppedFrames = 0;

  constructor(readonly maxQueueMs: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.queuedBytes;
  }

  get isDropping(): boolean {
    return this.dropping;
  }

  /** Newest − oldest unsent video timestamp, 0 without video queued (looks in from both ends, not at all). */
  get queuedMs(): number {
    let first = this.head;
    while (first < this.items.length && this.items[first]!.kind !== 'video') first++;
    if (first >= this.items.length) return 0;
    let last = this.items.length - 1;
    while (this.items[last]!.kind !== 'video') last--;
    return Math.max(0, this.items[last]!.timestamp - this.items[first]!.timestamp);
  }

  /** Queues an item, applying the drop policy; returns how many video frames this call dropped. */
  push(item: QueuedItem): number {
    if (item.kind === 'video' && item.frame === 'keyframe') this.dropping = false;
    if (item.kind === 'video' && item.frame === 'inter' && this.dropping) {
      this.droppedFrames++;
      item.done?.();
      return 1;
    }
    this.items.push(item);
    this.queuedBytes += queuedItemSize(item);
    if (item.kind !== 'video' || this.queuedMs <= this.maxQueueMs) return 0;
    return this.dropInterFrames();
  }

  shift(): QueuedItem | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    // A sent item's slot is emptied at once: until the array is compacted below it would otherwise keep the
    // item's chunk buffers (and the frame bodies they are views of) alive, up to 1024 items per target.
    this.items[this.head++] = undefined;
    this.queuedBytes -= queuedItemSize(item);
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes every unsent inter frame and drops the next ones until a keyframe arrives. */
  private dropInterFrames(): number {
    const kept: QueuedItem[] = [];
    let dropped = 0;
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i]!;
      if (item.kind === 'video' && item.frame === 'inter') {
        dropped++;
        this.queuedBytes -= queuedItemSize(item);
        item.done?.();
      } else kept.push(item);
    }
    this.items = kept;
    this.head = 0;
    // Only a gap in the picture chain needs the rest of the GOP gone: with nothing dropped (the queue is all
    // keyframes and audio) the next inter frames may still decode, and go through this check again.
    if (dropped > 0) this.dropping = true;
    this.droppedFrames += dropped;
    return dropped;
  }
}
