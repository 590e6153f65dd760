// One card per transponder (the studio's, REST-created and auto-push ones alike), live from /ws events.
import { useEffect, useState } from 'react';
import type { MediaFile } from '../services/api.js';
import { describeTransponder, formatUptime } from '../store/describe.js';
import { useService, useStudio } from '../store/hooks.js';
import { maskUrl } from '../store/presets.js';
import { targetsSelectors } from '../store/targets.js';
import { transpondersSelectors } from '../store/transponders.js';
import { useShallow } from 'zustand/react/shallow';
import { Sparkline } from './Sparkline.js';

function useMediaFiles(): [MediaFile[], () => void, string | undefined] {
  const service = useService();
  const [files, setFiles] = useState<MediaFile[]>([]);
  const [error, setError] = useState<string | undefined>();
  const reload = () =>
    void service.mediaFiles().then(
      (f) => {
        setFiles(f);
        setError(undefined);
      },
      (e: Error) => setError(`The sound list could not be loaded: ${e.message}`),
    );
  useEffect(reload, [service]);
  return [files, reload, error];
}

function SoundControls({ id, soundEnabled, files, reload }: { id: string; soundEnabled: boolean; files: MediaFile[]; reload: () => void }) {
  const service = useService();
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
            {f.name} ({(f.durationMs / 1000).toFixed(1)} s)
          </option>
        ))}
      </select>
      <label className="check small">
        <input type="checkbox" data-testid="sound-loop" checked={loop} onChange={(e) => setLoop(e.target.checked)} /> Loop
      </label>
      {soundEnabled ? (
        <button className="btn small" data-testid="sound-off" onClick={() => void service.soundOff(id)}>
          Stop sound
        </button>
      ) : (
        <button className="btn small" data-testid="sound-on" disabled={!chosen} onClick={() => void service.soundOn(id, chosen, loop)}>
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
            service.uploadMedia(picked).then(
              () => {
                setUploadError(undefined);
                setFile(picked.name);
                reload();
              },
              (err: Error) => setUploadError(err.message),
            );
          }}
        />
      </label>
      {uploadError && <span className="field-error">{uploadError}</span>}
    </div>
  );
}

function TransponderCard({ id, files, reload }: { id: string; files: MediaFile[]; reload: () => void }) {
  const service = useService();
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
          <button className="btn small" data-testid={t.muted ? 'unmute' : 'mute'} onClick={() => void service.mute(id, !t.muted)}>
            {t.muted ? 'Unmute' : 'Mute'}
          </button>
          <SoundControls id={id} soundEnabled={t.soundEnabled} files={files} reload={reload} />
          <span className="grow" />
          <button className="btn btn-danger small" data-testid="transponder-stop" onClick={() => void service.terminate(id)}>
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
  const [files, reload, error] = useMediaFiles();
  return (
    <section className="panel transponders">
      <h2>Transponders</h2>
      {ids.length === 0 && <p className="muted">Nothing is being pushed yet. Pick a target and press Go live; pushes started through the REST API appear here too.</p>}
      {error && <div className="alert">{error}</div>}
      <div className="cards">
        {ids.map((id) => (
          <TransponderCard key={id} id={id} files={files} reload={reload} />
        ))}
      </div>
    </section>
  );
}
