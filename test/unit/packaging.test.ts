// electron-builder.yml is checked against electron-builder's own JSON schema (its binary cannot be
// downloaded here, so the config is validated instead of built), and every file it names must exist.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Ajv } from 'ajv';

// js-yaml comes with electron-builder (it reads its config with it) and ships no types.
const { load } = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };
const ROOT = join(import.meta.dirname, '..', '..');
const config = load(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as Record<string, unknown> & {
  mac: { target: Array<{ target: string; arch: string[] }>; entitlements: string; entitlementsInherit: string; hardenedRuntime: boolean; extendInfo: Record<string, string>; icon: string };
  win: { target: Array<{ target: string }>; icon: string };
  linux: { target: string[]; icon: string };
  asarUnpack: string[];
  extraMetadata: { main: string };
  icon: string;
};

describe('electron-builder.yml', () => {
  test('is valid against electron-builder\'s schema', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
    const validate = ajv.compile(schema);
    assert.equal(validate(config), true, JSON.stringify(validate.errors, null, 2));
  });

  test('targets nsis, dmg for x64 and arm64, AppImage and deb', () => {
    assert.deepEqual(config.win.target.map((t) => t.target), ['nsis']);
    assert.deepEqual(config.mac.target, [{ target: 'dmg', arch: ['x64', 'arm64'] }]);
    assert.deepEqual(config.linux.target, ['AppImage', 'deb']);
  });

  test('macOS asks for the camera and microphone under the hardened runtime', () => {
    assert.equal(config.mac.hardenedRuntime, true);
    assert.ok(config.mac.extendInfo.NSCameraUsageDescription);
    assert.ok(config.mac.extendInfo.NSMicrophoneUsageDescription);
    for (const file of [config.mac.entitlements, config.mac.entitlementsInherit]) {
      const plist = readFileSync(join(ROOT, file), 'utf8');
      assert.match(plist, /com\.apple\.security\.device\.camera<\/key>\s*<true\/>/, file);
      assert.match(plist, /com\.apple\.security\.device\.audio-input<\/key>\s*<true\/>/, file);
    }
  });

  test('the relay\'s ffmpeg is unpacked from the asar', () => {
    assert.ok(config.asarUnpack.includes('node_modules/@ffmpeg-installer/**'));
    assert.ok(existsSync(join(ROOT, 'node_modules', '@ffmpeg-installer')));
  });

  test('every file it names exists, and the icon is a 512x512 PNG', () => {
    const files = [config.icon, config.mac.icon, config.win.icon, config.linux.icon, config.mac.entitlements, config.mac.entitlementsInherit, config.extraMetadata.main, 'assets/icons/tray.png', 'src-main/electron/preload.cjs'];
    for (const file of files) assert.ok(existsSync(join(ROOT, file)), `${file} is missing`);
    const png = readFileSync(join(ROOT, config.icon));
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.equal(png.readUInt32BE(16), 512, 'width');
    assert.equal(png.readUInt32BE(20), 512, 'height');
  });
});
