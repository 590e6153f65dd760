import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LOCAL_TARGET_ID, maskUrl, startupBody, TARGET_PRESETS, targetProblem, urlWithKey, type Target } from '../../../src-renderer/store/presets.js';
import { createStudioStore } from '../../../src-renderer/store/studio-store.js';
import { newTarget, targetsSelectors } from '../../../src-renderer/store/targets.js';

const LOCAL = 'rtmp://127.0.0.1:1935/live';

function target(fields: Partial<Target>): Target {
  return { id: 'x', name: 'X', kind: 'custom', rtmpUrl: 'rtmp://example.com/app', streamKey: '', ...fields };
}

describe('target presets', () => {
  test('the presets are the documented ingest URLs', () => {
    const urls = Object.fromEntries(TARGET_PRESETS.map((p) => [p.kind, p.rtmpUrl]));
    assert.equal(urls.youtube, 'rtmps://a.rtmps.youtube.com:443/live2');
    assert.equal(urls['youtube-backup'], 'rtmps://b.rtmps.youtube.com:443/live2?backup=1');
    assert.equal(urls.facebook, 'rtmps://live-api-s.facebook.com:443/rtmp/');
    assert.equal(urls.twitch, 'rtmp://live.twitch.tv/app');
  });

  test('a preset publishes the key as the stream name, with no prefix', () => {
    const yt = target({ kind: 'youtube', rtmpUrl: 'rtmps://a.rtmps.youtube.com:443/live2', streamKey: 'abcd-1234' });
    assert.deepEqual(startupBody(yt, 'studio'), {
      streamName: 'studio',
      rtmpUrl: 'rtmps://a.rtmps.youtube.com:443/live2/abcd-1234',
      noPrefix: true,
      rtmpTransponderFullUrl: true,
      options: { quality: 'highest', adaptive: true, videoCodecs: ['av1', 'h264'] },
    });
  });

  test('each preset gets a sensible layer, adaptive: YouTube the highest, Twitch ≤ 6 Mb/s, Facebook ≤ 4 Mb/s; the streamer\'s pick wins', () => {
    const body = (kind: Target['kind'], quality?: Target['quality']) =>
      startupBody(target({ kind, rtmpUrl: 'rtmp://x/app', streamKey: 'k123', ...(quality ? { quality } : {}) }), 's').options;
    assert.deepEqual(body('youtube'), { quality: 'highest', adaptive: true, videoCodecs: ['av1', 'h264'] });
    assert.deepEqual(body('twitch'), { maxBitrateKbps: 6000, adaptive: true });
    assert.deepEqual(body('facebook'), { maxBitrateKbps: 4000, adaptive: true });
    assert.deepEqual(body('twitch', 'lowest'), { quality: 'lowest', adaptive: true });
    assert.deepEqual(body('youtube', 'medium'), { quality: 'medium', adaptive: true, videoCodecs: ['av1', 'h264'] });
  });

  test('the key goes before the query (YouTube backup) and after a trailing slash (Facebook)', () => {
    assert.equal(urlWithKey('rtmps://b.rtmps.youtube.com:443/live2?backup=1', 'K'), 'rtmps://b.rtmps.youtube.com:443/live2/K?backup=1');
    assert.equal(urlWithKey('rtmps://live-api-s.facebook.com:443/rtmp/', 'FB-1'), 'rtmps://live-api-s.facebook.com:443/rtmp/FB-1');
  });

  test('the local target and a custom URL without key keep the studio name (prefix applies)', () => {
    const options = { quality: 'highest', adaptive: true };
    assert.deepEqual(startupBody(target({ kind: 'local', rtmpUrl: LOCAL }), 'studio'), { streamName: 'studio', rtmpUrl: LOCAL, options });
    assert.deepEqual(startupBody(target({}), 'cam'), { streamName: 'cam', rtmpUrl: 'rtmp://example.com/app', options });
  });

  test('problems are explained in plain words', () => {
    assert.match(targetProblem(target({ rtmpUrl: 'http://x/app' })) ?? '', /must start with rtmp:\/\/ or rtmps:\/\//);
    assert.match(targetProblem(target({ kind: 'twitch', rtmpUrl: 'rtmp://live.twitch.tv/app' })) ?? '', /Paste your Twitch stream key/);
    assert.match(targetProblem(target({ streamKey: 'a b' })) ?? '', /should not contain spaces/);
    assert.equal(targetProblem(target({ kind: 'twitch', rtmpUrl: 'rtmp://live.twitch.tv/app', streamKey: 'live_1' })), undefined);
  });

  test('keys are masked in URLs shown on cards', () => {
    assert.equal(maskUrl('rtmps://a.rtmps.youtube.com:443/live2/abcd-1234', ['abcd-1234']), 'rtmps://a.rtmps.youtube.com:443/live2/••••');
    assert.equal(maskUrl('rtmp://user:pw@h/app', []), 'rtmp://•••@h/app');
    // A transponder started through the REST API with a key the studio never saw.
    assert.equal(maskUrl('rtmp://live.twitch.tv/app/live_1234_abcdef', []), 'rtmp://live.twitch.tv/app/••••');
    assert.equal(maskUrl('rtmp://h:1935/live/?user=u&pass=p4ss', []), 'rtmp://h:1935/live/?user=••••&pass=••••');
    assert.equal(maskUrl('rtmp://127.0.0.1:1935/live', []), 'rtmp://127.0.0.1:1935/live', 'the app is not a key');
    assert.equal(maskUrl('rtmp://h/app/inst', []), 'rtmp://h/app/inst', 'a short instance name stays readable');
  });
});

describe('targets slice', () => {
  test('a new user gets the embedded server as the one selected target', () => {
    const store = createStudioStore();
    store.getState().targets.load([], LOCAL);
    const s = store.getState();
    assert.deepEqual(s.targets.list.map((t) => [t.id, t.kind, t.rtmpUrl]), [[LOCAL_TARGET_ID, 'local', LOCAL]]);
    assert.deepEqual(targetsSelectors.selected(s).map((t) => t.id), [LOCAL_TARGET_ID]);
  });

  test('saved targets load after the local one; the local one is never saved nor deleted', () => {
    const store = createStudioStore();
    const yt = { ...newTarget('youtube'), streamKey: 'k1' };
    store.getState().targets.load([yt, target({ id: 'local', kind: 'local', rtmpUrl: 'rtmp://old' })], LOCAL);
    store.getState().targets.remove(LOCAL_TARGET_ID);
    const s = store.getState();
    assert.deepEqual(s.targets.list.map((t) => t.id), [LOCAL_TARGET_ID, yt.id]);
    assert.equal(s.targets.list[0]?.rtmpUrl, LOCAL);
    assert.deepEqual(targetsSelectors.saved(s).map((t) => t.id), [yt.id]);
    assert.deepEqual(targetsSelectors.keys(s), ['k1']);
  });

  test('upsert edits in place, toggle selects, remove unselects', () => {
    const store = createStudioStore();
    store.getState().targets.load([], LOCAL);
    const tw = newTarget('twitch');
    store.getState().targets.upsert(tw);
    store.getState().targets.upsert({ ...tw, streamKey: 'live_9' });
    store.getState().targets.toggle(tw.id, true);
    store.getState().targets.toggle(LOCAL_TARGET_ID, false);
    assert.equal(store.getState().targets.list.length, 2);
    assert.deepEqual(targetsSelectors.selected(store.getState()).map((t) => t.streamKey), ['live_9']);
    store.getState().targets.remove(tw.id);
    assert.deepEqual(store.getState().targets.selectedIds, []);
  });

  test('a reload keeps the streamer\'s selection', () => {
    const store = createStudioStore();
    store.getState().targets.load([], LOCAL);
    store.getState().targets.toggle(LOCAL_TARGET_ID, false);
    store.getState().targets.load([], LOCAL);
    assert.deepEqual(store.getState().targets.selectedIds, []);
  });
});
