import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { vp8IsKeyframe, vp8KeyframeInfo } from '../../../src-relay/codec/vp8.js';
import { ivfFrames } from '../../helpers/rtp-fixture.js';


describe('VP8 frame header', () => {
  test("libvpx's key frames give their size, its inter frames none", () => {
    const r = spawnSync('ffmpeg', ['-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=202x98:rate=30', '-frames:v', '4', '-c:v', 'libvpx', '-g', '2', '-f', 'ivf', 'pipe:1'], {
      timeout: 60_000,
    });
    assert.equal(r.status, 0, String(r.stderr));
    const frames = ivfFrames(r.stdout);
    assert.equal(frames.length, 4);
    assert.deepEqual(frames.map(vp8IsKeyframe), [true, false, true, false]);
    assert.deepEqual(vp8KeyframeInfo(frames[0]), { width: 202, height: 98 });
    assert.equal(vp8KeyframeInfo(frames[1]), undefined);
    assert.equal(vp8KeyframeInfo(Buffer.from([0x50, 0, 0, 0x9d, 0x01])), undefined); // cut short
    assert.equal(vp8IsKeyframe(Buffer.alloc(0)), false);
  });
});
