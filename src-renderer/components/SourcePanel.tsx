// The source: live preview (starts when the studio opens), camera/screen, device pickers, resolution,
// frame rate, the microphone meter and Go live / Stop.
import { useEffect, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { FRAME_RATES, RESOLUTIONS, type ResolutionId } from '../store/devices.js';
import { useStudio } from '../store/hooks.js';
import { publishSelectors, STREAM_NAME_PATTERN } from '../store/publish.js';

function PreviewVideo() {
  const media = useStudio((s) => s.devices.preview);
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    ref.current.srcObject = media ?? null;
    if (media) void ref.current.play().catch(() => undefined);
  }, [media]);
  return <video data-testid="source-preview" className="preview-video" ref={ref} muted playsInline autoPlay />;
}

function MicMeter() {
  const level = useStudio((s) => s.devices.micLevel);
  return (
    <div className="meter" title="Microphone level" data-testid="mic-meter" data-level={level.toFixed(2)}>
      <div className="meter-fill" style={{ width: `${Math.round(level * 100)}%` }} />
    </div>
  );
}

function DevicePickers({ disabled }: { disabled: boolean }) {
  const d = useStudio(
    useShallow((s) => ({
      cameras: s.devices.cameras,
      microphones: s.devices.microphones,
      cameraId: s.devices.cameraId,
      microphoneId: s.devices.microphoneId,
      resolution: s.devices.resolution,
      fps: s.devices.fps,
      source: s.devices.source,
    })),
  );
  // Only the actions (stable references): the slice itself changes ten times a second with the mic level.
  const actions = useStudio(
    useShallow((s) => ({
      setSource: s.devices.setSource,
      selectCamera: s.devices.selectCamera,
      selectMicrophone: s.devices.selectMicrophone,
      setResolution: s.devices.setResolution,
      setFps: s.devices.setFps,
      restartPreview: s.devices.restartPreview,
      followSource: s.scenes.followSource,
    })),
  );
  const change = (fn: () => void) => () => {
    fn();
    void actions.restartPreview();
  };
  return (
    <div className="pickers">
      <div className="segmented" role="group" aria-label="Video source">
        <button data-testid="source-camera" disabled={disabled} className={d.source === 'camera' ? 'seg active' : 'seg'} onClick={change(() => (actions.setSource('camera'), actions.followSource('camera')))}>
          Camera
        </button>
        <button data-testid="source-screen" disabled={disabled} className={d.source === 'screen' ? 'seg active' : 'seg'} onClick={change(() => (actions.setSource('screen'), actions.followSource('screen')))}>
          Screen
        </button>
      </div>
      <label>
        Camera
        <select data-testid="camera-select" disabled={disabled || d.source !== 'camera'} value={d.cameraId ?? ''} onChange={(e) => change(() => actions.selectCamera(e.target.value))()}>
          {d.cameras.length === 0 && <option value="">No camera found</option>}
          {d.cameras.map((c) => (
            <option key={c.deviceId} value={c.deviceId}>
              {c.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Microphone
        <select data-testid="mic-select" disabled={disabled} value={d.microphoneId ?? ''} onChange={(e) => change(() => actions.selectMicrophone(e.target.value))()}>
          {d.microphones.length === 0 && <option value="">No microphone found</option>}
          {d.microphones.map((m) => (
            <option key={m.deviceId} value={m.deviceId}>
              {m.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Resolution
        <select data-testid="resolution-select" disabled={disabled} value={d.resolution} onChange={(e) => change(() => actions.setResolution(e.target.value as ResolutionId))()}>
          {RESOLUTIONS.map((r) => (
            <option key={r.id} value={r.id}>
              {r.height}p ({r.width}×{r.height})
            </option>
          ))}
        </select>
      </label>
      <label>
        Frame rate
        <select data-testid="fps-select" disabled={disabled} value={d.fps} onChange={(e) => change(() => actions.setFps(Number(e.target.value)))()}>
          {FRAME_RATES.map((f) => (
            <option key={f} value={f}>
              {f} fps
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

const STATUS_TEXT: Record<string, string> = {
  NEW: 'Ready to go live',
  PENDING: 'Starting…',
  PUBLISHING: 'LIVE',
  UNPUBLISHED: 'Stopped',
  STOPPED: 'Stopped',
  FAILED: 'Not live',
};

export function SourcePanel() {
  const p = useStudio(useShallow((s) => ({ status: s.publish.status, error: s.publish.error, streamName: s.publish.streamName })));
  const previewError = useStudio((s) => s.devices.previewError);
  const previewLive = useStudio((s) => s.devices.previewLive);
  const canGoLive = useStudio(publishSelectors.canGoLive);
  const setStreamName = useStudio((s) => s.publish.setStreamName);
  const restartPreview = useStudio((s) => s.devices.restartPreview);
  const goLive = useStudio((s) => s.publish.goLive);
  const stop = useStudio((s) => s.publish.stop);
  const live = p.status === 'PUBLISHING' || p.status === 'PENDING';
  const nameOk = STREAM_NAME_PATTERN.test(p.streamName);
  return (
    <section className="panel source">
      <div className="preview">
        <PreviewVideo />
        {!previewLive && !previewError && <div className="preview-overlay">Starting camera…</div>}
        {previewError && (
          <div className="preview-overlay error" data-testid="preview-error" role="alert">
            <p>{previewError}</p>
            <button className="btn" data-testid="preview-retry" onClick={() => void restartPreview()}>
              Retry
            </button>
          </div>
        )}
        <div className={`onair ${p.status === 'PUBLISHING' ? 'on' : ''}`} data-testid="publish-status" data-status={p.status}>
          {STATUS_TEXT[p.status] ?? p.status}
        </div>
        <MicMeter />
      </div>
      <DevicePickers disabled={live} />
      <div className="golive-row">
        <label className="grow">
          Stream name
          <input data-testid="stream-name" value={p.streamName} disabled={live} onChange={(e) => setStreamName(e.target.value)} />
          {!nameOk && <span className="field-error">Use 1–64 letters, digits, dots, dashes or underscores.</span>}
        </label>
        {live ? (
          <button data-testid="stop-live" className="btn btn-stop" onClick={() => stop()}>
            Stop
          </button>
        ) : (
          <button data-testid="go-live" className="btn btn-live" disabled={!canGoLive} onClick={() => void goLive()}>
            Go live
          </button>
        )}
      </div>
      {p.error && (
        <div className="alert" data-testid="publish-error" role="alert">
          {p.error}
        </div>
      )}
    </section>
  );
}
