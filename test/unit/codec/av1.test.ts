import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  av1CodecConfigurationRecord,
  av1IsKeyframe,
  findSequenceHeader,
  ObuType,
  parseAv1SequenceHeader,
  readLeb128,
  splitObus,
  withSizeField,
  writeLeb128,
} from '../../../src-relay/codec/av1.js';

/** The body of the first box of this type in an MP4 file (a plain byte search: av1C appears once). */
function boxBody(file: Buffer, type: string): Buffer {
  const at = file.indexOf(type, 0, 'latin1');
  assert.ok(at >= 4, `no ${type} box`);
  return file.subarray(at + 4, at - 4 + file.readUInt32BE(at - 4));
}

/** Encodes 3 frames of 128x72 with ffmpeg, returns the low-overhead OBU stream and the av1C ffmpeg writes into an MP4 of it. */
function encode(encoder: string[]): { obus: Buffer; av1C: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'av1-'));
  try {
    const obuFile = join(dir, 'x.obu');
    const mp4File = join(dir, 'x.mp4');
    const run = (args: string[]) => {
      const r = spawnSync('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args], { timeout: 60_000 });
      assert.equal(r.status, 0, `ffmpeg ${args.join(' ')}: ${r.stderr}`);
    };
    run(['-f', 'lavfi', '-i', 'testsrc2=size=128x72:rate=30', '-frames:v', '3', '-c:v', ...encoder, '-f', 'obu', obuFile]);
    run(['-f', 'obu', '-i', obuFile, '-c', 'copy', mp4File]);
    return { obus: readFileSync(obuFile), av1C: boxBody(readFileSync(mp4File), 'av1C') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Temporal units of a low-overhead stream, each without its leading temporal delimiter. */
function temporalUnits(stream: Buffer): Buffer[] {
  const units: Buffer[][] = [];
  for (const o of splitObus(stream)) {
    if (o.type === ObuType.temporalDelimiter) units.push([]);
    else units.at(-1)!.push(o.obu);
  }
  return units.map((u) => Buffer.concat(u));
}

describe('AV1 sequence header and AV1CodecConfigurationRecord', () => {
  const cases: { name: string; encoder: string[]; expect: Partial<ReturnType<typeof parseAv1SequenceHeader>> }[] = [
    { name: 'libaom 8-bit 4:2:0', encoder: ['libaom-av1', '-cpu-used', '8', '-pix_fmt', 'yuv420p'], expect: { profile: 0, bitDepth: 8, chromaSubsamplingX: 1, chromaSubsamplingY: 1 } },
    { name: 'libaom 10-bit', encoder: ['libaom-av1', '-cpu-used', '8', '-pix_fmt', 'yuv420p10le'], expect: { profile: 0, bitDepth: 10 } },
    { name: 'libaom 4:4:4 (profile 1)', encoder: ['libaom-av1', '-cpu-used', '8', '-pix_fmt', 'yuv444p'], expect: { profile: 1, chromaSubsamplingX: 0, chromaSubsamplingY: 0 } },
    { name: 'SVT-AV1', encoder: ['libsvtav1', '-pix_fmt', 'yuv420p'], expect: { profile: 0, bitDepth: 8 } },
    { name: 'rav1e (timing info, level 31)', encoder: ['librav1e', '-speed', '10', '-pix_fmt', 'yuv420p'], expect: { profile: 0, level: 31 } },
  ];
  for (const { name, encoder, expect } of cases) {
    test(`${name}: the record is byte for byte the av1C ffmpeg writes into an MP4 of the same stream`, () => {
      const { obus, av1C } = encode(encoder);
      const sequenceHeader = findSequenceHeader(obus);
      assert.ok(sequenceHeader);
      const info = parseAv1SequenceHeader(sequenceHeader);
      assert.deepEqual([info.width, info.height], [128, 72]);
      for (const [key, value] of Object.entries(expect)) assert.equal(info[key as keyof typeof info], value, key);
      assert.equal(av1CodecConfigurationRecord(sequenceHeader).toString('hex'), av1C.toString('hex'));
      const units = temporalUnits(obus);
      assert.equal(av1IsKeyframe(units[0]), true);
      assert.equal(av1IsKeyframe(units[1]), false);
    });
  }

  test('leb128 reads and writes values up to 2^32-1 and refuses truncated or oversized ones', () => {
    for (const v of [0, 1, 127, 128, 300, 2 ** 21, 0xffffffff]) assert.deepEqual(readLeb128(writeLeb128(v), 0), { value: v, length: writeLeb128(v).length });
    assert.equal(readLeb128(Buffer.from([0x80, 0x80]), 0), undefined);
    assert.equal(readLeb128(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 0), undefined);
    assert.equal(readLeb128(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x10]), 0), undefined); // 2^32
    assert.throws(() => writeLeb128(-1), /outside/);
    // The padded form (a 0x80 continuation with zero bits) reads as the same value.
    assert.deepEqual(readLeb128(Buffer.from([0x85, 0x80, 0x00]), 0), { value: 5, length: 3 });
  });

  test('an OBU without size field gains one; malformed streams and headers fail with a reason', () => {
    assert.deepEqual(withSizeField(Buffer.from([0x30, 1, 2])), Buffer.from([0x32, 2, 1, 2]));
    assert.deepEqual(withSizeField(Buffer.from([0x34, 0x08, 7])), Buffer.from([0x36, 0x08, 1, 7])); // with extension header
    assert.throws(() => splitObus(Buffer.from([0x30, 1])), /no size field/);
    assert.throws(() => splitObus(Buffer.from([0x32, 9, 1])), /exceeds/);
    assert.throws(() => splitObus(Buffer.from([0x32, 0x80])), /leb128/);
    assert.throws(() => parseAv1SequenceHeader(Buffer.from([0x32, 0])), /not a sequence header/);
    assert.throws(() => parseAv1SequenceHeader(Buffer.from([0x0a, 2, 0, 0])), /AV1 sequence header truncated/);
    assert.equal(findSequenceHeader(Buffer.from([0x0a, 0x80])), undefined);
    assert.equal(av1IsKeyframe(Buffer.from([0xff])), false);
  });
});
