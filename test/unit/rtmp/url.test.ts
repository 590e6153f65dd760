import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FLASH_VER, RtmpUrlError, resolveRtmpTarget, type RtmpTarget } from '../../../src-relay/rtmp/url.js';

const WCS = { prefix: 'rtmp_', fullUrl: false };
const FULL = { prefix: 'rtmp_', fullUrl: true };

describe('RTMP URL rules (docs/DESIGN.md §5)', () => {
  const rows: [string, string | undefined, typeof WCS & { noPrefix?: boolean }, Partial<RtmpTarget>][] = [
    ['rtmp://h/live', 'cam', WCS, { host: 'h', port: 1935, tls: false, app: 'live', tcUrl: 'rtmp://h/live', streamName: 'rtmp_cam' }],
    ['rtmp://h:1936/live/', 'cam', WCS, { port: 1936, app: 'live', tcUrl: 'rtmp://h:1936/live', streamName: 'rtmp_cam' }],
    ['rtmps://a.rtmps.youtube.com:443/live2', 'abcd-efgh', { ...WCS, noPrefix: true }, { tls: true, port: 443, app: 'live2', streamName: 'abcd-efgh' }],
    ['rtmps://live-api-s.facebook.com/rtmp/', 'FB-1', { ...WCS, noPrefix: true }, { tls: true, port: 443, app: 'rtmp', streamName: 'FB-1' }],
    ['rtmp://h/live', 'cam', { prefix: '', fullUrl: false }, { streamName: 'cam' }],
    ['rtmp://h/live?user=u&pass=p', 'cam', WCS, { app: 'live', tcUrl: 'rtmp://h/live', streamName: 'rtmp_cam' }],
    ['rtmp://h/app/inst/', 'cam', WCS, { app: 'app/inst', streamName: 'rtmp_cam' }],
    ['rtmp://h/app/inst/key', 'cam', WCS, { app: 'app/inst/key', streamName: 'rtmp_cam' }],
    // full_url: the query rides in app and tcUrl; a last segment is the stream name, as written
    ['rtmp://h:1935/live/?user=u&pass=p', 'cam', FULL, { app: 'live/?user=u&pass=p', tcUrl: 'rtmp://h:1935/live/?user=u&pass=p', streamName: 'rtmp_cam' }],
    ['rtmp://h:1935/app_name/app_instance/stream_name', 'cam', FULL, { app: 'app_name/app_instance', streamName: 'stream_name' }],
    ['rtmp://h/app/inst/', 'cam', FULL, { app: 'app/inst/', streamName: 'rtmp_cam' }],
    ['rtmp://h/app/stream?token=t', undefined, FULL, { app: 'app?token=t', tcUrl: 'rtmp://h/app?token=t', streamName: 'stream' }],
    ['rtmp://h/app', 'cam', FULL, { app: 'app', streamName: 'rtmp_cam' }],
    ['RTMP://[::1]:1940/live', 'cam', WCS, { host: '::1', port: 1940, tcUrl: 'rtmp://[::1]:1940/live' }],
    ['rtmp://u%40x:p%3Ass@h/live', 'cam', WCS, { username: 'u@x', password: 'p:ss', tcUrl: 'rtmp://h/live' }],
  ];
  for (const [url, name, opts, expected] of rows) {
    test(`${url} ${opts.fullUrl ? '(full_url)' : ''} ${opts.noPrefix ? '(no prefix)' : ''}`, () => {
      const target = resolveRtmpTarget(url, name, opts);
      for (const [key, value] of Object.entries(expected)) assert.equal(target[key as keyof RtmpTarget], value, key);
      assert.ok(!target.tcUrl.includes('@'), 'credentials in tcUrl');
    });
  }

  test('flashVer defaults to FMLE/3.0 with our version, and can be overridden', () => {
    assert.match(DEFAULT_FLASH_VER, /^FMLE\/3\.0 \(compatible; Castbridge\/\d+\.\d+\.\d+\)$/);
    assert.equal(resolveRtmpTarget('rtmp://h/live', 'a', WCS).flashVer, DEFAULT_FLASH_VER);
    assert.equal(resolveRtmpTarget('rtmp://h/live', 'a', { ...WCS, flashVer: 'FMLE/3.0 (compatible; FMSc/1.0)' }).flashVer, 'FMLE/3.0 (compatible; FMSc/1.0)');
  });
});

describe('bad RTMP URLs are an RtmpUrlError naming the problem', () => {
  const bad: [string, string | undefined, RegExp][] = [
    ['rtmp://h', 'cam', /no application/],
    ['rtmp://h/', 'cam', /no application/],
    ['rtmp://h/?x=1', 'cam', /no application/],
    ['rtmp://h:99999/live', 'cam', /port "99999" is not a number 1–65535/],
    ['rtmp://h:abc/live', 'cam', /port is not a number 1–65535/],
    ['rtmp://h:0/live', 'cam', /port "0"/],
    ['http://h/live', 'cam', /scheme "http" is not supported/],
    ['h/live', 'cam', /must start with rtmp:\/\/ or rtmps:\/\//],
    ['rtmp:///live', 'cam', /has no host/],
    ['rtmp://:1935/live', 'cam', /has no host/],
    ['rtmp://h o/live', 'cam', /host has characters a host name cannot have/],
    ['rtmp://h/live', undefined, /no stream name/],
    ['rtmp://:pw@h/live', 'cam', /password but no user name/],
  ];
  for (const [url, name, message] of bad) {
    test(url, () => {
      assert.throws(() => resolveRtmpTarget(url, name, WCS), (e: unknown) => e instanceof RtmpUrlError && message.test(e.message));
    });
  }
});
