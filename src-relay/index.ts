// The relay's front door: everything the host (src-main) and the benchmarks use from the relay, by area.
// The relay imports nothing from the host or the studio; the host reaches the relay only through here.

// Streams in: the registry of live streams and WebRTC/WHIP ingest.
export { StreamNameInUseError, StreamRegistry, type LiveStream } from './streams.js';
export { WebRtcIngest, type TrickleResult } from './webrtc/ingest.js';
export { IngestError } from './webrtc/sdp.js';
export { PCM_CHANNELS, PCM_RATE, type AudioCodec } from './media.js';

// Streams out: transponders (RTMP pushes) and the host's contract with them.
export { TransponderManager, type RelayConfig } from './transponder/manager.js';
export {
  TransponderError,
  type Sound,
  type StartupRequest,
  type TransponderJSON,
  type TransponderOptions,
  type TransponderService,
  type TransponderServiceEvents,
} from './transponder/service.js';
export { findFfmpeg } from './transponder/audio/ffmpeg.js';
export { encoderOutputReader, ffmpegEncoderArgs } from './transponder/audio/ffmpeg-encoder.js';

// Local recordings: what a transponder sends, or a stream, to an FLV file remuxed to MP4 on stop.
export { RecordingError, RecordingManager, type RecordingService } from './recording/recordings.js';

// RTMP: the publisher (`castbridge push`), URL rules, and the protocol pieces test servers are built from.
export { RtmpPublisher } from './rtmp/publisher.js';
export { RtmpError } from './rtmp/errors.js';
export { resolveRtmpTarget, RtmpUrlError, type RtmpTarget } from './rtmp/url.js';
export { asAmf0Record, decodeAmf0, encodeAmf0, type Amf0Value } from './rtmp/amf0.js';
export { ChunkReader, ChunkWriter, type RtmpMessage } from './rtmp/chunk.js';
export { ClientHandshake } from './rtmp/handshake.js';
export { acknowledgementMessage, ChunkStreamId, decodeUserControl, MessageType, UserControlEvent, userControlMessage } from './rtmp/control.js';

// Media formats.
export { FlvReader, writeFlv, type FlvTag } from './flv/file.js';
export { aacFrameBody, aacSequenceHeaderBody, audioTagInfo, avcConfigurationRecord, mediaTag, onMetaData, SoundFormat, TagType, videoTagInfo, type MetaInput } from './flv/tags.js';
export { parseAvcDecoderConfigurationRecord, parseSps } from './codec/h264.js';
export { channelCount, parseAudioSpecificConfig } from './codec/aac.js';
export { WAV_LIMITS, WavError, decodeWavTo48kStereo, decodeWavTo48kStereoAsync, parseWav } from './codec/audio/wav.js';

// Logging and secrets.
export { consoleLog, silentLog, type Log } from './log.js';
export { redactName, redactUrl } from './redact.js';

// The program version (package.json), read once.
export { appVersion } from './version.js';
