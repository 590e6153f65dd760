// The compositor's geometry, the mixer's decibels and the names of new scenes, with values only.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cropRect, cssColor, fadeProgress, fontPixels, layerAlpha, layerRect, placeSource } from '../../../src-renderer/compositor/layout.js';
import { dbToGain, formatDb, gainToDb, meterFraction, peakDbfs } from '../../../src-renderer/mixer/db.js';

describe('compositor layout', () => {
  test('a layer rectangle in fractions lands on whole output pixels', () => {
    assert.deepEqual(layerRect({ x: 0.75, y: 0.75, width: 0.25, height: 0.25 }, 1280, 720), { x: 960, y: 540, width: 320, height: 180 });
    assert.deepEqual(layerRect({ x: 0, y: 0, width: 1, height: 1 }, 1920, 1080), { x: 0, y: 0, width: 1920, height: 1080 });
  });

  test('a rectangle reaching past the frame is cut at its edge', () => {
    assert.deepEqual(layerRect({ x: 0.9, y: -0.5, width: 0.5, height: 1 }, 1000, 1000), { x: 900, y: 0, width: 100, height: 500 });
  });

  test('crop takes fractions off each side of the source', () => {
    assert.deepEqual(cropRect(1000, 500, { left: 0.1, top: 0.2, right: 0.3, bottom: 0 }), { x: 100, y: 100, width: 600, height: 400 });
    assert.deepEqual(cropRect(640, 480, undefined), { x: 0, y: 0, width: 640, height: 480 });
  });

  test('cover: a 4:3 camera in a 16:9 box loses its top and bottom evenly', () => {
    const placed = placeSource(640, 480, undefined, { x: 0, y: 0, width: 1280, height: 720 }, 'cover');
    assert.deepEqual(placed, { source: { x: 0, y: 60, width: 640, height: 360 }, dest: { x: 0, y: 0, width: 1280, height: 720 } });
  });

  test('cover: a 16:9 screen in a square box loses its sides evenly', () => {
    const placed = placeSource(1920, 1080, undefined, { x: 10, y: 10, width: 100, height: 100 }, 'cover');
    assert.deepEqual(placed?.source, { x: 420, y: 0, width: 1080, height: 1080 });
  });

  test('contain: all of a 4:3 source, centred with bars, in a 16:9 box', () => {
    const placed = placeSource(640, 480, undefined, { x: 0, y: 0, width: 1280, height: 720 }, 'contain');
    assert.deepEqual(placed, { source: { x: 0, y: 0, width: 640, height: 480 }, dest: { x: 160, y: 0, width: 960, height: 720 } });
  });

  test('a source without a size yet, or an empty box, places nothing', () => {
    assert.equal(placeSource(0, 0, undefined, { x: 0, y: 0, width: 10, height: 10 }), undefined);
    assert.equal(placeSource(640, 480, undefined, { x: 0, y: 0, width: 0, height: 10 }), undefined);
  });

  test('font sizes are given at 1080 lines and scale with the output', () => {
    assert.equal(fontPixels(48, 1080), 48);
    assert.equal(fontPixels(48, 720), 32);
    assert.equal(fontPixels(undefined, 720), 32);
    assert.equal(fontPixels(-3, 1080), 48);
  });

  test('opacity defaults to 1, a hidden layer draws at 0', () => {
    assert.equal(layerAlpha({}), 1);
    assert.equal(layerAlpha({ opacity: 0.4 }), 0.4);
    assert.equal(layerAlpha({ opacity: 2 }), 1);
    assert.equal(layerAlpha({ opacity: 1, visible: false }), 0);
  });

  test('a fade goes 0 to 1 over its duration; a cut is at once', () => {
    assert.equal(fadeProgress(0, 500), 0);
    assert.equal(fadeProgress(250, 500), 0.5);
    assert.equal(fadeProgress(900, 500), 1);
    assert.equal(fadeProgress(0, 0), 1);
  });

  test('hex colours become CSS colours; anything else the fallback', () => {
    assert.equal(cssColor('#ff8000', 'black'), 'rgba(255, 128, 0, 1)');
    assert.equal(cssColor('#00000080', 'black'), 'rgba(0, 0, 0, 0.502)');
    assert.equal(cssColor('red', 'black'), 'black');
    assert.equal(cssColor(undefined, 'white'), 'white');
  });
});

describe('mixer decibels', () => {
  test('dB and gain are 20·log10 of each other', () => {
    assert.equal(dbToGain(0), 1);
    assert.ok(Math.abs(dbToGain(-6) - 0.501187) < 1e-6);
    assert.ok(Math.abs(gainToDb(0.5) - -6.0206) < 1e-4);
    assert.ok(Math.abs(gainToDb(dbToGain(-17.5)) - -17.5) < 1e-9);
  });

  test('the fader bottom is silence, its top is +12 dB', () => {
    assert.equal(dbToGain(-60), 0);
    assert.equal(dbToGain(-Infinity), 0);
    assert.ok(Math.abs(dbToGain(40) - 10 ** (12 / 20)) < 1e-12);
    assert.equal(gainToDb(0), -Infinity);
  });

  test('a peak meter reads dBFS and maps −60..0 dBFS onto its length', () => {
    assert.equal(peakDbfs([0, 0.5, -1]), 0);
    assert.ok(Math.abs(peakDbfs([0.1, -0.25]) - -12.0412) < 1e-4);
    assert.equal(peakDbfs([0, 0]), -Infinity);
    assert.equal(meterFraction(-30), 0.5);
    assert.equal(meterFraction(-Infinity), 0);
    assert.equal(meterFraction(3), 1);
  });

  test('a fader value reads as a streamer expects', () => {
    assert.equal(formatDb(-6), '−6.0 dB');
    assert.equal(formatDb(3), '+3.0 dB');
    assert.equal(formatDb(0), '0.0 dB');
    assert.equal(formatDb(-60), '−∞');
  });
});

describe('new scene names', () => {
  test('a layout used again gets the next free number', async () => {
    const { freeSceneName } = await import('../../../src-renderer/store/scenes.js');
    assert.equal(freeSceneName('Camera', ['Screen only']), 'Camera');
    assert.equal(freeSceneName('Camera', ['Camera', 'Camera 2']), 'Camera 3');
  });
});
