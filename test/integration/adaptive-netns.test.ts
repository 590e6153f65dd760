// An adaptive transponder under a real bottleneck: its nginx-rtmp target sits in a network namespace of its
// own, reachable only through a veth pair shaped with tbf (this kernel has no netem) below the highest
// layer's bitrate. A synthetic three-layer stream (real H.264 from ffmpeg, 640x360 at ~2.5 Mb/s, 320x180,
// 160x90, looped in real time) feeds it and a second adaptive transponder to an nginx outside the namespace.
// Checked: the throttled target steps down (its recording changes to a smaller size at a keyframe and decodes
// without errors), steps back up once the throttle is lifted, and the other target keeps the highest layer.
// The stable period before a step up is shortened to 4 s for the test (RelayConfig.adaptiveTiming; 20 s
// otherwise). Needs root and `ip netns`; skipped with the reason otherwise.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamRegistry } from '../../src-relay/streams.js';
import { TransponderManager } from '../../src-relay/transponder/manager.js';
import type { TransponderJSON } from '../../src-relay/transponder/service.js';
import { consoleLog, silentLog } from '../../src-relay/log.js';
import { readFlv } from '../../src-relay/flv/file.js';
import { TagType, videoTagInfo } from '../../src-relay/flv/tags.js';
import { parseAvcDecoderConfigurationRecord, parseSps } from '../../src-relay/codec/h264.js';
import type { H264Params, VideoFrame } from '../../src-relay/media.js';
import { NetLink, NsNginx } from '../../soak/netns.js';
import { videoOfFlv } from '../helpers/flv-video.js';
import { makeTestFlv } from '../helpers/media.js';
import { startNginxRtmp, type NginxRtmp } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const log = process.env.CASTBRIDGE_TEST_VERBOSE ? consoleLog : silentLog;
const CLIP_SECONDS = 8;
const FPS = 25;
/** Below the highest layer's ~2.5 Mb/s, above the middle one's ~0.6 Mb/s. */
const THROTTLE = ['tbf', 'rate', '1200kbit', 'burst', '16kb', 'latency', '300ms'];

function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create a network namespace';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    execFileSync('tc', ['-V'], { stdio: 'ignore' });
  } catch {
    return '`ip netns` or `tc` is not available';
  }
  return undefined;
}

function headerSizes(file: string): { sizes: string[]; keyframeAfterEach: boolean } {
  const video = readFlv(readFileSync(file)).filter((tag) => tag.type === TagType.video);
  const sizes: string[] = [];
  let keyframeAfterEach = true;
  video.forEach((tag, i) => {
    if (!videoTagInfo(tag.body).sequenceHeader) return;
    const sps = parseSps(parseAvcDecoderConfigurationRecord(tag.body.subarray(5)).sps[0]!);
    sizes.push(`${sps.width}x${sps.height}`);
    if (!video[i + 1] || !videoTagInfo(video[i + 1]!.body).keyframe) keyframeAfterEach = false;
  });
  return { sizes, keyframeAfterEach };
}

const skip = netnsUnavailable();

