// Pictures in I420 (8-bit Y, then U and V at half width and height) and the few operations the frame
// compositor draws with: fill a rectangle, scale a part of one picture into a rectangle of another, lay a
// prepared overlay (a text or image layer turned into Y, U, V and alpha once) over a picture, and mix two
// pictures for a fade. Colours are BT.601 limited range, as Chromium's own RGB → I420 conversion of a
// canvas frame. No DOM here: every function is unit-tested with numbers. Rectangles are layout.ts's Rect:
// in whole pixels where something is written, fractional where a part of a source picture is read.
import type { Rect } from './layout.js';

export interface Picture {
  width: number;
  height: number;
  y: Uint8Array;
  u: Uint8Array;
  v: Uint8Array;
  /** Bytes from one row to the next in `y`, and in `u` / `v`. */
  yStride: number;
  cStride: number;
}

/** An even-sized picture in one buffer, planes one after the other (the layout VideoFrame takes for I420). */
export function allocPicture(width: number, height: number): Picture & { data: Uint8Array } {
  if (width % 2 !== 0 || height % 2 !== 0 || width <= 0 || height <= 0) throw new RangeError(`an I420 picture needs an even size, not ${width}×${height}`);
  const lumaSize = width * height;
  const data = new Uint8Array((lumaSize * 3) / 2);
  return {
    width,
    height,
    data,
    y: data.subarray(0, lumaSize),
    u: data.subarray(lumaSize, lumaSize + lumaSize / 4),
    v: data.subarray(lumaSize + lumaSize / 4),
    yStride: width,
    cStride: width / 2,
  };
}

export type Yuv = readonly [y: number, u: number, v: number];

const clampByte = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

// BT.601 limited range in libyuv's own integer form (its ARGBToI420), so a colour drawn here matches the
// same colour drawn on a canvas and converted by Chromium.
const lumaOf = (r: number, g: number, b: number): number => (66 * r + 129 * g + 25 * b + 0x1080) >> 8;
const uOf = (r: number, g: number, b: number): number => (112 * b - 74 * g - 38 * r + 0x8080) >> 8;
const vOf = (r: number, g: number, b: number): number => (112 * r - 94 * g - 18 * b + 0x8080) >> 8;

/** The I420 colour of red, green, blue 0..255. */
export function yuvOfRgb(r: number, g: number, b: number): Yuv {
  const [R, G, B] = [clampByte(r), clampByte(g), clampByte(b)];
  return [lumaOf(R, G, B), uOf(R, G, B), vOf(R, G, B)];
}

export const BLACK: Yuv = [16, 128, 128];

/**
 * A rectangle of the output snapped to even coordinates (so its chroma is whole samples) and kept inside
 * `width`×`height`; empty (width or height 0) when nothing of it is inside.
 */
