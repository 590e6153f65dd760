// RFC 5104 §4.3.1 — Full Intra Request, the Feedback Control Information of an RTCP payload-specific
// feedback packet (RFC 4585 §6.1, PT=206, FMT=4). werift parses FIR but does not export its class, and
// its `length` is one word short (it leaves out the RTCP header: 3 instead of 4 for one FCI entry), so
// we serialize the body here and let werift's PSFB wrapper add the common header and SRTCP.

/** RTCP length field of a one-entry FIR: 32-bit words of the whole packet minus one (RFC 3550 §6.4.1). */
export const FIR_LENGTH_WORDS = 4;

/** FMT value of a FIR in a PSFB packet (RFC 5104 §4.3.1). */
export const FIR_FMT = 4;

//  Common packet format for feedback messages (RFC 4585 §6.1), after the 4-byte RTCP header:
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                  SSRC of packet sender                        |
//  |                  SSRC of media source (0 for FIR, §4.3.1.2)   |
//  FCI, one entry per media sender (RFC 5104 §4.3.1.1):
//  |                              SSRC                             |
//  | Seq nr.       |    Reserved                                   |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
export function serializeFirBody(senderSsrc: number, mediaSenderSsrc: number, sequenceNumber: number): Buffer<ArrayBuffer> {
  if (!Number.isInteger(sequenceNumber) || sequenceNumber < 0 || sequenceNumber > 0xff) {
    throw new RangeError(`FIR sequence number must be an integer 0–255, got ${sequenceNumber}`);
  }
  const body = Buffer.alloc(16);
  body.writeUInt32BE(senderSsrc >>> 0, 0);
  body.writeUInt32BE(0, 4);
  body.writeUInt32BE(mediaSenderSsrc >>> 0, 8);
  body[12] = sequenceNumber;
  return body;
}
