// The studio's routes beside the WCS API (docs/PROTOCOL.md): settings read and saved with comments kept,
// WAV uploads checked and listed with their duration, saved targets, host info; and logs that never carry
// a stream key or password.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { encodeWav } from '../../../src-relay/codec/audio/wav.js';
import { formatLogLine } from '../../../src-relay/log.js';
import { buildApp } from '../../../src-main/rest/app.js';
import { decodeSound, durationMs } from '../../../src-main/rest/sounds.js';
import { fakeWorld, nullSource, type FakeWorld } from './fakes.js';

describe('studio routes', () => {
  let world: FakeWorld;
  let app: FastifyInstance;
  const lines: string[] = [];
  const json = (method: 'PUT' | 'POST', url: string, body: unknown) =>
    app.inject({ method, url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });

  before(async () => {
    world = fakeWorld();
    world.deps.log = (event, fields) => lines.push(formatLogLine(event, fields));
    app = await buildApp(world.deps, { bodyLimit: 65536 });
  });
  after(async () => {
    await app.close();
    world.cleanup();
  });

  test('GET/PUT /api/settings: every key with default and description; a bad value names the key; comments kept', async () => {
    const got = await app.inject({ method: 'GET', url: '/api/settings' });
    assert.equal(got.statusCode, 200);
    const prefix = got.json().settings.find((s: { key: string }) => s.key === 'rtmp_transponder_stream_name_prefix');
    assert.equal(prefix.default, 'rtmp_');
    assert.match(prefix.description, /prefix/i);
    const bad = await json('PUT', '/api/settings', { rtmp_keyframe_interval_ms: 'often' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error, /rtmp_keyframe_interval_ms/);
    assert.equal(bad.json().key, 'rtmp_keyframe_interval_ms', 'the refused key as a field, for the studio to mark');
    const ok = await json('PUT', '/api/settings', { rtmp_transponder_full_url: true });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json().settings.find((s: { key: string }) => s.key === 'rtmp_transponder_full_url').value, 'true');
    assert.match(readFileSync(world.deps.settings.file, 'utf8'), /^# Castbridge settings/);
    // What the studio sends for an emptied number field: null goes back to the default, "" is refused.
    const valueOf = (res: { json(): { settings: Array<{ key: string; value: string }> } }) => res.json().settings.find((s) => s.key === 'rtmp_keyframe_interval_ms')?.value;
    assert.equal(valueOf(await json('PUT', '/api/settings', { rtmp_keyframe_interval_ms: 500 })), '500');
    assert.equal((await json('PUT', '/api/settings', { rtmp_keyframe_interval_ms: '' })).statusCode, 400);
    assert.equal(valueOf(await json('PUT', '/api/settings', { rtmp_keyframe_interval_ms: null })), '2000');
    // The relay cannot schedule keyframe requests closer than 250 ms: refused here, bounds shown to the panel.
    const zero = await json('PUT', '/api/settings', { rtmp_keyframe_interval_ms: 0 });
    assert.equal(zero.statusCode, 400);
    assert.match(zero.json().error, /rtmp_keyframe_interval_ms must be an integer 250–60000, got 0/);
    const view = got.json().settings.find((s: { key: string }) => s.key === 'rtmp_keyframe_interval_ms');
    assert.deepEqual([view.min, view.max], [250, 60000]);
  });

  test('PUT /api/media/<name>.wav adds a readable WAV, refuses others; GET lists durations', async () => {
    const wav = encodeWav(new Int16Array(22050), 22050, 1, 16);
    const put = (name: string, payload: Buffer, type = 'audio/wav') => app.inject({ method: 'PUT', url: `/api/media/${name}`, headers: { 'content-type': type }, payload });
    const added = await put('half.wav', wav);
    assert.equal(added.statusCode, 200, added.body);
    const listed = (await app.inject({ method: 'GET', url: '/api/media' })).json().files;
    assert.deepEqual(listed.map((f: { name: string; durationMs: number }) => [f.name, f.durationMs]), [['half.wav', 1000]]);
    assert.equal((await put('junk.wav', Buffer.from('junk'))).statusCode, 400);
    assert.equal((await put('x.mp3', wav)).statusCode, 400);
    assert.equal((await put('%2e%2e%2fup.wav', wav)).statusCode, 400);
    assert.equal((await put('half.wav', wav, 'application/json')).statusCode, 415);
  });

  test('GET /api/media reads durations from the header: a long file, one cut short, one with a LIST chunk, one too long', async () => {
    const dir = world.mediaDir;
    mkdirSync(dir, { recursive: true });
    /** A header-only WAV of `frames` declared frames, the file holding `present` of them (sparse zeros). */
    const sized = (name: string, rate: number, frames: number, present = frames) => {
      const header = encodeWav(new Int16Array(2), rate, 1, 8).subarray(0, 44); // canonical: data body at 44
      header.writeUInt32LE(36 + frames, 4);
      header.writeUInt32LE(frames, 40);
      const path = join(dir, name);
      writeFileSync(path, header);
      truncateSync(path, 44 + present);
    };
    sized('long.wav', 48_000, 599 * 48_000); // 599 s, 28.8 MB: decoding it would resample 57 M samples
    sized('cut.wav', 8000, 10 * 8000, 2 * 8000); // a recording cut short: 2 s present of 10 declared
    sized('too-long.wav', 1000, 601 * 1000);
    // A LIST chunk (odd size: a pad byte follows) before `data`; 24-bit stereo at 22050 Hz, 0.5 s.
    const plain = encodeWav(new Int16Array(22050), 22050, 2, 24);
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([5, 0, 0, 0]), Buffer.from('INFOx'), Buffer.from([0])]);
    const listed = Buffer.concat([plain.subarray(0, 36), list, plain.subarray(36)]);
    listed.writeUInt32LE(listed.length - 8, 4);
    writeFileSync(join(dir, 'list.wav'), listed);
    const files: Array<{ name: string; durationMs?: number; error?: string }> = (await app.inject({ method: 'GET', url: '/api/media' })).json().files;
    const byName = new Map(files.map((f) => [f.name, f]));
    assert.equal(byName.get('long.wav')?.durationMs, 599_000);
    assert.equal(byName.get('cut.wav')?.durationMs, 2000);
    assert.equal(byName.get('list.wav')?.durationMs, 500);
    assert.equal(byName.get('list.wav')?.durationMs, durationMs(decodeSound('list.wav', listed)), 'the same as a full decode');
    assert.equal(byName.get('too-long.wav')?.durationMs, undefined);
    assert.match(byName.get('too-long.wav')?.error ?? '', /601\.0 s .*longer than the 600 s/);
    writeFileSync(join(dir, 'fmtless.wav'), Buffer.concat([plain.subarray(0, 12), plain.subarray(36)]));
    const again: Array<{ name: string; error?: string }> = (await app.inject({ method: 'GET', url: '/api/media' })).json().files;
    assert.match(again.find((f) => f.name === 'fmtless.wav')?.error ?? '', /not a WAV file we can read: "data" chunk at byte 12 comes before the "fmt " chunk/);
    for (const name of ['long.wav', 'cut.wav', 'too-long.wav', 'list.wav', 'fmtless.wav']) rmSync(join(dir, name));
  });

  test('GET/PUT /api/targets round-trips; a bad target names its index and field', async () => {
    const targets = [{ id: 't1', name: 'YouTube', kind: 'youtube', rtmpUrl: 'rtmps://a.rtmps.youtube.com:443/live2', streamKey: 'abcd-1234-efgh' }];
    assert.equal((await json('PUT', '/api/targets', targets)).statusCode, 200);
    assert.deepEqual((await app.inject({ method: 'GET', url: '/api/targets' })).json(), targets);
    const bad = await json('PUT', '/api/targets', [{ ...targets[0], kind: 'gopher' }]);
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error, /targets\[0\]\.kind/);
    // A damaged file on disk: a sentence naming it, not a bare "internal error"; the file is left alone.
    const file = world.deps.targets.file;
    writeFileSync(file, '{"targets": [');
    const damaged = await app.inject({ method: 'GET', url: '/api/targets' });
    assert.equal(damaged.statusCode, 500);
    assert.match(damaged.json().error, /^the saved targets file .*targets\.json is damaged \(.*\); repair it, or move it away to start again$/);
    assert.equal(readFileSync(file, 'utf8'), '{"targets": [');
  });

  test('GET /api/info describes the host', async () => {
    const info = (await app.inject({ method: 'GET', url: '/api/info' })).json();
    assert.equal(info.dataDir, world.dataDir);
    assert.equal(info.mediaDir, world.mediaDir);
    assert.equal(info.secretStorage, 'file-mode-0600');
  });

  test('stream keys and RTMP passwords never reach the log', async () => {
    world.registry.publish('cam', nullSource);
    const res = await json('POST', '/rest-api/push/startup', { streamName: 'cam', rtmpUrl: 'rtmp://user:hunter2pass@127.0.0.1/live/sk_live_9f8e7d6c5b4a' });
    assert.equal(res.statusCode, 200, res.body);
    const text = lines.join('\n');
    assert.match(text, /rest\.startup/);
    assert.ok(!text.includes('hunter2pass'), text);
    assert.ok(!text.includes('sk_live_9f8e7d6c5b4a'), text);
  });
});

