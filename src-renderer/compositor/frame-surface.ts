// The frame surface: the program composed in I420 from the captures' own frames and written to a track of
// VideoFrames, with no canvas between a camera and the encoder. In software rendering a canvas pays for
// every source frame brought into it and for the RGB → I420 readback of every frame it sends; here a
// camera's frame is copied (and scaled where its layer is smaller) straight into the program's planes,
// which the encoder takes as they are. Text and image layers are drawn once on a small canvas and kept as
// I420 with alpha until they change.
import { drawPicture, drawText } from './draw.js';
import { FrameOutput, type FramePicture, type FramePump } from './frames.js';
import { layerAlpha, layerRect, placeSource, rgbaOf, type Rect } from './layout.js';
import type { DrawLayer, DrawScene } from './scene-types.js';
import type { Surface } from './surface.js';
import { allocPicture, BLACK, blendOverlay, evenRect, fillRect, mixPictures, overlayFromRgba, scaleInto, weight, yuvOfRgb, type Overlay, type Picture } from './yuv.js';

/** Finds what a layer shows: a capture's frames (camera, screen), or a decoded image. */
export interface FrameLookup {
  frames(layer: DrawLayer): FramePump | undefined;
  image(layer: DrawLayer): ImageBitmap | undefined;
}

/** Overlays not used for this many frames are let go (a scene switched away from, an edited text). */
const OVERLAY_KEEP_FRAMES = 90;

interface CachedOverlay {
  overlay: Overlay | undefined;
  usedAt: number;
}

type Buffered = Picture & { data: Uint8Array };

export class FrameSurface implements Surface {
  readonly canvas = undefined;
  private readonly output = new FrameOutput();
  private out: Buffered;
  /** A fade composes its incoming scene here, then mixes both into `out`. */
  private incoming: Buffered | undefined;
  private outgoing: Buffered | undefined;
  private readonly overlays = new Map<string, CachedOverlay>();
  private readonly imageIds = new WeakMap<ImageBitmap, number>();
  private nextImageId = 1;
  private frame = 0;
  /** Where text and images are drawn before they become overlays. */
  private scratch: HTMLCanvasElement | undefined;

  constructor(
    width: number,
    height: number,
    private readonly lookup: FrameLookup,
  ) {
    this.out = allocPicture(evenSize(width), evenSize(height));
  }

  get track(): MediaStreamTrack {
    return this.output.track;
  }

  get width(): number {
    return this.out.width;
  }

  get height(): number {
    return this.out.height;
  }

  resize(width: number, height: number): void {
    if (evenSize(width) === this.out.width && evenSize(height) === this.out.height) return;
    this.out = allocPicture(evenSize(width), evenSize(height));
    this.incoming = undefined;
    this.outgoing = undefined;
    this.overlays.clear();
  }

  async draw(scene: DrawScene, from: DrawScene | undefined, progress: number): Promise<void> {
    this.frame++;
    const out = this.out;
    if (from) {
      // Made at the first fade, at the size of `out` (a resize lets them go).
      const outgoing = (this.outgoing ??= allocPicture(out.width, out.height));
      const incoming = (this.incoming ??= allocPicture(out.width, out.height));
      await Promise.all([this.compose(from, outgoing), this.compose(scene, incoming)]);
      mixPictures(outgoing, incoming, progress, out);
    } else {
      await this.compose(scene, out);
    }
    this.forgetUnused();
    if (out !== this.out) return; // resized while composing: the next frame has the new size
    await this.output.write(out.data, out.width, out.height, performance.now() * 1000);
  }

  stop(): void {
    this.output.stop();
    this.overlays.clear();
  }

