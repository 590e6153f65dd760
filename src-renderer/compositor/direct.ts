// When the program needs no drawing: a scene that is one camera or screen picture filling the frame as it
// is, and nothing else visible, is that capture's own track. The studio then sends the capture's track
// itself (RTCRtpSender.replaceTrack, the encodings unchanged) and the compositor stops drawing, so such a
// scene costs what publishing the capture costs. Pure decisions: no DOM here.
import { layerAlpha } from './layout.js';
import type { DrawLayer, DrawScene } from './scene-types.js';

/** How far (relative) a capture's aspect ratio may be from the program's: 1 %, under a pixel's height at
 *  720p for a 16:9 picture; 854×480 (1.779) against 16:9 (1.778) qualifies, 4:3 does not. */
export const ASPECT_TOLERANCE = 0.01;

/** Rectangles are kept to 4 decimals by the editor: a full-frame layer is 0, 0, 1, 1 within that. */
const EPSILON = 1e-4;
const near = (value: number, wanted: number): boolean => Math.abs(value - wanted) <= EPSILON;

function isInvisible(layer: DrawLayer): boolean {
  return layerAlpha(layer) === 0 || !(layer.width > 0 && layer.height > 0);
}

function isFullFrameAsIs(layer: DrawLayer): boolean {
  const crop = layer.crop;
  const uncropped = !crop || [crop.left, crop.top, crop.right, crop.bottom].every((side) => !(side > 0));
  return near(layer.x, 0) && near(layer.y, 0) && near(layer.width, 1) && near(layer.height, 1) && layerAlpha(layer) === 1 && uncropped;
}

/**
 * The layer whose capture can be sent in place of the composed picture: the scene's one visible layer,
 * a camera or screen covering the whole frame (x = y = 0, width = height = 1), fully opaque, not cropped.
 * Undefined for any other scene (another visible layer of any kind, a rectangle, an opacity, a crop).
 */
export function directLayer(scene: DrawScene): DrawLayer | undefined {
  const visible = scene.layers.filter((layer) => !isInvisible(layer));
  if (visible.length !== 1) return undefined;
  const layer = visible[0]!;
  return (layer.kind === 'camera' || layer.kind === 'screen') && isFullFrameAsIs(layer) ? layer : undefined;
}

/**
 * Whether a capture of `width`×`height` can be sent for a program of `outWidth`×`outHeight`: the same
 * aspect ratio (within ASPECT_TOLERANCE), so it shows what the compositor would draw, and no larger than
 * the program in either direction, so no target receives more than the size the streamer chose (the
 * simulcast layers scale down from the track, so a smaller capture gives smaller layers).
 */
export function captureFits(width: number, height: number, outWidth: number, outHeight: number): boolean {
  if (!(width > 0 && height > 0 && outWidth > 0 && outHeight > 0)) return false;
  if (width > outWidth || height > outHeight) return false;
  const aspect = width / height;
  const outAspect = outWidth / outHeight;
  return Math.abs(aspect - outAspect) / outAspect <= ASPECT_TOLERANCE;
}
