// Which layer a target gets (transponder/layers.ts): quality names, bitrate and height limits, the fallback to
// the lowest, a stream with one layer, and layers whose size is not known yet.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { chooseLayer, layerChoiceProblem, lowestLayer } from '../../../src-relay/transponder/layers.js';

const L1080 = { width: 1920, height: 1080, bitrateKbps: 7800 };
const L720 = { width: 1280, height: 720, bitrateKbps: 2400 };
const L540 = { width: 960, height: 540, bitrateKbps: 1200 };
const L360 = { width: 640, height: 360, bitrateKbps: 600 };
const L180 = { width: 320, height: 180, bitrateKbps: 150 };
const three = [L720, L360, L180];

describe('layer choice', () => {
  test('quality names: highest (also the default), medium, lowest', () => {
    assert.equal(chooseLayer(three, {}), 0);
    assert.equal(chooseLayer(three, { quality: 'highest' }), 0);
    assert.equal(chooseLayer(three, { quality: 'medium' }), 1);
    assert.equal(chooseLayer(three, { quality: 'lowest' }), 2);
    // Two layers: medium is the lower one.
    assert.equal(chooseLayer([L720, L360], { quality: 'medium' }), 1);
  });

  test('with one layer every choice is that layer', () => {
    for (const choice of [{}, { quality: 'medium' as const }, { quality: 'lowest' as const }, { maxBitrateKbps: 100 }, { maxHeight: 100 }]) {
      assert.equal(chooseLayer([L720], choice), 0, JSON.stringify(choice));
    }
    assert.equal(chooseLayer([], {}), -1);
  });

  test('maxBitrateKbps and maxHeight pick the largest layer within the limits', () => {
    const four = [L1080, L720, L540, L360];
    assert.equal(chooseLayer(four, { maxBitrateKbps: 6000 }), 1);
    assert.equal(chooseLayer(four, { maxBitrateKbps: 1200 }), 2, 'a layer exactly at the limit fits');
    assert.equal(chooseLayer(four, { maxHeight: 720 }), 1);
    assert.equal(chooseLayer(four, { maxHeight: 719 }), 2);
    assert.equal(chooseLayer(four, { maxHeight: 2160 }), 0);
    assert.equal(chooseLayer(four, { maxHeight: 720, maxBitrateKbps: 2000 }), 2, 'both limits apply');
    // With a quality name too, the limits only take it lower.
    assert.equal(chooseLayer(four, { quality: 'medium', maxHeight: 1080 }), 2);
  });

  test('when no layer fits, the lowest', () => {
    assert.equal(chooseLayer(three, { maxBitrateKbps: 100 }), 2);
    assert.equal(chooseLayer(three, { maxHeight: 144 }), 2);
  });

  test('a bitrate not measured yet fits; the layer sent keeps fitting a little over the limit (no hopping on noise)', () => {
    const unmeasured = three.map((l) => ({ ...l, bitrateKbps: 0 }));
    assert.equal(chooseLayer(unmeasured, { maxBitrateKbps: 1000 }), 0);
    const noisy = [{ ...L720, bitrateKbps: 1100 }, L360, L180];
    assert.equal(chooseLayer(noisy, { maxBitrateKbps: 1000 }), 1, 'a new choice respects the limit');
    assert.equal(chooseLayer(noisy, { maxBitrateKbps: 1000 }, 0), 0, 'the layer sent stays within 15 %');
    assert.equal(chooseLayer([{ ...L720, bitrateKbps: 1300 }, L360], { maxBitrateKbps: 1000 }, 0), 1, 'but not beyond');
  });

  test('layers of unknown size are not chosen while one is known; before any is known, the first', () => {
    const unknown = { width: 0, height: 0, bitrateKbps: 0 };
    assert.equal(chooseLayer([L720, L360, unknown], { quality: 'lowest' }), 1);
    assert.equal(lowestLayer([L720, L360, unknown]), 1);
    assert.equal(chooseLayer([unknown, unknown], { quality: 'lowest' }), 1);
    assert.equal(chooseLayer([unknown], { maxHeight: 360 }), 0);
  });

  test('a bad choice is named in one sentence (callers that bypass the REST schema)', () => {
    assert.match(layerChoiceProblem({ quality: 'best' as never })!, /options\.quality must be one of highest, medium, lowest, got best/);
    assert.match(layerChoiceProblem({ maxBitrateKbps: 0 })!, /options\.maxBitrateKbps must be a whole number ≥ 1, got 0/);
    assert.match(layerChoiceProblem({ maxHeight: 1.5 })!, /options\.maxHeight/);
    assert.equal(layerChoiceProblem({ quality: 'lowest', maxHeight: 360 }), undefined);
  });
});
