// One card per transponder (the studio's, REST-created and auto-push ones alike), live from /ws events.
import { useEffect, useState } from 'react';
import { describeTransponder, formatUptime } from '../store/describe.js';
import { useStudio } from '../store/hooks.js';
import { maskUrl } from '../store/presets.js';
import { targetsSelectors } from '../store/targets.js';
import { describeLayer, transpondersSelectors, videoTitle } from '../store/transponders.js';
import { useShallow } from 'zustand/react/shallow';
import { Sparkline } from './Sparkline.js';

/** How the card names the codec a target receives. */
const VIDEO_CODEC_NAMES: Record<string, string> = { h264: 'H.264', av1: 'AV1', vp9: 'VP9', hevc: 'HEVC' };

function SoundControls({ id, soundEnabled }: { id: string; soundEnabled: boolean }) {
  const files = useStudio((s) => s.media.files);
  const upload = useStudio((s) => s.media.upload);
  const soundOn = useStudio((s) => s.transponders.soundOn);
  const soundOff = useStudio((s) => s.transponders.soundOff);
  const [file, setFile] = useState('');
  const [loop, setLoop] = useState(false);
  const [uploadError, setUploadError] = useState<string | undefined>();
  const chosen = file || files[0]?.name || '';
  return (
    <div className="sound">
      <select data-testid="sound-select" value={chosen} onChange={(e) => setFile(e.target.value)}>
        {files.length === 0 && <option value="">No sounds in the media folder</option>}
        {files.map((f) => (
          <option key={f.name} value={f.name}>
            {f.name} ({f.durationMs !== undefined ? `${(f.durationMs / 1000).toFixed(1)} s` : 'not a WAV file we can play'})
          </option>
        ))}
      </select>
      <label className="check small">
        <input type="checkbox" data-testid="sound-loop" checked={loop} onChange={(e) => setLoop(e.target.checked)} /> Loop
      </label>
      {soundEnabled ? (
        <button className="btn small" data-testid="sound-off" onClick={() => void soundOff(id)}>
          Stop sound
        </button>
      ) : (
        <button className="btn small" data-testid="sound-on" disabled={!chosen} onClick={() => void soundOn(id, chosen, loop)}>
          Play sound
        </button>
      )}
      <label className="btn btn-ghost small upload" title="Add a WAV file to the media folder">
        Add WAV…
        <input
          type="file"
          accept=".wav,audio/wav"
          data-testid="sound-upload"
          onChange={(e) => {
            const picked = e.target.files?.[0];
            if (!picked) return;
            void upload(picked).then((refusal) => {
              setUploadError(refusal);
              if (!refusal) setFile(picked.name);
            });
          }}
        />
      </label>
      {uploadError && <span className="field-error">{uploadError}</span>}
    </div>
  );
}

function TransponderCard({ id }: { id: string }) {
  const mute = useStudio((s) => s.transponders.mute);
  const terminate = useStudio((s) => s.transponders.terminate);
  const view = useStudio(transpondersSelectors.byId(id));
  const keys = useStudio(useShallow(targetsSelectors.keys));
  const dismiss = useStudio((s) => s.transponders.dismiss);
  if (!view) return null;
  const t = view.transponder;
  const active = !view.removed && t.status !== 'FAILED' && t.status !== 'STOPPED';
  return (
    <article className={`card status-${t.status.toLowerCase()}`} data-testid="transponder-card" data-status={t.status} data-stream={t.sourceStreamName} data-id={t.mediaSessionId} data-muted={String(t.muted)} data-sound={String(t.soundEnabled)}>
      <header className="card-head">
        <span className={`pill pill-${t.status.toLowerCase()}`} data-testid="transponder-status">
          {t.status}
        </span>
        <span className="card-title" title={maskUrl(t.rtmpUrl, keys)}>
          {t.sourceStreamName} → {maskUrl(t.rtmpUrl, keys)}
        </span>
      </header>
      <p className="card-info" data-testid="transponder-info">
        {describeTransponder(t)}
      </p>
      <div className="stats">
        <Sparkline values={view.bitrate} label="Bitrate" unit="kb/s" />
        <Sparkline values={view.fps} label="FPS" unit="fps" />
        <dl>
          <dt>Size</dt>
          <dd>{t.width && t.height ? `${t.width}×${t.height}` : '—'}</dd>
          <dt>Layer</dt>
          <dd data-testid="transponder-layer" data-stepped={t.adaptive?.stepped ?? ''} title={t.layer?.bitrateKbps ? `${t.layer.bitrateKbps} kb/s as received` : undefined}>
            {describeLayer(t) || '—'}
          </dd>
          <dt>Video</dt>
          <dd data-testid="transponder-video" data-codec={t.videoCodec ?? ''} data-path={t.videoPath ?? ''} title={videoTitle(t)}>
            {t.videoCodec ? `${VIDEO_CODEC_NAMES[t.videoCodec] ?? t.videoCodec}${t.videoPath === 'transcode' ? ' (transcoded)' : ' (copied)'}` : '—'}
          </dd>
          <dt>Uptime</dt>
          <dd data-testid="transponder-uptime">{formatUptime(t.stats.uptimeMs)}</dd>
          <dt>Dropped</dt>
          <dd>{t.stats.droppedFrames}</dd>
          <dt>Reconnects</dt>
          <dd>{t.stats.reconnects}</dd>
        </dl>
      </div>
      {active ? (
        <div className="card-actions">
          <button className="btn small" data-testid={t.muted ? 'unmute' : 'mute'} onClick={() => void mute(id, !t.muted)}>
            {t.muted ? 'Unmute' : 'Mute'}
          </button>
          <SoundControls id={id} soundEnabled={t.soundEnabled} />
          <span className="grow" />
          <button className="btn btn-danger small" data-testid="transponder-stop" onClick={() => void terminate(id)}>
            Stop
          </button>
        </div>
      ) : (
        <div className="card-actions">
          <span className="grow" />
          <button className="btn btn-ghost small" data-testid="transponder-dismiss" onClick={() => dismiss(id)}>
            Dismiss
          </button>
        </div>
      )}
      {view.actionError && (
        <div className="alert" role="alert">
          {view.actionError}
        </div>
      )}
    </article>
  );
}

export function TranspondersPanel() {
  const ids = useStudio(useShallow(transpondersSelectors.ids));
  const error = useStudio((s) => s.media.error);
  const loadMedia = useStudio((s) => s.media.load);
  useEffect(() => void loadMedia(), [loadMedia]);
  return (
    <section className="panel transponders">
      <h2>Transponders</h2>
      {ids.length === 0 && <p className="muted">Nothing is being pushed yet. Pick a target and press Go live; pushes started through the REST API appear here too.</p>}
      {error && <div className="alert">{error}</div>}
      <div className="cards">
        {ids.map((id) => (
          <TransponderCard key={id} id={id} />
        ))}
      </div>
    </section>
  );
}
