// The studio store's actions against the real host routes (fastify on a free port, the REST client the
// studio uses): what the streamer sees after saving settings and targets, acting on a transponder, adding a
// sound, opening a token-protected host or reconnecting. Capture is a browser API: its adapter is faked.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src-main/rest/app.js';
import type { TransponderJSON } from '../../../src-renderer/sdk/protocol.js';
import { createApi } from '../../../src-renderer/services/api.js';
import type { StudioServices } from '../../../src-renderer/services/index.js';
import { LOCAL_TARGET_ID } from '../../../src-renderer/store/presets.js';
import { createStudioStore, type StudioStore } from '../../../src-renderer/store/studio-store.js';
import { freePort } from '../../helpers/servers.js';
import { fakeWorld, nullSource, type FakeWorld } from '../rest/fakes.js';

const LOCAL_RTMP = 'rtmp://127.0.0.1:1935/live';

/** A mono 16-bit PCM WAV of `samples` silent samples (RIFF/WAVE, fmt + data chunks). */
function silentWav(samples: number, rate = 8000): Buffer {
  const data = samples * 2;
  const b = Buffer.alloc(44 + data);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(36 + data, 4);
  b.write('WAVEfmt ', 8, 'ascii');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(data, 40);
  return b;
}

interface FakeMedia {
  id: string;
  stopped: boolean;
}

/** Captures that open when the test says so, to order two preview restarts. */
function fakeCapture() {
  const pending: Array<{ media: FakeMedia; open: () => void }> = [];
  const stopped: string[] = [];
  let n = 0;
  const capture: StudioServices['capture'] = {
    open: () =>
      new Promise<MediaStream>((resolve) => {
        const media = { id: `capture-${++n}`, stopped: false, getVideoTracks: () => [], getAudioTracks: () => [], getTracks: () => [] };
        pending.push({ media, open: () => resolve(media as unknown as MediaStream) });
      }),
    stop: (media) => {
      if (media) stopped.push((media as unknown as FakeMedia).id);
    },
    listDevices: async () => [{ kind: 'videoinput', deviceId: 'c1', label: 'USB cam' }],
    meter: (_media, onLevel) => {
      onLevel(0.5);
      return () => onLevel(0);
    },
    onDeviceChange: () => undefined,
  };
  return { capture, pending, stopped };
}

function servicesFor(baseUrl: string, token?: string, capture = fakeCapture().capture): StudioServices {
  return {
    api: createApi(baseUrl),
    capture,
    openSession: () => {
      throw new Error('these tests open no WebSocket session');
    },
    token: { stored: () => token, unlock: () => undefined },
    desktopInfo: () => undefined,
    reconnectDelayMs: 10,
  };
}

function transponder(fields: Partial<TransponderJSON>): TransponderJSON {
  return {
    mediaSessionId: 'gone',
    streamName: 'rtmp_studio',
    sourceStreamName: 'studio',
    rtmpUrl: LOCAL_RTMP,
    width: 1280,
    height: 720,
    muted: false,
    soundEnabled: false,
    options: {},
    status: 'PUBLISHING',
    stats: { bitrateKbps: 0, fps: 0, droppedFrames: 0, uptimeMs: 0, reconnects: 0, queuedMs: 0 },
    ...fields,
  };
}

async function startHost(policy: Parameters<typeof fakeWorld>[0] = {}): Promise<{ world: FakeWorld; app: FastifyInstance; baseUrl: string }> {
  const port = await freePort();
  const world = fakeWorld({ ports: () => ({ http: port }), ...policy });
  const info = world.deps.info();
  world.deps.info = () => ({ ...info, localRtmpUrl: LOCAL_RTMP, previewBaseUrl: 'http://127.0.0.1:8088/live' });
  const app = await buildApp(world.deps, { bodyLimit: 1 << 20 });
  await app.listen({ port, host: '127.0.0.1' });
  return { world, app, baseUrl: `http://127.0.0.1:${port}` };
}

