// RFC 6386 — VP8 Data Format and Decoding Guide: the frame tag and the key frame start code (§9.1), the
// only parts the relay reads. Pure functions, no I/O.

//  Frame tag (§9.1), 3 bytes read as a little-endian u24, then on key frames a 7-byte header:
//  bit 0 key_frame (0 = key frame) | bits 1-3 version | bit 4 show_frame | bits 5-23 first_part_size
//  key frames: start code 9d 01 2a | u16 LE width (14 bits) + scale (2) | u16 LE height (14 bits) + scale (2)
const START_CODE = Buffer.from([0x9d, 0x01, 0x2a]);
const KEY_HEADER_BYTES = 10;

/** A VP8 frame's frame-type bit says key frame (bit 0 of the frame tag is 0). */
export function vp8IsKeyframe(frame: Buffer): boolean {
  return frame.length > 0 && (frame[0] & 0x01) === 0;
}

/** The size of a key frame (undefined for an inter frame, or a key frame without its start code). */
export function vp8KeyframeInfo(frame: Buffer): { width: number; height: number } | undefined {
  if (!vp8IsKeyframe(frame) || frame.length < KEY_HEADER_BYTES || !frame.subarray(3, 6).equals(START_CODE)) return undefined;
  return { width: frame.readUInt16LE(6) & 0x3fff, height: frame.readUInt16LE(8) & 0x3fff };
}
