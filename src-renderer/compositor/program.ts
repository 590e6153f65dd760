// The program: what the studio sends. The compositor's video track and the mixer's audio track in one
// MediaStream, made once per studio page; the studio publishes it exactly as it published the camera.
import { Mixer } from '../mixer/mixer.js';
import { Compositor, type CompositorStats, type VideoTrackListener } from './compositor.js';
import { framePathAvailable } from './frames.js';
import type { DrawScene } from './scene-types.js';
import { imagesOf, SceneSources, type VideoKey } from './sources.js';

export interface ProgramOptions {
  width: number;
  height: number;
  fps: number;
  loadImage(file: string): Promise<Blob>;
  onImageError(file: string, message: string): void;
}

export interface Program {
  /** The published stream: one video track (the composed picture), one audio track (the mix). Its video
   *  track is the canvas's; what to send is `videoTrack`. */
  stream: MediaStream;
  /** The video track to send now: the canvas's, or a capture's own while the scene is that capture alone. */
  readonly videoTrack: MediaStreamTrack;
  /** Calls `listener` with each new track to send (the publisher replaces its sender's track); returns the
   *  function that stops it. A scene switch waits for the listener's promise before it goes on. */
  onVideoTrack(listener: VideoTrackListener): () => void;
  /** The canvas the program is drawn on; undefined when it is composed from the captures' frames. */
  canvas: HTMLCanvasElement | undefined;
  mixer: Mixer;
  setScene(scene: DrawScene): Promise<void>;
  setVideo(key: VideoKey, track: MediaStreamTrack | undefined): void;
  hasVideo(key: VideoKey): boolean;
  forgetImage(file: string): void;
  resize(width: number, height: number, fps: number): void;
  stats(): CompositorStats;
  /** Calls `listener` after each frame drawn; returns the function that stops it. */
  onFrame(listener: () => void): () => void;
  close(): void;
}

/**
 * Whether the program is composed from the captures' frames (Chromium, Electron) rather than on a canvas.
 * `?compositor=canvas` in the studio's address keeps the canvas, to compare the two.
 */
function composeFromFrames(): boolean {
  const asked = typeof location === 'undefined' ? null : new URLSearchParams(location.search).get('compositor');
  return asked !== 'canvas' && framePathAvailable();
}

export function createProgram(options: ProgramOptions): Program {
  const listeners = new Set<() => void>();
  // A capture that comes, goes or changes size may let the compositor send it directly, or make it draw.
  let refresh = (): void => undefined;
  const frames = composeFromFrames();
  const sources = new SceneSources(options.loadImage, options.onImageError, () => refresh(), frames);
  const compositor = new Compositor({
    width: options.width,
    height: options.height,
    fps: options.fps,
    pictures: sources.lookup,
    frames: frames ? sources.frameLookup : undefined,
    directSource: sources.directSource,
    onFrame: () => listeners.forEach((l) => l()),
  });
  refresh = () => void compositor.refresh();
  const mixer = new Mixer();
  const stream = new MediaStream([compositor.track, mixer.track]);
  return {
    stream,
    get videoTrack() {
      return compositor.videoTrack;
    },
    onVideoTrack: (listener) => compositor.onVideoTrack(listener),
    canvas: compositor.canvas,
    mixer,
    async setScene(scene) {
      // Images first, so that the first frame of the new scene already shows them.
      await sources.loadImages(imagesOf(scene));
      await compositor.setScene(scene);
      mixer.setMuted('microphone', scene.microphone === false, 'scene');
    },
    setVideo: (key, track) => sources.setVideo(key, track),
    hasVideo: (key) => sources.hasVideo(key),
    forgetImage: (file) => sources.forgetImage(file),
    resize: (width, height, fps) => compositor.resize(width, height, fps),
    stats: () => compositor.stats(),
    onFrame(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      compositor.stop();
      mixer.close();
    },
  };
}
