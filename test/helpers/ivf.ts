// Clips for the VP8/VP9/AV1 paths: Debian's ffmpeg encodes testsrc to IVF, read back here as the pictures an
// RTP depacketizer would emit (for AV1 without the temporal delimiter OBU, as the AV1 depacketizer drops it).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type ClipCodec = 'vp8' | 'vp9' | 'av1';

export interface IvfClip {
  width: number;
  height: number;
  /** Timestamps in ms from 0. */
  frames: { pts: number; keyframe: boolean; data: Buffer }[];
}

const ENCODER: Record<ClipCodec, string[]> = {
  vp8: ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-lag-in-frames', '0'],
  vp9: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1', '-lag-in-frames', '0'],
  av1: ['-c:v', 'libaom-av1', '-usage', 'realtime', '-cpu-used', '8', '-lag-in-frames', '0'],
};

/**
 * testsrc at `fps`, `seconds` long, a keyframe every `gopFrames` (only the first when gopFrames ≥ the clip);
 * with `noise`, testsrc2 under temporal noise of that strength (so the encoder spends the bitrate).
 */
export async function makeIvfClip(
  out: string,
  codec: ClipCodec,
  o: { width: number; height: number; fps: number; seconds: number; gopFrames: number; noise?: number; bitrateKbps?: number },
): Promise<IvfClip> {
  const source = o.noise ? `testsrc2=size=${o.width}x${o.height}:rate=${o.fps},noise=alls=${o.noise}:allf=t` : `testsrc=size=${o.width}x${o.height}:rate=${o.fps}`;
  await run('/usr/bin/ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', source, '-t', String(o.seconds)],
    ...ENCODER[codec], '-b:v', `${o.bitrateKbps ?? 400}k`, '-g', String(o.gopFrames), '-keyint_min', String(o.gopFrames), '-pix_fmt', 'yuv420p', '-f', 'ivf', out,
  ], { timeout: 300_000 });
  return readIvf(readFileSync(out), codec);
}

export function readIvf(file: Buffer, codec: ClipCodec): IvfClip {
  if (file.toString('latin1', 0, 4) !== 'DKIF') throw new Error('not an IVF file');
  const headerSize = file.readUInt16LE(6);
  const width = file.readUInt16LE(12);
  const height = file.readUInt16LE(14);
  const den = file.readUInt32LE(16);
  const num = file.readUInt32LE(20);
  const frames: IvfClip['frames'] = [];
  for (let at = headerSize; at + 12 <= file.length; ) {
    const size = file.readUInt32LE(at);
    const pts = Math.round((Number(file.readBigUInt64LE(at + 4)) * num * 1000) / den);
    let data = file.subarray(at + 12, at + 12 + size);
    at += 12 + size;
    let keyframe: boolean;
    if (codec === 'vp8') keyframe = (data[0]! & 0x01) === 0;
    else if (codec === 'vp9') keyframe = (data[0]! & 0x04) === 0; // profile 0: frame marker 2 bits, profile 2 bits, show_existing 1, frame_type 1
    else {
      if (data[0] === 0x12 && data[1] === 0x00) data = data.subarray(2); // the temporal delimiter
      keyframe = ((data[0]! >> 3) & 0x0f) === 1; // starts with a sequence header OBU (libaom writes one per key frame)
    }
    frames.push({ pts, keyframe, data: Buffer.from(data) });
  }
  return { width, height, frames };
}
