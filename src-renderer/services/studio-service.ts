// The studio's side effects: the host session (publish + events), capture, and REST calls. Components
// call these functions; results and events land in the store through its actions.
import { createSession, type Session, type Stream } from '../sdk/index.js';
import { describeFailure, describePublishFailure } from '../store/describe.js';
import { devicesSelectors } from '../store/devices.js';
import { startupBody, targetProblem, type Target } from '../store/presets.js';
import { settingsSelectors } from '../store/settings.js';
import type { StudioStore } from '../store/studio-store.js';
import { targetsSelectors } from '../store/targets.js';
import { api, ApiError, setAccessToken, type HostInfo, type MediaFile } from './api.js';
import { captureErrorMessage, listDevices, meterMicrophone, openSource, stopSource } from './capture.js';

const RECONNECT_DELAY_MS = 2000;
/** Where the access token the streamer typed is kept for this browser tab (not across restarts). */
export const TOKEN_STORAGE_KEY = 'castbridge.accessToken';

function storedToken(): string | undefined {
  try {
    return sessionStorage.getItem(TOKEN_STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/** What the Electron preload exposes (src-main/electron/preload.cjs); absent in a plain browser. */
interface DesktopBridge {
  appInfo(): Promise<{ version: string; secretsKind: string; secretsWarning?: string }>;
}

function desktopBridge(): DesktopBridge | undefined {
  return (window as unknown as { castbridge?: DesktopBridge }).castbridge;
}

export interface StudioService {
  start(): Promise<void>;
  restartPreview(): Promise<void>;
  preview(): MediaStream | undefined;
  info(): HostInfo | undefined;
  goLive(): Promise<void>;
  stop(): void;
  saveTarget(target: Target): Promise<void>;
  deleteTarget(id: string): Promise<void>;
  saveSettings(): Promise<void>;
  mute(id: string, muted: boolean): Promise<void>;
  soundOn(id: string, file: string, loop: boolean): Promise<void>;
  soundOff(id: string): Promise<void>;
  terminate(id: string): Promise<void>;
  mediaFiles(): Promise<MediaFile[]>;
  uploadMedia(file: File): Promise<void>;
  /** Listeners for the preview MediaStream changing (the video element re-attaches). */
  onPreview(listener: (media: MediaStream | undefined) => void): () => void;
}

export function createStudioService(store: StudioStore): StudioService {
  const s = store.getState;
  let session: Session | undefined;
  let stream: Stream | undefined;
  let media: MediaStream | undefined;
  let stopMeter: (() => void) | undefined;
  let hostInfo: HostInfo | undefined;
  /** A session was established before: the next ESTABLISHED is a reconnect. */
  let wasEstablished = false;
  /** Counts preview (re)starts: only the latest one's capture is kept. */
  let previewAttempt = 0;
  const previewListeners = new Set<(m: MediaStream | undefined) => void>();

  function connect(): void {
    s().publish.setSession('CONNECTING');
    const token = storedToken();
    const current = createSession(token ? { urlServer: location.origin, accessToken: token } : { urlServer: location.origin });
    session = current;
    current.subscribeEvents();
    current
      .on('ESTABLISHED', () => {
        s().publish.setSession('ESTABLISHED');
        if (wasEstablished) void resync();
        wasEstablished = true;
      })
      .on('EVENT', (event) => s().transponders.apply(event))
      .on('DISCONNECTED', () => retry('DISCONNECTED'))
      .on('FAILED', () => retry('FAILED'));
    function retry(state: 'DISCONNECTED' | 'FAILED'): void {
      if (session !== current) return;
      s().publish.setSession(state);
      setTimeout(connect, RECONNECT_DELAY_MS);
    }
  }

  /** After a reconnect (the host may have restarted): end the cards it no longer has, re-read its ports. */
  async function resync(): Promise<void> {
    try {
      const live = await api.push.findAll();
      s().transponders.retainOnly(new Set(live.map((t) => t.mediaSessionId)));
      hostInfo = await api.info();
    } catch {
      // Still starting or gone again: the next reconnect tries again.
    }
  }

  function setPreview(next: MediaStream | undefined): void {
    stopMeter?.();
    stopMeter = undefined;
    media = next;
    if (next) stopMeter = meterMicrophone(next, (level) => s().devices.setMicLevel(level));
    for (const listener of previewListeners) listener(next);
  }

  async function restartPreview(): Promise<void> {
    if (s().publish.status === 'PUBLISHING' || s().publish.status === 'PENDING') return;
    const attempt = ++previewAttempt;
    const d = s().devices;
    const { width, height } = devicesSelectors.resolution(s());
    stopSource(media);
    setPreview(undefined);
    try {
      const next = await openSource({ source: d.source, cameraId: d.cameraId, microphoneId: d.microphoneId, width, height, fps: d.fps });
      if (attempt !== previewAttempt) {
        // A newer choice (another camera, resolution…) started while this one opened: never keep two
        // captures, or the first camera stays on with nothing showing it.
        stopSource(next);
        return;
      }
      next.getVideoTracks()[0]?.addEventListener('ended', () => {
        // The streamer ended screen sharing from the browser's own bar: fall back to the camera.
        if (s().devices.source === 'screen' && media === next) {
          s().devices.setSource('camera');
          void restartPreview();
        }
      });
      setPreview(next);
      s().devices.setPreview(true, undefined);
      await refreshDevices(); // labels appear once permission is granted
    } catch (error) {
      if (attempt === previewAttempt) s().devices.setPreview(false, captureErrorMessage(error, d.source));
    }
  }

  async function refreshDevices(): Promise<void> {
    try {
      s().devices.setDevices(await listDevices());
    } catch {
      s().devices.setDevices([]);
    }
  }

  async function startTargets(streamName: string): Promise<void> {
    const problems: string[] = [];
    const selected = targetsSelectors.selected(s());
    if (selected.length === 0) {
      s().publish.setError('No target is selected: the relay receives your stream but sends it nowhere. Tick a target.');
      return;
    }
    for (const target of selected) {
      const problem = targetProblem(target);
      if (problem) {
        problems.push(`${target.name}: ${problem}`);
        continue;
      }
      try {
        await api.push.startup(startupBody(target, streamName));
      } catch (error) {
        if (error instanceof ApiError && error.status === 409) continue; // already pushing there
        problems.push(`${target.name}: ${describeFailure(error instanceof Error ? error.message : String(error))}`);
      }
    }
    if (problems.length) s().publish.setError(`Some targets did not start. ${problems.join(' ')}`);
  }

  async function loadTargets(): Promise<void> {
    try {
      s().targets.load(await api.targets(), hostInfo?.localRtmpUrl ?? undefined);
    } catch (error) {
      s().targets.load([], hostInfo?.localRtmpUrl ?? undefined);
      s().targets.setError(`Saved targets could not be loaded: ${(error as Error).message}`);
    }
  }

  async function loadSettings(): Promise<void> {
    try {
      const body = await api.settings();
      s().settings.load(body.settings, body.file);
    } catch (error) {
      s().settings.setServerError(undefined, `Settings could not be loaded: ${(error as Error).message}`);
    }
  }

  async function persistTargets(): Promise<void> {
    try {
      await api.saveTargets(targetsSelectors.saved(s()));
      s().targets.setError(undefined);
    } catch (error) {
      s().targets.setError(`Targets could not be saved: ${(error as Error).message}`);
    }
  }

  async function transponderAction(id: string, action: () => Promise<unknown>): Promise<void> {
    s().transponders.setActionError(id, undefined);
    try {
      await action();
    } catch (error) {
      s().transponders.setActionError(id, (error as Error).message);
    }
  }

  return {
    async start() {
      setAccessToken(storedToken());
      try {
        hostInfo = await api.info();
      } catch (error) {
        hostInfo = undefined;
        if (error instanceof ApiError && error.status === 401) {
          // rest_auth_token is set: every call would fail. Ask for the token (TokenPrompt) instead.
          s().publish.setSession('TOKEN_NEEDED');
          return;
        }
      }
      navigator.mediaDevices?.addEventListener?.('devicechange', () => void refreshDevices());
      connect();
      void desktopBridge()
        ?.appInfo()
        .then((info) => s().targets.setSecrets({ kind: info.secretsKind, warning: info.secretsWarning }))
        .catch(() => undefined);
      await Promise.all([loadTargets(), loadSettings(), refreshDevices(), restartPreview()]);
    },
    restartPreview,
    preview: () => media,
    info: () => hostInfo,
    async goLive() {
      if (!session || s().publish.session !== 'ESTABLISHED') {
        s().publish.setError('Castbridge is still connecting to its relay. Wait a second and try again.');
        return;
      }
      if (!media) await restartPreview();
      if (!media) {
        s().publish.setError(s().devices.previewError ?? 'There is no camera picture to send.');
        return;
      }
      const streamName = s().publish.streamName;
      const current = session.createStream({ name: streamName, mediaStream: media });
      stream = current;
      s().publish.setError(undefined);
      current
        .on('PENDING', () => s().publish.setStatus('PENDING'))
        .on('PUBLISHING', () => {
          s().publish.setStatus('PUBLISHING');
          void startTargets(streamName);
        })
        .on('UNPUBLISHED', (st) => s().publish.setStatus('UNPUBLISHED', st.getInfo()))
        .on('FAILED', (st) => {
          s().publish.setStatus('FAILED', st.getInfo());
          s().publish.setError(describePublishFailure(st.getInfo(), st.getErrorDetail()));
        });
      await current.publish();
    },
    stop() {
      stream?.stop();
      stream = undefined;
    },
    async saveTarget(target) {
      s().targets.upsert(target);
      await persistTargets();
    },
    async deleteTarget(id) {
      s().targets.remove(id);
      await persistTargets();
    },
    async saveSettings() {
      const changes = settingsSelectors.changes(s());
      const needRestart = Object.keys(changes).filter((k) => s().settings.items.find((i) => i.key === k)?.restart);
      s().settings.setSaving(true);
      try {
        const body = await api.saveSettings(changes);
        s().settings.load(body.settings, body.file);
        s().settings.setSaving(false, needRestart.length ? `Saved. Restart Castbridge for ${needRestart.join(', ')} to take effect.` : 'Saved.');
      } catch (error) {
        const message = (error as Error).message;
        const key = Object.keys(changes).find((k) => message.includes(k));
        s().settings.setServerError(key, message);
      }
    },
    mute: (id, muted) => transponderAction(id, () => (muted ? api.push.mute(id) : api.push.unmute(id))),
    soundOn: (id, file, loop) => transponderAction(id, () => api.push.soundOn(id, file, loop)),
    soundOff: (id) => transponderAction(id, () => api.push.soundOff(id)),
    terminate: (id) => transponderAction(id, () => api.push.terminate(id)),
    async mediaFiles() {
      return (await api.media()).files;
    },
    async uploadMedia(file) {
      await api.uploadMedia(file.name, file);
    },
    onPreview(listener) {
      previewListeners.add(listener);
      return () => previewListeners.delete(listener);
    },
  };
}

