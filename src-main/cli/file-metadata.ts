// What the head of an FLV file says about its media (its own onMetaData, else its AVC and AAC sequence
// headers), turned into the onMetaData a push announces (FLV spec v10.1 §E.5).
import { AacPacketType, type Amf0Value, asAmf0Record, type AudioCodec, AvcPacketType, channelCount, decodeAmf0, type FlvTag, type MetaInput, onMetaData, parseAudioSpecificConfig, parseAvcDecoderConfigurationRecord, parseSps, SoundFormat, TagType, videoTagInfo } from '../../src-relay/index.js';

const CODEC_BY_SOUND_FORMAT: Partial<Record<number, AudioCodec>> = {
  [SoundFormat.aac]: 'aac',
  [SoundFormat.g711Alaw]: 'pcma',
  [SoundFormat.g711Mulaw]: 'pcmu',
  [SoundFormat.speex]: 'speex',
};

/** onMetaData for the push: what the file says, else what its sequence headers say. */
export function buildPushMetadata(head: FlvTag[], version: string): Record<string, Amf0Value> {
  const meta: MetaInput = { version };
  let fileMeta: Record<string, Amf0Value> = {};
  for (const tag of head) {
    if (tag.type === TagType.script && Object.keys(fileMeta).length === 0) fileMeta = scriptMetadata(tag.body) ?? {};
    if (tag.type === TagType.video && meta.width === undefined && videoTagInfo(tag.body).sequenceHeader) {
      try {
        const sps = parseSps(parseAvcDecoderConfigurationRecord(tag.body.subarray(5)).sps[0] ?? Buffer.alloc(0));
        Object.assign(meta, { width: sps.width, height: sps.height }, sps.fps !== undefined && { framerate: sps.fps });
      } catch {
        // an unreadable sequence header: the file's own metadata (if any) still says the size
      }
    }
    if (tag.type === TagType.audio && meta.audioCodec === undefined && tag.body.length > 0) {
      const codec = CODEC_BY_SOUND_FORMAT[tag.body[0] >> 4];
      if (codec) meta.audioCodec = codec;
      if (codec === 'aac' && tag.body[1] === AacPacketType.sequenceHeader) {
        try {
          const asc = parseAudioSpecificConfig(tag.body.subarray(2));
          meta.audioSampleRate = asc.sampleRate;
          meta.stereo = channelCount(asc.channelConfig) >= 2;
        } catch {
          // keep the defaults of the codec
        }
      }
    }
  }
  const num = (key: string): number | undefined => (typeof fileMeta[key] === 'number' ? (fileMeta[key] as number) : undefined);
  meta.width ??= num('width');
  meta.height ??= num('height');
  meta.framerate ??= num('framerate');
  const videoRate = num('videodatarate');
  const audioRate = num('audiodatarate');
  if (videoRate) meta.videoDataRateKbps = videoRate;
  if (audioRate) meta.audioDataRateKbps = audioRate;
  if (meta.audioSampleRate === undefined && num('audiosamplerate')) meta.audioSampleRate = num('audiosamplerate');
  return onMetaData(meta);
}

/** The object of an `onMetaData` script tag (with or without `@setDataFrame`), undefined otherwise. */
function scriptMetadata(body: Buffer): Record<string, Amf0Value> | undefined {
  try {
    const values = decodeAmf0(body);
    const at = values.indexOf('onMetaData');
    return at >= 0 && values[at + 1] !== undefined ? asAmf0Record(values[at + 1]!) : undefined;
  } catch {
    return undefined;
  }
}

/** True once the head holds the AVC sequence header and the audio one (AAC) or any audio (others). */
export function haveBothHeaders(head: FlvTag[]): boolean {
  const video = head.some((t) => t.type === TagType.video && t.body.length > 1 && t.body[1] === AvcPacketType.sequenceHeader);
  const audio = head.some((t) => t.type === TagType.audio && t.body.length > 0 && (t.body[0] >> 4 !== SoundFormat.aac || t.body[1] === AacPacketType.sequenceHeader));
  return video && audio;
}
