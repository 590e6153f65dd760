// Every IPC channel of the app in one typed table with an allow-list (after Electron Fiddle's
// ipc-events.ts). The studio talks to the host over HTTP/WebSocket; IPC only carries what a web page
// cannot learn by itself. preload.cjs repeats these strings (a sandboxed preload cannot import files);
// test/unit/electron/window.test.ts checks they match.

export const IpcChannel = {
  /** renderer → main: `{ version, secretsKind, secretsWarning? }`. */
  getAppInfo: 'castbridge:get-app-info',
  /** renderer → main: open the media folder in the system's file manager. */
  openMediaFolder: 'castbridge:open-media-folder',
  /** renderer → main: `CaptureSourcesRequest` → `CaptureSourceList`, screens and windows with thumbnails (src-contract/desktop.ts). */
  listCaptureSources: 'castbridge:list-capture-sources',
  /** renderer → main: `CaptureChoice` → `{ok}`, the source the window's next getDisplayMedia captures. */
  chooseCaptureSource: 'castbridge:choose-capture-source',
} as const;
export type IpcChannel = (typeof IpcChannel)[keyof typeof IpcChannel];

export const IPC_ALLOW_LIST: readonly IpcChannel[] = Object.values(IpcChannel);

export function isAllowedChannel(channel: unknown): channel is IpcChannel {
  return typeof channel === 'string' && (IPC_ALLOW_LIST as readonly string[]).includes(channel);
}

export interface AppInfo {
  version: string;
  secretsKind: string;
  /** Set when stream keys are not really protected (Linux `basic_text` backend). */
  secretsWarning?: string;
}
