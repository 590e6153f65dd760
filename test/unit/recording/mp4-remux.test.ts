// An AV1 or VP9 recording's FLV (Enhanced RTMP video, AAC audio, from real encoders) made an MP4 by
// remuxToMp4 with the app's bundled ffmpeg, which cannot read such an FLV: the project's MP4 writer makes it.
// Checked in the file's bytes (ftyp brands, av1C / vpcC carrying the SequenceStart's record, esds the
// AudioSpecificConfig, a sample and a sync sample per frame and keyframe, the audio's edit) and by Debian's
// ffprobe/ffmpeg (codec, size, every frame decoded). A crash-cut FLV still becomes an MP4, as does one left
// in the folder at host start; one the writer cannot take keeps its FLV and says why.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFfmpeg } from '../../../src-relay/transponder/audio/ffmpeg.js';
import { remuxToMp4 } from '../../../src-relay/recording/remux.js';
import { mp4DurationMs } from '../../../src-relay/recording/durations.js';
import { enhancedVideoFourCc } from '../../../src-relay/recording/mp4/flv-to-mp4.js';
import { readFlv, writeFlv } from '../../../src-relay/flv/file.js';
import { g711Body, TagType } from '../../../src-relay/flv/tags.js';
import { makeEnhancedFlv, type EnhancedFlv } from '../../helpers/enhanced-flv.js';
import { decodeVideo, ffprobe } from '../../helpers/media.js';
import { removeDir } from '../../helpers/servers.js';
import { RecordingManager } from '../../../src-relay/recording/recordings.js';
import { TransponderManager } from '../../../src-relay/transponder/manager.js';
import { StreamRegistry } from '../../../src-relay/streams.js';

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'edts', 'dinf']);
const CLIP = { width: 320, height: 180, fps: 30, seconds: 2, gopFrames: 30, audioDelayMs: 7 };

/** Every box of the file by path ('moov/trak/mdia/minf/stbl/stsd'), bodies as views; sample entries' children too. */
function boxes(file: Buffer): Map<string, Buffer[]> {
  const found = new Map<string, Buffer[]>();
  const walk = (buf: Buffer, prefix: string) => {
    for (let at = 0; at + 8 <= buf.length; ) {
      let size = buf.readUInt32BE(at);
      let header = 8;
      if (size === 1) [size, header] = [Number(buf.readBigUInt64BE(at + 8)), 16];
      const type = buf.toString('latin1', at + 4, at + 8);
      const body = buf.subarray(at + header, at + size);
      const path = prefix + type;
      found.set(path, [...(found.get(path) ?? []), body]);
      if (CONTAINERS.has(type)) walk(body, `${path}/`);
      if (type === 'stsd') walk(body.subarray(8), `${path}/`);
      if (type === 'av01' || type === 'vp09') walk(body.subarray(78), `${path}/`);
      if (type === 'mp4a') walk(body.subarray(28), `${path}/`);
      at += size;
    }
  };
  walk(file, '');
  return found;
}

const STBL = 'moov/trak/mdia/minf/stbl';

