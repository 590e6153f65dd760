// One encode by Debian's ffmpeg written twice at once (the tee muxer): as RTP to a UDP socket of ours on
// 127.0.0.1, packetized by ffmpeg's own VP8/VP9 packetizer, and as an IVF file of the encoder's frames.
// What a depacketizer makes of the packets can then be compared with the frames byte for byte.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VideoRtpPacket } from '../../src-relay/rtp/frame-assembler.js';
import { ivfFrames } from './rtp-fixture.js';

const ENCODERS = { vp8: ['libvpx'], vp9: ['libvpx-vp9', '-strict', 'experimental'] } as const;

//  RTP fixed header (RFC 3550 §5.1): V=2 P X CC | M PT | sequence | timestamp | SSRC | CSRC × CC | extension
function parseRtp(datagram: Buffer): VideoRtpPacket | undefined {
  if (datagram.length < 12 || datagram[0] >> 6 !== 2) return undefined;
  let at = 12 + 4 * (datagram[0] & 0x0f);
  if (datagram[0] & 0x10) at += 4 + 4 * datagram.readUInt16BE(at + 2);
  const end = datagram[0] & 0x20 ? datagram.length - datagram[datagram.length - 1] : datagram.length;
  return { sequenceNumber: datagram.readUInt16BE(2), timestamp: datagram.readUInt32BE(4), marker: (datagram[1] & 0x80) !== 0, payload: datagram.subarray(at, end) };
}

export interface TeeEncode {
  packets: VideoRtpPacket[];
  frames: Buffer[];
}

/** `frames` frames of 160x90 testsrc2, a keyframe every `gop`, RTP payloads of at most `packetSize` bytes. */
export async function encodeToRtpAndIvf(codec: 'vp8' | 'vp9', opts: { frames: number; gop: number; packetSize: number }): Promise<TeeEncode> {
  const dir = mkdtempSync(join(tmpdir(), `${codec}-rtp-`));
  const socket = createSocket('udp4');
  const packets: VideoRtpPacket[] = [];
  socket.on('message', (datagram) => {
    const packet = parseRtp(datagram);
    if (packet) packets.push({ ...packet, payload: Buffer.from(packet.payload) });
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  try {
    const port = socket.address().port;
    const ivf = join(dir, 'frames.ivf');
    const ffmpeg = spawn(
      'ffmpeg',
      [
        '-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=30', '-frames:v', String(opts.frames),
        '-c:v', ...ENCODERS[codec], '-deadline', 'realtime', '-cpu-used', '8', '-g', String(opts.gop), '-map', '0:v',
        '-f', 'tee', `[f=rtp]rtp://127.0.0.1:${port}?pkt_size=${opts.packetSize}|[f=ivf]${ivf}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    ffmpeg.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => ffmpeg.kill('SIGKILL'), 60_000);
    const [code] = await once(ffmpeg, 'exit');
    clearTimeout(timer);
    if (code !== 0) throw new Error(`ffmpeg exited with ${code}: ${stderr}`);
    // The last datagrams may still be in the socket's queue.
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { packets, frames: ivfFrames(readFileSync(ivf)) };
  } finally {
    socket.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
