// What the Electron shell's preload exposes as `window.castbridge` beside the HTTP API (src-main/electron/
// preload.cjs, ipc.ts): types only, for the studio. Absent in a plain browser, where getDisplayMedia shows
// the browser's own picker.

/** `captureSources(request)`: which kinds of source to list and how wide their thumbnails are. */
export interface CaptureSourcesRequest {
  /** Default both. */
  types?: Array<'screen' | 'window'>;
  /** Thumbnail width in pixels (height follows 16:9), 0 for none; default 320, at most 640. */
  thumbnailWidth?: number;
}

/** A screen or window the shell can capture. */
export interface CaptureSource {
  /** Electron's source id ("screen:1:0", "window:5678:0"): what `chooseCaptureSource` takes. */
  id: string;
  name: string;
  kind: 'screen' | 'window';
  /** A PNG data: URL; absent when thumbnails were not asked for or the system gave none. */
  thumbnail?: string;
  /** The window's application icon as a PNG data: URL, when the system has one. */
  appIcon?: string;
}

export interface CaptureSourceList {
  sources: CaptureSource[];
  /** The system's sound can come with a screen (Windows loopback capture); elsewhere it cannot. */
  systemAudio: boolean;
}

/** `chooseCaptureSource(choice)`: the source the next getDisplayMedia of this window captures. */
export interface CaptureChoice {
  id: string;
  /** Also capture the system's sound (only where `systemAudio` is true). */
  audio?: boolean;
}

/** `window.castbridge` in the desktop app. */
export interface DesktopBridge {
  appInfo(): Promise<{ version: string; secretsKind: string; secretsWarning?: string }>;
  openMediaFolder(): Promise<string>;
  captureSources(request?: CaptureSourcesRequest): Promise<CaptureSourceList>;
  /** Resolves `{ ok: true }`, or `{ ok: false, error }` with a sentence (bad id, unknown source). */
  chooseCaptureSource(choice: CaptureChoice): Promise<{ ok: true } | { ok: false; error: string }>;
}
