// Fuzzed JSON bodies on every push method: random values and byte-level mutations of valid bodies. Only
// 2xx/4xx answers, never a 500, and the app keeps serving. Seeded, so a failure replays.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../../src-main/rest/app.js';
import { fakeWorld, nullSource } from './fakes.js';
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

function randomValue(r: () => number, depth: number): unknown {
  const pick = Math.floor(r() * (depth > 3 ? 6 : 8));
  switch (pick) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return Math.floor((r() - 0.5) * 2 ** (r() * 64));
    case 3: case 4: case 5: return STRINGS[Math.floor(r() * STRINGS.length)];
    case 6: return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: return randomObject(r, depth + 1);
  }
}

function randomObject(r: () => number, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) o[KEYS[Math.floor(r() * KEYS.length)]!] = randomValue(r, depth);
  return o;
}

function mutate(r: () => number, text: string): string {
  const chars = [...text];
  const edits = 1 + Math.floor(r() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(r() * (chars.length + 1));
    const kind = r();
    if (kind < 0.33) chars.splice(at, 1);
    else if (kind < 0.66) chars.splice(at, 0, String.fromCharCode(Math.floor(r() * 128)));
    else chars.splice(at, 0, '{"[,:]}"\\'[Math.floor(r() * 9)]!);
  }
  return chars.join('');
}

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
      const payload = r() < 0.5 ? JSON.stringify(randomObject(r, 0)) : mutate(r, JSON.stringify(SEED_BODIES[Math.floor(r() * SEED_BODIES.length)]));
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
