// The Electron main process: a boot script of setupX() calls (after Electron Fiddle's main.ts). The host
// (relay, REST, /ws, embedded RTMP server) runs right here; one sandboxed window loads the studio from it.
// Compiled into dist-main/electron/app.js and started by boot.mjs (dist-main/electron/main.js), which enables
// source maps first; the preload is copied beside it.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, safeStorage, session, shell, type IpcMainInvokeEvent, type Session } from 'electron';
import { consoleLog } from '../../src-relay/index.js';
import { APP_ROOT } from '../config/paths.js';
import { appVersion, createHost, type Host } from '../host.js';
import { IpcChannel, isAllowedChannel, type AppInfo } from './ipc.js';
import { chooseCaptureSource, listCaptureSources, setupDisplayMedia } from './screen-picker.js';
import { createSafeStorageBox, type SafeStorageBox } from './secrets.js';
import { setupTray } from './tray.js';
import { buildWindowOptions, contentSecurityPolicy, isNavigationAllowed, permissionPolicy } from './window.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const PRELOAD = join(HERE, 'preload.cjs');
const TRAY_ICON = join(APP_ROOT, 'assets', 'icons', 'tray.png');
const log = consoleLog;

function setupSingleInstance(): boolean {
  if (app.requestSingleInstanceLock()) return true;
  log('electron.second_instance', { action: 'quit' });
  app.quit();
  return false;
}

function setupPermissions(ses: Session, appOrigin: string): void {
  ses.setPermissionRequestHandler((webContents, permission, callback) => {
    callback(permissionPolicy(webContents.getURL(), permission, appOrigin));
  });
  ses.setPermissionCheckHandler((_webContents, permission, requestingOrigin) => permissionPolicy(requestingOrigin, permission, appOrigin));
  // Screen capture: the source chosen in the studio's picker, or asked for (screen-picker.ts).
  setupDisplayMedia(ses, appOrigin, log);
}

function setupCsp(ses: Session, appOrigin: string, previewOrigin: string | undefined): void {
  const policy = contentSecurityPolicy(previewOrigin);
  ses.webRequest.onHeadersReceived((details, callback) => {
    if (!details.url.startsWith(`${appOrigin}/`)) return callback({});
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] } });
  });
}

function setupNavigationGuards(appOrigin: string): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isNavigationAllowed(url, appOrigin)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      // Help links open in the real browser; the app never opens a second window.
      if (/^https:\/\//.test(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
}

function setupIpc(host: Host, secrets: SafeStorageBox, window: BrowserWindow): void {
  const fromOurWindow = (event: IpcMainInvokeEvent): boolean =>
    BrowserWindow.fromWebContents(event.sender) === window && isNavigationAllowed(event.senderFrame?.url ?? '', host.httpUrl);
  const handlers: Record<IpcChannel, (event: IpcMainInvokeEvent, payload: unknown) => unknown> = {
    [IpcChannel.getAppInfo]: (): AppInfo => ({ version: appVersion(), secretsKind: secrets.box.kind, secretsWarning: secrets.warning }),
    [IpcChannel.openMediaFolder]: () => shell.openPath(host.mediaDir()),
    [IpcChannel.listCaptureSources]: (_event, payload) => listCaptureSources(payload),
    [IpcChannel.chooseCaptureSource]: (_event, payload) => chooseCaptureSource(payload),
  };
  for (const [channel, handler] of Object.entries(handlers)) {
    if (!isAllowedChannel(channel)) continue;
    ipcMain.handle(channel, (event, payload: unknown) => (fromOurWindow(event) ? handler(event, payload) : undefined));
  }
}

function createMainWindow(url: string): BrowserWindow {
  const window = new BrowserWindow(buildWindowOptions(PRELOAD));
  window.once('ready-to-show', () => window.show());
  void window.loadURL(url);
  return window;
}

function setupQuit(host: Host): void {
  let closing = false;
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', (event) => {
    if (closing) return;
    closing = true;
    event.preventDefault();
    void host.close().finally(() => app.exit(0));
  });
}

async function boot(): Promise<void> {
  if (!setupSingleInstance()) return;
  await app.whenReady();
  const secrets = createSafeStorageBox(safeStorage);
  if (secrets.warning) log('electron.secrets_warning', { kind: secrets.box.kind, warning: secrets.warning });
  const host = await createHost({ dataDir: app.getPath('userData'), secretBox: secrets.box, log });
  const appOrigin = new URL(host.httpUrl).origin;
  const previewOrigin = host.localRtmp ? new URL(host.localRtmp.previewBaseUrl).origin : undefined;
  setupPermissions(session.defaultSession, appOrigin);
  setupCsp(session.defaultSession, appOrigin, previewOrigin);
  setupNavigationGuards(appOrigin);
  const window = createMainWindow(host.httpUrl);
  setupIpc(host, secrets, window);
  setupTray(host, window, TRAY_ICON);
  setupQuit(host);
  app.on('second-instance', () => {
    if (window.isMinimized()) window.restore();
    window.focus();
  });
}

boot().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  log('electron.boot_failed', { error: message });
  // Started from a desktop icon there is no terminal: without a box the app would just vanish. The host's
  // start-up errors are sentences naming the setting to change (e.g. a port in use).
  if (app.isReady()) dialog.showErrorBox('Castbridge cannot start', message);
  app.exit(1);
});
