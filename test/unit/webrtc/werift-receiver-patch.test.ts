// werift's RTCRtpReceiver bookkeeping as patched (src-relay/webrtc/werift-receiver-patch.ts, applied by
// werift-srtp-patch.ts) against werift's own code on the same inputs: the codec feedback getters, the RTP
// statistics (RFC 3550 §A.1/§A.8: sequence cycles, jitter, counts), the integer conversion, and the RTCP
// report loop started once however many packets arrive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MediaStreamTrack, RTCRtpReceiver, RtpHeader, RtpPacket } from 'werift';
import { weriftOriginals } from '../../../src-relay/webrtc/werift-srtp-patch.js';
import { int } from '../../../src-relay/webrtc/werift-receiver-patch.js';
import { mulberry32 as prng } from '../../helpers/prng.js';

type Receiver = {
  codecs: Record<number, unknown>;
  nackEnabled: unknown;
  twccEnabled: unknown;
  rtcpRunning: boolean;
  remoteStreams: Record<number, Record<string, unknown>>;
  runRtcp(): Promise<void>;
  handleRTP(packet: unknown, extensions: unknown, track: unknown): void;
  stop(): void;
};
const newReceiver = (): Receiver => new RTCRtpReceiver({ sendRtcp: async () => undefined } as never, 'video', 0) as unknown as Receiver;

test('the patch is in place: the getters, runRtcp and StreamStatistics.add are not werift’s own', () => {
  const proto = RTCRtpReceiver.prototype as unknown as Record<string, unknown>;
  assert.notEqual(Object.getOwnPropertyDescriptor(proto, 'nackEnabled')!.get, weriftOriginals.receiverGetters.nackEnabled!.get);
  assert.notEqual(Object.getOwnPropertyDescriptor(proto, 'twccEnabled')!.get, weriftOriginals.receiverGetters.twccEnabled!.get);
  assert.notEqual(proto.runRtcp, weriftOriginals.runRtcp);
  assert.notEqual((weriftOriginals.statisticsProto as Record<string, unknown>).add, weriftOriginals.addStatistics);
});

test('nackEnabled and twccEnabled give what werift’s sorted codecArray[0] gives, for random codec sets', () => {
  const random = prng(19);
  const feedbackTypes = ['nack', 'transport-cc', 'goog-remb', 'ccm'];
  for (let round = 0; round < 300; round++) {
    const receiver = newReceiver();
    const count = Math.floor(random() * 5);
    for (let i = 0; i < count; i++) {
      const key = 96 + Math.floor(random() * 32);
      // The payload type usually matches the key; sometimes not, as nothing in werift forces it.
      const payloadType = random() < 0.8 ? key : 96 + Math.floor(random() * 32);
      const rtcpFeedback = feedbackTypes.filter(() => random() < 0.5).map((type) => ({ type, id: round }));
      receiver.codecs[key] = { payloadType, clockRate: 90000, name: 'VP8', rtcpFeedback };
    }
    const patched = [receiver.nackEnabled, receiver.twccEnabled];
    const original = [weriftOriginals.receiverGetters.nackEnabled!.get!.call(receiver), weriftOriginals.receiverGetters.twccEnabled!.get!.call(receiver)];
    assert.deepEqual(patched, original, `codecs ${JSON.stringify(receiver.codecs)}`);
    assert.equal(patched[0], original[0], 'the same feedback object, not a copy');
    receiver.stop();
  }
});

test('StreamStatistics.add keeps werift’s counts, cycles and jitter on random in-order, lost, reordered and duplicate packets', () => {
  const random = prng(7);
  const proto = weriftOriginals.statisticsProto as { constructor: new (clockRate: number) => Record<string, unknown> };
  for (let round = 0; round < 50; round++) {
    const clockRate = round % 2 === 0 ? 90000 : 48000;
    const patched = new proto.constructor(clockRate) as Record<string, unknown> & { add(p: unknown, now?: number): void };
    const original = new proto.constructor(clockRate);
    const originalAdd = weriftOriginals.addStatistics as (this: unknown, p: unknown, now?: number) => void;
    let seq = Math.floor(random() * 65536);
    let timestamp = Math.floor(random() * 2 ** 32);
    let now = 1_700_000_000 + random() * 1000;
    for (let i = 0; i < 400; i++) {
      const r = random();
      seq = (seq + (r < 0.8 ? 1 : r < 0.9 ? 2 + Math.floor(random() * 5) : r < 0.97 ? -Math.floor(random() * 4) : 30000)) & 0xffff;
      if (random() < 0.3) timestamp = (timestamp + 3000) % 2 ** 32;
      now += random() * 0.02;
      const header = new RtpHeader({ sequenceNumber: seq, timestamp, payloadType: 96, ssrc: 1 });
      const packet = new RtpPacket(header, Buffer.alloc(Math.floor(random() * 1200)));
      patched.add(packet, now);
      originalAdd.call(original, packet, now);
    }
    const { lastPacketReceivedTimestamp: a, ...patchedFields } = patched;
    const { lastPacketReceivedTimestamp: b, ...originalFields } = original;
    assert.deepEqual(patchedFields, originalFields);
    assert.ok(Math.abs((a as number) - (b as number)) < 1000, `the stats timestamps are both the wall clock in ms (${a}, ${b})`);
    assert.ok(Math.abs((a as number) - Date.now()) < 5000);
  }
});

test('int() is Number.parseInt(n, 10) for every kind of number', () => {
  const random = prng(3);
  const values = [0, -0, 1, -1, 0.5, -0.5, 1e-6, 1e-7, -1e-7, 9.99e20, 1e21, -1e21, 1.5e25, Number.MAX_SAFE_INTEGER + 0.5, NaN, Infinity, -Infinity, 1_700_000_000.123 * 90000];
  for (let i = 0; i < 2000; i++) values.push((random() - 0.5) * 10 ** Math.floor(random() * 30 - 8));
  for (const n of values) assert.ok(Object.is(int(n), Number.parseInt(n as unknown as string, 10)), `int(${n})`);
});

test('handleRTP delivers every packet to the track and starts one RTCP report loop, not a promise per packet', async () => {
  const receiver = newReceiver();
  receiver.codecs[96] = { payloadType: 96, clockRate: 90000, name: 'VP8', rtcpFeedback: [{ type: 'nack' }], parameters: undefined };
  const track = new MediaStreamTrack({ kind: 'video', remote: true });
  const seen: number[] = [];
  track.onReceiveRtp.subscribe((packet: RtpPacket) => seen.push(packet.header.sequenceNumber));
  const calls: Promise<void>[] = [];
  const runRtcp = receiver.runRtcp.bind(receiver);
  receiver.runRtcp = () => {
    const p = runRtcp();
    calls.push(p);
    return p;
  };
  try {
    for (let seq = 1; seq <= 50; seq++) receiver.handleRTP(new RtpPacket(new RtpHeader({ sequenceNumber: seq, timestamp: seq * 3000, payloadType: 96, ssrc: 5 }), Buffer.alloc(100)), {}, track);
    assert.deepEqual(seen, Array.from({ length: 50 }, (_, i) => i + 1));
    assert.equal(receiver.rtcpRunning, true, 'the report loop runs');
    assert.equal(calls.length, 50);
    assert.equal(new Set(calls.slice(1)).size, 1, 'every call after the first returned one settled promise');
    assert.notEqual(calls[0], calls[1], 'the first call is the loop itself');
    assert.equal(receiver.remoteStreams[5]!.packets_received, 50);
  } finally {
    receiver.stop();
  }
  await calls[0];
});
