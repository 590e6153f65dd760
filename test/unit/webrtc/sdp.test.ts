import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addH264AnswerParams, IngestError, planIngest } from '../../../src-relay/webrtc/sdp.js';

/** An offer shaped like Chromium 156's (trimmed): audio first, six H.264 variants. */
function offer({ audio = 'opus', video = true, h264 = true, direction = 'sendonly' } = {}): string {
  const lines = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1'];
  if (audio) {
    lines.push('m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8 13', `a=${direction}`, 'a=mid:0');
    if (audio === 'opus') lines.push('a=rtpmap:111 opus/48000/2', 'a=fmtp:111 minptime=10;useinbandfec=1');
    if (audio !== 'none-known') lines.push('a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000');
    lines.push('a=rtpmap:13 CN/8000');
  }
  if (video) {
    lines.push('m=video 9 UDP/TLS/RTP/SAVPF 96 102 104 108 116 39', `a=${direction}`, 'a=mid:1', 'a=rtpmap:96 VP8/90000');
    if (h264) {
      lines.push(
        'a=rtpmap:102 H264/90000',
        'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
        'a=rtpmap:104 H264/90000',
        'a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
        'a=rtpmap:108 H264/90000',
        'a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
        'a=rtpmap:116 H264/90000',
        'a=fmtp:116 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f',
      );
    }
  }
  return lines.join('\r\n') + '\r\n';
}

describe('reading a publisher offer', () => {
  test('picks constrained baseline 42e01f with packetization-mode 1, and Opus', () => {
    const plan = planIngest(offer());
    assert.deepEqual(plan.video, { codec: 'h264', payloadType: 108, profileLevelId: '42e01f', clockRate: 90000 });
    assert.deepEqual(plan.audio, { payloadType: 111, codec: 'opus', clockRate: 48000, channels: 2 });
  });

  test('accepts high profile when that is all there is', () => {
    const sdp = offer({ h264: false }).replace('a=rtpmap:96 VP8/90000', 'a=rtpmap:100 H264/90000\r\na=fmtp:100 packetization-mode=1;profile-level-id=640c1f');
    assert.deepEqual(planIngest(sdp).video, { codec: 'h264', payloadType: 100, profileLevelId: '640c1f', clockRate: 90000 });
  });

  test('decodes sprop-parameter-sets for publishers that send SPS/PPS only out of band', () => {
    const sdp = offer().replace('profile-level-id=42e01f\r\na=rtpmap:116', 'profile-level-id=42e01f;sprop-parameter-sets=Z0LAH4yNQA==,aM48gA==\r\na=rtpmap:116');
    assert.deepEqual(planIngest(sdp).video.parameterSets, [Buffer.from('6742c01f8c8d40', 'hex'), Buffer.from('68ce3c80', 'hex')]);
    assert.equal(planIngest(offer()).video.parameterSets, undefined);
  });

  test('falls back to PCMU without Opus, and takes a video-only offer', () => {
    assert.equal(planIngest(offer({ audio: 'pcm' })).audio?.codec, 'pcmu');
    assert.equal(planIngest(offer({ audio: '' })).audio, undefined);
  });

  test('refuses offers it cannot ingest, saying why', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['hello', /not SDP/],
      [offer({ video: false }), /0 video m-lines, expected exactly 1/],
      [offer({ h264: false }).replace('VP8/90000', 'H265/90000'), /no H\.264 with packetization-mode=1, AV1, VP9 or VP8 \(offered: h265\/96\)/],
      [offer({ audio: 'none-known' }), /no Opus, PCMU or PCMA \(offered: cn\/13\)/],
      [offer({ direction: 'recvonly' }), /recvonly: a publisher must send/],
      ['v=0\r\n' + 'a=x\r\n'.repeat(20000), /more than 65536/],
    ];
    for (const [sdp, message] of cases) {
      assert.throws(() => planIngest(sdp), (e: Error) => e instanceof IngestError && message.test(e.message), `for ${sdp.slice(0, 40)}`);
    }
    assert.throws(() => planIngest(undefined), IngestError);
  });

  test('the answer gets x-google start/min bitrate on the chosen H.264 fmtp (docs/DESIGN.md §9)', () => {
    const answer = 'v=0\r\nm=video 9 X 108\r\na=rtpmap:108 H264/90000\r\na=fmtp:108 packetization-mode=1;profile-level-id=42e01f\r\n';
    const out = addH264AnswerParams(answer, 108);
    assert.match(out, /a=fmtp:108 packetization-mode=1;profile-level-id=42e01f;x-google-start-bitrate=2500;x-google-min-bitrate=1000\r\n/);
    assert.equal(addH264AnswerParams(out, 108), out, 'idempotent');
    const noFmtp = addH264AnswerParams('v=0\nm=video 9 X 108\na=rtpmap:108 H264/90000\n', 108);
    assert.match(noFmtp, /a=rtpmap:108 H264\/90000\na=fmtp:108 packetization-mode=1;x-google-start-bitrate=2500/);
  });
});

