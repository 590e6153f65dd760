// RFC 3711 — SRTP (AES_CM_128_HMAC_SHA1_80, §4.1.1 and §4.2), RFC 7714 — AES-GCM for SRTP (§8–§9),
// RFC 3550 §5.1 — the RTP fixed header: werift's receive path with its per-packet waste taken out.
//
// werift (0.24.4) decrypts every SRTP packet by building a new AES-CTR decipher and a new HMAC, derives the
// counter through BigInt, copies the packet twice (Buffer.concat), parses every RTP header twice, each time
// reading the first two bytes bit by bit through binary strings (`getBit`), and its NACK loop never stops
// once a packet was lost (a 5 ms timer for the rest of the session). Replaced here, on werift's own classes,
// at import:
//
//   RtpHeader.deSerialize        bit masks instead of strings; extensions pushed, not re-spread
//   AES-CM   decryptRtp          one AES-ECB cipher per session key makes the keystream (the counter blocks
//                                of §4.1.1 encrypted in one call) and XORs it into the output; one HMAC
//                                over header+payload+ROC (§4.2); one output buffer, no concat
//   AES-CM   decryptRTCP         the same for SRTCP (§3.4)
//   AES-GCM  decryptRtp          a decipher per packet stays (Node's AEAD takes its IV at creation), the
//                                IV is built in place and the output written once
//   NackHandler.setLost          the retransmission timer stops when nothing is missing
//
// The rest (encryption, key derivation, ROC tracking) is werift's. The guard below refuses a werift version
// other than the one this was written against, and a self-test checks at import that the patched methods
// give the same bytes as werift's own on packets werift itself encrypted; either failing throws, so an
// upgrade cannot silently run a patch that no longer fits.
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual, type Cipher } from 'node:crypto';
import { RTCRtpReceiver, RtpHeader, RtpPacket, SrtcpSession, SrtpAuthenticationError, SrtpSession } from 'werift';
import { weriftVersionMismatch } from './werift-version.js';

/** werift's ProtectionProfile constants (dtls/src/context/srtp.ts). */
export const SrtpProfile = { aes128CmHmacSha1_80: 1, aeadAes128Gcm: 7 } as const;
type SrtpProfileId = (typeof SrtpProfile)[keyof typeof SrtpProfile];

const CM_AUTH_TAG_LENGTH = 10; // HMAC-SHA1 truncated to 80 bits (RFC 3711 §5.2)
const GCM_AUTH_TAG_LENGTH = 16; // RFC 7714 §14.2
const SRTCP_INDEX_LENGTH = 4; // E flag + 31-bit index (RFC 3711 §3.4)
const MIN_RTP_HEADER = 12;
const MIN_RTCP_PACKET = 8;
const ONE_BYTE_PROFILE = 0xbede; // RFC 8285 §4.2
const TWO_BYTE_PROFILE = 0x1000; // RFC 8285 §4.3 ("0x100" + appbits, werift matches 0x1000 exactly)

/** The fields of werift's RtpHeader this file reads and writes. */
interface HeaderShape {
  version: number;
  padding: boolean;
  paddingSize: number;
  extension: boolean;
  marker: boolean;
  payloadOffset: number;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcLength: number;
  csrc: number[];
  extensionProfile: number;
  extensionLength: number | undefined;
  extensions: { id: number; payload: Buffer }[];
}

/** werift's CipherAesCtr / CipherAesGcm instance fields (rtp/src/srtp/cipher/*.ts). */
interface CipherShape {
  srtpSessionKey: Buffer;
  srtpSessionSalt: Buffer;
  srtcpSessionKey: Buffer;
  srtcpSessionSalt: Buffer;
  srtpSessionAuthTag?: Buffer;
  srtcpSessionAuthTag?: Buffer;
  decryptRtp(cipherText: Buffer, rolloverCounter: number, header?: HeaderShape): [Buffer, HeaderShape];
  decryptRTCP(encrypted: Buffer): [Buffer, unknown];
}

interface ContextShape {
  cipher: CipherShape;
  decryptRtp(cipherText: Buffer): [Buffer, HeaderShape];
  encryptRtp(payload: Buffer, header: HeaderShape): Buffer;
  encryptRTCP(rtcp: Buffer): Buffer;
  decryptRTCP(encrypted: Buffer): [Buffer, unknown];
}

export class WeriftPatchError extends Error {
  constructor(message: string) {
    super(`werift SRTP patch: ${message}`);
    this.name = 'WeriftPatchError';
  }
}

