// The RTMP URL rules of docs/DESIGN.md §5 (WCS's), seen from the server: nginx-rtmp reports every connect and
// publish to a hook in this process (app, name, tcUrl, flashVer and the client's query args).
// nginx splits "app?query" in connect (app without the query, the query as args) and cuts flashver to 31
// characters in its notifications; the assertions below are what nginx 1.22 + the RTMP module report.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { push } from '../helpers/castbridge-push.js';
import { startNginxRtmp, type NginxRtmp } from '../helpers/servers.js';
import { makeTestFlv } from '../helpers/media.js';
import { DEFAULT_FLASH_VER } from '../../src-relay/rtmp/url.js';

/** nginx-rtmp keeps flashver in a 32-byte buffer with its terminating NUL. */
const NGINX_FLASHVER_CHARS = 31;

describe('RTMP URL rules as nginx-rtmp sees them', { timeout: 240_000 }, () => {
  let dir: string;
  let file: string;
  let nginx: NginxRtmp;
  let base: string;
  let pushes = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'castbridge-url-rules-'));
    file = await makeTestFlv(join(dir, 'clip.flv'), { seconds: 1, width: 160, height: 120, fps: 15, gopSeconds: 1 });
    // 'live/' is how nginx names the app of "rtmp://h/live/?query" (it cuts the query, keeps the slash)
    nginx = await startNginxRtmp({ apps: ['live', 'live/', 'app_name/app_instance'] });
    base = `rtmp://127.0.0.1:${nginx.port}`;
  });
  after(async () => {
    await nginx?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Pushes the clip and returns what nginx's on_publish reported for it. */
  async function publishOf(args: string[]) {
    const result = await push([file, ...args]);
    assert.equal(result.code, 0, result.stderr);
    return { publish: await nginx.waitForPublish(++pushes), stderr: result.stderr };
  }

  test('default: app is the path, the name gets the rtmp_ prefix, the flashVer is FMLE-compatible', async () => {
    const { publish } = await publishOf([`${base}/live`, '--stream-name', 'cam1']);
    assert.deepEqual(publish, {
      app: 'live',
      name: 'rtmp_cam1',
      tcurl: `${base}/live`,
      flashver: DEFAULT_FLASH_VER.slice(0, NGINX_FLASHVER_CHARS),
      args: {},
    });
    assert.match(DEFAULT_FLASH_VER, /^FMLE\/3\.0 \(compatible; Castbridge\/\d+\.\d+\.\d+\)$/);
  });

  test('without --stream-name the file base name is published', async () => {
    const { publish } = await publishOf([`${base}/live`]);
    assert.equal(publish.name, 'rtmp_clip');
  });

  test('an empty prefix setting publishes the name as given', async () => {
    const { publish } = await publishOf([`${base}/live`, '--stream-name', 'cam2', '--set', 'rtmp_transponder_stream_name_prefix=']);
    assert.equal(publish.name, 'cam2');
  });

  test('full_url=false: the query is not sent', async () => {
    const { publish } = await publishOf([`${base}/live?user=u&pass=p`, '--stream-name', 'cam3']);
    assert.deepEqual([publish.app, publish.tcurl, publish.args], ['live', `${base}/live`, {}]);
  });

  test('full_url=true: rtmp://h/live/?user=u&pass=p connects with app "live/?user=u&pass=p"', async () => {
    const { publish } = await publishOf([`${base}/live/?user=u&pass=p`, '--stream-name', 'cam4', '--set', 'rtmp_transponder_full_url=true']);
    assert.deepEqual(publish, {
      app: 'live/',
      name: 'rtmp_cam4',
      tcurl: `${base}/live/?user=u&pass=p`,
      flashver: DEFAULT_FLASH_VER.slice(0, NGINX_FLASHVER_CHARS),
      args: { user: 'u', pass: 'p' },
    });
  });

  test('full_url=true: app name, app instance and the stream name from the last segment, used as written', async () => {
    const { publish } = await publishOf([`${base}/app_name/app_instance/stream_name`, '--stream-name', 'ignored', '--set', 'rtmp_transponder_full_url=true']);
    assert.deepEqual([publish.app, publish.name, publish.tcurl], ['app_name/app_instance', 'stream_name', `${base}/app_name/app_instance`]);
  });

  test('rtmp_flash_version replaces the flashVer sent in connect', async () => {
    const { publish } = await publishOf([`${base}/live`, '--stream-name', 'cam5', '--set', 'rtmp_flash_version=FMLE/3.0 (compatible; Test)']);
    assert.equal(publish.flashver, 'FMLE/3.0 (compatible; Test)');
  });

  test('a stream key in the URL is published but never printed', async () => {
    const key = 'sk_live_8f3a9c2e71d4';
    const { publish, stderr } = await publishOf([`${base}/live/${key}`, '--set', 'rtmp_transponder_full_url=true']);
    assert.equal(publish.name, key);
    assert.ok(!stderr.includes(key), `stderr shows the key:\n${stderr}`);
    assert.ok(!stderr.includes(key.slice(4)), `stderr shows most of the key:\n${stderr}`);
  });

  test('bad settings are refused before connecting, naming the key', async () => {
    const unknown = await push([file, `${base}/live`, '--set', 'rtmp_no_such_setting=1']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown setting "rtmp_no_such_setting"/);
    const bad = await push([file, `${base}/live`, '--set', 'rtmp_transponder_full_url=maybe']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /rtmp_transponder_full_url must be true or false, got "maybe"/);
    assert.equal(nginx.publishes.length, pushes, 'nothing was published');
  });
});
