// What the Electron preload exposes (src-main/electron/preload.cjs; types in src-contract/desktop.ts); absent
// in a plain browser. The screen picker: the shell lists screens and windows, the studio's own dialog asks
// which one (registered by the ScreenPicker component), then the shell makes getDisplayMedia capture it.
import type { CaptureChoice, CaptureSourceList, DesktopBridge } from '../../src-contract/desktop.js';

export interface DesktopInfo {
  version: string;
  secretsKind: string;
  secretsWarning?: string;
}

function bridge(): Partial<DesktopBridge> | undefined {
  return (window as unknown as { castbridge?: Partial<DesktopBridge> }).castbridge;
}

/** The desktop app's facts, or undefined outside Electron. */
export function desktopInfo(): Promise<DesktopInfo> | undefined {
  return bridge()?.appInfo?.();
}

/** Asks the streamer which source to share; resolves undefined when they cancel. */
export type ScreenChooser = (list: CaptureSourceList) => Promise<CaptureChoice | undefined>;

let chooser: ScreenChooser | undefined;

/** The dialog that answers `chooseDisplaySource` (one at a time; undefined when it goes away). */
export function setScreenChooser(next: ScreenChooser | undefined): void {
  chooser = next;
}

/** Thumbnail width the picker asks for: two columns of tiles in the dialog. */
const THUMBNAIL_WIDTH = 320;

/**
 * In the desktop app, shows the studio's picker and tells the shell the chosen source; resolves whether
 * the system's sound was asked for. Undefined outside the desktop app (getDisplayMedia shows the browser's
 * own picker). A cancel rejects as getDisplayMedia's own picker does (NotAllowedError).
 */
export async function chooseDisplaySource(): Promise<{ audio: boolean } | undefined> {
  const shell = bridge();
  if (!shell?.captureSources || !shell.chooseCaptureSource || !chooser) return undefined;
  const list = await shell.captureSources({ types: ['screen', 'window'], thumbnailWidth: THUMBNAIL_WIDTH });
  if (!list.sources.length) throw new DOMException('the system offers no screen or window to capture', 'NotFoundError');
  const choice = await chooser(list);
  if (!choice) throw new DOMException('screen sharing was cancelled', 'NotAllowedError');
  const answer = await shell.chooseCaptureSource(choice);
  if (!answer.ok) throw new Error(answer.error);
  return { audio: !!choice.audio };
}
