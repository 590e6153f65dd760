// Reads the FLV stream an ffmpeg encoder child writes on its stdout, incrementally, and yields audio tag
// bodies. Adobe "Video File Format Specification v10.1", Annex E.2 (header), E.3 (body), E.4.1 (tags).
//
//   header: "FLV" | version(1) | flags(1) | dataOffset(4, BE, = 9)      then PreviousTagSize0 (4) = 0
//   tag:    type(1) | dataSize(3) | timestamp(3) | timestampExtended(1) | streamId(3) | data | PreviousTagSize(4)

const FLV_HEADER_SIZE = 9;
const PREVIOUS_TAG_SIZE = 4;
const TAG_HEADER_SIZE = 11;
export const FlvTagType = { audio: 8, video: 9, script: 18 } as const;
/** An encoder's audio tag is a few hundred bytes; anything near this means we lost framing. */
const MAX_TAG_SIZE = 1 << 20;

export class FlvAudioReader {
  private pending: Buffer = Buffer.alloc(0);
  private headerDone = false;

  /** Appends stdout bytes; returns the audio tag bodies now complete (flags byte included). */
  push(data: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
    const bodies: Buffer[] = [];
    let offset = 0;
    if (!this.headerDone) {
      if (this.pending.length < FLV_HEADER_SIZE + PREVIOUS_TAG_SIZE) return bodies;
      if (this.pending.toString('latin1', 0, 3) !== 'FLV') {
        throw new Error(`ffmpeg output is not FLV: starts with ${this.pending.subarray(0, 3).toString('hex')}`);
      }
      const dataOffset = this.pending.readUInt32BE(5);
      if (dataOffset !== FLV_HEADER_SIZE) throw new Error(`FLV header size ${dataOffset}, expected ${FLV_HEADER_SIZE}`);
      offset = FLV_HEADER_SIZE + PREVIOUS_TAG_SIZE;
      this.headerDone = true;
    }
    while (offset + TAG_HEADER_SIZE <= this.pending.length) {
      const type = this.pending[offset]! & 0x1f;
      const size = this.pending.readUIntBE(offset + 1, 3);
      if (size > MAX_TAG_SIZE) throw new Error(`FLV tag of ${size} bytes exceeds ${MAX_TAG_SIZE}`);
      const end = offset + TAG_HEADER_SIZE + size + PREVIOUS_TAG_SIZE;
      if (end > this.pending.length) break;
      if (type === FlvTagType.audio && size > 0) {
        bodies.push(Buffer.from(this.pending.subarray(offset + TAG_HEADER_SIZE, offset + TAG_HEADER_SIZE + size)));
      }
      offset = end;
    }
    this.pending = this.pending.subarray(offset);
    return bodies;
  }
}
