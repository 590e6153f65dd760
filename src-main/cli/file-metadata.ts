// What the head of an FLV file says about its media (its own onMetaData, else its AVC and AAC sequence
// headers), turned into the onMetaData a push announces (FLV spec v10.1 §E.5).
import { type Amf0Value, asAmf0Record, audioTagInfo, avcConfigurationRecord, channelCount, decodeAmf0, type FlvTag, type MetaInput, onMetaData, parseAudioSpecificConfig, parseAvcDecoderConfigurationRecord, parseSps, SoundFormat, TagType } from '../../src-relay/index.js';

/** onMetaData for the push: what the file says, else what its sequence headers say. */
export function buildPushMetadata(head: FlvTag[], version: string): Record<string, Amf0Value> {
  const meta: MetaInput = { version };
  let fileMeta: Record<string, Amf0Value> = {};
  for (const tag of head) {
    if (tag.type === TagType.script && Object.keys(fileMeta).length === 0) fileMeta = scriptMetadata(tag.body) ?? {};
    const record = tag.type === TagType.video && meta.width === undefined ? avcConfigurationRecord(tag.body) : undefined;
    if (record) {
      try {
        const sps = parseSps(parseAvcDecoderConfigurationRecord(record).sps[0] ?? Buffer.alloc(0));
        Object.assign(meta, { width: sps.width, height: sps.height }, sps.fps !== undefined && { framerate: sps.fps });
      } catch {
        // an unreadable sequence header: the file's own metadata (if any) still says the size
      }
    }
    const audio = tag.type === TagType.audio && meta.audioCodec === undefined ? audioTagInfo(tag.body) : undefined;
    if (audio) {
      if (audio.codec) meta.audioCodec = audio.codec;
      if (audio.sequenceHeader) {
        try {
          const asc = parseAudioSpecificConfig(audio.payload);
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
  const video = head.some((t) => t.type === TagType.video && avcConfigurationRecord(t.body) !== undefined);
  const audio = head.some((t) => {
    const info = t.type === TagType.audio ? audioTagInfo(t.body) : undefined;
    return info !== undefined && (info.soundFormat !== SoundFormat.aac || info.sequenceHeader);
  });
  return video && audio;
}
