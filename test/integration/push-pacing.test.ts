// `castbridge push` is paced in real time by the FLV timestamps, and `--no-pace` is not.
// Measured at the server: nginx-rtmp calls on_publish when the publish starts (before any media) and
// on_record_done when the publisher has left; the time between the two is how long the stream lasted there.
// This is behaviour (pacing), not a speed target: only "at least the file's length" and "far less" are asserted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPush } from '../helpers/castbridge-push.js';
import { startNginxRtmp, type NginxRtmp } from '../helpers/servers.js';
import { makeTestFlv, probeStreams } from '../helpers/media.js';

const FILE_SECONDS = 4;
/** Paced: the last tag is due at ~3.96 s after the first; 10 % below the file's length allows for rounding. */
const PACED_MIN_MS = 3600;

describe('castbridge push pacing, timed at nginx-rtmp', { timeout: 180_000 }, () => {
  let dir: string;
  let file: string;
  let nginx: NginxRtmp;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'castbridge-pacing-'));
    [file, nginx] = await Promise.all([
      makeTestFlv(join(dir, 'clip.flv'), { seconds: FILE_SECONDS, width: 160, height: 120, fps: 25, gopSeconds: 1 }),
      startNginxRtmp(),
    ]);
  });
  after(async () => {
    await nginx?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Pushes the file; returns ms from on_publish to on_record_done and the recording. */
  async function timedPush(name: string, extra: string[], publishCount: number): Promise<{ ms: number; recording: string }> {
    const running = startPush([file, nginx.url('live'), '--stream-name', name, '--set', 'rtmp_transponder_stream_name_prefix=', ...extra]);
    try {
      await nginx.waitForPublish(publishCount, 30_000);
      const publishedAt = performance.now();
      const recording = await nginx.waitForRecording(30_000);
      const ms = performance.now() - publishedAt;
      const result = await running.done;
      assert.equal(result.code, 0, result.stderr);
      return { ms, recording };
    } finally {
      running.child.kill('SIGKILL');
      await running.done.catch(() => undefined);
    }
  }

  test('a 4 s file lasts ≥ 3.6 s at the server; with --no-pace far less; both recordings hold the whole file', async (t) => {
    const paced = await timedPush('paced', [], 1);
    const unpaced = await timedPush('unpaced', ['--no-pace'], 2);
    t.diagnostic(`at the server: paced ${paced.ms.toFixed(0)} ms, --no-pace ${unpaced.ms.toFixed(0)} ms`);
    assert.ok(paced.ms >= PACED_MIN_MS, `paced push lasted ${paced.ms.toFixed(0)} ms at the server (file ${FILE_SECONDS} s)`);
    assert.ok(unpaced.ms < paced.ms / 2, `--no-pace lasted ${unpaced.ms.toFixed(0)} ms, paced ${paced.ms.toFixed(0)} ms`);
    for (const { recording } of [paced, unpaced]) {
      const summary = await probeStreams(recording);
      assert.equal(summary.video?.codec, 'h264');
      assert.equal(summary.audio?.codec, 'aac');
      assert.ok(Math.abs(summary.durationSec - FILE_SECONDS) <= 0.5, `${recording}: ${summary.durationSec} s`);
    }
  });
});
