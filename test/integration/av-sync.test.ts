// A/V sync and frame spacing at the target, for each publisher: the publisher sends a picture that turns
// white at the instant a beep starts, once a second; a Castbridge host takes it over WHIP, a transponder
// started over REST pushes it to nginx-rtmp, and the recording is decoded (mean luma per frame, the sound's
// envelope) to pair each flash with its beep. Every offset (audio − video) lies within ±40 ms, and the video
// frames are spaced a whole number of frames ±5 ms apart with no run squeezed together.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHost, type Host } from '../../src-main/host.js';
import { consoleLog, silentLog } from '../../src-relay/log.js';
import { avOffsets, frameSpacing, summarize, type Box } from '../helpers/av-sync.js';
import { launchChromium, MARK_BOX, publishWhip } from '../helpers/chromium.js';
import { push } from '../helpers/http-client.js';
import { probeStreams, videoPacketTimes } from '../helpers/media.js';
import { removeDir, startNginxRtmp, type NginxRtmp } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

const PUBLISHER = join(import.meta.dirname, '..', 'helpers', 'aiortc-publish.py');
const FPS = 30;
/** A keyframe every 2 s (aiortc ignores keyframe requests: a target's first picture waits for one). */
const GOP = 60;
/** How long the transponder pushes once it publishes. */
const PUSH_MS = 8000;
/** Goal for every offset at the target (docs/DESIGN.md §3 "Timestamps"). */
const SYNC_MS = 40;

interface Measured {
  offsetsMs: number[];
  spacingNote: string;
}

/**
 * Pushes `streamName` to nginx for PUSH_MS once it publishes video, then reads the recording: codecs, the
 * sync marks' offsets and the frame spacing, asserted against the goals.
 */
async function pushAndMeasure(host: Host, nginx: NginxRtmp, streamName: string, box?: Box): Promise<Measured> {
  const started = await push(host.httpUrl, 'startup', { streamName, rtmpUrl: nginx.url('live') });
  assert.equal(started.status, 200, started.text);
  const { mediaSessionId } = started.json() as { mediaSessionId: string };
  await waitFor('the transponder PUBLISHING video', async () => {
    const found = await push(host.httpUrl, 'find', { mediaSessionId });
    const t = found.status === 200 ? (found.json() as { status: string; stats?: { fps?: number } }[])[0] : undefined;
    return t?.status === 'PUBLISHING' && (t.stats?.fps ?? 0) > 0;
  }, 20_000);
  await new Promise((r) => setTimeout(r, PUSH_MS));
  assert.equal((await push(host.httpUrl, 'terminate', { mediaSessionId })).status, 200);
  const file = await nginx.waitForRecording();

  const summary = await probeStreams(file);
  assert.equal(summary.video?.codec, 'h264');
  assert.equal(summary.audio?.codec, 'aac');
  const sync = await avOffsets(file, { box });
  const marks = `offsets ${sync.offsetsMs.join(' ')} ms; flashes at ${sync.flashes.map((t) => t.toFixed(3)).join(' ')} s, beeps at ${sync.beeps.map((t) => t.toFixed(3)).join(' ')} s`;
  assert.ok(sync.offsetsMs.length >= PUSH_MS / 1000 - 2, `at least ${PUSH_MS / 1000 - 2} flashes paired with a beep: ${marks}`);
  assert.deepEqual(sync.offsetsMs.filter((o) => Math.abs(o) > SYNC_MS), [], `every offset within ±${SYNC_MS} ms: ${marks}`);

  const s = frameSpacing(await videoPacketTimes(file), FPS);
  const gaps = `spacings ${s.gaps.join(' ')}`;
  assert.ok(s.oneFrame >= s.gaps.length / 2, `most spacings are one frame; ${gaps}`);
  assert.ok(Math.abs(s.fps - FPS) <= FPS * 0.06, `frame rate ${s.fps.toFixed(2)}; ${gaps}`);
  assert.deepEqual(s.offGrid, [], `every spacing after the first 5 is a whole number of frames ±5 ms; ${gaps}`);
  assert.ok(s.longestSqueeze < 3, `no run of 3 spacings under 5 ms (longest ${s.longestSqueeze}); ${gaps}`);
  return { offsetsMs: sync.offsetsMs, spacingNote: `${s.fps.toFixed(2)} fps, ${s.oneFrame}/${s.gaps.length} spacings one frame (${Math.min(...s.gaps)}…${Math.max(...s.gaps)} ms)` };
}

function note(publisher: string, m: Measured): string {
  const { median, maxAbs } = summarize(m.offsetsMs);
  return `${publisher}: A/V (audio − video) median ${median} ms, max |${maxAbs}| ms over ${m.offsetsMs.length} marks [${m.offsetsMs.join(' ')}]; ${m.spacingNote}`;
}

describe('A/V sync marks from each publisher, through a Castbridge host to nginx-rtmp', { timeout: 180_000 }, () => {
  let dataDir: string;
  let host: Host;
  let nginx: NginxRtmp;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'castbridge-av-sync-'));
    const overrides = { rest_http_port: '0', rest_https_enabled: 'false', local_rtmp_enabled: 'false', ws_port: '0', wss_port: '0' };
    [host, nginx] = await Promise.all([createHost({ dataDir, log: process.env.CASTBRIDGE_TEST_VERBOSE ? consoleLog : silentLog, overrides }), startNginxRtmp()]);
  });

  after(async () => {
    await host?.close();
    await nginx?.stop();
    if (dataDir) removeDir(dataDir);
  });

  test('aiortc (python3-aiortc 1.4, H.264 + Opus): every offset within ±40 ms, frames evenly spaced', async (t) => {
    const streamName = 'sync_aiortc';
    const child = spawn('/usr/bin/python3', [PUBLISHER, `${host.httpUrl}/whip/${streamName}`, '--sync', '--seconds', '60', '--fps', String(FPS), '--gop', String(GOP)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor('aiortc publishing', () => stdout.includes('"publishing"'), 30_000).catch((error: Error) => {
        throw new Error(`${error.message}; aiortc printed ${stdout.slice(-500)} ${stderr.slice(-1000)}`);
      });
      const stream = await waitFor('the stream on the host', () => host.registry.get(streamName), 10_000);
      await waitFor('SPS and audio from aiortc', () => stream.params !== undefined && stream.hasAudio, 15_000);
      t.diagnostic(note('aiortc', await pushAndMeasure(host, nginx, streamName)));
    } finally {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  });

  test('Chromium (canvas flash + WebAudio beep over WHIP): every offset within ±40 ms, frames evenly spaced', async (t) => {
    const streamName = 'sync_chromium';
    const browser = await launchChromium({ fps: FPS });
    try {
      const page = await browser.newPage();
      await page.goto(`${host.httpUrl}/rest-api/openapi.json`);
      const publication = await publishWhip(page, `${host.httpUrl}/whip/${streamName}`, { width: 640, height: 360, fps: FPS, source: 'marks' });
      const stream = await waitFor('the stream on the host', () => host.registry.get(streamName), 10_000);
      await waitFor('SPS and audio from Chromium', () => stream.params !== undefined && stream.hasAudio, 15_000);
      t.diagnostic(note('Chromium', await pushAndMeasure(host, nginx, streamName, MARK_BOX)));
      await publication.stop();
    } finally {
      await browser.close();
    }
  });
});