export function evenRect(x: number, y: number, w: number, h: number, width: number, height: number): Rect {
  const x0 = Math.max(0, Math.round(x / 2) * 2);
  const y0 = Math.max(0, Math.round(y / 2) * 2);
  const x1 = Math.min(width, Math.round((x + w) / 2) * 2);
  const y1 = Math.min(height, Math.round((y + h) / 2) * 2);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

/** Alpha 0..1 as the 0..256 weight the blending loops use. */
export const weight = (alpha: number): number => Math.round(Math.min(1, Math.max(0, alpha)) * 256);

function fillPlane(plane: Uint8Array, stride: number, x: number, y: number, w: number, h: number, value: number, w256: number): void {
  for (let row = y; row < y + h; row++) {
    const start = row * stride + x;
    if (w256 >= 256) {
      plane.fill(value, start, start + w);
      continue;
    }
    const keep = 256 - w256;
    const add = value * w256 + 128;
    for (let i = start; i < start + w; i++) plane[i] = (plane[i]! * keep + add) >> 8;
  }
}

/** Fills `rect` (even, inside the picture) with a colour at weight `w256` (256: opaque). */
export function fillRect(picture: Picture, rect: Rect, color: Yuv, w256 = 256): void {
  if (rect.width <= 0 || rect.height <= 0 || w256 <= 0) return;
  fillPlane(picture.y, picture.yStride, rect.x, rect.y, rect.width, rect.height, color[0], w256);
  const cx = rect.x >> 1;
  const cy = rect.y >> 1;
  fillPlane(picture.u, picture.cStride, cx, cy, rect.width >> 1, rect.height >> 1, color[1], w256);
  fillPlane(picture.v, picture.cStride, cx, cy, rect.width >> 1, rect.height >> 1, color[2], w256);
}

/** One plane's region: the samples, the stride, and the part used (fractional). */
interface PlaneRegion {
  data: Uint8Array;
  stride: number;
  /** The plane's size, for clamping the filter's taps. */
  planeWidth: number;
  planeHeight: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Scratch planes for the halving steps, one per step (a step reads the one before), grown as needed:
 *  scaling runs on one thread and to its end before the next, so they are reused frame after frame. */
const scratch: Uint8Array[] = [];

function scratchPlane(step: number, size: number): Uint8Array {
  const current = scratch[step];
  if (current && current.length >= size) return current;
  return (scratch[step] = new Uint8Array(size));
}

/**
 * Halves a region by averaging pairs of samples across and/or down, into a tightly packed plane: a
 * bilinear filter alone would skip samples when shrinking by 2 or more and show it as aliasing.
 */
function halve(region: PlaneRegion, across: boolean, down: boolean, step: number): PlaneRegion {
  const x0 = Math.max(0, Math.floor(region.x));
  const y0 = Math.max(0, Math.floor(region.y));
  const x1 = Math.min(region.planeWidth, Math.ceil(region.x + region.width));
  const y1 = Math.min(region.planeHeight, Math.ceil(region.y + region.height));
  const fx = across ? 2 : 1;
  const fy = down ? 2 : 1;
  const w = Math.max(1, Math.floor((x1 - x0) / fx));
  const h = Math.max(1, Math.floor((y1 - y0) / fy));
  const out = scratchPlane(step, w * h);
  const src = region.data;
  const stride = region.stride;
  // w and h are whole pairs inside [x0, x1) and [y0, y1): every sample read lies inside the plane.
  for (let row = 0; row < h; row++) {
    const r0 = (y0 + row * fy) * stride + x0;
    const r1 = r0 + (fy - 1) * stride;
    const o = row * w;
    if (fx === 2) {
      for (let col = 0, c = 0; col < w; col++, c += 2) out[o + col] = (src[r0 + c]! + src[r0 + c + 1]! + src[r1 + c]! + src[r1 + c + 1]! + 2) >> 2;
    } else {
      for (let col = 0; col < w; col++) out[o + col] = (src[r0 + col]! + src[r1 + col]! + 1) >> 1;
    }
  }
  // The region in the halved plane: its origin moves with the integer start, its size by the factor.
  return { data: out, stride: w, planeWidth: w, planeHeight: h, x: (region.x - x0) / fx, y: (region.y - y0) / fy, width: region.width / fx, height: region.height / fy };
}

/** Scales `region` into `dest` of `plane` with a bilinear filter (8-bit weights), at weight `w256`. */
function scalePlane(region: PlaneRegion, plane: Uint8Array, stride: number, dest: Rect, w256: number): void {
  let src = region;
  for (let step = 0; src.width >= dest.width * 2 || src.height >= dest.height * 2; step++) src = halve(src, src.width >= dest.width * 2, src.height >= dest.height * 2, step);
  const { data, stride: sStride } = src;
  const lastX = src.planeWidth - 1;
  const lastY = src.planeHeight - 1;
  const sx = src.width / dest.width;
  const sy = src.height / dest.height;
  // One to one at whole-sample offsets: rows are copied as they are.
  if (w256 >= 256 && sx === 1 && sy === 1 && Number.isInteger(src.x) && Number.isInteger(src.y) && src.x + dest.width <= src.planeWidth && src.y + dest.height <= src.planeHeight) {
    for (let row = 0; row < dest.height; row++) {
      const from = (src.y + row) * sStride + src.x;
      plane.set(data.subarray(from, from + dest.width), (dest.y + row) * stride + dest.x);
    }
    return;
  }
  // Separable: each output row is first blended down (two source rows into `line`, over the columns the
  // row's taps reach), then across; half the multiplications of a direct 2×2 filter.
  const xs = new Int32Array(dest.width);
  const xs1 = new Int32Array(dest.width);
  const xw = new Int32Array(dest.width);
  for (let col = 0; col < dest.width; col++) {
    const fx = Math.min(lastX, Math.max(0, src.x + (col + 0.5) * sx - 0.5));
    const ix = Math.min(lastX, Math.floor(fx));
    xs[col] = ix;
    xs1[col] = ix < lastX ? ix + 1 : ix;
    xw[col] = Math.round((fx - ix) * 256);
  }
  const first = xs[0]!;
  const last = xs1[dest.width - 1]!;
  const line = lineBuffer(last + 1);
  const keep = 256 - w256;
  for (let row = 0; row < dest.height; row++) {
    const fy = Math.min(lastY, Math.max(0, src.y + (row + 0.5) * sy - 0.5));
    const iy = Math.min(lastY, Math.floor(fy));
    const wy = Math.round((fy - iy) * 256);
    const r0 = iy * sStride;
    const r1 = Math.min(lastY, iy + 1) * sStride;
    const wy0 = 256 - wy;
    for (let i = first; i <= last; i++) line[i] = data[r0 + i]! * wy0 + data[r1 + i]! * wy;
    const o = (dest.y + row) * stride + dest.x;
    if (w256 >= 256) {
      for (let col = 0; col < dest.width; col++) {
        const wx = xw[col]!;
        plane[o + col] = (line[xs[col]!]! * (256 - wx) + line[xs1[col]!]! * wx + 32768) >> 16;
      }
    } else {
      for (let col = 0; col < dest.width; col++) {
        const wx = xw[col]!;
        const value = (line[xs[col]!]! * (256 - wx) + line[xs1[col]!]! * wx + 32768) >> 16;
        plane[o + col] = (plane[o + col]! * keep + value * w256 + 128) >> 8;
      }
    }
  }
}

/** The one row of vertically blended samples the scaler works in, grown as needed. */
let line = new Int32Array(0);
function lineBuffer(size: number): Int32Array {
  if (line.length < size) line = new Int32Array(size);
  return line;
}

/**
 * Draws the part `from` of `source` into `dest` of `target` (even, inside the target), scaled to fit it
 * exactly, at weight `w256` (256: opaque).
 */
export function scaleInto(source: Picture, from: Rect, target: Picture, dest: Rect, w256 = 256): void {
  if (dest.width <= 0 || dest.height <= 0 || w256 <= 0 || !(from.width > 0 && from.height > 0)) return;
  const luma: PlaneRegion = { data: source.y, stride: source.yStride, planeWidth: source.width, planeHeight: source.height, ...from };
  scalePlane(luma, target.y, target.yStride, dest, w256);
  const cw = source.width >> 1;
  const ch = source.height >> 1;
  const chromaFrom = { x: from.x / 2, y: from.y / 2, width: from.width / 2, height: from.height / 2 };
  const chromaDest = { x: dest.x >> 1, y: dest.y >> 1, width: dest.width >> 1, height: dest.height >> 1 };
  scalePlane({ data: source.u, stride: source.cStride, planeWidth: cw, planeHeight: ch, ...chromaFrom }, target.u, target.cStride, chromaDest, w256);
  scalePlane({ data: source.v, stride: source.cStride, planeWidth: cw, planeHeight: ch, ...chromaFrom }, target.v, target.cStride, chromaDest, w256);
}

/** A layer drawn once (text, image) as I420 with alpha: `a` per luma sample, `ca` per chroma sample. */
export interface Overlay extends Picture {
  a: Uint8Array;
  ca: Uint8Array;
  /** No sample is transparent or partly so: laid over by copying rows. */
  opaque: boolean;
}

/** Turns RGBA pixels (not premultiplied, as ImageData holds them) of an even `width`×`height` into an overlay. */
export function overlayFromRgba(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): Overlay {
  const picture = allocPicture(width, height);
  const a = new Uint8Array(width * height);
  const ca = new Uint8Array((width * height) / 4);
  let opaque = true;
  for (let i = 0, p = 0; i < width * height; i++, p += 4) {
    const r = rgba[p]!;
    const g = rgba[p + 1]!;
    const b = rgba[p + 2]!;
    picture.y[i] = lumaOf(r, g, b);
    a[i] = rgba[p + 3]!;
    if (a[i] !== 255) opaque = false;
  }
  const cw = width / 2;
  for (let cy = 0; cy < height / 2; cy++) {
    for (let cx = 0; cx < cw; cx++) {
      // The chroma of a 2×2 block: its colours averaged by their alpha, so a transparent pixel's black
      // does not darken the edge of a letter.
      let r = 0;
      let g = 0;
      let b = 0;
      let sum = 0;
      for (let dy = 0; dy < 2; dy++) {
        for (let dx = 0; dx < 2; dx++) {
          const p = ((cy * 2 + dy) * width + cx * 2 + dx) * 4;
          const w = rgba[p + 3]!;
          r += rgba[p]! * w;
          g += rgba[p + 1]! * w;
          b += rgba[p + 2]! * w;
          sum += w;
        }
      }
      const c = cy * cw + cx;
      ca[c] = (sum + 2) >> 2;
      if (sum === 0) {
        picture.u[c] = 128;
        picture.v[c] = 128;
        continue;
      }
      const [, u, v] = yuvOfRgb(r / sum, g / sum, b / sum);
      picture.u[c] = u;
      picture.v[c] = v;
    }
  }
  return { width, height, y: picture.y, u: picture.u, v: picture.v, yStride: width, cStride: cw, a, ca, opaque };
}

function blendPlane(src: Uint8Array, alpha: Uint8Array, w: number, h: number, plane: Uint8Array, stride: number, x: number, y: number, w256: number): void {
  for (let row = 0; row < h; row++) {
    const s = row * w;
    const o = (y + row) * stride + x;
    for (let col = 0; col < w; col++) {
      const a = alpha[s + col]!;
      if (a === 0) continue;
      // alpha 0..255 to 0..256, then the layer's own weight
      const k = ((a + (a >> 7)) * w256) >> 8;
      plane[o + col] = (plane[o + col]! * (256 - k) + src[s + col]! * k + 128) >> 8;
    }
  }
}

/** Lays `overlay` over `target` with its top-left corner at (`x`, `y`) (even; the overlay fits inside). */
export function blendOverlay(target: Picture, overlay: Overlay, x: number, y: number, w256 = 256): void {
  if (w256 <= 0) return;
  const { width, height } = overlay;
  if (overlay.opaque && w256 >= 256) {
    scaleInto(overlay, { x: 0, y: 0, width, height }, target, { x, y, width, height });
    return;
  }
  blendPlane(overlay.y, overlay.a, width, height, target.y, target.yStride, x, y, w256);
  blendPlane(overlay.u, overlay.ca, width / 2, height / 2, target.u, target.cStride, x >> 1, y >> 1, w256);
  blendPlane(overlay.v, overlay.ca, width / 2, height / 2, target.v, target.cStride, x >> 1, y >> 1, w256);
}

/** `out` = `from` × (1 − progress) + `to` × progress, sample by sample (pictures of one size). */
export function mixPictures(from: Picture, to: Picture, progress: number, out: Picture): void {
  const k = weight(progress);
  const mix = (a: Uint8Array, b: Uint8Array, o: Uint8Array, stride: number, w: number, h: number): void => {
    for (let row = 0; row < h; row++) {
      const r = row * stride;
      for (let i = r; i < r + w; i++) o[i] = (a[i]! * (256 - k) + b[i]! * k + 128) >> 8;
    }
  };
  mix(from.y, to.y, out.y, out.yStride, out.width, out.height);
  mix(from.u, to.u, out.u, out.cStride, out.width / 2, out.height / 2);
  mix(from.v, to.v, out.v, out.cStride, out.width / 2, out.height / 2);
}

/** NV12 (Y, then U and V interleaved) as I420 planes. */
export function i420FromNv12(y: Uint8Array, yStride: number, uv: Uint8Array, uvStride: number, width: number, height: number): Picture {
  const picture = allocPicture(width, height);
  for (let row = 0; row < height; row++) picture.y.set(y.subarray(row * yStride, row * yStride + width), row * width);
  const cw = width / 2;
  for (let row = 0; row < height / 2; row++) {
    const s = row * uvStride;
    const o = row * cw;
    for (let col = 0; col < cw; col++) {
      picture.u[o + col] = uv[s + col * 2]!;
      picture.v[o + col] = uv[s + col * 2 + 1]!;
    }
  }
  return picture;
}

/** RGBA or BGRA pixels (alpha ignored) as an I420 picture. */
export function i420FromRgb(pixels: Uint8Array, stride: number, width: number, height: number, bgr: boolean): Picture {
  const picture = allocPicture(width, height);
  const ri = bgr ? 2 : 0;
  const bi = bgr ? 0 : 2;
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const p = row * stride + col * 4;
      picture.y[row * width + col] = lumaOf(pixels[p + ri]!, pixels[p + 1]!, pixels[p + bi]!);
    }
  }
  const cw = width / 2;
  for (let cy = 0; cy < height / 2; cy++) {
    for (let cx = 0; cx < cw; cx++) {
      const p = cy * 2 * stride + cx * 8;
      const q = p + stride;
      const r = (pixels[p + ri]! + pixels[p + 4 + ri]! + pixels[q + ri]! + pixels[q + 4 + ri]! + 2) >> 2;
      const g = (pixels[p + 1]! + pixels[p + 5]! + pixels[q + 1]! + pixels[q + 5]! + 2) >> 2;
      const b = (pixels[p + bi]! + pixels[p + 4 + bi]! + pixels[q + bi]! + pixels[q + 4 + bi]! + 2) >> 2;
      picture.u[cy * cw + cx] = uOf(r, g, b);
      picture.v[cy * cw + cx] = vOf(r, g, b);
    }
  }
  return picture;
}
