// HTTPS on a real host (docs/DESIGN.md §2): a configured certificate (rest_https_cert/rest_https_key) is the one
// served; without one, the self-signed certificate made on first run is kept in the data folder and served
// again, unchanged, on the next run (the streamer trusted it once: a new one every start would undo that).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { generate } from 'selfsigned';
import { silentLog } from '../../src-relay/log.js';
import { createHost, type Host } from '../../src-main/host.js';
import { removeDir } from '../helpers/servers.js';
import { call } from '../helpers/http-client.js';

const OVERRIDES = { rest_http_port: '0', rest_https_port: '0', local_rtmp_enabled: 'false', ws_port: '0', wss_port: '0' };

/** The certificate the server at `url` presents (not verified: we compare it ourselves). */
function servedCertificate(url: string): Promise<PeerCertificate> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), servername: 'localhost', rejectUnauthorized: false, timeout: 10_000 }, () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.once('timeout', () => socket.destroy(new Error(`TLS to ${url} timed out`)));
    socket.once('error', reject);
  });
}

function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

describe('HTTPS certificate', { timeout: 120_000 }, () => {
  const dirs: string[] = [];
  const hosts: Host[] = [];
  const tempDir = (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), `castbridge-${name}-`));
    dirs.push(dir);
    return dir;
  };
  const start = async (dataDir: string, overrides: Record<string, string> = {}) => {
    const host = await createHost({ dataDir, log: silentLog, overrides: { ...OVERRIDES, ...overrides } });
    hosts.push(host);
    return host;
  };

  after(async () => {
    for (const h of hosts) await h.close().catch(() => undefined);
    for (const d of dirs) removeDir(d);
  });

  test('a configured certificate and key are the ones served, and a client trusting that certificate gets through', async () => {
    const pemDir = tempDir('pem');
    const pems = await generate([{ name: 'commonName', value: 'castbridge-test.example' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
    });
    const certPath = join(pemDir, 'cert.pem');
    const keyPath = join(pemDir, 'key.pem');
    writeFileSync(certPath, pems.cert);
    writeFileSync(keyPath, pems.private, { mode: 0o600 });
    const dataDir = tempDir('https-configured');
    const host = await start(dataDir, { rest_https_cert: certPath, rest_https_key: keyPath });
    assert.ok(host.httpsUrl, 'HTTPS is served');
    const served = await servedCertificate(host.httpsUrl);
    assert.equal(served.fingerprint256, fingerprintOf(pems.cert));
    assert.match(String(served.subject.CN), /castbridge-test\.example/);
    const info = await call(`${host.httpsUrl}/api/info`, { ca: pems.cert });
    assert.equal(info.status, 200);
    assert.throws(() => statSync(join(dataDir, 'https-cert.pem')), /ENOENT/, 'no self-signed one is made when one is configured');
  });

  test('the self-signed certificate made on first run is kept and served again on the second run', async () => {
    const dataDir = tempDir('https-self');
    const first = await start(dataDir);
    const certFile = join(dataDir, 'https-cert.pem');
    const made = readFileSync(certFile, 'utf8');
    assert.equal(statSync(join(dataDir, 'https-key.pem')).mode & 0o777, 0o600, 'the key is private');
    const firstServed = await servedCertificate(first.httpsUrl!);
    assert.equal(firstServed.fingerprint256, fingerprintOf(made));
    assert.equal((await call(`${first.httpsUrl}/api/info`, { ca: made })).status, 200, 'valid for 127.0.0.1');
    await first.close();

    const second = await start(dataDir);
    const secondServed = await servedCertificate(second.httpsUrl!);
    assert.equal(secondServed.fingerprint256, firstServed.fingerprint256, 'the same certificate on the second run');
    assert.equal(readFileSync(certFile, 'utf8'), made, 'the file is not rewritten');
  });
});
