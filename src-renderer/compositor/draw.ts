// Drawing one scene into a Canvas 2D context, layers bottom to top (index 0 first). The geometry comes
// from layout.ts; this file only talks to the canvas.
import { cssColor, fontPixels, layerAlpha, layerRect, placeSource, textPadding, type Rect } from './layout.js';
import type { DrawLayer, DrawScene } from './scene-types.js';

/** A picture a layer shows: a playing <video> (camera, screen) or a decoded image. */
export type LayerPicture = { kind: 'video'; video: HTMLVideoElement } | { kind: 'image'; image: ImageBitmap | HTMLImageElement };

/** Finds the picture of a camera, screen or image layer; undefined while it is not available. */
export type PictureLookup = (layer: DrawLayer) => LayerPicture | undefined;

function pictureSize(picture: LayerPicture): { width: number; height: number } {
  if (picture.kind === 'video') return { width: picture.video.videoWidth, height: picture.video.videoHeight };
  const image = picture.image;
  return 'naturalWidth' in image ? { width: image.naturalWidth, height: image.naturalHeight } : { width: image.width, height: image.height };
}

export function drawPicture(ctx: CanvasRenderingContext2D, layer: DrawLayer, rect: Rect, picture: LayerPicture): void {
  const { width, height } = pictureSize(picture);
  const placed = placeSource(width, height, layer.crop, rect, layer.fit ?? 'cover');
  if (!placed) return;
  const { source: s, dest: d } = placed;
  ctx.drawImage(picture.kind === 'video' ? picture.video : picture.image, s.x, s.y, s.width, s.height, d.x, d.y, d.width, d.height);
}

/** A text layer: its box (when it has a background), then its lines, left-aligned, centred vertically. */
export function drawText(ctx: CanvasRenderingContext2D, layer: DrawLayer, rect: Rect, outHeight: number): void {
  if (layer.background) {
    ctx.fillStyle = cssColor(layer.background, 'rgba(0, 0, 0, 0.6)');
    ctx.fillRect(rect.x, rect.y, rect.width, rect.height);
  }
  const text = layer.text ?? '';
  if (!text) return;
  const px = fontPixels(layer.fontSize, outHeight);
  const pad = textPadding(px);
  const lines = text.split('\n');
  const lineHeight = Math.round(px * 1.2);
  ctx.save();
  ctx.beginPath();
  ctx.rect(rect.x, rect.y, rect.width, rect.height);
  ctx.clip();
  ctx.font = `600 ${px}px system-ui, "DejaVu Sans", Arial, sans-serif`;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  ctx.fillStyle = cssColor(layer.color, '#ffffff');
  const top = rect.y + rect.height / 2 - ((lines.length - 1) * lineHeight) / 2;
  lines.forEach((line, i) => ctx.fillText(line, rect.x + pad, top + i * lineHeight, Math.max(1, rect.width - 2 * pad)));
  ctx.restore();
}

/** Draws `scene` over what the canvas holds, at `alpha` (a fade's progress; 1 when no transition runs). */
export function drawScene(ctx: CanvasRenderingContext2D, scene: DrawScene, pictures: PictureLookup, outWidth: number, outHeight: number, alpha = 1): void {
  for (const layer of scene.layers) {
    const layerOpacity = layerAlpha(layer) * alpha;
    if (layerOpacity <= 0) continue;
    const rect = layerRect(layer, outWidth, outHeight);
    if (rect.width === 0 || rect.height === 0) continue;
    ctx.globalAlpha = layerOpacity;
    if (layer.kind === 'color') {
      ctx.fillStyle = cssColor(layer.color, '#000000');
      ctx.fillRect(rect.x, rect.y, rect.width, rect.height);
    } else if (layer.kind === 'text') {
      drawText(ctx, layer, rect, outHeight);
    } else {
      const picture = pictures(layer);
      if (picture) drawPicture(ctx, layer, rect, picture);
    }
  }
  ctx.globalAlpha = 1;
}
