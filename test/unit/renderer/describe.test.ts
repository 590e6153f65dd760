import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeFailure } from '../../../src-renderer/store/describe.js';

const KEY = /^The server refused the stream key\. Check the key for this target and try again\. \(/;

describe('a failed target in a streamer\'s words', () => {
  test('the relay\'s refusal codes at the start of info read as a refused stream key', () => {
    for (const info of [
      'BAD_NAME: server refused the stream name: Stream ***** is invalid',
      'AUTH_REQUIRED: server requires authentication (authmod=adobe) and the URL has no user:password (server: [ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ] : )',
      'AUTH_FAILED: wrong user name or password (server: authmod=adobe ?reason=authfailed)',
      'REFUSED: the server closed the connection before publishing started 3 times in a row (stream key or name refused?)',
      'CONNECT_REJECTED: server refused publishing: NetStream.Publish.Rejected Access denied',
      'NetStream.Publish.BadName',
    ]) {
      assert.match(describeFailure(info), KEY, info);
      assert.ok(describeFailure(info).endsWith(`(${info})`), 'the relay\'s sentence is kept');
    }
  });

  test('words like "auth" or "key" in another failure do not make it a refused key', () => {
    assert.equal(describeFailure('TIMEOUT: no answer from live.auth-cdn.example within 10 s'), 'Failed: TIMEOUT: no answer from live.auth-cdn.example within 10 s');
    assert.equal(describeFailure('PROTOCOL: server reported NetStream.Failed: keyframe expected'), 'Failed: PROTOCOL: server reported NetStream.Failed: keyframe expected');
    assert.equal(describeFailure('internal error: authorization header too long'), 'Failed: internal error: authorization header too long');
  });

  test('name resolution, a refused connection and TLS keep their own advice', () => {
    assert.match(describeFailure('DNS: rtmp host a.example does not resolve'), /^The server name could not be found/);
    assert.match(describeFailure('NETWORK: connect ECONNREFUSED 127.0.0.1:1935'), /^The server refused the connection: check the URL and port/);
    assert.match(describeFailure('TLS_CERTIFICATE: certificate has expired'), /^The secure \(RTMPS\) connection failed/);
    assert.match(describeFailure('TLS_CA_FILE: /etc/ca.pem holds no certificate'), /^The secure \(RTMPS\) connection failed/);
  });
});
