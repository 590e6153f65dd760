// The relay's output side as the host sees it (transponder/service.ts): creates, finds, mutes, feeds and ends
// transponders, keeps one audio fan-out per source stream and one keyframe scheduler per video layer of it,
// and pushes 'changed' and once-a-second 'stats' events.
import { EventEmitter } from 'node:events';
import { randomInt } from 'node:crypto';
import type { LiveStream, StreamRegistry, VideoLayer } from '../streams.js';
import type { Log } from '../log.js';
import { silentLog } from '../log.js';
import type { AudioCodec, VideoFrame } from '../media.js';
import { GopKeeper } from './transcode/gop.js';
import { AUDIO_CODECS } from '../media.js';
import {
  TransponderError,
  type FindQuery,
  type Sound,
  type StartupRequest,
  type TransponderJSON,
  type TransponderOptions,
  type TransponderService,
  type TransponderServiceEvents,
} from './service.js';
import { Transponder } from './transponder.js';
import { KeyframeScheduler } from './keyframes.js';
import { AudioFanout, type FanoutDeps } from './audio/fanout.js';
import { StreamTagBodies } from '../flv/muxer.js';
import { isFinished } from './lifecycle.js';
import { resolveRtmpTarget } from '../rtmp/url.js';
import type { RtmpTarget } from '../rtmp/url.js';
import { RtmpUrlError } from '../rtmp/errors.js';
import { redactName, redactUrl } from '../redact.js';
import { createAudioEncoder } from './audio/encoder.js';
import type { RecordingSource } from '../recording/recorder.js';
import { AudioMixer } from './audio/mixer.js';
import { layerChoiceProblem } from './layers.js';
import type { AdaptiveTimingConfig } from './adaptive.js';
import { enhancedFourCcs, videoCodecsProblem, videoRoute } from './video-route.js';
import { TranscoderHub } from './transcode/hub.js';
import type { H264Transcoder, TranscoderOptions } from './transcode/transcoder.js';
import { transcodeBitrateKbps } from './transcode/bitrate.js';
import { transcoderProblem } from './transcode/transcoder.js';
import { DEFAULT_MAX_KEYFRAME_INTERVAL_MS, keyframeTranscodeReason, maxKeyframeIntervalProblem } from './keyframe-path.js';
import type { VideoRoute } from './video-route.js';

export interface RelayConfig {
  /** `rtmp_transponder_stream_name_prefix` ("rtmp_" by default; "" for none). */
  streamNamePrefix: string;
  /** `rtmp_transponder_full_url`. */
  fullUrl: boolean;
  /** `rtmp_keyframe_interval_ms` (2000 by default). */
  keyframeIntervalMs: number;
  flashVer?: string;
  /** `rtmps_ca_file`: PEM file of CAs trusted for rtmps:// targets besides the system's (rtmp/tls.ts). */
  rtmpsCaFile?: string;
  log?: Log;
  /** Timing of options.adaptive; tests shorten the stable period before a step up (AdaptiveTiming). */
  adaptiveTiming?: Partial<AdaptiveTimingConfig>;
}

/** WCS's mediaSessionId: 26 characters of [a-z0-9]. */
const SESSION_ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const SESSION_ID_LENGTH = 26;
const STATS_INTERVAL_MS = 1000;

/** The layer options of a startup, for its log line. */
function layerOptionsForLog(options: TransponderOptions): Record<string, string | number | boolean> {
  const fields: Record<string, string | number | boolean> = {};
  for (const key of ['quality', 'maxBitrateKbps', 'maxHeight', 'adaptive', 'maxKeyframeIntervalMs'] as const) if (options[key] !== undefined) fields[key] = options[key];
  return fields;
}

export function newMediaSessionId(): string {
  let id = '';
  for (let i = 0; i < SESSION_ID_LENGTH; i++) id += SESSION_ID_ALPHABET[randomInt(SESSION_ID_ALPHABET.length)];
  return id;
}

