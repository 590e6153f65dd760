// The host the studio runs on: what it is (GET /api/info), the WebSocket session to it and that session's
// state, reopened after a loss. Its events land in the transponders slice.
import type { Session } from '../sdk/index.js';
import { ApiError, type HostInfo } from '../services/api.js';
import type { StudioServices } from '../services/index.js';
import { patch, type GetStudio, type SetStudio, type StudioState } from './types.js';

/** TOKEN_NEEDED: the host has rest_auth_token set and the studio has not been given it (or a wrong one). */
export type ConnectionState = 'CONNECTING' | 'ESTABLISHED' | 'DISCONNECTED' | 'FAILED' | 'TOKEN_NEEDED';

export interface HostSlice {
  /** The host's ports and folders; re-read after a reconnect (the host may have restarted). */
  info: HostInfo | undefined;
  connection: ConnectionState;
  /** The session in use; a lost one is replaced by a new one. */
  session: Session | undefined;
  /** A session was established before: the next ESTABLISHED is a reconnect. */
  wasEstablished: boolean;
  /** The host refused the token this tab had kept (TOKEN_NEEDED with a token already typed). */
  tokenRefused: boolean;
  setConnection(connection: ConnectionState): void;
  /** Opens the studio: host info, the session, then targets, settings, devices and the preview. */
  start(): Promise<void>;
  connect(): void;
  /** After a reconnect: end the cards the host no longer has, re-read its info. */
  resync(): Promise<void>;
  /** Keeps the token the streamer typed and starts over with it. */
  unlock(token: string): void;
}

export function createHostSlice(set: SetStudio, get: GetStudio, services: StudioServices): HostSlice {
  const update = (fn: (s: HostSlice) => Partial<HostSlice>): void => patch(set, 'host', fn);
  const setConnection = (connection: ConnectionState): void => update(() => ({ connection }));

  function connect(): void {
    setConnection('CONNECTING');
    const current = services.openSession(services.token.stored());
    update(() => ({ session: current }));
    // This studio draws the program: the host sends it the scenes to show (POST /api/scenes/{name}/activate).
    if (get().program.ensure()) current.attachScenes();
    const retry = (state: 'DISCONNECTED' | 'FAILED'): void => {
      if (get().host.session !== current) return;
      setConnection(state);
      setTimeout(() => get().host.connect(), services.reconnectDelayMs);
    };
    current
      .on('ESTABLISHED', () => {
        setConnection('ESTABLISHED');
        if (get().host.wasEstablished) void get().host.resync();
        update(() => ({ wasEstablished: true }));
      })
      .on('EVENT', (event) => {
        if (event.type === 'recording') get().recordings.apply(event.recording);
        else if (event.type === 'scenes' || event.type === 'scene-activate') get().scenes.onHostMessage(event);
        else get().transponders.apply(event);
      })
      .on('DISCONNECTED', () => retry('DISCONNECTED'))
      .on('FAILED', () => retry('FAILED'));
  }

  async function start(): Promise<void> {
    const token = services.token.stored();
    services.api.setAccessToken(token);
    try {
      const info = await services.api.info();
      update(() => ({ info }));
    } catch (error) {
      update(() => ({ info: undefined }));
      if (error instanceof ApiError && error.status === 401) {
        // rest_auth_token is set: every call would fail. Ask for the token (TokenPrompt) instead.
        update(() => ({ connection: 'TOKEN_NEEDED', tokenRefused: token !== undefined }));
        return;
      }
    }
    services.capture.onDeviceChange(() => void get().devices.refresh());
    get().host.connect();
    void services
      .desktopInfo()
      ?.then((info) => get().targets.setSecrets({ kind: info.secretsKind, warning: info.secretsWarning }))
      .catch(() => undefined);
    const s = get();
    await Promise.all([s.targets.fetch(), s.settings.fetch(), s.devices.refresh(), s.devices.restartPreview(), s.program.ensure() ? s.scenes.load() : undefined]);
  }

  async function resync(): Promise<void> {
    try {
      const live = await services.api.push.findAll();
      get().transponders.retainOnly(new Set(live.map((t) => t.mediaSessionId)));
      const info = await services.api.info();
      update(() => ({ info }));
    } catch {
      // Still starting or gone again: the next reconnect tries again.
    }
  }

  return {
    info: undefined,
    connection: 'CONNECTING',
    session: undefined,
    wasEstablished: false,
    tokenRefused: false,
    setConnection,
    start,
    connect,
    resync,
    unlock: (token) => services.token.unlock(token.trim()),
  };
}

export const hostSelectors = {
  previewBaseUrl: (s: StudioState) => s.host.info?.previewBaseUrl ?? undefined,
  localRtmpUrl: (s: StudioState) => s.host.info?.localRtmpUrl ?? undefined,
};
