// Screen and window capture in the shell (thin; the decisions are in capture-sources.ts): the two IPC verbs
// of the studio's picker, and the display-media handler that captures the chosen source once, with the
// system's sound where Electron has it (Windows loopback). A getDisplayMedia without a choice (an older
// studio, the SDK page) gets the shell's own question listing the screens and windows: never a silent pick.
import { BrowserWindow, desktopCapturer, dialog, type DesktopCapturerSource, type Session } from 'electron';
import type { Log } from '../../src-relay/index.js';
import type { CaptureSourceList } from '../../src-contract/desktop.js';
import { fallbackQuestion, listOptions, parseChoice, PendingChoice, systemAudioAvailable, toCaptureSource } from './capture-sources.js';
import { permissionPolicy } from './window.js';

/** The source the studio chose in its picker, for its next getDisplayMedia. */
const pending = new PendingChoice();

/** `captureSources`: screens and windows with thumbnails. */
export async function listCaptureSources(payload: unknown): Promise<CaptureSourceList> {
  return { sources: (await desktopCapturer.getSources(listOptions(payload))).map(toCaptureSource), systemAudio: systemAudioAvailable(process.platform) };
}

/** `chooseCaptureSource`: `{ok: true}`, or `{ok: false, error}` for a payload that is not a choice. */
export function chooseCaptureSource(payload: unknown): { ok: true } | { ok: false; error: string } {
  try {
    pending.set(parseChoice(payload));
    return { ok: true };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** Asks which source to share when the studio did not choose; undefined when cancelled. */
async function askForSource(sources: DesktopCapturerSource[]): Promise<DesktopCapturerSource | undefined> {
  const question = fallbackQuestion(sources);
  const options = { type: 'question' as const, title: 'Share your screen', message: 'Which screen or window should Castbridge share?', buttons: question.buttons, cancelId: question.cancelId, defaultId: 0, noLink: true };
  const parent = BrowserWindow.getFocusedWindow();
  const { response } = parent ? await dialog.showMessageBox(parent, options) : await dialog.showMessageBox(options);
  const id = question.ids[response];
  return id === undefined ? undefined : sources.find((s) => s.id === id);
}

export function setupDisplayMedia(ses: Session, appOrigin: string, log: Log): void {
  ses.setDisplayMediaRequestHandler((request, callback) => {
    if (!permissionPolicy(request.securityOrigin ?? request.frame?.url ?? '', 'display-capture', appOrigin)) return callback({});
    const choice = pending.take();
    void desktopCapturer
      .getSources({ types: ['screen', 'window'], thumbnailSize: { width: 0, height: 0 } })
      .then(async (sources) => {
        const source = choice ? sources.find((s) => s.id === choice.id) : await askForSource(sources);
        if (!source) {
          log('electron.display_media_refused', { reason: choice ? 'the chosen source is gone' : 'cancelled' });
          return callback({});
        }
        const loopback = choice?.audio === true && request.audioRequested && systemAudioAvailable(process.platform);
        callback(loopback ? { video: source, audio: 'loopback' } : { video: source });
      })
      .catch((err: unknown) => {
        log('electron.display_media_failed', { error: (err as Error).message });
        callback({});
      });
  });
}
