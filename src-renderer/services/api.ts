// The host's HTTP API as the studio uses it: the studio routes of docs/PROTOCOL.md (/api/*) and the WCS
// REST API (/rest-api/push/*, docs/DESIGN.md §4). Components never call this directly: store actions do.
// The bodies and answers are typed from the shared wire contract (src-contract/), the same schemas the host's
// routes validate and serialize with.
import type { HostInfo, MediaList, Target } from '../../src-contract/studio.js';
import type { StartupBody } from '../../src-contract/transponder.js';
import type { Recording, RecordingFileList, RecordingStartupBody } from '../../src-contract/recording.js';
import type { Scene, SceneActivated, ScenesList } from '../../src-contract/scenes.js';
import type { TransponderJSON } from '../sdk/protocol.js';
import type { SettingItem } from './types.js';

export type { HostInfo, MediaFile } from '../../src-contract/studio.js';

/** An HTTP refusal with the host's `{"error": "...", "key"?: "..."}` body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The setting a refused PUT /api/settings is about, as the host names it. */
    readonly key?: string,
  ) {
    super(message);
  }
}

/** The Content-Type of a media-folder upload, from its name (WAV sounds, PNG/JPEG/WebP images). */
function mediaType(name: string): string {
  const ext = name.toLowerCase().split('.').pop();
  if (ext === 'png') return 'image/png';
  if (ext === 'jpg' || ext === 'jpeg') return 'image/jpeg';
  if (ext === 'webp') return 'image/webp';
  return 'audio/wav';
}

/** The host's HTTP API. `baseUrl` is empty in the studio (same origin as the page). */
export function createApi(baseUrl = '') {
  /** The host's rest_auth_token, when it has one (the studio asks for it once, see TokenPrompt). */
  let accessToken: string | undefined;

  function headersFor(body: unknown, contentType: string): Record<string, string> {
    const headers: Record<string, string> = body === undefined ? {} : { 'Content-Type': contentType };
    if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
    return headers;
  }

  async function call<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: headersFor(body, contentType),
        body: body === undefined ? undefined : body instanceof Blob || body instanceof ArrayBuffer ? body : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, 'Castbridge is not answering: is the app still running?');
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const refusal = parsed as { error?: unknown; key?: unknown } | undefined;
      const message = typeof refusal?.error === 'string' ? refusal.error : `${method} ${path} answered ${response.status}`;
      throw new ApiError(response.status, message, typeof refusal?.key === 'string' ? refusal.key : undefined);
    }
    return parsed as T;
  }

  /** A file's bytes (an image of the media folder), with the same token and refusals as `call`. */
  async function blob(path: string): Promise<Blob> {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, { headers: headersFor(undefined, '') });
    } catch {
      throw new ApiError(0, 'Castbridge is not answering: is the app still running?');
    }
    if (!response.ok) throw new ApiError(response.status, response.status === 404 ? 'the file is not in the media folder' : `GET ${path} answered ${response.status}`);
    return response.blob();
  }

  return {
    setAccessToken(token: string | undefined): void {
      accessToken = token;
    },
    info: () => call<HostInfo>('GET', '/api/info'),
    settings: () => call<{ settings: SettingItem[]; file?: string }>('GET', '/api/settings'),
    saveSettings: (values: Record<string, string | null>) => call<{ settings: SettingItem[]; file?: string }>('PUT', '/api/settings', values),
    targets: () => call<Target[]>('GET', '/api/targets'),
    saveTargets: (targets: Target[]) => call<Target[]>('PUT', '/api/targets', targets),
    media: () => call<MediaList>('GET', '/api/media'),
    uploadMedia: (name: string, bytes: Blob) => call<MediaList>('PUT', `/api/media/${encodeURIComponent(name)}`, bytes, mediaType(name)),
    mediaFile: (name: string) => blob(`/api/media/${encodeURIComponent(name)}`),
    scenes: {
      list: () => call<ScenesList>('GET', '/api/scenes'),
      save: (scene: Scene) => call<Scene>('PUT', `/api/scenes/${encodeURIComponent(scene.name)}`, scene),
      remove: (name: string) => call<unknown>('DELETE', `/api/scenes/${encodeURIComponent(name)}`),
      activate: (name: string) => call<SceneActivated>('POST', `/api/scenes/${encodeURIComponent(name)}/activate`, {}),
    },
    push: {
      startup: (body: StartupBody) => call<TransponderJSON>('POST', '/rest-api/push/startup', body),
      /** Every transponder; none is a 404 in the WCS dialect, an empty list here. */
      findAll: async (): Promise<TransponderJSON[]> => {
        try {
          return await call<TransponderJSON[]>('POST', '/rest-api/push/find_all', {});
        } catch (error) {
          if (error instanceof ApiError && error.status === 404) return [];
          throw error;
        }
      },
      terminate: (mediaSessionId: string) => call<unknown>('POST', '/rest-api/push/terminate', { mediaSessionId }),
      mute: (mediaSessionId: string) => call<unknown>('POST', '/rest-api/push/mute', { mediaSessionId }),
      unmute: (mediaSessionId: string) => call<unknown>('POST', '/rest-api/push/unmute', { mediaSessionId }),
      soundOn: (mediaSessionId: string, soundFile: string, loop: boolean) =>
        call<unknown>('POST', '/rest-api/push/sound_on', { mediaSessionId, soundFile, loop }),
      soundOff: (mediaSessionId: string) => call<unknown>('POST', '/rest-api/push/sound_off', { mediaSessionId }),
    },
    recording: {
      startup: (body: RecordingStartupBody) => call<Recording>('POST', '/rest-api/recording/startup', body),
      terminate: (recordingId: string) => call<Recording>('POST', '/rest-api/recording/terminate', { recordingId }),
      findAll: () => call<Recording[]>('GET', '/rest-api/recording/find_all'),
      files: () => call<RecordingFileList>('GET', '/rest-api/recording/files'),
    },
  };
}

export type Api = ReturnType<typeof createApi>;
