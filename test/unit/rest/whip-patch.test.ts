// WHIP PATCH (RFC 9725 §4.3) and the methods §4.2 reserves, against the real WebRtcIngest (werift answering
// aiortc 1.4's captured offer; no peer behind it, so nothing connects) through the app without a port.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src-main/rest/app.js';
import { WebRtcIngest } from '../../../src-relay/webrtc/ingest.js';
import { fakeWorld, type FakeWorld } from './fakes.js';

const CAPTURED = readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'sdp', 'aiortc-1.4-offer.sdp'), 'utf8');
/** As a trickling client sends it: its candidates so far, no end-of-candidates. */
const OFFER = CAPTURED.replaceAll('a=end-of-candidates\r\n', '');
const SDPFRAG = { 'content-type': 'application/trickle-ice-sdpfrag' };
/** The offer's tag (video, mid 0) and audio credentials. */
const VIDEO = { ufrag: 'va11', pwd: 'T4Ye5GCx0I58W3jODuHggw' };
const AUDIO = { ufrag: 'J2kz', pwd: 'QxYW4NzPlzcygMP4XjWkBW' };

function fragment(creds: { ufrag: string; pwd: string }, mid: string, candidates: string[], end = true): string {
  return [`a=ice-ufrag:${creds.ufrag}`, `a=ice-pwd:${creds.pwd}`, 'm=video 9 UDP/TLS/RTP/SAVPF 0', `a=mid:${mid}`, ...candidates.map((c) => `a=${c}`), ...(end ? ['a=end-of-candidates'] : []), ''].join('\r\n');
}

