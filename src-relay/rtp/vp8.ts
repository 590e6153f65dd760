// RFC 7741 — RTP Payload Format for VP8 Video: the payload descriptor (§4.2) with its extensions, and
// frames reassembled from the packets of one timestamp, starting at the start of partition 0 (§4.4).
//
// Why our own: werift's VP8 depacketizer joins what it is given; it keeps no notion of a frame whose
// start or middle was lost, nor of waiting for the next key frame (see frame-assembler.ts).
//
// Input comes from the reorder buffer (reorder.ts): packets in sequence order, and `lost` notices.
import { FrameAssembler, type ClosedFrame, type PendingFrame } from './frame-assembler.js';
import { vp8IsKeyframe, vp8KeyframeInfo } from '../codec/vp8.js';

//  Payload descriptor (§4.2):
//        +-+-+-+-+-+-+-+-+
//        |X|R|N|S|R| PID |   X extensions, N non-reference frame, S start of a partition, PID partition index
//        +-+-+-+-+-+-+-+-+
//   X:   |I|L|T|K|  RSV  |   I PictureID, L TL0PICIDX, T TID, K KEYIDX present
//        +-+-+-+-+-+-+-+-+
//   I:   |M| PictureID   |   M: the PictureID is 15 bits (a second byte follows)
//        +-+-+-+-+-+-+-+-+
//   L:   |   TL0PICIDX   |
//        +-+-+-+-+-+-+-+-+
//   T/K: |TID|Y| KEYIDX  |   one byte when T or K
//        +-+-+-+-+-+-+-+-+
const X_BIT = 0x80;
const S_BIT = 0x10;
const PID_MASK = 0x07;
const I_BIT = 0x80;
const L_BIT = 0x40;
const T_BIT = 0x20;
const K_BIT = 0x10;
const M_BIT = 0x80;

/** The descriptor's length and whether the packet starts a frame (S = 1, PID = 0), or what is wrong. */
export function readVp8Descriptor(payload: Buffer): { length: number; frameStart: boolean } | string {
  if (payload.length < 1) return 'empty VP8 payload';
  const first = payload[0];
  let length = 1;
  if (first & X_BIT) {
    if (payload.length < 2) return 'VP8 descriptor ends before its extension byte';
    const ext = payload[1];
    length = 2;
    if (ext & I_BIT) {
      if (payload.length < length + 1) return 'VP8 descriptor ends inside its PictureID';
      length += payload[length] & M_BIT ? 2 : 1;
    }
    if (ext & L_BIT) length += 1;
    if (ext & (T_BIT | K_BIT)) length += 1;
  }
  if (length >= payload.length) return `VP8 payload of ${payload.length} bytes has no data after its ${length}-byte descriptor`;
  return { length, frameStart: (first & S_BIT) !== 0 && (first & PID_MASK) === 0 };
}

export class Vp8Depacketizer extends FrameAssembler {
  protected readPayload(payload: Buffer): void {
    const descriptor = readVp8Descriptor(payload);
    if (typeof descriptor === 'string') return this.malformed(descriptor);
    const frame = this.frame!;
    if (!frame.started && !descriptor.frameStart) return this.damage('VP8 frame without its start (S = 1, PID = 0)');
    if (frame.started && descriptor.frameStart) return this.malformed('VP8 frame started twice in one timestamp');
    this.append(payload.subarray(descriptor.length));
  }

  protected close(frame: PendingFrame): ClosedFrame {
    if (frame.parts.length === 0) return undefined;
    const data = Buffer.concat(frame.parts, frame.bytes);
    const keyframe = vp8IsKeyframe(data);
    if (keyframe && !vp8KeyframeInfo(data)) return { damage: 'VP8 key frame without its start code (9d 01 2a)' };
    return { data, keyframe };
  }

  protected resetPartial(): void {}
}
