import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildVp9Superframe, vp9FrameInfo, vp9Level, vp9PictureInfo, vp9SuperframeFrames, vpCodecConfigurationRecord } from '../../../src-relay/codec/vp9.js';
import { ivfFrames } from '../../helpers/rtp-fixture.js';

function ffmpeg(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args], { timeout: 60_000 });
  assert.equal(r.status, 0, `ffmpeg ${args.join(' ')}: ${r.stderr}`);
}

/** libvpx-vp9 frames of 202x98 at 30 fps, and the vpcC body ffmpeg writes into an MP4 of them. */
function encode(options: string[]): { frames: Buffer[]; vpcC: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'vp9-'));
  try {
    const ivf = join(dir, 'x.ivf');
    const mp4 = join(dir, 'x.mp4');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=202x98:rate=30', '-frames:v', '3', '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', ...options, '-f', 'ivf', ivf]);
    ffmpeg(['-i', ivf, '-c', 'copy', mp4]);
    const file = readFileSync(mp4);
    const at = file.indexOf('vpcC', 0, 'latin1');
    return { frames: ivfFrames(readFileSync(ivf)), vpcC: file.subarray(at + 4, at - 4 + file.readUInt32BE(at - 4)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('VP9 uncompressed header, superframes and VPCodecConfigurationRecord', () => {
  const cases: [string, string[], Partial<ReturnType<typeof vp9FrameInfo>>][] = [
    ['8-bit 4:2:0', ['-pix_fmt', 'yuv420p'], { profile: 0, bitDepth: 8, subsamplingX: 1, subsamplingY: 1, fullRange: false }],
    ['4:4:4 (profile 1)', ['-pix_fmt', 'yuv444p'], { profile: 1, subsamplingX: 0, subsamplingY: 0 }],
    ['10-bit (profile 2)', ['-pix_fmt', 'yuv420p10le'], { profile: 2, bitDepth: 10 }],
    ['full range, BT.709', ['-pix_fmt', 'yuv420p', '-color_range', 'pc', '-colorspace', 'bt709'], { fullRange: true, colorSpace: 2 }],
  ];
  for (const [name, options, expect] of cases) {
    test(`${name}: the record is byte for byte the vpcC ffmpeg writes into an MP4 of the same frames`, () => {
      const { frames, vpcC } = encode(options);
      const info = vp9PictureInfo(frames[0]);
      assert.deepEqual([info.keyframe, info.width, info.height], [true, 202, 98]);
      for (const [key, value] of Object.entries(expect)) assert.equal(info[key as keyof typeof info], value, key);
      assert.equal(vpCodecConfigurationRecord(info, 30).toString('hex'), vpcC.toString('hex'));
      assert.equal(vp9FrameInfo(frames[1]).keyframe, false);
    });
  }

  test("libvpx's superframes (a hidden alt-ref and the shown frame) split into their frames, and build back", () => {
    const dir = mkdtempSync(join(tmpdir(), 'vp9sf-'));
    try {
      const ivf = join(dir, 'x.ivf');
      // Two-pass: libvpx places alt-ref frames only with first-pass statistics.
      const source = ['-f', 'lavfi', '-i', 'testsrc2=size=128x72:rate=30', '-frames:v', '30', '-c:v', 'libvpx-vp9', '-b:v', '200k', '-passlogfile', join(dir, 'pass')];
      ffmpeg([...source, '-pass', '1', '-f', 'null', '-']);
      ffmpeg([...source, '-pass', '2', '-auto-alt-ref', '1', '-lag-in-frames', '16', '-f', 'ivf', ivf]);
      const chunks = ivfFrames(readFileSync(ivf));
      const superframe = chunks.find((c) => vp9SuperframeFrames(c).length > 1);
      assert.ok(superframe, 'libvpx wrote a superframe');
      const parts = vp9SuperframeFrames(superframe);
      assert.equal(vp9FrameInfo(parts[0]).showFrame, false);
      assert.deepEqual(buildVp9Superframe(parts), superframe);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('levels by size (and rate); bad headers and records fail with a reason', () => {
    assert.equal(vp9Level(320, 180), 11);
    assert.equal(vp9Level(1920, 1080, 30), 40);
    assert.equal(vp9Level(1920, 1080, 60), 41);
    assert.equal(vp9Level(100000, 100000), 0);
    assert.throws(() => vp9FrameInfo(Buffer.from([0x02, 0, 0])), /frame_marker/);
    assert.throws(() => vp9FrameInfo(Buffer.from([0x82, 0x49, 0x83, 0x43, 0, 0, 0, 0, 0])), /frame_sync_code/);
    assert.throws(() => vp9FrameInfo(Buffer.from([0x82, 0x49])), /VP9 uncompressed header truncated/);
    assert.throws(() => vpCodecConfigurationRecord(vp9FrameInfo(Buffer.from([0x86, 0, 0, 2, 0]))), /key frame/);
    assert.throws(() => vp9SuperframeFrames(Buffer.from([1, 2, 0xc1, 0x09, 0x01, 0xc1])), /runs past/);
    assert.throws(() => buildVp9Superframe([]), /1–8 frames/);
  });
});
