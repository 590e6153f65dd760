// The network and device adapters the store's actions call. One object, so a test can hand the store its
// own (a host on a free port, a fake camera) and the studio hands it the browser's.
import type { Session } from '../sdk/index.js';
import { storedToken, unlockWithToken } from './access-token.js';
import { createApi, type Api } from './api.js';
import { createProgram, type Program, type ProgramOptions } from '../compositor/program.js';
import { fitScreen, isDisplayAudio, listDevices, meterMicrophone, onDeviceChange, openCamera, openScreen, openSource, stopSource, type CaptureChoice, type OutputSize } from './capture.js';
import { desktopInfo, type DesktopInfo } from './desktop.js';
import { openHostSession } from './host-session.js';

export interface StudioServices {
  /** REST: the studio routes and the WCS push API. */
  api: Api;
  capture: {
    open(choice: CaptureChoice): Promise<MediaStream>;
    stop(media: MediaStream | undefined): void;
    listDevices(): Promise<Array<{ kind: string; deviceId: string; label: string }>>;
    /** Samples the microphone level; returns a stop function. */
    meter(media: MediaStream, onLevel: (level: number) => void): () => void;
    onDeviceChange(listener: () => void): void;
  };
  /** The WebSocket session to the host (publish, events). */
  openSession(accessToken: string | undefined): Session;
  token: { stored(): string | undefined; unlock(token: string): void };
  desktopInfo(): Promise<DesktopInfo> | undefined;
  /** The compositor and the mixer (absent where there is no DOM to draw in: the studio then publishes the
   *  preview capture as it is). */
  program?: ProgramServices;
  /** Wait before reopening a lost session. */
  reconnectDelayMs: number;
}

export interface ProgramServices {
  create(options: ProgramOptions): Program;
  openCamera(choice: Pick<CaptureChoice, 'cameraId' | 'width' | 'height' | 'fps'>): Promise<MediaStream>;
  openScreen(fps: number, size?: OutputSize): Promise<MediaStream>;
  /** Asks a shared screen's running capture for the program's new size. */
  fitScreen(track: MediaStreamTrack, fps: number, size: OutputSize): Promise<void>;
  isDisplayAudio(track: MediaStreamTrack): boolean;
}

export const browserServices: StudioServices = {
  api: createApi(),
  capture: { open: openSource, stop: stopSource, listDevices, meter: meterMicrophone, onDeviceChange },
  openSession: openHostSession,
  token: { stored: storedToken, unlock: unlockWithToken },
  desktopInfo,
  program: { create: createProgram, openCamera, openScreen, fitScreen, isDisplayAudio },
  reconnectDelayMs: 2000,
};
