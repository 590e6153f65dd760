import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { IPC_ALLOW_LIST, IpcChannel, isAllowedChannel } from '../../../src-main/electron/ipc.js';
import { createSafeStorageBox, type SafeStorageLike } from '../../../src-main/electron/secrets.js';
import { trayStatus } from '../../../src-main/electron/tray-status.js';
import { buildWindowOptions, contentSecurityPolicy, isNavigationAllowed, permissionPolicy } from '../../../src-main/electron/window.js';

const APP = 'http://127.0.0.1:8081';
const ROOT = join(import.meta.dirname, '..', '..', '..');

describe('studio window options', () => {
  test('the renderer is isolated and sandboxed, without Node', () => {
    const options = buildWindowOptions('/app/preload.cjs');
    assert.equal(options.webPreferences.contextIsolation, true);
    assert.equal(options.webPreferences.sandbox, true);
    assert.equal(options.webPreferences.nodeIntegration, false);
    assert.equal(options.webPreferences.nodeIntegrationInWorker, false);
    assert.equal(options.webPreferences.nodeIntegrationInSubFrames, false);
    assert.equal(options.webPreferences.webSecurity, true);
    assert.equal(options.webPreferences.allowRunningInsecureContent, false);
    assert.equal(options.webPreferences.webviewTag, false);
    assert.equal(options.webPreferences.preload, '/app/preload.cjs');
  });
});

describe('permission policy', () => {
  test('media is granted to the app\'s own origin, from any of its pages', () => {
    assert.equal(permissionPolicy(`${APP}/`, 'media', APP), true);
    assert.equal(permissionPolicy(`${APP}/sdk/index.html?x=1`, 'media', APP), true);
    assert.equal(permissionPolicy(APP, 'display-capture', APP), true);
  });

  test('other origins, look-alikes and opaque origins get nothing', () => {
    for (const origin of ['http://127.0.0.1:8082', 'https://127.0.0.1:8081', 'http://localhost:8081', 'https://evil.example', 'null', '', 'file:///etc/passwd', 'data:text/html,x']) {
      assert.equal(permissionPolicy(origin, 'media', APP), false, origin);
    }
  });

  test('permissions the studio does not need are refused even to the app', () => {
    for (const permission of ['geolocation', 'notifications', 'midiSysex', 'openExternal', 'pointerLock', 'hid', 'serial', 'usb']) {
      assert.equal(permissionPolicy(APP, permission, APP), false, permission);
    }
  });
});

describe('navigation and CSP', () => {
  test('the window stays on the studio\'s origin', () => {
    assert.equal(isNavigationAllowed(`${APP}/sdk/`, APP), true);
    assert.equal(isNavigationAllowed('https://youtube.com/', APP), false);
    assert.equal(isNavigationAllowed('javascript:alert(1)', APP), false);
    assert.equal(isNavigationAllowed('not a url', APP), false);
  });

  test('the CSP allows only our scripts and the preview server\'s HTTP-FLV', () => {
    const csp = contentSecurityPolicy('http://127.0.0.1:8000');
    assert.match(csp, /script-src 'self';/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.match(csp, /connect-src 'self' http:\/\/127\.0\.0\.1:8000;/);
    assert.match(csp, /object-src 'none'/);
    assert.match(contentSecurityPolicy(undefined), /connect-src 'self';/);
  });
});

describe('IPC', () => {
  test('every channel is in the allow-list and nothing else passes', () => {
    assert.deepEqual([...IPC_ALLOW_LIST].sort(), Object.values(IpcChannel).sort());
    assert.equal(isAllowedChannel(IpcChannel.getAppInfo), true);
    assert.equal(isAllowedChannel('castbridge:eval'), false);
    assert.equal(isAllowedChannel(42), false);
  });

  test('the preload uses exactly the allowed channels and never exposes ipcRenderer', () => {
    const preload = readFileSync(join(ROOT, 'src-main', 'electron', 'preload.cjs'), 'utf8');
    const used = [...preload.matchAll(/invoke\('([^']+)'/g)].map((m) => m[1]).sort();
    assert.deepEqual(used, [...IPC_ALLOW_LIST].sort());
    assert.doesNotMatch(preload, /exposeInMainWorld\([^)]*ipcRenderer\s*[,)]/);
    assert.doesNotMatch(preload, /\bipcRenderer\s*[,}]\s*\)?;?\s*$/m);
  });

  test('only src-main/electron imports electron', () => {
    const offenders = ['src-main', 'src-relay', 'src-renderer']
      .flatMap((dir) => readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)))
      .filter((f) => /\.(ts|tsx|js|mjs|cjs)$/.test(f) && !f.startsWith(join('src-main', 'electron')))
      .filter((f) => /from 'electron'|require\('electron'\)/.test(readFileSync(join(ROOT, f), 'utf8')));
    assert.deepEqual(offenders, []);
  });
});

describe('safeStorage secret box', () => {
  const fake = (available: boolean, backend = 'gnome_libsecret'): SafeStorageLike => ({
    isEncryptionAvailable: () => available,
    encryptString: (plain) => Buffer.from([...Buffer.from(plain)].reverse()),
    decryptString: (sealed) => Buffer.from([...sealed].reverse()).toString(),
    getSelectedStorageBackend: () => backend,
  });

  test('keys round-trip sealed, never in clear', () => {
    const { box, warning } = createSafeStorageBox(fake(true), 'linux');
    const sealed = box.encrypt('live_abc123');
    assert.doesNotMatch(sealed, /live_abc123/);
    assert.equal(box.decrypt(sealed), 'live_abc123');
    assert.equal(warning, undefined);
    assert.equal(box.kind, 'safeStorage:gnome_libsecret');
  });

  test('Linux basic_text and no keychain at all are warned about', () => {
    assert.match(createSafeStorageBox(fake(true, 'basic_text'), 'linux').warning ?? '', /only obfuscated/);
    const none = createSafeStorageBox(fake(false), 'linux');
    assert.match(none.warning ?? '', /keychain is unavailable/);
    assert.equal(none.box.decrypt(none.box.encrypt('k')), 'k');
  });
});

describe('tray status', () => {
  test('counts live, connecting and failed transponders in one line', () => {
    assert.equal(trayStatus([]), 'Castbridge — idle');
    assert.equal(trayStatus([{ status: 'PUBLISHING' }, { status: 'PUBLISHING' }]), 'Castbridge — 2 live');
    assert.equal(trayStatus([{ status: 'PUBLISHING' }, { status: 'RECONNECTING' }, { status: 'CONNECTING' }, { status: 'FAILED' }]), 'Castbridge — 1 live, 2 connecting, 1 failed');
  });
});
