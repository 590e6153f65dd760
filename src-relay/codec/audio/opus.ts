// RFC 6716 — Definition of the Opus Audio Codec, decoded with opusscript (libopus compiled to WASM: no
// native build to ship on Windows/macOS/Linux). WebRTC Opus (RFC 7587) is always 48 kHz on the RTP clock;
// we decode to the relay's PCM format, 48 kHz interleaved stereo, whatever the packet's channel count.

import { createRequire } from 'node:module';
import type OpusScriptType from 'opusscript';
import { PCM_CHANNELS, PCM_RATE } from '../../media.js';

const require = createRequire(import.meta.url);
const OpusScript = require('opusscript') as typeof OpusScriptType;

/**
 * RFC 6716 §2: a packet holds at most 120 ms (3 × 1275 bytes as opusscript sizes its buffer). Concealment
 * past ~120 ms only fades to silence, so longer losses are filled with zeros; a loss is capped at 10 s.
 */
const OPUS = { maxPacketBytes: 1275 * 3, maxConcealedFrames: 5760, maxLostFrames: 10 * 48000 } as const;

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
   * Audio for `frames` lost sample frames: libopus packet-loss concealment (RFC 6716 §4.4) for the first
   * 120 ms, silence after. opusscript asks libopus for 60 ms per call, so the last call is trimmed.
   */
  decodeLost(frames: number): Int16Array {
    if (!Number.isInteger(frames) || frames < 0 || frames > OPUS.maxLostFrames) {
      throw new RangeError(`lost frames must be an integer 0–${OPUS.maxLostFrames}, got ${frames}`);
    }
    const out = new Int16Array(frames * PCM_CHANNELS);
    const concealed = Math.min(frames, OPUS.maxConcealedFrames) * PCM_CHANNELS;
    let filled = 0;
    while (filled < concealed) {
      const plc = toInt16(this.live().decode(Buffer.alloc(0)));
      if (plc.length === 0) break;
      const take = Math.min(plc.length, concealed - filled);
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
