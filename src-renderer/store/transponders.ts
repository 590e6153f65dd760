// Transponders as the host reports them on `/ws` (transponder, transponder-removed, stats events),
// with a short history of bitrate and fps for the sparklines.
import type { HostEvent, TransponderJSON } from '../sdk/protocol.js';
import type { StudioServices } from '../services/index.js';
import { messageOf, patch, type SetStudio, type StudioState } from './types.js';

/** Seconds of history kept for the sparklines (stats arrive once a second). */
export const HISTORY_LENGTH = 60;

export interface TransponderView {
  transponder: TransponderJSON;
  bitrate: number[];
  fps: number[];
  /** The host no longer lists it (terminated or its stream ended); the card stays until dismissed. */
  removed: boolean;
  /** The last action on it that failed, in plain words. */
  actionError: string | undefined;
}

export interface TranspondersSlice {
  byId: Record<string, TransponderView>;
  /** Card order: creation order. */
  order: string[];
  apply(event: HostEvent): void;
  /** After a reconnect: cards the host no longer lists (it restarted, or they ended meanwhile) are ended. */
  retainOnly(liveIds: ReadonlySet<string>): void;
  setActionError(mediaSessionId: string, error: string | undefined): void;
  dismiss(mediaSessionId: string): void;
  /** The WCS push actions on one transponder; a refusal shows on its card. */
  mute(mediaSessionId: string, muted: boolean): Promise<void>;
  soundOn(mediaSessionId: string, soundFile: string, loop: boolean): Promise<void>;
  soundOff(mediaSessionId: string): Promise<void>;
  terminate(mediaSessionId: string): Promise<void>;
}

function pushCapped(history: number[], value: number): number[] {
  const next = [...history, value];
  return next.length > HISTORY_LENGTH ? next.slice(next.length - HISTORY_LENGTH) : next;
}

function upsert(s: TranspondersSlice, t: TransponderJSON, withStats: boolean, removed: boolean): Pick<TranspondersSlice, 'byId' | 'order'> {
  const old = s.byId[t.mediaSessionId];
  const view: TransponderView = {
    transponder: removed && t.status !== 'FAILED' ? { ...t, status: 'STOPPED' } : t,
    bitrate: withStats ? pushCapped(old?.bitrate ?? [], t.stats.bitrateKbps) : (old?.bitrate ?? []),
    fps: withStats ? pushCapped(old?.fps ?? [], t.stats.fps) : (old?.fps ?? []),
    removed: removed || (old?.removed ?? false),
    actionError: old?.actionError,
  };
  return { byId: { ...s.byId, [t.mediaSessionId]: view }, order: old ? s.order : [...s.order, t.mediaSessionId] };
}

/** Pure reducer of one host event into the slice's data. */
export function reduceTransponderEvent(s: TranspondersSlice, event: HostEvent): Pick<TranspondersSlice, 'byId' | 'order'> {
  switch (event.type) {
    case 'transponder':
      // A late `changed` after removal must not resurrect a card.
      if (s.byId[event.transponder.mediaSessionId]?.removed) return s;
      return upsert(s, event.transponder, false, false);
    case 'transponder-removed':
      return upsert(s, event.transponder, false, true);
    case 'stats': {
      let next: Pick<TranspondersSlice, 'byId' | 'order'> = s;
      for (const t of event.transponders) {
        if (next.byId[t.mediaSessionId]?.removed) continue;
        next = upsert({ ...s, ...next }, t, true, false);
      }
      return next;
    }
    default:
      return s;
  }
}

/** Marks every card missing from the host's list as removed (STOPPED unless it had FAILED). */
export function retainTransponders(s: TranspondersSlice, liveIds: ReadonlySet<string>): Pick<TranspondersSlice, 'byId' | 'order'> {
  let next: Pick<TranspondersSlice, 'byId' | 'order'> = s;
  for (const id of s.order) {
    const view = s.byId[id];
    if (!view || view.removed || liveIds.has(id)) continue;
    next = upsert({ ...s, ...next }, view.transponder, false, true);
  }
  return next;
}

