// A recording's FLV file, without a publisher or ffmpeg: frames pushed into a real LiveStream, the relay's
// TransponderManager handing out the recording source, an encoder stand-in that turns each PCM chunk into one
// AAC frame. What a player reading the file sees: the tags in the order the FLV muxer rules give, strictly
// increasing times per track, the file readable while it is written, and the durations read back.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { h264Params } from '../../../src-relay/codec/h264.js';
import { readFlv } from '../../../src-relay/flv/file.js';
import { AacPacketType, AvcPacketType, TagType } from '../../../src-relay/flv/tags.js';
import type { AudioFrame, PcmChunk, VideoFrame } from '../../../src-relay/media.js';
import { FlvFileWriter } from '../../../src-relay/recording/flv-file-writer.js';
import { Recorder } from '../../../src-relay/recording/recorder.js';
import { flvDurationMs } from '../../../src-relay/flv/file.js';
import { recordingBaseName } from '../../../src-relay/recording/recordings.js';
import { StreamRegistry } from '../../../src-relay/streams.js';
import type { FanoutEncoder, FanoutMixer } from '../../../src-relay/transponder/audio/fanout.js';
import { TransponderManager } from '../../../src-relay/transponder/manager.js';
import { silentLog } from '../../../src-relay/log.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const PARAMS = h264Params(hex('6742c01fd900a02ff970110000030001000003003c0f183248'), hex('68cb83cb20'));
const ASC = hex('1190');
const idr = (dts: number): VideoFrame => ({ codec: 'h264', dts, cts: 0, keyframe: true, nalus: [hex('65aabb')] });
const inter = (dts: number): VideoFrame => ({ codec: 'h264', dts, cts: 0, keyframe: false, nalus: [hex('419a')] });

/** One AAC frame per PCM chunk, stamped with the chunk's time (as the real encoders stamp theirs). */
const fanoutDeps = {
  createEncoder: (): FanoutEncoder => {
    const encoder = Object.assign(new EventEmitter<{ frame: [AudioFrame]; error: [Error] }>(), {
      audioSpecificConfig: ASC,
      encode: (chunk: PcmChunk) => encoder.emit('frame', { codec: 'aac', time: chunk.time, data: hex('2110') }),
      close: () => undefined,
    });
    return encoder;
  },
  createMixer: (): FanoutMixer =>
    Object.assign(new EventEmitter<{ soundEnded: [] }>(), { muted: false, playSound: () => undefined, stopSound: () => undefined, process: (c: PcmChunk) => c }),
};

