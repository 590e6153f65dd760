// RFC 6716 — Definition of the Opus Audio Codec, decoded with opusscript (libopus compiled to WASM: no
// native build to ship on Windows/macOS/Linux). WebRTC Opus (RFC 7587) is always 48 kHz on the RTP clock;
// we decode to the relay's PCM format, 48 kHz interleaved stereo, whatever the packet's channel count.

import { createRequire } from 'node:module';
import { PCM_CHANNELS, PCM_RATE } from '../../media.js';

/**
 * opusscript's libopus build, driven directly. Its handler passes PCM as one byte per 16-bit slot (a
 * frame's 2 bytes in 2 consecutive Uint16 slots) at a byte address. opusscript 0.1.1's JavaScript wrapper
 * takes its 16-bit view at the malloc'd *byte* address, so the address it hands the handler is twice the
 * allocation's and every decode wrote its 2 × 4 bytes per stereo frame outside any allocation; with three
 * decoders in one process the heap broke ("opus_decoder.c: assertion") and every stream's audio with it.
 * Here the output buffer is allocated at its real size and addressed as the handler expects. The module is
 * instantiated synchronously (the WASM is embedded).
 */
interface OpusNative {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  OpusScriptHandler: {
    new (rate: number, channels: number, application: number): OpusHandler;
    destroy_handler(handler: OpusHandler): void;
  };
}
interface OpusHandler {
  /**
   * Decodes `length` bytes at `input` (0: conceal a lost packet) to interleaved 16-bit PCM at `output`, one
   * byte per Uint16 slot; returns samples per channel, < 0 on error.
   */
  _decode(input: number, length: number, output: number): number;
}

const require = createRequire(import.meta.url);
let native: OpusNative | undefined;
function opusNative(): OpusNative {
  native ??= (require('opusscript/build/opusscript_native_wasm.js') as () => OpusNative)();
  return native;
}

/** libopus's OPUS_APPLICATION_AUDIO (unused by a decoder, required by the handler). */
const APPLICATION_AUDIO = 2049;
/** opusscript's MAX_FRAME_SIZE: 60 ms at 48 kHz, what one decode call may return. */
const MAX_FRAME_SAMPLES = 2880;
/** Each 16-bit sample takes two Uint16 slots of the handler's output (one byte in each). */
const OUT_BYTES_PER_SAMPLE = 4;
/** libopus's error codes (opus_defines.h). */
const OPUS_ERRORS: Record<number, string> = { [-1]: 'bad argument', [-2]: 'buffer too small', [-3]: 'internal error', [-4]: 'invalid packet', [-5]: 'unimplemented', [-6]: 'invalid state', [-7]: 'memory allocation failed' };

/**
 * RFC 6716 §2: a packet holds at most 120 ms (3 × 1275 bytes as opusscript sizes its buffer). Concealment
 * past ~120 ms only fades to silence, so longer losses are filled with zeros; a loss is capped at 10 s.
 */
const OPUS = { maxPacketBytes: 1275 * 3, maxConcealedFrames: 5760, maxLostFrames: 10 * 48000 } as const;

export class OpusDecoder {
  private handler: OpusHandler | undefined;
  private readonly inPointer: number;
  private readonly outPointer: number;

  constructor() {
    const opus = opusNative();
    this.handler = new opus.OpusScriptHandler(PCM_RATE, PCM_CHANNELS, APPLICATION_AUDIO);
    this.inPointer = opus._malloc(OPUS.maxPacketBytes);
    this.outPointer = opus._malloc(MAX_FRAME_SAMPLES * PCM_CHANNELS * OUT_BYTES_PER_SAMPLE);
  }

  /** One Opus packet → its PCM (e.g. 960 sample frames for 20 ms). Throws on a corrupt packet. */
  decode(packet: Buffer): Int16Array {
    if (packet.length === 0) throw new RangeError('empty Opus packet (use decodeLost for a lost one)');
    if (packet.length > OPUS.maxPacketBytes) {
      throw new RangeError(`Opus packet of ${packet.length} bytes exceeds ${OPUS.maxPacketBytes}`);
    }
    return this.run(packet);
  }

