import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TransponderJSON } from '../../../src-renderer/sdk/protocol.js';
import { describeTransponder } from '../../../src-renderer/store/describe.js';
import { createStudioStore } from '../../../src-renderer/store/studio-store.js';
import { describeLayer, HISTORY_LENGTH, transpondersSelectors, videoTitle } from '../../../src-renderer/store/transponders.js';

function transponder(fields: Partial<TransponderJSON> = {}): TransponderJSON {
  return {
    mediaSessionId: 'ms1',
    streamName: 'rtmp_studio',
    sourceStreamName: 'studio',
    rtmpUrl: 'rtmp://127.0.0.1:1935/live',
    width: 1280,
    height: 720,
    muted: false,
    soundEnabled: false,
    options: {},
    status: 'CONNECTING',
    stats: { bitrateKbps: 0, fps: 0, droppedFrames: 0, uptimeMs: 0, reconnects: 0, queuedMs: 0 },
    ...fields,
  };
}

describe('transponders slice', () => {
  test('a transponder event creates one card, a later one updates it in place', () => {
    const store = createStudioStore();
    store.getState().transponders.apply({ type: 'transponder', transponder: transponder() });
    store.getState().transponders.apply({ type: 'transponder', transponder: transponder({ status: 'PUBLISHING', muted: true }) });
    const s = store.getState();
    assert.deepEqual(s.transponders.order, ['ms1']);
    assert.equal(s.transponders.byId.ms1?.transponder.status, 'PUBLISHING');
    assert.equal(s.transponders.byId.ms1?.transponder.muted, true);
  });

  test('after a reconnect, cards the host no longer lists end; listed ones and failures keep their state', () => {
    const store = createStudioStore();
    const t = store.getState().transponders;
    t.apply({ type: 'transponder', transponder: transponder({ mediaSessionId: 'gone', status: 'PUBLISHING' }) });
    t.apply({ type: 'transponder', transponder: transponder({ mediaSessionId: 'kept', status: 'PUBLISHING' }) });
    t.apply({ type: 'transponder', transponder: transponder({ mediaSessionId: 'failed', status: 'FAILED', info: 'BAD_KEY' }) });
    store.getState().transponders.retainOnly(new Set(['kept']));
    const { byId, order } = store.getState().transponders;
    assert.deepEqual(order, ['gone', 'kept', 'failed']);
    assert.deepEqual(
      order.map((id) => [id, byId[id]?.transponder.status, byId[id]?.removed]),
      [['gone', 'STOPPED', true], ['kept', 'PUBLISHING', false], ['failed', 'FAILED', true]],
    );
    store.getState().transponders.apply({ type: 'transponder', transponder: transponder({ mediaSessionId: 'gone', status: 'PUBLISHING' }) });
    assert.equal(store.getState().transponders.byId.gone?.transponder.status, 'STOPPED', 'an ended card is not resurrected');
  });

  test('a transponder created through the REST API (unknown id in stats) appears by itself', () => {
    const store = createStudioStore();
    store.getState().transponders.apply({ type: 'stats', transponders: [transponder({ mediaSessionId: 'rest1', sourceStreamName: 'other' })] });
    assert.deepEqual(store.getState().transponders.order, ['rest1']);
  });

  test('stats build bitrate and fps sparklines capped to the history length', () => {
    const store = createStudioStore();
    for (let i = 0; i < HISTORY_LENGTH + 5; i++) {
      const stats = { bitrateKbps: 1000 + i, fps: 30, droppedFrames: 0, uptimeMs: i * 1000, reconnects: 0, queuedMs: 0 };
      store.getState().transponders.apply({ type: 'stats', transponders: [transponder({ status: 'PUBLISHING', stats })] });
    }
    const view = store.getState().transponders.byId.ms1;
    assert.equal(view?.bitrate.length, HISTORY_LENGTH);
    assert.equal(view?.bitrate.at(-1), 1000 + HISTORY_LENGTH + 4);
    assert.equal(view?.fps.at(0), 30);
  });

  test('a removed transponder stays as a STOPPED card, is not revived by late events, and can be dismissed', () => {
    const store = createStudioStore();
    store.getState().transponders.apply({ type: 'transponder', transponder: transponder({ status: 'PUBLISHING' }) });
    store.getState().transponders.apply({ type: 'transponder-removed', transponder: transponder({ status: 'PUBLISHING' }) });
    store.getState().transponders.apply({ type: 'stats', transponders: [transponder({ status: 'PUBLISHING' })] });
    let view = store.getState().transponders.byId.ms1;
    assert.equal(view?.removed, true);
    assert.equal(view?.transponder.status, 'STOPPED');
    assert.deepEqual(transpondersSelectors.ofStream('studio')(store.getState()), []);
    store.getState().transponders.dismiss('ms1');
    view = store.getState().transponders.byId.ms1;
    assert.equal(view, undefined);
    assert.deepEqual(store.getState().transponders.order, []);
  });

  test('a removed FAILED transponder keeps its failure reason for the card', () => {
    const store = createStudioStore();
    const failed = transponder({ status: 'FAILED', info: 'NetStream.Publish.BadName' });
    store.getState().transponders.apply({ type: 'transponder-removed', transponder: failed });
    const t = store.getState().transponders.byId.ms1?.transponder;
    assert.equal(t?.status, 'FAILED');
    assert.match(describeTransponder(t!), /refused the stream key/);
  });

  test('the preview plays the publishing transponder to the embedded server', () => {
    const store = createStudioStore();
    store.getState().transponders.apply({ type: 'transponder', transponder: transponder({ mediaSessionId: 'yt', rtmpUrl: 'rtmps://a.rtmps.youtube.com:443/live2/KEY', status: 'PUBLISHING' }) });
    store.getState().transponders.apply({ type: 'transponder', transponder: transponder({ status: 'PUBLISHING' }) });
    const view = transpondersSelectors.previewable('rtmp://127.0.0.1:1935/live')(store.getState());
    assert.equal(view?.transponder.mediaSessionId, 'ms1');
    assert.equal(transpondersSelectors.previewable(undefined)(store.getState()), undefined);
  });

  test('reconnecting shows the attempt and the next try', () => {
    const t = transponder({ status: 'RECONNECTING', info: 'socket closed', stats: { bitrateKbps: 0, fps: 0, droppedFrames: 0, uptimeMs: 0, reconnects: 2, attempt: 3, nextRetryAt: 10_000, queuedMs: 0 } });
    assert.equal(describeTransponder(t, 6_000), 'Network lost (socket closed). Reconnecting, attempt 3, next try in 4 s…');
  });

  test('live cards come first, ended ones after them', () => {
    const store = createStudioStore();
    store.getState().transponders.apply({ type: 'transponder', transponder: transponder({ mediaSessionId: 'old' }) });
    store.getState().transponders.apply({ type: 'transponder-removed', transponder: transponder({ mediaSessionId: 'old' }) });
    store.getState().transponders.apply({ type: 'transponder', transponder: transponder({ mediaSessionId: 'new' }) });
    assert.deepEqual(transpondersSelectors.ids(store.getState()), ['new', 'old']);
  });

  test('an action error is kept per card', () => {
    const store = createStudioStore();
    store.getState().transponders.apply({ type: 'transponder', transponder: transponder() });
    store.getState().transponders.setActionError('ms1', 'no such file');
    assert.equal(store.getState().transponders.byId.ms1?.actionError, 'no such file');
    store.getState().transponders.setActionError('nope', 'x');
    assert.equal(store.getState().transponders.byId.nope, undefined);
  });

  test('a card names the layer sent, and says when congestion stepped it down', () => {
    assert.equal(describeLayer(transponder()), '720p');
    assert.equal(describeLayer(transponder({ width: 0, height: 0 })), '');
    const stepped = transponder({ height: 360, layer: { rid: 'm', width: 640, height: 360, bitrateKbps: 900 }, adaptive: { stepped: 'down', reason: 'congestion', stepsDown: 1 } });
    assert.equal(describeLayer(stepped), '360p — stepped down: congestion');
    const back = transponder({ layer: { rid: 'h', width: 1280, height: 720, bitrateKbps: 2500 }, adaptive: { stepped: 'up', reason: 'stable', stepsDown: 0 } });
    assert.equal(describeLayer(back), '720p');
  });

  test('the video\'s tooltip says why the studio re-encodes it: the camera\'s codec, or its keyframes', () => {
    assert.equal(videoTitle(transponder({ videoPath: 'copy' })), 'Sent as the camera encodes it');
    assert.equal(videoTitle(transponder({ videoPath: 'transcode' })), 'Re-encoded by the studio: this target does not take the camera\'s codec');
    const reason = 'keyframes every 10.0 s and the publisher ignores keyframe requests; the target takes at most 4 s';
    assert.equal(videoTitle(transponder({ videoPath: 'transcode', videoPathReason: reason })), `Re-encoded by the studio: ${reason}`);
    assert.match(videoTitle(transponder({ videoPath: 'copy', videoPathProblem: 'the H.264 transcoder cannot run: no libx264' })), /^Sent as the camera encodes it, though .*no libx264$/);
  });
});
