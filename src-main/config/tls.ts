// The HTTPS certificate (docs/DESIGN.md §2): the configured PEM pair, else a self-signed one made on first run
// and kept in the data folder (`https-cert.pem`, `https-key.pem`, key mode 0600) for localhost names.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TlsPair {
  cert: string;
  key: string;
  /** Where it came from, for the log. */
  source: string;
}

const CERT_FILE = 'https-cert.pem';
const KEY_FILE = 'https-key.pem';
const VALIDITY_DAYS = 3650;
const DAY_MS = 86_400_000;

export async function loadTlsPair(dataDir: string, certPath: string, keyPath: string): Promise<TlsPair> {
  if (certPath !== '' || keyPath !== '') {
    if (certPath === '' || keyPath === '') throw new Error('rest_https_cert and rest_https_key must be set together');
    return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8'), source: certPath };
  }
  const cert = join(dataDir, CERT_FILE);
  const key = join(dataDir, KEY_FILE);
  if (existsSync(cert) && existsSync(key)) return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8'), source: cert };
  const made = await makeSelfSigned();
  writeFileSync(key, made.key, { mode: 0o600 });
  writeFileSync(cert, made.cert, { mode: 0o644 });
  return { ...made, source: `${cert} (self-signed, new)` };
}

async function makeSelfSigned(): Promise<{ cert: string; key: string }> {
  // Loaded only here: it costs ~0.2 CPU s at every start, and only the first run makes a certificate.
  const { generate } = await import('selfsigned');
  const notBeforeDate = new Date(Date.now() - DAY_MS);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + VALIDITY_DAYS * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
