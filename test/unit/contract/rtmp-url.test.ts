// One rtmpUrl syntax, wherever a URL arrives: the REST startup body, the auto-push setting (host and Settings
// panel), the studio's target form and the relay's resolver accept and refuse the same URLs, each saying the
// problem in its own words and never echoing a key. And the studio's preset body reaches the relay whole.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { checkRtmpUrlSyntax, parseRtmpUrl } from '../../../src-contract/rtmp-url.js';
import { parseSettingValue } from '../../../src-main/config/settings.js';
import { buildApp } from '../../../src-main/rest/app.js';
import { resolveRtmpTarget } from '../../../src-relay/rtmp/url.js';
import type { StartupRequest } from '../../../src-relay/transponder/service.js';
import { validateSetting } from '../../../src-renderer/store/settings.js';
import { startupBody, targetProblem, type Target } from '../../../src-renderer/store/presets.js';
import { fakeWorld, nullSource, type FakeWorld } from '../rest/fakes.js';

const GOOD = [
  'rtmp://127.0.0.1/live',
  'rtmp://127.0.0.1:1935/live/instance',
  'rtmps://a.rtmps.youtube.com:443/live2',
  'rtmps://b.rtmps.youtube.com:443/live2?backup=1',
  'rtmp://user:p%40ss@[::1]:1935/app/',
  'RTMP://Example.COM/app',
];
/** A bad URL and the part that is wrong. Several carry a key that must not show in any message. */
const BAD: [string, string][] = [
  ['http://example.com/live/abcd-1234-key', 'scheme'],
  ['example.com/live', 'scheme'],
  ['rtmp:///live/abcd-1234-key', 'host'],
  ['rtmp://bad host/live2/abcd-1234-key?pass=hunter2', 'host'],
  ['rtmp://h:99999/live/abcd-1234-key', 'port'],
  ['rtmp://h:0/live', 'port'],
  ['rtmp://:hunter2@h/live', 'userinfo'],
  ['rtmp://h', 'application'],
  ['rtmp://h/?key=abcd-1234-key', 'application'],
  // Typos that put the secret where the host or port goes: refused without quoting it.
  ['rtmp://bob:hunter2/x@h/live', 'port'],
  ['rtmp://bob:hun#ter2@h/live', 'port'],
  ['rtmp://h\\live\\abcd-1234-key', 'host'],
];

function target(rtmpUrl: string): Target {
  return { id: 't', name: 'Server', kind: 'custom', rtmpUrl, streamKey: '' };
}

describe('one rtmpUrl syntax for every caller', () => {
  let world: FakeWorld;
  let app: FastifyInstance;
  const startup = (body: unknown) =>
    app.inject({ method: 'POST', url: '/rest-api/push/startup', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });

  before(async () => {
    world = fakeWorld();
    app = await buildApp(world.deps, { bodyLimit: 65536 });
    world.registry.publish('cam1', nullSource);
  });
  after(async () => {
    await app.close();
    world.cleanup();
  });

  test('a good URL passes the REST startup, both settings checks, the target form and the relay', async () => {
    for (const url of GOOD) {
      assert.ok(checkRtmpUrlSyntax(url).ok, url);
      assert.equal(parseSettingValue('rtmp_push_auto_start_url', url).ok, true, url);
      assert.equal(validateSetting('rtmp_push_auto_start_url', url), undefined, url);
      assert.equal(targetProblem(target(url)), undefined, url);
      assert.doesNotThrow(() => resolveRtmpTarget(url, 'cam1', { prefix: 'rtmp_', fullUrl: false }), url);
      const res = await startup({ streamName: 'cam1', rtmpUrl: url });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      await app.inject({ method: 'POST', url: '/rest-api/push/terminate', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ mediaSessionId: res.json().mediaSessionId }) });
    }
  });

  test('a bad URL is refused by every one of them, naming the part, never echoing the key', async () => {
    for (const [url, part] of BAD) {
      const parsed = checkRtmpUrlSyntax(url, 'rtmpUrl');
      assert.ok(!parsed.ok && parsed.problem === part, `${url}: ${JSON.stringify(parsed)}`);
      const setting = parseSettingValue('rtmp_push_auto_start_url', url);
      assert.ok(!setting.ok && /^rtmp_push_auto_start_url must be an rtmp:\/\/ or rtmps:\/\/ URL/.test(setting.error), url);
      assert.match(validateSetting('rtmp_push_auto_start_url', url) ?? '', /must be an rtmp:\/\/ or rtmps:\/\/ URL/, url);
      assert.match(targetProblem(target(url)) ?? '', /^The server URL /, url);
      const res = await startup({ streamName: 'cam1', rtmpUrl: url });
      assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
      assert.equal(res.json().error, parsed.error, 'the route says what the shared check says');
      for (const message of [parsed.error, setting.error, res.json().error, targetProblem(target(url))!]) {
        assert.ok(!message.includes('abcd-1234-key') && !message.includes('hunter2'), message);
      }
      // The relay applies the WCS rules on top of the same syntax: it refuses these too.
      assert.throws(() => resolveRtmpTarget(url, 'cam1', { prefix: 'rtmp_', fullUrl: false }), url);
    }
  });

  test('each caller words the problem for its reader', () => {
    assert.equal(parseRtmpUrl('rtmp://h:99999/live').ok, false);
    assert.deepEqual(
      BAD.slice(0, 3).map(([url]) => targetProblem(target(url))),
      [
        'The server URL must start with rtmp:// or rtmps://, not http://.',
        'The server URL should look like rtmp://server/app or rtmps://server/app.',
        'The server URL has no server name.',
      ],
    );
    const relay = (() => {
      try {
        resolveRtmpTarget('rtmp://h:99999/live', 'cam1', { prefix: '', fullUrl: false });
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    })();
    assert.equal(relay, 'RTMP URL port "99999" is not a number 1–65535');
    const noApp = checkRtmpUrlSyntax('rtmp://h', 'rtmpUrl');
    assert.equal(noApp.ok ? '' : noApp.error, 'rtmpUrl has no application, e.g. rtmp://host/live');
  });

  test("a preset's startup body reaches the relay whole: the key as the last segment, full URL, no prefix", async () => {
    const received: StartupRequest[] = [];
    const original = world.transponders.startup.bind(world.transponders);
    world.transponders.startup = (request, sound) => {
      received.push(request);
      return original(request, sound);
    };
    const body = startupBody({ id: 'yt', name: 'YouTube', kind: 'youtube', rtmpUrl: 'rtmps://a.rtmps.youtube.com:443/live2', streamKey: 'abcd-1234' }, 'cam1');
    const res = await startup(body);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(received.at(-1), { streamName: 'cam1', rtmpUrl: 'rtmps://a.rtmps.youtube.com:443/live2/abcd-1234', options: { quality: 'highest', adaptive: true, videoCodecs: ['av1', 'h264'] }, rtmpTransponderFullUrl: true, noPrefix: true });
    const wrong = await startup({ streamName: 'cam1', rtmpUrl: 'rtmp://127.0.0.1/other', noPrefix: 'yes' });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.json().error, /noPrefix/);
  });
});
