// The tray icon with live status: how many transponders are pushing, reconnecting or failed.
import { Menu, Tray, nativeImage, type BrowserWindow } from 'electron';
import type { Host } from '../host.js';
import type { TransponderJSON } from '../../src-relay/transponder-api.js';

/** One line for the tray tooltip and menu (pure). */
export function trayStatus(transponders: readonly Pick<TransponderJSON, 'status'>[]): string {
  const count = (status: TransponderJSON['status']): number => transponders.filter((t) => t.status === status).length;
  const live = count('PUBLISHING');
  const reconnecting = count('RECONNECTING') + count('CONNECTING');
  const failed = count('FAILED');
  if (transponders.length === 0) return 'Castbridge — idle';
  const parts = [`${live} live`];
  if (reconnecting) parts.push(`${reconnecting} connecting`);
  if (failed) parts.push(`${failed} failed`);
  return `Castbridge — ${parts.join(', ')}`;
}

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
