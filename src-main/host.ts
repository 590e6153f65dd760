// The application host (docs/DESIGN.md §1–§2): settings, the relay (stream registry, WebRTC ingest,
// transponders), the embedded RTMP server, the HTTP(S) server with the REST API, WHIP and /ws, and the WCS
// client protocol's WebSocket ports.
// Electron (src-main/electron) and the headless command (headless.ts) both start it through createHost.
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { appVersion, consoleLog, type Log, type RecordingManager, type RelayConfig, StreamRegistry, TransponderManager, WebRtcIngest } from '../src-relay/index.js';
import { startAutoPush } from './autopush.js';
import { recordingsDirOf, startRecordings } from './recording/host.js';
import { APP_ROOT, ensureDir, mediaDirOf, prepareMediaDir } from './config/paths.js';
import { fileModeSecretBox, type SecretBox } from './config/secrets.js';
import { SettingsStore } from './config/store.js';
import { TargetStore } from './config/targets.js';
import { loadTlsPair } from './config/tls.js';
import { LocalRtmpError, startLocalRtmp, type LocalRtmp } from './local-rtmp/server.js';
import type { HostInfo, RestDeps } from './rest/deps.js';
import { resolveWithDns } from './rest/resolve.js';
import { ScenesHub } from './scenes/hub.js';
import { ScenesStore } from './scenes/store.js';
import { checkBindAllowed, ownOrigins, type SecurityPolicy } from './rest/security.js';
import { startRestServers, type RestServers } from './rest/server.js';
import { startWcsServers, type WcsServers } from './wcs/server.js';

export interface HostOptions {
  dataDir: string;
  /** `--set key=value` overrides for this run. */
  overrides?: Record<string, string>;
  /** How saved stream keys are sealed; default: file mode 0600 (headless). */
  secretBox?: SecretBox;
  log?: Log;
  /** The built studio; default dist/renderer. */
  staticDir?: string;
  /** Page origins trusted like the host's own (CORS, Origin checks), e.g. the Electron shell's. Never "null" or "*". */
  trustedOrigins?: string[];
  /**
   * Load the WebRTC stack (werift) WEBRTC_WARM_UP_MS after the host listens rather than at the first
   * publish; default true. Off for hosts that never take a WebRTC publisher (e.g. tests of other parts).
   */
  warmUpWebRtc?: boolean;
}

/**
 * The delay from listening to loading werift: the studio's first requests (page, scripts, /ws) are answered
 * first, then ~0.5 CPU s of imports run while the user looks at the page, so Go Live does not pay them.
 */
export const WEBRTC_WARM_UP_MS = 300;

export interface Host {
  httpUrl: string;
  httpsUrl?: string;
  /** The WCS client protocol (Flashphoner Web SDK), when ws_port / wss_port is not 0. */
  wcsUrl?: string;
  wcsTlsUrl?: string;
  /** Why a configured WCS listener is off (e.g. "127.0.0.1:8080 (ws_port) is already in use …"). */
  wcsUnavailable: string[];
  settings: SettingsStore;
  registry: StreamRegistry;
  transponders: TransponderManager;
  /** Local recordings (`/rest-api/recording/*`). */
  recordings: RecordingManager;
  ingest: WebRtcIngest;
  /** The saved scenes and the studios that apply them. */
  scenes: ScenesHub;
  /** The embedded RTMP server, when enabled and its ports were free. */
  localRtmp?: LocalRtmp;
  dataDir: string;
  mediaDir: () => string;
  /** Ends every transponder cleanly (FCUnpublish, deleteStream), every stream, and all servers. */
  close(): Promise<void>;
}

const STOP_TRANSPONDERS_TIMEOUT_MS = 8000;
/** Recordings are remuxed to MP4 at shutdown; one that takes longer stays an FLV, remuxed at the next start. */
const STOP_RECORDINGS_TIMEOUT_MS = 20000;
const STOP_INGEST_TIMEOUT_MS = 5000;

/** The program version (src-relay/version.ts reads it once from package.json). */
export { appVersion };

function relayConfigOf(settings: SettingsStore, log: Log): RelayConfig {
  const s = settings.values;
  const config: RelayConfig = {
    streamNamePrefix: s.rtmp_transponder_stream_name_prefix,
    fullUrl: s.rtmp_transponder_full_url,
    keyframeIntervalMs: s.rtmp_keyframe_interval_ms,
    log,
  };
  if (s.rtmp_flash_version !== '') config.flashVer = s.rtmp_flash_version;
  if (s.rtmps_ca_file !== '') config.rtmpsCaFile = s.rtmps_ca_file;
  return config;
}

/** A machine with loopback only needs werift told to gather on 127.0.0.1 (docs/DESIGN.md §9). */
function loopbackOnly(): boolean {
  return Object.values(networkInterfaces()).every((list) => (list ?? []).every((i) => i.internal));
}

function urlHost(bind: string): string {
  if (bind === '0.0.0.0' || bind === '::' || bind === 'localhost') return '127.0.0.1';
  return bind.includes(':') ? `[${bind}]` : bind;
}

async function startLocalRtmpIfEnabled(settings: SettingsStore, dataDir: string, policy: SecurityPolicy, log: Log): Promise<LocalRtmp | undefined> {
  const s = settings.values;
  if (!s.local_rtmp_enabled) return undefined;
  try {
    return await startLocalRtmp({
      bind: '127.0.0.1',
      port: s.local_rtmp_port,
      httpPort: s.local_rtmp_http_port,
      dataDir,
      allowedOrigins: () => ownOrigins(policy),
      log,
    });
  } catch (err) {
    if (!(err instanceof LocalRtmpError)) throw err;
    log('local_rtmp.unavailable', { error: err.message });
    return undefined;
  }
}

