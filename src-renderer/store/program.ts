// The program the studio sends: the compositor's picture and the mixer's sound (services.program). This
// slice feeds it the captures: the preview's camera or screen and microphone, and the extra captures a
// scene needs that the preview does not make (a camera while the preview shares the screen, or the other
// way round). Scenes decide what is drawn (scenes.ts); the mixer's faders live in mixer.ts.
import type { Scene } from '../../src-contract/scenes.js';
import type { Program } from '../compositor/program.js';
import { videosOf, type VideoKey } from '../compositor/sources.js';
import { captureErrorMessage } from '../services/capture.js';
import type { StudioServices } from '../services/index.js';
import { devicesSelectors } from './devices.js';
import { patch, type GetStudio, type SetStudio } from './types.js';

export interface ProgramSlice {
  program: Program | undefined;
  /** A capture a scene needs that could not be opened, in a streamer's words. */
  error: string | undefined;
  /** Captures opened for scenes beside the preview, by key. */
  extras: Partial<Record<VideoKey, MediaStream>>;
  /** The program, made on first use at the chosen output size; undefined without a DOM (unit tests). */
  ensure(): Program | undefined;
  /** The preview capture changed (undefined: it stopped): its picture and microphone feed the program. */
  feedPreview(media: MediaStream | undefined): void;
  /** Draws `scene` from the next frame (with its transition), opening the captures it needs. */
  show(scene: Scene): Promise<void>;
  /** Follows a change of output size or frame rate (not while live: the encoder keeps its size). */
  resize(): void;
}

/** Extra captures stay open this much longer than a fade that still shows them. */
const EXTRA_GRACE_MS = 300;