describe('static studio and SDK', () => {
  test('serves the built studio at / and the SDK at /sdk/, a how-to-build page when missing, nothing outside', async () => {
    const built = fakeWorld();
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const root = join(built.dataDir, 'renderer');
    mkdirSync(join(root, 'sdk'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>studio</title>');
    writeFileSync(join(root, 'sdk', 'index.html'), '<!doctype html><title>sdk</title>');
    writeFileSync(join(built.dataDir, 'secret.txt'), 'secret');
    built.deps.staticDir = root;
    const app = await buildApp(built.deps, { bodyLimit: 65536 });
    const missing = fakeWorld();
    const bare = await buildApp(missing.deps, { bodyLimit: 65536 });
    try {
      assert.match((await app.inject({ method: 'GET', url: '/' })).body, /<title>studio/);
      assert.match((await app.inject({ method: 'GET', url: '/sdk/' })).body, /<title>sdk/);
      assert.equal((await app.inject({ method: 'GET', url: '/sdk' })).statusCode, 302);
      for (const url of ['/../secret.txt', '/%2e%2e/secret.txt', '/sdk/..%2f..%2fsecret.txt']) {
        const res = await app.inject({ method: 'GET', url });
        assert.ok(!res.body.includes('secret') || res.statusCode === 404, url);
        assert.notEqual(res.body, 'secret', url);
      }
      const how = await bare.inject({ method: 'GET', url: '/' });
      assert.equal(how.statusCode, 200);
      assert.match(how.body, /npm run build/);
    } finally {
      await app.close();
      await bare.close();
      built.cleanup();
      missing.cleanup();
    }
  });
});
