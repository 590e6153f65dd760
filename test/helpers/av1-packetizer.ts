// A test-side AV1 RTP packetizer written from the RTP Payload Format for AV1 v1.0 (§4.4, §5): the temporal
// delimiter dropped, each OBU sent without its size field (obu_has_size_field = 0, as §5 asks), OBUs
// aggregated while they fit (W = their count when 1–3, else 0 with every length written), larger ones
// fragmented across packets (Z/Y), N on the first packet of a keyframe. ffmpeg 5.1 has no AV1 RTP muxer;
// this gives the depacketizer real encoder OBUs to reassemble.
import { ObuType, OBU_EXTENSION_FLAG, OBU_HAS_SIZE_FIELD, splitObus, writeLeb128 } from '../../src-relay/codec/av1.js';
import type { VideoRtpPacket } from '../../src-relay/rtp/frame-assembler.js';

function withoutSizeField(obu: { obu: Buffer; payload: Buffer }): Buffer {
  const headerSize = obu.obu[0] & OBU_EXTENSION_FLAG ? 2 : 1;
  const header = Buffer.from(obu.obu.subarray(0, headerSize));
  header[0] &= ~OBU_HAS_SIZE_FIELD;
  return Buffer.concat([header, obu.payload]);
}

/** The packets of one temporal unit (low-overhead format, with or without its temporal delimiter). */
export function packetizeAv1(temporalUnit: Buffer, opts: { timestamp: number; firstSequence: number; keyframe: boolean; maxPayload: number }): VideoRtpPacket[] {
  if (opts.maxPayload < 16) throw new Error(`maxPayload must be at least 16 bytes, got ${opts.maxPayload}`);
  const obus = splitObus(temporalUnit).filter((o) => o.type !== ObuType.temporalDelimiter).map(withoutSizeField);
  const payloads: { z: boolean; y: boolean; elements: Buffer[] }[] = [];
  let current: { z: boolean; y: boolean; elements: Buffer[]; bytes: number } = { z: false, y: false, elements: [], bytes: 1 };
  const flush = () => {
    if (current.elements.length) payloads.push(current);
    current = { z: false, y: false, elements: [], bytes: 1 };
  };
  for (const obu of obus) {
    let rest = obu;
    let continuing = false;
    while (rest.length > 0) {
      const room = opts.maxPayload - current.bytes - writeLeb128(rest.length).length;
      if (room >= rest.length) {
        current.elements.push(rest);
        current.bytes += writeLeb128(rest.length).length + rest.length;
        if (continuing) current.z = true;
        break;
      }
      if (room < 8) {
        flush();
        continue;
      }
      current.elements.push(rest.subarray(0, room));
      if (continuing) current.z = true;
      current.y = true;
      rest = rest.subarray(room);
      continuing = true;
      flush();
    }
  }
  flush();
  return payloads.map((p, i) => {
    const w = p.elements.length <= 3 ? p.elements.length : 0;
    const header = (p.z ? 0x80 : 0) | (p.y ? 0x40 : 0) | (w << 4) | (i === 0 && opts.keyframe ? 0x08 : 0);
    const body = p.elements.flatMap((e, j) => (w !== 0 && j === w - 1 ? [e] : [writeLeb128(e.length), e]));
    return { sequenceNumber: (opts.firstSequence + i) & 0xffff, timestamp: opts.timestamp, marker: i === payloads.length - 1, payload: Buffer.concat([Buffer.from([header]), ...body]) };
  });
}
