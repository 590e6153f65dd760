// The frame compositor's pixel operations on I420 pictures, with values only: colours, fills, scaling,
// overlays and the fade's mix.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allocPicture, blendOverlay, evenRect, fillRect, i420FromNv12, i420FromRgb, mixPictures, overlayFromRgba, scaleInto, yuvOfRgb, type Picture } from '../../../src-renderer/compositor/yuv.js';

const at = (p: Picture, x: number, y: number): [number, number, number] => [p.y[y * p.yStride + x]!, p.u[(y >> 1) * p.cStride + (x >> 1)]!, p.v[(y >> 1) * p.cStride + (x >> 1)]!];

/** A picture whose luma is a horizontal ramp (x mod 256) and whose chroma is flat. */
function ramp(width: number, height: number): Picture {
  const p = allocPicture(width, height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) p.y[y * width + x] = x & 255;
  p.u.fill(100);
  p.v.fill(150);
  return p;
}

describe('I420 pictures', () => {
  test('colours are BT.601 limited range, as libyuv converts a canvas', () => {
    assert.deepEqual(yuvOfRgb(0, 0, 0), [16, 128, 128]);
    assert.deepEqual(yuvOfRgb(255, 255, 255), [235, 128, 128]);
    assert.deepEqual(yuvOfRgb(255, 0, 255), [107, 202, 222]); // magenta
    assert.deepEqual(yuvOfRgb(0, 255, 0), [144, 54, 34]);
  });

  test('a picture needs an even size', () => {
    assert.throws(() => allocPicture(641, 480), /even size, not 641×480/);
  });

  test('a rectangle is snapped to even pixels and kept inside', () => {
    assert.deepEqual(evenRect(961, 541, 319, 179, 1280, 720), { x: 962, y: 542, width: 318, height: 178 });
    assert.deepEqual(evenRect(-10, 700, 100, 100, 1280, 720), { x: 0, y: 700, width: 90, height: 20 });
    assert.deepEqual(evenRect(1300, 0, 10, 10, 1280, 720).width, 0);
  });

  test('fill paints its rectangle only, opaque or mixed by weight', () => {
    const p = allocPicture(8, 8);
    fillRect(p, { x: 0, y: 0, width: 8, height: 8 }, [16, 128, 128]);
    fillRect(p, { x: 2, y: 2, width: 4, height: 4 }, [235, 60, 200]);
    assert.deepEqual(at(p, 2, 2), [235, 60, 200]);
    assert.deepEqual(at(p, 5, 5), [235, 60, 200]);
    assert.deepEqual(at(p, 6, 6), [16, 128, 128]);
    assert.deepEqual(at(p, 1, 3), [16, 128, 128]);
    fillRect(p, { x: 0, y: 0, width: 2, height: 2 }, [216, 128, 128], 128);
    assert.equal(at(p, 0, 0)[0], 116);
  });

  test('one to one at whole pixels is an exact copy', () => {
    const src = ramp(64, 32);
    const dst = allocPicture(128, 64);
    scaleInto(src, { x: 0, y: 0, width: 64, height: 32 }, dst, { x: 32, y: 16, width: 64, height: 32 });
    for (const x of [0, 17, 63]) assert.deepEqual(at(dst, 32 + x, 16 + 5), [x, 100, 150]);
    assert.deepEqual(at(dst, 31, 16), [0, 0, 0], 'outside the rectangle nothing is written');
  });

  test('shrinking by four averages, so a fine pattern becomes its mean grey, not aliasing', () => {
    const src = allocPicture(64, 64);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) src.y[y * 64 + x] = (x + y) % 2 === 0 ? 200 : 40;
    src.u.fill(128);
    src.v.fill(128);
    const dst = allocPicture(16, 16);
    scaleInto(src, { x: 0, y: 0, width: 64, height: 64 }, dst, { x: 0, y: 0, width: 16, height: 16 });
    for (let i = 0; i < 256; i++) assert.ok(Math.abs(dst.y[i]! - 120) <= 1, `sample ${i} is ${dst.y[i]}`);
  });

  test('shrinking across only averages along the rows and keeps every row', () => {
    const src = allocPicture(64, 8);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 64; x++) src.y[y * 64 + x] = x % 2 === 0 ? 10 * y : 10 * y + 20;
    src.u.fill(128);
    src.v.fill(128);
    const dst = allocPicture(16, 8);
    scaleInto(src, { x: 0, y: 0, width: 64, height: 8 }, dst, { x: 0, y: 0, width: 16, height: 8 });
    for (let y = 0; y < 8; y++) for (let x = 0; x < 16; x++) assert.ok(Math.abs(dst.y[y * 16 + x]! - (10 * y + 10)) <= 1, `(${x}, ${y}) is ${dst.y[y * 16 + x]}`);
  });

  test('a ramp scaled by 1.5 stays a ramp of the same slope', () => {
    const src = ramp(192, 16);
    const dst = allocPicture(128, 16);
    scaleInto(src, { x: 0, y: 0, width: 192, height: 16 }, dst, { x: 0, y: 0, width: 128, height: 16 });
    for (let x = 1; x < 127; x++) {
      const expected = (x + 0.5) * 1.5 - 0.5;
      assert.ok(Math.abs(at(dst, x, 8)[0] - expected) <= 1, `x ${x}: ${at(dst, x, 8)[0]} against ${expected}`);
    }
    assert.deepEqual(at(dst, 64, 8).slice(1), [100, 150]);
  });

  test('a crop takes the asked part of the source', () => {
    const src = ramp(200, 20);
    const dst = allocPicture(50, 10);
    scaleInto(src, { x: 100, y: 0, width: 50, height: 10 }, dst, { x: 0, y: 0, width: 50, height: 10 });
    assert.equal(at(dst, 0, 4)[0], 100);
    assert.equal(at(dst, 49, 4)[0], 149);
  });

  test('opacity mixes the scaled picture with what is below', () => {
    const src = allocPicture(4, 4);
    src.y.fill(200);
    src.u.fill(128);
    src.v.fill(128);
    const dst = allocPicture(4, 4);
    dst.y.fill(100);
    scaleInto(src, { x: 0, y: 0, width: 4, height: 4 }, dst, { x: 0, y: 0, width: 4, height: 4 }, 64);
    assert.equal(dst.y[5], 125);
  });

  test('an overlay keeps transparent pixels transparent and its chroma unspoilt at the edges', () => {
    const rgba = new Uint8ClampedArray(4 * 4 * 4);
    // left half opaque magenta, right half transparent black
    for (let y = 0; y < 4; y++) for (let x = 0; x < 2; x++) rgba.set([255, 0, 255, 255], (y * 4 + x) * 4);
    const overlay = overlayFromRgba(rgba, 4, 4);
    assert.equal(overlay.opaque, false);
    const dst = allocPicture(4, 4);
    fillRect(dst, { x: 0, y: 0, width: 4, height: 4 }, [145, 54, 34]);
    blendOverlay(dst, overlay, 0, 0);
    assert.deepEqual(at(dst, 0, 0), [107, 202, 222]);
    assert.deepEqual(at(dst, 3, 3), [145, 54, 34]);
    // a block half covered: its chroma is the magenta's own, mixed by the coverage (not darkened by black)
    const edge = new Uint8ClampedArray(2 * 2 * 4);
    edge.set([255, 0, 255, 255], 0);
    edge.set([255, 0, 255, 255], 8);
    const half = overlayFromRgba(edge, 2, 2);
    assert.deepEqual([half.u[0], half.v[0], half.ca[0]], [202, 222, 128]);
  });

  test('an opaque overlay is copied, at a weight it is mixed', () => {
    const rgba = new Uint8ClampedArray(2 * 2 * 4).fill(255);
    const overlay = overlayFromRgba(rgba, 2, 2);
    assert.equal(overlay.opaque, true);
    const dst = allocPicture(4, 4);
    dst.y.fill(16);
    blendOverlay(dst, overlay, 2, 2);
    assert.equal(at(dst, 2, 2)[0], 235);
    assert.equal(at(dst, 0, 0)[0], 16);
    blendOverlay(dst, overlay, 0, 0, 128);
    assert.equal(at(dst, 0, 0)[0], 126);
  });

  test('a fade mixes two pictures by its progress', () => {
    const a = allocPicture(2, 2);
    const b = allocPicture(2, 2);
    const out = allocPicture(2, 2);
    a.y.fill(0);
    b.y.fill(200);
    mixPictures(a, b, 0.25, out);
    assert.equal(out.y[0], 50);
    mixPictures(a, b, 1, out);
    assert.equal(out.y[3], 200);
  });

  test('NV12 and RGB frames become the same I420 picture', () => {
    const y = new Uint8Array([1, 2, 0, 3, 4, 0]);
    const uv = new Uint8Array([90, 160, 0]);
    const nv = i420FromNv12(y, 3, uv, 3, 2, 2);
    assert.deepEqual([...nv.y, ...nv.u, ...nv.v], [1, 2, 3, 4, 90, 160]);
    const bgra = new Uint8Array(2 * 2 * 4);
    for (let i = 0; i < 4; i++) bgra.set([255, 0, 255, 255], i * 4); // BGRA magenta
    const rgb = i420FromRgb(bgra, 8, 2, 2, true);
    assert.deepEqual([rgb.y[0], rgb.u[0], rgb.v[0]], yuvOfRgb(255, 0, 255));
  });
});
