import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ReorderBuffer, seqDistance, type ReorderOutput } from '../../../src-relay/rtp/reorder.js';

interface Pkt {
  sequenceNumber: number;
}

function feed(buffer: ReorderBuffer<Pkt>, seqs: number[], now = 0): string[] {
  return seqs.flatMap((s) => describeOut(buffer.processInput({ packet: { sequenceNumber: s }, now })));
}

function describeOut(out: ReorderOutput<Pkt>[]): string[] {
  return out.map((o) => (o.kind === 'packet' ? String(o.packet.sequenceNumber) : `lost${o.count}`));
}

describe('RTP reorder buffer', () => {
  test('in-order packets pass straight through', () => {
    assert.deepEqual(feed(new ReorderBuffer(), [5, 6, 7]), ['5', '6', '7']);
  });

  test('a swapped pair is put back in order', () => {
    const b = new ReorderBuffer<Pkt>();
    assert.deepEqual(feed(b, [1, 3, 2, 4]), ['1', '2', '3', '4']);
    assert.equal(b.toJSON().reordered, 1);
  });

  test('sequence numbers wrap at 65535', () => {
    assert.deepEqual(feed(new ReorderBuffer(), [65534, 0, 65535, 1]), ['65534', '65535', '0', '1']);
    assert.equal(seqDistance(65535, 0), 1);
    assert.equal(seqDistance(0, 65535), -1);
  });

  test('duplicates and packets behind the window are dropped', () => {
    const b = new ReorderBuffer<Pkt>();
    assert.deepEqual(feed(b, [1, 2, 2, 4, 4, 1, 3]), ['1', '2', '3', '4']);
    assert.deepEqual(b.toJSON(), { received: 7, released: 4, reordered: 1, duplicates: 1, late: 2, lost: 0, resets: 0, buffered: 0 });
  });

  test('a gap is declared lost after maxDelayMs, by the next packet or by flush()', () => {
    const b = new ReorderBuffer<Pkt>({ maxDelayMs: 50 });
    assert.deepEqual(describeOut(b.processInput({ packet: { sequenceNumber: 10 }, now: 0 })), ['10']);
    assert.deepEqual(describeOut(b.processInput({ packet: { sequenceNumber: 13 }, now: 10 })), []);
    assert.deepEqual(describeOut(b.flush(40)), []);
    assert.deepEqual(describeOut(b.flush(60)), ['lost2', '13']);
    assert.deepEqual(describeOut(b.processInput({ packet: { sequenceNumber: 11 }, now: 70 })), []); // too late now
    assert.equal(b.toJSON().lost, 2);
  });

  test('a gap wider than the window is given up at once', () => {
    const b = new ReorderBuffer<Pkt>({ maxPackets: 4 });
    assert.deepEqual(feed(b, [1, 7]), ['1', 'lost5', '7']);
  });

  test('a packet maxPackets past a gap gives the gap up without waiting', () => {
    const b = new ReorderBuffer<Pkt>({ maxPackets: 4, maxDelayMs: 1e9 });
    assert.deepEqual(feed(b, [1, 3, 4, 5]), ['1']);
    assert.deepEqual(feed(b, [6]), ['lost1', '3', '4', '5', '6']);
  });

  test('a jump beyond maxDropout restarts the sequence instead of counting loss', () => {
    const b = new ReorderBuffer<Pkt>();
    assert.deepEqual(feed(b, [100, 101, 30000, 30001]), ['100', '101', '30000', '30001']);
    assert.equal(b.toJSON().resets, 1);
    assert.equal(b.toJSON().lost, 0);
  });

  test('rejects a window that cannot work', () => {
    assert.throws(() => new ReorderBuffer({ maxPackets: 0 }), /maxPackets must be an integer 1–16384, got 0/);
  });
});
