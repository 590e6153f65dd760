// What the Electron preload exposes (src-main/electron/preload.cjs); absent in a plain browser.

export interface DesktopInfo {
  version: string;
  secretsKind: string;
  secretsWarning?: string;
}

interface DesktopBridge {
  appInfo(): Promise<DesktopInfo>;
}

/** The desktop app's facts, or undefined outside Electron. */
export function desktopInfo(): Promise<DesktopInfo> | undefined {
  return (window as unknown as { castbridge?: DesktopBridge }).castbridge?.appInfo();
}
