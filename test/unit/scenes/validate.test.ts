// A scene's checks (src-main/scenes/validate.ts, images.ts): each refusal names the field in a sentence, what
// passes is normalised and satisfies the contract's Scene schema, the ready-made layouts pass, and an image is
// judged by its first bytes.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Value from 'typebox/value';
import { Scene } from '../../../src-contract/scenes.js';
import { defaultScenes, pipRect, PIP_CORNERS, sceneFromTemplate } from '../../../src-contract/scene-templates.js';
import { checkImageFile, checkSceneImages, imageTypeOf } from '../../../src-main/scenes/images.js';
import { checkScene, SceneError } from '../../../src-main/scenes/validate.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'images');
const camera = { kind: 'camera', x: 0, y: 0, width: 1, height: 1 };
const scene = (layers: unknown[], extra: Record<string, unknown> = {}) => ({ name: 'Test', layers, ...extra });

/** The SceneError checkScene throws for `raw`. */
function refusal(raw: unknown, pathName?: string): SceneError {
  try {
    checkScene(raw, pathName);
  } catch (err) {
    assert.ok(err instanceof SceneError, `a SceneError, got ${String(err)}`);
    return err;
  }
  assert.fail(`accepted ${JSON.stringify(raw)}`);
}

describe('scene checks', () => {
  test('refusals name the field, in a sentence', () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [scene([camera, { ...camera, kind: 'video' }]), 'layers[1].kind', /layers\[1\]\.kind "video" is not a layer kind: use camera, screen, image, text or color/],
      [scene([{ ...camera, x: -0.1 }]), 'layers[0].x', /layers\[0\]\.x is -0\.1, outside 0 to 1/],
      [scene([{ ...camera, width: 1.5 }]), 'layers[0].width', /layers\[0\]\.width is 1\.5, outside 0 to 1/],
      [scene([{ ...camera, x: 0.5, width: 0.6 }]), 'layers[0].width', /layers\[0\]\.x \+ layers\[0\]\.width is 1\.1: the layer leaves the frame on the right/],
      [scene([camera, camera, { ...camera, y: 0.8, height: 0.3 }]), 'layers[2].height', /layers\[2\]\.y \+ layers\[2\]\.height is 1\.1: the layer leaves the frame at the bottom/],
      [scene([{ ...camera, width: '1' }]), 'layers[0].width', /layers\[0\]\.width must be a number from 0 to 1/],
      [scene([{ kind: 'camera', x: 0, y: 0, width: 1 }]), 'layers[0].height', /layers\[0\]\.height must be a number/],
      [scene([{ ...camera, opacity: 2 }]), 'layers[0].opacity', /layers\[0\]\.opacity is 2, outside 0 to 1/],
      [scene([{ ...camera, colour: '#fff' }]), 'layers[0].colour', /layers\[0\]\.colour is not a field of a layer/],
      [scene([{ ...camera, kind: 'image' }]), 'layers[0].file', /layers\[0\]\.file is missing/],
      [scene([{ ...camera, kind: 'text' }]), 'layers[0].text', /layers\[0\]\.text is missing/],
      [scene([{ ...camera, kind: 'color', color: 'red' }]), 'layers[0].color', /layers\[0\]\.color "red" is not a colour: write it as #rrggbb or #rrggbbaa/],
      [scene([{ ...camera, crop: { left: 0.5, top: 0, right: 0.5, bottom: 0 } }]), 'layers[0].crop.right', /leaves nothing of the source's width/],
      [scene([{ ...camera, fit: 'stretch' }]), 'layers[0].fit', /layers\[0\]\.fit "stretch" is not a fit: use cover or contain/],
      [scene([camera], { transition: { kind: 'wipe', ms: 100 } }), 'transition.kind', /transition\.kind "wipe" is not a transition: use cut or fade/],
      [scene([camera], { transition: { kind: 'fade', ms: 9000 } }), 'transition.ms', /transition\.ms must be a whole number of milliseconds from 0 to 5000/],
      [scene([camera], { microphone: 'off' }), 'microphone', /microphone must be true or false/],
      [scene(Array.from({ length: 33 }, () => camera)), 'layers', /layers has 33 layers, at most 32/],
      [{ name: 'a/b', layers: [] }, 'name', /must not contain "\/"/],
      [{ name: '', layers: [] }, 'name', /name must not be empty/],
      [{ name: 'x', layers: {} }, 'layers', /layers must be an array/],
      [{ name: 'x', layers: [], extra: 1 }, 'extra', /extra is not a field of a scene/],
    ];
    for (const [raw, field, message] of cases) {
      const err = refusal(raw);
      assert.equal(err.field, field, err.message);
      assert.match(err.message, message);
    }
    const mismatch = refusal(scene([camera]), 'Other');
    assert.equal(mismatch.field, 'name');
    assert.match(mismatch.message, /name "Test" does not match the scene in the path, "Other"/);
  });

  test('what passes is normalised and satisfies the contract schema; a sum a hair over 1 in binary passes', () => {
    // 0.34 + 0.56 (a layer moved by two drags) + 0.1 is 1.0000000000000002 in doubles: not leaving the frame.
    const x = 0.34 + 0.56;
    assert.ok(x + 0.1 > 1);
    const pip = { kind: 'camera', x, y: 0.73, width: 0.1, height: 0.27, opacity: 0.5, visible: false, crop: { left: 0.1, top: 0, right: 0.1, bottom: 0 } };
    const raw = scene([{ kind: 'text', x: 0.1, y: 0.7, width: 0.9, height: 0.3, text: 'Hi', color: '#ffffffcc', background: '#000000', fontSize: 40, id: 't' }, pip], {
      transition: { kind: 'fade', ms: 300 },
      microphone: false,
    });
    const checked = checkScene(raw, 'Test');
    assert.ok(Value.Check(Scene, checked), [...Value.Errors(Scene, checked)].map((e) => e.message).join('; '));
    assert.deepEqual(checked, raw);
  });

  test('the ready-made layouts pass, and picture-in-picture sits 0.02 from the edges of its corner at a quarter width', () => {
    const names = defaultScenes().map((s) => checkScene(s).name);
    assert.deepEqual(names, ['Camera', 'Screen + camera', 'Side by side', 'Screen only', 'Be right back']);
    for (const s of defaultScenes()) assert.ok(Value.Check(Scene, s), s.name);
    const brb = sceneFromTemplate('Be right back');
    assert.equal(brb.microphone, false);
    assert.ok(brb.layers.some((l) => l.kind === 'text' && l.text === 'Be right back'));
    assert.equal(sceneFromTemplate('Be right back', { file: 'brb.png' }).layers[0]!.kind, 'image');
    const cam = sceneFromTemplate('Screen + camera').layers.at(-1)!;
    assert.deepEqual({ x: cam.x, y: cam.y, width: cam.width, height: cam.height }, { x: 0.73, y: 0.73, width: 0.25, height: 0.25 });
    assert.deepEqual(pipRect('top-left'), { x: 0.02, y: 0.02, width: 0.25, height: 0.25 });
    for (const corner of PIP_CORNERS) checkScene(sceneFromTemplate('Screen + camera', { corner, name: corner }));
  });
});

