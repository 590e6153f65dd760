// The WebRTC side of publishing: a sendonly RTCPeerConnection offering H.264 + Opus, non-trickle (the
// host's ingest takes one offer with its candidates, as WHIP does: RFC 9725 §4.2).
//
// With simulcast (RFC 8853) the browser encodes the camera picture at up to three sizes at once, rids
// 'h', 'm', 'l' at 1, 1/2 and 1/4 of the capture size, each with its own maximum bitrate; the host keeps
// them as layers of one stream and each target may take another. A browser that refuses the encodings
// publishes one, as without simulcast; a host that does not take simulcast answers without it and the
// browser then sends one encoding too (RFC 8853 §5.3).

/** How long to wait for ICE gathering before sending the offer with what was gathered. */
const ICE_GATHERING_TIMEOUT_MS = 5000;
/** Chromium's OpenH264 encoder produces Constrained Baseline; the relay passes it through. */
const PREFERRED_VIDEO_CODEC = 'video/H264';
const PREFERRED_AUDIO_CODEC = 'audio/opus';

/** Puts the preferred codec first (RFC 8829 §4.1.8 setCodecPreferences), keeping the others as fallback. */
function preferCodec(transceiver: RTCRtpTransceiver, kind: 'audio' | 'video', mimeType: string): void {
  const capabilities = RTCRtpSender.getCapabilities?.(kind);
  if (!capabilities || typeof transceiver.setCodecPreferences !== 'function') return;
  const wanted = mimeType.toLowerCase();
  const preferred = capabilities.codecs.filter((c) => c.mimeType.toLowerCase() === wanted);
  if (kind === 'video') {
    // packetization-mode=1 (RFC 6184 §6.2) first: the relay depacketizes FU-A and STAP-A.
    preferred.sort((a, b) => Number(/packetization-mode=1/.test(b.sdpFmtpLine ?? '')) - Number(/packetization-mode=1/.test(a.sdpFmtpLine ?? '')));
  }
  if (preferred.length === 0) return;
  const rest = capabilities.codecs.filter((c) => c.mimeType.toLowerCase() !== wanted);
  transceiver.setCodecPreferences([...preferred, ...rest]);
}

/** Keeps the resolution steady under congestion instead of ramping 360p → 720p (docs/DESIGN.md §9). */
async function maintainResolution(sender: RTCRtpSender): Promise<void> {
  try {
    const parameters = sender.getParameters();
    await sender.setParameters({ ...parameters, degradationPreference: 'maintain-resolution' } as RTCRtpSendParameters);
  } catch {
    // Older engines reject the field; the stream still works, it only ramps up more slowly.
  }
}

function waitForIceGathering(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ICE_GATHERING_TIMEOUT_MS);
    function done(): void {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', onChange);
      resolve();
    }
    function onChange(): void {
      if (pc.iceGatheringState === 'complete') done();
    }
    pc.addEventListener('icegatheringstatechange', onChange);
  });
}

/** The smallest layer worth sending: below 180 lines a picture is of no use to a streaming target. */
const MIN_LAYER_HEIGHT = 180;
const LAYER_RIDS = ['h', 'm', 'l'] as const;

/** A maximum bitrate for a picture height, in bits/s (around what streaming services ask for each size). */
function maxBitrateFor(height: number): number {
  if (height >= 1080) return 4_500_000;
  if (height >= 720) return 2_500_000;
  if (height >= 540) return 1_500_000;
  if (height >= 360) return 1_000_000;
  if (height >= 270) return 600_000;
  return 300_000;
}

/**
 * The simulcast encodings for a capture `height` lines high, largest first: halving the size while the
 * smaller layer keeps at least MIN_LAYER_HEIGHT lines, at most three (720p: 720/360/180; 1080p:
 * 1080/540/270; 480p: 480/240; 360p: 360/180). Undefined when only one layer fits (or the size is unknown).
 */
export function simulcastEncodings(height: number | undefined): RTCRtpEncodingParameters[] | undefined {
  if (!height || !Number.isFinite(height)) return undefined;
  const encodings: RTCRtpEncodingParameters[] = [];
  for (let i = 0; i < LAYER_RIDS.length; i++) {
    const scale = 2 ** i;
    const layerHeight = Math.round(height / scale);
    if (i > 0 && layerHeight < MIN_LAYER_HEIGHT) break;
    encodings.push({ rid: LAYER_RIDS[i], scaleResolutionDownBy: scale, maxBitrate: maxBitrateFor(layerHeight), active: true });
  }
  return encodings.length > 1 ? encodings : undefined;
}

/** addTransceiver for the video track, with simulcast encodings when asked and the browser takes them. */
function addVideoTransceiver(pc: RTCPeerConnection, track: MediaStreamTrack, media: MediaStream, simulcast: boolean): { transceiver: RTCRtpTransceiver; layers: number } {
  const sendEncodings = simulcast ? simulcastEncodings(track.getSettings().height) : undefined;
  if (sendEncodings) {
    try {
      return { transceiver: pc.addTransceiver(track, { direction: 'sendonly', streams: [media], sendEncodings }), layers: sendEncodings.length };
    } catch {
      // An engine without simulcast (or with other limits) refuses the encodings: publish one.
    }
  }
  return { transceiver: pc.addTransceiver(track, { direction: 'sendonly', streams: [media] }), layers: 1 };
}

export interface PublishPeerOptions {
  /** Offer H.264 simulcast (up to three sizes of the picture). Default false. */
  simulcast?: boolean;
}

export interface PublishPeer {
  pc: RTCPeerConnection;
  /** The complete offer, candidates included. */
  offerSdp: string;
  videoSender: RTCRtpSender | undefined;
  /** Video encodings offered: 1, or 2–3 with simulcast. */
  videoLayers: number;
}

/** Creates the peer connection for `media` and returns it with a complete offer. */
export async function createPublishPeer(media: MediaStream, options: PublishPeerOptions = {}): Promise<PublishPeer> {
  const pc = new RTCPeerConnection({ iceServers: [] });
  let videoSender: RTCRtpSender | undefined;
  let videoLayers = 0;
  for (const track of media.getTracks()) {
    const kind = track.kind === 'video' ? 'video' : 'audio';
    let transceiver: RTCRtpTransceiver;
    if (kind === 'video') {
      const added = addVideoTransceiver(pc, track, media, options.simulcast === true);
      transceiver = added.transceiver;
      videoLayers = added.layers;
      videoSender = transceiver.sender;
    } else {
      transceiver = pc.addTransceiver(track, { direction: 'sendonly', streams: [media] });
    }
    preferCodec(transceiver, kind, kind === 'video' ? PREFERRED_VIDEO_CODEC : PREFERRED_AUDIO_CODEC);
  }
  await pc.setLocalDescription(await pc.createOffer());
  if (videoSender) await maintainResolution(videoSender);
  await waitForIceGathering(pc);
  const offerSdp = pc.localDescription?.sdp;
  if (!offerSdp) throw new Error('the browser produced no SDP offer');
  return { pc, offerSdp, videoSender, videoLayers };
}

/** Applies the host's answer; re-asserts the degradation preference once the sender is negotiated. */
export async function applyAnswer(peer: PublishPeer, answerSdp: string): Promise<void> {
  await peer.pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
  if (peer.videoSender) await maintainResolution(peer.videoSender);
}