describe('WHIP PATCH: trickle ICE on a session, ICE restart refused, reserved methods', { timeout: 30_000 }, () => {
  let world: FakeWorld;
  let ingest: WebRtcIngest;
  let app: FastifyInstance;
  let location: string;
  let etag: string;

  before(async () => {
    world = fakeWorld();
    ingest = new WebRtcIngest(world.registry);
    app = await buildApp({ ...world.deps, ingest }, { bodyLimit: 65536 });
    const res = await app.inject({ method: 'POST', url: '/whip/cam', headers: { 'content-type': 'application/sdp' }, payload: OFFER });
    assert.equal(res.statusCode, 201, res.body);
    location = String(res.headers.location);
    etag = String(res.headers.etag);
    assert.match(etag, /^"[0-9a-f-]{36}"$/, 'a strong entity-tag for the ICE session');
    assert.equal(res.headers['accept-patch'], 'application/trickle-ice-sdpfrag');
  });

  after(async () => {
    await app.close();
    await ingest.closeAll();
    world.cleanup();
  });

  const patch = (headers: Record<string, string>, payload: string, url = location) => app.inject({ method: 'PATCH', url, headers, payload });

  test('new candidates for the session, with its ETag or "*": 204, no body, no ETag', async () => {
    const candidates = ['candidate:1 1 udp 2122260223 192.0.2.77 61764 typ host', 'candidate:2 1 tcp 1518280447 192.0.2.77 9 typ host tcptype active'];
    for (const ifMatch of [etag, '*']) {
      const res = await patch({ ...SDPFRAG, 'if-match': ifMatch }, fragment(VIDEO, '0', candidates));
      assert.equal(res.statusCode, 204, res.body);
      assert.equal(res.body, '');
      assert.equal(res.headers.etag, undefined);
    }
    const pc = ingest['sessions'].get(location.split('/').pop()!)!.pc;
    const remote = pc.getTransceivers()[0]!.dtlsTransport.iceTransport.connection.remoteCandidates.map((c) => `${c.host}:${c.port}`);
    assert.ok(remote.includes('192.0.2.77:61764'), `the ICE agent has the trickled candidate: ${remote.join(', ')}`);
  });

  test("the audio section's candidates, under its own offered credentials or the tag's, name the transport BUNDLE retired: accepted, not used", async () => {
    for (const [creds, host] of [[AUDIO, '192.0.2.88'], [VIDEO, '192.0.2.89']] as const) {
      const res = await patch({ ...SDPFRAG, 'if-match': etag }, fragment(creds, '1', [`candidate:3 1 udp 2122260223 ${host} 5000 typ host`], false));
      assert.equal(res.statusCode, 204, res.body);
      const pc = ingest['sessions'].get(location.split('/').pop()!)!.pc;
      const remote = pc.getTransceivers()[0]!.dtlsTransport.iceTransport.connection.remoteCandidates.map((c) => c.host);
      assert.ok(!remote.includes(host), `${host} not used`);
    }
  });

  test('new credentials are an ICE restart: 422, and the session goes on', async () => {
    const restart = await patch({ ...SDPFRAG, 'if-match': '*' }, 'a=ice-ufrag:ysXw\r\na=ice-pwd:vw5LmwG4y/e6dPP/zAP9Gp5k\r\n');
    assert.equal(restart.statusCode, 422);
    assert.match(restart.json().error, /ICE restart is not supported/);
    const inSection = await patch({ ...SDPFRAG, 'if-match': '*' }, fragment({ ufrag: 'ysXw', pwd: 'vw5LmwG4y/e6dPP/zAP9Gp5k' }, '0', ['candidate:1 1 udp 1 192.0.2.1 1 typ host']));
    assert.equal(inSection.statusCode, 422);
    assert.ok(world.registry.get('cam'), 'still published');
    assert.equal((await patch({ ...SDPFRAG, 'if-match': etag }, fragment(VIDEO, '0', []))).statusCode, 204, 'and still takes trickle');
  });

  test('If-Match missing → 428, another ICE session → 412; wrong type → 415; malformed → 400; unknown mid → 400; unknown session → 404', async () => {
    const good = fragment(VIDEO, '0', ['candidate:1 1 udp 1 192.0.2.1 1 typ host']);
    const missing = await patch(SDPFRAG, good);
    assert.equal(missing.statusCode, 428);
    assert.match(missing.json().error, /If-Match/);
    assert.equal((await patch({ ...SDPFRAG, 'if-match': '"another"' }, good)).statusCode, 412);
    assert.equal((await patch({ ...SDPFRAG, 'if-match': `W/${etag}` }, good)).statusCode, 412, 'a weak tag never matches (RFC 9110 §13.1.1)');
    assert.equal((await patch({ ...SDPFRAG, 'if-match': `"another", ${etag}` }, good)).statusCode, 204, 'one of a list');
    assert.equal((await patch({ 'content-type': 'application/sdp', 'if-match': etag }, good)).statusCode, 415);
    assert.equal((await patch({ 'content-type': 'application/json', 'if-match': etag }, '{}')).statusCode, 415);
    const malformed = await patch({ ...SDPFRAG, 'if-match': etag }, 'm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:nonsense\r\n');
    assert.equal(malformed.statusCode, 400);
    assert.match(malformed.json().error, /is not a candidate/);
    const noMid = await patch({ ...SDPFRAG, 'if-match': etag }, fragment(VIDEO, '7', []));
    assert.equal(noMid.statusCode, 400);
    assert.match(noMid.json().error, /mid "7"/);
    assert.equal((await patch({ ...SDPFRAG, 'if-match': etag }, good, '/whip/cam/00000000-0000-0000-0000-000000000000')).statusCode, 404);
    assert.equal((await patch({ ...SDPFRAG, 'if-match': etag }, good, location.replace('/cam/', '/other/'))).statusCode, 404);
  });

  test('methods RFC 9725 §4.2 reserves are 405 with Allow', async () => {
    for (const [method, url, allow] of [
      ['GET', '/whip/cam', 'OPTIONS, POST'],
      ['PUT', '/whip/cam', 'OPTIONS, POST'],
      ['PATCH', '/whip/cam', 'OPTIONS, POST'],
      ['DELETE', '/whip/cam', 'OPTIONS, POST'],
      ['GET', location, 'PATCH, DELETE'],
      ['POST', location, 'PATCH, DELETE'],
      ['PUT', location, 'PATCH, DELETE'],
    ] as const) {
      const res = await app.inject({ method, url });
      assert.equal(res.statusCode, 405, `${method} ${url}`);
      assert.equal(res.headers.allow, allow);
      assert.match(res.json().error, /RFC 9725/);
    }
  });

  test('after the offer said end-of-candidates, trickled candidates are accepted (204) and not used', async () => {
    const res = await app.inject({ method: 'POST', url: '/whip/complete', headers: { 'content-type': 'application/sdp' }, payload: CAPTURED });
    assert.equal(res.statusCode, 201);
    const late = await patch({ ...SDPFRAG, 'if-match': String(res.headers.etag) }, fragment(VIDEO, '0', ['candidate:9 1 udp 2122260223 192.0.2.99 7000 typ host']), String(res.headers.location));
    assert.equal(late.statusCode, 204);
    const pc = ingest['sessions'].get(String(res.headers.location).split('/').pop()!)!.pc;
    assert.ok(!pc.getTransceivers()[0]!.dtlsTransport.iceTransport.connection.remoteCandidates.some((c) => c.host === '192.0.2.99'));
  });

  test('DELETE ends the session; a PATCH afterwards is 404', async () => {
    assert.equal((await app.inject({ method: 'DELETE', url: location })).statusCode, 200);
    assert.equal(world.registry.get('cam'), undefined);
    assert.equal((await patch({ ...SDPFRAG, 'if-match': etag }, fragment(VIDEO, '0', []))).statusCode, 404);
  });
});
