// The IVF container (the libvpx/AOM test format ffmpeg reads as `-f ivf`): a 32-byte file header, then per
// frame a 12-byte header (size u32 LE, timestamp u64 LE in the header's time base) and the frame. The
// transcoder's input: one picture per frame, timestamps in milliseconds. ffmpeg's IVF demuxer maps the FourCC
// through its table of AVI codec tags, which has `H264`: an H.264 access unit in Annex B form (start codes,
// parameter sets before each IDR) is a frame as well, with its timestamp, which a raw `-f h264` input lacks.

export type IvfFourCc = 'VP80' | 'VP90' | 'AV01' | 'H264';

const FILE_HEADER_SIZE = 32;
const FRAME_HEADER_SIZE = 12;

//  'DKIF' | version u16 = 0 | header size u16 = 32 | FourCC | width u16 | height u16 |
//  time base denominator u32 | numerator u32 | frame count u32 | unused u32          (all little-endian)
export function ivfFileHeader(fourCc: IvfFourCc, width: number, height: number, timeBase = { num: 1, den: 1000 }): Buffer {
  const header = Buffer.alloc(FILE_HEADER_SIZE);
  header.write('DKIF', 0, 'latin1');
  header.writeUInt16LE(0, 4);
  header.writeUInt16LE(FILE_HEADER_SIZE, 6);
  header.write(fourCc, 8, 'latin1');
  header.writeUInt16LE(width & 0xffff, 12);
  header.writeUInt16LE(height & 0xffff, 14);
  header.writeUInt32LE(timeBase.den, 16);
  header.writeUInt32LE(timeBase.num, 20);
  // Frame count 0: unknown, the stream is live (ffmpeg's demuxer does not read it).
  return header;
}

export function ivfFrameHeader(size: number, timestamp: number): Buffer {
  if (!Number.isInteger(timestamp) || timestamp < 0) throw new RangeError(`IVF timestamp must be a non-negative integer, got ${timestamp}`);
  const header = Buffer.alloc(FRAME_HEADER_SIZE);
  header.writeUInt32LE(size, 0);
  header.writeBigUInt64LE(BigInt(timestamp), 4);
  return header;
}

/** AV1's temporal delimiter OBU (type 2, has_size_field, size 0): every AV1 IVF frame is a temporal unit that starts with one. */
export const AV1_TEMPORAL_DELIMITER = Buffer.from([0x12, 0x00]);