// RFC 3550 §5.1
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                           timestamp                           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           synchronization source (SSRC) identifier            |
// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
// |            contributing source (CSRC) identifiers             |
// |                             ....                              |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | defined by profile (0xBEDE) |     length in 32-bit words      |  (X = 1, RFC 8285)
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/**
 * werift's RtpHeader.deSerialize, field for field (including where it stops on a one-byte extension with
 * ID 15 and what it does with an unknown extension profile), with the bits read by masks.
 */
function deSerializeRtpHeader(raw: Buffer): HeaderShape {
  const h = new (RtpHeader as unknown as new () => HeaderShape)();
  const b0 = raw[0]!;
  const b1 = raw[1]!;
  h.version = b0 >> 6;
  h.padding = (b0 & 0x20) !== 0;
  h.extension = (b0 & 0x10) !== 0;
  h.csrcLength = b0 & 0x0f;
  h.marker = (b1 & 0x80) !== 0;
  h.payloadType = b1 & 0x7f;
  h.sequenceNumber = raw.readUInt16BE(2);
  h.timestamp = raw.readUInt32BE(4);
  h.ssrc = raw.readUInt32BE(8);
  let offset = MIN_RTP_HEADER;
  const csrc: number[] = [];
  for (let i = 0; i < h.csrcLength; i++, offset += 4) csrc.push(raw.readUInt32BE(offset));
  h.csrc = csrc;
  if (h.extension) {
    h.extensionProfile = raw.readUInt16BE(offset);
    const extensionLength = raw.readUInt16BE(offset + 2) * 4;
    h.extensionLength = extensionLength;
    offset += 4;
    const end = offset + extensionLength;
    const extensions: HeaderShape['extensions'] = [];
    if (h.extensionProfile === ONE_BYTE_PROFILE) {
      while (offset < end) {
        const byte = raw[offset];
        if (byte === 0) {
          offset++;
          continue;
        }
        // werift reads past the buffer as ID 0, length 1 (undefined bytes); a packet that does that fails the
        // payloadOffset check after parsing either way.
        const id = byte === undefined ? 0 : byte >> 4;
        const length = byte === undefined ? 1 : (byte & 0x0f) + 1;
        offset++;
        if (id === 15) break;
        extensions.push({ id, payload: raw.subarray(offset, offset + length) });
        offset += length;
      }
    } else if (h.extensionProfile === TWO_BYTE_PROFILE) {
      while (offset < end) {
        if (raw[offset] === 0) {
          offset++;
          continue;
        }
        const id = raw[offset] ?? 0;
        const length = raw[offset + 1] ?? 0;
        offset += 2;
        extensions.push({ id, payload: raw.subarray(offset, offset + length) });
        offset += length;
      }
    } else {
      const payload = raw.subarray(offset, offset + extensionLength);
      extensions.push({ id: 0, payload });
      offset += payload.length;
    }
    h.extensions = extensions;
  }
  h.payloadOffset = offset;
  if (h.padding) h.paddingSize = raw[raw.length - 1]!;
  return h;
}

/** werift's finalizeSrtpRtpHeader: the padding count of a decrypted packet, checked. */
function finalizePadding(header: HeaderShape, packet: Buffer): HeaderShape {
  header.paddingSize = 0;
  if (!header.padding) return header;
  if (packet.length <= header.payloadOffset) throw new SrtpAuthenticationError('Failed to authenticate SRTP packet');
  const paddingSize = packet[packet.length - 1]!;
  if (paddingSize === 0 || paddingSize > packet.length - header.payloadOffset) {
    throw new SrtpAuthenticationError('Failed to authenticate SRTP packet');
  }
  header.paddingSize = paddingSize;
  return header;
}

