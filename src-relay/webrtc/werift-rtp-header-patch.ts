// RFC 3550 §5.1 — the RTP fixed header, parsed with bit masks: werift's RtpHeader.deSerialize reads the first
// two bytes bit by bit through binary strings (`getBit`) and re-spreads the extension list per extension.
// Upstream write-up: docs/werift-upstream.md, "the receive path's per-packet cost" §3.
import { RtpHeader, SrtpAuthenticationError } from 'werift';
import { MIN_RTP_HEADER, ONE_BYTE_PROFILE, TWO_BYTE_PROFILE, type HeaderShape } from './werift-patch-shapes.js';

// RFC 3550 §5.1
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                           timestamp                           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           synchronization source (SSRC) identifier            |
// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
// |            contributing source (CSRC) identifiers             |
// |                             ....                              |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | defined by profile (0xBEDE) |     length in 32-bit words      |  (X = 1, RFC 8285)
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/**
 * werift's RtpHeader.deSerialize, field for field (including where it stops on a one-byte extension with
 * ID 15 and what it does with an unknown extension profile), with the bits read by masks.
 */
export function deSerializeRtpHeader(raw: Buffer): HeaderShape {
  const h = new (RtpHeader as unknown as new () => HeaderShape)();
  const b0 = raw[0]!;
  const b1 = raw[1]!;
  h.version = b0 >> 6;
  h.padding = (b0 & 0x20) !== 0;
  h.extension = (b0 & 0x10) !== 0;
  h.csrcLength = b0 & 0x0f;
  h.marker = (b1 & 0x80) !== 0;
  h.payloadType = b1 & 0x7f;
  h.sequenceNumber = raw.readUInt16BE(2);
  h.timestamp = raw.readUInt32BE(4);
  h.ssrc = raw.readUInt32BE(8);
  let offset = MIN_RTP_HEADER;
  const csrc: number[] = [];
  for (let i = 0; i < h.csrcLength; i++, offset += 4) csrc.push(raw.readUInt32BE(offset));
  h.csrc = csrc;
  if (h.extension) {
    h.extensionProfile = raw.readUInt16BE(offset);
    const extensionLength = raw.readUInt16BE(offset + 2) * 4;
    h.extensionLength = extensionLength;
    offset += 4;
    const end = offset + extensionLength;
    const extensions: HeaderShape['extensions'] = [];
    if (h.extensionProfile === ONE_BYTE_PROFILE) {
      while (offset < end) {
        const byte = raw[offset];
        if (byte === 0) {
          offset++;
          continue;
        }
        // werift reads past the buffer as ID 0, length 1 (undefined bytes); a packet that does that fails the
        // payloadOffset check after parsing either way.
        const id = byte === undefined ? 0 : byte >> 4;
        const length = byte === undefined ? 1 : (byte & 0x0f) + 1;
        offset++;
        if (id === 15) break;
        extensions.push({ id, payload: raw.subarray(offset, offset + length) });
        offset += length;
      }
    } else if (h.extensionProfile === TWO_BYTE_PROFILE) {
      while (offset < end) {
        if (raw[offset] === 0) {
          offset++;
          continue;
        }
        const id = raw[offset] ?? 0;
        const length = raw[offset + 1] ?? 0;
        offset += 2;
        extensions.push({ id, payload: raw.subarray(offset, offset + length) });
        offset += length;
      }
    } else {
      const payload = raw.subarray(offset, offset + extensionLength);
      extensions.push({ id: 0, payload });
      offset += payload.length;
    }
    h.extensions = extensions;
  }
  h.payloadOffset = offset;
  if (h.padding) h.paddingSize = raw[raw.length - 1]!;
  return h;
}

/** werift's finalizeSrtpRtpHeader: the padding count of a decrypted packet, checked. */
export function finalizePadding(header: HeaderShape, packet: Buffer): HeaderShape {
  header.paddingSize = 0;
  if (!header.padding) return header;
  if (packet.length <= header.payloadOffset) throw new SrtpAuthenticationError('Failed to authenticate SRTP packet');
  const paddingSize = packet[packet.length - 1]!;
  if (paddingSize === 0 || paddingSize > packet.length - header.payloadOffset) {
    throw new SrtpAuthenticationError('Failed to authenticate SRTP packet');
  }
  header.paddingSize = paddingSize;
  return header;
}

/** werift's parseSrtpRtpHeader: a header whose payload lies before the auth tag, or an authentication error. */
export function parseSrtpHeader(packet: Buffer, authTagLength: number): HeaderShape {
  const message = 'Failed to authenticate SRTP packet';
  if (packet.length < MIN_RTP_HEADER + authTagLength) throw new SrtpAuthenticationError(message);
  let header: HeaderShape;
  try {
    header = deSerializeRtpHeader(packet.subarray(0, packet.length - authTagLength));
  } catch {
    throw new SrtpAuthenticationError(message);
  }
  header.paddingSize = 0;
  if (header.payloadOffset < MIN_RTP_HEADER || header.payloadOffset > packet.length - authTagLength) {
    throw new SrtpAuthenticationError(message);
  }
  return header;
}

/** RTP packets covering the header's variants: plain, marker, CSRCs, padding, one- and two-byte extensions. */
export function sampleRtpPackets(): Array<{ header: HeaderShape; payload: Buffer }> {
  const make = (props: Partial<HeaderShape>, payloadLength: number, seed: number): { header: HeaderShape; payload: Buffer } => {
    const payload = Buffer.alloc(payloadLength);
    for (let i = 0; i < payloadLength; i++) payload[i] = (i * 31 + seed) & 0xff;
    const header = new (RtpHeader as unknown as new (p: Partial<HeaderShape>) => HeaderShape)({ payloadType: 96, ssrc: 0x11223344, timestamp: 90000 + seed, ...props });
    return { header, payload };
  };
  return [
    make({ sequenceNumber: 1 }, 1200, 1),
    make({ sequenceNumber: 2, marker: true }, 17, 2),
    make({ sequenceNumber: 3, csrc: [0xdeadbeef, 7] }, 100, 3),
    make({ sequenceNumber: 4, extensions: [{ id: 1, payload: Buffer.from([1, 2]) }, { id: 3, payload: Buffer.from([9, 9, 9, 9]) }] }, 500, 4),
    make({ sequenceNumber: 5, extensionProfile: TWO_BYTE_PROFILE, extensions: [{ id: 5, payload: Buffer.from([1, 2, 3]) }] }, 64, 5),
    make({ sequenceNumber: 6, payloadType: 111, ssrc: 0x55667788 }, 0, 6),
    make({ sequenceNumber: 65535 }, 33, 7),
    make({ sequenceNumber: 0 }, 33, 8),
    { ...make({ sequenceNumber: 1, padding: true }, 40, 9), payload: Buffer.concat([Buffer.alloc(37, 7), Buffer.from([0, 0, 3])]) },
  ];
}
