import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  ClientHandshake,
  DIGEST_SIZE,
  HANDSHAKE_SIZE,
  PLAYER_KEY,
  PLAYER_KEY_OPEN,
  SERVER_KEY,
  digestOffset,
  findDigest,
  makeC0C1,
  makeDigestC0C1,
  makeDigestResponse,
  makeS0S1S2,
  makeServerAnswer,
  verifyDigestResponse,
} from '../../../src-relay/rtmp/handshake.js';
import { RtmpProtocolError } from '../../../src-relay/rtmp/errors.js';

/** What `ffmpeg -f flv rtmp://…` (5.1, Debian) sent as C0+C1: its random bytes come from a fixed seed. */
const FFMPEG_C0C1 = readFileSync(new URL('../../fixtures/rtmp/ffmpeg-publish.c0c1.bin', import.meta.url));

/** Feeds a byte stream to the client in pieces; returns C2 and what followed S2. */
function run(client: ClientHandshake, stream: Buffer, piece = 700): { c2?: Buffer; rest?: Buffer } {
  let c2: Buffer | undefined;
  let rest: Buffer | undefined;
  for (let i = 0; i < stream.length; i += piece) {
    const step = client.push(stream.subarray(i, i + piece));
    c2 ??= step.send;
    rest ??= step.rest;
  }
  return { c2, rest };
}

test('the keys are the Flash Player (62 bytes) and Flash Media Server (68 bytes) keys, open parts 30 and 36 bytes', () => {
  assert.equal(PLAYER_KEY.length, 62);
  assert.equal(SERVER_KEY.length, 68);
  assert.equal(PLAYER_KEY_OPEN.toString('latin1'), 'Genuine Adobe Flash Player 001');
  assert.equal(PLAYER_KEY.subarray(30, 34).toString('hex'), 'f0eec24a');
  assert.equal(SERVER_KEY.subarray(64).toString('hex'), 'cfeb31ae');
});

test('digest position: the four offset bytes summed, mod 728, plus base + 4 (scheme 0 at 8, scheme 1 at 772)', () => {
  const packet = Buffer.alloc(HANDSHAKE_SIZE);
  packet.set([0xff, 0xff, 0xff, 0xff], 8); // 1020 % 728 = 292
  assert.equal(digestOffset(packet, 8), 292 + 12);
  packet.set([1, 2, 3, 4], 772);
  assert.equal(digestOffset(packet, 772), 10 + 776);
});

test("ffmpeg's own C1 carries a digest our code finds where ffmpeg put it, and ours is byte for byte the same", () => {
  assert.equal(FFMPEG_C0C1.length, 1 + HANDSHAKE_SIZE);
  assert.equal(FFMPEG_C0C1[0], 3);
  assert.deepEqual([...FFMPEG_C0C1.subarray(5, 9)], [9, 0, 124, 2], 'ffmpeg announces Flash Player 9.0.124.2');
  const c1 = FFMPEG_C0C1.subarray(1);
  const offset = digestOffset(c1, 8);
  assert.equal(findDigest(c1, PLAYER_KEY_OPEN), offset);
  // The same time and random bytes through our builder give ffmpeg's packet, digest included.
  const random = Buffer.from(c1.subarray(8));
  random.fill(0, offset - 8, offset - 8 + DIGEST_SIZE);
  const ours = makeDigestC0C1(c1.readUInt32BE(0), random);
  assert.equal(ours.digestOffset, offset);
  assert.deepEqual(ours.c0c1, FFMPEG_C0C1);
});

test('the digest is HMAC-SHA256 of the other 1504 bytes keyed with "Genuine Adobe Flash Player 001"', () => {
  const { c0c1, digestOffset: offset } = makeDigestC0C1(7);
  const c1 = c0c1.subarray(1);
  const expected = createHmac('sha256', 'Genuine Adobe Flash Player 001')
    .update(Buffer.concat([c1.subarray(0, offset), c1.subarray(offset + 32)]))
    .digest();
  assert.deepEqual(c1.subarray(offset, offset + 32), expected);
  assert.ok(offset >= 12 && offset + 32 <= 772, `scheme-0 digest inside the first half, got ${offset}`);
  c1[offset] ^= 1;
  assert.equal(findDigest(c1, PLAYER_KEY_OPEN), undefined, 'a flipped bit is not a digest');
});

