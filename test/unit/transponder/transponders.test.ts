// TransponderManager's bookkeeping, without a server: targets on a closed local port keep the transponders
// CONNECTING/RECONNECTING, which is all the REST-facing rules need.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import { StreamRegistry } from '../../../src-relay/streams.js';
import { TransponderManager, newMediaSessionId } from '../../../src-relay/transponder/manager.js';
import type { FanoutEncoder, FanoutMixer } from '../../../src-relay/transponder/audio/fanout.js';
import type { AudioFrame, PcmChunk } from '../../../src-relay/media.js';
import type { TransponderJSON } from '../../../src-relay/transponder/service.js';

// Audio stand-ins: these tests never send PCM, so no encoder would start anyway.
const fanoutDeps = {
  createEncoder: (): FanoutEncoder =>
    Object.assign(new EventEmitter<{ frame: [AudioFrame]; error: [Error] }>(), { encode: () => undefined, close: () => undefined }),
  createMixer: (): FanoutMixer =>
    Object.assign(new EventEmitter<{ soundEnded: [] }>(), {
      muted: false,
      playSound: () => undefined,
      stopSound: () => undefined,
      process: (c: PcmChunk) => c,
    }),
};

/** A local port with nothing listening (bound then closed), so connecting fails fast with ECONNREFUSED. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

function setup() {
  const registry = new StreamRegistry();
  const stream = registry.publish('cam', { requestKeyframe: () => undefined, close: () => undefined, description: 'test' });
  const manager = new TransponderManager(registry, () => ({ streamNamePrefix: 'rtmp_', fullUrl: false, keyframeIntervalMs: 2000 }), fanoutDeps);
  const changed: TransponderJSON[] = [];
  const removed: TransponderJSON[] = [];
  manager.on('changed', (t) => changed.push(t));
  manager.on('removed', (t) => removed.push(t));
  return { registry, stream, manager, changed, removed };
}

describe('TransponderManager', () => {
  const managers: TransponderManager[] = [];
  after(async () => {
    for (const m of managers) await m.stopAll();
  });

  test('mediaSessionId is 26 characters of [a-z0-9], like WCS', () => {
    const ids = new Set(Array.from({ length: 200 }, newMediaSessionId));
    assert.equal(ids.size, 200);
    for (const id of ids) assert.match(id, /^[a-z0-9]{26}$/);
  });

  test('startup refuses an unknown stream (404), a bad URL (400) and a duplicate stream+rtmpUrl (409)', async () => {
    const { manager } = setup();
    managers.push(manager);
    const url = `rtmp://127.0.0.1:${await closedPort()}/live`;
    assert.throws(() => manager.startup({ streamName: 'nope', rtmpUrl: url }), { status: 404 });
    assert.throws(() => manager.startup({ streamName: 'cam', rtmpUrl: 'http://127.0.0.1/live' }), { status: 400 });
    assert.throws(() => manager.startup({ streamName: 'cam', rtmpUrl: '' }), { status: 400 });
    assert.throws(() => manager.startup({ streamName: 'cam', rtmpUrl: url, options: { audioCodec: 'mp3' as never } }), { status: 400 });
    const t = manager.startup({ streamName: 'cam', rtmpUrl: url });
    assert.equal(t.streamName, 'rtmp_cam');
    assert.equal(t.sourceStreamName, 'cam');
    assert.equal(t.rtmpUrl, url);
    assert.equal(t.status, 'CONNECTING');
    assert.throws(() => manager.startup({ streamName: 'cam', rtmpUrl: url }), { status: 409 });
    // another target for the same stream is fine
    manager.startup({ streamName: 'cam', rtmpUrl: `${url}2` });
    assert.equal(manager.list().length, 2);
  });

  test('find matches the source or published name, the rtmpUrl and the mediaSessionId, all given must match', async () => {
    const { manager } = setup();
    managers.push(manager);
    const url = `rtmp://127.0.0.1:${await closedPort()}/live`;
    const a = manager.startup({ streamName: 'cam', rtmpUrl: url });
    const b = manager.startup({ streamName: 'cam', rtmpUrl: `${url}/key`, rtmpTransponderFullUrl: true });
    assert.equal(b.streamName, 'key');
    assert.equal(manager.find({ streamName: 'cam' }).length, 2);
    assert.deepEqual(manager.find({ streamName: 'rtmp_cam' }).map((t) => t.mediaSessionId), [a.mediaSessionId]);
    assert.deepEqual(manager.find({ streamName: 'key' }).map((t) => t.mediaSessionId), [b.mediaSessionId]);
    assert.deepEqual(manager.find({ rtmpUrl: url, mediaSessionId: b.mediaSessionId }), []);
    assert.equal(manager.find({ mediaSessionId: a.mediaSessionId })[0]?.rtmpUrl, url);
  });

  test('options.action mute applies at creation; mute/unmute emit changed; unknown ids are 404', async () => {
    const { manager, changed } = setup();
    managers.push(manager);
    const t = manager.startup({ streamName: 'cam', rtmpUrl: `rtmp://127.0.0.1:${await closedPort()}/live`, options: { action: 'mute' } });
    assert.equal(t.muted, true);
    assert.deepEqual(t.options, { action: 'mute' });
    const before = changed.length;
    assert.equal(manager.setMuted(t.mediaSessionId, false).muted, false);
    assert.equal(changed.length, before + 1);
    assert.equal(changed.at(-1)?.muted, false);
    assert.throws(() => manager.setMuted('x'.repeat(26), true), { status: 404 });
    await assert.rejects(manager.terminate('x'.repeat(26)), { status: 404 });
    assert.throws(() => manager.soundOff('nope'), { status: 404 });
  });

  test('a target that refuses connections is retried: RECONNECTING with attempt and nextRetryAt', async () => {
    const { manager } = setup();
    managers.push(manager);
    const t = manager.startup({ streamName: 'cam', rtmpUrl: `rtmp://127.0.0.1:${await closedPort()}/live` });
    const deadline = Date.now() + 10_000;
    let now = manager.find({ mediaSessionId: t.mediaSessionId })[0]!;
    while (now.status !== 'RECONNECTING' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      now = manager.find({ mediaSessionId: t.mediaSessionId })[0]!;
    }
    assert.equal(now.status, 'RECONNECTING');
    assert.equal(now.stats.attempt, 1);
    assert.ok(now.stats.nextRetryAt! > Date.now() - 100 && now.stats.nextRetryAt! < Date.now() + 1200);
    assert.match(now.info ?? '', /NETWORK|CLOSED/);
  });

  test('terminate removes a transponder; the end of its stream removes all of them', async () => {
    const { manager, stream, removed } = setup();
    managers.push(manager);
    const url = `rtmp://127.0.0.1:${await closedPort()}/live`;
    const a = manager.startup({ streamName: 'cam', rtmpUrl: url });
    manager.startup({ streamName: 'cam', rtmpUrl: `${url}2` });
    manager.startup({ streamName: 'cam', rtmpUrl: `${url}3` });
    await manager.terminate(a.mediaSessionId);
    assert.equal(removed.length, 1);
    assert.equal(removed[0]?.status, 'STOPPED');
    assert.equal(removed[0]?.info, 'STOPPED_BY_REST_TERMINATE');
    assert.equal(manager.list().length, 2);
    stream.end('STOPPED_BY_PUBLISHER_STOP');
    const deadline = Date.now() + 5000;
    while (manager.list().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(manager.list(), []);
    assert.equal(removed.length, 3);
    assert.ok(removed.slice(1).every((t) => t.status === 'STOPPED' && t.info === 'STOPPED_BY_PUBLISHER_STOP'));
  });

  test('stats come once a second with every transponder', async () => {
    const { manager } = setup();
    managers.push(manager);
    manager.startup({ streamName: 'cam', rtmpUrl: `rtmp://127.0.0.1:${await closedPort()}/live` });
    const [all] = (await new Promise((resolve) => manager.once('stats', (...args) => resolve(args)))) as [TransponderJSON[]];
    assert.equal(all.length, 1);
    assert.equal(typeof all[0]!.stats.bitrateKbps, 'number');
    await manager.stopAll();
    assert.deepEqual(manager.list(), []);
  });
});
