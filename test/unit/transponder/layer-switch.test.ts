// A transponder changing layers on a synthetic three-layer stream (real H.264 made by ffmpeg), through the
// real publisher to a real nginx-rtmp: the change waits for a keyframe of the new layer (which it asks that
// layer for), the recording gets a new sequence header right before that keyframe, the old layer's pictures go
// on until then (no gap), timestamps stay monotonic, and ffmpeg decodes the whole file without an error.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { StreamRegistry } from '../../../src-relay/streams.js';
import { TransponderManager } from '../../../src-relay/transponder/manager.js';
import { consoleLog, silentLog } from '../../../src-relay/log.js';
import { readFlv } from '../../../src-relay/flv/file.js';
import { TagType, videoTagInfo } from '../../../src-relay/flv/tags.js';
import { parseAvcDecoderConfigurationRecord, parseSps } from '../../../src-relay/codec/h264.js';
import { videoOfFlv } from '../../helpers/flv-video.js';
import { makeTestFlv } from '../../helpers/media.js';
import { startNginxRtmp, type NginxRtmp } from '../../helpers/servers.js';
import { waitFor } from '../../helpers/wait.js';

const run = promisify(execFile);
const log = process.env.CASTBRIDGE_TEST_VERBOSE ? consoleLog : silentLog;
const SECONDS = 4;
/** When the two lower layers start arriving (between keyframes of theirs, which come every second). */
const LOWER_LAYERS_FROM_MS = 1300;

/** Sequence headers of an FLV recording: [timestamp, "WxH", index of the video tag]. */
function sequenceHeaders(file: string): { headers: { time: number; size: string; next: boolean }[]; video: { timestamp: number; body: Buffer }[] } {
  const video = readFlv(readFileSync(file)).filter((tag) => tag.type === TagType.video);
  const headers = video
    .map((tag, i) => ({ tag, i }))
    .filter(({ tag }) => videoTagInfo(tag.body).sequenceHeader)
    .map(({ tag, i }) => {
      const sps = parseSps(parseAvcDecoderConfigurationRecord(tag.body.subarray(5)).sps[0]!);
      return { time: tag.timestamp, size: `${sps.width}x${sps.height}`, next: video[i + 1] ? videoTagInfo(video[i + 1]!.body).keyframe : false };
    });
  return { headers, video };
}

