// TransponderManager's 'stats' event (docs/DESIGN.md §4): once a second, with fresh figures. A real
// transponder publishes to the test RTMP server (test/helpers/rtmp-auth-server.ts) a stream fed from code:
// the H.264 frames of a small ffmpeg-made fixture, looped in real time, and 20 ms PCM chunks sent as G.711
// µ-law (encoded in process: no ffmpeg child to wait for).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { StreamRegistry } from '../../../src-relay/streams.js';
import { TransponderManager } from '../../../src-relay/transponder/manager.js';
import type { TransponderJSON } from '../../../src-relay/transponder/service.js';
import { startRtmpTestServer } from '../../helpers/rtmp-auth-server.js';
import { waitFor } from '../../helpers/wait.js';
import { videoOfFlv } from '../../helpers/flv-video.js';

const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'flv', 'testsrc-64x48-0.5s.flv');
/** The fixture is 10 fps, 0.5 s long. */
const FIXTURE_MS = 500;
const WINDOW_MS = 3500;
const PCM_CHUNK_MS = 20;


describe('TransponderManager stats cadence', { timeout: 60_000 }, () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  test("'stats' fires once a second with fresh bitrate, fps and uptime", async () => {
    const server = await startRtmpTestServer();
    cleanups.push(() => server.close());
    const { params, frames } = videoOfFlv(FIXTURE);
    const registry = new StreamRegistry();
    const stream = registry.publish('cadence', { requestKeyframe: () => undefined, close: () => undefined, description: 'test' });
    const manager = new TransponderManager(registry, () => ({ streamNamePrefix: '', fullUrl: false, keyframeIntervalMs: 2000 }));
    cleanups.push(() => manager.stopAll());
    cleanups.push(() => stream.end('test over'));
    stream.pushParams(params);

    // Real-time pump: the fixture's frames looped, PCM every 20 ms.
    const startedAt = performance.now();
    let videoIndex = 0;
    let pcmMs = 0;
    const pump = setInterval(() => {
      const now = performance.now() - startedAt;
      for (; pcmMs <= now; pcmMs += PCM_CHUNK_MS) stream.pushPcm({ time: pcmMs, samples: new Int16Array((48 * PCM_CHUNK_MS) * 2).fill(1000) });
      for (;;) {
        const loop = Math.floor(videoIndex / frames.length);
        const f = frames[videoIndex % frames.length]!;
        const dts = loop * FIXTURE_MS + f.dts;
        if (dts > now) break;
        stream.pushVideo({ ...f, dts });
        videoIndex++;
      }
    }, 10);
    cleanups.push(() => clearInterval(pump));

    const t = manager.startup({ streamName: 'cadence', rtmpUrl: `${server.baseUrl}/live`, options: { audioCodec: 'pcmu' } });
    await waitFor('PUBLISHING', () => manager.find({ mediaSessionId: t.mediaSessionId })[0]?.status === 'PUBLISHING', 15_000);
    // Let the first stats window fill with media before counting.
    await new Promise((r) => setTimeout(r, 1500));

    const events: { at: number; t: TransponderJSON }[] = [];
    const onStats = (all: TransponderJSON[]): void => {
      const mine = all.find((x) => x.mediaSessionId === t.mediaSessionId);
      if (mine) events.push({ at: performance.now(), t: mine });
    };
    manager.on('stats', onStats);
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    manager.off('stats', onStats);

    assert.ok(events.length === 3 || events.length === 4, `${events.length} stats events in ${WINDOW_MS} ms`);
    for (let i = 1; i < events.length; i++) {
      const gap = events[i]!.at - events[i - 1]!.at;
      // A loaded machine delays timers; two events in one tick or a skipped second would be a bug.
      assert.ok(gap > 500 && gap < 1800, `gap ${gap.toFixed(0)} ms between stats ${i - 1} and ${i}`);
      const upBy = events[i]!.t.stats.uptimeMs - events[i - 1]!.t.stats.uptimeMs;
      assert.ok(upBy > 500 && upBy < 1800, `uptime advanced ${upBy} ms between stats`);
    }
    for (const { t: x } of events) {
      assert.equal(x.status, 'PUBLISHING');
      assert.ok(x.stats.bitrateKbps > 0, `bitrate ${x.stats.bitrateKbps} kb/s`);
      // The fixture is 10 fps; a loaded machine may bunch frames, so only the ballpark is checked.
      assert.ok(x.stats.fps >= 5 && x.stats.fps <= 15, `fps ${x.stats.fps}`);
      assert.equal(x.stats.droppedFrames, 0);
    }
    // G.711 µ-law at 8 kHz is 64 kb/s alone: the bitrate counts audio and video.
    assert.ok(events.at(-1)!.t.stats.bitrateKbps >= 64, `bitrate ${events.at(-1)!.t.stats.bitrateKbps} kb/s`);
    assert.ok(server.publishes[0]!.media.length > 0, 'the server received media');
  });
});
