// Durations read from a recording's file without a tool: a few small reads at known offsets.
// MP4 (ISO/IEC 14496-12 §8.2.2): moov → mvhd holds timescale and duration. An FLV's is its last tag's
// timestamp (flv/file.ts flvDurationMs).
import { open, type FileHandle } from 'node:fs/promises';

const BOX_HEADER = 8;
const LARGE_SIZE = 16;
/** Boxes to look at before giving up (a damaged file must not make us walk forever). */
const MAX_BOXES = 64;

async function read(handle: FileHandle, position: number, length: number): Promise<Buffer | undefined> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return bytesRead === length ? buffer : undefined;
}

//  Box header (§4.2): size u32 (1: a u64 largesize follows the type; 0: to the end of the file), type 4cc.
async function findBox(handle: FileHandle, start: number, end: number, type: string): Promise<{ body: number; end: number } | undefined> {
  let at = start;
  for (let n = 0; n < MAX_BOXES && at + BOX_HEADER <= end; n++) {
    const header = await read(handle, at, LARGE_SIZE);
    const head = header ?? (await read(handle, at, BOX_HEADER));
    if (!head) return undefined;
    let size = head.readUInt32BE(0);
    let body = at + BOX_HEADER;
    if (size === 1) {
      if (!header) return undefined;
      size = Number(header.readBigUInt64BE(8));
      body = at + LARGE_SIZE;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < body - at || at + size > end) return undefined;
    if (head.toString('latin1', 4, 8) === type) return { body, end: at + size };
    at += size;
  }
  return undefined;
}

//  mvhd (§8.2.2): version u8, flags u24; v0: creation u32, modification u32, timescale u32, duration u32;
//  v1: creation u64, modification u64, timescale u32, duration u64.
export async function mp4DurationMs(path: string): Promise<number | undefined> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const { size } = await handle.stat();
    const moov = await findBox(handle, 0, size, 'moov');
    if (!moov) return undefined;
    const mvhd = await findBox(handle, moov.body, moov.end, 'mvhd');
    if (!mvhd) return undefined;
    const body = await read(handle, mvhd.body, 32);
    if (!body) return undefined;
    const v1 = body[0] === 1;
    const timescale = body.readUInt32BE(v1 ? 20 : 12);
    const duration = v1 ? Number(body.readBigUInt64BE(24)) : body.readUInt32BE(16);
    if (timescale === 0) return undefined;
    return Math.round((duration * 1000) / timescale);
  } finally {
    await handle.close();
  }
}
