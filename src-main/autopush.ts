// Automatic push (docs/DESIGN.md §5, WCS `rtmp_push_auto_start`): every stream that starts publishing gets a
// transponder to `rtmp_push_auto_start_url`. The settings are read at each publish, so a change applies to
// the next stream without a restart.
import { type LiveStream, type Log, redactName, redactUrl, type StreamRegistry, type TransponderService } from '../src-relay/index.js';

export interface AutoPushSettings {
  enabled: boolean;
  rtmpUrl: string;
}

/** Starts watching the registry; returns the function that stops it. */
export function startAutoPush(
  registry: StreamRegistry,
  transponders: TransponderService,
  settings: () => AutoPushSettings,
  log: Log,
): () => void {
  const onPublished = (stream: LiveStream) => {
    const { enabled, rtmpUrl } = settings();
    if (!enabled) return;
    if (rtmpUrl === '') {
      log('auto_push.skipped', { streamName: redactName(stream.name), reason: 'rtmp_push_auto_start_url is empty' });
      return;
    }
    // After the publisher's own 'published' listeners ran (the registry emits synchronously).
    setImmediate(() => {
      if (stream.ended) return;
      try {
        const t = transponders.startup({ streamName: stream.name, rtmpUrl });
        log('auto_push.started', { mediaSessionId: t.mediaSessionId, rtmpUrl: redactUrl(rtmpUrl) });
      } catch (err) {
        log('auto_push.failed', { streamName: redactName(stream.name), rtmpUrl: redactUrl(rtmpUrl), error: (err as Error).message });
      }
    });
  };
  registry.on('published', onPublished);
  return () => registry.off('published', onPublished);
}
