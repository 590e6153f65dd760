// The answer to a simulcast offer (RFC 8853) must negotiate what the publisher needs to send its layers:
// the RID header extension (RFC 8852; Chromium refuses an answer with a=simulcast and without it), an
// `a=rid:<id> recv` per offered send rid and `a=simulcast:recv` in the offer's order. The offer fixture is
// Debian Chromium 156's own, captured from a WHIP publish of three H.264 encodings (rids h, m, l).
// An offer without simulcast is answered as before: no header extensions, no rid lines.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebRtcIngest } from '../../../src-relay/webrtc/ingest.js';
import { addSimulcastAnswer, offerForWerift, planIngest, RTP_STREAM_ID_URI } from '../../../src-relay/webrtc/sdp.js';
import { StreamRegistry } from '../../../src-relay/streams.js';
import { consoleLog, silentLog } from '../../../src-relay/log.js';

const log = process.env.CASTBRIDGE_TEST_VERBOSE ? consoleLog : silentLog;
const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'sdp');
const CHROMIUM_SIMULCAST_OFFER = readFileSync(join(FIXTURES, 'chromium-156-h264-simulcast-offer.sdp'), 'utf8');
const AIORTC_OFFER = readFileSync(join(FIXTURES, 'aiortc-1.4-offer.sdp'), 'utf8');

/** The lines of the m-section of `kind` in an SDP. */
function section(sdp: string, kind: string): string[] {
  const lines = sdp.split(/\r?\n/);
  const start = lines.findIndex((l) => l.startsWith(`m=${kind} `));
  assert.ok(start >= 0, `the SDP has an m=${kind} section`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('m='));
  return lines.slice(start, end < 0 ? undefined : end);
}

/** The id an `a=extmap` line of this section gives the URI, or undefined. */
function extmapId(lines: string[], uri: string): number | undefined {
  const line = lines.find((l) => l.startsWith('a=extmap:') && l.endsWith(` ${uri}`));
  return line ? Number(/^a=extmap:(\d+)/.exec(line)![1]) : undefined;
}

/** Replaces the offer's `a=rid`/`a=simulcast` lines of its video. */
function withSimulcast(offer: string, lines: string[]): string {
  const kept = offer.split('\r\n').filter((l) => !l.startsWith('a=rid:') && !l.startsWith('a=simulcast:'));
  const videoAt = kept.findIndex((l) => l.startsWith('m=video '));
  const next = kept.findIndex((l, i) => i > videoAt && l.startsWith('m='));
  kept.splice(next < 0 ? kept.length - 1 : next, 0, ...lines);
  return kept.join('\r\n');
}

describe('the answer to a simulcast offer', { timeout: 30_000 }, () => {
  const registry = new StreamRegistry();
  const ingest = new WebRtcIngest(registry, { log, iceAdditionalHostAddresses: ['127.0.0.1'] });
  after(() => ingest.closeAll());

  test("Chromium's three-rid H.264 offer: rid extension, a=rid recv lines, a=simulcast:recv h;m;l", async () => {
    const offerVideo = section(CHROMIUM_SIMULCAST_OFFER, 'video');
    const { answerSdp, sessionId } = await ingest.publish('sim_answer', CHROMIUM_SIMULCAST_OFFER);
    try {
      const video = section(answerSdp, 'video');
      assert.equal(extmapId(video, RTP_STREAM_ID_URI), extmapId(offerVideo, RTP_STREAM_ID_URI), 'rtp-stream-id with the offer id');
      const repaired = 'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id';
      assert.equal(extmapId(video, repaired), extmapId(offerVideo, repaired), 'repaired-rtp-stream-id, offered, is answered');
      const mid = 'urn:ietf:params:rtp-hdrext:sdes:mid';
      assert.equal(extmapId(video, mid), extmapId(offerVideo, mid), 'the mid extension is answered');
      assert.deepEqual(
        video.filter((l) => l.startsWith('a=rid:')),
        ['a=rid:h recv', 'a=rid:m recv', 'a=rid:l recv'],
      );
      assert.deepEqual(video.filter((l) => l.startsWith('a=simulcast:')), ['a=simulcast:recv h;m;l']);
      // Only extensions we read are answered (not abs-send-time, transport-cc, dependency descriptor …).
      assert.equal(video.filter((l) => l.startsWith('a=extmap:')).length, 3, video.filter((l) => l.startsWith('a=extmap:')).join(' | '));
      assert.ok(video.includes('a=recvonly'));
      const audio = section(answerSdp, 'audio');
      assert.equal(audio.filter((l) => l.startsWith('a=rid:') || l.startsWith('a=simulcast:')).length, 0, 'audio has no simulcast');
    } finally {
      ingest.unpublish(sessionId, 'test over');
    }
  });

  test('an offer without simulcast is answered without header extensions or rid lines, as before', async () => {
    const { answerSdp, sessionId } = await ingest.publish('plain_answer', AIORTC_OFFER);
    try {
      assert.ok(!/^a=(extmap|rid|simulcast):/m.test(answerSdp), answerSdp);
    } finally {
      ingest.unpublish(sessionId, 'test over');
    }
  });

  test('paused rids and alternatives keep their place; a rid that is not offered as send is left out', () => {
    const offer = withSimulcast(CHROMIUM_SIMULCAST_OFFER, [
      'a=rid:h send',
      'a=rid:m send max-width=640',
      'a=rid:l send',
      'a=rid:x recv',
      'a=rid:v send pt=39',
      'a=simulcast:send h;m,~l;x;v',
    ]);
    const simulcast = planIngest(offer).video.simulcast;
    assert.ok(simulcast);
    assert.deepEqual(simulcast.rids, ['h', 'm', 'l'], 'x is a recv rid; v only allows payload type 39 (packetization-mode=0)');
    const toWerift = section(offerForWerift(offer, simulcast), 'video');
    assert.deepEqual(toWerift.filter((l) => l.startsWith('a=rid:')), ['a=rid:h send', 'a=rid:m send max-width=640', 'a=rid:l send']);
    const answer = addSimulcastAnswer('v=0\r\nm=audio 9 x 0\r\na=mid:0\r\nm=video 9 x 102\r\na=mid:1\r\na=rid:h send\r\na=simulcast:recv h \r\n', simulcast);
    assert.deepEqual(section(answer, 'video'), ['m=video 9 x 102', 'a=mid:1', 'a=rid:h recv', 'a=rid:m recv', 'a=rid:l recv', 'a=simulcast:recv h;m,~l', '']);
  });

  test('simulcast without the RID header extension: the answer leaves simulcast out (one encoding is sent)', async () => {
    const offer = CHROMIUM_SIMULCAST_OFFER.split('\r\n')
      .filter((l) => !l.includes('rtp-stream-id'))
      .join('\r\n');
    assert.equal(planIngest(offer).video.simulcast, undefined);
    const { answerSdp, sessionId } = await ingest.publish('no_rid_ext', offer);
    try {
      assert.ok(!/^a=(extmap|rid|simulcast):/m.test(answerSdp), answerSdp);
    } finally {
      ingest.unpublish(sessionId, 'test over');
    }
  });
});
