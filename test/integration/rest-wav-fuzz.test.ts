// Fuzzed WAV files through `sound_on` against a real transponder on the real host (docs/DESIGN.md §7): the right
// status for each, and the host keeps serving. Hand-written lying headers plus a few hundred
// seeded mutations (truncations, flipped header bytes, header fields set to edge values, junk chunks) of
// valid files of every format we read. Each must answer 200, or 400 with an {"error"} that says what is
// wrong; never 500; and afterwards the host still serves and the transponder still publishes.
//
// The source stream is published from code, straight into the host's registry, with 20 ms PCM chunks on a
// timer: cheaper than a browser, and `sound_on` only needs a live stream whose audio drives the mixer. The
// transponder uses G.711 µ-law so that each sound's own group costs no ffmpeg process (the codec is not what
// is under test here; the WAV reader and the REST layer are).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav } from '../../src-relay/codec/audio/wav.js';
import { silentLog } from '../../src-relay/log.js';
import type { LiveStream } from '../../src-relay/streams.js';
import { createHost, type Host } from '../../src-main/host.js';
import { startNginxRtmp, removeDir, PLAIN_HOST, type NginxRtmp } from '../helpers/servers.js';
import { push } from '../helpers/http-client.js';
import { waitFor } from '../helpers/wait.js';
import { mulberry32 } from '../helpers/prng.js';

const STREAM = 'fuzz_source';
const SEED = Number(process.env.CASTBRIDGE_FUZZ_SEED ?? 0x5eed4);
const MUTATIONS = 300;
const CHUNK_MS = 20;

function tone(frames: number, channels: number, rate: number): Float32Array {
  const out = new Float32Array(frames * channels);
  for (let i = 0; i < out.length; i++) out[i] = 0.4 * Math.sin((2 * Math.PI * 440 * Math.floor(i / channels)) / rate);
  return out;
}

/** A chunk: id, little-endian size, body, pad byte when odd (RIFF). */
function chunk(id: string, body: Buffer, size = body.length): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'latin1');
  head.writeUInt32LE(size >>> 0, 4);
  return Buffer.concat([head, body, Buffer.alloc(body.length & 1)]);
}

function riff(chunks: Buffer[], riffSize?: number): Buffer {
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), ...chunks]);
  const head = Buffer.alloc(8);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE((riffSize ?? body.length) >>> 0, 4);
  return Buffer.concat([head, body]);
}

/** A 16-byte `fmt ` body, fields as given (no consistency enforced: that is the point). */
function fmt(f: { tag?: number; channels?: number; rate?: number; byteRate?: number; align?: number; bits?: number }): Buffer {
  const channels = f.channels ?? 2;
  const bits = f.bits ?? 16;
  const rate = f.rate ?? 48000;
  const align = f.align ?? (channels * bits) / 8;
  const b = Buffer.alloc(16);
  b.writeUInt16LE(f.tag ?? 1, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate >>> 0, 4);
  b.writeUInt32LE((f.byteRate ?? rate * align) >>> 0, 8);
  b.writeUInt16LE(align & 0xffff, 12);
  b.writeUInt16LE(bits, 14);
  return b;
}

/** WAVE_FORMAT_EXTENSIBLE `fmt ` body (40 bytes) with the given subformat tag and GUID tail. */
function fmtExtensible(o: { channels: number; bits: number; validBits?: number; subTag?: number; cbSize?: number; badGuid?: boolean }): Buffer {
  const b = Buffer.alloc(40);
  fmt({ tag: 0xfffe, channels: o.channels, bits: o.bits }).copy(b);
  b.writeUInt16LE(o.cbSize ?? 22, 16);
  b.writeUInt16LE(o.validBits ?? o.bits, 18);
  b.writeUInt32LE((1 << o.channels) - 1, 20);
  b.writeUInt16LE(o.subTag ?? 1, 24);
  Buffer.from(o.badGuid ? '000000001000800000aa00389b72' : '000000001000800000aa00389b71', 'hex').copy(b, 26);
  return b;
}

