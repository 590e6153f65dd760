// RTP Payload Format for AV1 (AOM, v1.0.0): aggregation header (§4.4), OBU elements (§4.3, §5), OBU
// fragments across packets, reassembled into temporal units in the low-overhead bitstream format that
// MP4 and Enhanced RTMP carry: every OBU with obu_has_size_field = 1, no temporal delimiter.
//
// Why our own: werift's AV1 depacketizer joins fragments without noticing a lost middle one, and keeps
// no notion of waiting for the next keyframe (see frame-assembler.ts).
//
// Input comes from the reorder buffer (reorder.ts): packets in sequence order, and `lost` notices.
import { FrameAssembler, FRAME_LIMITS, type ClosedFrame, type PendingFrame } from './frame-assembler.js';
import { av1IsKeyframe, OBU_EXTENSION_FLAG, OBU_HAS_SIZE_FIELD, obuType, ObuType, readLeb128, writeLeb128 } from '../codec/av1.js';

export const AV1_LIMITS = {
  /** Most OBUs in one temporal unit (a frame per spatial layer, tile groups, metadata). */
  maxObusPerTemporalUnit: 512,
} as const;

/** OBUs a receiver drops (§5: "MUST be ignored"); padding carries nothing. */
const DROPPED_OBU_TYPES: ReadonlySet<number> = new Set([ObuType.temporalDelimiter, ObuType.tileList, ObuType.padding]);

//  Aggregation header (§4.4):
//  +-+-+-+-+-+-+-+-+
//  |Z|Y| W |N|-|-|-|   Z first element continues the previous packet's last OBU, Y last element continues
//  +-+-+-+-+-+-+-+-+   in the next packet, W element count (0: every element has a leb128 length; 1–3: all
//                      but the last have one), N first packet of a coded video sequence
const Z_BIT = 0x80;
const Y_BIT = 0x40;
const N_BIT = 0x08;

export class Av1Depacketizer extends FrameAssembler {
  /** Pieces of an OBU split across packets, waiting for its end. */
  private fragment: { parts: Buffer[]; bytes: number } | undefined;
  private obuCount = 0;
  /** The temporal unit's first packet had N = 1. */
  private newSequence = false;

  protected readPayload(payload: Buffer): void {
    if (payload.length < 2) return this.malformed(`AV1 payload of ${payload.length} bytes, expected an aggregation header and an OBU element`);
    const header = payload[0];
    const continues = (header & Z_BIT) !== 0;
    const willContinue = (header & Y_BIT) !== 0;
    const count = (header >> 4) & 0x03;
    if (!this.frame!.started && (header & N_BIT)) this.newSequence = true;
    if (this.frame!.damage) {
      // Nothing of a damaged temporal unit is kept, fragments neither.
      this.fragment = undefined;
      return;
    }
    if (continues && !this.fragment) return this.malformed('OBU fragment without its start (Z = 1 after a whole OBU)');
    if (!continues && this.fragment) {
      this.fragment = undefined;
      return this.malformed('OBU fragment unfinished: the next packet starts a new OBU (Z = 0)');
    }
    const elements = splitElements(payload, count);
    if (typeof elements === 'string') return this.malformed(elements);
    for (let i = 0; i < elements.length; i++) {
      const first = i === 0;
      const last = i === elements.length - 1;
      if (first && continues) {
        this.continueFragment(elements[i]);
        if (!(last && willContinue)) this.endFragment();
      } else if (last && willContinue) {
        this.fragment = { parts: [elements[i]], bytes: elements[i].length };
      } else {
        this.addObu(elements[i]);
      }
    }
  }

  protected close(frame: PendingFrame): ClosedFrame {
    const newSequence = this.newSequence;
    if (this.fragment) return { damage: 'OBU fragment unfinished at the end of the temporal unit' };
    if (frame.parts.length === 0) return undefined;
    const data = Buffer.concat(frame.parts, frame.bytes);
    return { data, keyframe: newSequence || av1IsKeyframe(data) };
  }

  protected resetPartial(): void {
    this.fragment = undefined;
    if (!this.frame) {
      this.obuCount = 0;
      this.newSequence = false;
    }
  }

  private continueFragment(piece: Buffer): void {
    const fragment = this.fragment!;
    fragment.parts.push(piece);
    fragment.bytes += piece.length;
    if (fragment.bytes > FRAME_LIMITS.maxFrameBytes) {
      this.fragment = undefined;
      this.damage(`OBU fragment exceeds ${FRAME_LIMITS.maxFrameBytes} bytes`);
    }
  }

  private endFragment(): void {
    const fragment = this.fragment;
    this.fragment = undefined;
    if (fragment) this.addObu(Buffer.concat(fragment.parts, fragment.bytes));
  }

  /** One whole OBU from the packets, re-emitted with its size field. */
  private addObu(obu: Buffer): void {
    if (this.frame!.damage) return;
    const header = obu[0];
    if (header & 0x80) return this.malformed('OBU forbidden bit is set');
    if (DROPPED_OBU_TYPES.has(obuType(header))) return;
    const headerSize = header & OBU_EXTENSION_FLAG ? 2 : 1;
    if (obu.length < headerSize) return this.malformed(`OBU of ${obu.length} byte(s) ends inside its ${headerSize}-byte header`);
    let payload = obu.subarray(headerSize);
    if (header & OBU_HAS_SIZE_FIELD) {
      const size = readLeb128(obu, headerSize);
      if (!size) return this.malformed('OBU obu_size is a truncated or oversized leb128');
      payload = obu.subarray(headerSize + size.length);
      if (size.value > payload.length) return this.malformed(`OBU obu_size ${size.value} exceeds the ${payload.length} bytes of its element`);
      payload = payload.subarray(0, size.value);
    }
    if (++this.obuCount > AV1_LIMITS.maxObusPerTemporalUnit) return this.damage(`temporal unit has more than ${AV1_LIMITS.maxObusPerTemporalUnit} OBUs`);
    const head = Buffer.concat([obu.subarray(0, headerSize), writeLeb128(payload.length)]);
    head[0] |= OBU_HAS_SIZE_FIELD;
    this.append(head);
    this.append(payload);
  }
}

/** The OBU elements after the aggregation header (§4.3), or what is wrong with them. */
function splitElements(payload: Buffer, count: number): Buffer[] | string {
  const elements: Buffer[] = [];
  let offset = 1;
  while (offset < payload.length) {
    if (count !== 0 && elements.length === count - 1) {
      elements.push(payload.subarray(offset));
      return elements;
    }
    const length = readLeb128(payload, offset);
    if (!length) return `OBU element length at byte ${offset} is a truncated or oversized leb128`;
    offset += length.length;
    if (length.value === 0) return `OBU element at byte ${offset} has length 0`;
    if (offset + length.value > payload.length) return `OBU element of ${length.value} bytes exceeds the ${payload.length - offset} bytes left`;
    elements.push(payload.subarray(offset, offset + length.value));
    offset += length.value;
  }
  if (elements.length === 0 || (count !== 0 && elements.length !== count)) return `aggregation header says ${count} OBU element(s), the payload holds ${elements.length}`;
  return elements;
}
