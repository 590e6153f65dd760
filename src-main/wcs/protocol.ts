// The WCS client protocol (docs/DESIGN.md §4a) as the official Flashphoner Web SDK speaks it: pure parsing and
// building of its frames, no sockets. The SDK's source (npm @flashphoner/websdk, src/flashphoner-core.js and
// src/constants.js) is the specification:
//
//   every frame, both ways:  {"message": "<name>", "data": [ <argument>, ... ]}
//   client → server:         connection {appKey, mediaProviders, clientVersion, custom, ...}
//                            publishStream / unPublishStream {mediaSessionId, name, sdp?, rtmpUrl?, record?, ...}
//                            ping, pong, and requests of features Castbridge does not serve
//   server → client:         getUserData {…}            → session ESTABLISHED
//                            setRemoteSDP [mediaSessionId, sdp]
//                            notifyStreamStatusEvent {mediaSessionId, name, status, info}
//                            ping, fail {apiMethod, info} → session WARN
//
// The SDK reads `data[0]` of every frame it receives, so each frame built here carries a `data` array.

/** Large enough for an SDP offer plus the SDK's localMediaInfo and clientInfo. */
export const MAX_FRAME_BYTES = 512 * 1024;
const MAX_ID_LENGTH = 256;

/** WCS's stream status `info` texts (constants.js STREAM_STATUS_INFO), the ones Castbridge sends. */
export const StreamInfo = {
  rtmpWriterError: 'Failed by RTMP writer error',
  restTerminate: 'Stopped by rest /terminate',
  publisherStop: 'Stopped by publisher stop',
  sessionDisconnect: 'Stopped by session disconnect',
  iceError: 'Failed by ICE error',
  iceTimeout: 'Failed by ICE timeout',
  rtpActivity: 'Failed by RTP activity',
  nameInUse: 'Stream name is already in use',
  mediaSessionIdInUse: 'MediaSessionId is already in use',
  sessionNotReady: 'Session not ready',
  streamNotFound: 'Stream not found',
  failedByError: 'Failed by error',
} as const;

export interface Frame {
  message: string;
  data: unknown[];
}

export interface PublishRequest {
  mediaSessionId: string;
  name: string;
  sdp: string;
  /** Absent or empty: no republish. */
  rtmpUrl?: string;
  record: boolean;
}

export interface StreamRef {
  mediaSessionId: string;
  name?: string;
}

/** A client frame, parsed into what the session acts on. */
export type ClientRequest =
  | { kind: 'connection'; config: Record<string, unknown> }
  | { kind: 'ping' }
  | { kind: 'pong' }
  | { kind: 'publishStream'; request: PublishRequest }
  | { kind: 'unPublishStream'; stream: StreamRef }
  /** A request for a feature Castbridge does not serve; `reply` is WCS's failure answer the SDK awaits. */
  | { kind: 'unsupported'; message: string; reply: Frame }
  /** A notification needing no answer (client logs, stream events such as mute). */
  | { kind: 'ignored'; message: string }
  /** A frame that is not the protocol; `reply` says why. */
  | { kind: 'malformed'; reply: Frame };

export function frame(message: string, ...data: unknown[]): Frame {
  return { message, data };
}

/** WCS's generic failure answer; the SDK hands it to the session's WARN callback. */
export function failFrame(apiMethod: string, info: string, id?: string): Frame {
  return frame('fail', id === undefined ? { apiMethod, info } : { apiMethod, info, id });
}

export function streamStatusFrame(stream: StreamRef, status: string, info?: string): Frame {
  return frame('notifyStreamStatusEvent', {
    mediaSessionId: stream.mediaSessionId,
    name: stream.name ?? '',
    published: true,
    hasVideo: true,
    hasAudio: true,
    status,
    record: false,
    ...(info !== undefined ? { info } : {}),
  });
}

const NOT_SERVED = 'Castbridge publishes streams only';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function idOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH ? value : undefined;
}

/** A message name as it appears in an info text: control characters (a frame may carry any) shown as "?". */
function shown(message: string): string {
  return message.replace(/[\u0000-\u001f\u007f]/g, '?');
}

function malformed(info: string, apiMethod = 'unknown'): ClientRequest {
  return { kind: 'malformed', reply: failFrame(apiMethod, info) };
}

/** Parses one text frame. Never throws: anything that is not the protocol becomes `malformed`. */
export function parseClientFrame(text: string): ClientRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    // V8's message quotes the frame around the fault (it may hold an rtmpUrl): only the position is kept.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    return malformed(`the frame is not JSON (${position === undefined ? '' : `at character ${position} of `}${text.length} characters)`);
  }
  if (!isObject(raw) || typeof raw.message !== 'string') return malformed('a frame must be a JSON object {"message": "<name>", "data": [...]}');
  const message = raw.message.slice(0, 100);
  if (raw.data !== undefined && !Array.isArray(raw.data)) return malformed(`"data" of ${shown(message)} must be an array`, message);
  const arg: unknown = Array.isArray(raw.data) ? raw.data[0] : undefined;
  return parseRequest(message, arg);
}