/** The video m-section of an offer shaped like Firefox ESR's without OpenH264 (VP8, VP9, AV1 only). */
function firefoxOffer(codecs: string[] = ['vp8', 'vp9', 'av1']): string {
  const lines = ['v=0', 'o=mozilla...THIS_IS_SDPARTA-128 1 0 IN IP4 0.0.0.0', 's=-', 't=0 0', 'a=group:BUNDLE 0'];
  lines.push('m=video 9 UDP/TLS/RTP/SAVPF 120 124 121 125 99 100', 'a=sendonly', 'a=mid:0');
  if (codecs.includes('vp8')) lines.push('a=rtpmap:120 VP8/90000', 'a=fmtp:120 max-fs=12288;max-fr=60');
  if (codecs.includes('vp9')) lines.push('a=rtpmap:121 VP9/90000', 'a=fmtp:121 max-fs=12288;max-fr=60', 'a=rtpmap:125 VP9/90000', 'a=fmtp:125 profile-id=1');
  if (codecs.includes('av1')) lines.push('a=rtpmap:99 AV1/90000', 'a=fmtp:99 profile=0;level-idx=5;tier=0');
  lines.push('a=rtpmap:124 rtx/90000', 'a=fmtp:124 apt=120');
  return lines.join('\r\n') + '\r\n';
}

describe('a publisher without H.264', () => {
  test('AV1 is taken before VP9 and VP8, VP9 profile 0 before profile 1, VP8 last', () => {
    assert.deepEqual(planIngest(firefoxOffer()).video, { codec: 'av1', payloadType: 99, profileLevelId: '0', clockRate: 90000 });
    assert.deepEqual(planIngest(firefoxOffer(['vp8', 'vp9'])).video, { codec: 'vp9', payloadType: 121, profileLevelId: '0', clockRate: 90000 });
    assert.deepEqual(planIngest(firefoxOffer(['vp8'])).video, { codec: 'vp8', payloadType: 120, profileLevelId: '', clockRate: 90000 });
  });

  test('H.264 stays first whenever it is offered', () => {
    const withH264 = firefoxOffer().replace('a=rtpmap:124 rtx', 'a=rtpmap:126 H264/90000\r\na=fmtp:126 profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1\r\na=rtpmap:124 rtx');
    assert.equal(planIngest(withH264).video.codec, 'h264');
    assert.equal(planIngest(withH264).video.payloadType, 126);
  });

  test('an AV1 profile other than Main, or VP9 profile 1 alone, is not taken', () => {
    const high = firefoxOffer(['av1']).replace('profile=0', 'profile=1');
    assert.throws(() => planIngest(high), /no H\.264 with packetization-mode=1, AV1, VP9 or VP8 \(offered: av1\/99, rtx\/124\)/);
    const vp9High = firefoxOffer(['vp9']).replace(/a=rtpmap:121 VP9\/90000\r\na=fmtp:121 max-fs=12288;max-fr=60\r\n/, '');
    assert.throws(() => planIngest(vp9High), /offered: vp9\/125, rtx\/124/);
  });

  test('simulcast is answered for H.264 only', () => {
    const sim = firefoxOffer(['vp8']).replace('a=mid:0', 'a=mid:0\r\na=extmap:3 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\na=rid:a send\r\na=rid:b send\r\na=simulcast:send a;b');
    assert.equal(planIngest(sim).video.simulcast, undefined);
  });
});
