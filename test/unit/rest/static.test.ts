// The static route (src-main/rest/static.ts): the studio's CSP as a header on every page whatever browser
// opens it (docs/DESIGN.md §7), the preview origin allowed in connect-src, and no path leaving the studio folder.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src-main/rest/app.js';
import { fileInside } from '../../../src-main/rest/static.js';
import { fakeWorld, type FakeWorld } from './fakes.js';

const PREVIEW = 'http://127.0.0.1:8000/live';

describe('static studio files', () => {
  let world: FakeWorld;
  let app: FastifyInstance;
  let studio: string;

  before(async () => {
    world = fakeWorld();
    studio = join(world.dataDir, 'studio');
    mkdirSync(join(studio, 'sdk'), { recursive: true });
    writeFileSync(join(studio, 'index.html'), '<!doctype html><title>Castbridge Studio</title>');
    writeFileSync(join(studio, 'sdk', 'index.html'), '<!doctype html><title>SDK</title>');
    writeFileSync(join(world.dataDir, 'secret.txt'), 'outside the studio folder');
    const info = world.deps.info();
    app = await buildApp({ ...world.deps, staticDir: studio, info: () => ({ ...info, previewBaseUrl: PREVIEW }) }, { bodyLimit: 65536 });
  });
  after(async () => {
    await app?.close();
    world?.cleanup();
  });

  test('pages carry the strict CSP as a header, with the preview origin and no framing', async () => {
    for (const url of ['/', '/sdk/']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      const csp = String(res.headers['content-security-policy']);
      assert.match(csp, /script-src 'self';/, url);
      assert.match(csp, /object-src 'none'/, url);
      assert.match(csp, /frame-ancestors 'none'/, url);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
    }
    const studio = String((await app.inject({ method: 'GET', url: '/' })).headers['content-security-policy']);
    assert.match(studio, /connect-src 'self' http:\/\/127\.0\.0\.1:8000;/, 'the studio reaches its host and the preview only');
    const sdk = String((await app.inject({ method: 'GET', url: '/sdk/' })).headers['content-security-policy']);
    assert.match(sdk, /connect-src 'self' http:\/\/127\.0\.0\.1:8000 ws: wss: http: https:;/, 'the SDK example may publish to another host');
  });

  test('the "not built" page carries it too', async () => {
    const bare = await buildApp(world.deps, { bodyLimit: 65536 });
    try {
      const res = await bare.inject({ method: 'GET', url: '/' });
      assert.equal(res.statusCode, 200);
      assert.match(res.body, /npm run build/);
      assert.match(String(res.headers['content-security-policy']), /default-src 'self'; .*connect-src 'self';/);
    } finally {
      await bare.close();
    }
  });

  test('no path leaves the studio folder, encoded or not, nor redirects off this host', async () => {
    for (const url of ['/../secret.txt', '/%2e%2e/secret.txt', '/sdk/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/%00', '/%E0%A4%A']) {
      const res = await app.inject({ method: 'GET', url });
      assert.notEqual(res.statusCode, 200, url);
      assert.ok(!res.body.includes('outside the studio folder'), url);
    }
    for (const url of ['//sdk', '///sdk?x=1']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 302, url);
      assert.equal(res.headers.location, '/sdk/', `${url} stays on this host`);
    }
    const undecodable = await app.inject({ method: 'GET', url: '/%E0%A4%A' });
    assert.equal(undecodable.statusCode, 400);
    assert.deepEqual(Object.keys(undecodable.json()), ['error'], 'the same {"error": sentence} body as every refusal');
    assert.match(undecodable.json().error, /not a valid url/);
    assert.equal(fileInside('/srv/studio', '/../etc/passwd'), undefined);
    assert.equal(fileInside('/srv/studio', '/%2e%2e/etc/passwd'), undefined);
    assert.equal(fileInside('/srv/studio', '/sdk/index.html'), '/srv/studio/sdk/index.html');
  });
});
