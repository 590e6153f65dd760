// The answers the routes serialize from the contract schemas have pinned bytes: fastify's serializer writes a
// schema's `required` keys first, so the key order on the wire follows the contract's `required` lists, and a
// client that compares or hashes answers must see the same bytes from one version to the next.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src-main/rest/app.js';
import { fakeWorld, nullSource, type FakeWorld } from '../rest/fakes.js';

describe('answers keep their key order', () => {
  let world: FakeWorld;
  let app: FastifyInstance;

  before(async () => {
    world = fakeWorld();
    app = await buildApp(world.deps, { bodyLimit: 65536 });
    world.registry.publish('cam1', nullSource);
  });
  after(async () => {
    await app.close();
    world.cleanup();
  });

  test('the transponder object: the WCS keys first, then ours', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/rest-api/push/startup',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ streamName: 'cam1', rtmpUrl: 'rtmp://127.0.0.1/live', options: { action: 'mute' } }),
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(
      res.body,
      '{"mediaSessionId":"id1","streamName":"rtmp_cam1","rtmpUrl":"rtmp://127.0.0.1/live","muted":true,"soundEnabled":false,"status":"CONNECTING",' +
        '"sourceStreamName":"cam1","width":0,"height":0,"options":{"action":"mute"},' +
        '"stats":{"bitrateKbps":0,"fps":0,"droppedFrames":0,"uptimeMs":0,"reconnects":0,"queuedMs":0}}',
    );
  });

  test('host info: version and folders first, then the embedded server and the key storage', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/info' });
    assert.deepEqual(Object.keys(JSON.parse(res.body)), ['version', 'mediaDir', 'dataDir', 'localRtmpUrl', 'previewBaseUrl', 'secretStorage']);
  });
});
