import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appVersion } from '../../src-relay/version.js';
import { DEFAULT_FLASH_VER } from '../../src-relay/rtmp/url.js';
import { appVersion as hostAppVersion } from '../../src-main/host.js';

const ROOT = join(import.meta.dirname, '..', '..');

test('one version: package.json\'s, for the host, the CLI, the RTMP flashVer and onMetaData', () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.match(version, /^\d+\.\d+\.\d+/);
  assert.equal(appVersion(), version);
  assert.equal(hostAppVersion, appVersion, 'the host re-exports the relay\'s reader, it reads nothing itself');
  assert.equal(DEFAULT_FLASH_VER, `FMLE/3.0 (compatible; Castbridge/${version})`);
});