describe('AV1 / VP9 recordings become MP4s (the project’s MP4 writer)', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'castbridge-mp4-'));
  const made: Partial<Record<'av1' | 'vp9', EnhancedFlv>> = {};
  const ffmpeg = findFfmpeg();

  before(async () => {
    made.av1 = await makeEnhancedFlv(dir, 'av1', CLIP);
    made.vp9 = await makeEnhancedFlv(dir, 'vp9', CLIP);
  });
  after(() => removeDir(dir));

  for (const codec of ['av1', 'vp9'] as const) {
    test(`${codec}: the FLV is replaced by an MP4 that ffprobe reads as ${codec} + aac, every frame decoded`, async () => {
      const source = made[codec]!;
      const flvPath = join(dir, `${codec}-rec.flv`);
      writeFileSync(flvPath, source.flv);
      assert.equal(await enhancedVideoFourCc(flvPath), codec === 'av1' ? 'av01' : 'vp09');
      const mp4Path = await remuxToMp4(flvPath, ffmpeg);
      assert.equal(mp4Path, join(dir, `${codec}-rec.mp4`));
      assert.equal(existsSync(flvPath), false, 'the FLV is deleted once the MP4 reads back');
      assert.equal(existsSync(`${mp4Path}.part`), false);

      const file = readFileSync(mp4Path);
      const found = boxes(file);
      const [ftyp] = found.get('ftyp')!;
      const brands = [ftyp!.toString('latin1', 0, 4), ...Array.from({ length: (ftyp!.length - 8) / 4 }, (_, i) => ftyp!.toString('latin1', 8 + i * 4, 12 + i * 4))];
      assert.deepEqual(brands, codec === 'av1' ? ['isom', 'isom', 'iso6', 'av01', 'mp41'] : ['isom', 'isom', 'iso6', 'mp41']);
      assert.deepEqual([...found.keys()].slice(0, 3), ['ftyp', 'moov', 'moov/mvhd'], 'the moov before the media');
      assert.ok(found.has('mdat'));

      // The video track: its sample entry and configuration box, one sample per picture, a sync sample per keyframe.
      const [videoStbl] = found.get(`${STBL}/stsd`)!;
      assert.equal(videoStbl!.readUInt32BE(4), 1, 'one sample entry');
      if (codec === 'av1') assert.deepEqual(found.get(`${STBL}/stsd/av01/av1C`)![0], source.record);
      else assert.deepEqual(found.get(`${STBL}/stsd/vp09/vpcC`)![0], source.record, 'version 1, flags 0 and the record, as the SequenceStart holds it');
      const [videoStsz, audioStsz] = found.get(`${STBL}/stsz`)!;
      assert.equal(videoStsz!.readUInt32BE(8), source.videoFrames);
      assert.equal(audioStsz!.readUInt32BE(8), source.audioFrames);
      const [stss] = found.get(`${STBL}/stss`)!;
      assert.equal(stss!.readUInt32BE(4), source.keyframes);
      assert.deepEqual([stss!.readUInt32BE(8), stss!.readUInt32BE(12)], [1, CLIP.gopFrames + 1]);
      assert.equal(found.get(`${STBL}/stss`)!.length, 1, 'the audio track has no stss (every AAC frame is a sync sample)');
      const [videoMdhd, audioMdhd] = found.get('moov/trak/mdia/mdhd')!;
      assert.deepEqual([videoMdhd!.readUInt32BE(12), audioMdhd!.readUInt32BE(12)], [90_000, 48_000], 'timescales');
      // The audio: esds carries the AudioSpecificConfig; it starts 7 ms in, an empty edit before it.
      const esds = found.get(`${STBL}/stsd/mp4a/esds`)![0]!;
      assert.ok(esds.includes(Buffer.concat([Buffer.from([0x05, source.audioSpecificConfig.length]), source.audioSpecificConfig])));
      const [elst] = found.get('moov/trak/edts/elst')!;
      assert.equal(found.get('moov/trak/edts/elst')!.length, 1, 'only the audio track is edited');
      assert.deepEqual([elst!.readUInt32BE(4), elst!.readUInt32BE(8), elst!.readInt32BE(12)], [2, CLIP.audioDelayMs, -1]);
      // The audio's stts: every AAC frame 1024 samples, though the FLV's times are rounded ms.
      const audioStts = found.get(`${STBL}/stts`)![1]!;
      assert.deepEqual([audioStts.readUInt32BE(4), audioStts.readUInt32BE(8), audioStts.readUInt32BE(12)], [1, source.audioFrames, 1024]);

      const probe = await ffprobe(mp4Path);
      const video = probe.streams.find((s) => s.codec_type === 'video');
      const audio = probe.streams.find((s) => s.codec_type === 'audio');
      assert.deepEqual([video?.codec_name, video?.width, video?.height], [codec, CLIP.width, CLIP.height]);
      assert.deepEqual([audio?.codec_name, audio?.sample_rate, audio?.channels], ['aac', '48000', 2]);
      const decoded = await decodeVideo(mp4Path);
      assert.deepEqual(decoded.errors, []);
      assert.equal(decoded.frames, source.videoFrames, 'every picture decodes');
      const durationMs = (await mp4DurationMs(mp4Path))!;
      assert.ok(Math.abs(durationMs - CLIP.seconds * 1000) < 60, `movie duration ${durationMs} ms`);
    });
  }

  test('a crash-cut FLV (its last tag half written) becomes an MP4 of the whole tags before the cut', async () => {
    const source = made.av1!;
    const flvPath = join(dir, 'cut.flv');
    writeFileSync(flvPath, source.flv.subarray(0, Math.floor(source.flv.length * 0.6)));
    const mp4Path = await remuxToMp4(flvPath, ffmpeg);
    const decoded = await decodeVideo(mp4Path);
    assert.deepEqual(decoded.errors, []);
    assert.ok(decoded.frames > source.videoFrames * 0.4 && decoded.frames < source.videoFrames, `${decoded.frames} of ${source.videoFrames} pictures`);
  });

  test('a VP9 FLV left by a crash becomes an MP4 when the host starts (recoverLeftovers)', async () => {
    const folder = mkdtempSync(join(dir, 'leftovers-'));
    writeFileSync(join(folder, 'cam-20261207-010000.flv'), made.vp9!.flv);
    const transponders = new TransponderManager(new StreamRegistry(), () => ({ streamNamePrefix: '', fullUrl: false, keyframeIntervalMs: 2000 }));
    const manager = new RecordingManager(transponders, { dir: () => folder, ffmpeg: () => ffmpeg });
    try {
      await manager.recoverLeftovers();
      assert.deepEqual(readdirSync(folder), ['cam-20261207-010000.mp4']);
      const decoded = await decodeVideo(join(folder, 'cam-20261207-010000.mp4'));
      assert.deepEqual([decoded.errors, decoded.frames], [[], made.vp9!.videoFrames]);
    } finally {
      manager.close();
    }
  });

  test('an FLV the writer cannot take keeps its FLV, no partial MP4, and the reason is given', async () => {
    // AV1 video with G.711 audio: the MP4 writer takes AAC only.
    const tags = readFlv(made.av1!.flv).map((tag) => (tag.type === TagType.audio ? { ...tag, body: g711Body('pcma', Buffer.alloc(160, 0xd5)) } : tag));
    const flvPath = join(dir, 'pcma.flv');
    writeFileSync(flvPath, writeFlv(tags));
    await assert.rejects(remuxToMp4(flvPath, ffmpeg), /the MP4 writer: the MP4 writer takes AAC audio, not SoundFormat 7/);
    assert.equal(existsSync(flvPath), true, 'the FLV is kept');
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('pcma.mp4')), []);
  });

  test('an H.264 FLV is no Enhanced RTMP one: it keeps going through ffmpeg, an H.264 MP4', async () => {
    const flvPath = join(dir, 'h264.flv');
    writeFileSync(flvPath, readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'flv', 'testsrc-64x48-0.5s.flv')));
    assert.equal(await enhancedVideoFourCc(flvPath), undefined);
    const mp4Path = await remuxToMp4(flvPath, ffmpeg);
    const probe = await ffprobe(mp4Path);
    assert.equal(probe.streams.find((s) => s.codec_type === 'video')?.codec_name, 'h264');
    assert.equal(existsSync(flvPath), false);
  });
});
