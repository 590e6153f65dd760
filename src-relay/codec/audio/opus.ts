// RFC 6716 — Definition of the Opus Audio Codec, decoded with opusscript (libopus compiled to WASM: no
// native build to ship on Windows/macOS/Linux). WebRTC Opus (RFC 7587) is always 48 kHz on the RTP clock;
// we decode to the relay's PCM format, 48 kHz interleaved stereo, whatever the packet's channel count.

import { createRequire } from 'node:module';
import type OpusScriptType from 'opusscript';
import { PCM_CHANNELS, PCM_RATE } from '../../media.js';

const require = createRequire(import.meta.url);
const OpusScript = require('opusscript') as typeof OpusScriptType;

/** RFC 6716 §2: a packet holds at most 120 ms; libopus's packet-loss concealment emits up to 60 ms per call. */
const OPUS = { maxPacketBytes: 1275 * 3, plcFramesPerCall: 2880 } as const;

export class OpusDecoder {
  private decoder: OpusScriptType | undefined;

  constructor() {
    this.decoder = new OpusScript(PCM_RATE, PCM_CHANNELS);
  }

  /** One Opus packet → its PCM (e.g. 960 sample frames for 20 ms). Throws on a corrupt packet. */
  decode(packet: Buffer): Int16Array {
    if (packet.length === 0) throw new RangeError('empty Opus packet (use decodeLost for a lost one)');
    if (packet.length > OPUS.maxPacketBytes) {
      throw new RangeError(`Opus packet of ${packet.length} bytes exceeds ${OPUS.maxPacketBytes}`);
    }
    return toInt16(this.live().decode(packet));
  }

  /**
   * Concealment for `frames` lost sample frames (RFC 6716 §4.4, libopus PLC). opusscript always asks libopus
   * for 60 ms of concealment, so longer losses take several calls and the last one is trimmed.
   */
  decodeLost(frames: number): Int16Array {
    if (!Number.isInteger(frames) || frames < 0 || frames > PCM_RATE) {
      throw new RangeError(`lost frames must be an integer 0–${PCM_RATE}, got ${frames}`);
    }
    const out = new Int16Array(frames * PCM_CHANNELS);
    let filled = 0;
    while (filled < out.length) {
      const plc = toInt16(this.live().decode(Buffer.alloc(0)));
      if (plc.length === 0) break;
      const take = Math.min(plc.length, out.length - filled);
      out.set(plc.subarray(0, take), filled);
      filled += take;
    }
    return out;
  }

  destroy(): void {
    this.decoder?.delete();
    this.decoder = undefined;
  }

  private live(): OpusScriptType {
    if (!this.decoder) throw new Error('OpusDecoder used after destroy()');
    return this.decoder;
  }
}

function toInt16(pcm: Buffer): Int16Array {
  // Copy: the decoder's Buffer may not be 2-byte aligned.
  const out = new Int16Array(pcm.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = pcm.readInt16LE(2 * i);
  return out;
}
