// Source selection: cameras and microphones (hot-plug aware), resolution, frame rate, camera or screen,
// the preview (the captured MediaStream that is also what goes live), its health and the microphone level.
import { captureErrorMessage } from '../services/capture.js';
import type { StudioServices } from '../services/index.js';
import { patch, type GetStudio, type SetStudio, type StudioState } from './types.js';

export interface DeviceOption {
  deviceId: string;
  label: string;
}

export type VideoSource = 'camera' | 'screen';

export const RESOLUTIONS = [
  { id: '640x360', width: 640, height: 360 },
  { id: '1280x720', width: 1280, height: 720 },
  { id: '1920x1080', width: 1920, height: 1080 },
] as const;
export type ResolutionId = (typeof RESOLUTIONS)[number]['id'];
export const FRAME_RATES = [24, 25, 30, 60] as const;

export interface DevicesSlice {
  cameras: DeviceOption[];
  microphones: DeviceOption[];
  cameraId: string | undefined;
  microphoneId: string | undefined;
  resolution: ResolutionId;
  fps: number;
  source: VideoSource;
  /** The microphone's own processing (capture constraints; a change captures it again). */
  noiseSuppression: boolean;
  echoCancellation: boolean;
  /** A streamer-readable reason the preview is not running (camera busy, denied, missing). */
  previewError: string | undefined;
  previewLive: boolean;
  /** Microphone level 0..1 (RMS of the analyser). */
  micLevel: number;
  /** The captured source shown in the preview and published on Go live. */
  preview: MediaStream | undefined;
  /** Counts preview (re)starts: only the latest one's capture is kept. */
  previewAttempt: number;
  /** Stops the microphone meter of the current preview. */
  stopMeter: (() => void) | undefined;
  setDevices(devices: Array<{ kind: string; deviceId: string; label: string }>): void;
  selectCamera(deviceId: string): void;
  selectMicrophone(deviceId: string): void;
  setResolution(id: ResolutionId): void;
  setFps(fps: number): void;
  setSource(source: VideoSource): void;
  setProcessing(fields: Partial<Pick<DevicesSlice, 'noiseSuppression' | 'echoCancellation'>>): void;
  setPreview(live: boolean, error?: string): void;
  setMicLevel(level: number): void;
  /** Re-reads the device list (labels appear once permission is granted). */
  refresh(): Promise<void>;
  /** Captures the chosen source again (after a change of camera, resolution, …); not while live, except
   *  to bring back a camera that stopped (the program goes on sending meanwhile). */
  restartPreview(): Promise<void>;
  /** The preview's camera stopped by itself (unplugged, taken by another app): Retry may capture it again while live. */
  cameraLost: boolean;
}

/** What the studio says when its camera stops by itself. */
export const CAMERA_LOST_MESSAGE =
  'Your camera stopped: it was unplugged, or another app took it. Plug it back in (or close that app), then press Retry. Meanwhile your targets get the rest of the scene.';

/** Keeps the current choice if the device is still plugged in, else falls back to the first one. */
function keepOrFirst(current: string | undefined, options: DeviceOption[]): string | undefined {
  return options.some((o) => o.deviceId === current) ? current : options[0]?.deviceId;
}

function toOptions(devices: Array<{ kind: string; deviceId: string; label: string }>, kind: string, fallback: string): DeviceOption[] {
  return devices
    .filter((d) => d.kind === kind && d.deviceId !== '')
    .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `${fallback} ${i + 1}` }));
}

