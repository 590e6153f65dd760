// RTMP handshake — RTMP spec §5.2, in the digest form ("complex", Flash Player 9) that real encoders send:
// ffmpeg (libavformat/rtmpproto.c rtmp_handshake) and librtmp (handshake.h HandShake, FP9HandShake). The
// simple form of the spec is kept for servers that refuse the digest one (publisher.ts decides).
//
//   client                      server
//   C0 (1 byte: version 3)  ─▶
//   C1 (1536 bytes)         ─▶
//                           ◀─  S0 (version 3)
//                           ◀─  S1 (1536 bytes)
//   C2                      ─▶
//                           ◀─  S2
//
// Simple form, §5.2.3 C1/S1:                 §5.2.4 C2/S2:
//   +--------------------------------+        +--------------------------------+
//   | time (4 bytes)                 |        | time (4): the peer's time      |
//   | zero (4 bytes)                 |        | time2 (4): when we read it     |
//   | random bytes (1528 bytes)      |        | random echo (1528 bytes)       |
//   +--------------------------------+        +--------------------------------+
//
// Digest form, C1 (and a digest server's S1), scheme 0 — the one ffmpeg and librtmp write:
//   +--------------------------------+
//   | time (4 bytes)                 |
//   | version (4): 9.0.124.2 ≠ 0     |   a non-zero version tells the server to look for the digest
//   | offset bytes (4), at 8..11     |   digest position = (b8+b9+b10+b11) % 728 + 12
//   | random … digest (32) … random  |   digest = HMAC-SHA256(the 1504 other bytes, key's open part)
//   +--------------------------------+
// Scheme 1 (some servers' S1): the offset bytes sit at 772..775 and the position is sum % 728 + 776.
// The open part of a key is its text: "Genuine Adobe Flash Player 001" (30 bytes) for the client,
// "Genuine Adobe Flash Media Server 001" (36 bytes) for the server.
//
// Digest form, C2 and S2 (the answer to the peer's digest):
//   +--------------------------------------+---------------------------------------------------+
//   | random (1504 bytes)                  | HMAC-SHA256(random, HMAC-SHA256(peer digest, full  |
//   |                                      | own key)) (32 bytes)                               |
//   +--------------------------------------+---------------------------------------------------+
// A server that did not find the client's digest answers in the simple form (S1 with a zero version, or
// C1 echoed as S1): the client then echoes S1 as C2, as ffmpeg and librtmp do.
import { createHmac, randomBytes } from 'node:crypto';
import { RtmpProtocolError } from './errors.js';

export const RTMP_VERSION = 3;
export const HANDSHAKE_SIZE = 1536;
export const DIGEST_SIZE = 32;

/** The 32 bytes both keys end with. */
const KEY_TAIL = Buffer.from('f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae', 'hex');
/** Flash Player's key: its open part signs C1; the whole key derives the C2 signing key. */
export const PLAYER_KEY = Buffer.concat([Buffer.from('Genuine Adobe Flash Player 001', 'latin1'), KEY_TAIL]);
export const PLAYER_KEY_OPEN = PLAYER_KEY.subarray(0, 30);
/** Flash Media Server's key: its open part signs S1; the whole key derives the S2 signing key. */
export const SERVER_KEY = Buffer.concat([Buffer.from('Genuine Adobe Flash Media Server 001', 'latin1'), KEY_TAIL]);
export const SERVER_KEY_OPEN = SERVER_KEY.subarray(0, 36);

/** The client version C1 announces: ffmpeg's emulated Flash Player 9.0.124.2 (rtmp.h RTMP_CLIENT_VER*). */
export const CLIENT_VERSION = Buffer.from([9, 0, 124, 2]);

/** Where the digest's offset bytes sit (scheme 0, scheme 1). */
export const DigestScheme = { offsetAt8: 8, offsetAt772: 772 } as const;
const DIGEST_MOD = 728;

export type HandshakeForm = 'digest' | 'simple';

/** The digest position of a packet under a scheme: the four bytes at `base` summed, mod 728, + base + 4. */
export function digestOffset(packet: Buffer, base: number): number {
  const sum = packet[base] + packet[base + 1] + packet[base + 2] + packet[base + 3];
  return (sum % DIGEST_MOD) + base + 4;
}

