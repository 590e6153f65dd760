// Fuzzed JSON bodies on every push method: random values and byte-level mutations of valid bodies. Only
// 2xx/4xx answers, never a 500, and the app keeps serving. Seeded, so a failure replays.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../../src-main/rest/app.js';
import { fakeWorld, nullSource } from './fakes.js';
import { mutateText, randomJsonObject } from '../../helpers/fuzz.js';
import { mulberry32 } from '../../helpers/prng.js';

const METHODS = ['startup', 'find', 'find_all', 'terminate', 'mute', 'unmute', 'sound_on', 'sound_off'];
const KEYS = ['streamName', 'rtmpUrl', 'options', 'mediaSessionId', 'soundFile', 'loop', 'action', 'audioCodec', 'rtmpTransponderFullUrl', 'rtmpFlashVersion', '__proto__', 'constructor', 'prototype'];
const STRINGS = ['', 'cam', 'rtmp://127.0.0.1/live', 'rtmps://a.rtmps.youtube.com:443/live2', 'rtmp://x.invalid/a', '../../etc/passwd', 'tone.wav', 'sound_on', 'mute', 'aac', '\u0000', '\ud800', 'x'.repeat(3000), 'rtmp://[::1]:1935/live/?a=b'];
const SEED_BODIES = [
  { streamName: 'cam', rtmpUrl: 'rtmp://127.0.0.1/live' },
  { streamName: 'cam', rtmpUrl: 'rtmp://127.0.0.1/live', options: { action: 'sound_on', soundFile: 'tone.wav', loop: true } },
  { mediaSessionId: 'id1', soundFile: 'tone.wav', loop: false },
  { mediaSessionId: 'id1' },
];

describe('fuzzed JSON bodies', async () => {
  const world = fakeWorld();
  const app = await buildApp(world.deps, { bodyLimit: 65536 });
  world.registry.publish('cam', nullSource);
  after(async () => {
    await app.close();
    world.cleanup();
  });

  test('3000 random and mutated bodies: never a 500, always {"error"} on refusal', async () => {
    const r = mulberry32(0xca57b1d6);
    const counts: Record<number, number> = {};
    for (let i = 0; i < 3000; i++) {
      const method = METHODS[Math.floor(r() * METHODS.length)]!;
      const payload = r() < 0.5 ? JSON.stringify(randomJsonObject(r, { keys: KEYS, strings: STRINGS })) : mutateText(r, JSON.stringify(SEED_BODIES[Math.floor(r() * SEED_BODIES.length)]));
      const res = await app.inject({ method: 'POST', url: `/rest-api/push/${method}`, headers: { 'content-type': 'application/json' }, payload });
      counts[res.statusCode] = (counts[res.statusCode] ?? 0) + 1;
      assert.ok(res.statusCode < 500, `#${i} ${method} ${payload.slice(0, 120)} → ${res.statusCode} ${res.body.slice(0, 200)}`);
      if (res.statusCode >= 400) assert.equal(typeof res.json().error, 'string', `#${i} error body`);
    }
    assert.ok((counts[400] ?? 0) > 100, `plenty of 400s: ${JSON.stringify(counts)}`);
    const alive = await app.inject({ method: 'GET', url: '/api/info' });
    assert.equal(alive.statusCode, 200, 'still serving');
  });
});