test('a digest server (signed S1) gets C2 signed from its digest, and its S2 signed from ours is recognised', () => {
  const client = new ClientHandshake('digest');
  const c1 = client.c0c1.subarray(1);
  const server = makeServerAnswer(c1, 99);
  assert.deepEqual([...server.subarray(5, 9)], [13, 14, 10, 13]);
  const after = Buffer.from([0x02, 0xaa]);
  const { c2, rest } = run(client, Buffer.concat([server, after]));
  assert.ok(client.done && c2);
  const s1 = server.subarray(1, 1 + HANDSHAKE_SIZE);
  const s1DigestAt = digestOffset(s1, 8);
  assert.ok(verifyDigestResponse(c2, s1.subarray(s1DigestAt, s1DigestAt + 32), PLAYER_KEY), 'C2 signed with HMAC(S1 digest, full player key)');
  assert.notDeepEqual(c2.subarray(8), s1.subarray(8), 'C2 is not an echo of S1');
  assert.deepEqual(client.outcome, { form: 'digest', serverDigest: true, serverSignedC1: true });
  assert.deepEqual(rest, after);
});

test('a simple server (S1 with a zero version, S2 echoing C1) gets S1 echoed as C2', () => {
  const client = new ClientHandshake('digest');
  const server = makeS0S1S2(client.c0c1.subarray(1), 77);
  const { c2 } = run(client, server);
  assert.ok(c2);
  assert.deepEqual(c2.subarray(8), server.subarray(9, 1 + HANDSHAKE_SIZE));
  assert.deepEqual(client.outcome, { form: 'digest', serverDigest: false, serverSignedC1: false });
});

test("a server that echoes our C1 as S1 (nginx-rtmp's old-style answer) gets it echoed back, not signed", () => {
  const client = new ClientHandshake('digest');
  const c1 = client.c0c1.subarray(1);
  const { c2 } = run(client, Buffer.concat([Buffer.from([3]), c1, c1]));
  assert.ok(c2);
  assert.deepEqual(c2.subarray(8), c1.subarray(8));
  assert.equal(client.outcome.serverDigest, false);
});

test('an S1 whose digest does not verify is answered as a simple server, as ffmpeg continues', () => {
  const client = new ClientHandshake('digest');
  const server = makeServerAnswer(client.c0c1.subarray(1));
  const s1 = server.subarray(1, 1 + HANDSHAKE_SIZE);
  const at = digestOffset(s1, 8);
  s1[at + 5] ^= 0x40;
  const { c2 } = run(client, server);
  assert.ok(client.done && c2);
  assert.deepEqual(c2.subarray(8), s1.subarray(8));
  assert.equal(client.outcome.serverDigest, false);
});

test('the simple form: C1 with a zero version, C2 = S1 echoed (§5.2.2–5.2.4)', () => {
  const c0c1 = makeC0C1(0x01020304);
  assert.equal(c0c1.length, 1 + HANDSHAKE_SIZE);
  assert.equal(c0c1[0], 3);
  assert.equal(c0c1.readUInt32BE(1), 0x01020304);
  assert.equal(c0c1.readUInt32BE(5), 0);
  assert.notDeepEqual(c0c1.subarray(9), makeC0C1(0x01020304).subarray(9), 'random bytes repeat');
  const client = new ClientHandshake('simple');
  assert.equal(client.c0c1.readUInt32BE(5), 0);
  const server = makeServerAnswer(client.c0c1.subarray(1));
  const { c2 } = run(client, server, 1);
  assert.ok(c2);
  assert.deepEqual(c2.subarray(8), server.subarray(9, 1 + HANDSHAKE_SIZE), 'a simple C1 gets the simple form back');
  assert.deepEqual(client.outcome, { form: 'simple', serverDigest: false, serverSignedC1: false });
});

test('a digest response verifies only with the digest and key it was made from', () => {
  const digest = Buffer.alloc(32, 7);
  const response = makeDigestResponse(digest, SERVER_KEY);
  assert.ok(verifyDigestResponse(response, digest, SERVER_KEY));
  assert.ok(!verifyDigestResponse(response, Buffer.alloc(32, 8), SERVER_KEY));
  assert.ok(!verifyDigestResponse(response, digest, PLAYER_KEY));
});

test('a server that does not answer version 3 is refused at its first byte', () => {
  const client = new ClientHandshake();
  assert.throws(() => client.push(Buffer.from('HTTP/1.1 400')), (e: unknown) => e instanceof RtmpProtocolError && /version 72 \(0x48\), expected 3/.test(e.message));
});