function hmac(key: Buffer, ...parts: Buffer[]): Buffer {
  const h = createHmac('sha256', key);
  for (const part of parts) h.update(part);
  return h.digest();
}

/** HMAC-SHA256 of a 1536-byte packet without the 32 bytes at `offset` (where the digest goes). */
export function packetDigest(packet: Buffer, offset: number, key: Buffer): Buffer {
  return hmac(key, packet.subarray(0, offset), packet.subarray(offset + DIGEST_SIZE, HANDSHAKE_SIZE));
}

/** The offset of a valid digest in a C1/S1 signed with `key`, trying scheme 0 then scheme 1. */
export function findDigest(packet: Buffer, key: Buffer): number | undefined {
  if (packet.length !== HANDSHAKE_SIZE) return undefined;
  for (const base of [DigestScheme.offsetAt8, DigestScheme.offsetAt772]) {
    const offset = digestOffset(packet, base);
    if (packetDigest(packet, offset, key).equals(packet.subarray(offset, offset + DIGEST_SIZE))) return offset;
  }
  return undefined;
}

/** C0+C1: version byte, then time, four zero bytes (no digest: a simple handshake) and random bytes. */
export function makeC0C1(time = 0, random: Buffer = randomBytes(HANDSHAKE_SIZE - 8)): Buffer {
  const out = Buffer.alloc(1 + HANDSHAKE_SIZE);
  out[0] = RTMP_VERSION;
  out.writeUInt32BE(time >>> 0, 1);
  random.copy(out, 9, 0, HANDSHAKE_SIZE - 8);
  return out;
}

/**
 * C0+C1 of the digest form: time, CLIENT_VERSION, random bytes, and the digest at the scheme-0 position
 * signed with the player key's open part (rtmp_handshake_imprint_with_digest in ffmpeg).
 */
export function makeDigestC0C1(time = 0, random: Buffer = randomBytes(HANDSHAKE_SIZE - 8)): { c0c1: Buffer; digestOffset: number } {
  const c0c1 = makeC0C1(time, random);
  const c1 = c0c1.subarray(1);
  CLIENT_VERSION.copy(c1, 4);
  const offset = digestOffset(c1, DigestScheme.offsetAt8);
  packetDigest(c1, offset, PLAYER_KEY_OPEN).copy(c1, offset);
  return { c0c1, digestOffset: offset };
}

/** C2 (or S2) of the digest form: random bytes signed with a key derived from the peer's digest. */
export function makeDigestResponse(peerDigest: Buffer, ownKey: Buffer, random: Buffer = randomBytes(HANDSHAKE_SIZE - DIGEST_SIZE)): Buffer {
  const out = Buffer.alloc(HANDSHAKE_SIZE);
  random.copy(out, 0, 0, HANDSHAKE_SIZE - DIGEST_SIZE);
  const key = hmac(ownKey, peerDigest);
  hmac(key, out.subarray(0, HANDSHAKE_SIZE - DIGEST_SIZE)).copy(out, HANDSHAKE_SIZE - DIGEST_SIZE);
  return out;
}

/** True when a digest-form S2 (or C2) is signed with the key derived from `ownDigest` and the peer's key. */
export function verifyDigestResponse(response: Buffer, ownDigest: Buffer, peerKey: Buffer): boolean {
  const expected = makeDigestResponse(ownDigest, peerKey, response.subarray(0, HANDSHAKE_SIZE - DIGEST_SIZE));
  return expected.equals(response);
}

/** C2 (or S2) of the simple form: the peer's packet echoed, with time2 = when we read it (§5.2.4). */
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

/** What the server's answer showed, once the handshake is done. */
export interface HandshakeOutcome {
  /** The form our C1 had. */
  form: HandshakeForm;
  /** S1 carried a valid server digest (the server took our C1 as the digest form). */
  serverDigest: boolean;
  /** S2 was signed with our C1's digest: proof that the server found and used it. */
  serverSignedC1: boolean;
}

/**
 * The client's side as a small byte-driven state machine: feed it what the server sends; it says what to
 * send back and, once S2 arrived, hands over any bytes that followed (the server's first chunks).
 */
