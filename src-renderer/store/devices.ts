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
  /** Captures the chosen source again (after a change of camera, resolution, …); not while live. */
  restartPreview(): Promise<void>;
}

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
    if (status === 'PUBLISHING' || status === 'PENDING') return;
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
        // The streamer ended screen sharing from the browser's own bar: fall back to the camera.
        if (get().devices.source === 'screen' && get().devices.preview === next) {
          get().devices.setSource('camera');
          void get().devices.restartPreview();
        }
      });
      showPreview(next);
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
