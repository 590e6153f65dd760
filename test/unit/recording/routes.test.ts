// `/rest-api/recording/*` route logic without a port: the relay's real TransponderManager and
// RecordingManager on a stream that sends nothing (no media), so every refusal and the file's life without
// pictures are seen as a REST client sees them.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src-main/rest/app.js';
import { findFfmpeg, RecordingManager, TransponderManager } from '../../../src-relay/index.js';
import { recordingsDirOf } from '../../../src-main/recording/host.js';
import { fakeWorld, nullSource, type FakeWorld } from '../rest/fakes.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('/rest-api/recording/* (route logic)', () => {
  let world: FakeWorld;
  let app: FastifyInstance;
  let recordings: RecordingManager;
  let dir: string;
  const post = (method: string, body: unknown) =>
    app.inject({ method: 'POST', url: `/rest-api/recording/${method}`, headers: JSON_HEADERS, payload: JSON.stringify(body) });

  before(async () => {
    world = fakeWorld();
    dir = join(world.dataDir, 'recordings');
    const transponders = new TransponderManager(world.registry, () => ({ streamNamePrefix: '', fullUrl: false, keyframeIntervalMs: 2000 }));
    recordings = new RecordingManager(transponders, { dir: () => dir, ffmpeg: findFfmpeg });
    world.deps.recordings = recordings;
    app = await buildApp(world.deps, { bodyLimit: 65536 });
    world.registry.publish('cam', nullSource);
  });
  after(async () => {
    await recordings.stopAll();
    recordings.close();
    await app.close();
    world.cleanup();
  });

  test('startup without mediaSessionId or streamName is 400 naming both', async () => {
    const res = await post('startup', {});
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error, /mediaSessionId .*streamName/);
  });

  test('startup with an unknown mediaSessionId is 404 naming it; an unpublished stream is 404 naming it', async () => {
    const unknown = await post('startup', { mediaSessionId: 'nosuchtransponder' });
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.json().error, /transponder "nosuchtransponder" not found/);
    const ghost = await post('startup', { streamName: 'ghost' });
    assert.equal(ghost.statusCode, 404);
    assert.match(ghost.json().error, /stream "ghost" is not being published/);
  });

  test('wrong types and unknown recording ids are refused with a sentence', async () => {
    const typed = await post('startup', { streamName: 5 });
    assert.equal(typed.statusCode, 400);
    assert.match(typed.json().error, /streamName/);
    const terminate = await post('terminate', { recordingId: 'nope' });
    assert.equal(terminate.statusCode, 404);
    assert.match(terminate.json().error, /no recording with recordingId "nope"/);
    const missing = await post('terminate', {});
    assert.equal(missing.statusCode, 400);
    assert.match(missing.json().error, /recordingId/);
  });

  test('a recording of a stream writes <stream>-<date>-<time>.flv at once; stopping it without pictures keeps the FLV and says why', async () => {
    const empty = await app.inject({ method: 'GET', url: '/rest-api/recording/find_all' });
    assert.deepEqual(empty.json(), []);
    const res = await post('startup', { streamName: 'cam' });
    assert.equal(res.statusCode, 200, res.body);
    const r = res.json();
    assert.equal(r.status, 'RECORDING');
    assert.equal(r.streamName, 'cam');
    assert.match(r.file, /^cam-\d{8}-\d{6}\.flv$/);
    assert.ok(existsSync(join(dir, r.file)), 'the FLV exists from the start');
    const files = await app.inject({ method: 'GET', url: '/rest-api/recording/files' });
    assert.equal(files.json().dir, dir);
    assert.deepEqual(files.json().files.map((f: { name: string; recording: boolean }) => [f.name, f.recording]), [[r.file, true]]);

    const stopped = await post('terminate', { recordingId: r.recordingId });
    assert.equal(stopped.statusCode, 200, stopped.body);
    assert.equal(stopped.json().status, 'STOPPED');
    assert.match(stopped.json().info, /STOPPED_BY_REST_TERMINATE; the MP4 could not be made, the FLV is kept/);
    assert.deepEqual(readdirSync(dir), [r.file], 'no partial MP4 is left');
    const listed = await post('find_all', {});
    assert.equal(listed.json()[0].status, 'STOPPED');
  });

  test('a stream that ends ends its recordings', async () => {
    world.registry.publish('cam2', nullSource);
    const res = await post('startup', { streamName: 'cam2' });
    assert.equal(res.statusCode, 200);
    const ended = new Promise<void>((resolve) => recordings.on('changed', (r) => r.recordingId === res.json().recordingId && r.status !== 'RECORDING' && resolve()));
    world.registry.get('cam2')!.end('STOPPED_BY_PUBLISHER_STOP');
    await ended;
    const r = recordings.list().find((x) => x.recordingId === res.json().recordingId)!;
    assert.match(r.info ?? '', /^STOPPED_BY_STREAM_END/);
  });

  test('the host remuxes what a crash left; a file that is not FLV is kept', async () => {
    writeFileSync(join(dir, 'broken-20250101-000000.flv'), 'not an flv');
    writeFileSync(join(dir, 'x.mp4.part'), 'partial');
    const fresh = new RecordingManager({ recordingSource: () => { throw new Error('unused'); }, on: () => undefined, off: () => undefined }, { dir: () => dir, ffmpeg: findFfmpeg });
    await fresh.recoverLeftovers();
    assert.ok(existsSync(join(dir, 'broken-20250101-000000.flv')), 'kept');
    assert.ok(!existsSync(join(dir, 'x.mp4.part')), 'a partial MP4 is removed');
    assert.ok(!existsSync(join(dir, 'broken-20250101-000000.mp4')));
  });

  test('recordings_dir: empty is <data>/recordings, a relative path is under the data folder, an absolute one is kept', () => {
    assert.equal(recordingsDirOf('/data', ''), join('/data', 'recordings'));
    assert.equal(recordingsDirOf('/data', 'rec'), join('/data', 'rec'));
    assert.equal(recordingsDirOf('/data', '/mnt/videos'), '/mnt/videos');
  });
});