describe('studio actions against the host', () => {
  let world: FakeWorld;
  let app: FastifyInstance;
  let baseUrl: string;
  let store: StudioStore;

  before(async () => {
    ({ world, app, baseUrl } = await startHost());
    store = createStudioStore({ services: servicesFor(baseUrl) });
  });
  after(async () => {
    await app.close();
    world.cleanup();
  });

  test('a setting the host refuses is marked by the key the host names, not by words in its sentence', async () => {
    await store.getState().settings.fetch();
    assert.ok(store.getState().settings.items.length > 10, 'every setting is listed');
    // "rtmp_push_auto_start" is part of "rtmp_push_auto_start_url": only the key the host sends is marked.
    store.getState().settings.edit('rtmp_push_auto_start', 'true');
    store.getState().settings.edit('rtmp_push_auto_start_url', 'http://example.com/live');
    await store.getState().settings.save();
    const s = store.getState().settings;
    assert.match(s.errors.rtmp_push_auto_start_url ?? '', /^setting "rtmp_push_auto_start_url": /);
    assert.equal(s.errors.rtmp_push_auto_start, undefined, 'the other changed key is not blamed');
    assert.equal(s.notice, s.errors.rtmp_push_auto_start_url);
    assert.equal(s.saving, false);
  });

  test('saved settings come back from the host, with the restart notice for the keys that need one', async () => {
    const fresh = createStudioStore({ services: servicesFor(baseUrl) });
    await fresh.getState().settings.fetch();
    fresh.getState().settings.edit('rtmp_keyframe_interval_ms', '1000');
    fresh.getState().settings.edit('rest_https_port', '9443');
    await fresh.getState().settings.save();
    const s = fresh.getState().settings;
    assert.equal(s.items.find((i) => i.key === 'rtmp_keyframe_interval_ms')?.value, '1000');
    assert.deepEqual(s.drafts, {});
    assert.equal(s.notice, 'Saved. Restart Castbridge for rest_https_port to take effect.');
  });

  test('targets: the local target is added and selected, a saved target survives a reload, a deleted one is gone', async () => {
    await store.getState().host.resync();
    await store.getState().targets.fetch();
    assert.deepEqual(store.getState().targets.selectedIds, [LOCAL_TARGET_ID]);
    const target = { id: 't1', name: 'My server', kind: 'custom' as const, rtmpUrl: 'rtmp://example.com/app', streamKey: 'k-123' };
    await store.getState().targets.save(target);
    assert.equal(store.getState().targets.error, undefined);
    const reloaded = createStudioStore({ services: servicesFor(baseUrl) });
    await reloaded.getState().targets.fetch();
    assert.deepEqual(
      reloaded.getState().targets.list.map((t) => t.name),
      ['My server'],
    );
    await store.getState().targets.delete('t1');
    await reloaded.getState().targets.fetch();
    assert.deepEqual(reloaded.getState().targets.list, []);
  });

  test('a target the host refuses to save shows why', async () => {
    await store.getState().targets.save({ id: 't2', name: 'Bad', kind: 'custom', rtmpUrl: 'http://example.com/app', streamKey: '' });
    assert.match(store.getState().targets.error ?? '', /^Targets could not be saved: /);
  });

  test('a transponder action the host refuses shows on its card; the next one that works clears it', async () => {
    world.registry.publish('studio', nullSource);
    const created = await createApi(baseUrl).push.startup({ streamName: 'studio', rtmpUrl: LOCAL_RTMP });
    store.getState().transponders.apply({ type: 'transponder', transponder: created });
    store.getState().transponders.apply({ type: 'transponder', transponder: transponder({ mediaSessionId: 'gone' }) });
    await store.getState().transponders.terminate('gone');
    assert.match(store.getState().transponders.byId.gone?.actionError ?? '', /no transponder with mediaSessionId "gone"/);
    await store.getState().transponders.mute(created.mediaSessionId, true);
    assert.equal(store.getState().transponders.byId[created.mediaSessionId]?.actionError, undefined);
    assert.equal(world.transponders.list()[0]?.muted, true, 'the host muted it');
  });

  test('after a reconnect, cards the host no longer has are ended and its info is read again', async () => {
    const fresh = createStudioStore({ services: servicesFor(baseUrl) });
    fresh.getState().transponders.apply({ type: 'transponder', transponder: transponder({ mediaSessionId: 'before-restart' }) });
    await fresh.getState().host.resync();
    const card = fresh.getState().transponders.byId['before-restart'];
    assert.equal(card?.removed, true);
    assert.equal(card?.transponder.status, 'STOPPED');
    assert.equal(fresh.getState().host.info?.previewBaseUrl, 'http://127.0.0.1:8088/live');
  });

  test('sounds: the media folder is listed; a WAV is added, a file that is not one is refused with the reason', async () => {
    await store.getState().media.load();
    assert.deepEqual(store.getState().media.files, []);
    const refusal = await store.getState().media.upload(new File(['not a wav'], 'noise.wav'));
    assert.ok(refusal, 'a refusal');
    assert.deepEqual(store.getState().media.files, []);
    assert.equal(await store.getState().media.upload(new File([new Uint8Array(silentWav(8000))], 'beep.wav')), undefined);
    assert.deepEqual(
      store.getState().media.files.map((f) => [f.name, f.durationMs]),
      [['beep.wav', 1000]],
    );
    assert.equal(store.getState().media.error, undefined);
  });
});

