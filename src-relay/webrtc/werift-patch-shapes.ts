// The shapes of werift's objects that the run-time patches (werift-rtp-header-patch.ts, werift-srtp-cm-patch.ts,
// werift-srtp-gcm-patch.ts, werift-nack-patch.ts, applied by werift-srtp-patch.ts) read and write, and the
// constants of the RFCs they follow.
import { SrtcpSession, SrtpSession } from 'werift';

/** werift's ProtectionProfile constants (dtls/src/context/srtp.ts). */
export const SrtpProfile = { aes128CmHmacSha1_80: 1, aeadAes128Gcm: 7 } as const;
export type SrtpProfileId = (typeof SrtpProfile)[keyof typeof SrtpProfile];

export const CM_AUTH_TAG_LENGTH = 10; // HMAC-SHA1 truncated to 80 bits (RFC 3711 §5.2)
export const GCM_AUTH_TAG_LENGTH = 16; // RFC 7714 §14.2
export const SRTCP_INDEX_LENGTH = 4; // E flag + 31-bit index (RFC 3711 §3.4)
export const MIN_RTP_HEADER = 12;
export const MIN_RTCP_PACKET = 8;
export const ONE_BYTE_PROFILE = 0xbede; // RFC 8285 §4.2
export const TWO_BYTE_PROFILE = 0x1000; // RFC 8285 §4.3 ("0x100" + appbits, werift matches 0x1000 exactly)

/** The fields of werift's RtpHeader this file reads and writes. */
export interface HeaderShape {
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
export interface CipherShape {
  srtpSessionKey: Buffer;
  srtpSessionSalt: Buffer;
  srtcpSessionKey: Buffer;
  srtcpSessionSalt: Buffer;
  srtpSessionAuthTag?: Buffer;
  srtcpSessionAuthTag?: Buffer;
  decryptRtp(cipherText: Buffer, rolloverCounter: number, header?: HeaderShape): [Buffer, HeaderShape];
  decryptRTCP(encrypted: Buffer): [Buffer, unknown];
}

export interface ContextShape {
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

export function requireMethod(proto: object, name: string, what: string): void {
  if (typeof (proto as Record<string, unknown>)[name] !== 'function') throw new WeriftPatchError(`${what} has no method ${name}; werift's shape changed`);
}

/** werift's SRTP context for one side of a session (the object SrtpSession keeps as remoteContext). */
export function weriftContexts(profile: SrtpProfileId): { rtp: ContextShape; rtcp: ContextShape; peerRtp: ContextShape; peerRtcp: ContextShape } {
  const keys = { localMasterKey: Buffer.alloc(16, 1), localMasterSalt: Buffer.alloc(14, 2), remoteMasterKey: Buffer.alloc(16, 1), remoteMasterSalt: Buffer.alloc(14, 2) };
  const a = new SrtpSession({ keys, profile }) as unknown as { localContext: ContextShape; remoteContext: ContextShape };
  const b = new SrtcpSession({ keys, profile }) as unknown as { localContext: ContextShape; remoteContext: ContextShape };
  return { rtp: a.remoteContext, rtcp: b.remoteContext, peerRtp: a.localContext, peerRtcp: b.localContext };
}
