// What a target receives: plays the embedded RTMP server's HTTP-FLV of a transponder to it (mpegts.js).
import mpegts from 'mpegts.js';
import { useEffect, useRef, useState } from 'react';
import { hostSelectors } from '../store/host.js';
import { useStudio } from '../store/hooks.js';
import { previewUrl, transpondersSelectors } from '../store/transponders.js';

export function TargetPreview() {
  const localRtmpUrl = useStudio((s) => s.targets.localRtmpUrl);
  const view = useStudio(transpondersSelectors.previewable(localRtmpUrl));
  const ref = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState<string | undefined>();
  const base = useStudio(hostSelectors.previewBaseUrl);
  const url = view && base ? previewUrl(base, view.transponder.streamName) : undefined;

  useEffect(() => {
    const video = ref.current;
    if (!url || !video) return;
    if (!mpegts.isSupported()) {
      setError('This browser cannot play the preview (no Media Source Extensions).');
      return;
    }
    setError(undefined);
    const player = mpegts.createPlayer({ type: 'flv', isLive: true, url }, { enableStashBuffer: false, liveBufferLatencyChasing: true });
    player.attachMediaElement(video);
    player.on(mpegts.Events.ERROR, (type: string, detail: string) => setError(`The preview stopped (${type}: ${detail}).`));
    player.load();
    void Promise.resolve(player.play()).catch(() => undefined);
    return () => {
      player.destroy();
    };
  }, [url]);

  return (
    <section className="panel target-preview">
      <h2>What the target receives</h2>
      <div className="preview small-preview">
        <video data-testid="target-preview" ref={ref} muted playsInline className="preview-video" />
        {!url && (
          <div className="preview-overlay" data-testid="target-preview-hint">
            {localRtmpUrl
              ? 'Go live to the local target to see what it receives.'
              : 'No preview: the built-in RTMP server is off (local_rtmp_enabled in Settings) or its port was busy when Castbridge started. Your other targets still work.'}
          </div>
        )}
        {error && (
          <div className="preview-overlay error" role="alert">
            {error}
          </div>
        )}
      </div>
      {url && <p className="muted small">Playing {view?.transponder.streamName} from the built-in RTMP server.</p>}
    </section>
  );
}
