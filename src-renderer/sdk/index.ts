// Castbridge JavaScript SDK: publish a camera/microphone (or any MediaStream) into a Castbridge host over
// WebRTC and optionally republish it to an RTMP(S) URL. Modelled on Flashphoner WCS's WebSDK:
//   const session = createSession({ urlServer: 'ws://127.0.0.1:8081' });
//   session.on(SESSION_STATUS.ESTABLISHED, () => session.createStream({ name: 'cam1', rtmpUrl }).publish());
import { Session, type SessionOptions } from './session.js';

export { Session, type SessionEvents, type SessionOptions } from './session.js';
export { Stream, LOCAL_FAILURE, mediaFailureInfo, type StreamEvents, type StreamOptions } from './stream.js';
export {
  SESSION_STATUS,
  STREAM_STATUS,
  toWebSocketUrl,
  type HostEvent,
  type SessionStatus,
  type StreamInfoJSON,
  type StreamStatus,
  type TransponderJSON,
  type TransponderStats,
  type TransponderStatus,
} from './protocol.js';

/** Opens a session to the host; listen for ESTABLISHED before creating streams. */
export function createSession(options: SessionOptions): Session {
  return new Session(options);
}
