import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findFfmpeg, unpackedAsarPath } from '../../../src-relay/transponder/audio/ffmpeg.js';

describe('findFfmpeg', () => {
  const saved = process.env.CASTBRIDGE_FFMPEG;
  afterEach(() => {
    if (saved === undefined) delete process.env.CASTBRIDGE_FFMPEG;
    else process.env.CASTBRIDGE_FFMPEG = saved;
  });

  test('without CASTBRIDGE_FFMPEG it runs the platform binary of @ffmpeg-installer/ffmpeg', () => {
    delete process.env.CASTBRIDGE_FFMPEG;
    assert.match(findFfmpeg(), /node_modules[\\/]@ffmpeg-installer[\\/][\w-]+[\\/]ffmpeg(\.exe)?$/);
  });

  test('CASTBRIDGE_FFMPEG wins when it works', () => {
    process.env.CASTBRIDGE_FFMPEG = '/usr/bin/ffmpeg';
    assert.equal(findFfmpeg(), '/usr/bin/ffmpeg');
  });

  test('a CASTBRIDGE_FFMPEG that does not run is a clear error, not a silent fallback', () => {
    process.env.CASTBRIDGE_FFMPEG = '/nonexistent/ffmpeg';
    assert.throws(() => findFfmpeg(), /CASTBRIDGE_FFMPEG=\/nonexistent\/ffmpeg is not a working ffmpeg/);
  });
});

describe('unpackedAsarPath (packaged Electron app)', () => {
  test('a binary inside app.asar is run from app.asar.unpacked', () => {
    assert.equal(
      unpackedAsarPath('/opt/Castbridge/resources/app.asar/node_modules/@ffmpeg-installer/linux-x64/ffmpeg'),
      '/opt/Castbridge/resources/app.asar.unpacked/node_modules/@ffmpeg-installer/linux-x64/ffmpeg',
    );
    assert.equal(
      unpackedAsarPath('C:\\Program Files\\Castbridge\\resources\\app.asar\\node_modules\\@ffmpeg-installer\\win32-x64\\ffmpeg.exe'),
      'C:\\Program Files\\Castbridge\\resources\\app.asar.unpacked\\node_modules\\@ffmpeg-installer\\win32-x64\\ffmpeg.exe',
    );
  });

  test('other paths are unchanged', () => {
    assert.equal(unpackedAsarPath('/work/node_modules/@ffmpeg-installer/linux-x64/ffmpeg'), '/work/node_modules/@ffmpeg-installer/linux-x64/ffmpeg');
    assert.equal(unpackedAsarPath('/x/app.asar.unpacked/ffmpeg'), '/x/app.asar.unpacked/ffmpeg');
  });
});
