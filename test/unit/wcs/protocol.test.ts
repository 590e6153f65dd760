// The WCS client protocol's frames (src-main/wcs/protocol.ts), pure: what the official Web SDK sends is
// understood, anything else becomes an answer the SDK can read (it reads data[0] of every frame), never a throw.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClientFrame, streamEndStatus, StreamInfo, type ClientRequest, type Frame } from '../../../src-main/wcs/protocol.js';

const OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\n';

function sdkFrame(message: string, data: unknown): string {
  // The SDK's send(): {message, data: [data]}
  return JSON.stringify({ message, data: [data] });
}

function replyOf(request: ClientRequest): Frame {
  assert.ok(request.kind === 'malformed' || request.kind === 'unsupported', `expected a reply, got ${request.kind}`);
  return request.reply;
}

describe('WCS frames from the Web SDK', () => {
  test('connection, ping and pong as the SDK sends them', () => {
    const connection = parseClientFrame(sdkFrame('connection', { appKey: 'defaultApp', mediaProviders: ['WebRTC'], clientVersion: '2.0' }));
    assert.deepEqual(connection, { kind: 'connection', config: { appKey: 'defaultApp', mediaProviders: ['WebRTC'], clientVersion: '2.0' } });
    assert.deepEqual(parseClientFrame(sdkFrame('ping', null)), { kind: 'ping' });
    assert.deepEqual(parseClientFrame(sdkFrame('pong', null)), { kind: 'pong' });
  });

  test('publishStream keeps mediaSessionId, name, sdp and a non-empty rtmpUrl; record is noted', () => {
    const base = { mediaSessionId: 'a1-b2', name: 'cam', published: true, hasVideo: true, hasAudio: true, status: 'PENDING', record: false, mediaProvider: 'WebRTC', sdp: OFFER };
    assert.deepEqual(parseClientFrame(sdkFrame('publishStream', { ...base, rtmpUrl: 'rtmp://127.0.0.1/live' })), {
      kind: 'publishStream',
      request: { mediaSessionId: 'a1-b2', name: 'cam', sdp: OFFER, record: false, rtmpUrl: 'rtmp://127.0.0.1/live' },
    });
    // The SDK sends rtmpUrl: undefined (dropped by JSON) when the page gave none; a page's empty field sends "".
    assert.deepEqual(parseClientFrame(sdkFrame('publishStream', { ...base, rtmpUrl: '' })), {
      kind: 'publishStream',
      request: { mediaSessionId: 'a1-b2', name: 'cam', sdp: OFFER, record: false },
    });
    const recorded = parseClientFrame(sdkFrame('publishStream', { ...base, record: true }));
    assert.equal(recorded.kind === 'publishStream' && recorded.request.record, true);
  });

  test('a publishStream without an offer or name fails that stream, by its mediaSessionId', () => {
    const noSdp = replyOf(parseClientFrame(sdkFrame('publishStream', { mediaSessionId: 'm1', name: 'cam' })));
    assert.equal(noSdp.message, 'notifyStreamStatusEvent');
    assert.deepEqual([(noSdp.data[0] as Record<string, unknown>).mediaSessionId, (noSdp.data[0] as Record<string, unknown>).status], ['m1', 'FAILED']);
    assert.match(String((noSdp.data[0] as Record<string, unknown>).info), /SDP offer/);
    const noName = replyOf(parseClientFrame(sdkFrame('publishStream', { mediaSessionId: 'm1', sdp: OFFER })));
    assert.match(String((noName.data[0] as Record<string, unknown>).info), /stream name/);
    const noId = replyOf(parseClientFrame(sdkFrame('publishStream', { name: 'cam', sdp: OFFER })));
    assert.equal(noId.message, 'fail');
    assert.deepEqual(noId.data[0], { apiMethod: 'publishStream', info: 'publishStream needs a mediaSessionId' });
  });

  test('malformed frames get a fail frame naming the problem', () => {
    const cases: Array<[string, RegExp]> = [
      ['{"message": "connection", ', /not JSON/],
      ['[1,2,3]', /JSON object/],
      ['"ping"', /JSON object/],
      ['null', /JSON object/],
      ['{"data": []}', /"message"/],
      ['{"message": 7, "data": []}', /"message"/],
      ['{"message": "publishStream", "data": {"mediaSessionId": "x"}}', /"data" of publishStream must be an array/],
      ['{"message": "unPublishStream", "data": [{}]}', /unPublishStream needs a mediaSessionId/],
    ];
    for (const [text, info] of cases) {
      const reply = replyOf(parseClientFrame(text));
      assert.equal(reply.message, 'fail', text);
      assert.ok(Array.isArray(reply.data), 'the SDK reads data[0]');
      assert.match(String((reply.data[0] as { info: string }).info), info, text);
    }
  });

  test('__proto__ keys and deep nesting cannot hurt', () => {
    const evil = '{"message":"connection","data":[{"__proto__":{"polluted":true},"appKey":"x"}]}';
    const parsed = parseClientFrame(evil);
    assert.equal(parsed.kind, 'connection');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const deep = `{"message":"sendData","data":[${'['.repeat(5000)}${']'.repeat(5000)}]}`;
    assert.equal(parseClientFrame(deep).kind, 'unsupported');
  });

  test('requests Castbridge does not serve get the answer the SDK waits for', () => {
    const play = replyOf(parseClientFrame(sdkFrame('playStream', { mediaSessionId: 'p1', name: 'cam', sdp: OFFER })));
    assert.equal(play.message, 'notifyStreamStatusEvent');
    assert.equal((play.data[0] as Record<string, unknown>).status, 'FAILED');
    assert.equal((play.data[0] as Record<string, unknown>).mediaSessionId, 'p1');

    const available = replyOf(parseClientFrame(sdkFrame('availableStream', { mediaSessionId: 'p2', name: 'cam' })));
    assert.equal(available.message, 'availableStream');
    assert.equal((available.data[0] as Record<string, unknown>).id, 'p2');
    assert.equal((available.data[0] as Record<string, unknown>).status, 'false', 'the SDK compares with the string "true"');

    const call = replyOf(parseClientFrame(sdkFrame('call', { callId: 'c1', callee: 'bob', sdp: OFFER })));
    assert.deepEqual([call.message, (call.data[0] as Record<string, unknown>).callId, (call.data[0] as Record<string, unknown>).status], ['finish', 'c1', 'FAILED']);

    const data = replyOf(parseClientFrame(sdkFrame('sendData', { operationId: 'op1', payload: { a: 1 } })));
    assert.deepEqual([data.message, (data.data[0] as Record<string, unknown>).operationId, (data.data[0] as Record<string, unknown>).status], ['DataStatusEvent', 'op1', 'FAILED']);

    const snapshot = replyOf(parseClientFrame(sdkFrame('snapshot', { mediaSessionId: 's1', name: 'cam' })));
    assert.deepEqual([snapshot.message, (snapshot.data[0] as Record<string, unknown>).type], ['notifyStreamEvent', 'snapshotFailed']);

    for (const message of ['hangup', 'hold', 'sessionDebug', 'submitBugReport', 'startRecording', 'joinRoom', 'totallyNew']) {
      const reply = replyOf(parseClientFrame(sdkFrame(message, { callId: 'c1' })));
      assert.equal(reply.message, 'fail', message);
      assert.equal((reply.data[0] as Record<string, unknown>).apiMethod, message);
      assert.match(String((reply.data[0] as Record<string, unknown>).info), /not supported/);
    }
  });

  test('client log pushes and stream events (mute) need no answer', () => {
    assert.equal(parseClientFrame(JSON.stringify({ message: 'pushLogs', data: ['a log line'] })).kind, 'ignored');
    assert.equal(parseClientFrame(sdkFrame('sendStreamEvent', { mediaSessionId: 'm', type: 'audioMuted' })).kind, 'ignored');
  });
});

describe('how a stream end is told to the publisher', () => {
  test('our end reasons map to WCS statuses and info texts', () => {
    assert.deepEqual(streamEndStatus('STOPPED_BY_PUBLISHER_STOP'), { status: 'UNPUBLISHED', info: StreamInfo.publisherStop });
    assert.deepEqual(streamEndStatus('the publisher closed the connection'), { status: 'UNPUBLISHED', info: 'Stopped by publisher stop' });
    assert.deepEqual(streamEndStatus('no media within 10 s (ICE/DTLS did not connect)'), { status: 'FAILED', info: 'Failed by ICE timeout' });
    assert.deepEqual(streamEndStatus('no RTP for 5 s (publisher gone)'), { status: 'FAILED', info: 'Failed by RTP activity' });
    assert.deepEqual(streamEndStatus('ICE/DTLS connection failed'), { status: 'FAILED', info: 'Failed by ICE error' });
    assert.deepEqual(streamEndStatus('STOPPED_BY_HOST_SHUTDOWN'), { status: 'UNPUBLISHED', info: 'STOPPED_BY_HOST_SHUTDOWN' });
  });
});
