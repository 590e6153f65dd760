// `/api/scenes*` and the media file routes on the app (inject, no port), with the real store in a temp data
// folder: the seeded layouts, create/replace/delete, refusals that name the field and change nothing (neither
// the answer of GET nor the bytes of scenes.json), images uploaded and served by their content, and
// activation answered by a studio's reply, its failure, its silence and its closing.
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import Value from 'typebox/value';
import { Scene } from '../../../src-contract/scenes.js';
import { defaultScenes } from '../../../src-contract/scene-templates.js';
import { silentLog } from '../../../src-relay/log.js';
import { buildApp } from '../../../src-main/rest/app.js';
import { ScenesHub, type SceneStudio } from '../../../src-main/scenes/hub.js';
import { ScenesStore } from '../../../src-main/scenes/store.js';
import { fakeWorld, type FakeWorld } from '../rest/fakes.js';
import { mutateText } from '../../helpers/fuzz.js';
import { mulberry32 } from '../../helpers/prng.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'images');
const PNG = readFileSync(join(FIXTURES, 'red.png'));
const camera = { kind: 'camera', x: 0, y: 0, width: 1, height: 1 };
const json = { 'content-type': 'application/json' };

describe('/api/scenes', () => {
  let world: FakeWorld;
  let app: FastifyInstance;
  const put = (name: string, body: unknown) => app.inject({ method: 'PUT', url: `/api/scenes/${encodeURIComponent(name)}`, headers: json, payload: JSON.stringify(body) });
  const list = async () => (await app.inject({ method: 'GET', url: '/api/scenes' })).json();
  const activate = (name: string) => app.inject({ method: 'POST', url: `/api/scenes/${encodeURIComponent(name)}/activate` });
  /** A studio on the hub that answers each scene-activate with `reply` (or stays silent). */
  const studio = (reply: (m: { id: string; scene: { name: string } }) => void = () => {}): SceneStudio & { got: Array<Record<string, unknown>> } => {
    const got: Array<Record<string, unknown>> = [];
    return {
      got,
      send(m: Record<string, any>) {
        got.push(m);
        if (m.type === 'scene-activate') setImmediate(() => reply(m as { id: string; scene: { name: string } }));
      },
    };
  };

  beforeEach(async () => {
    world = fakeWorld();
    world.deps.scenes = new ScenesHub(ScenesStore.open(world.dataDir, silentLog), { mediaDir: () => world.mediaDir, studioUrl: () => 'http://127.0.0.1:8080/', log: silentLog, applyTimeoutMs: 300 });
    app = await buildApp(world.deps, { bodyLimit: 65536 });
  });
  afterEach(async () => {
    await app.close();
    world.cleanup();
  });

  test('a first run lists the ready-made layouts, Camera active', async () => {
    const got = await list();
    assert.equal(got.active, 'Camera');
    assert.deepEqual(got.scenes.map((s: { name: string }) => s.name), ['Camera', 'Screen + camera', 'Side by side', 'Screen only', 'Be right back']);
    assert.equal(got.scenes[4].microphone, false);
  });

  test('PUT creates and replaces (in place), with an uploaded image; DELETE removes, not the active one', async () => {
    const up = await app.inject({ method: 'PUT', url: '/api/media/logo.png', headers: { 'content-type': 'image/png' }, payload: PNG });
    assert.equal(up.statusCode, 200, up.body);
    assert.deepEqual(up.json().images, [{ name: 'logo.png', size: PNG.length, type: 'image/png' }]);
    const logo = { name: 'Logo', layers: [camera, { kind: 'image', x: 0.8, y: 0, width: 0.2, height: 0.2, file: 'logo.png' }] };
    const created = await put('Logo', logo);
    assert.equal(created.statusCode, 200, created.body);
    assert.deepEqual(created.json(), logo);
    const replaced = await put('Camera', { name: 'Camera', layers: [{ ...camera, fit: 'contain' }] });
    assert.equal(replaced.statusCode, 200, replaced.body);
    const names = (await list()).scenes.map((s: { name: string }) => s.name);
    assert.deepEqual(names, ['Camera', 'Screen + camera', 'Side by side', 'Screen only', 'Be right back', 'Logo']);
    const file = JSON.parse(readFileSync(join(world.dataDir, 'scenes.json'), 'utf8'));
    assert.deepEqual(file.scenes.at(-1), logo);
    assert.equal(file.scenes[0].layers[0].fit, 'contain');

    assert.equal((await app.inject({ method: 'DELETE', url: '/api/scenes/Nope' })).statusCode, 404);
    const active = await app.inject({ method: 'DELETE', url: '/api/scenes/Camera' });
    assert.equal(active.statusCode, 409);
    assert.match(active.json().error, /"Camera" is the scene being shown/);
    assert.equal((await app.inject({ method: 'DELETE', url: '/api/scenes/Logo' })).statusCode, 200);
    assert.ok(!(await list()).scenes.some((s: { name: string }) => s.name === 'Logo'));
  });

  test('bad scenes get 400 with a sentence naming the field, and nothing changes', async () => {
    writeFileSync(join(world.mediaDir, 'fake.png'), 'hello, not a picture');
    const before = await list();
    const saved = readFileSync(join(world.dataDir, 'scenes.json'));
    const cases: Array<[string, unknown, string, RegExp]> = [
      ['Camera', { name: 'Camera', layers: [{ ...camera, kind: 'hologram' }] }, 'layers[0].kind', /is not a layer kind/],
      ['Camera', { name: 'Camera', layers: [camera, { ...camera, width: 1.2 }] }, 'layers[1].width', /outside 0 to 1/],
      ['Camera', { name: 'Camera', layers: [{ ...camera, x: 0.6, width: 0.5 }] }, 'layers[0].width', /leaves the frame on the right/],
      ['New', { name: 'New', layers: [{ kind: 'image', x: 0, y: 0, width: 1, height: 1, file: 'missing.png' }] }, 'layers[0].file', /no file "missing\.png" in the media folder/],
      ['New', { name: 'New', layers: [{ kind: 'image', x: 0, y: 0, width: 1, height: 1, file: 'fake.png' }] }, 'layers[0].file', /"fake\.png" is not a PNG, JPEG or WebP image/],
      ['New', { name: 'Other', layers: [] }, 'name', /does not match the scene in the path/],
    ];
    for (const [path, body, field, message] of cases) {
      const res = await put(path, body);
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().field, field);
      assert.match(res.json().error, message);
    }
    const notJson = await app.inject({ method: 'PUT', url: '/api/scenes/New', headers: json, payload: '{"name":' });
    assert.equal(notJson.statusCode, 400);
    assert.deepEqual(await list(), before);
    assert.deepEqual(readFileSync(join(world.dataDir, 'scenes.json')), saved);
  });

  test('media: an image is stored and served by its content; a non-image, a path and a stranger are refused', async () => {
    const fake = await app.inject({ method: 'PUT', url: '/api/media/fake.png', headers: { 'content-type': 'image/png' }, payload: Buffer.from('GIF89a not png') });
    assert.equal(fake.statusCode, 400);
    assert.match(fake.json().error, /"fake\.png" is not a PNG, JPEG or WebP image/);
    const webp = readFileSync(join(FIXTURES, 'red.webp'));
    assert.equal((await app.inject({ method: 'PUT', url: '/api/media/bg.webp', headers: { 'content-type': 'image/webp' }, payload: webp })).statusCode, 200);
    const got = await app.inject({ method: 'GET', url: '/api/media/bg.webp' });
    assert.equal(got.statusCode, 200);
    assert.equal(got.headers['content-type'], 'image/webp');
    assert.equal(got.headers['x-content-type-options'], 'nosniff');
    assert.deepEqual(got.rawPayload, webp);
    const wav = await app.inject({ method: 'GET', url: '/api/media/test.wav' });
    assert.equal(wav.statusCode, 404, 'no test.wav in this media folder');
    assert.equal((await app.inject({ method: 'GET', url: '/api/media/..%2Fscenes.json' })).statusCode, 400);
    assert.equal((await app.inject({ method: 'GET', url: '/api/media/scenes.json' })).statusCode, 400);
    assert.equal((await app.inject({ method: 'GET', url: '/api/media/gone.png' })).statusCode, 404);
    const foreign = await app.inject({ method: 'GET', url: '/api/media/bg.webp', headers: { origin: 'https://evil.example' } });
    assert.equal(foreign.statusCode, 403);
    const listed = (await app.inject({ method: 'GET', url: '/api/media' })).json();
    assert.deepEqual(listed.images, [{ name: 'bg.webp', size: webp.length, type: 'image/webp' }]);
  });

  test('activate: 404 unknown, 409 with no studio, 200 once a studio applies it, its failure, its silence, its closing', async () => {
    assert.equal((await activate('Nope')).statusCode, 404);
    const none = await activate('Screen only');
    assert.equal(none.statusCode, 409);
    assert.equal(none.json().error, 'No studio is open to show the scene: open the studio (http://127.0.0.1:8080/) and try again.');

    const hub = world.deps.scenes;
    const good = studio((m) => hub.applied(m.id));
    hub.attach(good);
    assert.equal(good.got[0]!.type, 'scenes', 'an attached studio gets the list at once');
    const ok = await activate('Screen only');
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), { active: 'Screen only' });
    const sent = good.got.find((m) => m.type === 'scene-activate') as { scene: { name: string; layers: unknown[] } };
    assert.equal(sent.scene.name, 'Screen only');
    assert.equal((await list()).active, 'Screen only');
    assert.equal(JSON.parse(readFileSync(join(world.dataDir, 'scenes.json'), 'utf8')).active, 'Screen only');
    assert.deepEqual(good.got.at(-1), { type: 'scenes', ...(await list()) }, 'and the new list after it');
    hub.detach(good);

    const failing = studio((m) => hub.applyFailed(m.id, 'the screen share was stopped'));
    hub.attach(failing);
    const failed = await activate('Camera');
    assert.equal(failed.statusCode, 409);
    assert.match(failed.json().error, /could not show "Camera": the screen share was stopped/);
    hub.detach(failing);

    const silent = studio();
    hub.attach(silent);
    const late = await activate('Camera');
    assert.equal(late.statusCode, 504);
    assert.match(late.json().error, /did not show "Camera" within 0.3 s/);
    const closing = activate('Camera');
    await new Promise((r) => setImmediate(r));
    hub.detach(silent);
    const closed = await closing;
    assert.equal(closed.statusCode, 409);
    assert.match(closed.json().error, /studio closed before it showed "Camera"/);
    assert.equal((await list()).active, 'Screen only', 'nothing applied, nothing changed');
  });

  test('1500 mutated scenes: never a 500, a sentence on refusal, and whatever is saved satisfies the contract', async () => {
    const r = mulberry32(0x5ce1e5);
    const seeds = defaultScenes().map((scene) => JSON.stringify(scene));
    const counts: Record<number, number> = {};
    for (let i = 0; i < 1500; i++) {
      const payload = mutateText(r, seeds[Math.floor(r() * seeds.length)]!);
      let name = 'Fuzz';
      try {
        const parsed = JSON.parse(payload) as { name?: unknown };
        if (typeof parsed.name === 'string' && parsed.name !== '' && !/[/?#%]/.test(parsed.name)) name = parsed.name;
      } catch {
        // not JSON: the route says so
      }
      const res = await app.inject({ method: 'PUT', url: `/api/scenes/${encodeURIComponent(name)}`, headers: json, payload });
      counts[res.statusCode] = (counts[res.statusCode] ?? 0) + 1;
      assert.ok(res.statusCode === 200 || res.statusCode === 400, `#${i} ${payload.slice(0, 160)} → ${res.statusCode} ${res.body.slice(0, 200)}`);
      if (res.statusCode === 400) assert.match(res.json().error, /\w+ \w+/, `#${i} a sentence`);
      else assert.ok(Value.Check(Scene, res.json()), `#${i} saved ${res.body.slice(0, 200)}`);
    }
    assert.ok((counts[400] ?? 0) > 300 && (counts[200] ?? 0) > 20, `both outcomes: ${JSON.stringify(counts)}`);
    for (const saved of (await list()).scenes) assert.ok(Value.Check(Scene, saved), saved.name);
  });
});