describe('a transponder changes layer at a keyframe of the new layer', { timeout: 120_000 }, () => {
  let nginx: NginxRtmp;
  const work = mkdtempSync(join(tmpdir(), 'castbridge-layers-'));
  before(async () => {
    nginx = await startNginxRtmp();
  });
  after(async () => {
    await nginx?.stop();
    if (!process.env.CASTBRIDGE_TEST_KEEP) rmSync(work, { recursive: true, force: true });
  });

  test('layers that appear after start re-evaluate the choice; new sequence header before the new keyframe; monotonic, gapless, decodable', async () => {
    const clip = (name: string, width: number, height: number) =>
      makeTestFlv(join(work, `${name}.flv`), { seconds: SECONDS, width, height, fps: 25, gopSeconds: 1 }).then(videoOfFlv);
    const [h, m, l] = await Promise.all([clip('h', 640, 360), clip('m', 320, 180), clip('l', 160, 90)]);
    const registry = new StreamRegistry();
    const requests: (string | undefined)[] = [];
    const stream = registry.publish('layers', { requestKeyframe: (rid) => void requests.push(rid), close: () => undefined, description: 'test' });
    const manager = new TransponderManager(registry, () => ({ streamNamePrefix: '', fullUrl: false, keyframeIntervalMs: 2000, log }));
    const url = (name: string) => `${nginx.url()}/${name}`;
    try {
      stream.layer('h').pushParams(h.params);
      const lowest = manager.startup({ streamName: 'layers', rtmpUrl: url('lowest'), rtmpTransponderFullUrl: true, options: { quality: 'lowest', audioCodec: 'pcma' } });
      const highest = manager.startup({ streamName: 'layers', rtmpUrl: url('highest'), rtmpTransponderFullUrl: true, options: { audioCodec: 'pcma' } });
      const capped = manager.startup({ streamName: 'layers', rtmpUrl: url('capped'), rtmpTransponderFullUrl: true, options: { maxHeight: 200, audioCodec: 'pcma' } });
      assert.equal(lowest.width, 640, 'with one layer, "lowest" is that layer');
      assert.deepEqual(lowest.layer, { rid: 'h', width: 640, height: 360, bitrateKbps: 0 });
      await waitFor('PUBLISHING', () => manager.list().every((x) => x.status === 'PUBLISHING'), 15_000);

      const clockBase = 500_000;
      const startedAt = performance.now();
      let pcmTime = 0;
      for (let i = 0; i < h.frames.length; i++) {
        const dts = h.frames[i]!.dts;
        while (pcmTime <= dts) {
          stream.pushPcm({ time: clockBase + pcmTime, samples: new Int16Array(960 * 2) });
          pcmTime += 20;
        }
        const wait = startedAt + dts - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        stream.layer('h').pushVideo({ ...h.frames[i]!, dts: clockBase + dts });
        if (dts >= LOWER_LAYERS_FROM_MS) {
          for (const [rid, clipOf] of [['m', m], ['l', l]] as const) {
            stream.layer(rid).pushParams(clipOf.params);
            stream.layer(rid).pushVideo({ ...clipOf.frames[i]!, dts: clockBase + dts });
          }
        }
      }
      const shown = manager.find({ mediaSessionId: lowest.mediaSessionId })[0]!;
      assert.deepEqual([shown.layer?.rid, shown.width, shown.height], ['l', 160, 90]);
      assert.equal(manager.find({ mediaSessionId: capped.mediaSessionId })[0]!.layer?.rid, 'm');
      assert.equal(manager.find({ mediaSessionId: highest.mediaSessionId })[0]!.layer?.rid, 'h');
      assert.ok(requests.includes('l') && requests.includes('m'), `keyframes asked of the new layers: ${requests.join(',')}`);
      await new Promise((r) => setTimeout(r, 200));
      await manager.stopAll();
    } finally {
      await manager.stopAll();
      stream.end('test over');
    }

    const files = [await nginx.waitForRecording(), await nginx.waitForRecording(), await nginx.waitForRecording()];
    const file = (name: string) => files.find((f) => basename(f).startsWith(name))!;
    const expected = { lowest: ['640x360', '160x90'], capped: ['640x360', '320x180'], highest: ['640x360'] };
    for (const [name, sizes] of Object.entries(expected)) {
      const { headers, video } = sequenceHeaders(file(name));
      assert.deepEqual(headers.map((x) => x.size), sizes, `${name}: sequence headers`);
      for (const header of headers) assert.ok(header.next, `${name}: a keyframe follows the ${header.size} header`);
      if (headers[1]) {
        // The lower layers' first keyframe after they appeared is the one at 2 s of the clip.
        const changedAt = headers[1].time - headers[0]!.time;
        assert.ok(changedAt >= 1900 && changedAt <= 2150, `${name}: changed layer at ${changedAt} ms`);
      }
      const pictures = video.filter((tag) => !videoTagInfo(tag.body).sequenceHeader);
      for (let i = 1; i < pictures.length; i++) {
        const gap = pictures[i]!.timestamp - pictures[i - 1]!.timestamp;
        assert.ok(gap >= 0 && gap <= 80, `${name}: ${gap} ms between pictures at ${pictures[i - 1]!.timestamp} ms`);
      }
      assert.ok(pictures.length >= SECONDS * 25 - 10, `${name}: ${pictures.length} pictures`);
      const { stderr } = await run('/usr/bin/ffmpeg', ['-v', 'error', '-i', file(name), '-f', 'null', '-']);
      assert.equal(stderr.trim(), '', `${name}: ffmpeg decodes without errors`);
    }
  });
});