const pcm16 = (frames: number, channels = 2) => encodeWav(tone(frames, channels, 48000), 48000, channels, 16).subarray(44);

/** Valid files of every format the reader takes: the seeds of the mutations, and each must play (200). */
function validFiles(): Record<string, Buffer> {
  return {
    'pcm16-48k-stereo': encodeWav(tone(4800, 2, 48000), 48000, 2, 16),
    'pcm8-11025-mono': encodeWav(tone(1103, 1, 11025), 11025, 1, 8),
    'pcm24-44100-stereo': encodeWav(tone(4410, 2, 44100), 44100, 2, 24),
    'pcm32-22050-mono': encodeWav(tone(2205, 1, 22050), 22050, 1, 32),
    'float32-96k-stereo': encodeWav(tone(9600, 2, 96000), 96000, 2, 32, true),
    'float64-8k-mono': encodeWav(tone(800, 1, 8000), 8000, 1, 64, true),
    'extensible-6ch-pcm16': riff([chunk('fmt ', fmtExtensible({ channels: 6, bits: 16 })), chunk('data', pcm16(480, 6))]),
    'odd-list-chunk-then-data': riff([chunk('fmt ', fmt({})), chunk('LIST', Buffer.from('INFOISFT', 'latin1').subarray(0, 7)), chunk('data', pcm16(480))]),
    'data-size-past-the-end': riff([chunk('fmt ', fmt({})), chunk('data', pcm16(480), 480 * 4 + 4000)]),
  };
}

