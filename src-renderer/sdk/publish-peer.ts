// The WebRTC side of publishing: a sendonly RTCPeerConnection offering H.264 + Opus, non-trickle (the
// host's ingest takes one offer with its candidates, as WHIP does: RFC 9725 §4.2).

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

/** Keeps the resolution steady under congestion instead of ramping 360p → 720p (DESIGN.md §9). */
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

export interface PublishPeer {
  pc: RTCPeerConnection;
  /** The complete offer, candidates included. */
  offerSdp: string;
  videoSender: RTCRtpSender | undefined;
}

/** Creates the peer connection for `media` and returns it with a complete offer. */
export async function createPublishPeer(media: MediaStream): Promise<PublishPeer> {
  const pc = new RTCPeerConnection({ iceServers: [] });
  let videoSender: RTCRtpSender | undefined;
  for (const track of media.getTracks()) {
    const kind = track.kind === 'video' ? 'video' : 'audio';
    const transceiver = pc.addTransceiver(track, { direction: 'sendonly', streams: [media] });
    preferCodec(transceiver, kind, kind === 'video' ? PREFERRED_VIDEO_CODEC : PREFERRED_AUDIO_CODEC);
    if (kind === 'video') videoSender = transceiver.sender;
  }
  await pc.setLocalDescription(await pc.createOffer());
  if (videoSender) await maintainResolution(videoSender);
  await waitForIceGathering(pc);
  const offerSdp = pc.localDescription?.sdp;
  if (!offerSdp) throw new Error('the browser produced no SDP offer');
  return { pc, offerSdp, videoSender };
}

/** Applies the host's answer; re-asserts the degradation preference once the sender is negotiated. */
export async function applyAnswer(peer: PublishPeer, answerSdp: string): Promise<void> {
  await peer.pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
  if (peer.videoSender) await maintainResolution(peer.videoSender);
}
