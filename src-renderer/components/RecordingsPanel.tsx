// Local recording: Record / Stop for the studio's stream and for what each live target receives, the time and
// size of what is being recorded, and the files of the host's recordings folder.
import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useStudio } from '../store/hooks.js';
import { maskUrl } from '../store/presets.js';
import { formatBytes, formatElapsed, recordingsSelectors, type Recording } from '../store/recordings.js';
import { targetsSelectors } from '../store/targets.js';
import { transpondersSelectors } from '../store/transponders.js';

const ROW = { display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center', marginTop: 8 } as const;
const LABEL = { flexBasis: '100%', marginTop: -4, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' } as const;

/** The time now, ticking once a second while `active`. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return undefined;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

function RecordControl({ recording, onStart, label, testId }: { recording: Recording | undefined; onStart: () => void; label: string; testId: string }) {
  const stop = useStudio((s) => s.recordings.stop);
  const stopping = useStudio((s) => (recording ? s.recordings.stopping[recording.recordingId] === true : false));
  const now = useNow(recording !== undefined);
  if (!recording) {
    return (
      <div className="record-row" style={ROW} data-testid={testId} data-state="IDLE">
        <button className="btn small" data-testid="record-start" onClick={onStart}>
          ● Record {label}
        </button>
      </div>
    );
  }
  return (
    <div className="record-row" style={ROW} data-testid={testId} data-state={stopping ? 'STOPPING' : 'RECORDING'}>
      <span className="pill pill-failed" data-testid="recording-status">
        {stopping ? 'SAVING' : 'REC'}
      </span>
      <span data-testid="recording-elapsed">{formatElapsed(now - recording.startedAt)}</span>
      <span className="muted" data-testid="recording-size">
        {formatBytes(recording.bytes)}
      </span>
      <span className="grow" />
      <button className="btn btn-danger small" data-testid="record-stop" disabled={stopping} onClick={() => void stop(recording.recordingId)}>
        {stopping ? 'Saving…' : 'Stop'}
      </button>
      <span className="muted small" style={LABEL} title={recording.file}>
        Recording {label} to {recording.file}
      </span>
    </div>
  );
}

function TargetRecordControl({ id }: { id: string }) {
  const view = useStudio(transpondersSelectors.byId(id));
  const keys = useStudio(useShallow(targetsSelectors.keys));
  const recording = useStudio(recordingsSelectors.ofTransponder(id));
  const start = useStudio((s) => s.recordings.start);
  if (!view || view.removed || view.transponder.status !== 'PUBLISHING') return null;
  return (
    <RecordControl
      recording={recording}
      label={`what ${maskUrl(view.transponder.rtmpUrl, keys)} receives`}
      testId="record-target"
      onStart={() => void start({ mediaSessionId: id })}
    />
  );
}

export function RecordingsPanel() {
  const streamName = useStudio((s) => s.publish.streamName);
  const publishing = useStudio((s) => s.publish.status === 'PUBLISHING');
  const recording = useStudio(recordingsSelectors.ofStream(streamName));
  const start = useStudio((s) => s.recordings.start);
  const load = useStudio((s) => s.recordings.load);
  const files = useStudio((s) => s.recordings.files);
  const dir = useStudio((s) => s.recordings.dir);
  const error = useStudio((s) => s.recordings.error ?? s.recordings.listError);
  const targetIds = useStudio(useShallow(transpondersSelectors.ids));
  // Read when the session to the host is up (again): the host may have restarted meanwhile.
  const connected = useStudio((s) => s.host.connection === 'ESTABLISHED');
  useEffect(() => {
    if (connected) void load();
  }, [connected, load]);
  return (
    <section className="panel recordings" data-testid="recordings-panel">
      <h2>Recording</h2>
      {publishing || recording ? (
        <RecordControl recording={recording} label="the stream" testId="record-stream" onStart={() => void start({ streamName })} />
      ) : (
        <p className="muted">Go live to record your stream on this computer.</p>
      )}
      {targetIds.map((id) => (
        <TargetRecordControl key={id} id={id} />
      ))}
      {error && (
        <div className="alert" role="alert" data-testid="recording-error">
          {error}
        </div>
      )}
      <h3 className="small">Recorded files</h3>
      {files.length === 0 ? (
        <p className="muted small">No recordings yet{dir ? ` in ${dir}` : ''}.</p>
      ) : (
        <ul className="recording-files" style={{ listStyle: 'none', padding: 0, margin: 0 }} title={dir}>
          {files.map((f) => (
            <li key={f.name} style={{ display: 'flex', flexDirection: 'column', padding: '4px 0' }} data-testid="recording-file" data-name={f.name}>
              <span className="recording-name">{f.name}</span>
              <span className="muted small">
                {formatBytes(f.bytes)}
                {f.durationMs !== undefined ? ` · ${formatElapsed(f.durationMs)}` : ''}
                {f.recording ? ' · recording' : ''} · {new Date(f.createdAt).toLocaleString()}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