const pcm = (time: number): PcmChunk => ({ time, samples: new Int16Array(1920) }); // 20 ms of 48 kHz stereo

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'castbridge-recorder-'));
  const registry = new StreamRegistry();
  let keyframeRequests = 0;
  const stream = registry.publish('cam', { requestKeyframe: () => void keyframeRequests++, close: () => undefined, description: 'test' });
  const manager = new TransponderManager(registry, () => ({ streamNamePrefix: '', fullUrl: false, keyframeIntervalMs: 2000 }), fanoutDeps);
  return { dir, stream, manager, keyframeRequests: () => keyframeRequests, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('Recorder', () => {
  test('writes the sequence header and a keyframe first, the AAC header once, then both tracks from time 0', async () => {
    const { dir, stream, manager, keyframeRequests, cleanup } = setup();
    try {
      const path = join(dir, 'cam.flv');
      const writer = await FlvFileWriter.create(path, (e) => assert.fail(e));
      const recorder = new Recorder(manager.recordingSource({ streamName: 'cam' }), writer, silentLog, 'r1');
      assert.ok(keyframeRequests() >= 1, 'a keyframe is asked for at start');
      stream.pushParams(PARAMS);
      stream.pushVideo(inter(990)); // before the first keyframe: not recorded
      stream.pushPcm(pcm(995)); // nor the audio before it
      stream.pushVideo(idr(1000));
      for (let i = 0; i < 10; i++) {
        stream.pushPcm(pcm(1000 + i * 20));
        stream.pushVideo(inter(1033 + i * 33));
      }
      // The last loop picture is at 1330; two more at the same ms still get later times in the file.
      stream.pushVideo(inter(1330));
      stream.pushVideo(inter(1330));
      await recorder.stop();
      const tags = readFlv(readFileSync(path));
      const video = tags.filter((t) => t.type === TagType.video);
      const audio = tags.filter((t) => t.type === TagType.audio);
      assert.equal(video[0]!.body[1], AvcPacketType.sequenceHeader);
      assert.equal(video[1]!.body[0]! >> 4, 1, 'then a keyframe');
      assert.equal(video[1]!.timestamp, 0);
      assert.equal(audio[0]!.body[1], AacPacketType.sequenceHeader);
      assert.equal(audio.filter((t) => t.body[1] === AacPacketType.sequenceHeader).length, 1, 'the AAC header once');
      assert.equal(audio[1]!.timestamp, 0, 'audio starts with the keyframe');
      for (const track of [video.slice(1), audio.slice(1)]) {
        for (let i = 1; i < track.length; i++) assert.ok(track[i]!.timestamp > track[i - 1]!.timestamp, `strictly increasing: ${track.map((t) => t.timestamp).join(',')}`);
      }
      assert.equal(recorder.durationMs, 332);
      assert.equal(await flvDurationMs(path), video.at(-1)!.timestamp);
    } finally {
      cleanup();
    }
  });

  test('the file can be read while it is written, and stop waits for audio to reach the last picture', async () => {
    const { dir, stream, manager, cleanup } = setup();
    try {
      const path = join(dir, 'live.flv');
      const writer = await FlvFileWriter.create(path, (e) => assert.fail(e));
      const recorder = new Recorder(manager.recordingSource({ streamName: 'cam' }), writer, silentLog, 'r2');
      stream.pushParams(PARAMS);
      stream.pushVideo(idr(0));
      stream.pushPcm(pcm(0));
      for (let i = 1; i <= 30; i++) stream.pushVideo(inter(i * 33));
      await new Promise((r) => setTimeout(r, 50));
      const partial = readFlv(readFileSync(path));
      assert.equal(partial.filter((t) => t.type === TagType.video).length, 32, 'every tag is in the file already');
      const stopped = recorder.stop();
      // Audio up to the last picture (990 ms) comes after stop: it is still recorded.
      for (let t = 20; t <= 1000; t += 20) stream.pushPcm(pcm(t));
      await stopped;
      const audio = readFlv(readFileSync(path)).filter((t) => t.type === TagType.audio);
      assert.ok(audio.at(-1)!.timestamp >= 990, `audio reaches the last picture: ${audio.at(-1)!.timestamp}`);
    } finally {
      cleanup();
    }
  });

  test('a recording holds the stream\'s shared parts: released, a stream with no target has none left', async () => {
    const { manager, cleanup } = setup();
    try {
      const source = manager.recordingSource({ streamName: 'cam' });
      const again = manager.recordingSource({ streamName: 'cam' });
      assert.equal(again.audio, source.audio, 'one audio fan-out per stream');
      source.release();
      source.release();
      again.release();
      const fresh = manager.recordingSource({ streamName: 'cam' });
      assert.notEqual(fresh.audio, source.audio, 'the old parts were dropped with the last holder');
      fresh.release();
      assert.throws(() => manager.recordingSource({ streamName: 'nope' }), /stream "nope" is not being published/);
      assert.throws(() => manager.recordingSource({ mediaSessionId: 'nope' }), /transponder "nope" not found/);
    } finally {
      cleanup();
    }
  });

  test('file names: <stream>-<YYYYMMDD-HHMMSS>, the stream name made safe for any file system', () => {
    const at = new Date(2026, 10, 30, 4, 5, 6);
    assert.equal(recordingBaseName('cam', at), 'cam-20261130-040506');
    assert.equal(recordingBaseName('../a b/c:d', at), 'a_b_c_d-20261130-040506');
    assert.equal(recordingBaseName('...', at), 'stream-20261130-040506');
  });
});
