// Typed errors of the RTMP client. A transponder decides from `retryable` whether to reconnect (network-ish
// trouble) or to fail for good (a refusal that retrying cannot fix: bad key, bad app, bad credentials, a
// certificate that is not trusted).

export type RtmpErrorCode =
  | 'CONNECT_REJECTED'
  | 'BAD_NAME'
  | 'BAD_APPLICATION'
  | 'AUTH_REQUIRED'
  | 'AUTH_FAILED'
  | 'TIMEOUT'
  | 'CLOSED'
  | 'PROTOCOL'
  | 'NETWORK'
  | 'DNS'
  | 'BLACK_HOLE'
  /** The rtmps:// server's certificate is not trusted, expired or for another name (rtmp/tls.ts). */
  | 'TLS_CERTIFICATE'
  /** The rtmps_ca_file setting names a file that cannot be read or holds no certificate. */
  | 'TLS_CA_FILE';

const NEVER_RETRYABLE: ReadonlySet<RtmpErrorCode> = new Set(['BAD_NAME', 'BAD_APPLICATION', 'AUTH_REQUIRED', 'AUTH_FAILED', 'TLS_CERTIFICATE', 'TLS_CA_FILE']);

/** Default retry policy of a code; CONNECT_REJECTED is retryable only when the caller says so (see below). */
export function isRetryableCode(code: RtmpErrorCode): boolean {
  return !NEVER_RETRYABLE.has(code) && code !== 'CONNECT_REJECTED';
}

export class RtmpError extends Error {
  override readonly name = 'RtmpError';
  readonly retryable: boolean;

  /**
   * @param message already redacted: never a password or stream key.
   * @param retryable defaults from the code; a CONNECT_REJECTED whose reason is transient (server busy) may
   *   pass true.
   */
  constructor(
    readonly code: RtmpErrorCode,
    message: string,
    options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable ?? isRetryableCode(code);
  }
}

/** A malformed rtmp(s):// URL; the message names the problem. */
export class RtmpUrlError extends Error {
  override readonly name = 'RtmpUrlError';
}

/** Malformed AMF0 bytes; the message names the offset and the bound. */
export class Amf0Error extends Error {
  override readonly name = 'Amf0Error';
}

/** Malformed RTMP chunk stream or handshake bytes from the peer. */
export class RtmpProtocolError extends Error {
  override readonly name = 'RtmpProtocolError';
}
