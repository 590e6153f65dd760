// A publisher that ignores keyframe requests and makes a keyframe only every 10 s: Debian's aiortc publishing
// H.264 over WHIP with `--gop 300` at 30 fps (aiortc drops PLI and FIR). Three targets on nginx-rtmp:
//  - "early", started as soon as the stream exists: a copy at first, it changes to the stream's H.264 encode
//    (a keyframe every 2 s) once the relay has seen the publisher ignore its requests and go 4 s without a
//    keyframe, on the same connection, with a new AVC sequence header;
//  - "late", started after that: the encode from its first picture;
//  - "copy", with options.maxKeyframeIntervalMs 60000: stays a copy of aiortc's pictures.
// aiortc encodes in Python and slows down on a loaded machine (its clock with it: 300 pictures are then more
// than 10 s), so the run waits for its second keyframe rather than a fixed time.
// What nginx recorded is read back with Debian's ffprobe/ffmpeg: every frame decodes at 640x480, the encoded
// targets have keyframes ≤ 2.1 s apart (from the first, and from the change on), the copy has aiortc's own
// Baseline pictures; and find said which is which and why.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createHost, type Host } from '../../src-main/host.js';
import { consoleLog, silentLog } from '../../src-relay/log.js';
import type { Transponder } from '../../src-contract/transponder.js';
import { decodeVideo, keyframeTimes, probeStreams, videoPacketTimes } from '../helpers/media.js';
import { removeDir, startNginxRtmp, type NginxRtmp } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { push } from '../helpers/http-client.js';

const PUBLISHER = join(import.meta.dirname, '..', 'helpers', 'aiortc-publish.py');
const FPS = 30;
/** 10 s between the publisher's keyframes. */
const GOP = 300;
/** The targets run this long after the publisher's second keyframe (10 s after its first, later when aiortc is slow). */
const AFTER_SECOND_KEYFRAME_MS = 3000;
const SIZE = [640, 360];
/** The copy target's maximum: longer than aiortc's interval even when it runs at a third of its rate. */
const COPY_MAX_MS = 60_000;

interface Found {
  name: string;
  file?: string;
  json?: Transponder;
}

