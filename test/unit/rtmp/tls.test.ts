import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { RtmpError } from '../../../src-relay/rtmp/errors.js';
import { certificateError, readCaFile, tlsConnectOptions } from '../../../src-relay/rtmp/tls.js';
import { resolveRtmpTarget } from '../../../src-relay/rtmp/url.js';
import { parsePushArgs, pushTarget } from '../../../src-main/cli/push-args.js';

const dir = mkdtempSync(join(tmpdir(), 'castbridge-tls-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
/** Any real certificate in PEM: the first of Node's bundled roots. */
const SOME_CA = rootCertificates[0]!;

function caError(path: string): RtmpError {
  try {
    readCaFile(path);
  } catch (error) {
    assert.ok(error instanceof RtmpError);
    return error;
  }
  assert.fail(`readCaFile(${path}) accepted it`);
}

test('an rtmps_ca_file that is missing, a folder, not PEM or a broken PEM: TLS_CA_FILE naming the setting and path, not retried', () => {
  const notPem = join(dir, 'notes.txt');
  writeFileSync(notPem, 'hello');
  const broken = join(dir, 'broken.pem');
  writeFileSync(broken, `${SOME_CA}\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`);
  const cases: [string, string][] = [
    [join(dir, 'none.pem'), `rtmps_ca_file "${join(dir, 'none.pem')}" cannot be read: no such file`],
    [dir, `rtmps_ca_file "${dir}" cannot be read: it is a folder`],
    [notPem, `rtmps_ca_file "${notPem}" holds no PEM certificate (-----BEGIN CERTIFICATE-----)`],
    [broken, `rtmps_ca_file "${broken}": certificate 2 of 2 cannot be parsed`],
  ];
  for (const [path, message] of cases) {
    const error = caError(path);
    assert.equal(error.code, 'TLS_CA_FILE');
    assert.equal(error.retryable, false);
    assert.ok(error.message.startsWith(message), `${error.message} should start with ${message}`);
  }
});

test('a PEM bundle gives each certificate, and rtmps:// targets trust them besides the system CAs', () => {
  const bundle = join(dir, 'bundle.pem');
  writeFileSync(bundle, `# our CAs\n${rootCertificates[0]}\n${rootCertificates[1]}\n`);
  assert.equal(readCaFile(bundle).length, 2);
  const target = resolveRtmpTarget('rtmps://ingest.example/live', 'cam', { prefix: '', fullUrl: false, caFile: bundle });
  assert.equal(target.caFile, bundle);
  const options = tlsConnectOptions(target);
  assert.equal(options.servername, 'ingest.example', 'SNI for a host name');
  assert.ok(Array.isArray(options.ca) && options.ca.length >= rootCertificates.length + 2);
  assert.ok((options.ca as string[]).includes(rootCertificates[0]!));
  assert.equal(resolveRtmpTarget('rtmp://ingest.example/live', 'cam', { prefix: '', fullUrl: false, caFile: bundle }).caFile, undefined, 'rtmp:// has no CA file');
  const byAddress = tlsConnectOptions(resolveRtmpTarget('rtmps://127.0.0.1:4443/live', 'cam', { prefix: '', fullUrl: false }));
  assert.equal(byAddress.servername, undefined, 'no SNI for an address (RFC 6066 §3)');
  assert.equal(byAddress.ca, undefined, 'without a CA file, Node’s default store');
});

test('castbridge push --set rtmps_ca_file=… reaches the target', () => {
  const args = parsePushArgs(['clip.flv', 'rtmps://ingest.example/live', '--set', `rtmps_ca_file=${join(dir, 'ca.pem')}`]);
  assert.equal(pushTarget(args).caFile, join(dir, 'ca.pem'));
  assert.equal(pushTarget(parsePushArgs(['clip.flv', 'rtmps://ingest.example/live'])).caFile, undefined);
});

test('certificate failures become TLS_CERTIFICATE in plain words; other TLS or network errors are left alone', () => {
  const target = { host: 'ingest.example', port: 443 };
  const err = (code: string, extra: object = {}): NodeJS.ErrnoException => Object.assign(new Error(code), { code }, extra);
  const cases: [string, RegExp][] = [
    ['DEPTH_ZERO_SELF_SIGNED_CERT', /is self-signed: no trusted CA vouches for it\. .*rtmps_ca_file setting/],
    ['SELF_SIGNED_CERT_IN_CHAIN', /issued by a CA this computer does not trust/],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', /issued by a CA this computer does not trust/],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', /issued by a CA this computer does not trust/],
    ['CERT_HAS_EXPIRED', /has expired: the server's owner must renew it/],
    ['CERT_NOT_YET_VALID', /is not valid yet: check this computer's clock/],
    ['CERT_REVOKED', /was refused \(CERT_REVOKED\)/],
  ];
  for (const [code, message] of cases) {
    const error = certificateError(err(code), target);
    assert.ok(error, code);
    assert.equal(error.code, 'TLS_CERTIFICATE');
    assert.equal(error.retryable, false);
    assert.match(error.message, /^RTMPS: the certificate of ingest\.example:443 /);
    assert.match(error.message, message);
  }
  const mismatch = certificateError(err('ERR_TLS_CERT_ALTNAME_INVALID', { cert: { subjectaltname: 'DNS:a.example, DNS:b.example', subject: { CN: 'x' } } }), target);
  assert.match(mismatch?.message ?? '', /is for "a\.example", "b\.example", not for "ingest\.example": check the host name/);
  const cnOnly = certificateError(err('ERR_TLS_CERT_ALTNAME_INVALID', { cert: { subject: { CN: 'old.example' } } }), target);
  assert.match(cnOnly?.message ?? '', /is for "old\.example"/);
  for (const code of ['ECONNRESET', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ECONNREFUSED']) assert.equal(certificateError(err(code), target), undefined, code);
});

test('the PEM read is the file as written (comments and CRLF around blocks are fine)', () => {
  const crlf = join(dir, 'crlf.pem');
  writeFileSync(crlf, `Subject: test\r\n${SOME_CA.replace(/\n/g, '\r\n')}\r\n`);
  assert.equal(readCaFile(crlf).length, 1);
  assert.ok(readFileSync(crlf, 'utf8').includes('\r\n'));
});
