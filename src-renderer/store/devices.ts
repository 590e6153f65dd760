// Source selection: cameras and microphones (hot-plug aware), resolution, frame rate, camera or screen,
// the preview's health and the microphone level.
import { patch, type SetStudio, type StudioState } from './types.js';

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
  /** A streamer-readable reason the preview is not running (camera busy, denied, missing). */
  previewError: string | undefined;
  previewLive: boolean;
  /** Microphone level 0..1 (RMS of the analyser). */
  micLevel: number;
  setDevices(devices: Array<{ kind: string; deviceId: string; label: string }>): void;
  selectCamera(deviceId: string): void;
  selectMicrophone(deviceId: string): void;
  setResolution(id: ResolutionId): void;
  setFps(fps: number): void;
  setSource(source: VideoSource): void;
  setPreview(live: boolean, error?: string): void;
  setMicLevel(level: number): void;
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

export function createDevicesSlice(set: SetStudio): DevicesSlice {
  const update = (fn: (s: DevicesSlice) => Partial<DevicesSlice>): void => patch(set, 'devices', fn);
  return {
    cameras: [],
    microphones: [],
    cameraId: undefined,
    microphoneId: undefined,
    resolution: '1280x720',
    fps: 30,
    source: 'camera',
    previewError: undefined,
    previewLive: false,
    micLevel: 0,
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
    setPreview: (previewLive, previewError) => update(() => ({ previewLive, previewError })),
    setMicLevel: (level) => update(() => ({ micLevel: Math.max(0, Math.min(1, level)) })),
  };
}

export const devicesSelectors = {
  resolution: (s: StudioState) => RESOLUTIONS.find((r) => r.id === s.devices.resolution) ?? RESOLUTIONS[1],
  hasCamera: (s: StudioState) => s.devices.cameras.length > 0,
  previewError: (s: StudioState) => s.devices.previewError,
};
