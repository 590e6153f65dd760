// What the HTTP layer needs from the host, as interfaces: route logic is tested with fakes and no port.
import type { EventEmitter } from 'node:events';
import type { HostInfo } from '../../src-contract/studio.js';
import type { LiveStream, Log, RecordingService, StreamRegistry, TransponderService, TransponderServiceEvents, TrickleResult } from '../../src-relay/index.js';
import type { SecretBox } from '../config/secrets.js';
import type { SettingsStore } from '../config/store.js';
import type { TargetStore } from '../config/targets.js';
import type { ScenesHub } from '../scenes/hub.js';
import type { SecurityPolicy } from './security.js';

/** The WebRTC ingest (src-relay/webrtc/ingest.ts) as the host uses it. */
export interface IngestService {
  /** Throws StreamNameInUseError (409) or an error for a bad offer (400). */
  publish(streamName: string, offerSdp: string): Promise<{ sessionId: string; answerSdp: string; stream: LiveStream }>;
  unpublish(sessionId: string, reason?: string): boolean;
  /** WHIP PATCH (RFC 9725 §4.3): a trickle-ICE SDP fragment; throws an IngestError (400) for a bad fragment.
   * An ingest without it answers PATCH with 501. */
  trickle?(sessionId: string, fragment: string): Promise<TrickleResult>;
}

export type TransponderHub = TransponderService & Pick<EventEmitter<TransponderServiceEvents>, 'on' | 'off'>;

/** `GET /api/info` (declared in src-contract/studio.ts). */
export type { HostInfo };

/** Checks an rtmpUrl's host resolves; throws with a sentence when it does not. */
export type HostResolver = (hostname: string) => Promise<void>;

export interface RestDeps {
  registry: StreamRegistry;
  transponders: TransponderHub;
  /** Local recordings (`/rest-api/recording/*`); a host without them answers as if none exist. */
  recordings?: RecordingService;
  ingest: IngestService;
  settings: SettingsStore;
  targets: TargetStore;
  /** The saved scenes and the studios that apply them (`/api/scenes*`, the /ws scene messages). */
  scenes: ScenesHub;
  secretBox: SecretBox;
  security: SecurityPolicy;
  /** The current media folder (follows the media_dir setting). */
  mediaDir: () => string;
  info: () => HostInfo;
  /** Built studio (dist/renderer); missing → a page saying how to build it. */
  staticDir: string;
  resolveHost: HostResolver;
  log: Log;
  version: string;
}
