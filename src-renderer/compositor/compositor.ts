// The compositor: draws the active scene into the program canvas at the output size and frame rate, and
// offers that canvas as one video track (canvas.captureStream with frames requested one by one). The track
// is made once: a scene switch or a transition only changes what is drawn, so the published stream, its
// simulcast layers and every transponder downstream never notice.
//
// Path chosen by measurement (docs/DECISIONS.md "Scenes: the compositor's drawing path"): Canvas 2D on the
// page's thread, ticked by a Worker timer so a hidden tab keeps its frame rate.
import { drawScene, type PictureLookup } from './draw.js';
import { fadeProgress } from './layout.js';
import type { DrawScene } from './scene-types.js';
import { startTicker, type Ticker } from './ticker.js';

export interface CompositorOptions {
  width: number;
  height: number;
  fps: number;
  pictures: PictureLookup;
  /** Called after every frame drawn (the studio's program preview, tests). */
  onFrame?: () => void;
}

export interface CompositorStats {
  /** Frames drawn and handed to the track since start. */
  frames: number;
  /** Frames missed: how many the frame rate asks for since start, less those drawn (the page's thread was
   *  busy, or the tab's timers were held back). */
  dropped: number;
  /** Time drawing a frame took, ms: median and 95th percentile of the last DRAW_SAMPLES frames. */
  drawMsP50: number;
  drawMsP95: number;
  width: number;
  height: number;
  fps: number;
}

const DRAW_SAMPLES = 300;

/**
 * Firefox (153) feeds its WebRTC encoder almost nothing from `captureStream(0)` with `requestFrame()` (7 video
 * packets in 6 s, measured against the relay), so there the track captures at the frame rate by itself.
 */
const FIREFOX = typeof navigator !== 'undefined' && /\bFirefox\//.test(navigator.userAgent);

interface Transition {
  from: DrawScene;
  startedAt: number;
  ms: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

export class Compositor {
  readonly canvas: HTMLCanvasElement;
  /** The program: the one video track the studio publishes. */
  readonly track: MediaStreamTrack;
  private readonly ctx: CanvasRenderingContext2D;
  /** The incoming scene of a fade is drawn here first, then laid over the outgoing one as a whole. */
  private readonly next: HTMLCanvasElement;
  private readonly nextCtx: CanvasRenderingContext2D;
  private scene: DrawScene = { name: '', layers: [] };
  private transition: Transition | undefined;
  private ticker: Ticker;
  private fps: number;
  private frames = 0;
  /** The frame rate's clock: frames due are counted from here (restarted when the rate changes). */
  private clock = { since: performance.now(), frames: 0, missedBefore: 0 };
  private readonly drawTimes: number[] = [];
  private lastDrawAt = -Infinity;

  constructor(private readonly options: CompositorOptions) {
    this.fps = options.fps;
    this.canvas = document.createElement('canvas');
    this.next = document.createElement('canvas');
    for (const canvas of [this.canvas, this.next]) {
      canvas.width = options.width;
      canvas.height = options.height;
    }
    const ctx = this.canvas.getContext('2d', { alpha: false });
    const nextCtx = this.next.getContext('2d', { alpha: false });
    if (!ctx || !nextCtx) throw new Error('this browser cannot draw the program: Canvas 2D is unavailable');
    this.ctx = ctx;
    this.nextCtx = nextCtx;
    const track = this.canvas.captureStream(FIREFOX ? this.fps : 0).getVideoTracks()[0];
    if (!track) throw new Error('this browser cannot send the program: canvas.captureStream gave no track');
    this.track = track;
    this.drawFrame(performance.now());
    this.ticker = startTicker(1000 / this.fps, () => this.tick());
  }

  /** Shows `scene` from the next frame, with its transition (a fade from what is shown now, or a cut). */
  setScene(scene: DrawScene): void {
    const fade = scene.transition?.kind === 'fade' && scene.transition.ms > 0 && this.scene.layers.length > 0;
    this.transition = fade ? { from: this.scene, startedAt: performance.now(), ms: scene.transition!.ms } : undefined;
    this.scene = scene;
  }

  currentScene(): DrawScene {
    return this.scene;
  }

  /** A new output size or frame rate; the track stays the same track. */
  resize(width: number, height: number, fps: number): void {
    for (const canvas of [this.canvas, this.next]) {
      if (canvas.width !== width) canvas.width = width;
      if (canvas.height !== height) canvas.height = height;
    }
    if (fps !== this.fps) {
      this.clock = { since: performance.now(), frames: this.frames, missedBefore: this.missed() };
      this.fps = fps;
      this.ticker.setPeriod(1000 / fps);
    }
  }

  stats(): CompositorStats {
    const sorted = [...this.drawTimes].sort((a, b) => a - b);
    return {
      frames: this.frames,
      dropped: this.missed(),
      drawMsP50: percentile(sorted, 0.5),
      drawMsP95: percentile(sorted, 0.95),
      width: this.canvas.width,
      height: this.canvas.height,
      fps: this.fps,
    };
  }

  stop(): void {
    this.ticker.stop();
    this.track.stop();
  }

  private missed(): number {
    const due = Math.floor(((performance.now() - this.clock.since) * this.fps) / 1000);
    return this.clock.missedBefore + Math.max(0, due - (this.frames - this.clock.frames));
  }

  private tick(): void {
    const now = performance.now();
    // Ticks queue up while the page's thread is busy and then arrive in a burst: drawing each of them would
    // only add delay and keep the thread busy, so a tick that comes less than half a period after the last
    // frame is skipped (a missed frame). Only the page's own clock is read: the tick's time comes from
    // another thread's clock.
    if (now - this.lastDrawAt < 500 / this.fps) return;
    this.drawFrame(now);
  }

  private drawFrame(now: number): void {
    const started = performance.now();
    this.lastDrawAt = started;
    const { width, height } = this.canvas;
    const ctx = this.ctx;
    ctx.fillStyle = '#000000';
    ctx.fillRect(0, 0, width, height);
    const transition = this.transition;
    const progress = transition ? fadeProgress(now - transition.startedAt, transition.ms) : 1;
    if (transition && progress < 1) {
      drawScene(ctx, transition.from, this.options.pictures, width, height);
      this.nextCtx.fillStyle = '#000000';
      this.nextCtx.fillRect(0, 0, width, height);
      drawScene(this.nextCtx, this.scene, this.options.pictures, width, height);
      ctx.globalAlpha = progress;
      ctx.drawImage(this.next, 0, 0);
      ctx.globalAlpha = 1;
    } else {
      this.transition = undefined;
      drawScene(ctx, this.scene, this.options.pictures, width, height);
    }
    (this.track as CanvasCaptureMediaStreamTrack).requestFrame?.();
    this.frames++;
    this.drawTimes.push(performance.now() - started);
    if (this.drawTimes.length > DRAW_SAMPLES) this.drawTimes.shift();
    this.options.onFrame?.();
  }
}
