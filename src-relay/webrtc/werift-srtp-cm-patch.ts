// RFC 3711 — SRTP with AES_CM_128_HMAC_SHA1_80 (§3.1, §3.4, §4.1.1, §4.2): werift builds a new AES-CTR
// decipher and a new HMAC for every packet, derives the counter through BigInt and copies the packet twice
// (Buffer.concat). Here one AES-ECB cipher per session key makes the keystream (a packet's counter blocks
// encrypted in one call) and XORs it into the one output buffer; one HMAC over header + payload + ROC.
// Upstream write-up: docs/werift-upstream.md, "the receive path's per-packet cost" §1.
import { createCipheriv, createHmac, timingSafeEqual, type Cipher } from 'node:crypto';
import { SrtpAuthenticationError } from 'werift';
import { CM_AUTH_TAG_LENGTH, MIN_RTCP_PACKET, SRTCP_INDEX_LENGTH, type CipherShape, type HeaderShape } from './werift-patch-shapes.js';
import { finalizePadding, parseSrtpHeader } from './werift-rtp-header-patch.js';

// RFC 3711 §4.1.1 — AES in counter mode: the keystream is AES_k(IV + i) for i = 0, 1, …, where
//   IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16)      (SRTP: i = ROC * 2^16 + SEQ)
//   IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16)  (SRTCP: the 31-bit SRTCP index)
// The 16 bytes of a counter block: salt (14 bytes) XOR [0 0 0 0 | SSRC | ROC | SEQ] then a 16-bit block
// counter. One ECB cipher per key encrypts all of a packet's counter blocks in one call.
export class CounterModeKeystream {
  private readonly ecb: Cipher;
  private blocks = Buffer.alloc(0);
  private readonly first = Buffer.alloc(16);

  constructor(
    key: Buffer,
    private readonly salt: Buffer,
  ) {
    this.ecb = createCipheriv('aes-128-ecb', key, null);
    this.ecb.setAutoPadding(false);
  }

  /** XORs the keystream for (ssrc, high, low) into `length` bytes of `out` from `at`, in place. */
  apply(ssrc: number, high: number, low: number, out: Buffer, at: number, length: number): void {
    if (length <= 0) return;
    const count = Math.ceil(length / 16);
    if (count > 0xffff) throw new SrtpAuthenticationError(`SRTP payload of ${length} bytes exceeds 2^16 AES blocks`);
    if (this.blocks.length < count * 16) this.blocks = Buffer.alloc(count * 16);
    const blocks = this.blocks;
    const first = this.first;
    const s = this.salt;
    // The first block; the others repeat it (one native fill) with the block counter (bytes 14–15) counting up.
    first[0] = s[0]!;
    first[1] = s[1]!;
    first[2] = s[2]!;
    first[3] = s[3]!;
    first.writeUInt32BE((ssrc ^ s.readUInt32BE(4)) >>> 0, 4);
    first.writeUInt32BE((high ^ s.readUInt32BE(8)) >>> 0, 8);
    first.writeUInt16BE((low ^ s.readUInt16BE(12)) & 0xffff, 12);
    blocks.fill(first, 0, count * 16);
    for (let i = 1; i < count; i++) {
      blocks[i * 16 + 14] = i >> 8;
      blocks[i * 16 + 15] = i & 0xff;
    }
    xorInPlace(out, at, length, this.ecb.update(blocks.subarray(0, count * 16)));
  }
}

/** out[at + i] ^= keystream[i] for i < length; 32 bits at a time where both are 4-byte aligned (RTP headers are). */
function xorInPlace(out: Buffer, at: number, length: number, keystream: Buffer): void {
  let i = 0;
  if ((((out.byteOffset + at) | keystream.byteOffset) & 3) === 0) {
    const words = length >>> 2;
    const o32 = new Int32Array(out.buffer, out.byteOffset + at, words);
    const k32 = new Int32Array(keystream.buffer, keystream.byteOffset, words);
    for (let w = 0; w < words; w++) o32[w]! ^= k32[w]!;
    i = words * 4;
  }
  for (; i < length; i++) out[at + i]! ^= keystream[i]!;
}

