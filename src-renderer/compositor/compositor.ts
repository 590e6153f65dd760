// The compositor: draws the active scene at the output size and frame rate onto its surface, whose track
// is the program (surface.ts: a canvas captured as a track, or I420 frames written to a track of their
// own). The track is made once: a scene switch or a transition only changes what is drawn, so the
// published stream, its simulcast layers and every transponder downstream never notice.
//
// Drawing runs on the page's thread, ticked by a Worker timer so a hidden tab keeps its frame rate; the
// surface is chosen by measurement (docs/DECISIONS.md "Scenes: the compositor's drawing path").
//
// A scene that is one capture filling the frame as it is (direct.ts) is not drawn: the video track to send
// becomes that capture's own track (`videoTrack`, announced to `onVideoTrack` listeners, which replace the
// sender's track) and the ticker idles. Leaving such a scene, drawing takes over again first: it draws,
// the listeners put the program track back, then the cut or fade runs; a fade into such a scene is drawn
// and the capture's track is sent once it has ended.
import { captureFits, directLayer } from './direct.js';
import type { PictureLookup } from './draw.js';
import { FrameSurface, type FrameLookup } from './frame-surface.js';
import { fadeProgress } from './layout.js';
import type { DrawLayer, DrawScene } from './scene-types.js';
import { CanvasSurface, type Surface } from './surface.js';
import { startTicker, type Ticker } from './ticker.js';

export interface CompositorOptions {
  width: number;
  height: number;
  fps: number;
  /** What the canvas surface draws. */
  pictures: PictureLookup;
  /** What the frame surface draws; given, the program is composed from frames instead of on a canvas. */
  frames?: FrameLookup;
  /** Called after every frame drawn (the studio's program preview, tests). */
  onFrame?: () => void;
  /** The capture a camera or screen layer shows, with the size of its frames; undefined while there is none. */
  directSource?: (layer: DrawLayer) => DirectSource | undefined;
}

export interface DirectSource {
  track: MediaStreamTrack;
  width: number;
  height: number;
}

/** Told the video track to send from now on; the switch waits for what it returns (replaceTrack). */
export type VideoTrackListener = (track: MediaStreamTrack) => void | Promise<void>;

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
  /** True while a capture's own track is sent and nothing is drawn. */
  direct: boolean;
  /** How frames are drawn: on a canvas, or composed from the captures' frames. */
  surface: 'canvas' | 'frames';
}

