// docs/DESIGN.md §7 on the HTTP layer: DNS-rebinding Host → 403, foreign Origin → 403 without CORS headers,
// bearer token → 401 when missing or wrong, and no binding beyond loopback without a token.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../../src-main/rest/app.js';
import { BindRefusedError, checkBindAllowed, hostAllowed, ownOrigins, parseHostHeader, type SecurityPolicy } from '../../../src-main/rest/security.js';
import { fakeWorld } from './fakes.js';

const policy: SecurityPolicy = { allowedHosts: ['studio.lan'], bindAddress: '127.0.0.1', token: '', ports: () => ({ http: 8081, https: 8444 }) };

describe('security rules (pure)', () => {
  test('Host must be a loopback name or a configured one, on one of our ports', () => {
    for (const host of ['127.0.0.1:8081', 'localhost:8444', '[::1]:8081', 'LOCALHOST', 'studio.lan:8081']) assert.ok(hostAllowed(host, policy), host);
    for (const host of ['evil.com', 'evil.com:8081', '127.0.0.1.evil.com:8081', 'localhost:9999', '', '127.0.0.1:8081@evil', undefined]) {
      assert.equal(hostAllowed(host, policy), false, String(host));
    }
    assert.deepEqual(parseHostHeader('[::1]:8081'), { name: '[::1]', port: 8081 });
  });

  test('own origins are each allowed name on each port and scheme, nothing else', () => {
    const origins = ownOrigins(policy);
    assert.ok(origins.includes('http://127.0.0.1:8081'));
    assert.ok(origins.includes('https://localhost:8444'));
    assert.ok(origins.includes('http://studio.lan:8081'));
    assert.ok(!origins.some((o) => o.includes('*') || o === 'null'));
    const shell = ownOrigins({ ...policy, extraOrigins: ['app://castbridge', 'null', '*'] });
    assert.ok(shell.includes('app://castbridge'), 'a trusted shell origin');
    assert.ok(!shell.includes('null') && !shell.includes('*'), 'never null or a wildcard');
  });

  test('binding beyond loopback needs a token', () => {
    assert.throws(() => checkBindAllowed('0.0.0.0', ''), BindRefusedError);
    assert.throws(() => checkBindAllowed('192.168.1.5', ''), /rest_auth_token/);
    checkBindAllowed('0.0.0.0', 'secret-token');
    checkBindAllowed('127.0.0.1', '');
    checkBindAllowed('::1', '');
  });
});

describe('security gate on the app', async () => {
  const open = fakeWorld();
  const guarded = fakeWorld({ token: 's3cret-token' }, { rest_auth_token: 's3cret-token' });
  const app = await buildApp(open.deps, { bodyLimit: 65536 });
  const tokenApp = await buildApp(guarded.deps, { bodyLimit: 65536 });
  after(async () => {
    await app.close();
    await tokenApp.close();
    open.cleanup();
    guarded.cleanup();
  });

  test('a DNS-rebinding Host gets 403 on the API and on the studio page', async () => {
    for (const url of ['/rest-api/push/find_all', '/', '/api/info']) {
      const res = await app.inject({ method: url.startsWith('/rest') ? 'POST' : 'GET', url, headers: { host: 'attacker.example:80' } });
      assert.equal(res.statusCode, 403, url);
      assert.match(res.json().error, /Host/);
    }
  });

  test('a foreign Origin gets 403 and no CORS headers; Origin null too', async () => {
    for (const origin of ['http://evil.example', 'null', 'http://localhost:9999', 'http://127.0.0.1']) {
      const res = await app.inject({ method: 'POST', url: '/rest-api/push/find_all', headers: { origin } });
      assert.equal(res.statusCode, 403, origin);
      assert.equal(res.headers['access-control-allow-origin'], undefined, origin);
      const preflight = await app.inject({ method: 'OPTIONS', url: '/rest-api/push/startup', headers: { origin, 'access-control-request-method': 'POST' } });
      assert.equal(preflight.statusCode, 403, `preflight ${origin}`);
      assert.equal(preflight.headers['access-control-allow-origin'], undefined);
    }
  });

  test('our own Origin gets its own origin back, never a wildcard', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/info', headers: { origin: 'http://localhost:80' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['access-control-allow-origin'], 'http://localhost:80');
    const preflight = await app.inject({ method: 'OPTIONS', url: '/rest-api/push/startup', headers: { origin: 'http://127.0.0.1:80' } });
    assert.equal(preflight.statusCode, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], 'http://127.0.0.1:80');
  });

  test('with rest_auth_token set, a missing or wrong bearer token gets 401; the right one passes', async () => {
    const call = (authorization?: string) =>
      tokenApp.inject({ method: 'POST', url: '/rest-api/push/find_all', headers: authorization ? { authorization } : {} });
    assert.equal((await call()).statusCode, 401);
    assert.equal((await call('Bearer wrong')).statusCode, 401);
    assert.equal((await call('Basic czNjcmV0LXRva2Vu')).statusCode, 401);
    assert.equal((await call('Bearer s3cret-token')).statusCode, 404, 'passes the gate: no transponder');
    const studio = await tokenApp.inject({ method: 'GET', url: '/api/settings' });
    assert.equal(studio.statusCode, 401);
    const whip = await tokenApp.inject({ method: 'POST', url: '/whip/cam', headers: { 'content-type': 'application/sdp' }, payload: 'v=0' });
    assert.equal(whip.statusCode, 401);
  });

  test('percent-escaped API paths need the token too (the router decodes them)', async () => {
    for (const [method, url] of [
      ['POST', '/%72est-api/push/find_all'],
      ['POST', '/rest-api/push/find%5fall'],
      ['GET', '/%61pi/info'],
      ['GET', '/%61pi/targets'],
      ['PUT', '/%61pi/settings'],
      ['POST', '/%77hip/cam'],
    ] as const) {
      const res = await tokenApp.inject({ method, url, headers: { 'content-type': 'application/json' }, payload: method === 'GET' ? undefined : '{}' });
      assert.equal(res.statusCode, 401, `${method} ${url}: ${res.body.slice(0, 100)}`);
    }
    assert.equal((await tokenApp.inject({ method: 'GET', url: '/%61pi/info', headers: { authorization: 'Bearer s3cret-token' } })).statusCode, 200);
    assert.notEqual((await tokenApp.inject({ method: 'GET', url: '/' })).statusCode, 401, 'the studio page itself needs no token');
  });

  test('the settings view masks the token', async () => {
    const res = await tokenApp.inject({ method: 'GET', url: '/api/settings', headers: { authorization: 'Bearer s3cret-token' } });
    assert.equal(res.statusCode, 200);
    assert.ok(!res.body.includes('s3cret-token'));
  });
});
