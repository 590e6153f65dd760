// Capturing the source: camera or screen plus microphone (W3C Media Capture and Streams, Screen
// Capture), the device list, and the microphone level meter (Web Audio AnalyserNode).
import { chooseDisplaySource } from './desktop.js';

export interface CaptureChoice {
  source: 'camera' | 'screen';
  cameraId: string | undefined;
  microphoneId: string | undefined;
  width: number;
  height: number;
  fps: number;
  /** The microphone's own processing (W3C Media Capture §4.3.8 constrainable properties); default on. */
  noiseSuppression?: boolean;
  echoCancellation?: boolean;
}

/** getUserMedia / getDisplayMedia failures in a streamer's words (W3C Media Capture §10.2 error names). */
export function captureErrorMessage(error: unknown, source: 'camera' | 'screen' = 'camera'): string {
  const name = error instanceof Error ? error.name : '';
  if (source === 'screen' && name === 'Error') return `The screen or window could not be shared${error instanceof Error && error.message ? ` (${error.message})` : ''}. Choose another one or switch back to the camera.`;
  if (source === 'screen' && name === 'NotFoundError') return 'There is no screen or window to share. Switch back to the camera.';
  if (source === 'screen' && name === 'NotAllowedError') return 'Screen sharing was cancelled or blocked. Choose a screen or window to share, or switch back to the camera.';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Castbridge is not allowed to use your camera or microphone. Allow access in the browser or system privacy settings, then press Retry.';
    case 'NotFoundError':
      return 'No camera or microphone was found. Plug one in (the lists update by themselves) or share your screen instead.';
    case 'NotReadableError':
    case 'AbortError':
      return 'Your camera or microphone is busy: another app (Zoom, Teams, OBS…) is using it. Close that app, then press Retry.';
    case 'OverconstrainedError':
      return 'The camera cannot deliver the chosen resolution or frame rate. Pick a smaller one.';
    default:
      return `The camera or microphone could not start${error instanceof Error && error.message ? ` (${error.message})` : ''}. Press Retry.`;
  }
}

function videoConstraints(choice: CaptureChoice): MediaTrackConstraints {
  return {
    deviceId: choice.cameraId ? { exact: choice.cameraId } : undefined,
    width: { ideal: choice.width },
    height: { ideal: choice.height },
    frameRate: { ideal: choice.fps },
  };
}

/** Automatic gain stays off: the mixer's fader sets the microphone's level, and an AGC would undo it. */
function audioConstraints(choice: CaptureChoice): MediaTrackConstraints {
  return {
    ...(choice.microphoneId ? { deviceId: { exact: choice.microphoneId } } : {}),
    noiseSuppression: choice.noiseSuppression ?? true,
    echoCancellation: choice.echoCancellation ?? true,
    autoGainControl: false,
  };
}

/** Audio tracks that came with a screen capture (not a microphone): the mixer gives them their own fader. */
const displayAudio = new WeakSet<MediaStreamTrack>();

export function isDisplayAudio(track: MediaStreamTrack): boolean {
  return displayAudio.has(track);
}

function markDisplayAudio(display: MediaStream): MediaStream {
  for (const track of display.getAudioTracks()) displayAudio.add(track);
  return display;
}

/** The program's size: a screen is captured no larger, so the browser's capturer scales it down once. */
export interface OutputSize {
  width: number;
  height: number;
}

/**
 * A screen capture at the frame rate and no larger than the program (the capturer keeps its aspect ratio):
 * a 4K screen then reaches the compositor already at the program's size, scaled by the browser's capturer
 * rather than by the page for every frame.
 */
function displayConstraints(fps: number, size: OutputSize | undefined): MediaTrackConstraints {
  return { frameRate: { ideal: fps }, ...(size ? { width: { max: size.width }, height: { max: size.height } } : {}) };
}

/** A screen or window with its audio where the platform gives it (a tab's audio, system loopback). */
async function openDisplay(fps: number, size: OutputSize | undefined): Promise<MediaStream> {
  const video = displayConstraints(fps, size);
  // The desktop app: the studio's picker chose the source (and whether its system sound comes with it).
  const desktop = await chooseDisplaySource();
  if (desktop) return markDisplayAudio(await navigator.mediaDevices.getDisplayMedia({ video, audio: desktop.audio }));
  try {
    return markDisplayAudio(await navigator.mediaDevices.getDisplayMedia({ video, audio: true }));
  } catch (error) {
    // A shell whose picker offers no audio may refuse the audio request: ask for the picture alone.
    if (error instanceof TypeError || (error instanceof DOMException && error.name === 'NotSupportedError')) {
      return navigator.mediaDevices.getDisplayMedia({ video, audio: false });
    }
    throw error;
  }
}

/** One more camera, picture only, for a scene that shows a camera the preview is not capturing. */
export async function openCamera(choice: Pick<CaptureChoice, 'cameraId' | 'width' | 'height' | 'fps'>): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) throw new DOMException('media devices are unavailable on this page', 'SecurityError');
  return navigator.mediaDevices.getUserMedia({ video: videoConstraints({ ...choice, source: 'camera', microphoneId: undefined }), audio: false });
}

/** Asks a running screen capture for a new program size; a capturer that cannot grow keeps its size. */
export function fitScreen(track: MediaStreamTrack, fps: number, size: OutputSize): Promise<void> {
  return track.applyConstraints(displayConstraints(fps, size));
}

/** A screen for a scene that shows one while the preview captures the camera. */
export async function openScreen(fps: number, size?: OutputSize): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getDisplayMedia) throw new DOMException('screen capture is unavailable on this page', 'NotSupportedError');
  return openDisplay(fps, size);
}

/** Opens the chosen source. The screen path adds the microphone to the display's video track. */
export async function openSource(choice: CaptureChoice): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new DOMException('media devices are unavailable on this page', 'SecurityError');
  }
  if (choice.source === 'camera') {
    return navigator.mediaDevices.getUserMedia({ video: videoConstraints(choice), audio: audioConstraints(choice) });
  }
  const display = await openDisplay(choice.fps, { width: choice.width, height: choice.height });
  try {
    const mic = await navigator.mediaDevices.getUserMedia({ audio: audioConstraints(choice), video: false });
    for (const track of mic.getAudioTracks()) display.addTrack(track);
  } catch {
    // Screen without microphone is still a usable source.
  }
  return display;
}

export function stopSource(media: MediaStream | undefined): void {
  for (const track of media?.getTracks() ?? []) track.stop();
}

export async function listDevices(): Promise<MediaDeviceInfo[]> {
  return (await navigator.mediaDevices?.enumerateDevices?.()) ?? [];
}

/** Samples the microphone's RMS level ~10 times a second; returns a stop function. */
export function meterMicrophone(media: MediaStream, onLevel: (level: number) => void): () => void {
  const track = media.getAudioTracks()[0];
  if (!track) return () => onLevel(0);
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 1024;
  context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const METER_INTERVAL_MS = 100;
  const timer = setInterval(() => {
    if (context.state === 'suspended') void context.resume();
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    // RMS scaled so that normal speech (≈ −20 dBFS) sits mid-meter.
    onLevel(Math.min(1, Math.sqrt(sum / samples.length) * 4));
  }, METER_INTERVAL_MS);
  return () => {
    clearInterval(timer);
    void context.close();
    onLevel(0);
  };
}

/** Calls `listener` when a camera or microphone is plugged in or out. */
export function onDeviceChange(listener: () => void): void {
  navigator.mediaDevices?.addEventListener?.('devicechange', listener);
}
