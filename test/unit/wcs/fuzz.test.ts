// A seeded sample of the WCS frame fuzzing `npm run soak -- fuzz` runs at 10^5 cases (soak/fuzz-cases.ts):
// parseClientFrame never throws and answers every malformed frame with a fail frame a person can read; the
// same kind of frames over a real socket to a session on fakes leave it answering, and its streams end with it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { parseClientFrame } from '../../../src-main/wcs/protocol.js';
import { startWcsServers, type WcsServers } from '../../../src-main/wcs/server.js';
import { caseRandom, checkClientRequest, isSentence, runCases, wcsCorpus, wcsFrameText } from '../../../soak/fuzz-cases.js';
import { freePort } from '../../helpers/servers.js';
import { waitFor } from '../../helpers/wait.js';
import { fakeWorld, type FakeWorld } from '../rest/fakes.js';

const SEED = 0x50a4;
const OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\n';

describe('WCS frames, fuzzed', () => {
  test('3,000 seeded frames: no throw, a known kind each, every malformed frame a fail frame with a sentence', () => {
    const report = runCases('wcs', SEED, 0, 3000, () => undefined);
    assert.deepEqual(report.crashes, []);
    assert.equal(report.accepted + report.rejected, 3000);
    assert.ok(report.accepted > 300 && report.rejected > 300, `both kinds of outcome: ${report.accepted} / ${report.rejected}`);
    assert.ok(report.maxCaseMs < 1000, `slowest case ${report.maxCaseMs.toFixed(0)} ms`);
  });

  test('found by the fuzzer: a message name with control characters is shown with "?" in the info', () => {
    // {"message":"\u0000","data":4367...} and {"message":"\n\r","data":false}
    for (const text of ['{"message":"\\u0000","data":436718584071240}', '{"message":"\\n\\r","data":false}']) {
      const r = parseClientFrame(text);
      assert.equal(r.kind, 'malformed');
      const info = (r.kind === 'malformed' && (r.reply.data[0] as { info: string }).info) as string;
      assert.ok(isSentence(info), info);
      assert.match(info, /^"data" of \?+ must be an array$/);
      assert.equal(r.kind === 'malformed' && (r.reply.data[0] as { apiMethod: string }).apiMethod, JSON.parse(text).message, 'apiMethod stays the name sent');
    }
    const unsupported = parseClientFrame('{"message":"a\\tb","data":[{}]}');
    assert.equal(unsupported.kind, 'unsupported');
    assert.match(String(unsupported.kind === 'unsupported' && (unsupported.reply.data[0] as { info: string }).info), /"a\?b" is not supported/);
    checkClientRequest(unsupported);
  });
});

describe('WCS frames, fuzzed over a socket', () => {
  let world: FakeWorld;
  let servers: WcsServers;

  before(async () => {
    world = fakeWorld();
    servers = await startWcsServers(world.deps, { bind: '127.0.0.1', wsPort: await freePort(), wssPort: 0 });
  });

  after(async () => {
    await servers?.close();
    world?.cleanup();
  });

  test('200 seeded frames: the session answers a ping after them, with no internal error, and its streams end on close', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${servers.wsPort}`, { handshakeTimeout: 5000 });
    const frames: { message: string; data: unknown[] }[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as (typeof frames)[number]));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const corpus = wcsCorpus(OFFER);
    const transpondersBefore = world.transponders.list().length;
    ws.send(JSON.stringify(corpus[0]));
    for (let i = 0; i < 200; i++) ws.send(wcsFrameText(i, caseRandom(SEED + 17, i), corpus));
    ws.send(JSON.stringify({ message: 'ping', data: [null] }));
    await waitFor('a pong after the fuzzed frames', () => frames.some((f) => f.message === 'pong'), 5000);
    assert.equal(ws.readyState, WebSocket.OPEN);
    assert.ok(frames.some((f) => f.message === 'getUserData'), 'the session was established');
    const fails = frames.filter((f) => f.message === 'fail').map((f) => (f.data[0] as { info: string }).info);
    assert.ok(fails.length > 10, `fail frames answered: ${fails.length}`);
    assert.ok(frames.some((f) => f.message === 'setRemoteSDP'), 'some fuzzed publishes were answered, so there are streams to end');
    for (const info of fails) {
      assert.ok(isSentence(info), info);
      assert.doesNotMatch(info, /internal error/);
    }
    const closed = new Promise((resolve) => ws.once('close', resolve));
    ws.close(1000);
    await closed;
    await waitFor('every stream the session published ends with it', () => world.registry.list().length === 0, 3000);
    assert.equal(world.transponders.list().length, transpondersBefore);
  });

  test('found by the fuzzer: a frame over the size limit right behind frames still being answered closes with 1009, not without a close frame', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const ws = new WebSocket(`ws://127.0.0.1:${servers.wsPort}`, { handshakeTimeout: 5000 });
      ws.on('error', () => undefined);
      await new Promise((resolve) => ws.once('open', resolve));
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      for (let i = 0; i < 200; i++) ws.send('{"message": "publishStream", ');
      ws.send(JSON.stringify({ message: 'pushLogs', data: ['x'.repeat(600 * 1024)] }));
      assert.equal(await closed, 1009, `attempt ${attempt}: closed as too big, with the code`);
    }
  });
});
