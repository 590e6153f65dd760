// The settings file of docs/DESIGN.md §6: created with commented defaults, WCS names, bad values and unknown
// keys reported with key and line (defaults used), --set overrides for one run, comments kept on edit.
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { editProperties, parseProperties } from '../../../src-main/config/properties.js';
import { SETTING_KEYS, defaultSettings, parseSettingValue } from '../../../src-main/config/settings.js';
import { SETTINGS_FILE_NAME, SettingsError, SettingsStore } from '../../../src-main/config/store.js';
import { defaultDataDir } from '../../../src-main/config/paths.js';
import { fileModeSecretBox } from '../../../src-main/config/secrets.js';
import { TargetStore } from '../../../src-main/config/targets.js';
import { parseHostArgs } from '../../../src-main/headless.js';
import { parsePushArgs } from '../../../src-main/cli/push-args.js';

describe('settings', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'castbridge-settings-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('first run creates the file with every key at its default, commented out but the name prefix, WCS names included', () => {
    const store = SettingsStore.open(dir);
    const text = readFileSync(join(dir, SETTINGS_FILE_NAME), 'utf8');
    for (const key of SETTING_KEYS) {
      if (key === 'rtmp_transponder_stream_name_prefix') assert.match(text, /^rtmp_transponder_stream_name_prefix=rtmp_$/m, 'the prefix is a live line');
      else assert.match(text, new RegExp(`^#${key}=`, 'm'), key);
    }
    assert.equal(store.issues.length, 0);
    assert.deepEqual(store.values, defaultSettings());
    assert.equal(store.values.rtmp_transponder_stream_name_prefix, 'rtmp_');
    assert.equal(store.values.rtmp_transponder_full_url, false);
    assert.equal(store.values.rtmp_keyframe_interval_ms, 2000);
    assert.equal(store.values.rest_http_port, 8081);
    assert.equal(store.values.rest_bind_address, '127.0.0.1');
  });

  test('a bad value and an unknown key are reported with key and line; defaults are used', () => {
    writeFileSync(
      join(dir, SETTINGS_FILE_NAME),
      '# mine\nrtmp_keyframe_interval_ms=often\nrest_http_port=99999\nrtmp_transponder_full_url=true\nno_such_key=1\njust words\n',
    );
    const store = SettingsStore.open(dir);
    const byKey = (k: string) => store.issues.find((i) => i.key === k);
    assert.equal(byKey('rtmp_keyframe_interval_ms')?.line, 2);
    assert.match(byKey('rtmp_keyframe_interval_ms')!.message, /line 2: rtmp_keyframe_interval_ms must be an integer/);
    assert.equal(byKey('rest_http_port')?.line, 3);
    assert.match(byKey('rest_http_port')!.message, /0–65535, got 99999/);
    assert.equal(byKey('no_such_key')?.line, 5);
    assert.ok(store.issues.some((i) => i.line === 6 && /expected key=value/.test(i.message)));
    assert.equal(store.values.rtmp_keyframe_interval_ms, 2000);
    assert.equal(store.values.rest_http_port, 8081);
    assert.equal(store.values.rtmp_transponder_full_url, true, 'good lines still apply');
    assert.equal(store.list().find((s) => s.key === 'rest_http_port')?.error, 'rest_http_port must be an integer 0–65535, got 99999');
  });

  test('the name prefix (docs/DESIGN.md §5): rtmp_ on first run and without a file; commented out, absent or empty in a file: none', () => {
    // first run: the file carries the default as a live line
    const first = SettingsStore.open(dir);
    assert.equal(first.values.rtmp_transponder_stream_name_prefix, 'rtmp_');
    // the user comments it out: no prefix
    writeFileSync(first.file, readFileSync(first.file, 'utf8').replace(/^rtmp_transponder_stream_name_prefix=/m, '#rtmp_transponder_stream_name_prefix='));
    first.reload();
    assert.equal(first.values.rtmp_transponder_stream_name_prefix, '');
    // the user empties it: no prefix
    writeFileSync(first.file, 'rtmp_transponder_stream_name_prefix=\n');
    first.reload();
    assert.equal(first.values.rtmp_transponder_stream_name_prefix, '');
    // a file without the key at all: no prefix
    writeFileSync(first.file, '# mine\nrtmp_transponder_full_url=false\n');
    assert.equal(SettingsStore.open(dir).values.rtmp_transponder_stream_name_prefix, '');
    // a --set still wins over the file
    assert.equal(SettingsStore.open(dir, { rtmp_transponder_stream_name_prefix: 'cb_' }).values.rtmp_transponder_stream_name_prefix, 'cb_');
    // reset to the default from the studio (null): a live line again, so rtmp_ holds
    const store = SettingsStore.open(dir);
    store.update({ rtmp_transponder_stream_name_prefix: null });
    assert.equal(store.values.rtmp_transponder_stream_name_prefix, 'rtmp_');
    assert.match(readFileSync(store.file, 'utf8'), /^rtmp_transponder_stream_name_prefix=rtmp_$/m);
    // no settings file at all (castbridge push: defaults + --set): rtmp_
    assert.equal(defaultSettings().rtmp_transponder_stream_name_prefix, 'rtmp_');
    assert.equal(parsePushArgs(['a.flv', 'rtmp://127.0.0.1/live']).settings.prefix, 'rtmp_');
    assert.equal(parsePushArgs(['a.flv', 'rtmp://127.0.0.1/live', '--set', 'rtmp_transponder_stream_name_prefix=']).settings.prefix, '');
  });

  test('--set overrides win for one run and bad ones are reported, not fatal', () => {
    const store = SettingsStore.open(dir, { rest_http_port: '0', rtmp_push_auto_start_url: 'http://x', bogus: '1' });
    assert.equal(store.values.rest_http_port, 0);
    assert.equal(store.values.rtmp_push_auto_start_url, '');
    assert.equal(store.issues.filter((i) => i.source === 'override').length, 2);
    assert.ok(!readFileSync(store.file, 'utf8').includes('rest_http_port=0'), 'overrides are not written');
  });

  test('editing keeps comments and layout, places a key under its commented default, validates first', () => {
    const store = SettingsStore.open(dir);
    writeFileSync(store.file, `${readFileSync(store.file, 'utf8')}# my own note\nrtmp_transponder_full_url=false\n`);
    store.reload();
    store.update({ rtmp_transponder_stream_name_prefix: 'cb_', rtmp_transponder_full_url: true, rtmp_keyframe_interval_ms: 1000 });
    const text = readFileSync(store.file, 'utf8');
    assert.match(text, /# my own note\nrtmp_transponder_full_url=true\n/);
    assert.match(text, /\nrtmp_transponder_stream_name_prefix=cb_\n/);
    assert.doesNotMatch(text, /^rtmp_transponder_stream_name_prefix=rtmp_$/m, 'the live line was edited in place');
    assert.match(text, /^# Castbridge settings/);
    assert.equal(store.values.rtmp_transponder_stream_name_prefix, 'cb_');
    assert.equal(store.values.rtmp_keyframe_interval_ms, 1000);
    assert.throws(() => store.update({ rtmp_keyframe_interval_ms: -5, rest_http_port: 1 }), SettingsError);
    assert.equal(store.values.rest_http_port, 8081, 'nothing written when one value is bad');
    assert.throws(() => store.update({ nope: 1 }), /unknown setting "nope"/);
    assert.throws(() => store.update({ rtmp_flash_version: 'a\nrest_auth_token=' }), /single line/);
    store.update({ rtmp_keyframe_interval_ms: null });
    assert.equal(store.values.rtmp_keyframe_interval_ms, 2000, 'null resets to the default');
    assert.equal(statSync(store.file).mode & 0o777, 0o600);
  });

  test('value parsing names the key and the bound', () => {
    assert.deepEqual(parseSettingValue('rtmp_push_auto_start', 'yes'), { ok: true, value: true });
    assert.deepEqual(parseSettingValue('rest_allowed_hosts', 'Studio.lan, box'), { ok: true, value: ['studio.lan', 'box'] });
    const bad = parseSettingValue('rest_bind_address', 'my host');
    assert.ok(!bad.ok && /rest_bind_address must be an IP address/.test(bad.error));
    assert.deepEqual(parseProperties('a=1\n  # c\nb : 2\n').entries.map((e) => [e.key, e.value, e.line]), [['a', '1', 1], ['b', '2', 3]]);
    assert.equal(editProperties('#x=1\n', new Map([['x', '2']])), '#x=1\nx=2\n');
  });

  test('a malformed auto-push URL is named without its stream key (the message reaches logs and the UI)', () => {
    const bad = parseSettingValue('rtmp_push_auto_start_url', 'rtmp://bad host/live2/abcd-1234-efgh-5678?pass=hunter2');
    assert.ok(!bad.ok);
    assert.match(bad.error, /^rtmp_push_auto_start_url must be an rtmp:\/\/ or rtmps:\/\/ URL, got "rtmp:\/\/bad host\/live2\/abcd…\?pass=\*\*\*"$/);
    assert.ok(!bad.error.includes('abcd-1234-efgh-5678') && !bad.error.includes('hunter2'), bad.error);
  });

  test('the data folder defaults to the platform app-data folder', () => {
    assert.match(defaultDataDir('linux', {}), /\.config\/Castbridge$/);
    assert.equal(defaultDataDir('win32', { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }), join('C:\\Users\\u\\AppData\\Roaming', 'Castbridge'));
    assert.match(defaultDataDir('darwin', {}), /Library\/Application Support\/Castbridge$/);
    assert.deepEqual(parseHostArgs(['--headless', '--data-dir', '/d', '--set', 'a=b=c', '--set=x=1']), { dataDir: '/d', overrides: { a: 'b=c', x: '1' } });
    assert.throws(() => parseHostArgs(['--set', 'novalue']), /key=value/);
  });

  test('saved targets are written mode 0600 and validated', () => {
    const store = new TargetStore(dir, fileModeSecretBox);
    assert.deepEqual(store.load(), []);
    const saved = store.save([{ id: 'a', name: 'YT', kind: 'youtube', rtmpUrl: 'rtmps://a.rtmps.youtube.com:443/live2', streamKey: 'abcd-efgh' }]);
    assert.equal(saved[0]!.streamKey, 'abcd-efgh');
    assert.equal(statSync(store.file).mode & 0o777, 0o600);
    assert.deepEqual(store.load(), saved);
    assert.throws(() => store.save([{ id: 'a', name: 'x', kind: 'ftp', rtmpUrl: 'rtmp://h/a', streamKey: '' }]), /targets\[0\]\.kind/);
  });
});