/** Hand-written lies and damage, each a known way a header can be wrong. */
function lyingFiles(): Record<string, Buffer> {
  const data = chunk('data', pcm16(480));
  const nan = Buffer.alloc(4 * 2 * 100);
  for (let i = 0; i < 200; i++) nan.writeFloatLE(i % 3 === 0 ? NaN : i % 3 === 1 ? Infinity : -Infinity, i * 4);
  return {
    empty: Buffer.alloc(0),
    'eleven-bytes': Buffer.from('RIFF\0\0\0\0WAV', 'latin1'),
    'header-only': riff([]),
    rifx: Buffer.concat([Buffer.from('RIFX'), riff([chunk('fmt ', fmt({})), data]).subarray(4)]),
    rf64: Buffer.concat([Buffer.from('RF64'), riff([chunk('fmt ', fmt({})), data]).subarray(4)]),
    'avi-form': Buffer.concat([riff([chunk('fmt ', fmt({})), data]).subarray(0, 8), Buffer.from('AVI '), riff([chunk('fmt ', fmt({})), data]).subarray(12)]),
    'riff-size-0': riff([chunk('fmt ', fmt({})), data], 0),
    'riff-size-ffffffff': riff([chunk('fmt ', fmt({})), data], 0xffffffff),
    'riff-size-3': riff([chunk('fmt ', fmt({})), data], 3),
    'fmt-14-bytes': riff([chunk('fmt ', fmt({}).subarray(0, 14)), data]),
    'fmt-size-lies-past-end': riff([chunk('fmt ', fmt({}), 1_000_000), data]),
    'fmt-size-ffffffff': riff([chunk('fmt ', fmt({}), 0xffffffff), data]),
    'no-fmt': riff([data]),
    'no-data': riff([chunk('fmt ', fmt({}))]),
    'two-fmt': riff([chunk('fmt ', fmt({})), chunk('fmt ', fmt({ channels: 1 })), data]),
    'data-size-0': riff([chunk('fmt ', fmt({})), chunk('data', Buffer.alloc(0))]),
    'data-less-than-a-frame': riff([chunk('fmt ', fmt({ channels: 2, bits: 32 })), chunk('data', Buffer.alloc(5))]),
    'data-size-ffffffff': riff([chunk('fmt ', fmt({})), chunk('data', pcm16(480), 0xffffffff)]),
    'list-size-lies': riff([chunk('fmt ', fmt({})), chunk('LIST', Buffer.alloc(4), 0x7fffffff), data]),
    'adpcm-tag': riff([chunk('fmt ', fmt({ tag: 2, bits: 4, align: 1 })), data]),
    'alaw-tag': riff([chunk('fmt ', fmt({ tag: 6, bits: 8, channels: 1 })), data]),
    'channels-0': riff([chunk('fmt ', fmt({ channels: 0, align: 4 })), data]),
    'channels-9': riff([chunk('fmt ', fmt({ channels: 9 })), data]),
    'channels-65535': riff([chunk('fmt ', fmt({ channels: 65535, align: 4 })), data]),
    'rate-0': riff([chunk('fmt ', fmt({ rate: 0 })), data]),
    'rate-999': riff([chunk('fmt ', fmt({ rate: 999 })), data]),
    'rate-768001': riff([chunk('fmt ', fmt({ rate: 768001 })), data]),
    'rate-ffffffff': riff([chunk('fmt ', fmt({ rate: 0xffffffff })), data]),
    'bits-0': riff([chunk('fmt ', fmt({ bits: 0, align: 4 })), data]),
    'bits-12': riff([chunk('fmt ', fmt({ bits: 12, align: 4 })), data]),
    'float-16-bits': riff([chunk('fmt ', fmt({ tag: 3, bits: 16 })), data]),
    'align-0': riff([chunk('fmt ', fmt({ align: 0 })), data]),
    'align-lies': riff([chunk('fmt ', fmt({ align: 3 })), data]),
    'byte-rate-lies': riff([chunk('fmt ', fmt({ byteRate: 1 })), data]),
    'extensible-short': riff([chunk('fmt ', fmtExtensible({ channels: 2, bits: 16 }).subarray(0, 30)), data]),
    'extensible-cbsize-0': riff([chunk('fmt ', fmtExtensible({ channels: 2, bits: 16, cbSize: 0 })), data]),
    'extensible-valid-bits-too-many': riff([chunk('fmt ', fmtExtensible({ channels: 2, bits: 16, validBits: 24 })), data]),
    'extensible-bad-guid': riff([chunk('fmt ', fmtExtensible({ channels: 2, bits: 16, badGuid: true })), data]),
    'extensible-mp3-subformat': riff([chunk('fmt ', fmtExtensible({ channels: 2, bits: 16, subTag: 0x55 })), data]),
    'float-nan-and-inf': riff([chunk('fmt ', fmt({ tag: 3, bits: 32 })), chunk('data', nan)]),
    'text-named-wav': Buffer.from('this is not audio at all\n'),
    'riff-wave-then-garbage': Buffer.concat([Buffer.from('RIFF\x40\0\0\0WAVE', 'latin1'), Buffer.alloc(60, 0xa5)]),
    // 700 KB, but 700 s at 1000 Hz: 67 M samples once resampled to 48 kHz stereo (WAV_LIMITS.maxSeconds).
    'too-long': encodeWav(new Float32Array(1000 * 700), 1000, 1, 8),
  };
}

/** Header field offsets of a canonical 44-byte-header WAV, and values that break assumptions. */
const FIELDS: Array<[offset: number, bytes: 2 | 4]> = [[4, 4], [16, 4], [20, 2], [22, 2], [24, 4], [28, 4], [32, 2], [34, 2], [40, 4]];
const EDGE_VALUES = [0, 1, 2, 3, 7, 8, 0x7f, 0x80, 0xff, 0xfffe, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** One seeded mutation of `base`, and a label saying what was done. */
function mutate(base: Buffer, random: () => number): [label: string, bytes: Buffer] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const out = Buffer.from(base);
  switch (Math.floor(random() * 5)) {
    case 0: {
      const at = Math.floor(random() * Math.min(out.length, 200));
      return [`truncated at ${at}`, out.subarray(0, at)];
    }
    case 1: {
      const n = 1 + Math.floor(random() * 6);
      for (let i = 0; i < n; i++) out[Math.floor(random() * Math.min(out.length, 64))] = Math.floor(random() * 256);
      return [`${n} header bytes changed`, out];
    }
    case 2: {
      const [offset, bytes] = pick(FIELDS);
      const value = random() < 0.7 ? pick(EDGE_VALUES) : Math.floor(random() * 2 ** (8 * bytes));
      if (offset + bytes > out.length) return ['unchanged (short file)', out];
      if (bytes === 2) out.writeUInt16LE(value & 0xffff, offset);
      else out.writeUInt32LE(value >>> 0, offset);
      return [`field at ${offset} = ${value & (bytes === 2 ? 0xffff : 0xffffffff)}`, out];
    }
    case 3: {
      const size = pick(EDGE_VALUES);
      const junk = chunk(random() < 0.5 ? 'junk' : 'data', Buffer.alloc(Math.floor(random() * 9)), size);
      const at = pick([12, 36, out.length]);
      return [`chunk of size ${size} inserted at ${at}`, Buffer.concat([out.subarray(0, at), junk, out.subarray(at)])];
    }
    default: {
      const len = Math.floor(random() * 120);
      const noise = Buffer.from(Array.from({ length: len }, () => Math.floor(random() * 256)));
      return [`RIFF/WAVE then ${len} random bytes`, Buffer.concat([out.subarray(0, 12), noise])];
    }
  }
}

