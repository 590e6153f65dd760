// The tray icon with live status: how many transponders are pushing, reconnecting or failed.
import { Menu, Tray, nativeImage, type BrowserWindow } from 'electron';
import type { Host } from '../host.js';
import { trayStatus } from './tray-status.js';

export function setupTray(host: Host, window: BrowserWindow, iconPath: string): Tray {
  const tray = new Tray(nativeImage.createFromPath(iconPath));
  const refresh = (): void => {
    const status = trayStatus(host.transponders.list());
    tray.setToolTip(status);
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: status, enabled: false },
        { type: 'separator' },
        { label: 'Show studio', click: () => (window.isDestroyed() ? undefined : (window.show(), window.focus())) },
        { label: 'Quit Castbridge', role: 'quit' },
      ]),
    );
  };
  host.transponders.on('changed', refresh);
  host.transponders.on('removed', refresh);
  tray.on('click', () => (window.isDestroyed() ? undefined : window.show()));
  refresh();
  return tray;
}