describe('adaptive transponder through a throttled link in a network namespace', { timeout: 150_000, skip }, () => {
  const link = new NetLink(240 + (process.pid % 10));
  let nsNginx: NsNginx;
  let nginx: NginxRtmp;
  const work = mkdtempSync(join(tmpdir(), 'castbridge-adaptive-'));
  before(async () => {
    await link.create();
    nsNginx = new NsNginx(link);
    [nginx] = await Promise.all([startNginxRtmp(), nsNginx.start()]);
  });
  after(async () => {
    await Promise.allSettled([nsNginx?.stop(), nginx?.stop()]);
    await link.remove();
    if (!process.env.CASTBRIDGE_TEST_KEEP) {
      rmSync(work, { recursive: true, force: true });
      rmSync(nsNginx?.dir ?? join(work, 'none'), { recursive: true, force: true });
    }
  });

  test('steps down under the throttle at a keyframe, back up once it is lifted; the unthrottled target keeps 640x360', async () => {
    const clip = (name: string, width: number, height: number, bitrate: string) =>
      makeTestFlv(join(work, `${name}.flv`), { seconds: CLIP_SECONDS, width, height, fps: FPS, gopSeconds: 1, noise: 40, videoBitrate: bitrate }).then(videoOfFlv);
    const layers = await Promise.all([clip('h', 640, 360, '2500k'), clip('m', 320, 180, '600k'), clip('l', 160, 90, '150k')]);
    const rids = ['h', 'm', 'l'] as const;

    const registry = new StreamRegistry();
    const stream = registry.publish('cam', { requestKeyframe: () => undefined, close: () => undefined, description: 'test' });
    const manager = new TransponderManager(registry, () => ({
      streamNamePrefix: '',
      fullUrl: false,
      keyframeIntervalMs: 2000,
      log,
      adaptiveTiming: { stableMs: 4000 },
    }));
    const history: { at: number; t: TransponderJSON }[] = [];
    const t0 = Date.now();
    manager.on('changed', (t) => history.push({ at: Date.now() - t0, t }));
    let pumping = true;
    const pump = (async () => {
      const startedAt = performance.now();
      let pcmTime = 0;
      for (let loop = 0; pumping; loop++) {
        for (let i = 0; i < layers[0].frames.length && pumping; i++) {
          const dts = loop * CLIP_SECONDS * 1000 + layers[0].frames[i]!.dts;
          while (pcmTime <= dts) {
            stream.pushPcm({ time: pcmTime, samples: new Int16Array(960 * 2) });
            pcmTime += 20;
          }
          const wait = startedAt + dts - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          rids.forEach((rid, k) => {
            const { params, frames }: { params: H264Params; frames: VideoFrame[] } = layers[k]!;
            stream.layer(rid).pushParams(params);
            stream.layer(rid).pushVideo({ ...frames[i]!, dts });
          });
        }
      }
    })();
    try {
      await waitFor('three layers', () => stream.layers.length === 3 && stream.layers.every((l) => l.height > 0), 5000);
      const options = { adaptive: true, audioCodec: 'pcma' as const };
      const throttled = manager.startup({ streamName: 'cam', rtmpUrl: `${nsNginx.url()}/throttled`, rtmpTransponderFullUrl: true, options });
      const free = manager.startup({ streamName: 'cam', rtmpUrl: `${nginx.url()}/free`, rtmpTransponderFullUrl: true, options });
      const get = (id: string) => manager.find({ mediaSessionId: id })[0]!;
      await waitFor('both PUBLISHING', () => manager.list().every((t) => t.status === 'PUBLISHING'), 15_000);
      await new Promise((r) => setTimeout(r, 3000));
      const before = get(throttled.mediaSessionId);
      assert.equal(before.layer?.rid, 'h');
      assert.ok(before.stats.bitrateKbps > 1500, `unthrottled, it sends ${before.stats.bitrateKbps} kb/s`);

      const throttledAt = Date.now() - t0;
      await link.shape(THROTTLE);
      await waitFor('a step down', () => get(throttled.mediaSessionId).adaptive?.stepped === 'down', 25_000);
      const down = get(throttled.mediaSessionId);
      const stepDownAfter = Date.now() - t0 - throttledAt;
      assert.deepEqual(down.adaptive, { stepped: 'down', reason: 'congestion', stepsDown: 1 });
      await waitFor('the lower layer sent', () => get(throttled.mediaSessionId).layer?.rid === 'm', 5000);
      assert.equal(get(throttled.mediaSessionId).height, 180);
      // Settle on the lower layer, then lift the throttle.
      await new Promise((r) => setTimeout(r, 4000));
      const whileThrottled = get(throttled.mediaSessionId);
      const liftedAt = Date.now() - t0;
      await link.shape([]);
      await waitFor('a step up', () => get(throttled.mediaSessionId).adaptive?.stepped === 'up', 25_000);
      await waitFor('the highest layer sent again', () => get(throttled.mediaSessionId).layer?.rid === 'h', 5000);
      const stepUpAfter = Date.now() - t0 - liftedAt;
      await new Promise((r) => setTimeout(r, 2500));
      const freeNow = get(free.mediaSessionId);
      assert.equal(freeNow.layer?.rid, 'h', 'the target outside the namespace was not touched');
      assert.equal(freeNow.adaptive?.stepsDown, 0);
      assert.equal(freeNow.adaptive?.stepped, undefined);
      console.log(
        `# step down ${stepDownAfter} ms after the throttle (then ${whileThrottled.stats.bitrateKbps} kb/s, ${whileThrottled.stats.droppedFrames} frames dropped), step up ${stepUpAfter} ms after it was lifted`,
      );
      assert.ok(!history.some(({ t }) => t.mediaSessionId === free.mediaSessionId && t.layer && t.layer.rid !== 'h'));
      await manager.stopAll();
    } finally {
      pumping = false;
      await pump;
      await manager.stopAll();
      stream.end('test over');
      await link.shape([]).catch(() => undefined);
    }

    await nsNginx.stop();
    const [throttledFile] = nsNginx.recordings();
    assert.ok(throttledFile, 'nginx in the namespace recorded');
    const throttledRec = headerSizes(throttledFile);
    assert.equal(throttledRec.sizes[0], '640x360', `sizes ${throttledRec.sizes}`);
    assert.ok(throttledRec.sizes.includes('320x180'), `stepped down to 320x180: ${throttledRec.sizes}`);
    assert.equal(throttledRec.sizes.at(-1), '640x360', `stepped back up: ${throttledRec.sizes}`);
    assert.ok(throttledRec.keyframeAfterEach, 'every sequence header is followed by a keyframe');
    const { stderr } = await run('/usr/bin/ffmpeg', ['-v', 'error', '-i', throttledFile, '-f', 'null', '-']);
    assert.equal(stderr.trim(), '', 'the throttled recording decodes without errors');

    const freeFile = await nginx.waitForRecording();
    assert.deepEqual(headerSizes(freeFile).sizes, ['640x360'], 'the unthrottled target kept the highest layer');
  });
});
