import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createStudioStore } from '../../../src-renderer/store/studio-store.js';
import { settingsSelectors, validateSetting } from '../../../src-renderer/store/settings.js';
import { publishSelectors } from '../../../src-renderer/store/publish.js';

const ITEMS = [
  { key: 'rest_http_port', value: '8081', default: '8081', description: 'HTTP port' },
  { key: 'rtmp_push_auto_start', value: 'false', default: 'false', description: 'auto push' },
  { key: 'rtmp_push_auto_start_url', value: '', default: '', description: 'auto push URL' },
  { key: 'rtmp_keyframe_interval_ms', value: 'abc', default: '2000', description: 'keyframes', error: 'rtmp_keyframe_interval_ms (line 4): not a number' },
];

describe('settings validation', () => {
  test('each kind of value gets a message naming the key and the bound', () => {
    assert.equal(validateSetting('rest_http_port', '70000'), 'rest_http_port must be a port number from 0 to 65535, got "70000"');
    assert.equal(validateSetting('rest_http_port', '0'), undefined);
    assert.equal(validateSetting('rtmp_keyframe_interval_ms', '-5'), 'rtmp_keyframe_interval_ms must be a whole number of milliseconds, got "-5"');
    assert.equal(validateSetting('rtmp_keyframe_interval_ms', '1.5'), 'rtmp_keyframe_interval_ms must be a whole number of milliseconds, got "1.5"');
    // The bounds the host declares for the key (the relay needs ≥ 250 ms between keyframe requests).
    const keyframeBounds = { min: 250, max: 60000 };
    assert.equal(validateSetting('rtmp_keyframe_interval_ms', '0', keyframeBounds), 'rtmp_keyframe_interval_ms must be from 250 to 60000 milliseconds, got 0');
    assert.equal(validateSetting('rtmp_keyframe_interval_ms', '2000', keyframeBounds), undefined);
    assert.equal(validateSetting('rest_max_body_bytes', '10', { min: 1024, max: 16777216 }), 'rest_max_body_bytes must be a whole number from 1024 to 16777216, got "10"');
    assert.match(validateSetting('rtmp_push_auto_start', 'yes') ?? '', /must be true or false/);
    assert.match(validateSetting('rtmp_push_auto_start_url', 'http://x') ?? '', /must be an rtmp:\/\/ or rtmps:\/\/ URL/);
    assert.equal(validateSetting('rtmp_push_auto_start_url', 'rtmp://127.0.0.1/live'), undefined);
    assert.match(validateSetting('rtmp_transponder_stream_name_prefix', 'a/b') ?? '', /must not contain/);
    assert.equal(validateSetting('rest_http_port', ''), undefined, 'empty means the default');
  });
});

describe('settings slice', () => {
  test('the host\'s complaints about the file show on load; edits validate as typed', () => {
    const store = createStudioStore();
    store.getState().settings.load(ITEMS, '/data/castbridge.properties');
    assert.match(store.getState().settings.errors.rtmp_keyframe_interval_ms ?? '', /line 4/);
    store.getState().settings.edit('rest_http_port', '99999');
    assert.equal(settingsSelectors.canSave(store.getState()), false);
    store.getState().settings.edit('rest_http_port', '9000');
    assert.equal(settingsSelectors.canSave(store.getState()), true);
    assert.deepEqual(settingsSelectors.changes(store.getState()), { rest_http_port: '9000' });
    assert.equal(settingsSelectors.valueOf('rest_http_port')(store.getState()), '9000');
  });

  test('an emptied port or boolean goes back to its default (null); an emptied string is sent as empty', () => {
    const store = createStudioStore();
    store.getState().settings.load(
      [
        { key: 'rest_http_port', value: '9000', default: '8081', description: 'HTTP port', type: 'port', restart: true },
        { key: 'rtmp_push_auto_start', value: 'true', default: 'false', description: 'auto push', type: 'boolean' },
        { key: 'rtmp_transponder_stream_name_prefix', value: 'rtmp_', default: 'rtmp_', description: 'prefix', type: 'string' },
      ],
      undefined,
    );
    store.getState().settings.edit('rest_http_port', '');
    store.getState().settings.edit('rtmp_push_auto_start', ' ');
    store.getState().settings.edit('rtmp_transponder_stream_name_prefix', '');
    assert.deepEqual(settingsSelectors.changes(store.getState()), {
      rest_http_port: null,
      rtmp_push_auto_start: null,
      rtmp_transponder_stream_name_prefix: '',
    });
  });

  test('an edit is checked against the bounds the host declared for the key', () => {
    const store = createStudioStore();
    store.getState().settings.load([{ key: 'rtmp_keyframe_interval_ms', value: '2000', default: '2000', description: 'keyframes', type: 'integer', min: 250, max: 60000 }], undefined);
    store.getState().settings.edit('rtmp_keyframe_interval_ms', '100');
    assert.equal(store.getState().settings.errors.rtmp_keyframe_interval_ms, 'rtmp_keyframe_interval_ms must be from 250 to 60000 milliseconds, got 100');
    assert.equal(settingsSelectors.canSave(store.getState()), false);
  });

  test('a 400 from the host marks the key it names', () => {
    const store = createStudioStore();
    store.getState().settings.load(ITEMS, undefined);
    store.getState().settings.setServerError('rtmp_push_auto_start_url', 'rtmp_push_auto_start_url: host does not resolve');
    assert.equal(store.getState().settings.errors.rtmp_push_auto_start_url, 'rtmp_push_auto_start_url: host does not resolve');
    assert.equal(store.getState().settings.saving, false);
  });
});

describe('publish and devices slices', () => {
  test('Go live is possible only with a session and a valid name, not while live', () => {
    const store = createStudioStore();
    assert.equal(publishSelectors.canGoLive(store.getState()), false);
    store.getState().host.setConnection('ESTABLISHED');
    assert.equal(publishSelectors.canGoLive(store.getState()), true);
    store.getState().publish.setStreamName('bad/name');
    assert.equal(publishSelectors.canGoLive(store.getState()), false);
    store.getState().publish.setStreamName('ok');
    store.getState().publish.setStatus('PUBLISHING');
    assert.equal(publishSelectors.canGoLive(store.getState()), false);
    assert.equal(publishSelectors.isLive(store.getState()), true);
  });

  test('a failure message stays until the next attempt starts', () => {
    const store = createStudioStore();
    store.getState().publish.setStatus('FAILED', 'FAILED_BY_MEDIA_ACCESS_DENIED');
    store.getState().publish.setError('camera denied');
    store.getState().publish.setStatus('UNPUBLISHED');
    assert.equal(store.getState().publish.error, 'camera denied');
    store.getState().publish.setStatus('PENDING');
    assert.equal(store.getState().publish.error, undefined);
  });

  test('unplugging the chosen camera falls back to another one; labels are filled in', () => {
    const store = createStudioStore();
    store.getState().devices.setDevices([
      { kind: 'videoinput', deviceId: 'c1', label: 'USB cam' },
      { kind: 'videoinput', deviceId: 'c2', label: '' },
      { kind: 'audioinput', deviceId: 'm1', label: 'Mic' },
    ]);
    store.getState().devices.selectCamera('c2');
    assert.equal(store.getState().devices.cameras[1]?.label, 'Camera 2');
    store.getState().devices.setDevices([{ kind: 'videoinput', deviceId: 'c1', label: 'USB cam' }]);
    assert.equal(store.getState().devices.cameraId, 'c1');
    assert.equal(store.getState().devices.microphoneId, undefined);
    store.getState().devices.setMicLevel(3);
    assert.equal(store.getState().devices.micLevel, 1);
  });
});