  /**
   * Audio for `frames` lost sample frames: libopus packet-loss concealment (RFC 6716 §4.4) for the first
   * 120 ms, silence after. Each concealment call gives up to 60 ms, so the last one is trimmed.
   */
  decodeLost(frames: number): Int16Array {
    if (!Number.isInteger(frames) || frames < 0 || frames > OPUS.maxLostFrames) {
      throw new RangeError(`lost frames must be an integer 0–${OPUS.maxLostFrames}, got ${frames}`);
    }
    const out = new Int16Array(frames * PCM_CHANNELS);
    const concealed = Math.min(frames, OPUS.maxConcealedFrames) * PCM_CHANNELS;
    let filled = 0;
    while (filled < concealed) {
      const plc = this.run(undefined);
      if (plc.length === 0) break;
      const take = Math.min(plc.length, concealed - filled);
      out.set(plc.subarray(0, take), filled);
      filled += take;
    }
    return out;
  }

  /**
   * Back to the state of a new decoder (what libopus's OPUS_RESET_STATE gives): the next packet decodes
   * without history, as the first packet of a stream does.
   */
  reset(): void {
    if (!this.handler) throw new Error('OpusDecoder used after destroy()');
    const opus = opusNative();
    opus.OpusScriptHandler.destroy_handler(this.handler);
    this.handler = new opus.OpusScriptHandler(PCM_RATE, PCM_CHANNELS, APPLICATION_AUDIO);
  }

  destroy(): void {
    if (!this.handler) return;
    const opus = opusNative();
    opus.OpusScriptHandler.destroy_handler(this.handler);
    opus._free(this.inPointer);
    opus._free(this.outPointer);
    this.handler = undefined;
  }

  /** Decodes a packet (undefined: conceals one) into a fresh Int16Array. */
  private run(packet: Buffer | undefined): Int16Array {
    if (!this.handler) throw new Error('OpusDecoder used after destroy()');
    const opus = opusNative();
    if (packet) opus.HEAPU8.set(packet, this.inPointer);
    const samples = this.handler._decode(this.inPointer, packet?.length ?? 0, this.outPointer);
    if (samples < 0) throw new Error(`Opus decode error: ${OPUS_ERRORS[samples] ?? samples}`);
    // The heap may have grown (a new buffer) during the call: view it afresh. malloc aligns to 8 bytes.
    const values = samples * PCM_CHANNELS;
    const slots = new Uint16Array(opus.HEAPU8.buffer, this.outPointer, values * 2);
    const pcm = new Int16Array(values);
    for (let i = 0; i < values; i++) pcm[i] = ((slots[2 * i]! & 0xff) | (slots[2 * i + 1]! << 8)) << 16 >> 16;
    return pcm;
  }
}

/** RFC 6716 §3.1: a TOC's configuration (its top 5 bits) → 48 kHz sample frames per Opus frame. */
const FRAME_SAMPLES_BY_CONFIG = [
  480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 1920, 2880, // SILK NB/MB/WB: 10, 20, 40, 60 ms
  480, 960, 480, 960, // hybrid SWB/FB: 10, 20 ms
  120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960, // CELT: 2.5, 5, 10, 20 ms
] as const;

/**
 * The 48 kHz sample frames an Opus packet holds, from its TOC byte and frame count (RFC 6716 §3.1–§3.2),
 * without decoding it; 0 for a packet too short to say (which a decode refuses too).
 */
export function opusPacketFrames(packet: Buffer): number {
  if (packet.length === 0) return 0;
  const toc = packet[0]!;
  const perFrame = FRAME_SAMPLES_BY_CONFIG[toc >> 3]!;
  const code = toc & 0x03;
  if (code === 0) return perFrame;
  if (code !== 3) return 2 * perFrame;
  if (packet.length < 2) return 0;
  return (packet[1]! & 0x3f) * perFrame;
}
