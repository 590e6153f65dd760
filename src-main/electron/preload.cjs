// @ts-check
// The studio window's preload (sandboxed: CommonJS, may only require 'electron'). It exposes four named
// functions (typed in src-contract/desktop.ts) through contextBridge, never ipcRenderer itself. Channel names repeat src-main/electron/ipc.ts
// (a sandboxed preload cannot import it); test/unit/electron/window.test.ts keeps them in step.
'use strict';
const { contextBridge, ipcRenderer } = require('electron');

contextBridge.exposeInMainWorld('castbridge', {
  /** @returns {Promise<{version: string, secretsKind: string, secretsWarning?: string}>} */
  appInfo: () => ipcRenderer.invoke('castbridge:get-app-info'),
  /** Opens the media folder (sounds to inject) in the system's file manager. */
  openMediaFolder: () => ipcRenderer.invoke('castbridge:open-media-folder'),
  /** Screens and windows with thumbnails: `{types?, thumbnailWidth?}` → `{sources: [{id, name, kind, thumbnail?, appIcon?}], systemAudio}`. */
  captureSources: (/** @type {unknown} */ request) => ipcRenderer.invoke('castbridge:list-capture-sources', request),
  /** The source (`{id, audio?}`) the next getDisplayMedia captures → `{ok: true}` or `{ok: false, error}`. */
  chooseCaptureSource: (/** @type {unknown} */ choice) => ipcRenderer.invoke('castbridge:choose-capture-source', choice),
});
