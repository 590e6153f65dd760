// The compositor's pure geometry: a layer's rectangle in output pixels, the part of a source picture that
// fills it (crop, then cover or contain), the text size at the output height, colours, and the fade's mix.
// No DOM here: every function is unit-tested with numbers.
import { DEFAULT_FONT_SIZE } from '../../src-contract/scenes.js';
import type { Crop, DrawLayer } from './scene-types.js';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Text sizes in a scene are given in pixels of a 1080-line picture, so a scene looks the same at 720p. */
export const FONT_REFERENCE_LINES = 1080;

const clamp01 = (v: number): number => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);

/** The layer's rectangle in output pixels, rounded to whole pixels and kept inside the frame. */
export function layerRect(layer: Pick<DrawLayer, 'x' | 'y' | 'width' | 'height'>, outWidth: number, outHeight: number): Rect {
  const x0 = Math.round(clamp01(layer.x) * outWidth);
  const y0 = Math.round(clamp01(layer.y) * outHeight);
  const x1 = Math.round(clamp01(layer.x + layer.width) * outWidth);
  const y1 = Math.round(clamp01(layer.y + layer.height) * outHeight);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

/** The part of a `sourceWidth`×`sourceHeight` picture left after cropping fractions off each side. */
export function cropRect(sourceWidth: number, sourceHeight: number, crop: Crop | undefined): Rect {
  if (!crop) return { x: 0, y: 0, width: sourceWidth, height: sourceHeight };
  const left = clamp01(crop.left);
  const top = clamp01(crop.top);
  const right = Math.max(left, 1 - clamp01(crop.right));
  const bottom = Math.max(top, 1 - clamp01(crop.bottom));
  return { x: left * sourceWidth, y: top * sourceHeight, width: (right - left) * sourceWidth, height: (bottom - top) * sourceHeight };
}

export interface Placement {
  /** What to take from the source picture (pixels of the source). */
  source: Rect;
  /** Where it goes in the output (pixels of the output). */
  dest: Rect;
}

/**
 * How a source picture fills a layer's rectangle: `cover` fills it and cuts the source's overhang evenly
 * from both sides; `contain` shows all of the source, centred, leaving bars of the layer uncovered.
 * Undefined while the source has no size (a video not started yet) or the rectangle is empty.
 */
export function placeSource(sourceWidth: number, sourceHeight: number, crop: Crop | undefined, dest: Rect, fit: 'cover' | 'contain' = 'cover'): Placement | undefined {
  if (!(sourceWidth > 0 && sourceHeight > 0 && dest.width > 0 && dest.height > 0)) return undefined;
  const source = cropRect(sourceWidth, sourceHeight, crop);
  if (!(source.width > 0 && source.height > 0)) return undefined;
  const sourceAspect = source.width / source.height;
  const destAspect = dest.width / dest.height;
  if (fit === 'contain') {
    const width = sourceAspect > destAspect ? dest.width : dest.height * sourceAspect;
    const height = sourceAspect > destAspect ? dest.width / sourceAspect : dest.height;
    return { source, dest: { x: dest.x + (dest.width - width) / 2, y: dest.y + (dest.height - height) / 2, width, height } };
  }
  if (sourceAspect > destAspect) {
    const width = source.height * destAspect;
    return { source: { ...source, x: source.x + (source.width - width) / 2, width }, dest };
  }
  const height = source.width / destAspect;
  return { source: { ...source, y: source.y + (source.height - height) / 2, height }, dest };
}

/** A text layer's font size in output pixels (fontSize is given at 1080 lines). */
export function fontPixels(fontSize: number | undefined, outHeight: number): number {
  const size = fontSize !== undefined && Number.isFinite(fontSize) && fontSize > 0 ? fontSize : DEFAULT_FONT_SIZE;
  return Math.max(1, Math.round((size * outHeight) / FONT_REFERENCE_LINES));
}

/** A layer's opacity, 1 unless given, kept in 0..1; 0 for a hidden layer. */
export function layerAlpha(layer: Pick<DrawLayer, 'opacity' | 'visible'>): number {
  if (layer.visible === false) return 0;
  return layer.opacity === undefined ? 1 : clamp01(layer.opacity);
}

/** How far a fade is, 0..1, `elapsedMs` after it started; a cut (or 0 ms) is at 1 at once. */
export function fadeProgress(elapsedMs: number, durationMs: number): number {
  if (!(durationMs > 0)) return 1;
  return clamp01(elapsedMs / durationMs);
}

const HEX_COLOR = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i;

/** `#rrggbb` or `#rrggbbaa` as red, green, blue (0..255) and alpha (0..1); undefined for anything else. */
export function rgbaOf(hex: string | undefined): [r: number, g: number, b: number, alpha: number] | undefined {
  const match = hex ? HEX_COLOR.exec(hex) : null;
  if (!match) return undefined;
  const rgb = Number.parseInt(match[1]!, 16);
  const alpha = match[2] === undefined ? 1 : Number.parseInt(match[2], 16) / 255;
  return [(rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255, alpha];
}

/** `#rrggbb` or `#rrggbbaa` as a CSS rgba() string; `fallback` for anything else. */
export function cssColor(hex: string | undefined, fallback: string): string {
  const rgba = rgbaOf(hex);
  if (!rgba) return fallback;
  const [r, g, b, alpha] = rgba;
  return `rgba(${r}, ${g}, ${b}, ${Number(alpha.toFixed(3))})`;
}

/** The padding around a text layer's lines inside its background box, in output pixels. */
export function textPadding(fontPx: number): number {
  return Math.round(fontPx * 0.35);
}