export function createDevicesSlice(set: SetStudio, get: GetStudio, services: StudioServices): DevicesSlice {
  const update = (fn: (s: DevicesSlice) => Partial<DevicesSlice>): void => patch(set, 'devices', fn);

  function showPreview(next: MediaStream | undefined): void {
    get().devices.stopMeter?.();
    const stopMeter = next ? services.capture.meter(next, (level) => get().devices.setMicLevel(level)) : undefined;
    update(() => ({ preview: next, stopMeter }));
    get().program.feedPreview(next);
  }

  async function refresh(): Promise<void> {
    try {
      get().devices.setDevices(await services.capture.listDevices());
    } catch {
      get().devices.setDevices([]);
    }
  }

  async function restartPreview(): Promise<void> {
    const status = get().publish.status;
    // While live the program is what is sent: a lost camera can come back into it without a new publish.
    const recovering = get().devices.cameraLost && get().program.program !== undefined;
    if ((status === 'PUBLISHING' || status === 'PENDING') && !recovering) return;
    const attempt = get().devices.previewAttempt + 1;
    update(() => ({ previewAttempt: attempt }));
    const d = get().devices;
    const { width, height } = devicesSelectors.resolution(get());
    services.capture.stop(d.preview);
    showPreview(undefined);
    get().program.resize();
    try {
      const next = await services.capture.open({
        source: d.source,
        cameraId: d.cameraId,
        microphoneId: d.microphoneId,
        width,
        height,
        fps: d.fps,
        noiseSuppression: d.noiseSuppression,
        echoCancellation: d.echoCancellation,
      });
      if (attempt !== get().devices.previewAttempt) {
        // A newer choice (another camera, resolution…) started while this one opened: never keep two
        // captures, or the first camera stays on with nothing showing it.
        services.capture.stop(next);
        return;
      }
      next.getVideoTracks()[0]?.addEventListener('ended', () => {
        if (get().devices.preview !== next) return;
        // The streamer ended screen sharing from the browser's own bar: fall back to the camera.
        if (get().devices.source === 'screen') {
          get().devices.setSource('camera');
          void get().devices.restartPreview();
          return;
        }
        // The camera went away by itself. The microphone of the same capture goes on; the program shows
        // the scene without the camera (compositor: an ended capture is not drawn, nor sent as it is).
        update(() => ({ cameraLost: true }));
        get().devices.setPreview(false, CAMERA_LOST_MESSAGE);
      });
      showPreview(next);
      update(() => ({ cameraLost: false }));
      get().devices.setPreview(true, undefined);
      await refresh();
    } catch (error) {
      if (attempt === get().devices.previewAttempt) get().devices.setPreview(false, captureErrorMessage(error, d.source));
    }
  }

  return {
    cameras: [],
    microphones: [],
    cameraId: undefined,
    microphoneId: undefined,
    resolution: '1280x720',
    fps: 30,
    source: 'camera',
    noiseSuppression: true,
    echoCancellation: true,
    previewError: undefined,
    previewLive: false,
    micLevel: 0,
    preview: undefined,
    previewAttempt: 0,
    stopMeter: undefined,
    setDevices: (devices) =>
      update((s) => {
        const cameras = toOptions(devices, 'videoinput', 'Camera');
        const microphones = toOptions(devices, 'audioinput', 'Microphone');
        return { cameras, microphones, cameraId: keepOrFirst(s.cameraId, cameras), microphoneId: keepOrFirst(s.microphoneId, microphones) };
      }),
    selectCamera: (cameraId) => update(() => ({ cameraId })),
    selectMicrophone: (microphoneId) => update(() => ({ microphoneId })),
    setResolution: (resolution) => update(() => ({ resolution })),
    setFps: (fps) => update(() => ({ fps })),
    setSource: (source) => update(() => ({ source })),
    setProcessing: (fields) => update(() => fields),
    setPreview: (previewLive, previewError) => update(() => ({ previewLive, previewError })),
    cameraLost: false,
    setMicLevel: (level) => update(() => ({ micLevel: Math.max(0, Math.min(1, level)) })),
    refresh,
    restartPreview,
  };
}

export const devicesSelectors = {
  resolution: (s: StudioState) => RESOLUTIONS.find((r) => r.id === s.devices.resolution) ?? RESOLUTIONS[1],
  hasCamera: (s: StudioState) => s.devices.cameras.length > 0,
  previewError: (s: StudioState) => s.devices.previewError,
};
