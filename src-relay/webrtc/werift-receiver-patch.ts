// werift's RTCRtpReceiver bookkeeping per RTP packet (packages/webrtc/src/media/rtpReceiver.ts handleRTP,
// receiver/statistics.ts StreamStatistics.add), with its per-packet allocations and string round trips out:
//
//   get nackEnabled / twccEnabled   werift sorts Object.values(this.codecs) (`codecArray`) to take the codec
//                                   with the lowest payload type, per packet; here one scan, no sort
//   runRtcp                         handleRTP calls this async method per packet, which makes a promise even
//                                   when the report loop already runs; here it returns at once then
//   StreamStatistics.add            `int(x)` is Number.parseInt(x, 10) (a number → string → number round
//                                   trip) and the stats timestamp reads performance.timeOrigin per packet;
//                                   here Math.trunc where that gives the same integer, the origin read once
//
// Each gives werift's results exactly (test/unit/webrtc/werift-receiver-patch.test.ts runs both on the same
// packets). Upstream write-up: docs/werift-upstream.md, "the receive path's per-packet cost" §5.
import { RTCRtpReceiver, useNACK, useTWCC } from 'werift';
import { WeriftPatchError } from './werift-patch-shapes.js';

/** The parts of werift's RTCRtpReceiver the patch reads. */
export interface ReceiverShape {
  codecs: Record<number, { payloadType: number; rtcpFeedback: { type: string }[] }>;
  rtcpRunning: boolean;
  stopped: boolean;
  remoteStreams: Record<number, StatisticsShape>;
}

/** werift's StreamStatistics (not exported by werift; found through a receiver, see findStatisticsClass). */
export interface StatisticsShape {
  base_seq: number | undefined;
  max_seq: number | undefined;
  cycles: number;
  packets_received: number;
  bytesReceived: number;
  headerBytesReceived: number;
  lastPacketReceivedTimestamp: number | undefined;
  clockRate: number;
  jitter_q4: number;
  last_arrival: number | undefined;
  last_timestamp: number | undefined;
}

interface PacketShape {
  header: { sequenceNumber: number; timestamp: number; serializeSize: number };
  payload: Buffer;
}

/**
 * codecArray[0] as werift computes it: the codec with the lowest payload type, the first of equals (its sort
 * is stable), by one scan of Object.values (a for-in over integer keys would make a string per key).
 */
function firstCodec(receiver: ReceiverShape): ReceiverShape['codecs'][number] | undefined {
  const codecs = Object.values(receiver.codecs);
  let first = codecs[0];
  for (let i = 1; i < codecs.length; i++) if (codecs[i]!.payloadType < first!.payloadType) first = codecs[i];
  return first;
}

const NACK = useNACK().type;
const TWCC = useTWCC().type;

export function nackEnabled(this: ReceiverShape): { type: string } | undefined {
  return firstCodec(this)?.rtcpFeedback.find((f) => f.type === NACK);
}

export function twccEnabled(this: ReceiverShape): { type: string } | undefined {
  return firstCodec(this)?.rtcpFeedback.find((f) => f.type === TWCC);
}

const settled = Promise.resolve();

/** Wraps werift's runRtcp: while its loop runs (or after stop) no call makes a promise of its own. */
export function guardRunRtcp(original: (this: ReceiverShape) => Promise<void>): (this: ReceiverShape) => Promise<void> {
  return function runRtcp(this: ReceiverShape): Promise<void> {
    if (this.rtcpRunning || this.stopped) return settled;
    return original.call(this);
  };
}

/**
 * werift's `int`: Number.parseInt(n, 10), which parses the number's string. For |n| in [1e-6, 1e21) that
 * string is plain decimal and the result is Math.trunc(n); outside it (exponent notation), werift's own way.
 */
export function int(n: number): number {
  const abs = Math.abs(n);
  return abs >= 1e-6 && abs < 1e21 ? Math.trunc(n) : Number.parseInt(String(n), 10);
}

/** uint16Gt of werift's common/src/number.ts: a after b in 16-bit sequence space. */
function uint16Gt(a: number, b: number): boolean {
  const halfMod = 0x8000;
  return (a < b && b - a > halfMod) || (a > b && a - b < halfMod);
}

// werift's getStatsTimestamp() is performance.timeOrigin + performance.now(); the origin is fixed for the process.
const timeOrigin = performance.timeOrigin;