describe('image files of the media folder', () => {
  test('PNG, JPEG and WebP are told apart by their first bytes; anything else is none', () => {
    assert.equal(imageTypeOf(readFileSync(join(FIXTURES, 'red.png'))), 'image/png');
    assert.equal(imageTypeOf(readFileSync(join(FIXTURES, 'red.jpg'))), 'image/jpeg');
    assert.equal(imageTypeOf(readFileSync(join(FIXTURES, 'red.webp'))), 'image/webp');
    assert.equal(imageTypeOf(Buffer.from('RIFF\0\0\0\0WAVEfmt ')), undefined);
    assert.equal(imageTypeOf(Buffer.from('<svg xmlns=')), undefined);
    assert.equal(imageTypeOf(Buffer.alloc(0)), undefined);
  });

  test('a missing file, a non-image named .png, a path and a link out of the folder are refused naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'castbridge-images-'));
    const outside = mkdtempSync(join(tmpdir(), 'castbridge-outside-'));
    try {
      writeFileSync(join(dir, 'logo.png'), readFileSync(join(FIXTURES, 'red.png')));
      writeFileSync(join(dir, 'photo.jpg'), readFileSync(join(FIXTURES, 'red.webp'))); // a WebP named .jpg is still an image
      writeFileSync(join(dir, 'fake.png'), 'not an image at all');
      writeFileSync(join(outside, 'secret.png'), readFileSync(join(FIXTURES, 'red.png')));
      symlinkSync(join(outside, 'secret.png'), join(dir, 'link.png'));
      assert.equal((await checkImageFile(dir, 'logo.png', 'f')).type, 'image/png');
      assert.equal((await checkImageFile(dir, 'photo.jpg', 'f')).type, 'image/webp');
      const image = (file: string) => checkScene(scene([camera, { kind: 'image', x: 0, y: 0, width: 0.2, height: 0.2, file }]));
      await checkSceneImages(image('logo.png'), dir);
      const refused: Array<[string, RegExp]> = [
        ['gone.png', /layers\[1\]\.file: there is no file "gone\.png" in the media folder; upload it first/],
        ['fake.png', /layers\[1\]\.file: "fake\.png" is not a PNG, JPEG or WebP image/],
        ['../secret.png', /layers\[1\]\.file must be a bare file name of the media folder/],
        ['link.png', /layers\[1\]\.file: "link\.png" links outside the media folder/],
      ];
      for (const [file, message] of refused) {
        await assert.rejects(checkSceneImages(image(file), dir), (err: unknown) => err instanceof SceneError && err.field === 'layers[1].file' && message.test(err.message));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