const DRAW_SAMPLES = 300;

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
  /** The canvas the program is drawn on; undefined when it is composed from frames. */
  readonly canvas: HTMLCanvasElement | undefined;
  /** The program: the one video track the studio publishes. */
  readonly track: MediaStreamTrack;
  private readonly surface: Surface;
  /** A frame being composed (frame surface): ticks meanwhile are missed frames. */
  private drawing = false;
  private scene: DrawScene = { name: '', layers: [] };
  private transition: Transition | undefined;
  private ticker: Ticker;
  private fps: number;
  private frames = 0;
  /** The frame rate's clock: frames due are counted from here (restarted when the rate changes). */
  private clock = { since: performance.now(), frames: 0, missedBefore: 0 };
  private readonly drawTimes: number[] = [];
  private lastDrawAt = -Infinity;
  /** The capture whose track is sent in place of the program's while nothing is drawn. */
  private direct: MediaStreamTrack | undefined;
  private sent: MediaStreamTrack;
  private readonly trackListeners = new Set<VideoTrackListener>();
  /** Track switches run one after the other: each waits for the listeners of the one before. */
  private switching: Promise<void> = Promise.resolve();
  /** Frames missed until drawing stopped for a direct track (none are due while it is sent). */
  private missedWhileDirect = 0;

  constructor(private readonly options: CompositorOptions) {
    this.fps = options.fps;
    this.surface = options.frames ? new FrameSurface(options.width, options.height, options.frames) : new CanvasSurface(options.width, options.height, options.fps, options.pictures);
    this.canvas = this.surface.canvas;
    this.track = this.surface.track;
    this.sent = this.track;
    this.drawFrame(performance.now());
    this.ticker = startTicker(1000 / this.fps, () => this.tick());
  }

  /** The video track to send now: the program's own, or the capture's own while its scene needs no drawing. */
  get videoTrack(): MediaStreamTrack {
    return this.sent;
  }

  /** Calls `listener` with each new video track to send; returns the function that stops it. */
  onVideoTrack(listener: VideoTrackListener): () => void {
    this.trackListeners.add(listener);
    return () => this.trackListeners.delete(listener);
  }

  /**
   * Shows `scene` from the next frame, with its transition (a fade from what is shown now, or a cut);
   * resolves once the track to send for it is in place.
   */
  setScene(scene: DrawScene): Promise<void> {
    return this.serially(async () => {
      const from = this.scene;
      const ms = scene.transition?.kind === 'fade' ? scene.transition.ms : 0;
      if (ms > 0 && from.layers.length > 0) {
        // The outgoing picture must be on the program track before the fade mixes it away.
        await this.toProgram();
        this.transition = { from, startedAt: performance.now(), ms };
        this.scene = scene;
        return;
      }
      this.transition = undefined;
      this.scene = scene;
      await this.toWanted();
    });
  }

  /** The captures or their sizes changed: sends the program's track or a capture's, whichever is due now. */
  refresh(): Promise<void> {
    return this.serially(() => this.toWanted());
  }

  currentScene(): DrawScene {
    return this.scene;
  }

  /** A new output size or frame rate; the track stays the same track. */
  resize(width: number, height: number, fps: number): void {
    this.surface.resize(width, height);
    if (fps !== this.fps) {
      if (!this.direct) this.clock = { since: performance.now(), frames: this.frames, missedBefore: this.missed() };
      this.fps = fps;
      if (!this.direct) this.ticker.setPeriod(1000 / fps);
    }
    void this.refresh();
  }

  stats(): CompositorStats {
    const sorted = [...this.drawTimes].sort((a, b) => a - b);
    return {
      frames: this.frames,
      dropped: this.missed(),
      drawMsP50: percentile(sorted, 0.5),
      drawMsP95: percentile(sorted, 0.95),
      width: this.surface.width,
      height: this.surface.height,
      fps: this.fps,
      direct: this.direct !== undefined,
      surface: this.canvas ? 'canvas' : 'frames',
    };
  }

  stop(): void {
    this.ticker.stop();
    this.surface.stop();
    this.trackListeners.clear();
  }

  private serially(step: () => Promise<void>): Promise<void> {
    const next = this.switching.then(step);
    this.switching = next.catch(() => undefined);
    return next;
  }

  /** The capture whose track can be sent for `scene` as it is now; undefined when it must be drawn. */
  private wantedDirect(scene: DrawScene): MediaStreamTrack | undefined {
    const layer = directLayer(scene);
    const source = layer ? this.options.directSource?.(layer) : undefined;
    if (!source || source.track.readyState !== 'live') return undefined;
    return captureFits(source.width, source.height, this.surface.width, this.surface.height) ? source.track : undefined;
  }

  private async toWanted(): Promise<void> {
    const wanted = this.transition ? undefined : this.wantedDirect(this.scene);
    if (wanted === this.direct) return;
    if (!wanted) return this.toProgram();
    // The program keeps being drawn until the sender carries the capture's track: no frame goes missing.
    if (!(await this.announce(wanted))) {
      // A sender refused the capture's track: the program's goes back and the scene stays drawn.
      await this.announce(this.direct ?? this.track);
      return;
    }
    if (!this.direct) {
      this.missedWhileDirect = this.missed();
      this.ticker.setPeriod(0);
    }
    this.direct = wanted;
  }

  /** Drawing again, on the program track: a frame drawn at once, then the listeners switch to it. */
  private async toProgram(): Promise<void> {
    if (!this.direct) return;
    this.direct = undefined;
    this.clock = { since: performance.now(), frames: this.frames, missedBefore: this.missedWhileDirect };
    this.ticker.setPeriod(1000 / this.fps);
    this.drawFrame(performance.now());
    await this.announce(this.track);
  }

  /** Tells the listeners to send `track`; false when one of them failed to. */
  private async announce(track: MediaStreamTrack): Promise<boolean> {
    this.sent = track;
    const results = await Promise.allSettled([...this.trackListeners].map(async (listener) => listener(track)));
    return results.every((r) => r.status === 'fulfilled');
  }

  private missed(): number {
    if (this.direct) return this.missedWhileDirect;
    const due = Math.floor(((performance.now() - this.clock.since) * this.fps) / 1000);
    return this.clock.missedBefore + Math.max(0, due - (this.frames - this.clock.frames));
  }

  private tick(): void {
    const now = performance.now();
    // Ticks queue up while the page's thread is busy and then arrive in a burst: drawing each of them would
    // only add delay and keep the thread busy, so a tick that comes less than half a period after the last
    // frame is skipped (a missed frame). Only the page's own clock is read: the tick's time comes from
    // another thread's clock. A tick while a frame is still being composed is missed too.
    if (this.drawing || now - this.lastDrawAt < 500 / this.fps) return;
    this.drawFrame(now);
  }

  private drawFrame(now: number): void {
    const started = performance.now();
    this.lastDrawAt = started;
    const transition = this.transition;
    const progress = transition ? fadeProgress(now - transition.startedAt, transition.ms) : 1;
    let from: DrawScene | undefined;
    if (transition && progress < 1) from = transition.from;
    else if (transition) {
      this.transition = undefined;
      void this.refresh(); // a fade into a scene the capture's own track can show
    }
    const drawn = (): void => {
      this.frames++;
      this.drawTimes.push(performance.now() - started);
      if (this.drawTimes.length > DRAW_SAMPLES) this.drawTimes.shift();
      this.options.onFrame?.();
    };
    const pending = this.surface.draw(this.scene, from, progress);
    if (!pending) return drawn();
    this.drawing = true;
    pending.then(drawn, (error: unknown) => console.warn('the program frame could not be sent:', error)).finally(() => {
      this.drawing = false;
    });
  }
}
