// Audio RTP payloads to the relay's PCM (48 kHz interleaved stereo s16, media.ts):
// Opus (RFC 7587: one Opus packet per RTP packet, RTP clock always 48 kHz) and G.711 PCMU/PCMA
// (RFC 3551 §4.5.14: one byte per sample at 8 kHz). Chunk times are contiguous: each chunk starts
// where the previous one ended; a loss is concealed (Opus PLC, silence for G.711) so the timeline
// has no hole, and only a publisher stall longer than MAX_CONCEAL_MS restarts the timeline.
//
// Decoding is paid only while someone needs the PCM (an AAC encoder of a transponder or a recording):
// without one, processInput(…, false) moves the timeline exactly as decoding would (each packet's duration
// read from its Opus TOC) and keeps the last WARMUP_PACKETS payloads. When decoding resumes, the decoder is
// reset and decodes those packets, output discarded, before the packet that is emitted: the first chunk a
// new consumer gets comes from a decoder whose state is the stream's (no cold-start transient, no
// concealment of packets it never saw).
import { OpusDecoder, opusPacketFrames } from '../codec/audio/opus.js';
import { decodeAlaw, decodeUlaw } from '../codec/audio/g711.js';
import { Resampler } from '../codec/audio/resample.js';
import { PCM_CHANNELS, PCM_RATE, type PcmChunk } from '../media.js';
import { RtpTimestampUnwrapper } from '../rtp/clock.js';
import type { IngestAudioCodec } from './sdp.js';

/** Gaps up to this are concealed; longer ones mean the publisher stalled and the timeline jumps. */
const MAX_CONCEAL_MS = 200;
const G711_RATE = 8000;
/** A timestamp this far (1 s) behind the timeline is a new timestamp base, not a late packet. */
const MAX_BACKWARD_FRAMES = PCM_RATE;
/**
 * Packets (of 20 ms, as WebRTC sends) decoded silently when decoding resumes. libopus's state (CELT's band
 * energies are predicted from the previous frame) converges ~6 dB per packet: a cold decoder's first frame
 * is 2–3 dB from an uninterrupted decode's, after 3 packets 12–18 dB, after 10 packets ~60 dB.
 */
export const WARMUP_PACKETS = 10;
/** The largest payload kept for the warm-up (RFC 6716 §2: 120 ms at most 3 × 1275 bytes). */
const WARMUP_MAX_BYTES = 1275 * 3;

export interface AudioRtpPacket {
  sequenceNumber: number;
  timestamp: number;
  payload: Buffer;
}

export interface AudioDepacketizerStats {
  packets: number;
  concealedMs: number;
  decodeErrors: number;
  stalls: number;
  lateDropped: number;
  resyncs: number;
}

interface PayloadDecoder {
  /** PCM at 48 kHz stereo for one payload. */
  decode(payload: Buffer): Int16Array;
  /** Concealment for `frames` 48 kHz sample frames. */
  conceal(frames: number): Int16Array;
  /** How many 48 kHz sample frames of media the payload carried (its RTP duration). */
  duration(payload: Buffer, pcm: Int16Array): number;
  /** The same without decoding it, or undefined when this codec decodes every packet anyway. */
  framesWithoutDecoding(payload: Buffer): number | undefined;
  /** Back to a new decoder's state. */
  reset(): void;
  destroy(): void;
}

/**
 * libopus (opusscript's WASM, ~20 MB of memory once instantiated) is made at the first decode: a stream that
 * nobody needs PCM of never instantiates it.
 */
class OpusPayloadDecoder implements PayloadDecoder {
  private made: OpusDecoder | undefined;
  private get decoder(): OpusDecoder {
    return (this.made ??= new OpusDecoder());
  }
  decode(payload: Buffer): Int16Array {
    return this.decoder.decode(payload);
  }
  conceal(frames: number): Int16Array {
    return this.decoder.decodeLost(frames);
  }
  duration(_payload: Buffer, pcm: Int16Array): number {
    return pcm.length / PCM_CHANNELS;
  }
  framesWithoutDecoding(payload: Buffer): number {
    return opusPacketFrames(payload);
  }
  reset(): void {
    this.made?.reset();
  }
  destroy(): void {
    this.made?.destroy();
  }
}

class G711PayloadDecoder implements PayloadDecoder {
  private readonly resampler = new Resampler(G711_RATE, PCM_RATE, 1);
  constructor(private readonly law: 'pcmu' | 'pcma') {}
  decode(payload: Buffer): Int16Array {
    const mono8k = this.law === 'pcmu' ? decodeUlaw(payload) : decodeAlaw(payload);
    return monoToStereo(this.resampler.process(mono8k));
  }
  conceal(frames: number): Int16Array {
    return new Int16Array(frames * PCM_CHANNELS);
  }
  /** One byte per 8 kHz sample; the resampler's output count varies with its filter delay. */
  duration(payload: Buffer): number {
    return (payload.length * PCM_RATE) / G711_RATE;
  }
  /** G.711 costs next to nothing to decode, and its resampler's state stays continuous: always decoded. */
  framesWithoutDecoding(): undefined {
    return undefined;
  }
  reset(): void {}
  destroy(): void {}
}

function monoToStereo(mono: Int16Array): Int16Array {
  const out = new Int16Array(mono.length * 2);
  for (let i = 0; i < mono.length; i++) out[2 * i] = out[2 * i + 1] = mono[i];
  return out;
}

