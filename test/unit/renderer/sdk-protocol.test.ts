import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseHostMessage, toWebSocketUrl } from '../../../src-renderer/sdk/protocol.js';
import { LOCAL_FAILURE, mediaFailureInfo } from '../../../src-renderer/sdk/stream.js';
import { describeFailure, describePublishFailure } from '../../../src-renderer/store/describe.js';
import { previewUrl } from '../../../src-renderer/store/transponders.js';

describe('SDK wire helpers', () => {
  test('urlServer may be ws(s) or http(s); the session always lands on /ws', () => {
    assert.equal(toWebSocketUrl('ws://127.0.0.1:8081'), 'ws://127.0.0.1:8081/ws');
    assert.equal(toWebSocketUrl('http://127.0.0.1:8081/'), 'ws://127.0.0.1:8081/ws');
    assert.equal(toWebSocketUrl('https://localhost:8444/studio?x=1#y'), 'wss://localhost:8444/ws');
    assert.equal(toWebSocketUrl('wss://h:1/ws'), 'wss://h:1/ws');
    assert.throws(() => toWebSocketUrl('rtmp://h/live'), /urlServer must be ws\(s\):\/\/ or http\(s\):\/\/, got "rtmp:"/);
  });

  test('host frames are parsed; junk and unknown types are ignored, not thrown', () => {
    assert.deepEqual(parseHostMessage('{"type":"hello","sessionId":"s1","version":"0.1.0"}'), { type: 'hello', sessionId: 's1', version: '0.1.0' });
    assert.equal(parseHostMessage('not json'), undefined);
    assert.equal(parseHostMessage('null'), undefined);
    assert.equal(parseHostMessage('[1,2]'), undefined);
    assert.equal(parseHostMessage('{"type":"__proto__"}'), undefined);
  });

  test('getUserMedia errors map to WCS-style reasons and then to plain words', () => {
    assert.equal(mediaFailureInfo(new DOMException('denied', 'NotAllowedError')), LOCAL_FAILURE.mediaDenied);
    assert.equal(mediaFailureInfo(new DOMException('none', 'NotFoundError')), LOCAL_FAILURE.mediaMissing);
    assert.equal(mediaFailureInfo(new DOMException('busy', 'NotReadableError')), LOCAL_FAILURE.mediaBusy);
    assert.equal(mediaFailureInfo('weird'), LOCAL_FAILURE.mediaOther);
    assert.match(describePublishFailure(LOCAL_FAILURE.mediaBusy), /camera is busy in another app/);
    assert.match(describePublishFailure(LOCAL_FAILURE.rejected, 'Error: stream "studio" is already being published'), /refused to start the stream: stream "studio" is already being published/);
  });

  test('a target the host refused to start reads in a streamer\'s words, with the host\'s sentence kept', () => {
    assert.equal(
      describeFailure('rtmpUrl host "a.rtmps.youtube.com" does not resolve'),
      'The server name could not be found: check the URL and your internet connection. (rtmpUrl host "a.rtmps.youtube.com" does not resolve)',
    );
    assert.equal(describeFailure('rtmpUrl has no application, e.g. rtmp://host/live'), 'Failed: rtmpUrl has no application, e.g. rtmp://host/live');
  });

  test('the preview URL works whether previewBaseUrl includes the app or not', () => {
    assert.equal(previewUrl('http://127.0.0.1:8000/live', 'rtmp_studio'), 'http://127.0.0.1:8000/live/rtmp_studio.flv');
    assert.equal(previewUrl('http://127.0.0.1:8000/', 'a b'), 'http://127.0.0.1:8000/live/a%20b.flv');
  });
});
