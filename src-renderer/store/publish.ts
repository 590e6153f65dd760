// Going live: the studio's own published stream, what happened to it, and starting the selected targets'
// transponders once the host receives it.
import type { Stream, StreamStatus } from '../sdk/index.js';
import { ApiError } from '../services/api.js';
import type { StudioServices } from '../services/index.js';
import { describeFailure, describePublishFailure } from './describe.js';
import { startupBody, targetProblem } from './presets.js';
import { targetsSelectors } from './targets.js';
import { messageOf, patch, type GetStudio, type SetStudio, type StudioState } from './types.js';

export interface PublishSlice {
  /** Name of the studio's stream on the host. */
  streamName: string;
  status: StreamStatus;
  info: string | undefined;
  /** A streamer-readable error about going live, shown beside the Go live button. */
  error: string | undefined;
  /** The SDK stream being published, while there is one. */
  stream: Stream | undefined;
  setStreamName(name: string): void;
  setStatus(status: StreamStatus, info?: string): void;
  setError(error: string | undefined): void;
  /** Publishes the preview on the host session; once the host receives it, starts the selected targets. */
  goLive(): Promise<void>;
  stop(): void;
}

/** Stream names a host accepts: letters, digits, dash, underscore, dot (no path separators). */
export const STREAM_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** One transponder per selected target; refusals are collected into one sentence. */
async function startTargets(get: GetStudio, services: StudioServices, streamName: string): Promise<void> {
  const problems: string[] = [];
  const selected = targetsSelectors.selected(get());
  if (selected.length === 0) {
    get().publish.setError('No target is selected: the relay receives your stream but sends it nowhere. Tick a target.');
    return;
  }
  for (const target of selected) {
    const problem = targetProblem(target);
    if (problem) {
      problems.push(`${target.name}: ${problem}`);
      continue;
    }
    try {
      await services.api.push.startup(startupBody(target, streamName));
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) continue; // already pushing there
      problems.push(`${target.name}: ${describeFailure(messageOf(error))}`);
    }
  }
  if (problems.length) get().publish.setError(`Some targets did not start. ${problems.join(' ')}`);
}

export function createPublishSlice(set: SetStudio, get: GetStudio, services: StudioServices, initialName = 'studio'): PublishSlice {
  const update = (fn: (s: PublishSlice) => Partial<PublishSlice>): void => patch(set, 'publish', fn);
  const setStatus = (status: StreamStatus, info?: string): void =>
    update((s) => ({ status, info, error: status === 'PUBLISHING' || status === 'PENDING' ? undefined : s.error }));
  const setError = (error: string | undefined): void => update(() => ({ error }));

  /** Stops the published stream following the program's video track. */
  let unfollow: (() => void) | undefined;

  async function goLive(): Promise<void> {
    const session = get().host.session;
    if (!session || get().host.connection !== 'ESTABLISHED') {
      setError('Castbridge is still connecting to its relay. Wait a second and try again.');
      return;
    }
    if (!get().devices.preview) await get().devices.restartPreview();
    const preview = get().devices.preview;
    // The program (composed picture, mixed sound) when the studio draws one; else the capture as it is.
    const program = get().program.program;
    program?.mixer.resume();
    const media = preview && program ? program.stream : preview;
    if (!media) {
      setError(get().devices.previewError ?? 'There is no camera picture to send.');
      return;
    }
    const streamName = get().publish.streamName;
    // Simulcast: the host keeps each size as a layer, so every target can take the one that suits it.
    const current = session.createStream({ name: streamName, mediaStream: media, simulcast: true });
    // The program sends a capture's own track while its scene is that capture alone (compositor/direct.ts):
    // the sender follows it, and a scene switch waits until it has.
    unfollow?.();
    unfollow = undefined;
    if (media === program?.stream) {
      await current.replaceVideoTrack(program.videoTrack);
      unfollow = program.onVideoTrack((track) => current.replaceVideoTrack(track));
    }
    update(() => ({ stream: current, error: undefined }));
    current
      .on('PENDING', () => setStatus('PENDING'))
      .on('PUBLISHING', () => {
        setStatus('PUBLISHING');
        void startTargets(get, services, streamName);
      })
      .on('UNPUBLISHED', (st) => setStatus('UNPUBLISHED', st.getInfo()))
      .on('FAILED', (st) => {
        setStatus('FAILED', st.getInfo());
        setError(describePublishFailure(st.getInfo(), st.getErrorDetail()));
      });
    await current.publish();
  }

  return {
    streamName: initialName,
    status: 'NEW',
    info: undefined,
    error: undefined,
    stream: undefined,
    setStreamName: (streamName) => update(() => ({ streamName })),
    setStatus,
    setError,
    goLive,
    stop: () => {
      unfollow?.();
      unfollow = undefined;
      get().publish.stream?.stop();
      update(() => ({ stream: undefined }));
    },
  };
}

export const publishSelectors = {
  isLive: (s: StudioState) => s.publish.status === 'PUBLISHING',
  isBusy: (s: StudioState) => s.publish.status === 'PENDING',
  canGoLive: (s: StudioState) =>
    s.host.connection === 'ESTABLISHED' && s.publish.status !== 'PENDING' && s.publish.status !== 'PUBLISHING' && STREAM_NAME_PATTERN.test(s.publish.streamName),
};
