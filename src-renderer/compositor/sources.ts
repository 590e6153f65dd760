// The pictures the layers show: per captured camera or screen a playing <video> (the canvas surface) or
// its frames as they come (the frame surface), a decoded bitmap per image of the media folder. The
// compositor looks them up every frame; nothing here opens a device.
import type { DirectSource } from './compositor.js';
import type { LayerPicture, PictureLookup } from './draw.js';
import type { FrameLookup } from './frame-surface.js';
import { FramePump } from './frames.js';
import type { DrawLayer, DrawScene } from './scene-types.js';

/** The capture a camera or screen layer needs: 'camera' (the studio's chosen camera), 'camera:<device>', 'screen'. */
export type VideoKey = 'camera' | 'screen' | `camera:${string}`;

/** The captures a scene shows (visible layers only). */
export function videosOf(scene: DrawScene): Set<VideoKey> {
  const keys = new Set<VideoKey>();
  for (const layer of scene.layers) {
    if (layer.visible === false) continue;
    if (layer.kind === 'screen') keys.add('screen');
    if (layer.kind === 'camera') keys.add(layer.device ? `camera:${layer.device}` : 'camera');
  }
  return keys;
}

/** The image files a scene shows. */
export function imagesOf(scene: DrawScene): Set<string> {
  return new Set(scene.layers.filter((l) => l.kind === 'image' && l.file).map((l) => l.file!));
}

interface ImageEntry {
  bitmap?: ImageBitmap;
  error?: string;
}

interface Capture {
  track: MediaStreamTrack;
  /** Canvas surface: the <video> drawn from. */
  video?: HTMLVideoElement;
  /** Frame surface: the frames read. */
  pump?: FramePump;
}

export class SceneSources {
  private readonly videos = new Map<string, Capture>();
  private readonly images = new Map<string, ImageEntry>();

  constructor(
    /** Reads an image file of the media folder (GET /api/media/{name}). */
    private readonly loadImage: (file: string) => Promise<Blob>,
    private readonly onImageError: (file: string, message: string) => void,
    /** A capture came, went, or changed its frame size (the program may send it directly, or stop to). */
    private readonly onVideoChange: () => void = () => undefined,
    /** Captures are read frame by frame (the frame surface) instead of played in <video>s. */
    private readonly readFrames = false,
  ) {}

  /** Shows `track` for `key` (undefined: that capture ended). The same track keeps its <video>. */
  setVideo(key: VideoKey, track: MediaStreamTrack | undefined): void {
    const current = this.videos.get(key);
    if (current?.track === track) return;
    if (current?.video) current.video.srcObject = null;
    current?.track.removeEventListener('ended', this.onVideoChange);
    current?.pump?.stop();
    if (!track) {
      this.videos.delete(key);
      this.onVideoChange();
      return;
    }
    if (this.readFrames) {
      this.videos.set(key, { track, pump: new FramePump(track, this.onVideoChange) });
      this.onVideoChange();
      return;
    }
    // A capture that ends by itself (a camera unplugged) is drawn no more, nor sent as it is.
    track.addEventListener('ended', this.onVideoChange);
    let video = current?.video;
    if (!video) {
      video = document.createElement('video');
      video.addEventListener('loadedmetadata', this.onVideoChange);
      video.addEventListener('resize', this.onVideoChange);
    }
    video.muted = true;
    video.playsInline = true;
    video.srcObject = new MediaStream([track]);
    void video.play().catch(() => undefined);
    this.videos.set(key, { video, track });
    this.onVideoChange();
  }

  hasVideo(key: VideoKey): boolean {
    return this.videos.has(key);
  }

  /** Loads the images `files` names that are not loaded yet. */
  async loadImages(files: Iterable<string>): Promise<void> {
    await Promise.all(
      [...files]
        .filter((file) => !this.images.has(file))
        .map(async (file) => {
          const entry: ImageEntry = {};
          this.images.set(file, entry);
          try {
            entry.bitmap = await createImageBitmap(await this.loadImage(file));
          } catch (error) {
            entry.error = `The image "${file}" could not be shown: ${error instanceof Error && error.message ? error.message : 'it is not a PNG, JPEG or WebP picture'}.`;
            this.onImageError(file, entry.error);
          }
        }),
    );
  }

  /** Forgets an image so that the next loadImages reads it again (after an upload replaced it). */
  forgetImage(file: string): void {
    this.images.get(file)?.bitmap?.close();
    this.images.delete(file);
  }

  private videoOf(layer: DrawLayer): Capture | undefined {
    const key = layer.kind === 'screen' ? 'screen' : layer.device ? `camera:${layer.device}` : 'camera';
    return this.videos.get(key) ?? (layer.kind === 'camera' ? this.videos.get('camera') : undefined);
  }

  private bitmapOf(layer: DrawLayer): ImageBitmap | undefined {
    return layer.kind === 'image' && layer.file ? this.images.get(layer.file)?.bitmap : undefined;
  }

  readonly lookup: PictureLookup = (layer: DrawLayer): LayerPicture | undefined => {
    if (layer.kind === 'image') {
      const bitmap = this.bitmapOf(layer);
      return bitmap ? { kind: 'image', image: bitmap } : undefined;
    }
    const entry = this.videoOf(layer);
    const video = entry?.video;
    return video && entry.track.readyState === 'live' && video.readyState >= 2 ? { kind: 'video', video } : undefined;
  };

  /** What the frame surface draws: a capture's frames, an image's bitmap. */
  readonly frameLookup: FrameLookup = {
    frames: (layer) => (layer.kind === 'camera' || layer.kind === 'screen' ? this.videoOf(layer)?.pump : undefined),
    image: (layer) => this.bitmapOf(layer),
  };

  /** A camera or screen layer's capture with the size of its frames, once its first frame's size is known. */
  readonly directSource = (layer: DrawLayer): DirectSource | undefined => {
    if (layer.kind !== 'camera' && layer.kind !== 'screen') return undefined;
    const entry = this.videoOf(layer);
    const size = entry?.pump ? entry.pump.size : entry?.video ? { width: entry.video.videoWidth, height: entry.video.videoHeight } : undefined;
    if (!entry || !size || !(size.width > 0 && size.height > 0)) return undefined;
    return { track: entry.track, width: size.width, height: size.height };
  };
}
