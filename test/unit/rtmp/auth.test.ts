import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthSession, adobeResponse, llnwResponse, llnwUri, parseChallenge } from '../../../src-relay/rtmp/auth.js';

const creds = { username: 'alice', password: 'pw' };

test('adobe: "need auth" → user query; challenge → response query with our challenge and the opaque', () => {
  const auth = new AuthSession(creds, 'live');
  assert.deepEqual(auth.next('[ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ] : '), { kind: 'retry', authmod: 'adobe', query: '?authmod=adobe&user=alice' });
  const step = auth.next('[ AccessManager.Reject ] : [ authmod=adobe ] : ?reason=needauth&user=alice&salt=SALT&challenge=CH&opaque=OP');
  assert.equal(step.kind, 'retry');
  const q = Object.fromEntries(step.kind === 'retry' ? step.query.slice(1).split('&').map((p) => p.split('=', 2) as [string, string]) : []);
  assert.equal(q.authmod, 'adobe');
  assert.equal(q.opaque, 'OP');
  assert.match(q.challenge, /^[0-9a-f]{8}$/);
  assert.equal(step.kind === 'retry' && step.query.split('response=')[1].split('&')[0], adobeResponse(creds, 'SALT', 'CH', 'OP', q.challenge));
  // after answering once, a second challenge means the answer was wrong
  assert.equal(auth.next('[ authmod=adobe ] : ?reason=needauth&salt=x').kind, 'fail');
});

test('adobe response: base64(md5(base64(md5(user+salt+password)) + opaque + challenge2))', () => {
  // computed step by step with `printf … | md5sum | xxd -r -p | base64`
  assert.equal(adobeResponse(creds, 'SALT', undefined, 'OP', '0badf00d'), 'LnVjBNjjiX/9bS8blre2hg==');
});

test('llnw: HA2 uses the app with Wowza\'s default instance; the response is hex', () => {
  assert.equal(llnwUri('live'), '/live/_definst_');
  assert.equal(llnwUri('live/inst?x=1'), '/live/inst');
  assert.match(llnwResponse(creds, 'live', 'N', 'C'), /^[0-9a-f]{32}$/);
  const auth = new AuthSession(creds, 'live');
  const step = auth.next('[ authmod=llnw ] : ?reason=needauth&user=alice&nonce=N1');
  assert.ok(step.kind === 'retry' && /^\?authmod=llnw&user=alice&nonce=N1&cnonce=[0-9a-f]{8}&nc=00000001&response=[0-9a-f]{32}$/.test(step.query));
});

test('refusals: no credentials, authfailed, nosuchuser, not an auth error', () => {
  assert.deepEqual(new AuthSession(undefined, 'live').next('code=403 need auth; authmod=adobe').kind, 'fail');
  assert.equal((new AuthSession(undefined, 'live').next('authmod=adobe') as { code: string }).code, 'AUTH_REQUIRED');
  assert.equal((new AuthSession(creds, 'live').next('[ authmod=adobe ] : ?reason=authfailed&opaque=x') as { code: string }).code, 'AUTH_FAILED');
  assert.equal((new AuthSession(creds, 'live').next('[ authmod=llnw ] : ?reason=nosuchuser') as { reason: string }).reason, 'unknown user name');
  assert.deepEqual(new AuthSession(creds, 'live').next('Connection refused'), { kind: 'not-auth' });
  assert.deepEqual(parseChallenge('x ?reason=needauth&a=1&b=2'), { reason: 'needauth', a: '1', b: '2' });
});