/** werift's parseSrtpRtpHeader: a header whose payload lies before the auth tag, or an authentication error. */
function parseSrtpHeader(packet: Buffer, authTagLength: number): HeaderShape {
  const message = 'Failed to authenticate SRTP packet';
  if (packet.length < MIN_RTP_HEADER + authTagLength) throw new SrtpAuthenticationError(message);
  let header: HeaderShape;
  try {
    header = deSerializeRtpHeader(packet.subarray(0, packet.length - authTagLength));
  } catch {
    throw new SrtpAuthenticationError(message);
  }
  header.paddingSize = 0;
  if (header.payloadOffset < MIN_RTP_HEADER || header.payloadOffset > packet.length - authTagLength) {
    throw new SrtpAuthenticationError(message);
  }
  return header;
}

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
function cmDecryptRtp(this: CipherShape, cipherText: Buffer, rolloverCounter: number, header?: HeaderShape): [Buffer, HeaderShape] {
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
function cmDecryptRtcp(this: CipherShape, encrypted: Buffer): [Buffer, unknown] {
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

/** werift's RtcpHeader.deSerialize, through the class werift returns it as. */
let rtcpHeader: (packet: Buffer) => unknown = () => undefined;

// RFC 7714 §8.1 — the 12-byte IV: salt XOR [00 00 | SSRC | ROC | SEQ]; AAD = the RTP header (§8.2).
const gcmIvs = new WeakMap<CipherShape, Buffer>();
function gcmDecryptRtp(this: CipherShape, cipherText: Buffer, rolloverCounter: number, header?: HeaderShape): [Buffer, HeaderShape] {
  header ??= parseSrtpHeader(cipherText, GCM_AUTH_TAG_LENGTH);
  let iv = gcmIvs.get(this);
  if (!iv) gcmIvs.set(this, (iv = Buffer.alloc(12)));
  const s = this.srtpSessionSalt;
  iv[0] = s[0]!;
  iv[1] = s[1]!;
  iv.writeUInt32BE((header.ssrc ^ s.readUInt32BE(2)) >>> 0, 2);
  iv.writeUInt32BE((rolloverCounter ^ s.readUInt32BE(6)) >>> 0, 6);
  iv.writeUInt16BE((header.sequenceNumber ^ s.readUInt16BE(10)) & 0xffff, 10);
  const tagOffset = cipherText.length - GCM_AUTH_TAG_LENGTH;
  const decipher = createDecipheriv('aes-128-gcm', this.srtpSessionKey, iv);
  decipher.setAAD(cipherText.subarray(0, header.payloadOffset));
  decipher.setAuthTag(cipherText.subarray(tagOffset));
  const plain = decipher.update(cipherText.subarray(header.payloadOffset, tagOffset));
  try {
    decipher.final();
  } catch {
    throw new SrtpAuthenticationError('Failed to authenticate SRTP packet');
  }
  const out = Buffer.allocUnsafe(tagOffset);
  cipherText.copy(out, 0, 0, header.payloadOffset);
  plain.copy(out, header.payloadOffset);
  return [out, finalizePadding(header, out)];
}

/** The part of werift's NackHandler this file replaces. */
interface NackShape {
  _lost: Record<number, number>;
  nackLoop: NodeJS.Timeout | undefined;
  closed: boolean;
  sendNack(): Promise<void>;
}

// werift awaits sendNack() before it checks whether anything is still lost, and sendNack's promise settles
// only when it sent a NACK: once the last lost packet arrived, the 5 ms timer ran for good. Here the timer
// stops as soon as nothing is missing.
function setLost(this: NackShape, seq: number, count: number): void {
  this._lost[seq] = count;
  if (this.nackLoop || this.closed) return;
  this.nackLoop = setInterval(() => {
    if (Object.keys(this._lost).length === 0) {
      clearInterval(this.nackLoop);
      this.nackLoop = undefined;
      return;
    }
    this.sendNack().catch(() => undefined);
  }, 5);
}

function requireMethod(proto: object, name: string, what: string): void {
  if (typeof (proto as Record<string, unknown>)[name] !== 'function') throw new WeriftPatchError(`${what} has no method ${name}; werift's shape changed`);
}

/** werift's SRTP context for one side of a session (the object SrtpSession keeps as remoteContext). */
export function weriftContexts(profile: SrtpProfileId): { rtp: ContextShape; rtcp: ContextShape; peerRtp: ContextShape; peerRtcp: ContextShape } {
  const keys = { localMasterKey: Buffer.alloc(16, 1), localMasterSalt: Buffer.alloc(14, 2), remoteMasterKey: Buffer.alloc(16, 1), remoteMasterSalt: Buffer.alloc(14, 2) };
  const a = new SrtpSession({ keys, profile }) as unknown as { localContext: ContextShape; remoteContext: ContextShape };
  const b = new SrtcpSession({ keys, profile }) as unknown as { localContext: ContextShape; remoteContext: ContextShape };
  return { rtp: a.remoteContext, rtcp: b.remoteContext, peerRtp: a.localContext, peerRtcp: b.localContext };
}

let applied = false;

/** werift's own methods as they were before the patch, and where they live (for tests and the bench). */
export let weriftOriginals: Record<'deSerialize' | 'cmRtp' | 'cmRtcp' | 'gcmRtp' | 'setLost', unknown> & { cmProto: object; gcmProto: object } = {
  deSerialize: undefined,
  cmRtp: undefined,
  cmRtcp: undefined,
  gcmRtp: undefined,
  setLost: undefined,
  cmProto: {},
  gcmProto: {},
};

/** Replaces werift's methods (once); throws WeriftPatchError when werift is not the version or shape patched. */
export function applyWeriftSrtpPatch(): void {
  if (applied) return;
  const mismatch = weriftVersionMismatch('src-relay/webrtc/werift-srtp-patch.ts');
  if (mismatch !== undefined) throw new WeriftPatchError(mismatch);
  const cm = weriftContexts(SrtpProfile.aes128CmHmacSha1_80);
  const gcm = weriftContexts(SrtpProfile.aeadAes128Gcm);
  const cmProto = Object.getPrototypeOf(cm.rtp.cipher) as Record<string, unknown>;
  const gcmProto = Object.getPrototypeOf(gcm.rtp.cipher) as Record<string, unknown>;
  const receiver = new RTCRtpReceiver({} as never, 'video', 0) as unknown as { nack: NackShape };
  const nackProto = Object.getPrototypeOf(receiver.nack) as Record<string, unknown>;
  requireMethod(cmProto, 'decryptRtp', 'the AES-CM cipher');
  requireMethod(cmProto, 'decryptRTCP', 'the AES-CM cipher');
  requireMethod(gcmProto, 'decryptRtp', 'the AES-GCM cipher');
  requireMethod(nackProto, 'setLost', 'NackHandler');
  requireMethod(RtpHeader, 'deSerialize', 'RtpHeader');
  if (!(cm.rtp.cipher.srtpSessionAuthTag instanceof Buffer) || !(cm.rtp.cipher.srtcpSessionAuthTag instanceof Buffer)) {
    throw new WeriftPatchError('the AES-CM cipher keeps no srtpSessionAuthTag/srtcpSessionAuthTag buffers; werift changed');
  }
  if (typeof (receiver.nack as unknown as { sendNack?: unknown }).sendNack !== 'function' || typeof receiver.nack._lost !== 'object') {
    throw new WeriftPatchError('NackHandler has no sendNack/_lost; werift changed');
  }
  // werift's RtcpHeader parser, taken from what its own SRTCP decrypt returns.
  const original = {
    deSerialize: RtpHeader.deSerialize,
    cmRtp: cmProto.decryptRtp,
    cmRtcp: cmProto.decryptRTCP,
    gcmRtp: gcmProto.decryptRtp,
    setLost: nackProto.setLost,
  };
  weriftOriginals = { ...original, cmProto, gcmProto };
  const sampleRtcp = Buffer.from('80c8000600000001000000000000000000000000000000000000000000000000', 'hex');
  const headerClass = (cm.rtcp.decryptRTCP(cm.peerRtcp.encryptRTCP(sampleRtcp))[1] as object).constructor as { deSerialize?: (b: Buffer) => unknown };
  if (typeof headerClass.deSerialize !== 'function') throw new WeriftPatchError("the SRTCP decrypt's header has no deSerialize; werift changed");
  const deSerializeRtcpHeader = headerClass.deSerialize.bind(headerClass);
  rtcpHeader = (packet) => {
    try {
      return deSerializeRtcpHeader(packet.subarray(0, 4));
    } catch {
      throw new SrtpAuthenticationError('Failed to authenticate SRTCP packet');
    }
  };
  const restore = (): void => {
    (RtpHeader as unknown as Record<string, unknown>).deSerialize = original.deSerialize;
    cmProto.decryptRtp = original.cmRtp;
    cmProto.decryptRTCP = original.cmRtcp;
    gcmProto.decryptRtp = original.gcmRtp;
    nackProto.setLost = original.setLost;
  };
  // At import a few packets cover the paths (one-byte and two-byte extensions, CSRCs, padding, a full-size
  // payload); the unit test runs every sample.
  const sample = (): ReturnType<typeof sampleRtpPackets> => sampleRtpPackets().filter((_, i) => [0, 2, 3, 4, 8].includes(i));
  const expected = selfTestRun(sample());
  (RtpHeader as unknown as Record<string, unknown>).deSerialize = deSerializeRtpHeader;
  cmProto.decryptRtp = cmDecryptRtp;
  cmProto.decryptRTCP = cmDecryptRtcp;
  gcmProto.decryptRtp = gcmDecryptRtp;
  nackProto.setLost = setLost;
  try {
    const actual = selfTestRun(sample());
    for (let i = 0; i < expected.length; i++) {
      if (!actual[i]!.equals(expected[i]!)) throw new WeriftPatchError(`self-test case ${i} decrypts differently from werift's own method`);
    }
  } catch (error) {
    restore();
    throw error instanceof WeriftPatchError ? error : new WeriftPatchError(`self-test failed: ${(error as Error).message}`);
  }
  applied = true;
}

/**
 * Packets werift encrypts itself (every header variant, SRTCP, a tampered tag) through fresh contexts of both
 * profiles, decrypted and re-parsed as the DTLS transport does: the bytes, both parsed headers and the
 * payload length, or how a decrypt refused.
 */
export function selfTestRun(packets = sampleRtpPackets()): Buffer[] {
  const rtcp = Buffer.from('81c90007000000010000000200000000000000000000000000000000000000000000000000000000', 'hex');
  const results: Buffer[] = [];
  const attempt = (f: () => Buffer): Buffer => {
    try {
      return f();
    } catch (error) {
      return Buffer.from(error instanceof SrtpAuthenticationError ? 'refused' : `threw ${(error as Error).name}`);
    }
  };
  for (const profile of [SrtpProfile.aes128CmHmacSha1_80, SrtpProfile.aeadAes128Gcm]) {
    const ctx = weriftContexts(profile);
    const encrypted = packets.map((p) => ctx.peerRtp.encryptRtp(p.payload, p.header));
    for (const packet of encrypted) {
      results.push(
        attempt(() => {
          const [plain, header] = ctx.rtp.decryptRtp(packet);
          const reparsed = (RtpPacket as unknown as { deSerialize(b: Buffer): { header: HeaderShape; payload: Buffer } }).deSerialize(plain);
          return Buffer.concat([plain, Buffer.from(JSON.stringify([header, reparsed.header, reparsed.payload.length]))]);
        }),
      );
    }
    const tampered = Buffer.from(encrypted[0]!);
    tampered[tampered.length - 1]! ^= 1;
    results.push(attempt(() => ctx.rtp.decryptRtp(tampered)[0]));
    const srtcp = ctx.peerRtcp.encryptRTCP(rtcp);
    results.push(attempt(() => ctx.rtcp.decryptRTCP(srtcp)[0]));
    const tamperedRtcp = Buffer.from(srtcp);
    tamperedRtcp[9]! ^= 1;
    results.push(attempt(() => ctx.rtcp.decryptRTCP(tamperedRtcp)[0]));
  }
  return results;
}

/** RTP packets covering the header's variants: plain, marker, CSRCs, padding, one- and two-byte extensions. */
export function sampleRtpPackets(): Array<{ header: HeaderShape; payload: Buffer }> {
  const make = (props: Partial<HeaderShape>, payloadLength: number, seed: number): { header: HeaderShape; payload: Buffer } => {
    const payload = Buffer.alloc(payloadLength);
    for (let i = 0; i < payloadLength; i++) payload[i] = (i * 31 + seed) & 0xff;
    const header = new (RtpHeader as unknown as new (p: Partial<HeaderShape>) => HeaderShape)({ payloadType: 96, ssrc: 0x11223344, timestamp: 90000 + seed, ...props });
    return { header, payload };
  };
  return [
    make({ sequenceNumber: 1 }, 1200, 1),
    make({ sequenceNumber: 2, marker: true }, 17, 2),
    make({ sequenceNumber: 3, csrc: [0xdeadbeef, 7] }, 100, 3),
    make({ sequenceNumber: 4, extensions: [{ id: 1, payload: Buffer.from([1, 2]) }, { id: 3, payload: Buffer.from([9, 9, 9, 9]) }] }, 500, 4),
    make({ sequenceNumber: 5, extensionProfile: TWO_BYTE_PROFILE, extensions: [{ id: 5, payload: Buffer.from([1, 2, 3]) }] }, 64, 5),
    make({ sequenceNumber: 6, payloadType: 111, ssrc: 0x55667788 }, 0, 6),
    make({ sequenceNumber: 65535 }, 33, 7),
    make({ sequenceNumber: 0 }, 33, 8),
    { ...make({ sequenceNumber: 1, padding: true }, 40, 9), payload: Buffer.concat([Buffer.alloc(37, 7), Buffer.from([0, 0, 3])]) },
  ];
}

// CASTBRIDGE_WERIFT_PATCH=off runs werift as published, to measure what the patch saves (bench/relay.bench.ts).
if (process.env.CASTBRIDGE_WERIFT_PATCH !== 'off') applyWeriftSrtpPatch();
