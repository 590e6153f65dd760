import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  enhancedConnectFields,
  exVideoFrameBody,
  exVideoSequenceEndBody,
  exVideoSequenceStartBody,
  exVideoTagInfo,
  fourCcCodecId,
  VideoPacketType,
  videoBodyFlags,
} from '../../../src-relay/flv/enhanced.js';
import { TagType } from '../../../src-relay/flv/tags.js';
import { writeFlv, type FlvTag } from '../../../src-relay/flv/file.js';
import { encodeAmf0, decodeAmf0 } from '../../../src-relay/rtmp/amf0.js';
import { Av1Depacketizer } from '../../../src-relay/rtp/av1.js';
import type { DepacketizerOutput } from '../../../src-relay/rtp/frame-assembler.js';
import { av1CodecConfigurationRecord, findSequenceHeader } from '../../../src-relay/codec/av1.js';
import { Vp9Depacketizer } from '../../../src-relay/rtp/vp9.js';
import { vp9PictureInfo, vpCodecConfigurationRecord } from '../../../src-relay/codec/vp9.js';
import { loadRtpFixture } from '../../helpers/rtp-fixture.js';
import { decodeWithNodeAv } from '../../helpers/node-av.js';

const hex = (b: Buffer) => b.toString('hex');

describe('Enhanced RTMP v2 video tag bodies', () => {
  test('bytes as the spec draws them: IsExVideoHeader | FrameType << 4 | PacketType, then the FOURCC', () => {
    const record = Buffer.from([0x81, 0x00, 0x0c, 0x00]);
    assert.equal(hex(exVideoSequenceStartBody('av01', record)), '90' + hex(Buffer.from('av01')) + '81000c00');
    assert.equal(hex(exVideoFrameBody('av01', true, Buffer.from([0x0a]))), '91' + hex(Buffer.from('av01')) + '0a');
    assert.equal(hex(exVideoFrameBody('vp09', false, Buffer.from([0x86]))), 'a1' + hex(Buffer.from('vp09')) + '86');
    assert.equal(hex(exVideoSequenceEndBody('av01')), '92' + hex(Buffer.from('av01')));
    // avc1/hvc1 carry an SI24 composition time in CodedFrames, none in CodedFramesX.
    assert.equal(hex(exVideoFrameBody('hvc1', true, Buffer.from([1]))), '93' + hex(Buffer.from('hvc1')) + '01');
    assert.equal(hex(exVideoFrameBody('hvc1', false, Buffer.from([1]), -2)), 'a1' + hex(Buffer.from('hvc1')) + 'fffffe01');
    assert.throws(() => exVideoFrameBody('av01', true, Buffer.alloc(1), 33), /no composition time/);
    assert.throws(() => exVideoFrameBody('hvc1', true, Buffer.alloc(1), 2 ** 24), /SI24/);
    assert.throws(() => exVideoSequenceStartBody('xxxx' as 'av01', record), /not one of/);
  });

  test('exVideoTagInfo reads back what was written and refuses what it does not read', () => {
    const info = exVideoTagInfo(exVideoFrameBody('hvc1', false, Buffer.from([7, 8]), 40))!;
    assert.deepEqual({ ...info, data: hex(info.data) }, {
      fourCc: 'hvc1', packetType: VideoPacketType.codedFrames, frameType: 2, keyframe: false, sequenceStart: false, sequenceEnd: false, cts: 40, data: '0708',
    });
    const start = exVideoTagInfo(exVideoSequenceStartBody('vp09', Buffer.from([1, 0, 0, 0])))!;
    assert.equal(start.sequenceStart, true);
    assert.equal(start.keyframe, true);
    assert.equal(hex(start.data), '01000000');
    assert.equal(exVideoTagInfo(exVideoSequenceEndBody('av01'))!.sequenceEnd, true);
    assert.equal(exVideoTagInfo(Buffer.from([0x17, 0x01, 0, 0, 0])), undefined); // classic AVC
    assert.equal(exVideoTagInfo(Buffer.alloc(0)), undefined);
    assert.throws(() => exVideoTagInfo(Buffer.from([0x91, 0x61, 0x76])), /at least 5/);
    assert.throws(() => exVideoTagInfo(Buffer.from([0x91, 0x61, 0x76, 0x63, 0x32])), /FourCC 'avc2'/);
    assert.throws(() => exVideoTagInfo(Buffer.from([0x94, ...Buffer.from('av01')])), /packet type 4/);
    assert.throws(() => exVideoTagInfo(Buffer.from([0x91, ...Buffer.from('hvc1'), 0])), /composition time/);
  });

  test('videoBodyFlags reads keyframe and sequence header of classic and enhanced bodies alike', () => {
    assert.deepEqual(videoBodyFlags(exVideoSequenceStartBody('av01', Buffer.alloc(4))), { keyframe: true, sequenceHeader: true, enhanced: true });
    assert.deepEqual(videoBodyFlags(exVideoFrameBody('av01', true, Buffer.alloc(1))), { keyframe: true, sequenceHeader: false, enhanced: true });
    assert.deepEqual(videoBodyFlags(exVideoFrameBody('vp09', false, Buffer.alloc(1))), { keyframe: false, sequenceHeader: false, enhanced: true });
    assert.deepEqual(videoBodyFlags(Buffer.from([0x17, 0x00, 0, 0, 0])), { keyframe: true, sequenceHeader: true, enhanced: false });
    assert.deepEqual(videoBodyFlags(Buffer.from([0x27, 0x01, 0, 0, 0])), { keyframe: false, sequenceHeader: false, enhanced: false });
    assert.deepEqual(videoBodyFlags(Buffer.from([0x9f])), { keyframe: true, sequenceHeader: false, enhanced: true });
    assert.deepEqual(videoBodyFlags(Buffer.alloc(0)), { keyframe: false, sequenceHeader: false, enhanced: false });
  });

  test('videocodecid is the FOURCC as a UI32; connect declares the FOURCCs as a strict array and an info map', () => {
    assert.equal(fourCcCodecId('av01'), 0x61763031);
    assert.equal(fourCcCodecId('hvc1'), 0x68766331);
    const fields = enhancedConnectFields(['av01', 'vp09', 'hvc1']);
    assert.deepEqual(fields, { fourCcList: ['av01', 'vp09', 'hvc1'], videoFourCcInfoMap: { av01: 2, vp09: 2, hvc1: 2 } });
    const amf = encodeAmf0({ app: 'live', ...fields });
    assert.equal(amf.indexOf(Buffer.from([0x0a, 0, 0, 0, 3])) > 0, true, 'fourCcList is an AMF0 strict array of 3');
    assert.deepEqual(decodeAmf0(amf)[0], { app: 'live', ...fields });
    assert.throws(() => enhancedConnectFields(['av1 ' as 'av01']), /not one of/);
  });

  test("FLV files of Chromium's AV1 and VP9, as SequenceStart + CodedFrames + SequenceEnd, decode in FFmpeg 8 (node-av): every frame, 320x180", async () => {
    const streams = [
      { fourCc: 'av01' as const, fixture: 'chromium-av1-320x180.bin', depacketizer: new Av1Depacketizer(), record: (key: Buffer) => av1CodecConfigurationRecord(findSequenceHeader(key)!) },
      { fourCc: 'vp09' as const, fixture: 'chromium-vp9-320x180.bin', depacketizer: new Vp9Depacketizer(), record: (key: Buffer) => vpCodecConfigurationRecord(vp9PictureInfo(key)) },
    ];
    const dir = mkdtempSync(join(tmpdir(), 'eflv-'));
    try {
      for (const { fourCc, fixture, depacketizer, record } of streams) {
        const frames = loadRtpFixture(fixture)
          .flatMap((packet) => depacketizer.processInput({ kind: 'packet', packet }))
          .filter((o): o is Extract<DepacketizerOutput, { kind: 'frame' }> => o.kind === 'frame');
        const t0 = frames[0].timestamp;
        const time = (ts: number) => Math.round(((ts - t0) >>> 0) / 90);
        const tags: FlvTag[] = [
          { type: TagType.video, timestamp: 0, body: exVideoSequenceStartBody(fourCc, record(frames[0].data)) },
          ...frames.map((f) => ({ type: TagType.video, timestamp: time(f.timestamp), body: exVideoFrameBody(fourCc, f.keyframe, f.data) })),
          { type: TagType.video, timestamp: time(frames.at(-1)!.timestamp), body: exVideoSequenceEndBody(fourCc) },
        ];
        const file = join(dir, `${fourCc}.flv`);
        writeFileSync(file, writeFlv(tags, { video: true, audio: false }));
        const decoded = await decodeWithNodeAv(file);
        assert.deepEqual(decoded, { codec: fourCc === 'av01' ? 'av1' : 'vp9', width: 320, height: 180, frames: frames.length, errors: [] }, fourCc);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