/** Per source stream: what its transponders share. */
interface StreamOutputs {
  /** Keyframe requests of the stream's primary layer, for recordings that follow the stream. */
  keyframes: KeyframeScheduler;
  /** Keyframe requests of each layer a transponder sends (created on first use). */
  layerKeyframes: Map<VideoLayer, KeyframeScheduler>;
  audio: AudioFanout;
  /** Each frame's FLV body, built once for all the stream's transponders. */
  bodies: StreamTagBodies;
  transponders: Set<Transponder>;
  /** Recordings holding these parts (recordingSource): they outlive the last transponder while held. */
  recordings: number;
  /** Recordings that follow one layer (a transponder's), by layer: that layer's keyframes stay periodic. */
  layerRecordings: Map<VideoLayer, number>;
  /** An H.264 stream's pictures since its last keyframe, for a transcoder started for keyframes later. */
  gop: GopKeeper;
  keepGop: (frame: VideoFrame) => void;
  onEnd: (reason: string) => void;
}

const defaultFanoutDeps: Omit<FanoutDeps, 'log'> = {
  createEncoder: (codec) => createAudioEncoder(codec),
  createMixer: () => new AudioMixer(),
};

export class TransponderManager extends EventEmitter<TransponderServiceEvents> implements TransponderService {
  private readonly byId = new Map<string, Transponder>();
  private readonly outputs = new Map<LiveStream, StreamOutputs>();
  /** The H.264 encodes of VP8/VP9/AV1 streams, one per stream, shared by the targets that need H.264. */
  private readonly transcoders = new TranscoderHub();
  private statsTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: StreamRegistry,
    private readonly config: () => RelayConfig,
    private readonly fanoutDeps: Omit<FanoutDeps, 'log'> = defaultFanoutDeps,
  ) {
    super();
  }

  private get log(): Log {
    return this.config().log ?? silentLog;
  }

  startup(request: StartupRequest, sound?: Sound): TransponderJSON {
    const stream = this.registry.get(request.streamName);
    if (!stream || stream.ended) throw new TransponderError(404, `stream "${request.streamName}" is not being published`);
    const existing = [...this.byId.values()].find((t) => t.stream === stream && t.rtmpUrl === request.rtmpUrl);
    if (existing && !isFinished(existing.status)) {
      throw new TransponderError(409, `a transponder of stream "${request.streamName}" to this rtmpUrl exists (${existing.mediaSessionId})`);
    }
    const target = this.resolveTarget(request);
    const options = request.options ?? {};
    const audioCodec: AudioCodec = options.audioCodec ?? 'aac';
    if (!AUDIO_CODECS.includes(audioCodec)) throw new TransponderError(400, `options.audioCodec must be one of ${AUDIO_CODECS.join(', ')}, got ${String(audioCodec)}`);
    if (options.action === 'sound_on' && !sound) throw new TransponderError(400, 'options.action "sound_on" needs a decoded sound');
    const layerProblem = layerChoiceProblem(options);
    if (layerProblem) throw new TransponderError(400, layerProblem);
    if (options.adaptive !== undefined && typeof options.adaptive !== 'boolean') throw new TransponderError(400, `options.adaptive must be true or false, got ${String(options.adaptive)}`);
    const codecsProblem = videoCodecsProblem(options.videoCodecs);
    if (codecsProblem) throw new TransponderError(400, codecsProblem);
    const keyframeProblem = maxKeyframeIntervalProblem(options.maxKeyframeIntervalMs);
    if (keyframeProblem) throw new TransponderError(400, keyframeProblem);
    if (existing) this.remove(existing);
    const route = this.keyframeRoute(stream, options, videoRoute(stream.videoCodec, options.videoCodecs));
    const fourCcList = enhancedFourCcs(options.videoCodecs);
    const outputs = this.outputsOf(stream);
    const transcoder =
      route.path === 'transcode'
        ? this.transcoders.acquire(stream, () => this.transcoderOptions(stream, options))
        : undefined;
    const mediaSessionId = newMediaSessionId();
    const transponder = new Transponder({
      mediaSessionId,
      stream,
      target: fourCcList.length ? { ...target, fourCcList } : target,
      route,
      ...(transcoder ? { transcoder } : {}),
      keyframeTranscoder: () => this.keyframeTranscoder(stream, options),
      rtmpUrl: request.rtmpUrl,
      options,
      audioCodec,
      audio: outputs.audio,
      keyframesOf: (layer) => this.layerKeyframes(outputs, layer),
      bodies: outputs.bodies,
      ...(this.config().adaptiveTiming ? { adaptiveTiming: this.config().adaptiveTiming } : {}),
      muted: options.action === 'mute',
      sound: options.action === 'sound_on' && sound ? { sound, loop: options.loop ?? false } : undefined,
      log: this.log,
    });
    outputs.transponders.add(transponder);
    this.byId.set(mediaSessionId, transponder);
    transponder.on('changed', () => this.emit('changed', transponder.toJSON()));
    this.log('transponder.startup', {
      mediaSessionId,
      stream: stream.name,
      url: redactUrl(request.rtmpUrl),
      name: redactName(target.streamName),
      audioCodec,
      videoCodec: route.codec,
      videoPath: route.path,
      ...layerOptionsForLog(options),
    });
    this.emit('changed', transponder.toJSON());
    transponder.start();
    this.ensureStatsTimer();
    return transponder.toJSON();
  }

  find(query: FindQuery): TransponderJSON[] {
    return this.list().filter(
      (t) =>
        (query.mediaSessionId === undefined || t.mediaSessionId === query.mediaSessionId) &&
        (query.rtmpUrl === undefined || t.rtmpUrl === query.rtmpUrl) &&
        (query.streamName === undefined || t.streamName === query.streamName || t.sourceStreamName === query.streamName),
    );
  }

  list(): TransponderJSON[] {
    return [...this.byId.values()].map((t) => t.toJSON());
  }

  async terminate(mediaSessionId: string): Promise<void> {
    const transponder = this.get(mediaSessionId);
    await transponder.stop('STOPPED_BY_REST_TERMINATE');
    this.remove(transponder);
  }

  setMuted(mediaSessionId: string, muted: boolean): TransponderJSON {
    const transponder = this.get(mediaSessionId);
    transponder.setMuted(muted);
    return transponder.toJSON();
  }

  soundOn(mediaSessionId: string, sound: Sound, loop: boolean): TransponderJSON {
    const transponder = this.get(mediaSessionId);
    transponder.playSound(sound, loop);
    return transponder.toJSON();
  }

  soundOff(mediaSessionId: string): TransponderJSON {
    const transponder = this.get(mediaSessionId);
    transponder.stopSound();
    return transponder.toJSON();
  }

  async stopAll(): Promise<void> {
    const all = [...this.byId.values()];
    await Promise.all(all.map((t) => t.stop('STOPPED_BY_SHUTDOWN')));
    for (const t of all) this.remove(t);
  }

  /**
   * What a recording follows (recording/recorder.ts): the stream of transponder `mediaSessionId` with the
   * video that transponder sends, or the stream `streamName`, and the parts its transponders share (frame
   * bodies, audio fan-out, keyframe requests), held until `release()`. Throws TransponderError 404.
   */
  recordingSource(query: { mediaSessionId?: string; streamName?: string }): RecordingSource {
    const transponder = query.mediaSessionId === undefined ? undefined : this.get(query.mediaSessionId);
    const stream = transponder?.stream ?? this.registry.get(query.streamName ?? '');
    if (!stream || stream.ended) throw new TransponderError(404, `stream "${query.streamName ?? ''}" is not being published`);
    const outputs = this.outputsOf(stream);
    outputs.recordings += 1;
    let held = true;
    // A transponder's recording takes the layer it sends now (and keeps it if the transponder changes layer):
    // of the transcoder's output when the transponder gets H.264 transcoded. A stream's own recording of a
    // VP8/VP9/AV1 publisher records the stream's H.264 encode (an MP4 every player opens).
    const transcoder = !transponder && stream.videoCodec !== 'h264' ? this.transcoders.acquire(stream, () => this.transcoderOptions(stream, {})) : undefined;
    const videoStream = transponder?.videoStream ?? transcoder?.output ?? stream;
    const layer = transponder ? videoStream.layers.find((l) => transponder.uses(l)) : transcoder ? videoStream.layers[0] : undefined;
    if (layer) outputs.layerRecordings.set(layer, (outputs.layerRecordings.get(layer) ?? 0) + 1);
    return {
      stream,
      video: layer ?? stream,
      audio: outputs.audio,
      keyframes: layer ? this.layerKeyframes(outputs, layer) : outputs.keyframes,
      bodies: outputs.bodies,
      muted: transponder?.muted ?? false,
      release: () => {
        if (!held) return;
        held = false;
        outputs.recordings -= 1;
        if (layer) outputs.layerRecordings.set(layer, (outputs.layerRecordings.get(layer) ?? 1) - 1);
        if (transcoder) this.transcoders.release(stream, transcoder);
        this.dropOutputsIfUnused(stream, outputs);
      },
    };
  }

  /**
   * A copy of H.264 that would give the target keyframes too far apart (keyframe-path.ts: the publisher
   * ignores requests and its own interval, as measured so far, is longer than the target takes) starts on
   * the stream's H.264 encode instead, when the app's ffmpeg can run it. A copy started before that is known
   * changes later (Transponder.checkKeyframes).
   */
  private keyframeRoute(stream: LiveStream, options: TransponderOptions, route: VideoRoute): VideoRoute {
    if (route.path !== 'copy' || route.codec !== 'h264' || stream.videoCodec !== 'h264') return route;
    const layer = stream.layers[0];
    const facts = { ignoresRequests: stream.ignoresKeyframeRequests, spacingMs: layer?.keyframeSpacingMs ?? 0 };
    const reason = keyframeTranscodeReason(facts, options.maxKeyframeIntervalMs ?? DEFAULT_MAX_KEYFRAME_INTERVAL_MS);
    if (!reason || transcoderProblem(stream.videoCodec)) return route;
    return { codec: 'h264', path: 'transcode', reason };
  }

  /** The stream's H.264 encode for a copy whose keyframes come too far apart, or what keeps it from running. */
  private keyframeTranscoder(stream: LiveStream, options: TransponderOptions): H264Transcoder | string {
    if (stream.ended) return 'the stream ended';
    const problem = transcoderProblem(stream.videoCodec);
    return problem ?? this.transcoders.acquire(stream, () => this.transcoderOptions(stream, options));
  }

  private transcoderOptions(stream: LiveStream, options: TransponderOptions): TranscoderOptions {
    const gop = (): readonly VideoFrame[] => this.outputs.get(stream)?.gop.frames ?? [];
    return { bitrateKbps: transcodeBitrateKbps(stream, options), keyframeIntervalMs: this.config().keyframeIntervalMs, log: this.log, gop };
  }

  private get(mediaSessionId: string): Transponder {
    const transponder = this.byId.get(mediaSessionId);
    if (!transponder) throw new TransponderError(404, `transponder "${mediaSessionId}" not found`);
    return transponder;
  }

  private resolveTarget(request: StartupRequest): RtmpTarget {
    const config = this.config();
    if (typeof request.rtmpUrl !== 'string' || request.rtmpUrl === '') throw new TransponderError(400, 'rtmpUrl is missing');
    try {
      return resolveRtmpTarget(request.rtmpUrl, request.streamName, {
        prefix: config.streamNamePrefix,
        fullUrl: request.rtmpTransponderFullUrl ?? config.fullUrl,
        noPrefix: request.noPrefix,
        flashVer: request.rtmpFlashVersion ?? config.flashVer,
        caFile: config.rtmpsCaFile,
      });
    } catch (error) {
      if (error instanceof RtmpUrlError) throw new TransponderError(400, error.message);
      throw error;
    }
  }

  private outputsOf(stream: LiveStream): StreamOutputs {
    let outputs = this.outputs.get(stream);
    if (outputs) return outputs;
    const transponders = new Set<Transponder>();
    const onEnd = (reason: string): void => {
      for (const t of [...transponders]) void t.stop(reason).finally(() => this.remove(t));
    };
    const gop = new GopKeeper();
    outputs = {
      transponders,
      gop,
      keepGop: (frame) => gop.push(frame),
      keyframes: new KeyframeScheduler(stream, this.config().keyframeIntervalMs, () => (outputs?.recordings ?? 0) > 0),
      layerKeyframes: new Map(),
      audio: new AudioFanout(stream, { ...this.fanoutDeps, log: this.log }),
      bodies: new StreamTagBodies(),
      recordings: 0,
      layerRecordings: new Map(),
      onEnd,
    };
    stream.once('end', onEnd);
    if (stream.videoCodec === 'h264') stream.on('video', outputs.keepGop);
    this.outputs.set(stream, outputs);
    return outputs;
  }

  /** Forgets a transponder (stopped or replaced) and its stream's shared parts when it was the last. */
  private remove(transponder: Transponder): void {
    if (this.byId.get(transponder.mediaSessionId) !== transponder) return;
    this.byId.delete(transponder.mediaSessionId);
    if (!isFinished(transponder.status)) void transponder.stop('STOPPED_BY_REPLACEMENT');
    if (transponder.transcoder) this.transcoders.release(transponder.stream, transponder.transcoder);
    const outputs = this.outputs.get(transponder.stream);
    if (outputs) {
      outputs.transponders.delete(transponder);
      this.dropOutputsIfUnused(transponder.stream, outputs);
    }
    this.emit('removed', transponder.toJSON());
    if (this.byId.size === 0) this.stopStatsTimer();
  }

  private dropOutputsIfUnused(stream: LiveStream, outputs: StreamOutputs): void {
    if (outputs.transponders.size > 0 || outputs.recordings > 0 || this.outputs.get(stream) !== outputs) return;
    outputs.keyframes.close();
    for (const scheduler of outputs.layerKeyframes.values()) scheduler.close();
    outputs.audio.close();
    stream.off('end', outputs.onEnd);
    stream.off('video', outputs.keepGop);
    this.outputs.delete(stream);
  }

  /** The keyframe scheduler of one layer: periodic while a publishing transponder or a recording uses it. */
  private layerKeyframes(outputs: StreamOutputs, layer: VideoLayer): KeyframeScheduler {
    let scheduler = outputs.layerKeyframes.get(layer);
    if (!scheduler) {
      scheduler = new KeyframeScheduler(layer, this.config().keyframeIntervalMs, () =>
        (outputs.layerRecordings.get(layer) ?? 0) > 0 || [...outputs.transponders].some((t) => t.status === 'PUBLISHING' && t.uses(layer)),
      );
      outputs.layerKeyframes.set(layer, scheduler);
    }
    return scheduler;
  }

  private ensureStatsTimer(): void {
    if (this.statsTimer) return;
    this.statsTimer = setInterval(() => {
      const now = Date.now();
      for (const t of this.byId.values()) t.sampleStats(now);
      this.emit('stats', this.list());
    }, STATS_INTERVAL_MS);
    this.statsTimer.unref();
  }

  private stopStatsTimer(): void {
    clearInterval(this.statsTimer);
    this.statsTimer = undefined;
  }
}
