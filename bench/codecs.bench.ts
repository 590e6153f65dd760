// What the publisher's codec costs the relay. One process publishes a stream from code (the pictures of a
// 720p30 testsrc2 clip with noise, made by Debian's ffmpeg, looped in real time as the RTP depacketizers
// would emit them; no audio, so that no AAC encoder is counted) and pushes it with the relay's transponders:
//   (a) H.264 copied to nginx-rtmp (today's path, the reference) and AV1 copied to node-media-server in
//       Enhanced RTMP: the relay process's CPU;
//   (b) VP8 transcoded to H.264 for 1 and for 5 nginx targets: the relay process and its one ffmpeg child,
//       and the added latency (a picture written to ffmpeg → its H.264 picture read back, mean);
//   (c) the peer: the app's ffmpeg doing the same transcode of the same pictures on its own
//       (`-c:v libx264 -preset veryfast -tune zerolatency`, the same bitrate and keyframes), twice: from the
//       IVF file (`-re`) to FLV thrown away — the encode alone — and from the same pictures as VP8 RTP (sent
//       by Debian's ffmpeg, not counted) to nginx over RTMP — the encode with what surrounds it, as the relay.
// CPU is user+sys from /proc, % of one core over the window (CODECS_BENCH_WINDOW_S, default 15 s); "encoded
// fps" is the H.264 pictures out per second (30 when the encoder keeps real time).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamRegistry, type LiveStream } from '../src-relay/streams.js';
import { TransponderManager } from '../src-relay/transponder/manager.js';
import { findFfmpeg } from '../src-relay/transponder/audio/ffmpeg.js';
import { transcodeArgs } from '../src-relay/transponder/transcode/ffmpeg-video.js';
import { av1CodecConfigurationRecord, findSequenceHeader, parseAv1SequenceHeader } from '../src-relay/codec/av1.js';
import type { Log } from '../src-relay/log.js';
import type { VideoCodec } from '../src-relay/media.js';
import { makeIvfClip, type IvfClip } from '../test/helpers/ivf.js';
import { makeTestFlv } from '../test/helpers/media.js';
import { videoOfFlv } from '../test/helpers/flv-video.js';
import { startNginxRtmp, startNodeMediaServer } from '../test/helpers/servers.js';
import { waitFor } from '../test/helpers/wait.js';
import { procStat } from './host-process.js';
import type { BenchResult } from './run.js';

/** CODECS_BENCH_HEIGHT picks the picture (16:9; default 720). */
const HEIGHT = Number(process.env.CODECS_BENCH_HEIGHT ?? 720);
const CLIP = { width: Math.round((HEIGHT * 16) / 9 / 2) * 2, height: HEIGHT, fps: 30, seconds: 4, gopFrames: 60 } as const;
const WINDOW_S = Number(process.env.CODECS_BENCH_WINDOW_S ?? 15);
const SETTLE_MS = 3000;
/** CODECS_BENCH_KBPS: the pictures' bitrate and the encoder's (default 2500). */
const BITRATE_KBPS = Number(process.env.CODECS_BENCH_KBPS ?? 2500);
const CLOCK_TICKS = 100;

interface Picture {
  dts: number;
  keyframe: boolean;
  push(stream: LiveStream, dts: number): void;
}

/** Pushes the clip's pictures, looped, in real time; returns the stop function. */
function pump(stream: LiveStream, pictures: Picture[], clipMs: number): () => void {
  const startedAt = performance.now();
  let index = 0;
  const timer = setInterval(() => {
    const now = performance.now() - startedAt;
    for (;;) {
      const p = pictures[index % pictures.length]!;
      const dts = Math.floor(index / pictures.length) * clipMs + p.dts;
      if (dts > now) break;
      p.push(stream, 10_000 + dts);
      index++;
    }
  }, 5);
  return () => clearInterval(timer);
}

function codedPictures(codec: Exclude<VideoCodec, 'h264'>, clip: IvfClip): Picture[] {
  return clip.frames.map((f) => ({ dts: f.pts, keyframe: f.keyframe, push: (s, dts) => s.pushVideo({ codec, dts, cts: 0, keyframe: f.keyframe, data: f.data }) }));
}

function ticksOf(pid: number): number {
  return procStat(pid)?.ticks ?? 0;
}

interface Measured {
  relayPercent: number;
  childPercent: number;
  latencyMs: number | undefined;
  /** Pictures the transcoder put out per second over its life. */
  encodedFps: number | undefined;
}

