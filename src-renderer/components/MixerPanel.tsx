// The audio mixer: a fader in dB, mute and a peak meter (dBFS, with a clip mark) per source, the
// microphone's noise suppression and echo cancellation, and a sound of the media folder to play into the mix.
import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { FADER_MAX_DB, FADER_MIN_DB, formatDb, meterFraction } from '../mixer/db.js';
import { useStudio } from '../store/hooks.js';
import type { MixerChannelView } from '../store/mixer.js';

function Channel({ channel }: { channel: MixerChannelView }) {
  const setDb = useStudio((s) => s.mixer.setDb);
  const setMuted = useStudio((s) => s.mixer.setMuted);
  const peak = Number.isFinite(channel.peakDbfs) ? `${channel.peakDbfs.toFixed(1)} dBFS` : 'silence';
  return (
    <div className="mixer-channel" role="group" aria-label={channel.label} data-testid={`mixer-${channel.id}`}>
      <div className="mixer-head">
        <span className="mixer-name">{channel.label}</span>
        {!channel.live && <span className="muted small-text">no signal</span>}
      </div>
      <div
        className="mixer-meter"
        role="meter"
        aria-label={`${channel.label} level`}
        aria-valuemin={-60}
        aria-valuemax={0}
        aria-valuenow={Number.isFinite(channel.peakDbfs) ? Math.max(-60, Math.round(channel.peakDbfs)) : -60}
        aria-valuetext={peak}
        data-testid={`mixer-meter-${channel.id}`}
        data-peak={Number.isFinite(channel.peakDbfs) ? channel.peakDbfs.toFixed(1) : '-inf'}
      >
        <div className="mixer-meter-fill" style={{ width: `${meterFraction(channel.peakDbfs) * 100}%` }} />
        <span className={channel.clipped ? 'mixer-clip on' : 'mixer-clip'} title="Clipping: turn this source down">
          {channel.clipped ? 'CLIP' : ''}
        </span>
      </div>
      <div className="row">
        <input
          type="range"
          className="grow"
          aria-label={`${channel.label} volume`}
          aria-valuetext={formatDb(channel.db)}
          data-testid={`mixer-fader-${channel.id}`}
          min={FADER_MIN_DB}
          max={FADER_MAX_DB}
          step={0.5}
          value={channel.db}
          onChange={(e) => setDb(channel.id, Number(e.target.value))}
        />
        <output className="mixer-db">{formatDb(channel.db)}</output>
        <button className={channel.muted ? 'btn small btn-stop' : 'btn small'} aria-pressed={channel.muted} data-testid={`mixer-mute-${channel.id}`} onClick={() => setMuted(channel.id, !channel.muted)}>
          {channel.muted ? 'Muted' : 'Mute'}
        </button>
      </div>
    </div>
  );
}

function MicProcessing() {
  const d = useStudio(useShallow((s) => ({ ns: s.devices.noiseSuppression, ec: s.devices.echoCancellation, live: s.publish.status === 'PUBLISHING' || s.publish.status === 'PENDING' })));
  const setProcessing = useStudio((s) => s.devices.setProcessing);
  const restart = useStudio((s) => s.devices.restartPreview);
  const toggle = (fields: Parameters<typeof setProcessing>[0]) => {
    setProcessing(fields);
    void restart();
  };
  return (
    <div className="row" role="group" aria-label="Microphone processing">
      <label className="check">
        <input type="checkbox" data-testid="mic-noise-suppression" disabled={d.live} checked={d.ns} onChange={(e) => toggle({ noiseSuppression: e.target.checked })} /> Noise suppression
      </label>
      <label className="check">
        <input type="checkbox" data-testid="mic-echo-cancellation" disabled={d.live} checked={d.ec} onChange={(e) => toggle({ echoCancellation: e.target.checked })} /> Echo cancellation
      </label>
      {d.live && <span className="hint">Change these before going live: the microphone restarts.</span>}
    </div>
  );
}

function MediaSound() {
  const files = useStudio((s) => s.media.files).filter((f) => /\.wav$/i.test(f.name));
  const play = useStudio((s) => s.mixer.playMedia);
  const stop = useStudio((s) => s.mixer.stopMedia);
  const playing = useStudio((s) => s.mixer.playing);
  const [file, setFile] = useState('');
  const [loop, setLoop] = useState(false);
  const chosen = file || files[0]?.name || '';
  return (
    <div className="row">
      <label className="grow">
        Play a sound into the mix
        <select data-testid="mixer-media-file" value={chosen} onChange={(e) => setFile(e.target.value)}>
          {files.length === 0 && <option value="">No sounds in the media folder</option>}
          {files.map((f) => (
            <option key={f.name}>{f.name}</option>
          ))}
        </select>
      </label>
      <label className="check">
        <input type="checkbox" data-testid="mixer-media-loop" checked={loop} onChange={(e) => setLoop(e.target.checked)} /> Loop
      </label>
      <button className="btn" data-testid="mixer-media-play" disabled={!chosen} onClick={() => void play(chosen, { loop })}>
        Play
      </button>
      <button className="btn btn-stop" data-testid="mixer-media-stop" disabled={!playing} onClick={stop}>
        Stop
      </button>
      <span className="hint" role="status" data-testid="mixer-media-status">
        {playing ? `Playing ${playing.file}${playing.loop ? ' (looped)' : ''}` : ''}
      </span>
    </div>
  );
}

export function MixerPanel() {
  const channels = useStudio((s) => s.mixer.channels);
  const error = useStudio((s) => s.mixer.error);
  const hasProgram = useStudio((s) => s.program.program !== undefined);
  if (!hasProgram) return null;
  return (
    <section className="panel mixer" aria-labelledby="mixer-title">
      <h2 id="mixer-title">Audio mixer</h2>
      {channels.map((c) => (
        <Channel key={c.id} channel={c} />
      ))}
      <MicProcessing />
      <MediaSound />
      {error && (
        <div className="alert" role="alert">
          {error}
        </div>
      )}
    </section>
  );
}
