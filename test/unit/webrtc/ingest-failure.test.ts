// WebRtcIngest's other paths (docs/DESIGN.md §3), with werift as the publishing peer (the offerer):
//  - a publisher whose ICE never completes (its peer connection closed right after offering) is unpublished
//    within 10 s of its answer;
//  - a G.711 A-law publisher (RFC 3551 §4.5.14, payload type 8) is ingested: its 1 kHz tone reaches the
//    stream as 48 kHz stereo PCM, in contiguous chunks.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket, useH264, type RTCRtpTransceiver } from 'werift';
import { WebRtcIngest } from '../../../src-relay/webrtc/ingest.js';
import { INGEST_SESSION_TIMING } from '../../../src-relay/webrtc/ingest-session.js';
import { StreamRegistry, type LiveStream } from '../../../src-relay/streams.js';
import { PCM_CHANNELS, PCM_RATE, type PcmChunk } from '../../../src-relay/media.js';
import { encodeAlaw } from '../../../src-relay/codec/audio/g711.js';
import { consoleLog, silentLog } from '../../../src-relay/log.js';
import { channelOf, sine, toneAmplitude } from '../../helpers/tone.js';
import { waitFor } from '../../helpers/wait.js';

const log = process.env.CASTBRIDGE_TEST_VERBOSE ? consoleLog : silentLog;
/**
 * The machine may have loopback only: werift gathers no host candidate there unless told (docs/DESIGN.md §9).
 * max-bundle: one transport from the start. Otherwise werift (0.24) as an offerer makes one per m-line and,
 * once the answer bundles them, never stops the spare one: its UDP sockets would keep this process alive.
 */
const ICE_OPTIONS = { iceServers: [], iceAdditionalHostAddresses: ['127.0.0.1'], bundlePolicy: 'max-bundle' as const };
const PCMA = { mimeType: 'audio/PCMA', clockRate: 8000, channels: 1, payloadType: 8 } as const;
const G711_RATE = 8000;
const PACKET_MS = 20;
const TONE_HZ = 1000;
const TONE_AMPLITUDE = 10_000;
/** The ingest's own deadline, plus its 50 ms watchdog tick and a loaded machine's timer lateness. */
const UNPUBLISH_SLACK_MS = 1500;

