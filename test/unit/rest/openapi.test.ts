// /rest-api/openapi.json against the implementation: every documented operation exists, every answer it
// gives to a spread of requests (good, empty, wrong type, wrong content type) has a documented status, and
// every JSON answer matches the documented schema of that status. And the reverse: every API route the app
// implements is documented, and the statuses any route gives to the gate (foreign Host, missing token) and
// to bad bodies (not JSON, wrong content type, too large) are documented for it.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { encodeWav } from '../../../src-relay/codec/audio/wav.js';
import { buildApp } from '../../../src-main/rest/app.js';
import { fakeWorld, nullSource, type FakeWorld } from './fakes.js';

interface Operation {
  operationId: string;
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}
type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown> };
  security: unknown[];
};

const tone = encodeWav(new Int16Array(960), 48000, 1, 16);
const OFFER = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n';

/** Bodies to try per operation, beyond the generic empty/wrong ones. */
function goodBodies(id: string, world: FakeWorld): Array<Partial<InjectOptions>> {
  const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  const sid = world.transponders.list()[0]?.mediaSessionId ?? 'none';
  switch (id) {
    case 'push_startup':
      return [
        json({ streamName: 'cam', rtmpUrl: 'rtmp://127.0.0.1/live' }),
        json({ streamName: 'cam', rtmpUrl: 'rtmp://127.0.0.1/live' }),
        json({ streamName: 'cam', rtmpUrl: 'rtmp://127.0.0.1/second' }),
        json({ streamName: 'x', rtmpUrl: 'rtmp://127.0.0.1/live' }),
      ];
    case 'push_find':
      return [json({ streamName: 'cam' }), json({ mediaSessionId: 'none' })];
    case 'push_sound_on':
      return [json({ mediaSessionId: sid, soundFile: 'tone.wav' }), json({ mediaSessionId: sid, soundFile: 'gone.wav' }), json({ mediaSessionId: sid, soundFile: '../x' })];
    case 'push_terminate':
    case 'push_mute':
    case 'push_unmute':
    case 'push_sound_off':
      return [json({ mediaSessionId: sid }), json({ mediaSessionId: 'none' })];
    case 'whip_publish':
      return [{ headers: { 'content-type': 'application/sdp' }, payload: OFFER }, { headers: { 'content-type': 'application/sdp' }, payload: OFFER }, { headers: { 'content-type': 'application/sdp' }, payload: 'v=0\r\n' }];
    case 'settings_put':
      return [json({ rtmp_keyframe_interval_ms: 1000 }), json({ rtmp_keyframe_interval_ms: 'often' }), json({ no_such_key: 1 })];
    case 'media_put':
      return [{ headers: { 'content-type': 'audio/wav' }, payload: tone }, { headers: { 'content-type': 'audio/wav' }, payload: Buffer.from('nope') }];
    case 'targets_put':
      return [json([{ id: '1', name: 'Local', kind: 'local', rtmpUrl: 'rtmp://127.0.0.1/live', streamKey: 'k' }]), json([{ id: 1 }])];
    default:
      return [{}];
  }
}

const GENERIC: Array<Partial<InjectOptions>> = [
  {},
  { headers: { 'content-type': 'application/json' }, payload: '{' },
  { headers: { 'content-type': 'application/json' }, payload: '{}' },
  { headers: { 'content-type': 'text/plain' }, payload: 'hello' },
];

/**
 * The routes the app implements, from fastify's route tree ("METHOD /path/:param"), HEAD left out (fastify
 * adds it to every GET). Each line of printRoutes is "├── " + the segment after its parent's path.
 */
function implementedRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│   |    )*)[├└]── (\S+) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const path = (depth > 0 ? stack[depth - 1]! : '') + m[2]!;
    stack[depth] = path;
    stack.length = depth + 1;
    for (const method of m[3]!.split(', ')) if (method !== 'HEAD') routes.push(`${method} ${path}`);
  }
  return routes;
}

function concretePath(path: string): string {
  return path.replace('{streamName}', 'whipcam').replace('{sessionId}', 's1').replace('{name}', 'new.wav');
}