function parseRequest(message: string, arg: unknown): ClientRequest {
  switch (message) {
    case 'connection':
      return { kind: 'connection', config: isObject(arg) ? arg : {} };
    case 'ping':
      return { kind: 'ping' };
    case 'pong':
      return { kind: 'pong' };
    case 'publishStream':
      return parsePublish(arg);
    case 'unPublishStream': {
      const ref = streamRefOf(arg);
      return ref ? { kind: 'unPublishStream', stream: ref } : malformed('unPublishStream needs a mediaSessionId', message);
    }
    case 'pushLogs':
    case 'sendStreamEvent':
      return { kind: 'ignored', message };
    default:
      return unsupported(message, arg);
  }
}

function streamRefOf(arg: unknown): StreamRef | undefined {
  if (!isObject(arg)) return undefined;
  const mediaSessionId = idOf(arg.mediaSessionId);
  if (mediaSessionId === undefined) return undefined;
  return typeof arg.name === 'string' ? { mediaSessionId, name: arg.name.slice(0, MAX_ID_LENGTH) } : { mediaSessionId };
}

function parsePublish(arg: unknown): ClientRequest {
  const ref = streamRefOf(arg);
  if (!ref || !isObject(arg)) return malformed('publishStream needs a mediaSessionId', 'publishStream');
  const refuse = (info: string): ClientRequest => ({ kind: 'unsupported', message: 'publishStream', reply: streamStatusFrame(ref, 'FAILED', info) });
  if (typeof arg.name !== 'string' || arg.name === '') return refuse('publishStream needs a stream name');
  if (typeof arg.sdp !== 'string' || !arg.sdp.startsWith('v=0')) return refuse('publishStream needs an SDP offer (WebRTC); Castbridge takes no other media provider');
  if (arg.rtmpUrl !== undefined && arg.rtmpUrl !== null && typeof arg.rtmpUrl !== 'string') return refuse('rtmpUrl must be a string');
  const request: PublishRequest = { mediaSessionId: ref.mediaSessionId, name: arg.name, sdp: arg.sdp, record: arg.record === true };
  if (typeof arg.rtmpUrl === 'string' && arg.rtmpUrl.trim() !== '') request.rtmpUrl = arg.rtmpUrl.trim();
  return { kind: 'publishStream', request };
}

/** The failure each unserved request gets, in the form the SDK waits for (else its promise never settles). */
function unsupported(message: string, arg: unknown): ClientRequest {
  const a = isObject(arg) ? arg : {};
  const reply = (r: Frame): ClientRequest => ({ kind: 'unsupported', message, reply: r });
  const ref = streamRefOf(arg);
  switch (message) {
    case 'playStream':
      // stream.play(): the stream's status handler, by mediaSessionId.
      if (ref) return reply(streamStatusFrame(ref, 'FAILED', `${NOT_SERVED}: playing is not supported`));
      break;
    case 'availableStream':
      // stream.available(): resolves on status "true", rejects otherwise, with `info` as the reason.
      if (ref) return reply(frame('availableStream', { id: ref.mediaSessionId, status: 'false', info: `${NOT_SERVED}: playing is not supported` }));
      break;
    case 'call': {
      // session.createCall().call(): the call's status handler, by callId.
      const callId = idOf(a.callId);
      if (callId) return reply(frame('finish', { callId, status: 'FAILED', info: `${NOT_SERVED}: SIP calls are not supported` }));
      break;
    }
    case 'sendData': {
      // session.sendData(): resolved by operationId with status ACCEPTED or FAILED.
      const operationId = idOf(a.operationId);
      if (operationId) return reply(frame('DataStatusEvent', { operationId, status: 'FAILED', info: `${NOT_SERVED}: REST app data is not supported` }));
      break;
    }
    case 'snapshot':
      if (ref) return reply(frame('notifyStreamEvent', { mediaSessionId: ref.mediaSessionId, type: 'snapshotFailed', payload: { info: `${NOT_SERVED}: snapshots are not supported` } }));
      break;
    default:
      break;
  }
  return reply(failFrame(message, `${NOT_SERVED}: "${shown(message)}" is not supported`, ref?.mediaSessionId));
}

/**
 * The status and WCS info the publisher is told when its stream ends for `reason` (the registry's reason:
 * our own constants, or the ingest's sentences for ICE and RTP timeouts).
 */
export function streamEndStatus(reason: string): { status: 'UNPUBLISHED' | 'FAILED'; info: string } {
  if (reason === 'STOPPED_BY_PUBLISHER_STOP' || reason === 'the publisher closed the connection') return { status: 'UNPUBLISHED', info: StreamInfo.publisherStop };
  if (reason === 'STOPPED_BY_SESSION_DISCONNECT') return { status: 'UNPUBLISHED', info: StreamInfo.sessionDisconnect };
  if (reason.startsWith('ICE/DTLS connection failed')) return { status: 'FAILED', info: StreamInfo.iceError };
  if (reason.startsWith('no media within')) return { status: 'FAILED', info: StreamInfo.iceTimeout };
  if (reason.startsWith('no RTP for')) return { status: 'FAILED', info: StreamInfo.rtpActivity };
  return { status: 'UNPUBLISHED', info: reason };
}
