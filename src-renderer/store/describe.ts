// Status and failure reasons in a streamer's words.
import type { TransponderJSON } from '../sdk/protocol.js';

/** WCS stop reasons (docs/DESIGN.md §4) in plain words. */
const STOP_REASONS: Record<string, string> = {
  STOPPED_BY_PUBLISHER_STOP: 'Stopped: the stream it carried has ended.',
  STOPPED_BY_REST_TERMINATE: 'Stopped from the REST API or the Stop button.',
};

/** A transponder's state as one sentence for its card. */
export function describeTransponder(t: TransponderJSON, now = Date.now()): string {
  const info = t.info ?? '';
  switch (t.status) {
    case 'CONNECTING':
      return 'Connecting to the server…';
    case 'PUBLISHING':
      return 'Live: the server is receiving your stream.';
    case 'RECONNECTING': {
      const wait = t.stats.nextRetryAt ? Math.max(0, Math.round((t.stats.nextRetryAt - now) / 1000)) : undefined;
      return `Network lost${info ? ` (${info})` : ''}. Reconnecting${t.stats.attempt ? `, attempt ${t.stats.attempt}` : ''}${wait !== undefined ? `, next try in ${wait} s` : ''}…`;
    }
    case 'FAILED':
      return describeFailure(info);
    case 'STOPPED':
      return STOP_REASONS[info] ?? (info ? `Stopped (${info}).` : 'Stopped.');
  }
}

/** `CODE: sentence`: the relay puts its typed code (an RTMP error code, or REFUSED) at the start of a failure's info. */
const FAILURE_CODE = /^([A-Z][A-Z0-9_]*): /;
/**
 * Codes of a target refusing the stream: the stream name/key (BAD_NAME), the URL's user and password
 * (AUTH_REQUIRED, AUTH_FAILED), or a server that closes every connection before publishing starts (REFUSED).
 */
const KEY_REFUSED_CODES: ReadonlySet<string> = new Set(['BAD_NAME', 'AUTH_REQUIRED', 'AUTH_FAILED', 'REFUSED']);
/** The RTMP onStatus codes of a refused publish, wherever the info quotes the server. */
const PUBLISH_REFUSED_STATUS = /\bNetStream\.Publish\.(BadName|Rejected)\b/;
const TLS_CODES: ReadonlySet<string> = new Set(['TLS_CERTIFICATE', 'TLS_CA_FILE']);

/** RTMP refusals (by their code or onStatus code) and connection failures mapped to what the streamer can do. */
export function describeFailure(info: string): string {
  const code = FAILURE_CODE.exec(info)?.[1];
  if ((code !== undefined && KEY_REFUSED_CODES.has(code)) || PUBLISH_REFUSED_STATUS.test(info)) {
    return `The server refused the stream key. Check the key for this target and try again. (${info})`;
  }
  if (code === 'DNS' || /resolve|ENOTFOUND|EAI_AGAIN/i.test(info)) return `The server name could not be found: check the URL and your internet connection. (${info})`;
  if (code !== undefined && TLS_CODES.has(code)) return `The secure (RTMPS) connection failed. (${info})`;
  if (/refused|ECONNREFUSED/i.test(info)) return `The server refused the connection: check the URL and port. (${info})`;
  if (/tls|certificate|ssl/i.test(info)) return `The secure (RTMPS) connection failed. (${info})`;
  return info ? `Failed: ${info}` : 'Failed.';
}

/** A publish failure reason (SDK info) in plain words. */
export function describePublishFailure(info: string | undefined, detail?: string): string {
  switch (info) {
    case 'FAILED_BY_MEDIA_ACCESS_DENIED':
      return 'Castbridge is not allowed to use your camera or microphone. Allow access, then press Retry.';
    case 'FAILED_BY_MEDIA_DEVICE_NOT_FOUND':
      return 'No camera or microphone was found. Plug one in or share your screen.';
    case 'FAILED_BY_MEDIA_DEVICE_BUSY':
      return 'Your camera is busy in another app. Close it and try again.';
    case 'FAILED_BY_ICE_ERROR':
      return 'The connection between the studio and the relay failed. Try going live again.';
    case 'FAILED_BY_SESSION_DISCONNECT':
      return 'The connection to Castbridge was lost. It reconnects by itself; then go live again.';
    case 'FAILED_BY_HOST_REJECTION':
      return `Castbridge refused to start the stream${detail ? `: ${detail.replace(/^Error: /, '')}` : '.'}`;
    default:
      return `Going live failed${info ? ` (${info})` : ''}${detail ? `: ${detail}` : '.'}`;
  }
}

export function formatUptime(ms: number): string {
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`;
}