/** A werift publisher offering H.264 video and PCMA audio, both sendonly; returns its non-trickle offer. */
async function pcmaPublisher(): Promise<{ pc: RTCPeerConnection; audio: RTCRtpTransceiver; offer: string }> {
  const pc = new RTCPeerConnection({ ...ICE_OPTIONS, codecs: { video: [useH264()], audio: [new RTCRtpCodecParameters(PCMA)] } });
  pc.addTransceiver('video', { direction: 'sendonly' });
  const audio = pc.addTransceiver('audio', { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const timer = setTimeout(resolve, 5000);
    pc.iceGatheringStateChange.subscribe((state) => {
      if (state === 'complete') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { pc, audio, offer: pc.localDescription!.sdp };
}

describe('WebRTC ingest failure paths and G.711 A-law (werift publisher)', { timeout: 60_000 }, () => {
  const registry = new StreamRegistry();
  const ingest = new WebRtcIngest(registry, { log, iceAdditionalHostAddresses: ['127.0.0.1'] });
  const peers: RTCPeerConnection[] = [];
  after(async () => {
    await ingest.closeAll();
    await Promise.allSettled(peers.map((pc) => pc.close()));
  });

  test('a publisher whose ICE never completes is unpublished within 10 s', async (t) => {
    const { pc, offer } = await pcmaPublisher();
    peers.push(pc);
    await pc.close(); // gone before any connectivity check: its candidates lead nowhere
    const unpublished = new Promise<{ stream: LiveStream; reason: string; at: number }>((resolve) =>
      registry.on('unpublished', (stream, reason) => stream.name === 'ice_never' && resolve({ stream, reason, at: performance.now() })),
    );
    const { stream } = await ingest.publish('ice_never', offer);
    const answeredAt = performance.now();
    assert.equal(registry.get('ice_never'), stream, 'the stream is published while ICE may still come up');
    const ended = await unpublished;
    const afterMs = ended.at - answeredAt;
    t.diagnostic(`unpublished after ${afterMs.toFixed(0)} ms: ${ended.reason}`);
    t.diagnostic(`unpublished after ${afterMs.toFixed(0)} ms: ${ended.reason}`);
    assert.ok(afterMs <= INGEST_SESSION_TIMING.firstMediaTimeoutMs + UNPUBLISH_SLACK_MS, `unpublished ${afterMs.toFixed(0)} ms after the answer`);
    assert.match(ended.reason, /ICE|DTLS|no media/);
    assert.equal(registry.get('ice_never'), undefined);
    assert.equal(ingest.sessionOf('ice_never'), undefined, 'the session is forgotten');
  });

  test('a PCMA publisher: its 1 kHz tone arrives as contiguous 48 kHz stereo PCM', async (t) => {
    const { pc, audio, offer } = await pcmaPublisher();
    peers.push(pc);
    const { answerSdp, stream } = await ingest.publish('alaw', offer);
    assert.match(answerSdp, /a=rtpmap:8 PCMA\/8000/, 'the answer takes PCMA');
    const chunks: PcmChunk[] = [];
    stream.on('pcm', (c) => chunks.push(c));
    await pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
    await waitFor('the publisher connected', () => pc.connectionState === 'connected', 15_000);

    // 2 s of a 1 kHz tone, one 20 ms A-law packet (160 bytes) at a time, in real time.
    const samplesPerPacket = (G711_RATE * PACKET_MS) / 1000;
    const packets = 100;
    const startedAt = performance.now();
    for (let i = 0; i < packets; i++) {
      const pcm = sine(TONE_HZ, G711_RATE, samplesPerPacket, TONE_AMPLITUDE, 1, i * samplesPerPacket);
      const header = new RtpHeader({ sequenceNumber: i, timestamp: i * samplesPerPacket, payloadType: PCMA.payloadType, marker: i === 0 });
      await audio.sender.sendRtp(new RtpPacket(header, encodeAlaw(pcm)));
      const wait = startedAt + (i + 1) * PACKET_MS - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await waitFor('the PCM of most packets', () => chunks.length >= packets * 0.9, 5000);

    const frames = chunks.reduce((n, c) => n + c.samples.length / PCM_CHANNELS, 0);
    t.diagnostic(`${chunks.length} chunks, ${frames} sample frames`);
    assert.equal(PCM_RATE, 48_000);
    for (const c of chunks) assert.equal(c.samples.length % PCM_CHANNELS, 0);
    // 20 ms of 8 kHz is 960 frames at 48 kHz; the resampler's delay moves a few between chunks.
    const expectedFrames = (chunks.length * PACKET_MS * PCM_RATE) / 1000;
    assert.ok(Math.abs(frames - expectedFrames) <= 480, `${frames} frames for ${chunks.length} packets (expected ~${expectedFrames})`);
    // Contiguous: each chunk starts where the previous ended (ms on the stream clock).
    for (let i = 1; i < chunks.length; i++) {
      const end = chunks[i - 1]!.time + ((chunks[i - 1]!.samples.length / PCM_CHANNELS) * 1000) / PCM_RATE;
      assert.ok(Math.abs(chunks[i]!.time - end) <= 1, `chunk ${i} starts at ${chunks[i]!.time} ms, the previous ended at ${end} ms`);
    }

    // Stereo with both channels equal, and the tone at 1 kHz (at 48 kHz: the resampling kept the pitch).
    const all = new Int16Array(frames * PCM_CHANNELS);
    let offset = 0;
    for (const c of chunks) {
      all.set(c.samples, offset);
      offset += c.samples.length;
    }
    const left = channelOf(all, 2, 0);
    const right = channelOf(all, 2, 1);
    assert.deepEqual(left, right, 'G.711 is mono: both channels carry it');
    const steady = left.subarray(PCM_RATE / 10, left.length - PCM_RATE / 10);
    const amp = toneAmplitude(steady, PCM_RATE, TONE_HZ);
    t.diagnostic(`1 kHz amplitude ${amp.toFixed(0)}`);
    assert.ok(amp > TONE_AMPLITUDE * 0.8 && amp < TONE_AMPLITUDE * 1.2, `1 kHz amplitude ${amp.toFixed(0)} (sent ${TONE_AMPLITUDE})`);
    for (const other of [500, 1500, 3000]) {
      const at = toneAmplitude(steady, PCM_RATE, other);
      assert.ok(at < amp / 30, `${other} Hz amplitude ${at.toFixed(0)} vs ${amp.toFixed(0)} at 1 kHz`);
    }
    ingest.unpublish(ingest.sessionOf('alaw')!, 'test over');
  });
});
