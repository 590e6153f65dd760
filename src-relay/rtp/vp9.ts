// RFC 9628 — RTP Payload Format for VP9 Video: the payload descriptor (§4.2) in flexible and non-flexible
// mode with the scalability structure (§4.2.1), layer frames from B to E, and the layer frames of one
// picture (one RTP timestamp) joined into one superframe (VP9 Annex B), as a decoder, MP4 and Enhanced
// RTMP's vp09 take them.
//
// Why our own: werift's VP9 depacketizer joins what it is given; it keeps no notion of a layer frame whose
// start or middle was lost, nor of waiting for the next key frame (see frame-assembler.ts).
//
// Input comes from the reorder buffer (reorder.ts): packets in sequence order, and `lost` notices.
import { FrameAssembler, type ClosedFrame, type PendingFrame } from './frame-assembler.js';
import { buildVp9Superframe, vp9FrameInfo, vp9SuperframeFrames } from '../codec/vp9.js';

//  Payload descriptor (§4.2):
//        +-+-+-+-+-+-+-+-+
//        |I|P|L|F|B|E|V|Z|   I picture id, P inter-picture predicted, L layer indices, F flexible mode,
//        +-+-+-+-+-+-+-+-+   B start of a layer frame, E end of a layer frame, V scalability structure
//   I:   |M| PICTURE ID  |   M: 15-bit picture id, a second byte follows
//   M:   | EXTENDED PID  |
//   L:   | TID |U| SID |D|
//        |   TL0PICIDX   |   non-flexible mode (F = 0) only
//   P,F: | P_DIFF      |N|   up to 3, N: another follows
//   V:   | SS ...        |   scalability structure (§4.2.1)
const I_BIT = 0x80;
const P_BIT = 0x40;
const L_BIT = 0x20;
const F_BIT = 0x10;
const B_BIT = 0x08;
const E_BIT = 0x04;
const V_BIT = 0x02;
const MAX_REFERENCES = 3;
/** A superframe holds at most 8 frames (VP9 Annex B); RFC 9628 allows at most 8 spatial layers. */
const MAX_LAYER_FRAMES = 8;

export interface Vp9Descriptor {
  length: number;
  interPredicted: boolean;
  begin: boolean;
  end: boolean;
  spatialId: number;
}

/** The descriptor of a payload, or what is wrong with it. */
export function readVp9Descriptor(payload: Buffer): Vp9Descriptor | string {
  if (payload.length < 1) return 'empty VP9 payload';
  const flags = payload[0];
  let at = 1;
  const need = (n: number, what: string): string | undefined => (at + n > payload.length ? `VP9 descriptor ends inside its ${what}` : undefined);
  if (flags & I_BIT) {
    const missing = need(1, 'picture id') ?? (payload[at] & 0x80 ? need(2, 'picture id') : undefined);
    if (missing) return missing;
    at += payload[at] & 0x80 ? 2 : 1;
  }
  let spatialId = 0;
  if (flags & L_BIT) {
    const size = flags & F_BIT ? 1 : 2;
    const missing = need(size, 'layer indices');
    if (missing) return missing;
    spatialId = (payload[at] >> 1) & 0x07;
    at += size;
  }
  if (flags & F_BIT && flags & P_BIT) {
    for (let i = 0; ; i++) {
      if (i === MAX_REFERENCES) return `VP9 descriptor has more than ${MAX_REFERENCES} reference indices`;
      const missing = need(1, 'reference indices');
      if (missing) return missing;
      if (!(payload[at++] & 0x01)) break;
    }
  }
  if (flags & V_BIT) {
    const ss = scalabilityStructureLength(payload, at);
    if (typeof ss === 'string') return ss;
    at += ss;
  }
  if (at >= payload.length) return `VP9 payload of ${payload.length} bytes has no data after its ${at}-byte descriptor`;
  return { length: at, interPredicted: (flags & P_BIT) !== 0, begin: (flags & B_BIT) !== 0, end: (flags & E_BIT) !== 0, spatialId };
}

//  Scalability structure (§4.2.1):
//  | N_S |Y|G|-|-|-|   N_S + 1 spatial layers; Y: a u16 width and u16 height per layer; G: picture group
//  | WIDTH, HEIGHT | × (N_S + 1) when Y
//  |      N_G      |   when G, then N_G times:  | TID |U| R |-|-|  and R P_DIFF bytes
/** The byte length of the scalability structure at `at`, or what is wrong with it. */
function scalabilityStructureLength(payload: Buffer, at: number): number | string {
  const start = at;
  if (at >= payload.length) return 'VP9 descriptor ends before its scalability structure';
  const header = payload[at++];
  const layers = (header >> 5) + 1;
  if (header & 0x10) at += 4 * layers;
  if (header & 0x08) {
    if (at >= payload.length) return 'VP9 scalability structure ends before N_G';
    const groups = payload[at++];
    for (let i = 0; i < groups; i++) {
      if (at >= payload.length) return `VP9 scalability structure ends inside picture group ${i}`;
      at += 1 + ((payload[at] >> 2) & 0x03);
    }
  }
  if (at > payload.length) return 'VP9 scalability structure runs past the payload';
  return at - start;
}

export class Vp9Depacketizer extends FrameAssembler {
  /** The picture's bytes (frame.bytes) at the end of each finished layer frame. */
  private layerEnds: number[] = [];
  /** Between a layer frame's B and its E. */
  private inLayer = false;
  /** The picture's first layer frame has P = 0. */
  private firstIntra = false;

  protected readPayload(payload: Buffer): void {
    const d = readVp9Descriptor(payload);
    if (typeof d === 'string') return this.malformed(d);
    const frame = this.frame!;
    if (frame.damage) return;
    if (d.begin) {
      if (this.inLayer) return this.malformed('VP9 layer frame began (B = 1) before the previous one ended (E = 1)');
      if (this.layerEnds.length === 0) this.firstIntra = !d.interPredicted;
      this.inLayer = true;
    } else if (!this.inLayer) {
      return this.damage(frame.started ? 'VP9 layer frame continues without its beginning (B = 1)' : 'VP9 picture without its beginning (B = 1)');
    }
    this.append(payload.subarray(d.length));
    if (frame.damage || !d.end) return;
    if (this.layerEnds.length === MAX_LAYER_FRAMES) return this.malformed(`VP9 picture has more than ${MAX_LAYER_FRAMES} layer frames`);
    this.layerEnds.push(frame.bytes);
    this.inLayer = false;
  }

  protected close(frame: PendingFrame): ClosedFrame {
    if (this.inLayer) return { damage: 'VP9 layer frame unfinished (no E = 1) at the end of the picture' };
    if (this.layerEnds.length === 0) return undefined;
    const all = Buffer.concat(frame.parts, frame.bytes);
    const layers = this.layerEnds.map((end, i) => all.subarray(i === 0 ? 0 : this.layerEnds[i - 1], end));
    try {
      const frames = layers.flatMap(vp9SuperframeFrames);
      const first = vp9FrameInfo(frames[0]);
      return { data: frames.length === 1 ? frames[0] : buildVp9Superframe(frames), keyframe: this.firstIntra && first.keyframe };
    } catch (error) {
      return { damage: error instanceof Error ? error.message : String(error) };
    }
  }

  protected resetPartial(): void {
    this.inLayer = false;
    if (!this.frame) {
      this.layerEnds = [];
      this.firstIntra = false;
    }
  }
}
