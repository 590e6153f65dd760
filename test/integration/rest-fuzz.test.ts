// Fuzzed JSON bodies on every /rest-api/push/* method of the REAL host (createHost: real TransponderManager,
// real transponders to nginx-rtmp, a real published stream). The unit fuzz (test/unit/rest/fuzz.test.ts)
// runs against fakes and only asks "not 500"; here every answer must be one of the statuses openapi.json
// documents for that method, every error body is {"error": "<sentence>"}, every 200 body matches the
// documented schema, and the host keeps serving: its anchor transponder still publishes at the end, and a
// new transponder still reaches PUBLISHING.
//
// The source stream is published from code into host.registry with 20 ms PCM chunks on a timer (as
// rest-wav-fuzz.test.ts does): transponders only need its audio. Seeded: CASTBRIDGE_FUZZ_SEED replays.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { encodeWav } from '../../src-relay/codec/audio/wav.js';
import { silentLog } from '../../src-relay/log.js';
import type { LiveStream } from '../../src-relay/streams.js';
import { createHost, type Host } from '../../src-main/host.js';
import { PUSH_ROUTES } from '../../src-main/rest/schemas.js';
import { freePort, removeDir, startNginxRtmp, PLAIN_HOST, type NginxRtmp } from '../helpers/servers.js';
import { call, push } from '../helpers/http-client.js';
import { waitFor } from '../helpers/wait.js';
import { mulberry32 } from '../helpers/prng.js';

const STREAM = 'fuzz_source';
const SEED = Number(process.env.CASTBRIDGE_FUZZ_SEED ?? 0xf0221);
const REQUESTS_PER_METHOD = 300;
const CHUNK_MS = 20;
/** How often (requests) the fuzz stops to check that the host still answers. */
const HEALTH_EVERY = 200;
type Method = keyof typeof PUSH_ROUTES;
const METHODS = Object.keys(PUSH_ROUTES) as Method[];

const KEYS = ['streamName', 'rtmpUrl', 'options', 'mediaSessionId', 'soundFile', 'loop', 'action', 'audioCodec', 'rtmpTransponderFullUrl', 'rtmpFlashVersion', 'constructor', 'x'];

interface Pools {
  strings: string[];
  /** mediaSessionIds the fuzz created (the anchor's is never in it: terminating it would end the check). */
  ids: string[];
}

function randomValue(r: () => number, pools: Pools, depth: number): unknown {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
  switch (Math.floor(r() * (depth > 2 ? 7 : 9))) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308]);
    case 3:
    case 4:
      return pick(pools.strings);
    case 5:
    case 6:
      return pools.ids.length > 0 && r() < 0.6 ? pick(pools.ids) : pick(pools.strings);
    case 7:
      return Array.from({ length: Math.floor(r() * 3) }, () => randomValue(r, pools, depth + 1));
    default:
      return randomObject(r, pools, depth + 1);
  }
}

function randomObject(r: () => number, pools: Pools, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(r() * 5); i > 0; i--) o[KEYS[Math.floor(r() * KEYS.length)]!] = randomValue(r, pools, depth);
  return o;
}

/** A plausible body for `method` (the fields it needs, sometimes wrong), to get past the schema often. */
function plausibleBody(method: Method, r: () => number, pools: Pools): Record<string, unknown> {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
  const id = pools.ids.length > 0 && r() < 0.8 ? pick(pools.ids) : pick(pools.strings);
  const value = () => (r() < 0.85 ? undefined : randomValue(r, pools, 2));
  switch (method) {
    case 'startup':
      return {
        streamName: r() < 0.8 ? STREAM : pick(pools.strings),
        rtmpUrl: pick(pools.strings.filter((s) => s.startsWith('rtmp')).concat(pools.strings.slice(0, 2))),
        ...(r() < 0.5 ? { options: { audioCodec: pick(['pcmu', 'pcma', 'mp3']), ...(r() < 0.3 ? { action: pick(['mute', 'sound_on', 'loud']), soundFile: pick(['tone.wav', 'gone.wav', '../x']) } : {}) } } : {}),
        ...(r() < 0.2 ? { rtmpTransponderFullUrl: value() ?? r() < 0.5 } : {}),
      };
    case 'find':
      return r() < 0.5 ? { streamName: pick([STREAM, 'rtmp_fuzz_source', 'nope']) } : { mediaSessionId: id };
    case 'find_all':
      return {};
    case 'sound_on':
      return { mediaSessionId: id, soundFile: pick(['tone.wav', 'gone.wav', '../castbridge.properties', '']), loop: value() ?? r() < 0.5 };
    default:
      return { mediaSessionId: value() ?? id };
  }
}

