// Fakes for route-logic tests (no port, no media): an in-memory TransponderService, a fake ingest, and the
// RestDeps that tie them to a real SettingsStore in a temp folder.
import { EventEmitter } from 'node:events';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLog } from '../../../src-relay/log.js';
import { StreamNameInUseError, StreamRegistry, type StreamSource } from '../../../src-relay/streams.js';
import {
  TransponderError,
  type FindQuery,
  type Sound,
  type StartupRequest,
  type TransponderJSON,
  type TransponderService,
  type TransponderServiceEvents,
} from '../../../src-relay/transponder/service.js';
import { IngestError } from '../../../src-relay/webrtc/sdp.js';
import { parseTrickleFragment } from '../../../src-relay/webrtc/sdpfrag.js';
import type { TrickleResult } from '../../../src-relay/webrtc/ingest.js';
import { fileModeSecretBox } from '../../../src-main/config/secrets.js';
import { SettingsStore } from '../../../src-main/config/store.js';
import { TargetStore } from '../../../src-main/config/targets.js';
import type { IngestService, RestDeps } from '../../../src-main/rest/deps.js';
import { HttpError } from '../../../src-main/rest/errors.js';
import type { SecurityPolicy } from '../../../src-main/rest/security.js';
import { ScenesHub } from '../../../src-main/scenes/hub.js';
import { ScenesStore } from '../../../src-main/scenes/store.js';

export const nullSource: StreamSource = { requestKeyframe() {}, close() {}, description: 'fake' };

export class FakeTransponders extends EventEmitter<TransponderServiceEvents> implements TransponderService {
  readonly byId = new Map<string, TransponderJSON>();
  lastSound: Sound | undefined;
  private next = 1;

  constructor(private readonly registry: StreamRegistry) {
    super();
  }

  startup(request: StartupRequest, sound?: Sound): TransponderJSON {
    if (!this.registry.get(request.streamName)) throw new TransponderError(404, `stream "${request.streamName}" is not being published`);
    if (this.list().some((t) => t.sourceStreamName === request.streamName && t.rtmpUrl === request.rtmpUrl)) {
      throw new TransponderError(409, 'exists');
    }
    this.lastSound = sound;
    const t: TransponderJSON = {
      mediaSessionId: `id${this.next++}`,
      streamName: `rtmp_${request.streamName}`,
      sourceStreamName: request.streamName,
      rtmpUrl: request.rtmpUrl,
      width: 0,
      height: 0,
      muted: request.options?.action === 'mute',
      soundEnabled: request.options?.action === 'sound_on',
      options: request.options ?? {},
      status: 'CONNECTING',
      stats: { bitrateKbps: 0, fps: 0, droppedFrames: 0, uptimeMs: 0, reconnects: 0, queuedMs: 0 },
    };
    this.byId.set(t.mediaSessionId, t);
    this.emit('changed', t);
    return t;
  }

  find(q: FindQuery): TransponderJSON[] {
    return this.list().filter(
      (t) =>
        (q.streamName === undefined || q.streamName === t.streamName || q.streamName === t.sourceStreamName) &&
        (q.rtmpUrl === undefined || q.rtmpUrl === t.rtmpUrl) &&
        (q.mediaSessionId === undefined || q.mediaSessionId === t.mediaSessionId),
    );
  }

  list(): TransponderJSON[] {
    return [...this.byId.values()];
  }

  private get(id: string): TransponderJSON {
    const t = this.byId.get(id);
    if (!t) throw new TransponderError(404, `no transponder ${id}`);
    return t;
  }

  async terminate(id: string): Promise<void> {
    const t = this.get(id);
    this.byId.delete(id);
    this.emit('removed', t);
  }

  setMuted(id: string, muted: boolean): TransponderJSON {
    const t = this.get(id);
    t.muted = muted;
    return t;
  }

  soundOn(id: string, sound: Sound, loop: boolean): TransponderJSON {
    const t = this.get(id);
    this.lastSound = sound;
    t.soundEnabled = true;
    t.options = { ...t.options, loop };
    return t;
  }

  soundOff(id: string): TransponderJSON {
    const t = this.get(id);
    t.soundEnabled = false;
    return t;
  }

  async stopAll(): Promise<void> {
    this.byId.clear();
  }
}

/** Publishes a registry stream for any offer starting with v=0 that has "m=video". */
export class FakeIngest implements IngestService {
  private n = 0;
  readonly sessions = new Map<string, ReturnType<StreamRegistry['publish']>>();

  constructor(private readonly registry: StreamRegistry) {}

  async publish(streamName: string, offerSdp: string) {
    if (this.registry.get(streamName)) throw new StreamNameInUseError(streamName);
    if (!offerSdp.includes('m=video')) throw new IngestError('the offer has 0 video m-lines, expected exactly 1');
    const stream = this.registry.publish(streamName, nullSource);
    const sessionId = `s${++this.n}`;
    this.sessions.set(sessionId, stream);
    return { sessionId, answerSdp: 'v=0\r\no=- answer\r\n', stream };
  }

  /** Parses the fragment as the real ingest does; applies nothing. */
  async trickle(sessionId: string, fragment: string): Promise<TrickleResult> {
    if (!this.sessions.has(sessionId)) return { kind: 'unknown-session' };
    const parsed = parseTrickleFragment(fragment);
    return { kind: 'applied', added: parsed.sections.reduce((n, s) => n + s.candidates.length, 0), ignored: 0 };
  }

  unpublish(sessionId: string, reason = 'unpublished'): boolean {
    const stream = this.sessions.get(sessionId);
    if (!stream) return false;
    this.sessions.delete(sessionId);
    stream.end(reason);
    return true;
  }
}

export interface FakeWorld {
  deps: RestDeps;
  registry: StreamRegistry;
  transponders: FakeTransponders;
  ingest: FakeIngest;
  dataDir: string;
  mediaDir: string;
  cleanup(): void;
}

/** `inject` sends Host "localhost:80": the policy listens on 80 for these tests. */
export function fakeWorld(policy: Partial<SecurityPolicy> = {}, overrides: Record<string, string> = {}): FakeWorld {
  const dataDir = mkdtempSync(join(tmpdir(), 'castbridge-rest-'));
  const mediaDir = join(dataDir, 'media');
  mkdirSync(mediaDir);
  const registry = new StreamRegistry();
  const transponders = new FakeTransponders(registry);
  const ingest = new FakeIngest(registry);
  const settings = SettingsStore.open(dataDir, overrides);
  const deps: RestDeps = {
    registry,
    transponders,
    ingest,
    settings,
    targets: new TargetStore(dataDir, fileModeSecretBox),
    scenes: new ScenesHub(ScenesStore.open(dataDir, silentLog), { mediaDir: () => mediaDir, studioUrl: () => 'http://localhost:80/', log: silentLog }),
    secretBox: fileModeSecretBox,
    security: { allowedHosts: [], bindAddress: '127.0.0.1', token: '', ports: () => ({ http: 80 }), ...policy },
    mediaDir: () => mediaDir,
    info: () => ({ version: '0.0.0-test', localRtmpUrl: null, previewBaseUrl: null, mediaDir, dataDir, secretStorage: 'file-mode-0600' }),
    staticDir: join(dataDir, 'no-studio'),
    resolveHost: async (hostname) => {
      if (hostname.endsWith('.invalid')) throw new HttpError(400, `rtmpUrl host "${hostname}" does not resolve`);
    },
    log: silentLog,
    version: '0.0.0-test',
  };
  return { deps, registry, transponders, ingest, dataDir, mediaDir, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
}