  /** Draws `scene`'s layers bottom to top over black into `target`. */
  private async compose(scene: DrawScene, target: Picture): Promise<void> {
    const { width, height } = target;
    // Every capture's frame is read first (each at most once), then the layers are drawn in one go.
    const frames = await Promise.all(scene.layers.map((layer) => ((layer.kind === 'camera' || layer.kind === 'screen') && layerAlpha(layer) > 0 ? this.lookup.frames(layer)?.read() : undefined)));
    fillRect(target, { x: 0, y: 0, width, height }, BLACK);
    scene.layers.forEach((layer, index) => {
      const opacity = layerAlpha(layer);
      if (opacity <= 0) return;
      const rect = layerRect(layer, width, height);
      if (rect.width === 0 || rect.height === 0) return;
      if (layer.kind === 'camera' || layer.kind === 'screen') {
        const frame = frames[index];
        if (frame) drawFrame(target, layer, rect, frame, opacity);
        return;
      }
      // Colours, text and images cover their rectangle on whole chroma samples.
      const box = evenRect(rect.x, rect.y, rect.width, rect.height, width, height);
      if (layer.kind === 'color') {
        const [r, g, b, alpha] = rgbaOf(layer.color) ?? [0, 0, 0, 1];
        fillRect(target, box, yuvOfRgb(r, g, b), weight(opacity * alpha));
      } else {
        const overlay = this.overlayOf(layer, box, height);
        if (overlay) blendOverlay(target, overlay, box.x, box.y, weight(opacity));
      }
    });
  }

  /** A text or image layer as an overlay of `box`, drawn when first needed and kept while it is unchanged. */
  private overlayOf(layer: DrawLayer, box: Rect, outHeight: number): Overlay | undefined {
    if (box.width <= 0 || box.height <= 0) return undefined;
    const image = layer.kind === 'image' ? this.lookup.image(layer) : undefined;
    if (layer.kind === 'image' && !image) return undefined; // not decoded yet: nothing shown, nothing kept
    const key = `${JSON.stringify(layer)}|${box.x},${box.y},${box.width}x${box.height}|${outHeight}|${image ? this.imageId(image) : 0}`;
    const cached = this.overlays.get(key);
    if (cached) {
      cached.usedAt = this.frame;
      return cached.overlay;
    }
    const overlay = this.renderOverlay(layer, box, outHeight, image);
    this.overlays.set(key, { overlay, usedAt: this.frame });
    return overlay;
  }

  private renderOverlay(layer: DrawLayer, box: Rect, outHeight: number, image: ImageBitmap | undefined): Overlay | undefined {
    const canvas = (this.scratch ??= document.createElement('canvas'));
    canvas.width = box.width;
    canvas.height = box.height;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) return undefined;
    ctx.clearRect(0, 0, box.width, box.height);
    ctx.save();
    // The layer is drawn where it sits in the program, seen through a canvas the size of its box.
    ctx.translate(-box.x, -box.y);
    if (image) drawPicture(ctx, layer, box, { kind: 'image', image });
    else drawText(ctx, layer, box, outHeight);
    ctx.restore();
    return overlayFromRgba(ctx.getImageData(0, 0, box.width, box.height).data, box.width, box.height);
  }

  private imageId(image: ImageBitmap): number {
    let id = this.imageIds.get(image);
    if (id === undefined) {
      id = this.nextImageId++;
      this.imageIds.set(image, id);
    }
    return id;
  }

  private forgetUnused(): void {
    if (this.frame % OVERLAY_KEEP_FRAMES !== 0) return;
    for (const [key, cached] of this.overlays) if (this.frame - cached.usedAt > OVERLAY_KEEP_FRAMES) this.overlays.delete(key);
  }
}

const evenSize = (n: number): number => Math.max(2, Math.round(n / 2) * 2);

/** A capture's frame into its layer's rectangle: cropped, then covering or contained, at `opacity`. */
function drawFrame(target: Picture, layer: DrawLayer, rect: Rect, frame: FramePicture, opacity: number): void {
  const { picture, shown } = frame;
  // Placed by the size the frame is shown at (its aspect ratio), then taken from its pixels.
  const placed = placeSource(shown.width, shown.height, layer.crop, rect, layer.fit ?? 'cover');
  if (!placed) return;
  const dest = evenRect(placed.dest.x, placed.dest.y, placed.dest.width, placed.dest.height, target.width, target.height);
  if (dest.width <= 0 || dest.height <= 0) return;
  const kx = picture.width / shown.width;
  const ky = picture.height / shown.height;
  const s = placed.source;
  scaleInto(picture, { x: s.x * kx, y: s.y * ky, width: s.width * kx, height: s.height * ky }, target, dest, weight(opacity));
}
