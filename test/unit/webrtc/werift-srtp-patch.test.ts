// The patched werift receive path (src-relay/webrtc/werift-srtp-patch.ts) against RFC 3711's AES-CM keystream
// vectors and against werift's own code: packets werift encrypts decrypt to the bytes werift's methods give,
// headers parse to the same fields, tampered packets are refused, and the NACK timer stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { RTCRtpReceiver, RtpHeader, RtpPacket, SrtpAuthenticationError } from 'werift';
import { CounterModeKeystream, SrtpProfile, sampleRtpPackets, weriftContexts, weriftOriginals } from '../../../src-relay/webrtc/werift-srtp-patch.js';

type HeaderFields = Record<string, unknown>;

/** What a parsed header says, as plain data (its payload views as hex). */
function fields(header: unknown): HeaderFields {
  return JSON.parse(JSON.stringify(header, (_k, v: unknown) => (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString('hex') : v))) as HeaderFields;
}

/** Runs `f` with werift's own methods in place of the patch, then puts the patch back. */
function withWeriftOriginals<T>(f: () => T): T {
  const cm = weriftOriginals.cmProto as Record<string, unknown>;
  const gcm = weriftOriginals.gcmProto as Record<string, unknown>;
  const header = RtpHeader as unknown as Record<string, unknown>;
  const patched = { cmRtp: cm.decryptRtp, cmRtcp: cm.decryptRTCP, gcmRtp: gcm.decryptRtp, deSerialize: header.deSerialize };
  cm.decryptRtp = weriftOriginals.cmRtp;
  cm.decryptRTCP = weriftOriginals.cmRtcp;
  gcm.decryptRtp = weriftOriginals.gcmRtp;
  header.deSerialize = weriftOriginals.deSerialize;
  try {
    return f();
  } finally {
    cm.decryptRtp = patched.cmRtp;
    cm.decryptRTCP = patched.cmRtcp;
    gcm.decryptRtp = patched.gcmRtp;
    header.deSerialize = patched.deSerialize;
  }
}

/** Every sample packet plus random payloads of many sizes, as werift encrypts them, decrypted and re-parsed. */
function decryptAll(profile: 1 | 7, seed: Buffer): Array<{ plain: Buffer; header: HeaderFields; reparsed: HeaderFields } | 'refused'> {
  const ctx = weriftContexts(profile);
  const packets = sampleRtpPackets();
  for (let i = 0; i < 40; i++) {
    const base = packets[i % packets.length]!;
    const length = seed[i]! * 5;
    const payload = Buffer.alloc(length);
    for (let j = 0; j < length; j++) payload[j] = seed[(i + j) % seed.length]!;
    const header = new (RtpHeader as unknown as new (p: object) => { sequenceNumber: number })({ ...base.header, sequenceNumber: 100 + i, padding: false });
    packets.push({ header: header as never, payload });
  }
  return packets.map((p) => {
    const encrypted = ctx.peerRtp.encryptRtp(p.payload, p.header);
    try {
      const [plain, header] = ctx.rtp.decryptRtp(encrypted);
      return { plain, header: fields(header), reparsed: fields(RtpPacket.deSerialize(plain).header) };
    } catch (error) {
      if (error instanceof SrtpAuthenticationError) return 'refused';
      throw error;
    }
  });
}

test('the AES-CM keystream is RFC 3711 Appendix B.2', () => {
  const keystream = new CounterModeKeystream(Buffer.from('2B7E151628AED2A6ABF7158809CF4F3C', 'hex'), Buffer.from('F0F1F2F3F4F5F6F7F8F9FAFBFCFD', 'hex'));
  const out = Buffer.alloc(48);
  keystream.apply(0, 0, 0, out, 0, 48);
  assert.equal(out.toString('hex').toUpperCase(), 'E03EAD0935C95E80E166B16DD92B4EB4' + 'D23513162B02D0F72A43A2FE4A5F97AB' + '41E95B3BB0A2E8DD477901E4FCA894C0');
  // Unaligned output and a length that is not a whole number of blocks XOR the same keystream.
  const odd = Buffer.alloc(40);
  keystream.apply(0, 0, 0, odd, 3, 37);
  assert.deepEqual(odd.subarray(3), out.subarray(0, 37));
});