describe('fuzzed WAV files through sound_on on a real host and transponder', { timeout: 180_000 }, () => {
  let dataDir: string;
  let host: Host;
  let nginx: NginxRtmp;
  let stream: LiveStream;
  let pump: NodeJS.Timeout | undefined;
  let id: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'castbridge-wavfuzz-'));
    nginx = await startNginxRtmp();
    host = await createHost({
      dataDir,
      log: silentLog,
      overrides: PLAIN_HOST,
    });
    stream = host.registry.publish(STREAM, { requestKeyframe: () => undefined, close: () => undefined, description: 'test pcm pump' });
    const started = performance.now();
    let sent = 0;
    pump = setInterval(() => {
      // Real-time PCM, catching up after a busy event loop so the clock stays on wall time.
      for (; sent * CHUNK_MS <= performance.now() - started; sent++) {
        stream.pushPcm({ time: sent * CHUNK_MS, samples: new Int16Array(((48000 * CHUNK_MS) / 1000) * 2) });
      }
    }, CHUNK_MS);
    const reply = await push(host.httpUrl, 'startup', { streamName: STREAM, rtmpUrl: nginx.url('live'), options: { audioCodec: 'pcmu' } });
    assert.equal(reply.status, 200, reply.text);
    id = reply.json().mediaSessionId;
    await nginx.waitForPublish(1, 20_000);
    await waitFor('PUBLISHING', () => host.transponders.find({ mediaSessionId: id })[0]?.status === 'PUBLISHING', 20_000);
  });

  after(async () => {
    if (pump) clearInterval(pump);
    stream?.end('test over');
    await host?.close();
    await nginx?.stop();
    if (dataDir) removeDir(dataDir);
  });

  /** Writes `bytes` as `name` in the media folder and asks for it; checks the status and the error body. */
  async function soundOn(name: string, bytes: Buffer, what: string): Promise<number> {
    writeFileSync(join(host.mediaDir(), name), bytes);
    const reply = await push(host.httpUrl, 'sound_on', { mediaSessionId: id, soundFile: name, loop: bytes.length % 2 === 0 });
    assert.ok(reply.status === 200 || reply.status === 400, `${what}: status ${reply.status} ${reply.text}`);
    const body = reply.json();
    if (reply.status === 200) {
      assert.equal(body.mediaSessionId, id);
      assert.equal(body.soundEnabled, true, `${what}: accepted, so it plays`);
    } else {
      assert.equal(typeof body.error, 'string', `${what}: ${reply.text}`);
      // `"<name>" is not a WAV file we can read: <the reader's reason>`: the reason must be there.
      assert.match(body.error, new RegExp(`^"${name.replace(/\./g, '\\.')}" is not a WAV file we can read: .{10,}`), `${what}: ${body.error}`);
    }
    return reply.status;
  }

  test('valid files of every format play: 200', async () => {
    for (const [label, bytes] of Object.entries(validFiles())) {
      assert.equal(await soundOn(`valid-${label}.wav`, bytes, label), 200, label);
    }
  });

  test('lying and damaged headers: 400 with the reason (never 500)', async () => {
    const accepted: string[] = [];
    for (const [label, bytes] of Object.entries(lyingFiles())) {
      if ((await soundOn(`lie-${label}.wav`, bytes, label)) === 200) accepted.push(label);
    }
    // Only lies that are harmless are let through: a wrong byte rate (ignored, derived from the rest), a
    // float file full of NaN/Inf (clamped to silence/full scale), a `data` size past the end (clamped).
    // Only lies that are harmless are let through: a wrong byte rate (the reader derives it from the rest)
    // and a float file full of NaN/Inf (clamped: NaN to silence, ±Inf to full scale).
    assert.deepEqual(accepted, ['byte-rate-lies', 'float-nan-and-inf']);
  });

  test(`${MUTATIONS} seeded mutations (seed ${SEED}): 200 or 400 with the reason, never 500`, async () => {
    const random = mulberry32(SEED);
    const bases = Object.values(validFiles());
    const counts = { 200: 0, 400: 0 };
    for (let i = 0; i < MUTATIONS; i++) {
      const [label, bytes] = mutate(bases[i % bases.length]!, random);
      const status = await soundOn(`fuzz-${i}.wav`, bytes, `mutation ${i} (seed ${SEED}): ${label}`);
      counts[status as 200 | 400] += 1;
      if (i % 25 === 0) assert.equal((await push(host.httpUrl, 'sound_off', { mediaSessionId: id })).status, 200);
    }
    // Both outcomes happen: the mutations reach the reader's checks and also leave playable files.
    if (process.env.CASTBRIDGE_TEST_VERBOSE) console.log(`seed ${SEED}: ${JSON.stringify(counts)}`);
    assert.ok(counts[400] > MUTATIONS / 4 && counts[200] > 0, `statuses ${JSON.stringify(counts)}`);
  });

  test('a long sound decodes without stalling the host: the media timer keeps ticking meanwhile', async () => {
    // 120 s at 1000 Hz, 8-bit mono: 120 KB of file, 11.5 M output samples of resampling (~1 s of work).
    // Decoding in one go would hold the event loop the whole time (no PCM for any stream, no request
    // answered); in blocks, the 20 ms PCM timer runs throughout. A ratio, not a speed: whatever the machine,
    // the ticks seen while the request is pending must be a good part of what its duration allows.
    writeFileSync(join(host.mediaDir(), 'long.wav'), encodeWav(tone(120_000, 1, 1000), 1000, 1, 8));
    let ticks = 0;
    const counter = setInterval(() => void ticks++, CHUNK_MS);
    const started = performance.now();
    try {
      const reply = await push(host.httpUrl, 'sound_on', { mediaSessionId: id, soundFile: 'long.wav' });
      const elapsed = performance.now() - started;
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.json().soundEnabled, true);
      const allowed = elapsed / CHUNK_MS;
      assert.ok(ticks >= allowed / 4, `${ticks} timer ticks in the ${elapsed.toFixed(0)} ms the decode took (${allowed.toFixed(0)} possible)`);
    } finally {
      clearInterval(counter);
    }
    assert.equal((await push(host.httpUrl, 'sound_off', { mediaSessionId: id })).status, 200);
  });

  test('the host keeps serving: find_all works, the transponder still publishes and still plays sounds', async () => {
    const all = await push(host.httpUrl, 'find_all', {});
    assert.equal(all.status, 200, all.text);
    const t = all.json().find((x: { mediaSessionId: string }) => x.mediaSessionId === id);
    assert.equal(t?.status, 'PUBLISHING', JSON.stringify(t));
    assert.equal(await soundOn('after.wav', validFiles()['pcm16-48k-stereo']!, 'a valid file after the fuzz'), 200);
    const off = await push(host.httpUrl, 'sound_off', { mediaSessionId: id });
    assert.equal(off.status, 200);
    assert.equal(off.json().soundEnabled, false);
    assert.equal(nginx.publishes.length, 1, 'never reconnected');
  });
});