describe('GET /rest-api/openapi.json', () => {
  let world: FakeWorld;
  let app: FastifyInstance;
  let doc: Doc;

  before(async () => {
    world = fakeWorld();
    writeFileSync(join(world.mediaDir, 'tone.wav'), tone);
    app = await buildApp(world.deps, { bodyLimit: 65536 });
    world.registry.publish('cam', nullSource);
    const res = await app.inject({ method: 'GET', url: '/rest-api/openapi.json' });
    assert.equal(res.statusCode, 200);
    doc = res.json();
  });
  after(async () => {
    await app.close();
    world.cleanup();
  });

  test('is OpenAPI 3.1 and documents every WCS push method, WHIP and the studio routes', () => {
    assert.equal(doc.openapi, '3.1.0');
    for (const m of ['startup', 'find', 'find_all', 'terminate', 'mute', 'unmute', 'sound_on', 'sound_off']) {
      assert.ok(doc.paths[`/rest-api/push/${m}`]?.post, m);
    }
    assert.ok(doc.paths['/whip/{streamName}']?.post);
    assert.ok(doc.paths['/whip/{streamName}/{sessionId}']?.delete);
    for (const p of ['/api/settings', '/api/media', '/api/targets', '/api/info']) assert.ok(doc.paths[p]?.get, p);
    // The bearer scheme is declared and applies (optionally: a loopback host without a token needs none).
    assert.deepEqual(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer' });
    assert.deepEqual(doc.security, [{}, { bearer: [] }]);
  });

  test('every documented route exists and answers only documented statuses with documented bodies', async () => {
    const ajv = new Ajv2020({ strict: false, allowUnionTypes: true });
    const seen: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const documented = Object.keys(op.responses).map(Number);
        for (const extra of [...goodBodies(op.operationId, world), ...GENERIC]) {
          const res = await app.inject({ method: method.toUpperCase() as 'GET', url: concretePath(path), ...extra });
          seen.push(`${op.operationId} ${res.statusCode}`);
          assert.ok(!(res.statusCode === 404 && /no route/.test(res.body)), `${method} ${path} exists`);
          assert.ok(documented.includes(res.statusCode), `${op.operationId} answered undocumented ${res.statusCode}: ${res.body.slice(0, 200)}`);
          const schema = op.responses[String(res.statusCode)]?.content?.['application/json']?.schema;
          if (schema) assert.ok(ajv.validate(schema, res.json()), `${op.operationId} ${res.statusCode} body matches: ${ajv.errorsText()}`);
        }
      }
    }
    for (const expected of ['push_startup 200', 'push_startup 409', 'push_startup 404', 'push_startup 400', 'push_startup 415', 'whip_publish 201', 'whip_publish 409', 'whip_unpublish 200', 'push_sound_on 200', 'push_terminate 200', 'media_put 200', 'settings_put 400']) {
      assert.ok(seen.includes(expected), `exercised ${expected}`);
    }
  });

  test('every implemented API route is documented, and so is every status the gate and the body checks give it', async () => {
    const implemented = implementedRoutes(app).filter((r) => /^\w+ \/(rest-api|api|whip)\//.test(r));
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
    assert.ok(implemented.length >= 15, `found the routes: ${implemented.join(', ')}`);
    for (const route of implemented) assert.ok(documented.includes(route), `${route} is implemented but not in openapi.json`);
    assert.deepEqual([...implemented].sort(), [...documented].sort(), 'and nothing documented is missing');

    const tokenWorld = fakeWorld({ token: 'tok-abcdef' });
    const tokenApp = await buildApp(tokenWorld.deps, { bodyLimit: 1024 });
    const tooBig = JSON.stringify({ streamName: 'x'.repeat(70_000) });
    try {
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(methods)) {
          const url = concretePath(path);
          const verb = method.toUpperCase() as 'GET';
          const statuses = Object.keys(op.responses).map(Number);
          const check = (what: string, status: number, body: string) => {
            assert.ok(statuses.includes(status), `${op.operationId}: ${what} answered undocumented ${status}: ${body.slice(0, 200)}`);
            if (status >= 400) assert.equal(typeof JSON.parse(body).error, 'string', `${op.operationId} ${status}: an {"error"} body`);
          };
          const foreign = await app.inject({ method: verb, url, headers: { host: 'rebind.example' } });
          assert.equal(foreign.statusCode, 403, `${op.operationId}: a foreign Host is refused`);
          check('a foreign Host', foreign.statusCode, foreign.body);
          const noToken = await tokenApp.inject({ method: verb, url });
          assert.equal(noToken.statusCode, 401, `${op.operationId}: no token is refused`);
          check('no token', noToken.statusCode, noToken.body);
          if (verb !== ('GET' as string) && verb !== ('DELETE' as string)) {
            const json = { 'content-type': 'application/json' };
            for (const [what, extra] of [
              ['bad JSON', { headers: json, payload: '{"a":' }],
              ['text/plain', { headers: { 'content-type': 'text/plain' }, payload: 'hi' }],
              ['a body over rest_max_body_bytes', { headers: json, payload: tooBig }],
            ] as const) {
              const res = await app.inject({ method: verb, url, ...extra });
              check(what, res.statusCode, res.body);
            }
          }
        }
      }
      // The one deliberate 500: a damaged targets file, told in a sentence.
      writeFileSync(world.deps.targets.file, '{ not json');
      const damaged = await app.inject({ method: 'GET', url: '/api/targets' });
      assert.equal(damaged.statusCode, 500);
      assert.ok(Object.keys(doc.paths['/api/targets']!.get!.responses).includes('500'), 'documented');
      assert.match(damaged.json().error, /targets file .* is damaged/);
      rmSync(world.deps.targets.file);
    } finally {
      await tokenApp.close();
      tokenWorld.cleanup();
    }
  });
});
