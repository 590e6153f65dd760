// The layer options of `startup` (quality, maxBitrateKbps, maxHeight, adaptive) through the REST routes: passed
// through to the relay when valid, 400 naming the option when not, and the layer sent shown by find/find_all.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src-main/rest/app.js';
import { parseTargets } from '../../../src-main/config/targets.js';
import { fakeWorld, nullSource, type FakeWorld } from './fakes.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('startup options.quality / maxBitrateKbps / maxHeight / adaptive', () => {
  let world: FakeWorld;
  let app: FastifyInstance;
  const post = (method: string, body: unknown) =>
    app.inject({ method: 'POST', url: `/rest-api/push/${method}`, headers: JSON_HEADERS, payload: JSON.stringify(body) });

  before(async () => {
    world = fakeWorld();
    app = await buildApp(world.deps, { bodyLimit: 65536 });
    world.registry.publish('cam1', nullSource);
  });
  after(async () => {
    await app.close();
    world.cleanup();
  });

  test('valid choices reach the relay and are echoed in options', async () => {
    const choices = [{ quality: 'highest' }, { quality: 'medium' }, { quality: 'lowest', adaptive: true }, { maxBitrateKbps: 6000 }, { maxHeight: 720, adaptive: false }];
    for (const [i, options] of choices.entries()) {
      const res = await post('startup', { streamName: 'cam1', rtmpUrl: `rtmp://127.0.0.1/live${i}`, options });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().options, options);
    }
  });

  test('a bad value is 400 with a sentence naming the option', async () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ quality: 'best' }, /quality/],
      [{ quality: 3 }, /quality/],
      [{ maxBitrateKbps: 0 }, /maxBitrateKbps/],
      [{ maxBitrateKbps: 'fast' }, /maxBitrateKbps/],
      [{ maxBitrateKbps: 2.5 }, /maxBitrateKbps/],
      [{ maxHeight: -1 }, /maxHeight/],
      [{ adaptive: 'yes' }, /adaptive/],
    ];
    for (const [options, name] of bad) {
      const res = await post('startup', { streamName: 'cam1', rtmpUrl: 'rtmp://127.0.0.1/bad', options });
      assert.equal(res.statusCode, 400, `${JSON.stringify(options)} → ${res.body}`);
      assert.match(res.json().error, name, JSON.stringify(options));
    }
  });

  test('find and find_all carry the layer sent and the adaptive state; a transponder without them keeps the WCS shape', async () => {
    const res = await post('startup', { streamName: 'cam1', rtmpUrl: 'rtmp://127.0.0.1/shown', options: { quality: 'lowest', adaptive: true } });
    const id = res.json().mediaSessionId as string;
    const t = world.transponders.byId.get(id)!;
    world.transponders.byId.set(id, {
      ...t,
      width: 320,
      height: 180,
      layer: { rid: 'l', width: 320, height: 180, bitrateKbps: 310 },
      adaptive: { stepped: 'down', reason: 'congestion', stepsDown: 1 },
    });
    const [found] = (await post('find', { mediaSessionId: id })).json();
    assert.deepEqual(found.layer, { rid: 'l', width: 320, height: 180, bitrateKbps: 310 });
    assert.deepEqual(found.adaptive, { stepped: 'down', reason: 'congestion', stepsDown: 1 });
    assert.equal(found.width, 320);
    const all = (await app.inject({ method: 'GET', url: '/rest-api/push/find_all' })).json() as Record<string, unknown>[];
    assert.ok(all.some((x) => x.mediaSessionId === id && (x.layer as { rid: string }).rid === 'l'));
    const plain = all.find((x) => x.mediaSessionId !== id)!;
    assert.equal('layer' in plain, false);
    assert.equal('adaptive' in plain, false);
  });

  test('a saved target keeps the quality the streamer picked; a bad one is refused naming the field', () => {
    const base = { id: 't1', name: 'Twitch', kind: 'twitch', rtmpUrl: 'rtmp://live.twitch.tv/app', streamKey: 'k' };
    assert.deepEqual(parseTargets([{ ...base, quality: 'medium' }])[0], { ...base, quality: 'medium' });
    assert.deepEqual(parseTargets([base])[0], base);
    assert.throws(() => parseTargets([{ ...base, quality: 'best' }]), /targets\[0\]\.quality must be one of highest, medium, lowest/);
  });
});
