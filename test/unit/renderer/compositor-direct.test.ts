// Which scenes the studio sends as a capture's own track instead of drawing them (compositor/direct.ts):
// one visible camera or screen layer over the whole frame, as it is, and a capture of the program's shape
// no larger than the program.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { captureFits, directLayer } from '../../../src-renderer/compositor/direct.js';
import type { DrawLayer, DrawScene } from '../../../src-renderer/compositor/scene-types.js';
import { sceneFromTemplate, TEMPLATE_NAMES } from '../../../src-contract/scene-templates.js';

const FULL = { x: 0, y: 0, width: 1, height: 1 };
const camera: DrawLayer = { kind: 'camera', ...FULL, fit: 'cover' };
const scene = (...layers: DrawLayer[]): DrawScene => ({ name: 's', layers });

test('one full-frame camera or screen layer, as it is, qualifies; the layer is returned', () => {
  assert.equal(directLayer(scene(camera)), camera);
  const screen: DrawLayer = { kind: 'screen', ...FULL, fit: 'contain' };
  assert.equal(directLayer(scene(screen)), screen);
  const named: DrawLayer = { kind: 'camera', ...FULL, device: 'cam-2', opacity: 1, visible: true, crop: { left: 0, top: 0, right: 0, bottom: 0 } };
  assert.equal(directLayer(scene(named)), named, 'opacity 1, visible, an all-zero crop and a named camera still qualify');
  // The editor keeps 4 decimals: 0.99995 is the whole frame.
  assert.ok(directLayer(scene({ ...camera, width: 0.99995, height: 1.00004 })));
});

test('invisible layers beside it do not count: hidden, opacity 0, an empty rectangle', () => {
  const hidden: DrawLayer = { kind: 'color', ...FULL, color: '#ff0000', visible: false };
  const transparent: DrawLayer = { kind: 'text', x: 0.1, y: 0.8, width: 0.8, height: 0.1, text: 'hi', opacity: 0 };
  const empty: DrawLayer = { kind: 'image', x: 0.5, y: 0.5, width: 0, height: 0.2, file: 'logo.png' };
  assert.equal(directLayer(scene(hidden, camera, transparent, empty)), camera);
});

test('anything else is drawn: another visible layer, a smaller rectangle, an opacity, a crop, a non-video layer', () => {
  assert.equal(directLayer(scene()), undefined, 'an empty scene');
  assert.equal(directLayer(scene({ kind: 'color', ...FULL, color: '#000000' }, camera)), undefined, 'a backdrop under the camera');
  assert.equal(directLayer(scene(camera, { kind: 'text', x: 0, y: 0.8, width: 1, height: 0.2, text: 'Live' })), undefined, 'a lower third over it');
  assert.equal(directLayer(scene({ ...camera, width: 0.5 })), undefined, 'half the frame');
  assert.equal(directLayer(scene({ ...camera, x: 0.01 })), undefined, 'moved off the corner');
  assert.equal(directLayer(scene({ ...camera, opacity: 0.5 })), undefined, 'half transparent');
  assert.equal(directLayer(scene({ ...camera, crop: { left: 0.1, top: 0, right: 0, bottom: 0 } })), undefined, 'cropped');
  assert.equal(directLayer(scene({ kind: 'image', ...FULL, file: 'a.png' })), undefined, 'an image');
  assert.equal(directLayer(scene({ kind: 'color', ...FULL, color: '#00ff00' })), undefined, 'a colour');
  assert.equal(directLayer(scene(camera, { ...camera, device: 'b' })), undefined, 'two cameras');
});

test('of the ready-made layouts, only Camera qualifies', () => {
  const qualifying = TEMPLATE_NAMES.filter((name) => directLayer(sceneFromTemplate(name)) !== undefined);
  assert.deepEqual(qualifying, ['Camera']);
});

test('a capture fits the program when its shape matches within 1 % and it is not larger', () => {
  assert.ok(captureFits(1280, 720, 1280, 720), 'the same size');
  assert.ok(captureFits(640, 360, 1280, 720), 'smaller, the same shape');
  assert.ok(captureFits(854, 480, 1280, 720), '854×480 is 16:9 within 0.1 %');
  assert.ok(captureFits(1280, 714, 1280, 720), '0.8 % wider');
  assert.ok(!captureFits(1280, 710, 1280, 720), '1.4 % wider');
  assert.ok(!captureFits(640, 480, 1280, 720), '4:3 in a 16:9 program');
  assert.ok(!captureFits(1920, 1080, 1280, 720), 'larger than the program');
  assert.ok(!captureFits(1360, 766, 1280, 720), "Chromium's fake screen: 16:9 within 0.2 % but larger");
  assert.ok(!captureFits(0, 0, 1280, 720), 'no frame yet');
  assert.ok(!captureFits(Number.NaN, 720, 1280, 720));
});