/** Publishes the pictures, starts the targets, waits, measures this process and the transcoder child. */
async function relayCase(pictures: Picture[], codec: VideoCodec, params: Parameters<LiveStream['pushParams']>[0], targets: { rtmpUrl: string; videoCodecs?: ('h264' | 'av1')[] }[]): Promise<Measured> {
  let transcoderPid: number | undefined;
  let latencyMs: number | undefined;
  let framesOut: number | undefined;
  let startedAt = 0;
  let lifeMs = 0;
  const log: Log = (event, fields) => {
    if (event === 'transcoder.started') [transcoderPid, startedAt] = [Number(fields?.pid), performance.now()];
    if (event === 'transcoder.stopped') [latencyMs, framesOut, lifeMs] = [Number(fields?.meanLatencyMs), Number(fields?.framesOut), performance.now() - startedAt];
  };
  const registry = new StreamRegistry();
  const manager = new TransponderManager(registry, () => ({ streamNamePrefix: '', fullUrl: true, keyframeIntervalMs: 2000, log }));
  const stream = registry.publish('bench', { requestKeyframe: () => undefined, close: () => undefined, description: 'bench', videoCodec: codec });
  stream.pushParams(params);
  const stop = pump(stream, pictures, CLIP.seconds * 1000);
  try {
    for (const t of targets) manager.startup({ streamName: 'bench', rtmpUrl: t.rtmpUrl, options: { maxBitrateKbps: BITRATE_KBPS, ...(t.videoCodecs ? { videoCodecs: t.videoCodecs } : {}) } });
    await waitFor('every target PUBLISHING', () => manager.list().every((t) => t.status === 'PUBLISHING'), 30_000);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const cpu0 = process.cpuUsage();
    const child0 = transcoderPid ? ticksOf(transcoderPid) : 0;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const childTicks = transcoderPid ? ticksOf(transcoderPid) - child0 : 0;
    const failed = manager.list().filter((t) => t.status !== 'PUBLISHING');
    if (failed.length) throw new Error(`targets not publishing: ${failed.map((t) => `${t.status} ${t.info ?? ''}`).join('; ')}`);
    await manager.stopAll();
    const encodedFps = framesOut === undefined ? undefined : (framesOut * 1000) / lifeMs;
    return { relayPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100, childPercent: ((childTicks / CLOCK_TICKS) * 1000 * 100) / wallMs, latencyMs, encodedFps };
  } finally {
    stop();
    await manager.stopAll();
    stream.end('bench over');
  }
}

/**
 * The peer: the app's ffmpeg doing the same transcode with the same decoder and encoder options. `file`: the
 * IVF read at its own pace (`-re`), FLV on stdout. `rtp`: the pictures sent as VP8 RTP by Debian's ffmpeg
 * (not counted), received from its SDP and pushed to nginx over RTMP — what the relay does around the encode.
 */
async function ffmpegPeer(ivf: string, input: 'file' | 'rtp', rtmpUrl: string, work: string): Promise<{ percent: number; fps: number }> {
  const args = transcodeArgs({ decoder: 'vp8', bitrateKbps: BITRATE_KBPS, keyframeIntervalMs: 2000 });
  const at = args.indexOf('-i');
  const global = args.slice(0, at - 2);
  // The relay's encode options, then the muxer: the FLV thrown away (file case) or pushed to nginx (RTP case).
  const encoded = args.slice(at + 2);
  const flv = encoded.indexOf('-f');
  const muxer = input === 'file' ? [...encoded.slice(flv, -1), '/dev/null'] : ['-f', 'flv', rtmpUrl];
  const sdp = join(work, 'peer.sdp');
  const source =
    input === 'file'
      ? ['-re', '-stream_loop', '-1', '-f', 'ivf', '-i', ivf]
      : // A keyframe leaves the sender as one burst of packets: a 4 MiB socket buffer keeps them all.
        ['-protocol_whitelist', 'file,udp,rtp', '-buffer_size', String(4 << 20), '-i', sdp];
  let sender: ChildProcess | undefined;
  let child: ChildProcess | undefined;
  try {
    if (input === 'rtp') {
      const port = 40_000 + Math.floor(Math.random() * 10_000) * 2;
      sender = spawn('/usr/bin/ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-stream_loop', '-1', '-i', ivf, '-c', 'copy', '-sdp_file', sdp, '-f', 'rtp', `rtp://127.0.0.1:${port}`], { stdio: 'ignore' });
      await waitFor("the RTP sender's SDP", () => existsSync(sdp) && readFileSync(sdp, 'utf8').includes('m=video'), 10_000);
    }
    // `-progress` on stdout counts the pictures encoded in both cases.
    const peerArgs = ['-y', ...global, ...source, ...encoded.slice(0, flv), ...muxer.slice(0, -1), '-progress', 'pipe:1', muxer.at(-1)!];
    const peer = spawn(findFfmpeg(), peerArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = peer;
    let pictures = 0;
    peer.stdout.setEncoding('utf8').on('data', (d: string) => {
      for (const m of d.matchAll(/^frame=(\d+)$/gm)) pictures = Number(m[1]);
    });
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    if (peer.exitCode !== null) throw new Error(`the ffmpeg peer (${input}) exited with ${peer.exitCode}`);
    const t0 = performance.now();
    const ticks0 = ticksOf(peer.pid!);
    const pictures0 = pictures;
    await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
    const wallMs = performance.now() - t0;
    return { percent: (((ticksOf(peer.pid!) - ticks0) / CLOCK_TICKS) * 1000 * 100) / wallMs, fps: ((pictures - pictures0) * 1000) / wallMs };
  } finally {
    for (const c of [child, sender]) if (c && c.exitCode === null) { c.kill('SIGTERM'); await once(c, 'exit'); }
  }
}

