// ISO/IEC 14496-12 §8.6–8.7 — the sample tables of one track: decoding times (stts), sync samples (stss),
// samples to chunks (stsc), sizes (stsz) and chunk offsets (stco / co64), gathered sample by sample while the
// media data is laid out, then written as boxes. Pure, no I/O.
import { box, fullBox, u32, u32s, u64 } from './boxes.js';

/** One growable array of u32 (a two-hour recording has ~500 000 samples: no array of objects). */
class U32List {
  private data = new Uint32Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Uint32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  at(i: number): number {
    return this.data[i];
  }

  view(): Uint32Array {
    return this.data.subarray(0, this.length);
  }
}

export class TrackSamples {
  /** Decoding time of each sample, in the track's timescale, from the track's first sample (0). */
  private readonly times = new U32List();
  private readonly sizes = new U32List();
  /** 1-based numbers of the sync samples. */
  private readonly syncs = new U32List();
  /** Per chunk: its offset from the start of the mdat body (no 32-bit limit: kept as doubles), its sample count. */
  private readonly chunkOffsets: number[] = [];
  private readonly chunkCounts = new U32List();
  /** The time of the track's first sample in its timescale, before times were made relative to it. */
  firstTime: number | undefined;

  /**
   * @param timescale units per second of the sample times
   * @param lastSampleDuration the duration of the last sample (no next sample says it), in the timescale
   */
  constructor(
    readonly timescale: number,
    public lastSampleDuration: number,
  ) {}

  /** Bytes of all the samples. */
  bytes = 0;

  /** The mean spacing of the samples, in the timescale (0 with fewer than two). */
  get averageDelta(): number {
    return this.count < 2 ? 0 : Math.round(this.times.at(this.count - 1) / (this.count - 1));
  }

  get count(): number {
    return this.sizes.length;
  }

  /** The time (in the timescale, absolute) the next sample should not be earlier than. */
  get lastTime(): number | undefined {
    return this.firstTime === undefined ? undefined : this.firstTime + this.times.at(this.times.length - 1);
  }

  /**
   * Adds a sample at `offset` bytes into the mdat body. `time` must be later than the previous sample's;
   * `continuesChunk`: the sample follows this track's previous one in the file, so it joins its chunk.
   */
  add(time: number, size: number, sync: boolean, offset: number, continuesChunk: boolean): void {
    if (!Number.isInteger(time) || time < 0) throw new Error(`sample time must be a non-negative integer, got ${time}`);
    this.firstTime ??= time;
    const relative = time - this.firstTime;
    const previous = this.times.length ? this.times.at(this.times.length - 1) : -1;
    if (relative <= previous) throw new Error(`sample time ${time} is not after the previous sample's ${previous + this.firstTime}`);
    if (relative > 0xffffffff) throw new Error(`sample time ${relative} exceeds the 32-bit range of a ${this.timescale} Hz timescale`);
    this.times.push(relative);
    this.sizes.push(size);
    this.bytes += size;
    if (sync) this.syncs.push(this.sizes.length);
    if (continuesChunk && this.chunkCounts.length > 0) {
      this.chunkCounts.view()[this.chunkCounts.length - 1]++;
    } else {
      this.chunkOffsets.push(offset);
      this.chunkCounts.push(1);
    }
  }

  /** The sum of the samples' durations, in the timescale. */
  get duration(): number {
    return this.count === 0 ? 0 : this.times.at(this.count - 1) + this.lastSampleDuration;
  }

  /** Whether a chunk offset, moved by `base`, needs co64. */
  needsCo64(base: number): boolean {
    const last = this.chunkOffsets[this.chunkOffsets.length - 1];
    return last !== undefined && base + last > 0xffffffff;
  }

  //  stts (§8.6.1.2): FullBox v0 | entry_count u32 | { sample_count u32, sample_delta u32 }*
  stts(): Buffer {
    const entries: number[] = [];
    for (let i = 0; i < this.count; i++) {
      const delta = i + 1 < this.count ? this.times.at(i + 1) - this.times.at(i) : this.lastSampleDuration;
      if (entries.length && entries[entries.length - 1] === delta) entries[entries.length - 2]++;
      else entries.push(1, delta);
    }
    return fullBox('stts', 0, 0, u32(entries.length / 2), u32s(entries));
  }

  //  stss (§8.6.2): FullBox v0 | entry_count u32 | sample_number u32*. Absent when every sample is a sync
  //  sample (the audio track).
  stss(): Buffer | undefined {
    if (this.syncs.length === this.count) return undefined;
    return fullBox('stss', 0, 0, u32(this.syncs.length), u32s(this.syncs.view()));
  }

  //  stsc (§8.7.4): FullBox v0 | entry_count u32 | { first_chunk u32, samples_per_chunk u32,
  //  sample_description_index u32 }*, one entry where samples_per_chunk changes.
  stsc(): Buffer {
    const entries: number[] = [];
    for (let chunk = 0; chunk < this.chunkCounts.length; chunk++) {
      const n = this.chunkCounts.at(chunk);
      if (entries.length === 0 || entries[entries.length - 2] !== n) entries.push(chunk + 1, n, 1);
    }
    return fullBox('stsc', 0, 0, u32(entries.length / 3), u32s(entries));
  }

  //  stsz (§8.7.3.2): FullBox v0 | sample_size u32 (0: sizes follow) | sample_count u32 | entry_size u32*
  stsz(): Buffer {
    return fullBox('stsz', 0, 0, u32(0), u32(this.count), u32s(this.sizes.view()));
  }

  //  stco / co64 (§8.7.5): FullBox v0 | entry_count u32 | chunk_offset u32* (co64: u64*), from the file's start.
  chunkOffsetBox(base: number, co64: boolean): Buffer {
    const offsets = this.chunkOffsets.map((o) => base + o);
    if (!co64) return fullBox('stco', 0, 0, u32(offsets.length), u32s(offsets));
    return fullBox('co64', 0, 0, u32(offsets.length), ...offsets.map(u64));
  }

  /** The stbl (§8.5.1) around the sample description `stsd`. */
  stbl(stsd: Buffer, base: number, co64: boolean): Buffer {
    const stss = this.stss();
    return box('stbl', stsd, this.stts(), ...(stss ? [stss] : []), this.stsc(), this.stsz(), this.chunkOffsetBox(base, co64));
  }
}
