// RTMPS as ingests are commonly built: nginx's `stream` module terminates TLS and passes the bytes to
// nginx-rtmp behind it. Certificates made per run with openssl: one signed by a test CA, one self-signed,
// one for another name, one expired. Both ways a push leaves Castbridge are driven: `castbridge push` (the
// CLI) and a transponder of a live stream (TransponderManager, as the host runs it). A certificate that is
// not trusted is a FAILED push with the reason, never retried; `rtmps_ca_file` makes it trusted. nginx-rtmp's
// own log shows that it found the digest of our C1 (the handshake ffmpeg sends).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamRegistry, type LiveStream } from '../../src-relay/streams.js';
import { TransponderManager } from '../../src-relay/transponder/manager.js';
import type { TransponderJSON } from '../../src-relay/transponder/service.js';
import { consoleLog, type LogFields } from '../../src-relay/log.js';
import { HANDSHAKE_SIZE } from '../../src-relay/rtmp/handshake.js';
import { push } from '../helpers/castbridge-push.js';
import { makeTestCertificates, removeDir, startNginxRtmp, startTlsFront, type NginxRtmp, type TestCertificates, type TlsFront } from '../helpers/servers.js';
import { makeTestFlv, probeStreams } from '../helpers/media.js';
import { videoOfFlv } from '../helpers/flv-video.js';
import { waitFor } from '../helpers/wait.js';

const CLIP = { seconds: 3, width: 320, height: 240, fps: 25, gopSeconds: 1 };
const PCM_CHUNK_MS = 20;
/** How long a transponder's push lasts before it is terminated. */
const PUSH_MS = 3000;
/** How long a FAILED transponder is watched for a retry that must not come (the first backoff is 1 s). */
const NO_RETRY_WATCH_MS = 2500;

interface LogLine {
  event: string;
  fields: LogFields;
}

