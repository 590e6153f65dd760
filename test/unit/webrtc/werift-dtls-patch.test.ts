// The patched DTLS flight retransmission (src-relay/webrtc/werift-dtls-patch.ts) with werift as the publishing
// peer (the offerer): a publisher whose ICE connects but whose DTLS never answers leaves our side (the DTLS
// client, RFC 8842: the offer is actpass) retransmitting its ClientHello; once the session is closed nothing
// more is sent, at the flight or on the wire, and the retransmission timer is gone.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RTCPeerConnection, useH264 } from 'werift';
import { WebRtcIngest } from '../../../src-relay/webrtc/ingest.js';
import { StreamRegistry } from '../../../src-relay/streams.js';
import { consoleLog, silentLog } from '../../../src-relay/log.js';
import { waitFor } from '../../helpers/wait.js';

const log = process.env.CASTBRIDGE_TEST_VERBOSE ? consoleLog : silentLog;
/** Loopback-only machines need the host candidate named; max-bundle: one transport (see ingest-failure.test.ts). */
const ICE_OPTIONS = { iceServers: [], iceAdditionalHostAddresses: ['127.0.0.1'], bundlePolicy: 'max-bundle' as const };
/** RFC 7983 §7: a datagram whose first byte is 20–63 is DTLS. */
const isDtls = (buf: Buffer): boolean => buf.length > 0 && buf[0]! >= 20 && buf[0]! <= 63;
/** werift's third send of a flight comes 1.5 s after the second: watching 2.5 s after close covers it. */
const WATCH_AFTER_CLOSE_MS = 2500;

interface DtlsTransportShape {
  start(): Promise<void>;
  iceTransport: { connection: { onData: { subscribe(f: (buf: Buffer) => void): unknown } } };
}

/** A werift publisher (H.264, sendonly) whose DTLS never starts: ICE answers, ClientHellos go unanswered. */
async function silentDtlsPublisher(): Promise<{ pc: RTCPeerConnection; offer: string; dtlsReceived: number[] }> {
  const pc = new RTCPeerConnection({ ...ICE_OPTIONS, codecs: { video: [useH264()] } });
  const transceiver = pc.addTransceiver('video', { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  await waitFor('the publisher gathered its candidates', () => pc.iceGatheringState === 'complete', 5000);
  const dtls = transceiver.dtlsTransport as unknown as DtlsTransportShape;
  dtls.start = async () => undefined;
  const dtlsReceived: number[] = [];
  dtls.iceTransport.connection.onData.subscribe((buf) => {
    if (isDtls(buf)) dtlsReceived.push(performance.now());
  });
  return { pc, offer: pc.localDescription!.sdp, dtlsReceived };
}

describe('werift DTLS flights stop when the session closes mid-handshake', { timeout: 30_000 }, async () => {
  const { pendingFlightRetransmissions, weriftOriginalTransmit } = await import('../../../src-relay/webrtc/werift-dtls-patch.js');
  const registry = new StreamRegistry();
  const ingest = new WebRtcIngest(registry, { log, iceAdditionalHostAddresses: ['127.0.0.1'] });
  const peers: RTCPeerConnection[] = [];
  // Every send of a flight goes through Flight.setState('SENDING'): spied on werift's Flight prototype.
  const proto = weriftOriginalTransmit!.proto as { setState: (this: unknown, state: string) => void };
  const setState = proto.setState;
  const flightSends: number[] = [];
  proto.setState = function (this: unknown, state: string) {
    if (state === 'SENDING') flightSends.push(performance.now());
    setState.call(this, state);
  };
  after(async () => {
    proto.setState = setState;
    await ingest.closeAll();
    await Promise.allSettled(peers.map((pc) => pc.close()));
  });

  test('no ClientHello after close, and no retransmission timer left', async (t) => {
    const { pc, offer, dtlsReceived } = await silentDtlsPublisher();
    peers.push(pc);
    const { answerSdp } = await ingest.publish('dtls_never', offer);
    assert.match(answerSdp, /a=setup:active/, 'we are the DTLS client of an actpass offer');
    await pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
    // The first ClientHello and its first retransmission (0.5 s later) reach the publisher.
    await waitFor('two ClientHellos at the publisher', () => dtlsReceived.length >= 2, 15_000);
    assert.ok(flightSends.length >= 2, `${flightSends.length} flight sends`);
    assert.ok(pendingFlightRetransmissions() >= 1, 'the flight waits to retransmit');

    const sessionId = ingest.sessionOf('dtls_never');
    assert.ok(sessionId, 'the session exists');
    const closedAt = performance.now();
    const sendsAtClose = flightSends.length;
    ingest.unpublish(sessionId, 'test closes mid-handshake');
    await waitFor('the retransmission timer gone', () => pendingFlightRetransmissions() === 0, 2000);
    t.diagnostic(`retransmission timer gone ${(performance.now() - closedAt).toFixed(0)} ms after close`);
    await new Promise((r) => setTimeout(r, WATCH_AFTER_CLOSE_MS));

    assert.equal(flightSends.length, sendsAtClose, 'no flight send after close');
    // A datagram already on loopback when we closed may still arrive: allow 50 ms.
    const late = dtlsReceived.filter((at) => at > closedAt + 50);
    assert.deepEqual(late, [], 'no DTLS datagram reaches the publisher after close');
    assert.equal(pendingFlightRetransmissions(), 0, 'no retransmission timer');
    t.diagnostic(`${dtlsReceived.length} ClientHellos before close, none after`);
  });
});
