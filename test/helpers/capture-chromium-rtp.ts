// Records the video RTP packets Debian's Chromium sends from its fake camera with one codec preferred
// (AV1, VP8, VP9, or VP9 with two spatial layers: vp9-svc), received and decrypted by a werift answerer on 127.0.0.1, into a fixture file in the
// format of test/fixtures/rtp/README.md. Not a test: it made the fixtures, and remakes them.
//   node --import tsx test/helpers/capture-chromium-rtp.ts av1 test/fixtures/rtp/chromium-av1-320x180.bin [seconds]
// A keyframe is requested (PLI) half-way, so a capture holds at least two keyframes.
import { writeFileSync } from 'node:fs';
import * as werift from 'werift';
import { launchChromium } from './chromium.js';
import { startPageServer } from './page-server.js';

const MIME: Record<string, string> = { av1: 'video/AV1', vp8: 'video/VP8', vp9: 'video/VP9', 'vp9-svc': 'video/VP9' };
/** The sender's scalability mode (W3C webrtc-svc): two spatial layers for 'vp9-svc', Chromium's default otherwise. */
const SCALABILITY: Record<string, string | undefined> = { 'vp9-svc': 'L2T1' };
/** Capture size: SVC needs its base layer large enough to encode (half the width and height). */
const SIZE: Record<string, { width: number; height: number }> = { 'vp9-svc': { width: 640, height: 360 } };

export interface CapturedPacket {
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
  payload: Buffer;
}

export function encodeFixture(packets: CapturedPacket[]): Buffer {
  return Buffer.concat(
    packets.map((p) => {
      const head = Buffer.alloc(9);
      head.writeUInt16BE(p.payload.length, 0);
      head.writeUInt16BE(p.sequenceNumber, 2);
      head.writeUInt32BE(p.timestamp >>> 0, 4);
      head[8] = p.marker ? 1 : 0;
      return Buffer.concat([head, p.payload]);
    }),
  );
}

async function capture(codec: string, seconds: number): Promise<CapturedPacket[]> {
  const mimeType = MIME[codec];
  if (!mimeType) throw new Error(`codec must be one of ${Object.keys(MIME).join(', ')}, got ${codec}`);
  // werift's names stay qualified: the page function below uses the browser's RTCPeerConnection.
  const video = new werift.RTCRtpCodecParameters({
    mimeType,
    clockRate: 90000,
    rtcpFeedback: [werift.usePLI()],
    ...(mimeType === 'video/VP9' ? { parameters: 'profile-id=0' } : {}),
  });
  const pc = new werift.RTCPeerConnection({ iceServers: [], codecs: { video: [video], audio: [] } });
  const packets: CapturedPacket[] = [];
  let ssrc = 0;
  pc.onTransceiverAdded.subscribe((transceiver) => {
    transceiver.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        ssrc = rtp.header.ssrc;
        packets.push({ sequenceNumber: rtp.header.sequenceNumber, timestamp: rtp.header.timestamp, marker: rtp.header.marker, payload: Buffer.from(rtp.payload) });
      });
    });
  });

  const browser = await launchChromium({ fps: 15 });
  // getUserMedia needs a secure context: an http://127.0.0.1 page is one.
  const server = await startPageServer({ files: { '/index.html': '<!doctype html><title>capture</title>' } });
  try {
    const page = await browser.newPage();
    await page.goto(server.origin + '/index.html');
    const size = SIZE[codec] ?? { width: 320, height: 180 };
    const offer: string = await page.evaluate(async ({ mime, size, scalabilityMode }) => {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { ...size, frameRate: 15 } });
      const peer = new RTCPeerConnection();
      (window as unknown as { peer: RTCPeerConnection }).peer = peer;
      const sendEncodings = scalabilityMode ? [{ scalabilityMode } as RTCRtpEncodingParameters] : undefined;
      const transceiver = peer.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendonly', ...(sendEncodings ? { sendEncodings } : {}) });
      const codecs = (RTCRtpSender.getCapabilities('video')?.codecs ?? []).filter((c) => c.mimeType === mime);
      if (codecs.length === 0) throw new Error(`Chromium cannot send ${mime}`);
      transceiver.setCodecPreferences(codecs);
      await peer.setLocalDescription(await peer.createOffer());
      await new Promise<void>((resolve) => {
        if (peer.iceGatheringState === 'complete') return resolve();
        peer.onicegatheringstatechange = () => peer.iceGatheringState === 'complete' && resolve();
      });
      return peer.localDescription!.sdp;
    }, { mime: mimeType, size, scalabilityMode: SCALABILITY[codec] });
    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    await pc.setLocalDescription(await pc.createAnswer());
    const answer = pc.localDescription!.sdp;
    await page.evaluate(async (sdp) => {
      await (window as unknown as { peer: RTCPeerConnection }).peer.setRemoteDescription({ type: 'answer', sdp });
    }, answer);
    const half = (seconds * 1000) / 2;
    await new Promise((resolve) => setTimeout(resolve, half));
    const receiver = pc.getTransceivers()[0].receiver;
    if (ssrc) await receiver.sendRtcpPLI(ssrc);
    await new Promise((resolve) => setTimeout(resolve, half));
  } finally {
    await browser.close();
    await pc.close();
    await server.close();
  }
  return packets;
}

if (process.argv[1]?.endsWith('capture-chromium-rtp.ts')) {
  const [codec, out, seconds] = process.argv.slice(2);
  const packets = await capture(codec, Number(seconds ?? 3));
  // Start at the first packet of a frame whose timestamp is whole, end at the last marker.
  const firstStart = packets.findIndex((p, i) => i > 0 && packets[i - 1].marker);
  const startAt = packets[0] && packets.findIndex((p) => p.timestamp === packets[0].timestamp) === 0 ? 0 : firstStart;
  let end = packets.length;
  while (end > 0 && !packets[end - 1].marker) end--;
  const kept = packets.slice(startAt, end);
  writeFileSync(out, encodeFixture(kept));
  console.log(`${codec}: ${kept.length} packets, ${kept.filter((p) => p.marker).length} markers, ${encodeFixture(kept).length} bytes → ${out}`);
}
