// Where the compositor draws a frame and which track carries it. Two kinds: a 2D canvas captured as a
// track (every browser), and I420 pictures written as VideoFrames to a track of their own (Chromium;
// frame-surface.ts), chosen by measurement (docs/DECISIONS.md "Scenes: the compositor's drawing path").
import { drawScene, type PictureLookup } from './draw.js';
import type { DrawScene } from './scene-types.js';

export interface Surface {
  /** The program's track: every frame drawn goes to it. */
  readonly track: MediaStreamTrack;
  /** The canvas the program is drawn on, for a preview to show; undefined for the frame surface (its
   *  track is shown in a <video>). */
  readonly canvas: HTMLCanvasElement | undefined;
  readonly width: number;
  readonly height: number;
  resize(width: number, height: number): void;
  /** Draws `scene`, or a fade from `from` to `scene` at `progress` (0..1), and hands the frame to the
   *  track; a promise when the frame is only handed over once it settles. */
  draw(scene: DrawScene, from: DrawScene | undefined, progress: number): void | Promise<void>;
  stop(): void;
}

/**
 * Firefox (153) feeds its WebRTC encoder almost nothing from `captureStream(0)` with `requestFrame()` (7 video
 * packets in 6 s, measured against the relay), so there the track captures at the frame rate by itself.
 */
const FIREFOX = typeof navigator !== 'undefined' && /\bFirefox\//.test(navigator.userAgent);

/** Canvas 2D: `drawImage` of the captures' <video>s, text and colours drawn natively; the track is
 *  `canvas.captureStream` with each frame requested as it is drawn. */
export class CanvasSurface implements Surface {
  readonly canvas: HTMLCanvasElement;
  readonly track: MediaStreamTrack;
  private readonly ctx: CanvasRenderingContext2D;
  /** The incoming scene of a fade is drawn here first, then laid over the outgoing one as a whole. */
  private readonly next: HTMLCanvasElement;
  private readonly nextCtx: CanvasRenderingContext2D;

  constructor(
    width: number,
    height: number,
    fps: number,
    private readonly pictures: PictureLookup,
  ) {
    this.canvas = document.createElement('canvas');
    this.next = document.createElement('canvas');
    for (const canvas of [this.canvas, this.next]) {
      canvas.width = width;
      canvas.height = height;
    }
    const ctx = this.canvas.getContext('2d', { alpha: false });
    const nextCtx = this.next.getContext('2d', { alpha: false });
    if (!ctx || !nextCtx) throw new Error('this browser cannot draw the program: Canvas 2D is unavailable');
    this.ctx = ctx;
    this.nextCtx = nextCtx;
    const track = this.canvas.captureStream(FIREFOX ? fps : 0).getVideoTracks()[0];
    if (!track) throw new Error('this browser cannot send the program: canvas.captureStream gave no track');
    this.track = track;
  }

  get width(): number {
    return this.canvas.width;
  }

  get height(): number {
    return this.canvas.height;
  }

  resize(width: number, height: number): void {
    for (const canvas of [this.canvas, this.next]) {
      if (canvas.width !== width) canvas.width = width;
      if (canvas.height !== height) canvas.height = height;
    }
  }

  draw(scene: DrawScene, from: DrawScene | undefined, progress: number): void {
    const { width, height } = this.canvas;
    const ctx = this.ctx;
    ctx.fillStyle = '#000000';
    ctx.fillRect(0, 0, width, height);
    if (from) {
      drawScene(ctx, from, this.pictures, width, height);
      this.nextCtx.fillStyle = '#000000';
      this.nextCtx.fillRect(0, 0, width, height);
      drawScene(this.nextCtx, scene, this.pictures, width, height);
      ctx.globalAlpha = progress;
      ctx.drawImage(this.next, 0, 0);
      ctx.globalAlpha = 1;
    } else {
      drawScene(ctx, scene, this.pictures, width, height);
    }
    (this.track as CanvasCaptureMediaStreamTrack).requestFrame?.();
  }

  stop(): void {
    this.track.stop();
  }
}
