// Reading the captured RTP fixtures (format: test/fixtures/rtp/README.md) and decoding what a
// depacketizer made of them with Debian's ffmpeg, as an IVF (VP8/VP9) or low-overhead OBU (AV1) stream.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { VideoRtpPacket } from '../../src-relay/rtp/frame-assembler.js';

export function loadRtpFixture(name: string): VideoRtpPacket[] {
  const data = readFileSync(new URL(`../fixtures/rtp/${name}`, import.meta.url));
  const packets: VideoRtpPacket[] = [];
  for (let at = 0; at < data.length; ) {
    const length = data.readUInt16BE(at);
    packets.push({
      sequenceNumber: data.readUInt16BE(at + 2),
      timestamp: data.readUInt32BE(at + 4),
      marker: data[at + 8] === 1,
      payload: data.subarray(at + 9, at + 9 + length),
    });
    at += 9 + length;
  }
  return packets;
}

//  IVF (libvpx's container): 32-byte file header, then per frame u32 LE size, u64 LE pts, the frame.
function ivf(fourCc: 'VP80' | 'VP90', width: number, height: number, frames: Buffer[]): Buffer {
  const header = Buffer.alloc(32);
  header.write('DKIF', 0, 'latin1');
  header.writeUInt16LE(0, 4);
  header.writeUInt16LE(32, 6);
  header.write(fourCc, 8, 'latin1');
  header.writeUInt16LE(width, 12);
  header.writeUInt16LE(height, 14);
  header.writeUInt32LE(90000, 16);
  header.writeUInt32LE(1, 20);
  header.writeUInt32LE(frames.length, 24);
  return Buffer.concat([
    header,
    ...frames.flatMap((frame, i) => {
      const head = Buffer.alloc(12);
      head.writeUInt32LE(frame.length, 0);
      head.writeBigUInt64LE(BigInt(i * 3000), 4);
      return [head, frame];
    }),
  ]);
}

/** The frames of an IVF file (32-byte header, then u32 LE size + u64 pts + frame). */
export function ivfFrames(file: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = file.readUInt16LE(6); at + 12 <= file.length; ) {
    const size = file.readUInt32LE(at);
    frames.push(file.subarray(at + 12, at + 12 + size));
    at += 12 + size;
  }
  return frames;
}

/** A temporal delimiter OBU (obu_type 2, has_size_field, size 0): the low-overhead format starts each TU with one. */
const TEMPORAL_DELIMITER = Buffer.from([0x12, 0x00]);

export interface Decoded {
  frames: number;
  width: number;
  height: number;
  errors: string;
}

/** Decodes frames with ffmpeg (every frame, to raw video), returning the count, the size and ffmpeg's error lines. */
export function decodeWithFfmpeg(codec: 'vp8' | 'vp9' | 'av1', frames: Buffer[], size = { width: 320, height: 180 }): Decoded {
  const input =
    codec === 'av1'
      ? Buffer.concat(frames.flatMap((f) => [TEMPORAL_DELIMITER, f]))
      : ivf(codec === 'vp8' ? 'VP80' : 'VP90', size.width, size.height, frames);
  const format = codec === 'av1' ? 'obu' : 'ivf';
  const decode = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', format, '-i', 'pipe:0', '-f', 'framemd5', 'pipe:1'], { input, timeout: 30_000 });
  if (decode.status !== 0) throw new Error(`ffmpeg failed: ${decode.stderr}`);
  const probe = spawnSync('ffprobe', ['-hide_banner', '-v', 'error', '-f', format, '-show_entries', 'stream=width,height', '-of', 'json', 'pipe:0'], { input, timeout: 30_000 });
  if (probe.status !== 0) throw new Error(`ffprobe failed: ${probe.stderr}`);
  const stream = JSON.parse(probe.stdout.toString()).streams[0] ?? {};
  return {
    frames: decode.stdout.toString().split('\n').filter((l) => /^\s*0,/.test(l)).length,
    width: stream.width,
    height: stream.height,
    errors: decode.stderr.toString().trim(),
  };
}
