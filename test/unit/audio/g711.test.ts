import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { alawToLinear, decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw, linearToAlaw, linearToUlaw, ulawToLinear } from '../../../src-relay/codec/audio/g711.js';

describe('G.711 (ITU-T G.711 tables)', () => {
  test('known code words: silence, full scale, sign', () => {
    // A-law: +0 → 0xD5 (even bits inverted), decodes to +8 (the middle of the first step); -1 → 0x55.
    assert.equal(linearToAlaw(0), 0xd5);
    assert.equal(linearToAlaw(-1), 0x55);
    assert.equal(alawToLinear(0xd5), 8);
    assert.equal(alawToLinear(0x55), -8);
    assert.equal(linearToAlaw(32767), 0xaa);
    assert.equal(linearToAlaw(-32768), 0x2a);
    assert.equal(alawToLinear(0xaa), 32256);
    assert.equal(alawToLinear(0x2a), -32256);
    // µ-law: 0 → 0xFF, decodes to 0; full scale 0x80 / 0x00 → ±32124.
    assert.equal(linearToUlaw(0), 0xff);
    assert.equal(ulawToLinear(0xff), 0);
    assert.equal(ulawToLinear(0x7f), 0);
    assert.equal(linearToUlaw(32767), 0x80);
    assert.equal(linearToUlaw(-32768), 0x00);
    assert.equal(ulawToLinear(0x80), 32124);
    assert.equal(ulawToLinear(0x00), -32124);
  });

  test('chord boundaries follow Table 1b/2b (A-law segment 1 starts at 256, µ-law at 33·4)', () => {
    assert.equal(alawToLinear(linearToAlaw(255)), 248);
    assert.equal(alawToLinear(linearToAlaw(256)), 264);
    assert.equal(ulawToLinear(linearToUlaw(128)), 132);
    assert.equal(ulawToLinear(linearToUlaw(1000)), 988);
  });

  test('every code word decodes to a value that encodes back to the same code word', () => {
    for (let code = 0; code < 256; code++) {
      assert.equal(linearToAlaw(alawToLinear(code)), code, `A-law 0x${code.toString(16)}`);
      const u = linearToUlaw(ulawToLinear(code));
      // µ-law has two zeros (0x7F and 0xFF): both decode to 0, which encodes as 0xFF.
      assert.equal(u, code === 0x7f ? 0xff : code, `µ-law 0x${code.toString(16)}`);
    }
  });

  test('round trip error is at most half the quantisation step of the chord', () => {
    // Step sizes in 16-bit units: A-law 16 in chords 0–1, then 16·2^(chord−1); µ-law 8·2^chord. G.711 is
    // defined on 13-bit (A) / 14-bit (µ) linear PCM: the 3 / 2 low bits dropped from 16-bit input add ≤ 7 / 3.
    const alawHalfStep = (code: number) => {
      const chord = ((code ^ 0x55) >> 4) & 7;
      return chord < 2 ? 8 : 8 << (chord - 1);
    };
    const ulawHalfStep = (code: number) => 4 << ((~code >> 4) & 7);
    const pcm = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    const alaw = encodeAlaw(pcm);
    const ulaw = encodeUlaw(pcm);
    const a = decodeAlaw(alaw);
    const u = decodeUlaw(ulaw);
    for (let i = 0; i < pcm.length; i++) {
      const x = pcm[i]!;
      // Past the last decision value the coders clip (A-law ±32256 + half step, µ-law ±32124 + half step).
      if (Math.abs(x) <= 32256 + 512) assert.ok(Math.abs(a[i]! - x) <= alawHalfStep(alaw[i]!) + 7, `A-law ${x} → ${a[i]}`);
      if (Math.abs(x) <= 32124 + 512) assert.ok(Math.abs(u[i]! - x) <= ulawHalfStep(ulaw[i]!) + 3, `µ-law ${x} → ${u[i]}`);
    }
  });

  test('encoders are monotonic in the decoded domain', () => {
    let prevA = -Infinity;
    let prevU = -Infinity;
    for (let x = -32768; x <= 32767; x += 7) {
      const a = alawToLinear(linearToAlaw(x));
      const u = ulawToLinear(linearToUlaw(x));
      assert.ok(a >= prevA && u >= prevU, `not monotonic at ${x}`);
      prevA = a;
      prevU = u;
    }
  });
});