for (const [name, profile] of [['AES_CM_128_HMAC_SHA1_80', SrtpProfile.aes128CmHmacSha1_80], ['AEAD_AES_128_GCM', SrtpProfile.aeadAes128Gcm]] as const) {
  test(`${name}: packets werift encrypts decrypt to the bytes and header werift's own decrypt gives`, () => {
    const seed = randomBytes(512);
    const expected = withWeriftOriginals(() => decryptAll(profile, seed));
    const actual = decryptAll(profile, seed);
    assert.equal(actual.length, expected.length);
    assert.ok(actual.every((r) => r !== 'refused'), 'every packet werift encrypted decrypts');
    assert.deepEqual(actual, expected);
  });

  test(`${name}: a packet with a changed payload byte or tag is refused`, () => {
    const ctx = weriftContexts(profile);
    const packet = sampleRtpPackets()[0]!;
    const encrypted = ctx.peerRtp.encryptRtp(packet.payload, packet.header);
    for (const at of [20, encrypted.length - 1]) {
      const tampered = Buffer.from(encrypted);
      tampered[at]! ^= 0x40;
      assert.throws(() => ctx.rtp.decryptRtp(tampered), SrtpAuthenticationError);
    }
    assert.throws(() => ctx.rtp.decryptRtp(encrypted.subarray(0, 20)), SrtpAuthenticationError, 'too short for header and tag');
    // The genuine packet still decrypts after the refusals.
    assert.deepEqual(ctx.rtp.decryptRtp(encrypted)[0].subarray(-packet.payload.length), packet.payload);
  });

  test(`${name}: SRTCP decrypts to werift's bytes; a changed byte is refused`, () => {
    const rtcp = Buffer.from('81c90007000000010000000200000000000000000000000000000000000000000000000000000000', 'hex');
    const ctx = weriftContexts(profile);
    const encrypted = [1, 2, 3].map(() => ctx.peerRtcp.encryptRTCP(rtcp));
    const expected = withWeriftOriginals(() => encrypted.map((e) => weriftContexts(profile).rtcp.decryptRTCP(e)[0]));
    assert.deepEqual(encrypted.map((e) => ctx.rtcp.decryptRTCP(e)[0]), expected);
    assert.deepEqual(expected[0], rtcp);
    const tampered = Buffer.from(encrypted[0]!);
    tampered[12]! ^= 1;
    assert.throws(() => ctx.rtcp.decryptRTCP(tampered), SrtpAuthenticationError);
  });
}

test('RTP headers parse to the fields werift parses, for random first bytes and extension layouts', () => {
  const original = weriftOriginals.deSerialize as (b: Buffer) => unknown;
  const parse = (f: (b: Buffer) => unknown, b: Buffer): HeaderFields | string => {
    try {
      return fields(f(b));
    } catch (error) {
      return `threw ${(error as Error).name}`;
    }
  };
  const packets = sampleRtpPackets().map((p) => p.header as unknown as { serialize(size: number): Buffer; serializeSize: number });
  const inputs = packets.map((h) => Buffer.concat([h.serialize(h.serializeSize), Buffer.alloc(20, 5)]));
  for (let i = 0; i < 2000; i++) {
    const b = randomBytes(16 + (i % 40));
    b[0] = (b[0]! & 0xcf) | 0x80 | (i % 3 === 0 ? 0x10 : 0); // version 2, random P and CC; the X bit on a third
    const extensionAt = 12 + 4 * (b[0]! & 0x0f);
    // Some with a one- or two-byte extension profile and a short length (werift's own parser is quadratic in it).
    if (i % 3 === 0 && extensionAt + 4 <= b.length && i % 2 === 0) {
      b.writeUInt16BE(i % 4 === 0 ? 0xbede : 0x1000, extensionAt);
      b.writeUInt16BE(i % 5, extensionAt + 2);
    }
    inputs.push(b);
  }
  for (const input of inputs) {
    const expected = parse(original, input);
    if (typeof expected === 'string') continue; // werift throws (out of range); ours may stop early instead
    const actual = parse((b) => RtpHeader.deSerialize(b), input);
    const offset = expected.payloadOffset;
    if (typeof offset !== 'number' || offset > input.length) {
      // Extensions past the end of the packet: werift's offset is NaN or beyond it, and so must ours be, so the
      // SRTP check (payload before the tag) refuses the packet either way.
      assert.ok(typeof actual === 'string' || (actual.payloadOffset as number) > input.length, input.toString('hex'));
      continue;
    }
    assert.deepEqual(actual, expected, input.toString('hex'));
  }
});

test('the NACK timer stops once the lost packet arrives', async () => {
  const receiver = new RTCRtpReceiver({} as never, 'video', 1) as unknown as {
    nack: { addPacket(p: { header: { sequenceNumber: number; ssrc: number } }): void; nackLoop: unknown; close(): void };
    dtlsTransport: unknown;
  };
  const sent: number[] = [];
  receiver.dtlsTransport = { sendRtcp: async () => void sent.push(Date.now()) };
  const packet = (sequenceNumber: number) => ({ header: { sequenceNumber, ssrc: 7 } });
  try {
    receiver.nack.addPacket(packet(10));
    receiver.nack.addPacket(packet(12)); // 11 lost
    await new Promise((r) => setTimeout(r, 30));
    assert.ok(sent.length > 0, 'a NACK was sent for the lost packet');
    receiver.nack.addPacket(packet(11)); // retransmission arrives
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(receiver.nack.nackLoop, undefined, 'no timer runs when nothing is missing');
    const count = sent.length;
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(sent.length, count);
  } finally {
    receiver.nack.close();
  }
});