describe('studio actions on a host with rest_auth_token', () => {
  test('without the token the studio asks for it; with a wrong one it says the token was not accepted', async () => {
    const { world, app, baseUrl } = await startHost({ token: 'tok-abcdef' });
    try {
      const none = createStudioStore({ services: servicesFor(baseUrl) });
      await none.getState().host.start();
      assert.equal(none.getState().host.connection, 'TOKEN_NEEDED');
      assert.equal(none.getState().host.tokenRefused, false);
      const wrong = createStudioStore({ services: servicesFor(baseUrl, 'tok-wrong') });
      await wrong.getState().host.start();
      assert.equal(wrong.getState().host.connection, 'TOKEN_NEEDED');
      assert.equal(wrong.getState().host.tokenRefused, true);
      // With the right token the studio opens: the session is opened with it, settings and targets load.
      const cam = fakeCapture();
      const services = servicesFor(baseUrl, 'tok-abcdef', cam.capture);
      const sessionTokens: Array<string | undefined> = [];
      services.openSession = (accessToken) => {
        sessionTokens.push(accessToken);
        const session = { on: () => session };
        return session as unknown as ReturnType<StudioServices['openSession']>;
      };
      const right = createStudioStore({ services });
      const opening = right.getState().host.start();
      while (cam.pending.length === 0) await new Promise((resolve) => setImmediate(resolve));
      cam.pending[0]?.open();
      await opening;
      assert.equal(right.getState().host.connection, 'CONNECTING');
      assert.deepEqual(sessionTokens, ['tok-abcdef']);
      assert.equal(right.getState().host.info?.localRtmpUrl, LOCAL_RTMP);
      assert.ok(right.getState().settings.items.length > 10, 'the token opens the API');
      assert.deepEqual(right.getState().targets.selectedIds, [LOCAL_TARGET_ID]);
      assert.equal(right.getState().devices.previewLive, true);
    } finally {
      await app.close();
      world.cleanup();
    }
  });
});

describe('preview and go live', () => {
  test('of two preview restarts, only the latest capture is kept; the older one is stopped, not shown', async () => {
    const cam = fakeCapture();
    const store = createStudioStore({ services: servicesFor('http://127.0.0.1:9', undefined, cam.capture) });
    const first = store.getState().devices.restartPreview();
    const second = store.getState().devices.restartPreview();
    cam.pending[1]?.open();
    await second;
    cam.pending[0]?.open();
    await first;
    const d = store.getState().devices;
    assert.equal((d.preview as unknown as FakeMedia | undefined)?.id, 'capture-2');
    assert.ok(cam.stopped.includes('capture-1'), 'the late first capture is stopped');
    assert.equal(d.previewLive, true);
    assert.equal(d.micLevel, 0.5, 'the meter runs on the kept capture');
    assert.deepEqual(
      d.cameras.map((c) => c.label),
      ['USB cam'],
    );
  });

  test('the preview is not restarted while live', async () => {
    const cam = fakeCapture();
    const store = createStudioStore({ services: servicesFor('http://127.0.0.1:9', undefined, cam.capture) });
    store.getState().publish.setStatus('PUBLISHING');
    await store.getState().devices.restartPreview();
    assert.equal(cam.pending.length, 0);
  });

  test('Go live before the relay session is up says to wait', async () => {
    const store = createStudioStore({ services: servicesFor('http://127.0.0.1:9') });
    await store.getState().publish.goLive();
    assert.equal(store.getState().publish.error, 'Castbridge is still connecting to its relay. Wait a second and try again.');
  });
});
