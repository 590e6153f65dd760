import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactName, redactText, redactUrl } from '../../../src-relay/redact.js';

test('redactName keeps 4 characters of a key', () => {
  assert.equal(redactName('live_abc123456'), 'live…');
  assert.equal(redactName('abc'), '…');
});

test('redactUrl masks the password, a key-like last segment after the app and query values', () => {
  assert.equal(redactUrl('rtmp://user:pa55@h:1935/live'), 'rtmp://user:***@h:1935/live');
  assert.equal(redactUrl('rtmp://live.twitch.tv/app/live_123456_abcdef'), 'rtmp://live.twitch.tv/app/live…');
  assert.equal(redactUrl('rtmp://h/live/?user=u&pass=p'), 'rtmp://h/live/?user=***&pass=***');
  assert.equal(redactUrl('rtmps://a.rtmps.youtube.com:443/live2'), 'rtmps://a.rtmps.youtube.com:443/live2');
  assert.equal(redactUrl('rtmp://h/app/inst/'), 'rtmp://h/app/inst/');
  assert.equal(redactUrl('rtmp://h/app?authmod=adobe&user=u&response=abc'), 'rtmp://h/app?authmod=***&user=***&response=***');
  assert.equal(redactUrl('not a url?key=v'), 'not a url?***');
});

test('redactUrl masks a secret typed where the host or port goes', () => {
  assert.equal(redactUrl('rtmp://bob:s3cr3tpass/x@host/live'), 'rtmp://***/x@host/live');
  assert.equal(redactUrl('rtmp://host\\live\\abcd-efgh-ijkl-mnop'), 'rtmp://***');
  assert.equal(redactUrl('rtmp://[::1]:1935/live'), 'rtmp://[::1]:1935/live');
});

test('redactText masks every occurrence of each secret, raw and URL-encoded', () => {
  const text = 'Stream abcd-efgh-ijkl is invalid (abcd-efgh-ijkl), pass=p%40ss';
  const out = redactText(text, ['abcd-efgh-ijkl', 'p@ss', '']);
  assert.equal(out, 'Stream abcd… is invalid (abcd…), pass=p%40…');
  assert.ok(!out.includes('efgh-ijkl'));
});