export function createProgramSlice(set: SetStudio, get: GetStudio, services: StudioServices): ProgramSlice {
  const update = (fn: (s: ProgramSlice) => Partial<ProgramSlice>): void => patch(set, 'program', fn);
  /** What the preview feeds: its picture under this key, and its microphone. */
  let previewKey: VideoKey | undefined;

  function ensure(): Program | undefined {
    const existing = get().program.program;
    if (existing || !services.program) return existing;
    const { width, height } = devicesSelectors.resolution(get());
    const program = services.program.create({
      width,
      height,
      fps: get().devices.fps,
      loadImage: (file) => services.api.mediaFile(file),
      onImageError: (_file, message) => update(() => ({ error: message })),
    });
    update(() => ({ program }));
    get().mixer.attach(program.mixer);
    return program;
  }

  function feedPreview(media: MediaStream | undefined): void {
    const program = ensure();
    if (!program) return;
    if (previewKey) program.setVideo(previewKey, undefined);
    previewKey = get().devices.source === 'screen' ? 'screen' : 'camera';
    program.setVideo(previewKey, media?.getVideoTracks()[0]);
    const audio = media?.getAudioTracks() ?? [];
    const isDisplay = (t: MediaStreamTrack): boolean => services.program?.isDisplayAudio(t) ?? false;
    get().mixer.feed('microphone', audio.find((t) => !isDisplay(t)));
    if (previewKey === 'screen') get().mixer.feed('screen', audio.find(isDisplay));
    // The preview now makes what an extra capture made: close that one.
    closeExtra(previewKey);
    const scene = get().scenes.shownScene();
    if (scene) void openExtras(scene);
    // Until the host's scenes arrive (or on a host without them) the program is the preview as it is.
    else void program.setScene({ name: '', layers: [{ kind: previewKey, x: 0, y: 0, width: 1, height: 1, fit: 'contain' }] });
  }

  function closeExtra(key: VideoKey): void {
    const extra = get().program.extras[key];
    if (!extra) return;
    services.capture.stop(extra);
    for (const alias of aliases.get(key) ?? []) get().program.program?.setVideo(alias, undefined);
    aliases.delete(key);
    update((s) => ({ extras: { ...s.extras, [key]: undefined } }));
    if (key === 'screen') get().mixer.feed('screen', undefined);
  }

  /** The camera a `camera:<device>` key names: by deviceId, else by label; undefined when none is plugged in. */
  function namedCamera(key: VideoKey): string | undefined {
    if (!key.startsWith('camera:')) return undefined;
    const named = key.slice('camera:'.length);
    const cameras = get().devices.cameras;
    return (cameras.find((c) => c.deviceId === named) ?? cameras.find((c) => c.label === named))?.deviceId;
  }

  /** One capture per camera: the key a scene's capture is opened under. A layer naming the studio's camera
   *  (or a camera that is not plugged in) shows the studio's camera; a label becomes that camera's deviceId. */
  function captureKey(key: VideoKey): VideoKey {
    if (key === 'screen' || key === 'camera') return key;
    const device = namedCamera(key);
    return device === undefined || device === get().devices.cameraId ? 'camera' : `camera:${device}`;
  }

  /** Layer keys that show an extra capture under another key (a camera named by its label), by capture key. */
  const aliases = new Map<VideoKey, Set<VideoKey>>();

  function showAliases(key: VideoKey, scene: Scene, track: MediaStreamTrack | undefined): void {
    const program = get().program.program;
    const own = aliases.get(key) ?? new Set<VideoKey>();
    for (const alias of videosOf(scene)) if (alias !== key && alias !== 'camera' && captureKey(alias) === key) own.add(alias);
    aliases.set(key, own);
    for (const alias of own) program?.setVideo(alias, track);
  }

  async function openExtra(key: VideoKey, scene: Scene): Promise<void> {
    const program = get().program.program;
    if (!program || !services.program) return;
    const { width, height } = devicesSelectors.resolution(get());
    const fps = get().devices.fps;
    const media =
      key === 'screen'
        ? await services.program.openScreen(fps, { width, height })
        : await services.program.openCamera({ cameraId: namedCamera(key) ?? get().devices.cameraId, width, height, fps });
    if (get().program.extras[key] || (key === previewKey && program.hasVideo(key))) {
      services.capture.stop(media); // opened twice meanwhile, or the preview took it over
      return;
    }
    update((s) => ({ extras: { ...s.extras, [key]: media }, error: undefined }));
    program.setVideo(key, media.getVideoTracks()[0]);
    showAliases(key, scene, media.getVideoTracks()[0]);
    if (key === 'screen') get().mixer.feed('screen', media.getAudioTracks()[0]);
    media.getVideoTracks()[0]?.addEventListener('ended', () => {
      // Sharing ended from the browser's own bar: the layer shows nothing until the scene is shown again.
      program.setVideo(key, undefined);
      showAliases(key, scene, undefined);
      update((s) => ({ extras: { ...s.extras, [key]: undefined } }));
    });
  }

  /** Opens what `scene` shows and neither the preview nor an extra gives; closes extras it no longer shows. */
  async function openExtras(scene: Scene): Promise<void> {
    const wanted = new Set([...videosOf(scene)].map(captureKey));
    const previewMakes = (key: VideoKey): boolean => key === (get().devices.source === 'screen' ? 'screen' : 'camera');
    const problems: string[] = [];
    for (const key of wanted) {
      if (previewMakes(key)) continue;
      const extra = get().program.extras[key];
      if (extra) {
        showAliases(key, scene, extra.getVideoTracks()[0]);
        continue;
      }
      try {
        await openExtra(key, scene);
      } catch (error) {
        problems.push(captureErrorMessage(error, key === 'screen' ? 'screen' : 'camera'));
      }
    }
    update(() => ({ error: problems.length ? `The scene "${scene.name}" is missing a source. ${problems.join(' ')}` : undefined }));
    const fadeMs = scene.transition?.kind === 'fade' ? scene.transition.ms : 0;
    setTimeout(() => {
      const still = get().scenes.shownScene();
      const keep = new Set(still ? [...videosOf(still)].map(captureKey) : []);
      for (const key of Object.keys(get().program.extras) as VideoKey[]) if (!keep.has(key)) closeExtra(key);
    }, fadeMs + EXTRA_GRACE_MS);
  }

  async function show(scene: Scene): Promise<void> {
    const program = ensure();
    if (!program) return;
    await program.setScene(scene);
    void openExtras(scene);
  }

  return {
    program: undefined,
    error: undefined,
    extras: {},
    ensure,
    feedPreview,
    show,
    resize: () => {
      const { width, height } = devicesSelectors.resolution(get());
      const fps = get().devices.fps;
      get().program.program?.resize(width, height, fps);
      // A screen shared for a scene was captured no larger than the program: it is asked for the new size.
      // Where the browser's capturer cannot grow a running capture, the compositor scales it up until the
      // screen is shared again.
      const screen = get().program.extras.screen?.getVideoTracks()[0];
      if (screen) void services.program?.fitScreen(screen, fps, { width, height }).catch(() => undefined);
    },
  };
}
