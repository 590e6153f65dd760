// Route schemas compile at each route's first use (src-main/rest/lazy-schemas.ts), so a schema that does not
// compile would otherwise show only at a user's first request: here every route's validator and serializer is
// compiled, and a broken schema is shown to fail here while the app still starts.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { buildApp, compileAllSchemas, appSchemaList } from '../../../src-main/rest/app.js';
import { LazySchemas } from '../../../src-main/rest/lazy-schemas.js';
import { PUSH_GET_ROUTES, PUSH_ROUTES, RECORDING_ROUTES, STUDIO_ROUTES, fastifySchema, type RouteSpec } from '../../../src-main/rest/schemas.js';
import { fakeWorld } from './fakes.js';

describe('route schemas', () => {
  const world = fakeWorld();
  after(() => world.cleanup());

  test('every route schema of the app compiles: one validator per body, one serializer per JSON response', async () => {
    const app = await buildApp(world.deps, { bodyLimit: 65536 });
    await app.ready();
    const compiled = compileAllSchemas(app);
    const asked = new Set(appSchemaList(app));
    // The tables registered through fastifySchema: each of their schemas is among those compiled (a route
    // registered without a schema, like the media upload's raw body, has none asked for).
    const tables = [PUSH_ROUTES, PUSH_GET_ROUTES, STUDIO_ROUTES, RECORDING_ROUTES].flatMap((t) => Object.values(t) as RouteSpec[]);
    let expected = 0;
    let routes = 0;
    for (const spec of tables) {
      const schema = fastifySchema(spec) as { body?: unknown; response: Record<string, unknown> };
      const url = spec.url;
      if (![...asked].some((line) => line.startsWith(`${spec.method} ${url} `))) continue;
      routes++;
      if (schema.body !== undefined) {
        expected++;
        assert.ok(asked.has(`${spec.method} ${url} body validator`), `${spec.method} ${url} body`);
      }
      for (const status of Object.keys(schema.response)) {
        expected++;
        assert.ok(asked.has(`${spec.method} ${url} ${status} serializer`), `${spec.method} ${url} ${status}`);
      }
    }
    assert.ok(routes >= 20 && expected > 100, `${routes} routes with ${expected} schemas`);
    assert.ok(compiled >= expected, `${compiled} compiled`);
    await app.close();
  });

  test('a compiled-on-use validator and serializer behave as fastify\'s own: 400 with the error, typed output', async () => {
    const app = await buildApp(world.deps, { bodyLimit: 65536 });
    const bad = await app.inject({ method: 'POST', url: '/rest-api/push/startup', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ streamName: 5 }) });
    assert.equal(bad.statusCode, 400);
    assert.match(JSON.parse(bad.body).error, /streamName|string|required/);
    const settings = await app.inject({ method: 'GET', url: '/api/settings' });
    assert.equal(settings.statusCode, 200);
    const body = JSON.parse(settings.body) as { settings: Array<{ key: string; value: string }> };
    assert.ok(body.settings.length > 5 && body.settings.every((s) => typeof s.key === 'string' && typeof s.value === 'string'));
    await app.close();
  });

  test('a schema that does not compile: the app still gets ready, compileAll names the route and the reason', async () => {
    const schemas = new LazySchemas();
    const app = Fastify({ schemaController: schemas.controller as never });
    app.post('/broken', { schema: { body: { type: 'object', properties: { a: { type: 'no-such-type' } } }, response: { 200: { type: 'object' } } } }, async () => ({}));
    app.get('/fine', { schema: { response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } } } }, async () => ({ ok: true }));
    await app.ready();
    assert.deepEqual(schemas.schemas, ['POST /broken body validator', 'POST /broken 200 serializer', 'GET /fine 200 serializer', 'HEAD /fine 200 serializer']);
    assert.throws(() => schemas.compileAll(), (error: Error) => /POST \/broken body validator/.test(error.message) && /no-such-type|type/.test(error.message) && !/\/fine/.test(error.message));
    const fine = await app.inject({ method: 'GET', url: '/fine' });
    assert.deepEqual(JSON.parse(fine.body), { ok: true });
    await app.close();
  });
});
