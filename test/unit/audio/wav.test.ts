import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeWavTo48kStereo, encodeWav, parseWav, WavError } from '../../../src-relay/codec/audio/wav.js';
import { channelOf, sine, toneAmplitude } from '../../helpers/tone.js';

/** A RIFF WAVE built chunk by chunk; `size` overrides the declared size (lying headers). */
function riff(chunks: { id: string; body: Buffer; size?: number }[], riffSize?: number): Buffer {
  const parts = chunks.map(({ id, body, size }) => {
    const header = Buffer.alloc(8);
    header.write(id, 0, 'latin1');
    header.writeUInt32LE(size ?? body.length, 4);
    return Buffer.concat([header, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  });
  const content = Buffer.concat(parts);
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(riffSize ?? content.length + 4, 4);
  head.write('WAVE', 8, 'latin1');
  return Buffer.concat([head, content]);
}

function fmt(tag: number, channels: number, rate: number, bits: number, blockAlign = (channels * bits) / 8): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(tag, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate, 4);
  b.writeUInt32LE(rate * blockAlign, 8);
  b.writeUInt16LE(blockAlign, 12);
  b.writeUInt16LE(bits, 14);
  return b;
}

const KSDATAFORMAT_TAIL = '000000001000800000aa00389b71';
function extensibleFmt(subformat: number, channels: number, rate: number, containerBits: number, validBits: number, guidTail = KSDATAFORMAT_TAIL): Buffer {
  const b = Buffer.alloc(40);
  fmt(0xfffe, channels, rate, containerBits).copy(b);
  b.writeUInt16LE(22, 16); // cbSize
  b.writeUInt16LE(validBits, 18);
  b.writeUInt32LE(channels === 2 ? 0x3 : 0x4, 20); // dwChannelMask
  b.writeUInt16LE(subformat, 24);
  Buffer.from(guidTail, 'hex').copy(b, 26);
  return b;
}

const SAMPLE_VALUES = [0, 0.5, -0.5, 0.25, -1, 0.999];

describe('parseWav: every format reads the right samples', () => {
  for (const [bits, float] of [[8, false], [16, false], [24, false], [32, false], [32, true], [64, true]] as const) {
    for (const channels of [1, 2, 6, 8]) {
      test(`${float ? 'float' : 'PCM'} ${bits}-bit, ${channels} channel(s)`, () => {
        const frames = SAMPLE_VALUES.length;
        const samples = new Float32Array(frames * channels);
        for (let f = 0; f < frames; f++) for (let c = 0; c < channels; c++) samples[f * channels + c] = SAMPLE_VALUES[f]! * (c % 2 ? -1 : 1);
        const wav = parseWav(encodeWav(samples, 22050, channels, bits, float));
        assert.equal(wav.sampleRate, 22050);
        assert.equal(wav.channels, channels);
        assert.equal(wav.bitsPerSample, bits);
        assert.equal(wav.format, float ? 'float' : 'pcm');
        assert.equal(wav.frames, frames);
        const tolerance = bits === 8 ? 1 / 64 : 1e-4;
        for (let f = 0; f < frames; f++) {
          for (let c = 0; c < channels; c++) {
            const want = samples[f * channels + c]!;
            assert.ok(Math.abs(wav.channelData[c]![f]! - want) <= tolerance, `frame ${f} ch ${c}: ${wav.channelData[c]![f]} vs ${want}`);
          }
        }
      });
    }
  }

  test('16-bit values are exact, 8-bit is unsigned with 128 as zero', () => {
    const wav16 = parseWav(encodeWav(Int16Array.from([0, 1, -1, 32767, -32768]), 8000, 1));
    assert.deepEqual(Array.from(wav16.channelData[0]!), [0, 1 / 32768, -1 / 32768, 32767 / 32768, -1]);
    const data8 = Buffer.from([128, 255, 0, 192]);
    const wav8 = parseWav(riff([{ id: 'fmt ', body: fmt(1, 1, 8000, 8) }, { id: 'data', body: data8 }]));
    assert.deepEqual(Array.from(wav8.channelData[0]!), [0, 127 / 128, -1, 0.5]);
  });

  test('WAVE_FORMAT_EXTENSIBLE: 24 valid bits in 32-bit containers, and float', () => {
    const data = Buffer.alloc(8);
    data.writeInt32LE(0x40000000, 0); // +0.5, left-justified 24-bit in a 32-bit container
    data.writeInt32LE(-0x40000000, 4);
    const pcm = parseWav(riff([{ id: 'fmt ', body: extensibleFmt(1, 2, 48000, 32, 24) }, { id: 'data', body: data }]));
    assert.equal(pcm.format, 'pcm');
    assert.deepEqual([pcm.channelData[0]![0], pcm.channelData[1]![0]], [0.5, -0.5]);
    const fdata = Buffer.alloc(4);
    fdata.writeFloatLE(0.75, 0);
    const flt = parseWav(riff([{ id: 'fmt ', body: extensibleFmt(3, 1, 44100, 32, 32) }, { id: 'data', body: fdata }]));
    assert.equal(flt.format, 'float');
    assert.equal(flt.channelData[0]![0], 0.75);
  });

  test('odd-sized chunks with pad bytes and unknown chunks are skipped', () => {
    const data = Buffer.alloc(6);
    data.writeInt16LE(16384, 0);
    data.writeInt16LE(-16384, 2);
    data.writeInt16LE(8192, 4);
    const fmt18 = Buffer.concat([fmt(1, 1, 16000, 16), Buffer.alloc(2)]); // cbSize = 0
    const wav = parseWav(
      riff([
        { id: 'JUNK', body: Buffer.from('abc') }, // odd: pad byte follows
        { id: 'fmt ', body: fmt18 },
        { id: 'LIST', body: Buffer.from('INFOISFT\x05\x00\x00\x00abcde', 'latin1') }, // odd again
        { id: 'fact', body: Buffer.from([3, 0, 0, 0]) },
        { id: 'data', body: data },
      ]),
    );
    assert.deepEqual(Array.from(wav.channelData[0]!), [0.5, -0.5, 0.25]);
  });

  test('a data chunk of odd size (8-bit mono) with its pad byte', () => {
    const wav = parseWav(riff([{ id: 'fmt ', body: fmt(1, 1, 8000, 8) }, { id: 'data', body: Buffer.from([128, 128, 255]) }, { id: 'LIST', body: Buffer.alloc(4) }]));
    assert.equal(wav.frames, 3);
  });
});

describe('parseWav: traps are rejected with a clear WavError', () => {
  const good = Buffer.alloc(4);
  const cases: [string, Buffer, RegExp][] = [
    ['empty file', Buffer.alloc(0), /0 bytes, shorter than the 12-byte RIFF header/],
    ['not RIFF', Buffer.from('OggS\0\0\0\0WAVEfmt '), /not a RIFF file: starts with "OggS"/],
    ['RIFX (big-endian)', Buffer.from('RIFX\x10\0\0\0WAVE', 'latin1'), /RIFX is not supported/],
    ['not WAVE', Buffer.from('RIFF\x04\0\0\0AVI ', 'latin1'), /form type is "AVI ", not "WAVE"/],
    ['RIFF size 0', riff([{ id: 'fmt ', body: fmt(1, 1, 8000, 16) }, { id: 'data', body: good }], 0), /RIFF size 0 is not a real size/],
    ['RIFF size 0xFFFFFFFF', riff([{ id: 'fmt ', body: fmt(1, 1, 8000, 16) }, { id: 'data', body: good }], 0xffffffff), /RIFF size 4294967295/],
    ['fmt size larger than the file', riff([{ id: 'fmt ', body: fmt(1, 1, 8000, 16), size: 100000 }]), /"fmt " at byte 12 declares 100000 bytes but only 16 remain/],
    ['unknown chunk size 0xFFFFFFFF', riff([{ id: 'LIST', body: good, size: 0xffffffff }]), /"LIST" at byte 12 has size 0xFFFFFFFF/],
    ['data size 0', riff([{ id: 'fmt ', body: fmt(1, 1, 8000, 16) }, { id: 'data', body: Buffer.alloc(0) }]), /"data" chunk size is 0/],
    ['data size 0xFFFFFFFF', riff([{ id: 'fmt ', body: fmt(1, 1, 8000, 16) }, { id: 'data', body: good, size: 0xffffffff }]), /"data" at byte 36 has size 0xFFFFFFFF/],
    ['data before fmt', riff([{ id: 'data', body: good }, { id: 'fmt ', body: fmt(1, 1, 8000, 16) }]), /"data" chunk at byte 12 comes before the "fmt " chunk/],
    ['zero channels', riff([{ id: 'fmt ', body: fmt(1, 0, 8000, 16, 2) }, { id: 'data', body: good }]), /channel count must be 1–8, got 0/],
    ['nine channels', riff([{ id: 'fmt ', body: fmt(1, 9, 8000, 16) }, { id: 'data', body: Buffer.alloc(18) }]), /channel count must be 1–8, got 9/],
    ['zero sample rate', riff([{ id: 'fmt ', body: fmt(1, 1, 0, 16) }, { id: 'data', body: good }]), /sample rate must be 1000–768000 Hz, got 0/],
    ['zero block align', riff([{ id: 'fmt ', body: fmt(1, 1, 8000, 16, 0) }, { id: 'data', body: good }]), /block align is 0/],
    ['lying block align', riff([{ id: 'fmt ', body: fmt(1, 2, 8000, 16, 3) }, { id: 'data', body: good }]), /block align 3 does not match 2 channels × 16 bits \(4\)/],
    ['ADPCM', riff([{ id: 'fmt ', body: fmt(2, 1, 8000, 4, 256) }, { id: 'data', body: good }]), /unsupported WAVE format tag 0x0002/],
    ['12-bit PCM', riff([{ id: 'fmt ', body: fmt(1, 1, 8000, 12, 2) }, { id: 'data', body: good }]), /pcm bits per sample must be one of 8\/16\/24\/32, got 12/],
    ['16-bit float', riff([{ id: 'fmt ', body: fmt(3, 1, 8000, 16) }, { id: 'data', body: good }]), /float bits per sample must be one of 32\/64, got 16/],
    ['fmt too short', riff([{ id: 'fmt ', body: Buffer.alloc(14) }, { id: 'data', body: good }]), /"fmt " chunk is 14 bytes, needs at least 16/],
    ['two fmt chunks', riff([{ id: 'fmt ', body: fmt(1, 1, 8000, 16) }, { id: 'fmt ', body: fmt(1, 1, 8000, 16) }, { id: 'data', body: good }]), /second "fmt " chunk/],
    ['no data chunk', riff([{ id: 'fmt ', body: fmt(1, 1, 8000, 16) }]), /no "data" chunk/],
    ['no fmt chunk', riff([{ id: 'LIST', body: good }]), /no "fmt " chunk/],
    ['data shorter than one frame', riff([{ id: 'fmt ', body: fmt(1, 2, 8000, 16) }, { id: 'data', body: Buffer.alloc(2) }]), /holds 2 bytes, less than one 4-byte sample frame/],
    ['EXTENSIBLE with an unknown SubFormat', riff([{ id: 'fmt ', body: extensibleFmt(1, 2, 48000, 16, 16, '0'.repeat(28)) }, { id: 'data', body: good }]), /unsupported WAVE_FORMAT_EXTENSIBLE SubFormat GUID/],
    ['EXTENSIBLE with valid bits above the container', riff([{ id: 'fmt ', body: extensibleFmt(1, 2, 48000, 16, 24) }, { id: 'data', body: good }]), /valid bits per sample 24 exceed the 16-bit container/],
    ['EXTENSIBLE fmt cut short', riff([{ id: 'fmt ', body: extensibleFmt(1, 2, 48000, 16, 16).subarray(0, 24) }, { id: 'data', body: good }]), /EXTENSIBLE "fmt " chunk is 24 bytes, needs 40/],
  ];
  for (const [name, buf, message] of cases) {
    test(name, () => {
      assert.throws(() => parseWav(buf), (err: unknown) => err instanceof WavError && message.test(err.message));
    });
  }

  test('a data size larger than the file (a cut recording) is clamped to the whole frames present, with a warning', () => {
    const buf = riff([{ id: 'fmt ', body: fmt(1, 2, 8000, 16) }, { id: 'data', body: Buffer.alloc(10), size: 4000 }], 4036);
    const wav = parseWav(buf);
    assert.equal(wav.frames, 2);
    assert.ok(wav.warnings.some((w) => /"data" size 4000 runs past the end of the file; clamped to the 10 bytes present/.test(w)));
    assert.ok(wav.warnings.some((w) => /RIFF size 4036 runs past the end/.test(w)));
  });

  test('fuzz: thousands of mutated WAVs only ever parse or throw WavError, with bounded output', () => {
    const seedFiles = [
      encodeWav(sine(440, 8000, 64, 9000, 2), 8000, 2),
      encodeWav(Float32Array.from({ length: 48 }, (_, i) => Math.sin(i)), 16000, 3, 32, true),
      encodeWav(sine(440, 8000, 40, 9000), 8000, 1, 8),
      riff([{ id: 'JUNK', body: Buffer.from('x') }, { id: 'fmt ', body: extensibleFmt(1, 2, 48000, 24, 24) }, { id: 'data', body: Buffer.alloc(60) }]),
    ];
    const interesting = [0, 1, 2, 3, 4, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0xfffe, 0xffff, 16, 40];
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let parsed = 0;
    let rejected = 0;
    for (let i = 0; i < 4000; i++) {
      const buf = Buffer.from(seedFiles[i % seedFiles.length]!);
      let mutated = buf;
      const kind = random(4);
      if (kind === 0) {
        for (let k = 0; k <= random(4); k++) buf[random(buf.length)] = random(256);
      } else if (kind === 1) {
        const at = random(Math.max(1, buf.length - 4)) & ~1;
        buf.writeUInt32LE(interesting[random(interesting.length)]!, Math.min(at, buf.length - 4));
      } else if (kind === 2) {
        mutated = buf.subarray(0, random(buf.length));
      } else {
        buf.writeUInt16LE(interesting[random(interesting.length)]! & 0xffff, 12 + 8 + (random(8) & ~1));
      }
      try {
        const wav = parseWav(mutated);
        parsed++;
        assert.ok(wav.frames * wav.channels <= mutated.length, 'more samples than bytes');
        assert.equal(wav.channelData.length, wav.channels);
        for (const c of wav.channelData) for (const v of c) assert.ok(v >= -1 && v <= 1, `sample ${v} out of range`);
      } catch (err) {
        if (!(err instanceof WavError)) throw new Error(`mutation ${i} threw ${String(err)}`);
        rejected++;
      }
    }
    assert.ok(parsed > 100 && rejected > 100, `parsed ${parsed}, rejected ${rejected}`);
  });
});

describe('decodeWavTo48kStereo', () => {
  test('mono 44.1 kHz 1 kHz tone → 48 kHz stereo, same duration, tone on both sides', () => {
    const pcm = decodeWavTo48kStereo(encodeWav(sine(1000, 44100, 44100, 12000), 44100, 1));
    assert.equal(pcm.length, 48000 * 2);
    for (const c of [0, 1]) {
      const x = channelOf(pcm, 2, c).subarray(2400, 45600);
      assert.ok(Math.abs(toneAmplitude(x, 48000, 1000) - 12000) < 200);
    }
  });

  test('48 kHz stereo passes through unchanged', () => {
    const input = sine(500, 48000, 4800, 20000, 2);
    assert.deepEqual(decodeWavTo48kStereo(encodeWav(input, 48000, 2)), input);
  });

  test('6 channels are downmixed (LFE dropped)', () => {
    const frames = 4800;
    const six = new Int16Array(frames * 6);
    for (let f = 0; f < frames; f++) six[f * 6 + 3] = 30000; // only LFE
    const pcm = decodeWavTo48kStereo(encodeWav(six, 48000, 6));
    assert.equal(pcm.length, frames * 2);
    assert.ok(pcm.every((v) => v === 0));
  });
});
