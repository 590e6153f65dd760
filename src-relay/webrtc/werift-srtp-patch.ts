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
//   RTCRtpReceiver bookkeeping   nackEnabled/twccEnabled without sorting the codecs, runRtcp without a
//                                promise per packet, StreamStatistics.add without parseInt round trips
////
// One file per concern: werift-rtp-header-patch.ts, werift-srtp-cm-patch.ts, werift-srtp-gcm-patch.ts,
// werift-nack-patch.ts, werift-receiver-patch.ts (the shapes they share in werift-patch-shapes.ts); the upstream write-up of each is in
// docs/werift-upstream.md. This file applies them.
//
// The rest (encryption, key derivation, ROC tracking) is werift's. The guard below refuses a werift version
// other than the one this was written against, and a self-test checks at import that the patched methods
// give the same bytes as werift's own on packets werift itself encrypted; either failing throws, so an
// upgrade cannot silently run a patch that no longer fits.
import { RTCRtpReceiver, RtpHeader, RtpPacket, SrtpAuthenticationError } from 'werift';
import { setLost, type NackShape } from './werift-nack-patch.js';
import { addStatistics, findStatisticsClass, guardRunRtcp, nackEnabled, receiverSelfTestRun, twccEnabled } from './werift-receiver-patch.js';
import { SrtpProfile, WeriftPatchError, requireMethod, weriftContexts, type HeaderShape } from './werift-patch-shapes.js';
import { deSerializeRtpHeader, sampleRtpPackets } from './werift-rtp-header-patch.js';
import { cmDecryptRtcp, cmDecryptRtp, setRtcpHeaderParser } from './werift-srtp-cm-patch.js';
import { gcmDecryptRtp } from './werift-srtp-gcm-patch.js';
import { weriftVersionMismatch } from './werift-version.js';

export { SrtpProfile, WeriftPatchError, weriftContexts } from './werift-patch-shapes.js';
export { sampleRtpPackets } from './werift-rtp-header-patch.js';
export { CounterModeKeystream } from './werift-srtp-cm-patch.js';

let applied = false;

/** werift's own methods as they were before the patch, and where they live (for tests and the bench). */
export let weriftOriginals: Record<'deSerialize' | 'cmRtp' | 'cmRtcp' | 'gcmRtp' | 'setLost' | 'addStatistics' | 'runRtcp', unknown> & {
  cmProto: object;
  gcmProto: object;
  statisticsProto: object;
  /** RTCRtpReceiver.prototype's own descriptors of nackEnabled and twccEnabled, as werift defined them. */
  receiverGetters: Record<'nackEnabled' | 'twccEnabled', PropertyDescriptor | undefined>;
} = {
  deSerialize: undefined,
  cmRtp: undefined,
  cmRtcp: undefined,
  gcmRtp: undefined,
  setLost: undefined,
  addStatistics: undefined,
  runRtcp: undefined,
  cmProto: {},
  gcmProto: {},
  statisticsProto: {},
  receiverGetters: { nackEnabled: undefined, twccEnabled: undefined },
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
  const receiverProto = RTCRtpReceiver.prototype as unknown as Record<string, unknown>;
  requireMethod(receiverProto, 'runRtcp', 'RTCRtpReceiver');
  const receiverGetters = {
    nackEnabled: Object.getOwnPropertyDescriptor(receiverProto, 'nackEnabled'),
    twccEnabled: Object.getOwnPropertyDescriptor(receiverProto, 'twccEnabled'),
  };
  if (typeof receiverGetters.nackEnabled?.get !== 'function' || typeof receiverGetters.twccEnabled?.get !== 'function') {
    throw new WeriftPatchError('RTCRtpReceiver has no nackEnabled/twccEnabled getters; werift changed');
  }
  const statisticsProto = findStatisticsClass(sampleRtpPackets()[0]!).prototype as Record<string, unknown>;
  const original = {
    deSerialize: RtpHeader.deSerialize,
    cmRtp: cmProto.decryptRtp,
    cmRtcp: cmProto.decryptRTCP,
    gcmRtp: gcmProto.decryptRtp,
    setLost: nackProto.setLost,
    addStatistics: statisticsProto.add,
    runRtcp: receiverProto.runRtcp,
  };
  weriftOriginals = { ...original, cmProto, gcmProto, statisticsProto, receiverGetters };
  // werift's RtcpHeader parser, taken from what its own SRTCP decrypt returns.
  const sampleRtcp = Buffer.from('80c8000600000001000000000000000000000000000000000000000000000000', 'hex');
  const headerClass = (cm.rtcp.decryptRTCP(cm.peerRtcp.encryptRTCP(sampleRtcp))[1] as object).constructor as { deSerialize?: (b: Buffer) => unknown };
  if (typeof headerClass.deSerialize !== 'function') throw new WeriftPatchError("the SRTCP decrypt's header has no deSerialize; werift changed");
  const deSerializeRtcpHeader = headerClass.deSerialize.bind(headerClass);
  setRtcpHeaderParser((packet) => {
    try {
      return deSerializeRtcpHeader(packet.subarray(0, 4));
    } catch {
      throw new SrtpAuthenticationError('Failed to authenticate SRTCP packet');
    }
  });
  const restore = (): void => {
    (RtpHeader as unknown as Record<string, unknown>).deSerialize = original.deSerialize;
    cmProto.decryptRtp = original.cmRtp;
    cmProto.decryptRTCP = original.cmRtcp;
    gcmProto.decryptRtp = original.gcmRtp;
    nackProto.setLost = original.setLost;
    statisticsProto.add = original.addStatistics;
    receiverProto.runRtcp = original.runRtcp;
    Object.defineProperty(receiverProto, 'nackEnabled', receiverGetters.nackEnabled!);
    Object.defineProperty(receiverProto, 'twccEnabled', receiverGetters.twccEnabled!);
  };
  // At import a few packets cover the paths (one-byte and two-byte extensions, CSRCs, padding, a full-size
  // payload); the unit test runs every sample.
  const sample = (): ReturnType<typeof sampleRtpPackets> => sampleRtpPackets().filter((_, i) => [0, 2, 3, 4, 8].includes(i));
  const statisticsClass = statisticsProto.constructor as new (clockRate: number) => object;
  const expected = [...selfTestRun(sample()), ...receiverSelfTestRun(statisticsClass)];
  (RtpHeader as unknown as Record<string, unknown>).deSerialize = deSerializeRtpHeader;
  cmProto.decryptRtp = cmDecryptRtp;
  cmProto.decryptRTCP = cmDecryptRtcp;
  gcmProto.decryptRtp = gcmDecryptRtp;
  nackProto.setLost = setLost;
  statisticsProto.add = addStatistics;
  receiverProto.runRtcp = guardRunRtcp(original.runRtcp as () => Promise<void>);
  Object.defineProperty(receiverProto, 'nackEnabled', { ...receiverGetters.nackEnabled, get: nackEnabled });
  Object.defineProperty(receiverProto, 'twccEnabled', { ...receiverGetters.twccEnabled, get: twccEnabled });
  try {
    const actual = [...selfTestRun(sample()), ...receiverSelfTestRun(statisticsClass)];
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

// CASTBRIDGE_WERIFT_PATCH=off runs werift as published, to measure what the patch saves (bench/relay.bench.ts).
if (process.env.CASTBRIDGE_WERIFT_PATCH !== 'off') applyWeriftSrtpPatch();