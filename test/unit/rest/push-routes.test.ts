// Route logic of the WCS push API with an in-memory TransponderService (no port, no media): every method,
// every status, the error body shape, and bodies that must be refused.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { encodeWav } from '../../../src-relay/codec/audio/wav.js';
import { buildApp } from '../../../src-main/rest/app.js';
import { fakeWorld, nullSource, type FakeWorld } from './fakes.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('POST /rest-api/push/* (route logic)', () => {
  let world: FakeWorld;
  let app: FastifyInstance;
  const post = (method: string, body: unknown) =>
    app.inject({ method: 'POST', url: `/rest-api/push/${method}`, headers: JSON_HEADERS, payload: JSON.stringify(body) });

  before(async () => {
    world = fakeWorld();
    app = await buildApp(world.deps, { bodyLimit: 65536 });
    world.registry.publish('cam1', nullSource);
    const tone = new Int16Array(4800).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 48000)));
    writeFileSync(join(world.mediaDir, 'tone.wav'), encodeWav(tone, 48000, 1, 16));
    writeFileSync(join(world.mediaDir, 'notwav.wav'), 'this is not a RIFF file');
    writeFileSync(join(world.dataDir, 'outside.wav'), encodeWav(tone, 48000, 1, 16));
    symlinkSync(join(world.dataDir, 'outside.wav'), join(world.mediaDir, 'escape.wav'));
  });
  after(async () => {
    await app.close();
    world.cleanup();
  });

  test('startup answers 200 with the transponder object, then 409 for the same stream and rtmpUrl', async () => {
    const res = await post('startup', { streamName: 'cam1', rtmpUrl: 'rtmp://127.0.0.1:1935/live' });
    assert.equal(res.statusCode, 200, res.body);
    const t = res.json();
    for (const key of ['mediaSessionId', 'streamName', 'rtmpUrl', 'width', 'height', 'muted', 'soundEnabled', 'options', 'status']) {
      assert.ok(key in t, `transponder has ${key}`);
    }
    const again = await post('startup', { streamName: 'cam1', rtmpUrl: 'rtmp://127.0.0.1:1935/live' });
    assert.equal(again.statusCode, 409);
    assert.equal(typeof again.json().error, 'string');
  });

  test('startup refuses an unknown stream (404) and bad bodies (400) with {"error"}', async () => {
    assert.equal((await post('startup', { streamName: 'nope', rtmpUrl: 'rtmp://127.0.0.1/live' })).statusCode, 404);
    const bad = [
      {},
      { streamName: 'cam1' },
      { streamName: 5, rtmpUrl: 'rtmp://127.0.0.1/live' },
      { streamName: 'cam1', rtmpUrl: 'http://127.0.0.1/live' },
      { streamName: 'cam1', rtmpUrl: 'not a url' },
      { streamName: 'cam1', rtmpUrl: 'rtmp://nowhere.invalid/live' },
      { streamName: 'cam1', rtmpUrl: 'rtmp://127.0.0.1/live', options: { action: 'explode' } },
      { streamName: 'cam1', rtmpUrl: 'rtmp://127.0.0.1/live', options: { audioCodec: 'mp3' } },
      { streamName: 'cam1', rtmpUrl: 'rtmp://127.0.0.1/live', rtmpTransponderFullUrl: 'yes' },
      { streamName: 'cam1', rtmpUrl: 'rtmp://127.0.0.1/live2', options: { action: 'sound_on' } },
      [1, 2],
      // A bad body is 400 even when the stream does not exist either: the request is wrong before it is unlucky.
      { streamName: 'nope', rtmpUrl: 'http://127.0.0.1/live' },
    ];
    for (const body of bad) {
      const res = await post('startup', body);
      assert.equal(res.statusCode, 400, `${JSON.stringify(body)} → ${res.body}`);
      assert.match(res.json().error, /\w/);
    }
  });

  test('startup passes options, full-url and flash version through, and loads the sound of sound_on', async () => {
    const res = await post('startup', {
      streamName: 'cam1',
      rtmpUrl: 'rtmp://127.0.0.1/opts',
      options: { action: 'sound_on', soundFile: 'tone.wav', loop: true, audioCodec: 'pcma' },
      rtmpTransponderFullUrl: true,
      rtmpFlashVersion: 'FMLE/3.0',
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().soundEnabled, true);
    assert.equal(res.json().options.audioCodec, 'pcma');
    assert.equal(world.transponders.lastSound?.name, 'tone.wav');
    assert.equal(world.transponders.lastSound?.samples.length, 4800 * 2, '0.1 s at 48 kHz stereo');
    const missing = await post('startup', { streamName: 'cam1', rtmpUrl: 'rtmp://127.0.0.1/x', options: { action: 'sound_on', soundFile: 'gone.wav' } });
    assert.equal(missing.statusCode, 404);
  });

  test('find matches the source name, the prefixed name, the rtmpUrl and the mediaSessionId; 404 when none', async () => {
    const [t] = (await post('find', { streamName: 'cam1', rtmpUrl: 'rtmp://127.0.0.1:1935/live' })).json();
    for (const query of [{ streamName: 'cam1' }, { streamName: 'rtmp_cam1' }, { rtmpUrl: t.rtmpUrl }, { mediaSessionId: t.mediaSessionId }]) {
      const res = await post('find', query);
      assert.equal(res.statusCode, 200, JSON.stringify(query));
      assert.ok(res.json().some((x: { mediaSessionId: string }) => x.mediaSessionId === t.mediaSessionId));
    }
    assert.equal((await post('find', { mediaSessionId: 'nothing' })).statusCode, 404);
    assert.equal((await post('find', {})).statusCode, 400);
    assert.equal((await post('find', { streamName: 7 })).statusCode, 400);
  });

  test('find_all lists every transponder, with or without a body', async () => {
    const res = await app.inject({ method: 'POST', url: '/rest-api/push/find_all' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().length, world.transponders.list().length);
    assert.equal((await post('find_all', {})).statusCode, 200);
  });

  test('find_all answers the body-less GET of the official WCS REST client', async () => {
    const res = await app.inject({ method: 'GET', url: '/rest-api/push/find_all' });
    assert.equal(res.statusCode, 200, res.body);
    assert.ok(Array.isArray(res.json()) && res.json().length > 0);
    assert.match(String(res.headers['content-type']), /^application\/json/);
  });

  test('any charset parameter on application/json is accepted, as WCS clients send it', async () => {
    for (const type of ['application/json;charset=UTF-8', 'application/json; charset=utf-8', 'Application/JSON; Charset="UTF-8"', 'application/json;charset=ISO-8859-1']) {
      const res = await app.inject({ method: 'POST', url: '/rest-api/push/find_all', headers: { 'content-type': type }, payload: '{}' });
      assert.equal(res.statusCode, 200, `${type}: ${res.body}`);
      const found = await app.inject({ method: 'POST', url: '/rest-api/push/find', headers: { 'content-type': type }, payload: JSON.stringify({ streamName: 'cam1' }) });
      assert.equal(found.statusCode, 200, `${type}: ${found.body}`);
    }
  });

  test('mute, unmute, sound_on, sound_off act on the transponder and 404 an unknown one', async () => {
    const [t] = (await post('find', { rtmpUrl: 'rtmp://127.0.0.1:1935/live' })).json();
    const id = t.mediaSessionId;
    assert.equal((await post('mute', { mediaSessionId: id })).json().muted, true);
    assert.equal((await post('unmute', { mediaSessionId: id })).json().muted, false);
    const on = await post('sound_on', { mediaSessionId: id, soundFile: 'tone.wav', loop: true });
    assert.equal(on.statusCode, 200, on.body);
    assert.equal(on.json().soundEnabled, true);
    assert.equal((await post('sound_off', { mediaSessionId: id })).json().soundEnabled, false);
    for (const method of ['mute', 'unmute', 'sound_off', 'terminate']) {
      assert.equal((await post(method, { mediaSessionId: 'unknown' })).statusCode, 404, method);
      assert.equal((await post(method, {})).statusCode, 400, method);
    }
    assert.equal((await post('sound_on', { mediaSessionId: 'unknown', soundFile: 'tone.wav' })).statusCode, 404);
  });

  test('sound_on refuses paths (400), missing files (404), links out of the folder (400) and non-WAV files (400)', async () => {
    const [t] = (await post('find', { rtmpUrl: 'rtmp://127.0.0.1:1935/live' })).json();
    const cases: Array<[string, number]> = [
      ['../outside.wav', 400],
      ['/etc/passwd', 400],
      ['..', 400],
      ['sub\\x.wav', 400],
      ['escape.wav', 400],
      ['gone.wav', 404],
      ['notwav.wav', 400],
    ];
    for (const [soundFile, status] of cases) {
      const res = await post('sound_on', { mediaSessionId: t.mediaSessionId, soundFile });
      assert.equal(res.statusCode, status, `${soundFile} → ${res.body}`);
      assert.equal(typeof res.json().error, 'string');
    }
  });

  test('terminate answers 200 and the transponder is gone', async () => {
    const [t] = (await post('find', { rtmpUrl: 'rtmp://127.0.0.1/opts' })).json();
    const res = await post('terminate', { mediaSessionId: t.mediaSessionId });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().status, 'STOPPED');
    assert.equal((await post('find', { mediaSessionId: t.mediaSessionId })).statusCode, 404);
  });

  test('bodies that are not JSON get 415, broken JSON 400, oversized 413', async () => {
    const url = '/rest-api/push/startup';
    const sdp = await app.inject({ method: 'POST', url, headers: { 'content-type': 'text/plain' }, payload: 'streamName=cam1' });
    assert.equal(sdp.statusCode, 415);
    assert.match(sdp.json().error, /application\/json/);
    const form = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=b' });
    assert.equal(form.statusCode, 415);
    assert.equal((await app.inject({ method: 'POST', url, headers: JSON_HEADERS, payload: '{"streamName":' })).statusCode, 400);
    assert.equal((await app.inject({ method: 'POST', url, headers: JSON_HEADERS, payload: '' })).statusCode, 400);
    const big = await app.inject({ method: 'POST', url, headers: JSON_HEADERS, payload: JSON.stringify({ streamName: 'x'.repeat(70_000) }) });
    assert.equal(big.statusCode, 413);
    assert.equal(typeof big.json().error, 'string');
  });

  test('__proto__ and constructor keys and deep nesting are refused or ignored, never a 500', async () => {
    const bodies = [
      '{"__proto__":{"polluted":1},"streamName":"cam1","rtmpUrl":"rtmp://127.0.0.1/p"}',
      '{"constructor":{"prototype":{"polluted":1}},"mediaSessionId":"x"}',
      `{"streamName":"cam1","rtmpUrl":"rtmp://127.0.0.1/deep","options":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
      `${'['.repeat(20000)}${']'.repeat(20000)}`,
    ];
    for (const payload of bodies) {
      const res = await app.inject({ method: 'POST', url: '/rest-api/push/startup', headers: JSON_HEADERS, payload });
      assert.ok(res.statusCode >= 200 && res.statusCode < 500, `${payload.slice(0, 40)} → ${res.statusCode}`);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