export function createTranspondersSlice(set: SetStudio, services: StudioServices): TranspondersSlice {
  const update = (fn: (s: TranspondersSlice) => Partial<TranspondersSlice>): void => patch(set, 'transponders', fn);
  const setActionError = (id: string, actionError: string | undefined): void =>
    update((s) => {
      const view = s.byId[id];
      return view ? { byId: { ...s.byId, [id]: { ...view, actionError } } } : {};
    });
  const act = async (id: string, action: () => Promise<unknown>): Promise<void> => {
    setActionError(id, undefined);
    try {
      await action();
    } catch (error) {
      setActionError(id, messageOf(error));
    }
  };
  const push = services.api.push;
  return {
    byId: {},
    order: [],
    apply: (event) => update((s) => reduceTransponderEvent(s, event)),
    retainOnly: (liveIds) => update((s) => retainTransponders(s, liveIds)),
    setActionError,
    dismiss: (id) =>
      update((s) => {
        const byId = { ...s.byId };
        delete byId[id];
        return { byId, order: s.order.filter((x) => x !== id) };
      }),
    mute: (id, muted) => act(id, () => (muted ? push.mute(id) : push.unmute(id))),
    soundOn: (id, file, loop) => act(id, () => push.soundOn(id, file, loop)),
    soundOff: (id) => act(id, () => push.soundOff(id)),
    terminate: (id) => act(id, () => push.terminate(id)),
  };
}

/**
 * The video layer a transponder sends, for its card: "720p", and with adaptive stepping "360p — stepped
 * down: congestion"; "" until the size is known.
 */
export function describeLayer(t: Pick<TransponderJSON, 'height' | 'layer' | 'adaptive'>): string {
  const height = t.layer?.height ?? t.height;
  if (!height) return '';
  const size = `${height}p`;
  return t.adaptive?.stepped === 'down' && t.adaptive.stepsDown > 0 ? `${size} — stepped down: ${t.adaptive.reason ?? 'congestion'}` : size;
}

/** The tooltip of a target's video: copied, or why the studio re-encodes it (the camera's codec, or its keyframes). */
export function videoTitle(t: Pick<TransponderJSON, 'videoPath' | 'videoPathReason' | 'videoPathProblem'>): string {
  if (t.videoPath !== 'transcode') return t.videoPathProblem ? `Sent as the camera encodes it, though ${t.videoPathProblem}` : 'Sent as the camera encodes it';
  return `Re-encoded by the studio: ${t.videoPathReason ?? 'this target does not take the camera\'s codec'}`;
}

/** HTTP-FLV URL of a stream on the embedded server; `previewBaseUrl` may or may not end with the app (`/live`). */
export function previewUrl(previewBaseUrl: string, streamName: string): string {
  const base = previewBaseUrl.replace(/\/+$/, '');
  return `${/\/live$/.test(base) ? base : `${base}/live`}/${encodeURIComponent(streamName)}.flv`;
}

export const transpondersSelectors = {
  /** Card order: live ones first (in creation order), then the ended ones waiting to be dismissed. */
  ids: (s: StudioState) => {
    const { order, byId } = s.transponders;
    return [...order.filter((id) => !byId[id]?.removed), ...order.filter((id) => byId[id]?.removed)];
  },
  byId: (id: string) => (s: StudioState) => s.transponders.byId[id],
  /** Live transponders of the studio's own stream (what Stop ends). */
  ofStream: (streamName: string) => (s: StudioState) =>
    s.transponders.order.map((id) => s.transponders.byId[id]).filter((v): v is TransponderView => !!v && !v.removed && v.transponder.sourceStreamName === streamName),
  /** The transponder feeding the embedded server, if any (the preview plays it). */
  previewable: (localRtmpUrl: string | undefined) => (s: StudioState) => {
    if (!localRtmpUrl) return undefined;
    const base = localRtmpUrl.replace(/\/+$/, '');
    return s.transponders.order
      .map((id) => s.transponders.byId[id])
      .find((v) => !!v && !v.removed && v.transponder.status === 'PUBLISHING' && v.transponder.rtmpUrl.startsWith(base));
  },
};