describe('a publisher with keyframes 10 s apart that ignores keyframe requests (aiortc), to targets that take at most 4 s', { timeout: 240_000 }, () => {
  let dataDir: string;
  let host: Host;
  let nginx: NginxRtmp;
  const targets: Record<'early' | 'late' | 'copy', Found> = { early: { name: 'kf_early' }, late: { name: 'kf_late' }, copy: { name: 'kf_copy' } };
  let ignoresAtEnd: unknown;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'castbridge-keyframes-'));
    const overrides = { rest_http_port: '0', rest_https_enabled: 'false', local_rtmp_enabled: 'false', ws_port: '0', wss_port: '0' };
    [host, nginx] = await Promise.all([createHost({ dataDir, log: process.env.CASTBRIDGE_TEST_VERBOSE ? consoleLog : silentLog, overrides }), startNginxRtmp()]);
    const streamName = 'aiortc_gop300';
    const child = spawn('/usr/bin/python3', [PUBLISHER, `${host.httpUrl}/whip/${streamName}`, '--seconds', '120', '--fps', String(FPS), '--gop', String(GOP)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const start = async (target: Found, options: Record<string, unknown> = {}): Promise<string> => {
      const started = await push(host.httpUrl, 'startup', { streamName, rtmpUrl: `${nginx.url('live')}/${target.name}`, rtmpTransponderFullUrl: true, options });
      assert.equal(started.status, 200, started.text);
      return (started.json() as Transponder).mediaSessionId;
    };
    const find = async (id: string): Promise<Transponder | undefined> => {
      const found = await push(host.httpUrl, 'find', { mediaSessionId: id });
      return found.status === 200 ? (found.json() as Transponder[])[0] : undefined;
    };
    try {
      const stream = await waitFor(`the stream on the host (${stderr.slice(-300)})`, () => host.registry.get(streamName), 20_000);
      const early = await start(targets.early);
      await waitFor(`aiortc's first keyframe (${stdout.slice(-300)})`, () => stream.params !== undefined, 20_000);
      const copy = await start(targets.copy, { maxKeyframeIntervalMs: COPY_MAX_MS });
      await waitFor('"early" changed to the H.264 encode', async () => (await find(early))?.videoPath === 'transcode', 30_000);
      const late = await start(targets.late);
      await waitFor('aiortc\'s second keyframe', () => (stream.layers[0]?.keyframeIntervalMs ?? 0) > 0, 100_000, 200);
      await new Promise((r) => setTimeout(r, AFTER_SECOND_KEYFRAME_MS));
      const ids = { early, late, copy };
      for (const key of ['early', 'late', 'copy'] as const) targets[key].json = await find(ids[key]);
      ignoresAtEnd = host.registry.get(streamName)?.ignoresKeyframeRequests;
      for (const id of Object.values(ids)) assert.equal((await push(host.httpUrl, 'terminate', { mediaSessionId: id })).status, 200);
      for (let i = 0; i < 3; i++) {
        const file = await nginx.waitForRecording(30_000);
        const found = Object.values(targets).find((t) => basename(file).startsWith(`${t.name}-`) || basename(file) === `${t.name}.flv`);
        if (found) found.file = file;
      }
    } finally {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      child.kill('SIGKILL');
    }
  });

  after(async () => {
    await host?.close();
    await nginx?.stop();
    if (dataDir) removeDir(dataDir);
  });

  test('find: the stream ignores keyframe requests; "early" and "late" are transcoded and say why, "copy" is copied', () => {
    assert.equal(ignoresAtEnd, true, 'the stream reports ignoresKeyframeRequests');
    for (const key of ['early', 'late'] as const) {
      const json = targets[key].json;
      assert.equal(json?.videoPath, 'transcode', `${key}: ${JSON.stringify(json)}`);
      assert.equal(json?.videoCodec, 'h264');
      assert.match(json?.videoPathReason ?? '', /^keyframes every \d+\.\d s and the publisher ignores keyframe requests; the target takes at most 4 s$/, `${key}'s reason`);
      assert.equal(json?.sourceKeyframes?.ignoresRequests, true);
    }
    const copy = targets.copy.json;
    assert.equal(copy?.videoPath, 'copy', JSON.stringify(copy));
    assert.equal(copy?.videoPathReason, undefined);
    assert.equal(copy?.options.maxKeyframeIntervalMs, COPY_MAX_MS);
    // The publisher's second keyframe came: its interval is measured (300 pictures: 10 s, more when aiortc
    // drops pictures on a loaded machine).
    assert.ok((copy?.sourceKeyframes?.intervalMs ?? 0) > 9500, `measured interval ${copy?.sourceKeyframes?.intervalMs} ms`);
  });

  for (const key of ['early', 'late'] as const) {
    test(`"${key}": every frame decodes at ${SIZE.join('x')}, keyframes at most 2.1 s apart${key === 'early' ? ' from the change to the encode on' : ' from the first'}`, async (t) => {
      const file = targets[key].file;
      assert.ok(file, `a recording of ${targets[key].name}`);
      const summary = await probeStreams(file);
      assert.equal(summary.video?.codec, 'h264');
      assert.deepEqual([summary.video?.width, summary.video?.height], SIZE);
      const times = await videoPacketTimes(file);
      const decoded = await decodeVideo(file);
      assert.deepEqual(decoded.errors, [], 'ffmpeg decodes without errors');
      assert.equal(decoded.frames, times.length, 'every packet is a decoded frame');
      const keys = await keyframeTimes(file);
      // "early" may have had aiortc's first keyframe copied before the change: the encode's keyframes follow.
      const fromEncode = key === 'early' && summary.video?.profile !== 'High' ? keys.slice(1) : keys;
      assert.ok(fromEncode.length >= 3, `keyframes at ${keys.join(', ')}`);
      // A keyframe at most 2.1 s after the last, unless the publisher sent no picture then (aiortc pauses on
      // a loaded machine): then the first picture after the pause is one.
      const pauses: string[] = [];
      for (let i = 1; i < fromEncode.length; i++) {
        const [k1, k2] = [fromEncode[i - 1]!, fromEncode[i]!];
        if (k2 - k1 <= 2.1) continue;
        const between = times.filter((p) => p > k1 + 2.1 && p < k2);
        assert.deepEqual(between, [], `pictures between ${k1.toFixed(2)} + 2.1 s and the next keyframe at ${k2.toFixed(2)}; keyframes at ${keys.map((k) => k.toFixed(2)).join(', ')}`);
        pauses.push(`${k1.toFixed(2)}–${k2.toFixed(2)}`);
      }
      const spacing = fromEncode.slice(1).map((k, i) => k - fromEncode[i]!);
      assert.ok(spacing.filter((s) => s >= 1.9 && s <= 2.1).length >= 1, `keyframes 2 s apart: ${keys.map((k) => k.toFixed(2)).join(', ')}`);
      assert.ok(spacing.every((s) => s >= 1.9), `no keyframe sooner than 2 s after the last: ${keys.map((k) => k.toFixed(2)).join(', ')}`);
      if (key === 'late') assert.ok(keys[0]! < 0.05, `the first picture is a keyframe (${keys[0]})`);
      t.diagnostic(`${key}: ${times.length} frames (first profile ${summary.video?.profile}), keyframes at ${keys.map((k) => k.toFixed(2)).join(' ')}${pauses.length ? `, publisher paused in ${pauses.join(', ')}` : ''}; ${targets[key].json?.videoPathReason}`);
    });
  }

  test('"copy" (takes 60 s): aiortc\'s own Baseline pictures, every one decodes', async (t) => {
    const file = targets.copy.file;
    assert.ok(file, 'a recording of kf_copy');
    const summary = await probeStreams(file);
    assert.deepEqual([summary.video?.codec, summary.video?.width, summary.video?.height], ['h264', ...SIZE]);
    assert.match(summary.video?.profile ?? '', /Baseline/, 'the publisher\'s profile: not re-encoded');
    const times = await videoPacketTimes(file);
    const decoded = await decodeVideo(file);
    assert.deepEqual(decoded.errors, []);
    assert.equal(decoded.frames, times.length);
    const keys = await keyframeTimes(file);
    assert.ok(times.length > FPS, `${times.length} frames`);
    assert.ok(keys.length <= 2, `only the publisher's keyframes: ${keys.join(', ')}`);
    t.diagnostic(`copy: ${times.length} frames, keyframes at ${keys.join(' ')}`);
  });
});