export class AudioDepacketizer {
  private readonly decoder: PayloadDecoder;
  private readonly unwrapper = new RtpTimestampUnwrapper();
  /** Stream ms where the next chunk starts. */
  private nextTime: number | undefined;
  /** Extended RTP timestamp the next packet should carry. */
  private expectedExt: number | undefined;
  private readonly stats: AudioDepacketizerStats = { packets: 0, concealedMs: 0, decodeErrors: 0, stalls: 0, lateDropped: 0, resyncs: 0 };
  /** The last payloads seen while not decoding: a ring of reused buffers, the next written at warmupNext. */
  private readonly warmup: Array<{ bytes: Buffer; length: number }> = [];
  private warmupNext = 0;
  private warmupCount = 0;
  /** Packets went by undecoded since the decoder's last output: reset and warm up before decoding again. */
  private cold = false;

  constructor(
    readonly codec: IngestAudioCodec,
    private readonly clockRate: number,
  ) {
    this.decoder = codec === 'opus' ? new OpusPayloadDecoder() : new G711PayloadDecoder(codec);
  }

  /**
   * One packet, in sequence order; `streamMs` is where the clock mapper puts its RTP timestamp (used to
   * start the timeline and after a stall). Never throws: a payload that does not decode is concealed.
   * `decode` false: nobody needs the PCM now; the timeline moves on and nothing is returned (Opus).
   */
  processInput(packet: AudioRtpPacket, streamMs: number, decode = true): PcmChunk[] {
    const out: PcmChunk[] = [];
    const skipFrames = decode ? undefined : this.decoder.framesWithoutDecoding(packet.payload);
    const ext = this.unwrapper.unwrap(packet.timestamp);
    this.stats.packets++;
    if (this.nextTime === undefined || this.expectedExt === undefined) {
      this.nextTime = streamMs;
      this.expectedExt = ext;
    }
    const gapFrames = Math.round(((ext - this.expectedExt) * PCM_RATE) / this.clockRate);
    if (gapFrames < -MAX_BACKWARD_FRAMES) {
      // Far behind what we played: not a late packet but a new timestamp base (a sender restart).
      // Continue the timeline where it is rather than dropping every packet from now on.
      this.stats.resyncs++;
      this.expectedExt = ext;
    } else if (gapFrames < 0) {
      this.stats.lateDropped++;
      return out;
    }
    if (gapFrames > (MAX_CONCEAL_MS * PCM_RATE) / 1000) {
      this.stats.stalls++;
      this.nextTime = Math.max(this.nextTime, streamMs);
    } else if (gapFrames > 0 && skipFrames !== undefined) {
      this.advance(gapFrames);
    } else if (gapFrames > 0) {
      this.warmUp();
      this.emit(out, this.safe(() => this.decoder.conceal(gapFrames), gapFrames));
      this.stats.concealedMs += (gapFrames * 1000) / PCM_RATE;
    }
    if (skipFrames !== undefined) {
      this.keepForWarmup(packet.payload);
      this.advance(skipFrames);
      this.expectedExt = ext + Math.round((skipFrames * this.clockRate) / PCM_RATE);
      return out;
    }
    this.warmUp();
    const pcm = this.safe(() => this.decoder.decode(packet.payload), 0);
    this.emit(out, pcm);
    this.expectedExt = ext + Math.round((this.decoder.duration(packet.payload, pcm) * this.clockRate) / PCM_RATE);
    return out;
  }

  toJSON(): AudioDepacketizerStats {
    return { ...this.stats };
  }

  destroy(): void {
    this.decoder.destroy();
  }

  /** Moves the timeline over `frames` nobody decodes. */
  private advance(frames: number): void {
    if (this.nextTime !== undefined) this.nextTime += (frames * 1000) / PCM_RATE;
  }

  private keepForWarmup(payload: Buffer): void {
    this.cold = true;
    if (payload.length > WARMUP_MAX_BYTES) return;
    let slot = this.warmup[this.warmupNext];
    if (!slot || slot.bytes.length < payload.length) {
      slot = { bytes: Buffer.allocUnsafe(Math.max(payload.length, 256)), length: 0 };
      this.warmup[this.warmupNext] = slot;
    }
    payload.copy(slot.bytes);
    slot.length = payload.length;
    this.warmupNext = (this.warmupNext + 1) % WARMUP_PACKETS;
    this.warmupCount = Math.min(this.warmupCount + 1, WARMUP_PACKETS);
  }

  /** After undecoded packets: a new decoder state, fed the kept packets, oldest first (output discarded). */
  private warmUp(): void {
    if (!this.cold) return;
    this.cold = false;
    this.decoder.reset();
    for (let i = this.warmupCount; i > 0; i--) {
      const slot = this.warmup[(this.warmupNext - i + WARMUP_PACKETS) % WARMUP_PACKETS]!;
      this.safe(() => this.decoder.decode(slot.bytes.subarray(0, slot.length)), 0);
    }
    // The slots stay for the next pause; only their contents are spent.
    this.warmupCount = 0;
  }

  private emit(out: PcmChunk[], samples: Int16Array): void {
    if (samples.length === 0 || this.nextTime === undefined) return;
    out.push({ time: this.nextTime, samples });
    this.nextTime += (samples.length / PCM_CHANNELS) * 1000 / PCM_RATE;
  }

  /** Decoding outside bytes: a failure becomes `fallbackFrames` of silence, never an exception. */
  private safe(decode: () => Int16Array, fallbackFrames: number): Int16Array {
    try {
      return decode();
    } catch {
      this.stats.decodeErrors++;
      return new Int16Array(fallbackFrames * PCM_CHANNELS);
    }
  }
}
