// ISO/IEC 14496-3 — MPEG-4 Audio: AudioSpecificConfig (§1.6.2.1) and ADTS (§1.A.2.2, adts_frame).
// FLV carries AAC as an AudioSpecificConfig in the sequence header and raw access units after it.

/** audioObjectType values (§1.5.1.1, Table 1.1). */
export const AudioObjectType = {
  aacMain: 1,
  aacLc: 2,
  aacSsr: 3,
  aacLtp: 4,
  sbr: 5,
} as const;

/** samplingFrequencyIndex → Hz (§1.6.3.4, Table 1.18); index 15 means an explicit 24-bit frequency. */
export const SAMPLING_FREQUENCIES: readonly number[] = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];
const EXPLICIT_FREQUENCY_INDEX = 15;
const ESCAPE_OBJECT_TYPE = 31;
/** channelConfiguration 1–7 (Table 1.19); 7 means 8 channels (7.1). */
const CHANNELS_BY_CONFIG: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 8];

export interface AacConfig {
  objectType: number;
  sampleRate: number;
  /** channelConfiguration (0 = defined in the bitstream, 1 = mono, 2 = stereo …). */
  channelConfig: number;
}

/** Number of channels a channelConfiguration means (0 if not fixed by the config). */
export function channelCount(channelConfig: number): number {
  return CHANNELS_BY_CONFIG[channelConfig] ?? 0;
}

export function frequencyIndex(sampleRate: number): number {
  const index = SAMPLING_FREQUENCIES.indexOf(sampleRate);
  if (index < 0) throw new Error(`AAC sample rate ${sampleRate} Hz is not one of ${SAMPLING_FREQUENCIES.join(', ')}`);
  return index;
}

//  AudioSpecificConfig, the 2-byte form (§1.6.2.1):
//  +---------+----------+---------+---+---+---+
//  | AOT (5) | freq (4) | chan (4)|FL |DC |EF |   GASpecificConfig: frameLength, dependsOnCore, extension
//  +---------+----------+---------+---+---+---+
export function buildAudioSpecificConfig(config: AacConfig): Buffer {
  if (config.objectType < 1 || config.objectType >= ESCAPE_OBJECT_TYPE) {
    throw new Error(`audioObjectType ${config.objectType} is outside 1..30`);
  }
  if (config.channelConfig < 0 || config.channelConfig > 7) throw new Error(`channelConfiguration ${config.channelConfig} is outside 0..7`);
  const bits = (config.objectType << 11) | (frequencyIndex(config.sampleRate) << 7) | (config.channelConfig << 3);
  return Buffer.from([bits >> 8, bits & 0xff]);
}

export function parseAudioSpecificConfig(data: Buffer): AacConfig {
  if (data.length < 2) throw new Error(`AudioSpecificConfig is ${data.length} bytes, expected at least 2`);
  let bit = 0;
  const read = (n: number): number => {
    if (bit + n > data.length * 8) throw new Error(`AudioSpecificConfig truncated at bit ${bit} (${data.length} bytes)`);
    let v = 0;
    for (let i = 0; i < n; i++, bit++) v = v * 2 + ((data[bit >> 3] >> (7 - (bit & 7))) & 1);
    return v;
  };
  let objectType = read(5);
  if (objectType === ESCAPE_OBJECT_TYPE) objectType = 32 + read(6);
  const index = read(4);
  let sampleRate: number;
  if (index === EXPLICIT_FREQUENCY_INDEX) sampleRate = read(24);
  else if (index < SAMPLING_FREQUENCIES.length) sampleRate = SAMPLING_FREQUENCIES[index];
  else throw new Error(`samplingFrequencyIndex ${index} is reserved (0..12 or 15)`);
  const channelConfig = read(4);
  if (objectType === 0) throw new Error('audioObjectType 0 (null) is not a codec');
  return { objectType, sampleRate, channelConfig };
}

export interface AdtsFrame extends AacConfig {
  /** The raw access unit, without the ADTS header (what an FLV AAC raw tag carries). */
  raw: Buffer;
}

const ADTS_SYNCWORD = 0xfff;
const ADTS_HEADER = 7;
const ADTS_CRC = 2;

//  adts_fixed_header + adts_variable_header (§1.A.2.2.1), 56 bits (+16 CRC when protection_absent = 0):
//  AAAAAAAA AAAABCCD EEFFFFGH HHIJKLMM MMMMMMMM MMMOOOOO OOOOOOPP
//  A syncword 0xFFF, B ID, C layer, D protection_absent, E profile (AOT−1), F sampling index,
//  G private, H channel config, I original, J home, K/L copyright, M frame length (incl. header),
//  O buffer fullness, P raw_data_blocks − 1
export function parseAdts(data: Buffer): AdtsFrame[] {
  const frames: AdtsFrame[] = [];
  let at = 0;
  while (at < data.length) {
    if (at + ADTS_HEADER > data.length) throw new Error(`ADTS header at ${at} truncated: ${data.length - at} of ${ADTS_HEADER} bytes`);
    const sync = (data[at] << 4) | (data[at + 1] >> 4);
    if (sync !== ADTS_SYNCWORD) throw new Error(`ADTS syncword at ${at} is 0x${sync.toString(16)}, expected 0xfff`);
    const protectionAbsent = data[at + 1] & 1;
    const objectType = (data[at + 2] >> 6) + 1;
    const index = (data[at + 2] >> 2) & 0x0f;
    if (index >= SAMPLING_FREQUENCIES.length) throw new Error(`ADTS samplingFrequencyIndex ${index} exceeds ${SAMPLING_FREQUENCIES.length - 1}`);
    const channelConfig = ((data[at + 2] & 1) << 2) | (data[at + 3] >> 6);
    const frameLength = ((data[at + 3] & 0x03) << 11) | (data[at + 4] << 3) | (data[at + 5] >> 5);
    const headerLength = ADTS_HEADER + (protectionAbsent ? 0 : ADTS_CRC);
    if (frameLength < headerLength) throw new Error(`ADTS frame length ${frameLength} is shorter than its ${headerLength}-byte header`);
    if (at + frameLength > data.length) throw new Error(`ADTS frame length ${frameLength} at ${at} exceeds buffer (${data.length - at} bytes left)`);
    frames.push({ objectType, sampleRate: SAMPLING_FREQUENCIES[index], channelConfig, raw: data.subarray(at + headerLength, at + frameLength) });
    at += frameLength;
  }
  return frames;
}
