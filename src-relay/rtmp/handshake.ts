// RTMP handshake — RTMP spec §5.2 (the "simple" handshake: no digest, which every server we target accepts
// from a publisher, as ffmpeg's and OBS's clients rely on).
//
//   client                      server
//   C0 (1 byte: version 3)  ─▶
//   C1 (1536 bytes)         ─▶
//                           ◀─  S0 (version 3)
//                           ◀─  S1 (1536 bytes)
//   C2 (echo of S1)         ─▶
//                           ◀─  S2 (echo of C1)
//
// §5.2.3 C1/S1:                              §5.2.4 C2/S2:
//   +--------------------------------+        +--------------------------------+
//   | time (4 bytes)                 |        | time (4): the peer's time      |
//   | zero (4 bytes)                 |        | time2 (4): when we read it     |
//   | random bytes (1528 bytes)      |        | random echo (1528 bytes)       |
//   +--------------------------------+        +--------------------------------+
import { randomBytes } from 'node:crypto';
import { RtmpProtocolError } from './errors.js';

export const RTMP_VERSION = 3;
export const HANDSHAKE_SIZE = 1536;

/** C0+C1: version byte, then time, four zero bytes (no digest: a simple handshake) and random bytes. */
export function makeC0C1(time = 0, random: Buffer = randomBytes(HANDSHAKE_SIZE - 8)): Buffer {
  const out = Buffer.alloc(1 + HANDSHAKE_SIZE);
  out[0] = RTMP_VERSION;
  out.writeUInt32BE(time >>> 0, 1);
  random.copy(out, 9, 0, HANDSHAKE_SIZE - 8);
  return out;
}

/** C2 (or S2): the peer's packet echoed, with time2 = when we read it (§5.2.4). */
export function makeEcho(peerPacket: Buffer, readTime = 0): Buffer {
  if (peerPacket.length !== HANDSHAKE_SIZE) {
    throw new RtmpProtocolError(`handshake packet is ${peerPacket.length} bytes, expected ${HANDSHAKE_SIZE}`);
  }
  const out = Buffer.from(peerPacket);
  out.writeUInt32BE(readTime >>> 0, 4);
  return out;
}

/** Checks the version byte S0/C0; a wrong one means we are not talking to an RTMP peer. */
export function checkVersion(byte: number, who: string): void {
  if (byte !== RTMP_VERSION) {
    throw new RtmpProtocolError(`${who} sent RTMP version ${byte} (0x${byte.toString(16)}), expected ${RTMP_VERSION}: not an RTMP server?`);
  }
}

/**
 * The client's side as a small byte-driven state machine: feed it what the server sends; it says what to
 * send back and, once S2 arrived, hands over any bytes that followed (the server's first chunks).
 */
export class ClientHandshake {
  private buffered: Buffer = Buffer.alloc(0);
  private state: 'waitS0S1' | 'waitS2' | 'done' = 'waitS0S1';
  readonly c0c1: Buffer;

  constructor(time = 0) {
    this.c0c1 = makeC0C1(time);
  }

  get done(): boolean {
    return this.state === 'done';
  }

  /** Returns bytes to send (C2 once S1 is in) and, when complete, the bytes after S2. */
  push(data: Buffer): { send?: Buffer; rest?: Buffer } {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, data]) : data;
    const result: { send?: Buffer; rest?: Buffer } = {};
    if (this.state === 'waitS0S1' && this.buffered.length >= 1) checkVersion(this.buffered[0], 'server');
    if (this.state === 'waitS0S1' && this.buffered.length >= 1 + HANDSHAKE_SIZE) {
      result.send = makeEcho(this.buffered.subarray(1, 1 + HANDSHAKE_SIZE));
      this.buffered = this.buffered.subarray(1 + HANDSHAKE_SIZE);
      this.state = 'waitS2';
    }
    if (this.state === 'waitS2' && this.buffered.length >= HANDSHAKE_SIZE) {
      result.rest = this.buffered.subarray(HANDSHAKE_SIZE);
      this.buffered = Buffer.alloc(0);
      this.state = 'done';
    }
    return result;
  }
}

/** The server's side, for test servers: from C0+C1 make S0+S1+S2. */
export function makeS0S1S2(c1: Buffer, time = 0): Buffer {
  const s0s1 = makeC0C1(time);
  return Buffer.concat([s0s1, makeEcho(c1, time)]);
}