/** StreamStatistics.add (RFC 3550 §A.1, §A.8), statement for statement. */
export function addStatistics(this: StatisticsShape, packet: PacketShape, now = Date.now() / 1e3): void {
  const header = packet.header;
  const seq = header.sequenceNumber;
  const inOrder = this.max_seq == undefined || uint16Gt(seq, this.max_seq);
  this.packets_received++;
  this.bytesReceived += packet.payload.length;
  this.headerBytesReceived += header.serializeSize;
  this.lastPacketReceivedTimestamp = timeOrigin + performance.now();
  if (this.base_seq == undefined) this.base_seq = seq;
  if (inOrder) {
    const arrival = int(now * this.clockRate);
    if (this.max_seq != undefined && seq < this.max_seq) this.cycles += 1 << 16;
    this.max_seq = seq;
    if (header.timestamp !== this.last_timestamp && this.packets_received > 1) {
      const diff = Math.abs(arrival - (this.last_arrival ?? 0) - (header.timestamp - (this.last_timestamp ?? 0)));
      this.jitter_q4 += diff - ((this.jitter_q4 + 8) >> 4);
    }
    this.last_arrival = arrival;
    this.last_timestamp = header.timestamp;
  }
}

/**
 * werift's StreamStatistics prototype: handleRTP makes one for a new SSRC, so a receiver with one codec
 * (its report loop marked running, so no timer starts) is given one packet and then stopped.
 */
export function findStatisticsClass(packet: { header: { payloadType: number; ssrc: number }; payload: Buffer }): { prototype: object } {
  const receiver = new RTCRtpReceiver({} as never, 'video', 0) as unknown as Omit<ReceiverShape, 'codecs'> & {
    handleRTP(p: unknown, e: unknown, t: unknown): void;
    stop(): void;
    codecs: Record<number, unknown>;
  };
  receiver.codecs[packet.header.payloadType] = { payloadType: packet.header.payloadType, clockRate: 90000, name: 'VP8', rtcpFeedback: [] };
  receiver.rtcpRunning = true;
  try {
    receiver.handleRTP(packet, {}, undefined);
  } finally {
    receiver.stop();
  }
  const stats = receiver.remoteStreams[packet.header.ssrc];
  if (stats === undefined || typeof (stats as unknown as { add?: unknown }).add !== 'function') {
    throw new WeriftPatchError('RTCRtpReceiver.handleRTP made no StreamStatistics with an add method; werift changed');
  }
  return stats.constructor as unknown as { prototype: object };
}

/**
 * What the patched parts give on fixed inputs, as bytes to compare: nackEnabled/twccEnabled of receivers
 * with codecs in several orders, and a StreamStatistics fed in-order, wrapping, reordered and duplicate
 * packets at fixed arrival times (its fields but the wall-clock timestamp).
 */
export function receiverSelfTestRun(statisticsClass: new (clockRate: number) => object): Buffer[] {
  const codec = (payloadType: number, feedback: string[]) => ({ payloadType, clockRate: 90000, name: 'VP8', rtcpFeedback: feedback.map((type) => ({ type })) });
  const codecSets = [
    [],
    [codec(96, ['nack', TWCC])],
    [codec(102, ['nack']), codec(96, [TWCC]), codec(97, [])],
    [codec(111, []), codec(100, ['nack', 'ccm'])],
  ];
  const results: Buffer[] = [];
  for (const codecs of codecSets) {
    const receiver = new RTCRtpReceiver({} as never, 'video', 0) as unknown as Omit<ReceiverShape, 'codecs'> & {
      codecs: Record<number, unknown>;
      nackEnabled: unknown;
      twccEnabled: unknown;
      stop(): void;
    };
    for (const c of codecs) receiver.codecs[c.payloadType] = c;
    results.push(Buffer.from(JSON.stringify([receiver.nackEnabled ?? null, receiver.twccEnabled ?? null])));
    receiver.stop();
  }
  const stats = new statisticsClass(90000) as StatisticsShape & { add(p: PacketShape, now?: number): void };
  const seqs = [65530, 65531, 65533, 65532, 65535, 0, 0, 2, 1, 40000, 3];
  seqs.forEach((sequenceNumber, i) => {
    const packet = { header: { sequenceNumber, timestamp: 3000 * (i >> 1), serializeSize: 12 + (i % 3) * 8 }, payload: Buffer.alloc(100 + i) };
    stats.add(packet, 1_700_000_000 + i * 0.0133 + (i % 4) * 0.0071);
  });
  const { lastPacketReceivedTimestamp, ...fields } = stats;
  results.push(Buffer.from(JSON.stringify([fields, typeof lastPacketReceivedTimestamp])));
  return results;
}