export default async function codecsBench(): Promise<BenchResult> {
  const work = mkdtempSync(join(tmpdir(), 'castbridge-codecs-bench-'));
  const [nginx, nms] = await Promise.all([startNginxRtmp(), startNodeMediaServer()]);
  try {
    const [h264File, vp8, av1] = await Promise.all([
      makeTestFlv(join(work, 'h264.flv'), { ...CLIP, gopSeconds: 2, noise: 10, videoBitrate: `${BITRATE_KBPS}k`, preset: 'veryfast' }),
      makeIvfClip(join(work, 'vp8.ivf'), 'vp8', { ...CLIP, noise: 10, bitrateKbps: BITRATE_KBPS }),
      makeIvfClip(join(work, 'av1.ivf'), 'av1', { ...CLIP, noise: 10, bitrateKbps: BITRATE_KBPS }),
    ]);
    const h264 = videoOfFlv(h264File);
    const h264Pictures: Picture[] = h264.frames.map((f) => ({ dts: f.dts, keyframe: f.keyframe, push: (s, dts) => s.pushVideo({ ...f, dts }) }));
    const seq = findSequenceHeader(av1.frames.find((f) => f.keyframe)!.data)!;
    const av1Params = { codec: 'av1' as const, width: parseAv1SequenceHeader(seq).width, height: parseAv1SequenceHeader(seq).height, record: av1CodecConfigurationRecord(seq) };
    const vp8Params = { codec: 'vp8' as const, width: CLIP.width, height: CLIP.height, record: Buffer.alloc(0) };
    const rows: string[][] = [];
    const row = (what: string, m: Measured, targets: number): void => {
      rows.push([
        what,
        String(targets),
        m.relayPercent.toFixed(1),
        m.childPercent.toFixed(1),
        (m.relayPercent + m.childPercent).toFixed(1),
        m.latencyMs === undefined ? '—' : m.latencyMs.toFixed(1),
        m.encodedFps === undefined ? '—' : m.encodedFps.toFixed(1),
      ]);
    };
    // The stand-in publisher alone (pictures pushed from code, no target): what the peers do not pay.
    row('VP8 published from code, no target (the stand-in publisher)', await relayCase(codedPictures('vp8', vp8), 'vp8', vp8Params, []), 0);
    row('H.264 copied (classic FLV, nginx)', await relayCase(h264Pictures, 'h264', h264.params, [{ rtmpUrl: `${nginx.url('live')}/h264copy` }]), 1);
    row('AV1 copied (Enhanced RTMP, node-media-server)', await relayCase(codedPictures('av1', av1), 'av1', av1Params, [{ rtmpUrl: `${nms.url('live')}/av1copy`, videoCodecs: ['av1', 'h264'] }]), 1);
    row('VP8 → H.264, relay transcoder', await relayCase(codedPictures('vp8', vp8), 'vp8', vp8Params, [{ rtmpUrl: `${nginx.url('live')}/vp8one` }]), 1);
    row(
      'VP8 → H.264, relay transcoder',
      await relayCase(codedPictures('vp8', vp8), 'vp8', vp8Params, Array.from({ length: 5 }, (_, i) => ({ rtmpUrl: `${nginx.url('live')}/vp8five_${i}` }))),
      5,
    );
    for (const [label, input] of [['the IVF file → FLV on stdout', 'file'], ['RTP → nginx over RTMP', 'rtp']] as const) {
      const peer = await ffmpegPeer(join(work, 'vp8.ivf'), input, `${nginx.url('live')}/vp8peer`, work);
      rows.push([`VP8 → H.264, ffmpeg alone (peer: ${label})`, '1', '—', peer.percent.toFixed(1), peer.percent.toFixed(1), '—', peer.fps.toFixed(1)]);
    }
    return {
      title: `Publisher codecs: ${CLIP.width}x${CLIP.height}@${CLIP.fps} at ${BITRATE_KBPS} kb/s, CPU % of one core over ${WINDOW_S} s (user+sys)`,
      columns: ['path', 'targets', 'relay %', 'ffmpeg %', 'total %', 'added latency ms', 'encoded fps'],
      rows,
    };
  } finally {
    await Promise.allSettled([nginx.stop(), nms.stop()]);
    rmSync(work, { recursive: true, force: true });
  }
}