/** Per werift cipher object: the keystreams of its SRTP and SRTCP keys, made on first use. */
interface CmState {
  srtp: CounterModeKeystream;
  srtcp: CounterModeKeystream;
  roc: Buffer;
}
const cmStates = new WeakMap<CipherShape, CmState>();

function cmState(cipher: CipherShape): CmState {
  let state = cmStates.get(cipher);
  if (!state) {
    state = {
      srtp: new CounterModeKeystream(cipher.srtpSessionKey, cipher.srtpSessionSalt),
      srtcp: new CounterModeKeystream(cipher.srtcpSessionKey, cipher.srtcpSessionSalt),
      roc: Buffer.alloc(4),
    };
    cmStates.set(cipher, state);
  }
  return state;
}

function assertTag(actual: Buffer, expected: Buffer, message: string): void {
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) throw new SrtpAuthenticationError(message);
}

// RFC 3711 §3.1 — an SRTP packet: | header | encrypted payload | auth tag (80 bits) |, the tag over
// header + encrypted payload + ROC (§4.2).
export function cmDecryptRtp(this: CipherShape, cipherText: Buffer, rolloverCounter: number, header?: HeaderShape): [Buffer, HeaderShape] {
  header ??= parseSrtpHeader(cipherText, CM_AUTH_TAG_LENGTH);
  const state = cmState(this);
  const tagOffset = cipherText.length - CM_AUTH_TAG_LENGTH;
  state.roc.writeUInt32BE(rolloverCounter >>> 0);
  const expected = createHmac('sha1', this.srtpSessionAuthTag!).update(cipherText.subarray(0, tagOffset)).update(state.roc).digest();
  assertTag(cipherText.subarray(tagOffset), expected.subarray(0, CM_AUTH_TAG_LENGTH), 'Failed to authenticate SRTP packet');
  const out = Buffer.allocUnsafe(tagOffset);
  cipherText.copy(out, 0, 0, tagOffset);
  state.srtp.apply(header.ssrc, rolloverCounter, header.sequenceNumber, out, header.payloadOffset, tagOffset - header.payloadOffset);
  return [out, finalizePadding(header, out)];
}

// RFC 3711 §3.4 — an SRTCP packet: | header (8) | encrypted rest | E + SRTCP index (32) | auth tag (80) |,
// the tag over everything before it.
export function cmDecryptRtcp(this: CipherShape, encrypted: Buffer): [Buffer, unknown] {
  const message = 'Failed to authenticate SRTCP packet';
  if (encrypted.length < MIN_RTCP_PACKET + CM_AUTH_TAG_LENGTH + SRTCP_INDEX_LENGTH) throw new SrtpAuthenticationError(message);
  const header = rtcpHeader(encrypted);
  const tagOffset = encrypted.length - CM_AUTH_TAG_LENGTH;
  const indexOffset = tagOffset - SRTCP_INDEX_LENGTH;
  const expected = createHmac('sha1', this.srtcpSessionAuthTag!).update(encrypted.subarray(0, tagOffset)).digest();
  assertTag(encrypted.subarray(tagOffset), expected.subarray(0, CM_AUTH_TAG_LENGTH), message);
  const out = Buffer.from(encrypted.subarray(0, indexOffset));
  if (encrypted[indexOffset]! >>> 7 === 0) return [out, header];
  const index = encrypted.readUInt32BE(indexOffset) & 0x7fffffff;
  cmState(this).srtcp.apply(encrypted.readUInt32BE(4), index >>> 16, index & 0xffff, out, 8, indexOffset - 8);
  return [out, header];
}

/** werift's RtcpHeader.deSerialize, through the class werift returns it as (set by applyWeriftSrtpPatch). */
let rtcpHeader: (packet: Buffer) => unknown = () => undefined;

export function setRtcpHeaderParser(parse: (packet: Buffer) => unknown): void {
  rtcpHeader = parse;
}
