// The screen and window picker's pure half (no `electron` import, so a unit test reads it): the studio lists
// sources with thumbnails through IPC (src-contract/desktop.ts), chooses one, then calls getDisplayMedia;
// screen-picker.ts's display-media handler captures the chosen source, once. Without a choice the shell asks
// (fallbackQuestion): it never picks a screen silently. Payloads from the renderer are `unknown` until checked here.
import type { CaptureChoice, CaptureSource, CaptureSourcesRequest } from '../../src-contract/desktop.js';

export const DEFAULT_THUMBNAIL_WIDTH = 320;
export const MAX_THUMBNAIL_WIDTH = 640;
/** A choice is for the getDisplayMedia call that follows it, not for one much later. */
export const CHOICE_TTL_MS = 30_000;
/** Electron's source ids: "screen:<n>:<n>" or "window:<n>:<n>". */
const SOURCE_ID = /^(screen|window):\d+:\d+$/;

export interface ListOptions {
  types: Array<'screen' | 'window'>;
  thumbnailSize: { width: number; height: number };
  fetchWindowIcons: boolean;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** desktopCapturer.getSources options for a renderer's request; throws a sentence for a bad one. */
export function listOptions(payload: unknown): ListOptions {
  const request: CaptureSourcesRequest = payload === undefined ? {} : (payload as CaptureSourcesRequest);
  if (!isObject(request)) throw new Error('captureSources takes an object {types?, thumbnailWidth?}');
  const types = request.types ?? ['screen', 'window'];
  if (!Array.isArray(types) || types.length === 0 || types.some((t) => t !== 'screen' && t !== 'window')) {
    throw new Error('captureSources types must be a non-empty list of "screen" and "window"');
  }
  const width = request.thumbnailWidth ?? DEFAULT_THUMBNAIL_WIDTH;
  if (typeof width !== 'number' || !Number.isInteger(width) || width < 0 || width > MAX_THUMBNAIL_WIDTH) {
    throw new Error(`captureSources thumbnailWidth must be a whole number of pixels from 0 to ${MAX_THUMBNAIL_WIDTH}`);
  }
  return { types: [...new Set(types)], thumbnailSize: { width, height: Math.round((width * 9) / 16) }, fetchWindowIcons: types.includes('window') };
}

/** The part of Electron's DesktopCapturerSource (and its NativeImages) the list reads. */
export interface SourceLike {
  id: string;
  name: string;
  thumbnail?: { isEmpty(): boolean; toDataURL(): string } | null;
  appIcon?: { isEmpty(): boolean; toDataURL(): string } | null;
}

const dataUrl = (image: SourceLike['thumbnail']) => (image && !image.isEmpty() ? image.toDataURL() : undefined);

/** A source as the renderer gets it: plain data, thumbnails as PNG data: URLs. */
export function toCaptureSource(source: SourceLike): CaptureSource {
  const out: CaptureSource = { id: source.id, name: source.name, kind: source.id.startsWith('window:') ? 'window' : 'screen' };
  const thumbnail = dataUrl(source.thumbnail);
  if (thumbnail) out.thumbnail = thumbnail;
  const appIcon = dataUrl(source.appIcon);
  if (appIcon) out.appIcon = appIcon;
  return out;
}

/** Electron can add the system's sound to a screen capture on Windows ('loopback'); not elsewhere. */
export function systemAudioAvailable(platform: NodeJS.Platform): boolean {
  return platform === 'win32';
}

/** A renderer's choice, checked; throws a sentence for a bad one. */
export function parseChoice(payload: unknown): Required<CaptureChoice> {
  if (!isObject(payload) || typeof payload.id !== 'string' || !SOURCE_ID.test(payload.id)) {
    throw new Error('chooseCaptureSource takes {id, audio?} with an id from captureSources ("screen:1:0", "window:5678:0")');
  }
  if (payload.audio !== undefined && typeof payload.audio !== 'boolean') throw new Error('chooseCaptureSource audio must be true or false');
  return { id: payload.id, audio: payload.audio === true };
}

/** The one choice waiting for the window's next getDisplayMedia. */
export class PendingChoice {
  private choice: (Required<CaptureChoice> & { at: number }) | undefined;

  set(choice: Required<CaptureChoice>, now = Date.now()): void {
    this.choice = { ...choice, at: now };
  }

  /** The choice, used up; undefined when there is none or it is older than CHOICE_TTL_MS. */
  take(now = Date.now()): Required<CaptureChoice> | undefined {
    const choice = this.choice;
    this.choice = undefined;
    if (!choice || now - choice.at > CHOICE_TTL_MS) return undefined;
    return { id: choice.id, audio: choice.audio };
  }
}

/** Most sources the shell's own question offers when the studio did not choose (a message box of buttons). */
export const FALLBACK_MAX_SOURCES = 10;
const FALLBACK_NAME_CHARS = 60;

/**
 * The buttons of the shell's own question when getDisplayMedia comes without a choice from the studio's
 * picker (an older studio, the SDK page): screens first, then windows, each name shortened, and Cancel last.
 * `ids[i]` is the source of `buttons[i]`; `cancelId` is Cancel's index.
 */
export function fallbackQuestion(sources: ReadonlyArray<{ id: string; name: string }>, max = FALLBACK_MAX_SOURCES): { buttons: string[]; ids: string[]; cancelId: number } {
  const ordered = [...sources.filter((s) => s.id.startsWith('screen:')), ...sources.filter((s) => s.id.startsWith('window:'))].slice(0, max);
  const label = (s: { id: string; name: string }) => {
    const name = s.name.trim() || (s.id.startsWith('screen:') ? 'Screen' : 'Window');
    return name.length > FALLBACK_NAME_CHARS ? `${name.slice(0, FALLBACK_NAME_CHARS - 1)}…` : name;
  };
  return { buttons: [...ordered.map(label), 'Cancel'], ids: ordered.map((s) => s.id), cancelId: ordered.length };
}