describe('RTMPS through nginx stream + ssl in front of nginx-rtmp', { timeout: 300_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'castbridge-rtmps-'));
  let certs: TestCertificates;
  let nginx: NginxRtmp;
  let front: TlsFront;
  let clip: string;
  let registry: StreamRegistry;
  let stream: LiveStream;
  let manager: TransponderManager;
  let pump: NodeJS.Timeout | undefined;
  /** The relay's rtmps_ca_file, as the host's settings would give it. */
  let caFile: string | undefined;
  const logs: LogLine[] = [];
  const history = new Map<string, TransponderJSON[]>();

  before(async () => {
    certs = makeTestCertificates();
    [nginx, clip] = await Promise.all([startNginxRtmp({ debugLog: true }), makeTestFlv(join(work, 'clip.flv'), CLIP)]);
    front = await startTlsFront({
      targetPort: nginx.port,
      fronts: { signed: certs.signed, selfSigned: certs.selfSigned, wrongName: certs.wrongName, expired: certs.expired },
    });
    // A live stream fed with the clip's H.264 and a 440 Hz tone, looping, as a WebRTC publisher would.
    const { params, frames } = videoOfFlv(clip);
    registry = new StreamRegistry();
    stream = registry.publish('cam', { requestKeyframe: () => undefined, close: () => undefined, description: 'test' });
    const log = (event: string, fields: LogFields = {}): void => {
      logs.push({ event, fields });
      if (process.env.CASTBRIDGE_TEST_VERBOSE) consoleLog(event, fields);
    };
    manager = new TransponderManager(registry, () => ({
      streamNamePrefix: '',
      fullUrl: true,
      keyframeIntervalMs: 1000,
      log,
      ...(caFile !== undefined && { rtmpsCaFile: caFile }),
    }));
    manager.on('changed', (t) => history.set(t.mediaSessionId, [...(history.get(t.mediaSessionId) ?? []), t]));
    stream.pushParams(params);
    const startedAt = performance.now();
    const clipMs = CLIP.seconds * 1000;
    let videoIndex = 0;
    let pcmMs = 0;
    let sample = 0;
    pump = setInterval(() => {
      const now = performance.now() - startedAt;
      for (; pcmMs <= now; pcmMs += PCM_CHUNK_MS) {
        const samples = new Int16Array(48 * PCM_CHUNK_MS * 2);
        for (let i = 0; i < samples.length / 2; i++, sample++) samples[2 * i] = samples[2 * i + 1] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * sample) / 48000));
        stream.pushPcm({ time: pcmMs, samples });
      }
      for (;;) {
        const f = frames[videoIndex % frames.length]!;
        const dts = Math.floor(videoIndex / frames.length) * clipMs + f.dts;
        if (dts > now) break;
        stream.pushVideo({ ...f, dts });
        videoIndex++;
      }
    }, 10);
  });

  after(async () => {
    clearInterval(pump);
    await manager?.stopAll();
    stream?.end('test over');
    await front?.stop();
    await nginx?.stop();
    if (!process.env.CASTBRIDGE_TEST_KEEP) {
      rmSync(work, { recursive: true, force: true });
      if (certs) removeDir(certs.dir);
    }
  });

  /** Starts a transponder and waits until it is PUBLISHING or FAILED. */
  async function startTransponder(rtmpUrl: string): Promise<TransponderJSON> {
    const { mediaSessionId } = manager.startup({ streamName: 'cam', rtmpUrl });
    const current = (): TransponderJSON => manager.find({ mediaSessionId })[0]!;
    await waitFor(`${rtmpUrl} PUBLISHING or FAILED`, () => ['PUBLISHING', 'FAILED'].includes(current().status), 20_000);
    return current();
  }

  /** Expects a transponder FAILED with `reason`, and no retry: never RECONNECTING, still FAILED a while later. */
  async function assertFailedForGood(rtmpUrl: string, reason: RegExp): Promise<void> {
    const t = await startTransponder(rtmpUrl);
    assert.equal(t.status, 'FAILED', `expected FAILED, got ${t.status} (${t.info ?? ''})`);
    assert.match(t.info ?? '', reason);
    await new Promise((r) => setTimeout(r, NO_RETRY_WATCH_MS));
    const later = manager.find({ mediaSessionId: t.mediaSessionId })[0]!;
    assert.equal(later.status, 'FAILED');
    assert.equal(later.stats.reconnects, 0);
    const seen = (history.get(t.mediaSessionId) ?? []).map((h) => h.status);
    assert.ok(!seen.includes('RECONNECTING'), `a certificate failure is not retried; statuses seen: ${seen.join(' → ')}`);
    assert.equal(
      logs.filter((l) => l.event === 'transponder.retry' && l.fields.mediaSessionId === t.mediaSessionId).length,
      0,
      'no transponder.retry logged',
    );
    await manager.terminate(t.mediaSessionId).catch(() => undefined);
  }

  /** A transponder that publishes for PUSH_MS, then is terminated; resolves with nginx's recording. */
  async function pushAndRecord(rtmpUrl: string): Promise<string> {
    const t = await startTransponder(rtmpUrl);
    assert.equal(t.status, 'PUBLISHING', `expected PUBLISHING, got ${t.status} (${t.info ?? ''})`);
    await new Promise((r) => setTimeout(r, PUSH_MS));
    await manager.terminate(t.mediaSessionId);
    return nginx.waitForRecording(30_000);
  }

  test('castbridge push with rtmps_ca_file naming the test CA: nginx-rtmp records H.264 + AAC through the TLS front', async () => {
    const result = await push([clip, front.url('signed'), '--stream-name', 'cli_signed', '--set', `rtmps_ca_file=${certs.caFile}`]);
    assert.equal(result.code, 0, result.stderr);
    const recording = await nginx.waitForRecording(30_000);
    assert.match(recording, /cli_signed/);
    const got = await probeStreams(recording);
    assert.equal(got.video?.codec, 'h264');
    assert.deepEqual([got.video?.width, got.video?.height], [CLIP.width, CLIP.height]);
    assert.equal(got.audio?.codec, 'aac');
    assert.ok(got.durationSec > CLIP.seconds - 0.5, `recorded ${got.durationSec} s of a ${CLIP.seconds} s file`);
  });

  test('castbridge push without the CA fails, naming the certificate problem and the setting', async () => {
    const result = await push([clip, front.url('signed'), '--stream-name', 'cli_untrusted']);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /the certificate of 127\.0\.0\.1:\d+ was issued by a CA this computer does not trust\. .*rtmps_ca_file setting\. \[TLS_CERTIFICATE\]/);
  });

  test('castbridge push with an rtmps_ca_file that does not exist: an error naming the setting and the path', async () => {
    const missing = join(work, 'no-such-ca.pem');
    const result = await push([clip, front.url('signed'), '--stream-name', 'cli_missing', '--set', `rtmps_ca_file=${missing}`]);
    assert.equal(result.code, 1, result.stderr);
    assert.ok(result.stderr.includes(`rtmps_ca_file "${missing}" cannot be read: no such file [TLS_CA_FILE]`), result.stderr);
  });

  test('a transponder to a self-signed certificate is FAILED with the reason, not retried', async () => {
    caFile = undefined;
    await assertFailedForGood(`${front.url('selfSigned')}/tr_self_untrusted`, /^TLS_CERTIFICATE: RTMPS: the certificate of 127\.0\.0\.1:\d+ is self-signed: .*rtmps_ca_file/);
  });

  test('with that certificate in rtmps_ca_file, the transponder publishes and nginx-rtmp records H.264 + AAC', async () => {
    caFile = certs.selfSigned.cert;
    const recording = await pushAndRecord(`${front.url('selfSigned')}/tr_self_trusted`);
    assert.match(recording, /tr_self_trusted/);
    const got = await probeStreams(recording);
    assert.equal(got.video?.codec, 'h264');
    assert.equal(got.audio?.codec, 'aac');
    assert.ok(got.durationSec > 1.5, `recorded ${got.durationSec} s`);
  });

  test('a transponder through the CA-signed front, with the CA in rtmps_ca_file, publishes and is recorded', async () => {
    caFile = certs.caFile;
    const recording = await pushAndRecord(`${front.url('signed')}/tr_signed`);
    const got = await probeStreams(recording);
    assert.equal(got.video?.codec, 'h264');
    assert.equal(got.audio?.codec, 'aac');
  });

  test('a certificate for another name is FAILED even with its CA trusted (the name is checked)', async () => {
    caFile = certs.caFile;
    await assertFailedForGood(`${front.url('wrongName')}/tr_wrong_name`, /^TLS_CERTIFICATE: RTMPS: the certificate of 127\.0\.0\.1:\d+ is for "other\.example", not for "127\.0\.0\.1"/);
  });

  test('an expired certificate is FAILED, saying so', async () => {
    caFile = certs.caFile;
    await assertFailedForGood(`${front.url('expired')}/tr_expired`, /^TLS_CERTIFICATE: RTMPS: the certificate of 127\.0\.0\.1:\d+ has expired: the server's owner must renew it\.$/);
  });

  test('an rtmps_ca_file that holds no certificate: FAILED naming the setting and the path', async () => {
    caFile = clip; // an FLV file, not PEM
    await assertFailedForGood(`${front.url('signed')}/tr_bad_ca`, new RegExp(`^TLS_CA_FILE: rtmps_ca_file "${clip.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" holds no PEM certificate`));
  });

  test("nginx-rtmp found our C1's digest (its log) and signed S2 with it (our log)", async () => {
    // Pushes above went through; nginx (Debian builds it --with-debug) logs the digest position at debug
    // level, and at info level only when it finds none.
    const debug = nginx.errorLog('debug');
    assert.match(debug, /handshake: digest found at pos=\d+/);
    assert.doesNotMatch(nginx.errorLog('info'), /handshake: digest not found/);
    const handshakes = logs.filter((l) => l.event === 'rtmp.handshake');
    assert.ok(handshakes.length >= 2, `rtmp.handshake logged ${handshakes.length} times`);
    for (const h of handshakes) assert.deepEqual([h.fields.form, h.fields.serverDigest, h.fields.serverSignedC1], ['digest', true, true]);

    // The info-level line is real: a C1 announcing a version but carrying no valid digest gets it.
    await new Promise<void>((resolve, reject) => {
      const socket = connect(nginx.port, '127.0.0.1', () => {
        const c0c1 = Buffer.alloc(1 + HANDSHAKE_SIZE, 0x5a);
        c0c1[0] = 3;
        socket.write(c0c1);
      });
      socket.on('data', () => socket.destroy());
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    await waitFor('nginx logs "digest not found"', () => /handshake: digest not found/.test(nginx.errorLog('info')), 5000);
  });
});
