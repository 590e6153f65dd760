// WebRTC ingest (JSEP answerer, RFC 8829): an SDP offer in, werift's answer out (with all our candidates:
// WHIP sends none later, RFC 9725 §4.3), and the publisher's media registered as a LiveStream by name.
// The offer is read as RFC 8843 (BUNDLE) and RFC 8842 (a=setup) say before werift sees it (bundle.ts,
// sdp.ts); the publisher's own candidates may come in the offer or trickle in later (trickle()).
//
// werift (and IngestSession, which uses its RTCP classes) is not imported with this file: importing it costs
// ~0.5 CPU s, which must not delay the host's start. It loads on warmUp() (the host calls it once it
// listens, so the first publish does not pay it) or on the first offer, whichever comes first, once per
// process. Its runtime patches (werift-srtp-patch.ts, with their self-test) are applied in the same step,
// before the first peer connection exists. Everything else here imports werift's types only.
import { randomUUID } from 'node:crypto';
import type { RTCPeerConnection } from 'werift';
import { silentLog, type Log } from '../log.js';
import { redactName } from '../redact.js';
import type { LiveStream, StreamRegistry } from '../streams.js';
import { StreamNameInUseError } from '../streams.js';
import { applyBundle, iceCredentialsByMid, type BundleDecision, type IceCredentials } from './bundle.js';
import { parseTrickleFragment } from './sdpfrag.js';
import { enlargeReceiveBuffers } from './werift-sockets.js';
import { addSimulcastAnswer, addVideoAnswerParams, answerDtlsRoles, IngestError, offerForWerift, planIngest, type DtlsRole, type IngestPlan } from './sdp.js';
import type { IngestSession, IngestSessionState } from './ingest-session.js';

export { IngestError } from './sdp.js';
export type { IngestSessionState } from './ingest-session.js';

/** werift, its patches applied, and the session class built on it: what a publish needs beyond this file. */
interface WebRtcRuntime {
  werift: typeof import('werift');
  IngestSession: typeof IngestSession;
}

let runtime: Promise<WebRtcRuntime> | undefined;

/**
 * Loads werift once for the process, applying werift-srtp-patch.ts (which throws if its self-test fails)
 * before anything uses it. A failed load is not kept, so the next offer tries again.
 */
export function loadWebRtcRuntime(): Promise<WebRtcRuntime> {
  runtime ??= (async () => {
    await import('./werift-srtp-patch.js');
    await import('./werift-dtls-patch.js');
    const [werift, session] = await Promise.all([import('werift'), import('./ingest-session.js')]);
    return { werift, IngestSession: session.IngestSession };
  })().catch((error: unknown) => {
    runtime = undefined;
    throw new Error(`WebRTC could not be loaded (werift): ${error instanceof Error ? error.message : String(error)}`);
  });
  return runtime;
}

/** Non-trickle: the answer waits for our candidates, but never longer than this (host candidates take ms). */
const ICE_GATHERING_TIMEOUT_MS = 2000;

export interface WebRtcIngestOptions {
  log?: Log;
  /** Extra host candidate addresses, e.g. ['127.0.0.1'] on a machine with loopback only (docs/DESIGN.md §9). */
  iceAdditionalHostAddresses?: string[];
  /** Called when a session's connection changes state ('connected', 'disconnected', 'failed', 'closed'). */
  onSessionState?: (event: { sessionId: string; streamName: string; state: IngestSessionState }) => void;
}

/** What a trickle-ICE fragment did to a session (RFC 9725 §4.3). */
export type TrickleResult =
  | { kind: 'unknown-session' }
  /** New credentials: the client asks for an ICE restart, which we do not perform; nothing was applied. */
  | { kind: 'ice-restart' }
  /** Candidates handed to the ICE agent; `ignored`: ones it could not use, or for a bundled m-section's own agent. */
  | { kind: 'applied'; added: number; ignored: number };

interface SessionIce {
  /** What werift was given, by mid: under BUNDLE every bundled section has the tag's credentials. */
  current: Map<string, IceCredentials>;
  /** What the offer said, by mid. */
  offered: Map<string, IceCredentials>;
  bundle: BundleDecision['bundle'];
}

