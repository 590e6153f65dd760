import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { enhancedFourCcs, videoCodecsProblem, videoRoute } from '../../../src-relay/transponder/video-route.js';
import { ivfFileHeader, ivfFrameHeader } from '../../../src-relay/transponder/transcode/ivf.js';
import { transcodeArgs } from '../../../src-relay/transponder/transcode/ffmpeg-video.js';

describe('what a target gets of the publisher\'s video', () => {
  test('the publisher\'s codec is copied when the target takes it, else H.264 is transcoded', () => {
    assert.deepEqual(videoRoute('h264'), { codec: 'h264', path: 'copy' });
    assert.deepEqual(videoRoute('h264', ['av1', 'h264']), { codec: 'h264', path: 'copy' });
    assert.deepEqual(videoRoute('av1', ['av1', 'h264']), { codec: 'av1', path: 'copy' });
    assert.deepEqual(videoRoute('av1'), { codec: 'h264', path: 'transcode', reason: 'the publisher sends AV1; the target takes H264' });
    assert.deepEqual(videoRoute('vp9', ['av1', 'h264']), { codec: 'h264', path: 'transcode', reason: 'the publisher sends VP9; the target takes AV1, H264' });
    assert.deepEqual(videoRoute('vp9', ['vp9']), { codec: 'vp9', path: 'copy' });
    // VP8 has no FLV form a target takes: always transcoded.
    assert.deepEqual(videoRoute('vp8', ['av1', 'vp9', 'h264']), { codec: 'h264', path: 'transcode', reason: 'the publisher sends VP8; the target takes AV1, VP9, H264' });
  });

  test('options.videoCodecs: bad values are named', () => {
    assert.equal(videoCodecsProblem(undefined), undefined);
    assert.equal(videoCodecsProblem(['av1', 'h264']), undefined);
    assert.match(videoCodecsProblem([]) ?? '', /options\.videoCodecs must be a non-empty list of h264, av1, vp9, hevc/);
    assert.match(videoCodecsProblem('h264') ?? '', /options\.videoCodecs must be a non-empty list/);
    assert.match(videoCodecsProblem(['h264', 'vp8']) ?? '', /options\.videoCodecs: "vp8" is not one of h264, av1, vp9, hevc/);
  });

  test('connect announces the Enhanced RTMP FourCCs of the codecs a target takes beyond H.264', () => {
    assert.deepEqual(enhancedFourCcs(undefined), []);
    assert.deepEqual(enhancedFourCcs(['h264']), []);
    assert.deepEqual(enhancedFourCcs(['av1', 'h264', 'hevc']), ['av01', 'hvc1']);
  });
});

describe('the transcoder\'s input and command line', () => {
  test('IVF: 32-byte file header and 12-byte frame headers, little-endian, ms time base', () => {
    assert.equal(ivfFileHeader('AV01', 640, 360).toString('hex'), '444b494600002000' + '41563031' + '8002' + '6801' + 'e8030000' + '01000000' + '00000000' + '00000000');
    assert.equal(ivfFrameHeader(0x1234, 40).toString('hex'), '34120000' + '2800000000000000');
    assert.throws(() => ivfFrameHeader(1, -1), /non-negative integer/);
  });

  test('libx264 veryfast zerolatency at the bitrate, a keyframe every interval, from the picture to start at', () => {
    const args = transcodeArgs({ decoder: 'libaom-av1', bitrateKbps: 2500, keyframeIntervalMs: 2000, encodeFromMs: 400 }).join(' ');
    assert.match(args, /-c:v libaom-av1 -f ivf -i pipe:0/);
    assert.match(args, /-c:v libx264 -preset veryfast -tune zerolatency/);
    assert.match(args, /-b:v 2500k -maxrate 2500k/);
    assert.match(args, /-force_key_frames expr:if\(isnan\(prev_forced_t\),gte\(t,2\),gte\(t,prev_forced_t\+2\)\)/);
    assert.match(args, /-vf select='gte\(t,0\.3995\)',setpts=PTS-STARTPTS/);
    assert.doesNotMatch(transcodeArgs({ decoder: 'vp8', bitrateKbps: 1000, keyframeIntervalMs: 2000 }).join(' '), /select/);
  });
});