export async function createHost(opts: HostOptions): Promise<Host> {
  const log = opts.log ?? consoleLog;
  const dataDir = ensureDir(opts.dataDir);
  const settings = SettingsStore.open(dataDir, opts.overrides ?? {});
  for (const issue of settings.issues) log('settings.warning', { message: issue.message });
  const s = settings.values;
  checkBindAllowed(s.rest_bind_address, s.rest_auth_token);
  const mediaDir = () => mediaDirOf(dataDir, settings.values.media_dir);
  prepareMediaDir(mediaDir());
  const secretBox = opts.secretBox ?? fileModeSecretBox;

  const ports: { http?: number; https?: number } = {};
  const security: SecurityPolicy = {
    allowedHosts: s.rest_allowed_hosts,
    bindAddress: s.rest_bind_address,
    token: s.rest_auth_token,
    ports: () => ports,
    extraOrigins: [...(opts.trustedOrigins ?? []), ...s.allowed_origins],
  };
  const registry = new StreamRegistry();
  const transponders = new TransponderManager(registry, () => relayConfigOf(settings, log));
  const recordings = startRecordings(transponders, () => recordingsDirOf(dataDir, settings.values.recordings_dir), log);
  const ingest = new WebRtcIngest(registry, loopbackOnly() ? { log, iceAdditionalHostAddresses: ['127.0.0.1'] } : { log });
  const stopAutoPush = startAutoPush(
    registry,
    transponders,
    () => ({ enabled: settings.values.rtmp_push_auto_start, rtmpUrl: settings.values.rtmp_push_auto_start_url }),
    log,
  );
  const localRtmp = await startLocalRtmpIfEnabled(settings, dataDir, security, log);
  const version = appVersion();
  const info = (): HostInfo => ({
    version,
    localRtmpUrl: localRtmp?.rtmpUrl ?? null,
    previewBaseUrl: localRtmp?.previewBaseUrl ?? null,
    mediaDir: mediaDir(),
    dataDir,
    secretStorage: secretBox.kind,
  });
  const scenes = new ScenesHub(ScenesStore.open(dataDir, log), {
    mediaDir,
    log,
    studioUrl: () => `http://${urlHost(s.rest_bind_address)}:${ports.http ?? s.rest_http_port}/`,
  });
  const deps: RestDeps = {
    registry,
    transponders,
    recordings,
    ingest,
    settings,
    targets: new TargetStore(dataDir, secretBox),
    scenes,
    secretBox,
    security,
    mediaDir,
    info,
    staticDir: opts.staticDir ?? join(APP_ROOT, 'dist', 'renderer'),
    resolveHost: resolveWithDns,
    log,
    version,
  };
  let rest: RestServers | undefined;
  let wcs: WcsServers;
  try {
    const tls = s.rest_https_enabled || s.wss_port !== 0 ? await loadTlsPair(dataDir, s.rest_https_cert, s.rest_https_key) : undefined;
    const https = s.rest_https_enabled && tls ? { port: s.rest_https_port, tls } : undefined;
    rest = await startRestServers(deps, { bind: s.rest_bind_address, httpPort: s.rest_http_port, https, bodyLimit: s.rest_max_body_bytes }, ports);
    wcs = await startWcsServers(deps, { bind: s.rest_bind_address, wsPort: s.ws_port, wssPort: s.wss_port, ...(tls ? { tls } : {}) });
  } catch (err) {
    stopAutoPush();
    await rest?.close();
    await localRtmp?.close();
    throw err;
  }
  const restServers = rest;
  const host = urlHost(s.rest_bind_address);
  log('host.started', { http: rest.httpPort, https: rest.httpsPort, ws: wcs.wsPort, wss: wcs.wssPort, localRtmp: localRtmp?.rtmpUrl });
  const warmUp = opts.warmUpWebRtc === false ? undefined : setTimeout(() => void ingest.warmUp(), WEBRTC_WARM_UP_MS);

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    clearTimeout(warmUp);
    stopAutoPush();
    await withTimeout(recordings.stopAll(), STOP_RECORDINGS_TIMEOUT_MS).catch((err: unknown) =>
      log('host.stop_recordings_failed', { error: (err as Error).message }),
    );
    recordings.close();
    await withTimeout(transponders.stopAll(), STOP_TRANSPONDERS_TIMEOUT_MS).catch((err: unknown) =>
      log('host.stop_transponders_failed', { error: (err as Error).message }),
    );
    await wcs.close();
    scenes.close();
    await restServers.close();
    // Wait for the peer connections (DTLS/UDP sockets) to close, bounded: a host closed and made again in
    // one process (tests, Electron's restart) must not inherit them.
    await withTimeout(ingest.closeAll(), STOP_INGEST_TIMEOUT_MS).catch((err: unknown) =>
      log('host.stop_ingest_failed', { error: (err as Error).message }),
    );
    registry.endAll('STOPPED_BY_HOST_SHUTDOWN');
    await localRtmp?.close();
    log('host.stopped');
  };
  const result: Host = {
    httpUrl: `http://${host}:${rest.httpPort}`,
    settings,
    registry,
    transponders,
    recordings,
    ingest,
    scenes,
    dataDir,
    mediaDir,
    wcsUnavailable: wcs.unavailable,
    close: () => (closing ??= close()),
  };
  if (rest.httpsPort !== undefined) result.httpsUrl = `https://${host}:${rest.httpsPort}`;
  if (wcs.wsPort !== undefined) result.wcsUrl = `ws://${host}:${wcs.wsPort}`;
  if (wcs.wssPort !== undefined) result.wcsTlsUrl = `wss://${host}:${wcs.wssPort}`;
  if (localRtmp) result.localRtmp = localRtmp;
  return result;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