export interface PublishResult {
  sessionId: string;
  answerSdp: string;
  stream: LiveStream;
}

export class WebRtcIngest {
  private readonly log: Log;
  private readonly sessions = new Map<string, IngestSession>();
  private readonly ice = new Map<string, SessionIce>();

  constructor(
    private readonly registry: StreamRegistry,
    private readonly options: WebRtcIngestOptions = {},
  ) {
    this.log = options.log ?? silentLog;
  }

  /**
   * Loads werift and its patches now, so that the first publish does not wait for them. A failure is logged
   * and not kept: the first offer tries again and answers with the error.
   */
  async warmUp(): Promise<void> {
    const t0 = performance.now();
    try {
      await loadWebRtcRuntime();
      this.log('webrtc.ready', { ms: Math.round(performance.now() - t0) });
    } catch (error) {
      this.log('webrtc.warm_up_failed', { error: (error as Error).message });
    }
  }

  /** Answers a (non-trickle) SDP offer and registers the stream; throws StreamNameInUseError, IngestError. */
  async publish(streamName: string, offerSdp: string): Promise<PublishResult> {
    if (this.registry.get(streamName)) throw new StreamNameInUseError(streamName);
    const plan = planIngest(offerSdp);
    const dtlsRoles = answerDtlsRoles(offerSdp);
    const bundle = applyBundle(offerForWerift(offerSdp, plan.video.simulcast));
    const { werift, IngestSession } = await loadWebRtcRuntime();
    const sessionId = randomUUID();
    const pc = this.createPeerConnection(werift, plan, bundle);
    const session = new IngestSession(pc, {
      sessionId,
      streamName,
      plan,
      log: this.log,
      description: `webrtc ${sessionId.slice(0, 8)}`,
      onState: (state) => this.onState(sessionId, streamName, state),
    });
    try {
      const answerSdp = await this.negotiate(pc, plan, bundle.sdp, dtlsRoles);
      // The name may have been taken while we negotiated: the registry decides, atomically.
      const stream = this.registry.publish(streamName, session);
      session.stream = stream;
      this.sessions.set(sessionId, session);
      this.ice.set(sessionId, { current: iceCredentialsByMid(bundle.sdp), offered: iceCredentialsByMid(offerSdp), bundle: bundle.bundle });
      stream.once('end', () => {
        this.sessions.delete(sessionId);
        this.ice.delete(sessionId);
      });
      this.log('ingest.published', {
        mediaSessionId: sessionId,
        streamName: redactName(streamName),
        videoCodec: plan.video.codec,
        videoPt: plan.video.payloadType,
        profileLevelId: plan.video.profileLevelId,
        audio: plan.audio?.codec ?? 'none',
        ...(plan.video.simulcast ? { simulcast: plan.video.simulcast.rids.join(' ') } : {}),
        bundle: bundle.bundle ? bundle.bundle.mids.join(' ') : 'none',
        ...(bundle.refused ? { bundleRefused: bundle.refused } : {}),
        ...(bundle.aligned.length ? { iceCredentialsFromTag: bundle.aligned.join(' ') } : {}),
        ...(bundle.droppedCandidates ? { candidatesOfBundledSections: bundle.droppedCandidates } : {}),
      });
      return { sessionId, answerSdp, stream };
    } catch (error) {
      session.close(error instanceof Error ? error.message : String(error));
      if (error instanceof IngestError || error instanceof StreamNameInUseError) throw error;
      throw new IngestError(`cannot answer the offer: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * A trickle-ICE fragment for a session (RFC 9725 §4.3, RFC 8840): its candidates go to the session's ICE
   * agent. Credentials other than the session's mean an ICE restart, which is refused as a whole (a bundled
   * m-section's own offered credentials are not new). Under BUNDLE the candidates of m-sections other than
   * the tag are ignored. Throws IngestError for a malformed fragment or an unknown mid.
   */
  async trickle(sessionId: string, fragmentText: string): Promise<TrickleResult> {
    const session = this.sessions.get(sessionId);
    const ice = this.ice.get(sessionId);
    if (!session || !ice) return { kind: 'unknown-session' };
    const fragment = parseTrickleFragment(fragmentText);
    const plan: { mid: string; ufrag: string; candidates: string[]; end: boolean; use: boolean }[] = [];
    if (fragment.sections.length === 0) {
      // Session-level credentials alone (RFC 9725's ICE restart example): new ones are a restart.
      const known = [...ice.current.values()];
      if (fragment.ufrag !== undefined && !known.some((c) => c.ufrag === fragment.ufrag && c.pwd === fragment.pwd)) return { kind: 'ice-restart' };
    }
    for (const section of fragment.sections) {
      const current = ice.current.get(section.mid);
      if (!current) throw new IngestError(`the SDP fragment names mid "${section.mid.slice(0, 64)}", which is not an m-section of this session`);
      const ufrag = section.ufrag ?? fragment.ufrag;
      const pwd = section.pwd ?? fragment.pwd;
      if (ufrag === undefined || pwd === undefined) throw new IngestError(`the SDP fragment gives no a=ice-ufrag/a=ice-pwd for mid "${section.mid}" (RFC 8840 §9)`);
      // Under BUNDLE only the tag's candidates are the transport's; another section's name the transport
      // the publisher closes once BUNDLE is accepted (bundle.ts), under the tag's credentials or its own.
      const offered = ice.offered.get(section.mid);
      const bundledOntoTag = ice.bundle !== undefined && section.mid !== ice.bundle.tag && ice.bundle.mids.includes(section.mid);
      const ownCredentials = bundledOntoTag && offered?.ufrag === ufrag && offered.pwd === pwd;
      if ((ufrag !== current.ufrag || pwd !== current.pwd) && !ownCredentials) return { kind: 'ice-restart' };
      plan.push({ mid: section.mid, ufrag, candidates: section.candidates, end: section.endOfCandidates || fragment.endOfCandidates, use: !bundledOntoTag });
    }
    let added = 0;
    let ignored = 0;
    for (const { mid, ufrag, candidates, end, use } of plan) {
      if (!use) {
        ignored += candidates.length;
        continue;
      }
      for (const candidate of candidates) {
        try {
          // RFC 9725 §4.3.2: a candidate the agent cannot use (transport, unresolvable name) is silently discarded.
          await session.pc.addIceCandidate({ candidate, sdpMid: mid, usernameFragment: ufrag });
          added++;
        } catch {
          ignored++;
        }
      }
      if (end) await session.pc.addIceCandidate({ candidate: '', sdpMid: mid }).catch(() => undefined);
    }
    this.log('ingest.trickle', { mediaSessionId: sessionId, added, ignored });
    return { kind: 'applied', added, ignored };
  }

  /** Ends the stream of a session (WHIP DELETE, session WebSocket closed). False if unknown. */
  unpublish(sessionId: string, reason = 'unpublished'): boolean {
    const session = this.sessions.get(sessionId);
    if (!session) return false;
    this.sessions.delete(sessionId);
    this.ice.delete(sessionId);
    if (session.stream) session.stream.end(reason);
    else session.close(reason);
    return true;
  }

  /** Ends every session and waits for the peer connections to close (host shutdown). */
  async closeAll(reason = 'relay shutting down'): Promise<void> {
    const sessions = [...this.sessions.values()];
    for (const session of sessions) this.unpublish(session.sessionId, reason);
    await Promise.allSettled(sessions.map((s) => s.pc.close()));
  }

  /** Session ids by stream, for the host's bookkeeping and tests. */
  sessionOf(streamName: string): string | undefined {
    for (const session of this.sessions.values()) if (session.stream?.name === streamName) return session.sessionId;
    return undefined;
  }

  private createPeerConnection(werift: WebRtcRuntime['werift'], plan: IngestPlan, bundle: BundleDecision): RTCPeerConnection {
    const { RTCPeerConnection, RTCRtpCodecParameters, useH264, useVP8, useVP9, useAV1X, useOPUS, usePCMU, useSdesMid, useSdesRTPStreamId, useRepairedRtpStreamId } = werift;
    // docs/DESIGN.md §9: werift offers only VP8 unless told, and its default STUN server is unreachable offline.
    const audio = plan.audio
      ? [
          plan.audio.codec === 'opus'
            ? useOPUS()
            : plan.audio.codec === 'pcmu'
              ? usePCMU()
              : new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, channels: 1, payloadType: 8 }),
        ]
      : [];
    // Simulcast (RFC 8853) needs the RID header extension (RFC 8852) negotiated: werift routes each
    // layer's RTP by it, and Chromium refuses an answer with simulcast but without it. werift answers only
    // the extensions both this list and the offer name, with the offer's ids; other publishers get none.
    const simulcast = plan.video.simulcast;
    const headerExtensions = simulcast
      ? { video: [useSdesMid(), useSdesRTPStreamId(), ...(simulcast.repairedRid ? [useRepairedRtpStreamId()] : [])], audio: [] }
      : undefined;
    // The answer's one video codec is the plan's; werift matches it to the offer's payload types by MIME type.
    const videoCodecs = { h264: () => useH264(), vp8: () => useVP8(), vp9: () => useVP9(), av1: () => useAV1X({ mimeType: 'video/AV1' }) };
    return new RTCPeerConnection({
      iceServers: [],
      codecs: { video: [videoCodecs[plan.video.codec]()], audio },
      ...(headerExtensions ? { headerExtensions } : {}),
      iceAdditionalHostAddresses: this.options.iceAdditionalHostAddresses,
      // werift puts a BUNDLE group in every answer unless bundling is disabled; an offer without one (or
      // with one we refuse) must get an answer without one, and a transport per m-section (RFC 8843 §7.3.3).
      ...(bundle.bundle ? {} : { bundlePolicy: 'disable' as const }),
    });
  }

  private async negotiate(pc: RTCPeerConnection, plan: IngestPlan, offerSdp: string, dtlsRoles: Map<string, DtlsRole>): Promise<string> {
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    } catch (error) {
      throw new IngestError(`the offer was refused: ${error instanceof Error ? error.message : String(error)}`);
    }
    // werift keeps every offered codec of a matching MIME type (all six H.264 variants Chromium offers, both VP9 profiles);
    // answer exactly the payload types we depacketize, so the publisher has no other choice.
    for (const transceiver of pc.getTransceivers()) {
      const keep = transceiver.kind === 'video' ? plan.video.payloadType : plan.audio?.payloadType;
      transceiver.codecs = transceiver.codecs.filter((c) => c.payloadType === keep);
      transceiver.setDirection('recvonly');
      // werift answers a=setup:active whatever the offer says; an offer that is itself active needs us passive.
      const role = transceiver.mid === null ? undefined : dtlsRoles.get(transceiver.mid);
      if (role) transceiver.dtlsTransport.role = role;
    }
    await pc.setLocalDescription(await pc.createAnswer());
    await waitForGathering(pc);
    const buffers = enlargeReceiveBuffers(pc);
    if (buffers.problem) this.log('ingest.socket_buffers_unchanged', { problem: buffers.problem });
    const sdp = pc.localDescription?.sdp;
    if (!sdp) throw new Error('werift produced no local description');
    const answer = addVideoAnswerParams(sdp, plan.video);
    return plan.video.simulcast ? addSimulcastAnswer(answer, plan.video.simulcast) : answer;
  }

  private onState(sessionId: string, streamName: string, state: IngestSessionState): void {
    this.options.onSessionState?.({ sessionId, streamName, state });
  }
}

async function waitForGathering(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ICE_GATHERING_TIMEOUT_MS);
    const subscription = pc.iceGatheringStateChange.subscribe((state) => {
      if (state === 'complete') done();
    });
    function done(): void {
      clearTimeout(timer);
      subscription.unSubscribe();
      resolve();
    }
  });
}
