// Reads an FLV file for `castbridge push` into a few reused buffers instead of a fresh one per read: fresh
// memory costs a page fault per 4 KiB page the kernel copies into (about as much as the copy itself) and
// keeps the garbage collector busy with external memory. A read buffer goes back to the pool once every tag
// read from it is done (sent to the kernel, dropped, or the connection gone), which the sender signals by
// calling the batch's release() once per tag.
import { open } from 'node:fs/promises';
import { FlvReader, type FlvTag } from '../../src-relay/index.js';

/** Tags read together; release() once per tag when its body is no longer needed. */
export interface FlvBatch {
  tags: readonly FlvTag[];
  release: () => void;
}

export const FlvFileDefaults = {
  /** Bytes per read. */
  chunkSize: 1024 * 1024,
  /** Released buffers kept for reuse; more in flight at once are allocated (and collected) as usual. */
  maxPooled: 16,
} as const;

/** Yields the tags of an FLV file a read at a time; throws FlvFormatError on a malformed or truncated file. */
export async function* readFlvFile(path: string, options: { chunkSize?: number; maxPooled?: number } = {}): AsyncGenerator<FlvBatch> {
  const chunkSize = options.chunkSize ?? FlvFileDefaults.chunkSize;
  const maxPooled = options.maxPooled ?? FlvFileDefaults.maxPooled;
  const pool: Buffer[] = [];
  const reader = new FlvReader();
  const file = await open(path, 'r');
  try {
    for (;;) {
      const buffer = pool.pop() ?? Buffer.allocUnsafeSlow(chunkSize);
      const { bytesRead } = await file.read(buffer, 0, chunkSize, null);
      if (bytesRead === 0) break;
      const tags = reader.push(buffer.subarray(0, bytesRead));
      reader.detach(); // the reader keeps no view of `buffer`: only the tags do
      if (tags.length === 0) {
        pool.push(buffer);
        continue;
      }
      let pending = tags.length;
      const release = (): void => {
        if (--pending === 0 && pool.length < maxPooled) pool.push(buffer);
      };
      yield { tags, release };
    }
    reader.end();
  } finally {
    await file.close();
  }
}
