// RTMPS: what the TLS side of a connection trusts, and its certificate failures in a streamer's words.
// Certificates are always verified. Besides the system's CAs (and NODE_EXTRA_CA_CERTS), the setting
// `rtmps_ca_file` names a PEM file of CAs trusted for rtmps:// targets: a private ingest's own CA, or a
// self-signed server certificate itself. A certificate failure is never retried: the same certificate
// comes back on every attempt until someone changes the server or the setting.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { rootCertificates, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { RtmpError } from './errors.js';
import type { RtmpTarget } from './url.js';

/** The setting's name, as the user sees it in settings and messages. */
export const CA_FILE_SETTING = 'rtmps_ca_file';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The certificates of a PEM file, each checked to parse. Throws a non-retryable TLS_CA_FILE RtmpError
 * naming the setting and the path when the file is missing, unreadable or holds no certificate.
 */
export function readCaFile(path: string, setting = CA_FILE_SETTING): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message;
    throw new RtmpError('TLS_CA_FILE', `${setting} "${path}" cannot be read: ${why}`, { cause: error });
  }
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new RtmpError('TLS_CA_FILE', `${setting} "${path}" holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  blocks.forEach((pem, i) => {
    try {
      new X509Certificate(pem);
    } catch (error) {
      throw new RtmpError('TLS_CA_FILE', `${setting} "${path}": certificate ${i + 1} of ${blocks.length} cannot be parsed: ${(error as Error).message}`, { cause: error });
    }
  });
  return blocks;
}

/** NODE_EXTRA_CA_CERTS, kept trusted when `ca` replaces Node's default store (best effort: Node warns itself). */
function nodeExtraCa(): string[] {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (!file) return [];
  try {
    return readFileSync(file, 'utf8').match(PEM_CERTIFICATE) ?? [];
  } catch {
    return [];
  }
}

/**
 * tls.connect options for a target: SNI for a host name (never for an address, RFC 6066 §3), and when the
 * target has a CA file, the system's CAs plus that file's. `override` (tests) wins.
 */
export function tlsConnectOptions(target: RtmpTarget, override?: Pick<ConnectionOptions, 'ca' | 'rejectUnauthorized'>): ConnectionOptions {
  const options: ConnectionOptions = { host: target.host, port: target.port, servername: isIP(target.host) ? undefined : target.host };
  if (target.caFile) options.ca = [...rootCertificates, ...nodeExtraCa(), ...readCaFile(target.caFile)];
  return { ...options, ...override };
}

/** OpenSSL verification codes (X509_V_ERR_*) as Node reports them, grouped by what the streamer can do. */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
]);
const OTHER_CERTIFICATE_ERRORS = new Set([
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
]);

type TlsError = NodeJS.ErrnoException & { reason?: string; host?: string; cert?: PeerCertificate };

/** The names a certificate is valid for: its subjectAltName entries, or its CN when it has none (RFC 6125 §6.4.4). */
function names(cert: PeerCertificate | undefined): string {
  const alt = cert?.subjectaltname?.split(/,\s*/).map((n) => n.replace(/^(DNS|IP Address):/, '')) ?? [];
  const cn = typeof cert?.subject?.CN === 'string' ? [cert.subject.CN] : [];
  const all = alt.length ? alt : cn;
  return all.length ? all.map((n) => `"${n}"`).join(', ') : 'no name';
}

/**
 * A TLS certificate failure as a non-retryable TLS_CERTIFICATE RtmpError with a message a streamer can act
 * on; undefined for any other error (a network error stays what it was). Node has closed the socket by then,
 * so only a name mismatch (whose error carries the certificate) can quote what the certificate says.
 */
export function certificateError(err: TlsError, target: Pick<RtmpTarget, 'host' | 'port'>): RtmpError | undefined {
  const code = err.code ?? '';
  const where = `${target.host}:${target.port}`;
  const fix = `If you trust this server, put its CA certificate (or the certificate itself) in the ${CA_FILE_SETTING} setting.`;
  let message: string | undefined;
  if (code === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
    message = `the certificate of ${where} is self-signed: no trusted CA vouches for it. ${fix}`;
  } else if (UNTRUSTED.has(code)) {
    message = `the certificate of ${where} was issued by a CA this computer does not trust. ${fix}`;
  } else if (code === 'CERT_HAS_EXPIRED') {
    message = `the certificate of ${where} has expired: the server's owner must renew it.`;
  } else if (code === 'CERT_NOT_YET_VALID') {
    message = `the certificate of ${where} is not valid yet: check this computer's clock.`;
  } else if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') {
    message = `the certificate of ${where} is for ${names(err.cert)}, not for "${target.host}": check the host name in the RTMP URL.`;
  } else if (OTHER_CERTIFICATE_ERRORS.has(code)) {
    message = `the certificate of ${where} was refused (${code}).`;
  }
  return message === undefined ? undefined : new RtmpError('TLS_CERTIFICATE', `RTMPS: ${message}`, { cause: err });
}