/** Byte-level damage to a JSON text: deletions, insertions of syntax characters, truncation. */
function mutateText(r: () => number, text: string): string {
  const chars = [...text];
  for (let i = 1 + Math.floor(r() * 3); i > 0; i--) {
    const at = Math.floor(r() * (chars.length + 1));
    const kind = r();
    if (kind < 0.3) chars.splice(at, 1);
    else if (kind < 0.6) chars.splice(at, 0, '{"[,:]}\\'[Math.floor(r() * 8)]!);
    else if (kind < 0.8) chars.splice(at);
    else chars.splice(at, 0, String.fromCharCode(Math.floor(r() * 0x80)));
  }
  return chars.join('');
}

describe('fuzzed JSON on every push method of a real host', { timeout: 300_000 }, () => {
  let dataDir: string;
  let host: Host;
  let nginx: NginxRtmp;
  let stream: LiveStream;
  let pump: NodeJS.Timeout | undefined;
  let anchor: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'castbridge-restfuzz-'));
    nginx = await startNginxRtmp();
    host = await createHost({ dataDir, log: silentLog, overrides: PLAIN_HOST });
    mkdirSync(host.mediaDir(), { recursive: true });
    writeFileSync(join(host.mediaDir(), 'tone.wav'), encodeWav(new Int16Array(4800), 48000, 1, 16));
    stream = host.registry.publish(STREAM, { requestKeyframe: () => undefined, close: () => undefined, description: 'test pcm pump' });
    const started = performance.now();
    let sent = 0;
    pump = setInterval(() => {
      for (; sent * CHUNK_MS <= performance.now() - started; sent++) {
        stream.pushPcm({ time: sent * CHUNK_MS, samples: new Int16Array(((48000 * CHUNK_MS) / 1000) * 2) });
      }
    }, CHUNK_MS);
    const reply = await push(host.httpUrl, 'startup', { streamName: STREAM, rtmpUrl: nginx.url('live'), options: { audioCodec: 'pcmu' } });
    assert.equal(reply.status, 200, reply.text);
    anchor = reply.json().mediaSessionId;
    await waitFor('the anchor PUBLISHING', () => host.transponders.find({ mediaSessionId: anchor })[0]?.status === 'PUBLISHING', 20_000);
  });

  after(async () => {
    if (pump) clearInterval(pump);
    stream?.end('test over');
    await host?.close();
    await nginx?.stop();
    if (dataDir) removeDir(dataDir);
  });

  test(`${REQUESTS_PER_METHOD} bodies per method: only documented statuses, {"error"} bodies, documented 200 bodies; the host keeps serving`, async (t) => {
    const r = mulberry32(SEED);
    const closedPort = await freePort();
    const pools: Pools = {
      strings: [
        '',
        'cam',
        STREAM,
        'rtmp_fuzz_source',
        nginx.url('live'),
        `${nginx.url('live')}/second_name`,
        `rtmp://127.0.0.1:${closedPort}/live`,
        'rtmp://127.0.0.1',
        'rtmps://127.0.0.1:1/live?k=v',
        'http://127.0.0.1/live',
        'rtmp://[::1/live',
        'tone.wav',
        '../x',
        'none',
        '\u0000',
        '\ud800',
        'x'.repeat(3000),
      ],
      ids: [],
    };
    const ajv = new Ajv2020({ strict: false, allowUnionTypes: true });
    const seen = new Map<string, number>();
    let count = 0;
    for (let round = 0; round < REQUESTS_PER_METHOD; round++) {
      for (const method of METHODS) {
        const documented = Object.keys(PUSH_ROUTES[method].responses).map(Number);
        const shape = r();
        const value = shape < 0.45 ? plausibleBody(method, r, pools) : shape < 0.75 ? randomObject(r, pools, 0) : randomValue(r, pools, 1);
        let text = JSON.stringify(value) ?? '';
        if (r() < 0.25) text = mutateText(r, text);
        const contentType = r() < 0.05 ? 'text/plain' : 'application/json';
        const what = `${method} ${contentType} ${text.slice(0, 300)}`;
        const reply = await call(`${host.httpUrl}/rest-api/push/${method}`, { method: 'POST', headers: { 'content-type': contentType }, body: text, timeoutMs: 30_000 });
        seen.set(`${method} ${reply.status}`, (seen.get(`${method} ${reply.status}`) ?? 0) + 1);
        assert.ok(documented.includes(reply.status), `${what}\n→ undocumented ${reply.status}: ${reply.text.slice(0, 300)}`);
        const body = reply.json() as { error?: string; mediaSessionId: string };
        if (reply.status >= 400) {
          assert.equal(typeof body.error, 'string', `${what}\n→ ${reply.text.slice(0, 300)}`);
          assert.ok(body.error!.length >= 5, `${what}\n→ an error that says something: ${reply.text}`);
        } else {
          const schema = PUSH_ROUTES[method].responses[200]!.schema!;
          const valid = ajv.validate(schema, body);
          assert.ok(valid, `${what}\n→ 200 body off schema: ${ajv.errorsText()}`);
          if (method === 'startup' && body.mediaSessionId !== anchor) pools.ids.push(body.mediaSessionId);
        }
        if (++count % HEALTH_EVERY === 0) assert.equal((await call(`${host.httpUrl}/api/info`)).status, 200, `still serving after ${count}`);
      }
    }
    t.diagnostic(`${count} requests: ${[...seen.entries()].map(([k, v]) => `${k}×${v}`).join(', ')}; ${pools.ids.length} transponders started`);
    // Every method met both outcomes the fuzz can reach: a success and a refusal.
    for (const method of METHODS) assert.ok(seen.get(`${method} 400`), `${method}: some 400 (seen ${[...seen.keys()].filter((k) => k.startsWith(method)).join(', ')})`);
    for (const expected of ['startup 200', 'startup 404', 'startup 409', 'find 200', 'find_all 200', 'terminate 200', 'terminate 404', 'mute 200', 'sound_on 200', 'sound_off 200']) {
      assert.ok(seen.get(expected), `exercised ${expected}: ${[...seen.entries()].map(([k, v]) => `${k}×${v}`).join(', ')}`);
    }
    // The host still works: the anchor still publishes, and a new transponder reaches PUBLISHING.
    assert.equal(host.transponders.find({ mediaSessionId: anchor })[0]?.status, 'PUBLISHING');
    for (const t of host.transponders.list()) if (t.mediaSessionId !== anchor) await host.transponders.terminate(t.mediaSessionId).catch(() => undefined);
    const fresh = await push(host.httpUrl, 'startup', { streamName: STREAM, rtmpUrl: `${nginx.url('live')}/after_fuzz`, rtmpTransponderFullUrl: true, options: { audioCodec: 'pcma' } });
    assert.equal(fresh.status, 200, fresh.text);
    await waitFor('a new transponder PUBLISHING', () => host.transponders.find({ mediaSessionId: fresh.json().mediaSessionId })[0]?.status === 'PUBLISHING', 20_000);
  });
});