export class ClientHandshake {
  private buffered: Buffer = Buffer.alloc(0);
  private state: 'waitS0S1' | 'waitS2' | 'done' = 'waitS0S1';
  readonly c0c1: Buffer;
  private readonly c1Digest: Buffer | undefined;
  private serverDigest = false;
  private serverSignedC1 = false;

  constructor(
    readonly form: HandshakeForm = 'digest',
    time = 0,
  ) {
    if (form === 'digest') {
      const { c0c1, digestOffset: offset } = makeDigestC0C1(time);
      this.c0c1 = c0c1;
      this.c1Digest = c0c1.subarray(1 + offset, 1 + offset + DIGEST_SIZE);
    } else {
      this.c0c1 = makeC0C1(time);
    }
  }

  get done(): boolean {
    return this.state === 'done';
  }

  /** True once S0+S1 arrived (a close after that is not a refusal of our C1). */
  get answered(): boolean {
    return this.state !== 'waitS0S1';
  }

  get outcome(): HandshakeOutcome {
    return { form: this.form, serverDigest: this.serverDigest, serverSignedC1: this.serverSignedC1 };
  }

  /** Returns bytes to send (C2 once S1 is in) and, when complete, the bytes after S2. */
  push(data: Buffer): { send?: Buffer; rest?: Buffer } {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, data]) : data;
    const result: { send?: Buffer; rest?: Buffer } = {};
    if (this.state === 'waitS0S1' && this.buffered.length >= 1) checkVersion(this.buffered[0], 'server');
    if (this.state === 'waitS0S1' && this.buffered.length >= 1 + HANDSHAKE_SIZE) {
      result.send = this.answerS1(this.buffered.subarray(1, 1 + HANDSHAKE_SIZE));
      this.buffered = this.buffered.subarray(1 + HANDSHAKE_SIZE);
      this.state = 'waitS2';
    }
    if (this.state === 'waitS2' && this.buffered.length >= HANDSHAKE_SIZE) {
      if (this.c1Digest) this.serverSignedC1 = verifyDigestResponse(this.buffered.subarray(0, HANDSHAKE_SIZE), this.c1Digest, SERVER_KEY);
      result.rest = this.buffered.subarray(HANDSHAKE_SIZE);
      this.buffered = Buffer.alloc(0);
      this.state = 'done';
    }
    return result;
  }

  /**
   * C2: signed from S1's digest when S1 has a valid one (a digest server); otherwise S1 echoed, as ffmpeg
   * and librtmp answer a server that answered in the simple form (zero version, or our own C1 echoed).
   */
  private answerS1(s1: Buffer): Buffer {
    if (this.form === 'digest' && s1.readUInt32BE(4) !== 0) {
      const offset = findDigest(s1, SERVER_KEY_OPEN);
      if (offset !== undefined) {
        this.serverDigest = true;
        return makeDigestResponse(s1.subarray(offset, offset + DIGEST_SIZE), PLAYER_KEY);
      }
    }
    return makeEcho(s1);
  }
}

/** The server's side of the simple form, for test servers: from C1 make S0+S1+S2. */
export function makeS0S1S2(c1: Buffer, time = 0): Buffer {
  const s0s1 = makeC0C1(time);
  return Buffer.concat([s0s1, makeEcho(c1, time)]);
}

/**
 * The server's side as nginx-rtmp and node-media-server play it, for test servers: a C1 with a valid
 * client digest gets a signed S1 (scheme 0, version 13.14.10.13 as nginx-rtmp) and an S2 signed from the
 * client's digest; any other C1 gets the simple form.
 */
export function makeServerAnswer(c1: Buffer, time = 0): Buffer {
  const clientOffset = c1.readUInt32BE(4) !== 0 ? findDigest(c1, PLAYER_KEY_OPEN) : undefined;
  if (clientOffset === undefined) return makeS0S1S2(c1, time);
  const s0s1 = makeC0C1(time);
  const s1 = s0s1.subarray(1);
  Buffer.from([13, 14, 10, 13]).copy(s1, 4);
  const offset = digestOffset(s1, DigestScheme.offsetAt8);
  packetDigest(s1, offset, SERVER_KEY_OPEN).copy(s1, offset);
  return Buffer.concat([s0s1, makeDigestResponse(c1.subarray(clientOffset, clientOffset + DIGEST_SIZE), SERVER_KEY)]);
}
