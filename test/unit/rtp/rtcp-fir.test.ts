import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RtcpPayloadSpecificFeedback } from 'werift';
import { FIR_FMT, FIR_LENGTH_WORDS, serializeFirBody } from '../../../src-relay/rtp/rtcp-fir.js';

test('a FIR body carries the sender, media source 0, and one FCI entry (RFC 5104 §4.3.1)', () => {
  const body = serializeFirBody(0x11223344, 0xaabbccdd, 7);
  assert.deepEqual(body, Buffer.from('11223344' + '00000000' + 'aabbccdd' + '07000000', 'hex'));
  assert.throws(() => serializeFirBody(1, 2, 256), /FIR sequence number must be an integer 0–255, got 256/);
});

test('wrapped by werift, the packet is PT 206 FMT 4 with the right length, and werift parses it back', () => {
  const body = serializeFirBody(1, 2, 3);
  const feedback = { count: FIR_FMT, senderSsrc: 1, mediaSsrc: 0, fir: [{ ssrc: 2, sequenceNumber: 3 }], length: FIR_LENGTH_WORDS, serialize: () => body };
  const packet = new RtcpPayloadSpecificFeedback({ feedback }).serialize();
  assert.equal(packet[0], 0x80 | FIR_FMT); // V=2, P=0, FMT=4
  assert.equal(packet[1], 206);
  assert.equal(packet.readUInt16BE(2), FIR_LENGTH_WORDS);
  assert.equal(packet.length, (FIR_LENGTH_WORDS + 1) * 4);
  assert.deepEqual(packet.subarray(4), body);
});
