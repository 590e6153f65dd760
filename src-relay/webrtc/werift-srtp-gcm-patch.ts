// RFC 7714 — AES-GCM for SRTP (§8–§9): a decipher per packet stays (Node's AEAD takes its IV at creation);
// werift's copies around it go: the IV is built in place and the output written once.
// Upstream write-up: docs/werift-upstream.md, "the receive path's per-packet cost" §2.
import { createDecipheriv } from 'node:crypto';
import { SrtpAuthenticationError } from 'werift';
import { GCM_AUTH_TAG_LENGTH, type CipherShape, type HeaderShape } from './werift-patch-shapes.js';
import { finalizePadding, parseSrtpHeader } from './werift-rtp-header-patch.js';

// RFC 7714 §8.1 — the 12-byte IV: salt XOR [00 00 | SSRC | ROC | SEQ]; AAD = the RTP header (§8.2).
const gcmIvs = new WeakMap<CipherShape, Buffer>();
export function gcmDecryptRtp(this: CipherShape, cipherText: Buffer, rolloverCounter: number, header?: HeaderShape): [Buffer, HeaderShape] {
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
