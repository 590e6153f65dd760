import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientHandshake, HANDSHAKE_SIZE, makeC0C1, makeS0S1S2 } from '../../../src-relay/rtmp/handshake.js';
import { RtmpProtocolError } from '../../../src-relay/rtmp/errors.js';

test('C0+C1: version 3, time, four zero bytes (simple handshake), 1528 random bytes (§5.2.2–5.2.3)', () => {
  const c0c1 = makeC0C1(0x01020304);
  assert.equal(c0c1.length, 1 + HANDSHAKE_SIZE);
  assert.equal(c0c1[0], 3);
  assert.equal(c0c1.readUInt32BE(1), 0x01020304);
  assert.equal(c0c1.readUInt32BE(5), 0);
  assert.notDeepEqual(c0c1.subarray(9), makeC0C1(0x01020304).subarray(9), 'random bytes repeat');
});

test('the client answers S1 with C2 = S1 echoed, and hands over the bytes after S2, however they are split', () => {
  const client = new ClientHandshake();
  const c1 = client.c0c1.subarray(1);
  const server = makeS0S1S2(c1, 77);
  assert.equal(server.length, 1 + 2 * HANDSHAKE_SIZE);
  assert.deepEqual(server.subarray(1 + HANDSHAKE_SIZE + 8), c1.subarray(8), 'S2 echoes C1 random bytes');
  const after = Buffer.from([0x02, 0xaa]);
  const stream = Buffer.concat([server, after]);
  let c2: Buffer | undefined;
  let rest: Buffer | undefined;
  for (let i = 0; i < stream.length; i += 700) {
    const step = client.push(stream.subarray(i, i + 700));
    c2 ??= step.send;
    rest ??= step.rest;
  }
  assert.ok(client.done);
  assert.ok(c2);
  assert.equal(c2.length, HANDSHAKE_SIZE);
  assert.deepEqual(c2.subarray(8), server.subarray(9, 1 + HANDSHAKE_SIZE), 'C2 echoes S1 random bytes');
  assert.deepEqual(rest, after);
});

test('a server that does not answer version 3 is refused at its first byte', () => {
  const client = new ClientHandshake();
  assert.throws(() => client.push(Buffer.from('HTTP/1.1 400')), (e: unknown) => e instanceof RtmpProtocolError && /version 72 \(0x48\), expected 3/.test(e.message));
});
