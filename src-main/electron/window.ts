// Pure security decisions of the Electron shell (docs/DESIGN.md §7), kept free of `electron` imports so a
// unit test reads them: the window's options, the permission policy, navigation rules and the CSP.

/** The subset of BrowserWindowConstructorOptions we set (structurally compatible with Electron's type). */
export interface WindowOptions {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  title: string;
  backgroundColor: string;
  show: boolean;
  autoHideMenuBar: boolean;
  webPreferences: {
    preload: string;
    contextIsolation: true;
    sandbox: true;
    nodeIntegration: false;
    nodeIntegrationInWorker: false;
    nodeIntegrationInSubFrames: false;
    webSecurity: true;
    allowRunningInsecureContent: false;
    webviewTag: false;
    spellcheck: false;
    navigateOnDragDrop: false;
  };
}

const WINDOW_SIZE = { width: 1360, height: 860, minWidth: 960, minHeight: 640 } as const;
/** The studio's dark background, so the window does not flash white before the page paints. */
const BACKGROUND = '#0f1115';

export function buildWindowOptions(preloadPath: string): WindowOptions {
  return {
    ...WINDOW_SIZE,
    title: 'Castbridge Studio',
    backgroundColor: BACKGROUND,
    show: false,
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      navigateOnDragDrop: false,
    },
  };
}

/** Permissions the studio needs from its own origin: camera+microphone, screen capture, fullscreen. */
const GRANTED_TO_APP = new Set(['media', 'display-capture', 'fullscreen', 'clipboard-sanitized-write']);

function originOf(url: string): string | undefined {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/** Grants media (and the few other things the studio uses) to the app's own origin only; never to
 *  another origin, never anything else (geolocation, notifications, midi, …). */
export function permissionPolicy(origin: string, permission: string, appOrigin: string): boolean {
  const requester = originOf(origin);
  return requester !== undefined && requester === originOf(appOrigin) && GRANTED_TO_APP.has(permission);
}

/** In-window navigation stays on the studio's origin (reloads, the SDK page); everything else is refused. */
export function isNavigationAllowed(url: string, appOrigin: string): boolean {
  const target = originOf(url);
  return target !== undefined && target === originOf(appOrigin);
}

/** The strict CSP Electron adds as a header to every response of the app's origin (shared with the host). */
export { contentSecurityPolicy } from '../rest/csp.js';
