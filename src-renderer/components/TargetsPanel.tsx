// Targets: the built-in local server, presets (YouTube, Facebook, Twitch) and custom RTMP URLs; the key is
// masked with a show toggle. Checked targets get a transponder when the studio goes live.
import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useStudio } from '../store/hooks.js';
import { presetFor, TARGET_PRESETS, targetProblem, type Quality, type Target, type TargetKind } from '../store/presets.js';
import { newTarget } from '../store/targets.js';

function TargetEditor({ initial, onDone }: { initial: Target; onDone: () => void }) {
  const saveTarget = useStudio((s) => s.targets.save);
  const deleteTarget = useStudio((s) => s.targets.delete);
  const [target, setTarget] = useState(initial);
  const [showKey, setShowKey] = useState(false);
  const problem = targetProblem(target);
  const preset = presetFor(target.kind);
  const set = (fields: Partial<Target>) => setTarget({ ...target, ...fields });
  return (
    <div className="editor" data-testid="target-editor">
      <label>
        Name
        <input data-testid="target-name" value={target.name} onChange={(e) => set({ name: e.target.value })} />
      </label>
      <label>
        Server URL
        <input data-testid="target-url" value={target.rtmpUrl} onChange={(e) => set({ rtmpUrl: e.target.value })} placeholder="rtmp://server/app" />
      </label>
      <label>
        Stream key
        <div className="key-row">
          <input
            data-testid="target-key"
            type={showKey ? 'text' : 'password'}
            autoComplete="off"
            spellCheck={false}
            value={target.streamKey}
            onChange={(e) => set({ streamKey: e.target.value })}
          />
          <button type="button" className="btn btn-ghost" data-testid="target-key-toggle" onClick={() => setShowKey(!showKey)}>
            {showKey ? 'Hide' : 'Show'}
          </button>
        </div>
        {preset && <span className="hint">Where to find it: {preset.keyHelp}</span>}
      </label>
      {problem && <div className="field-error">{problem}</div>}
      <div className="row">
        <button
          className="btn btn-primary"
          data-testid="target-save"
          disabled={!!problem}
          onClick={() => {
            void saveTarget(target);
            onDone();
          }}
        >
          Save
        </button>
        <button className="btn btn-ghost" onClick={onDone}>
          Cancel
        </button>
        <span className="grow" />
        <button
          className="btn btn-danger"
          data-testid="target-delete"
          onClick={() => {
            void deleteTarget(target.id);
            onDone();
          }}
        >
          Delete
        </button>
      </div>
    </div>
  );
}

const QUALITY_LABELS: Record<Quality, string> = { highest: 'Highest', medium: 'Medium', lowest: 'Lowest' };

/** Which of the published sizes this target gets (with a simulcast camera); the preset's default when unset. */
function QualitySelect({ target }: { target: Target }) {
  const saveTarget = useStudio((s) => s.targets.save);
  const fallback = presetFor(target.kind)?.layerLabel ?? 'highest';
  return (
    <select
      className="small"
      data-testid={`target-quality-${target.id}`}
      title="Which size of your picture this target gets"
      value={target.quality ?? ''}
      onChange={(e) => {
        const { quality: _old, ...rest } = target;
        void saveTarget(e.target.value ? { ...rest, quality: e.target.value as Quality } : rest);
      }}
    >
      <option value="">Auto ({fallback})</option>
      {(Object.keys(QUALITY_LABELS) as Quality[]).map((q) => (
        <option key={q} value={q}>
          {QUALITY_LABELS[q]}
        </option>
      ))}
    </select>
  );
}

export function TargetsPanel() {
  const t = useStudio(useShallow((s) => ({ list: s.targets.list, selectedIds: s.targets.selectedIds, error: s.targets.error, loaded: s.targets.loaded })));
  const toggle = useStudio((s) => s.targets.toggle);
  const secretsWarning = useStudio((s) => s.targets.secrets?.warning);
  const [editing, setEditing] = useState<Target | undefined>();
  const [kind, setKind] = useState<TargetKind>('youtube');
  return (
    <section className="panel targets">
      <h2>Targets</h2>
      {!t.loaded && <p className="muted">Loading targets…</p>}
      {t.loaded && t.list.length === 0 && !editing && (
        <p className="muted small" data-testid="targets-empty">
          No target yet: pick YouTube, Facebook, Twitch or your own RTMP server below and add your stream key.
        </p>
      )}
      <ul className="target-list">
        {t.list.map((target) => (
          <li key={target.id} className="target" data-testid={`target-${target.id}`}>
            <label className="check">
              <input
                type="checkbox"
                data-testid={`target-select-${target.id}`}
                checked={t.selectedIds.includes(target.id)}
                onChange={(e) => toggle(target.id, e.target.checked)}
              />
              <span className={`badge badge-${target.kind}`}>{presetFor(target.kind)?.label ?? 'Local'}</span>
              <span className="target-name">{target.name}</span>
            </label>
            <QualitySelect target={target} />
            {target.kind !== 'local' && (
              <button className="btn btn-ghost small" data-testid={`target-edit-${target.id}`} onClick={() => setEditing(target)}>
                Edit
              </button>
            )}
          </li>
        ))}
      </ul>
      {editing ? (
        <TargetEditor key={editing.id} initial={editing} onDone={() => setEditing(undefined)} />
      ) : (
        <div className="row">
          <select data-testid="target-kind" value={kind} onChange={(e) => setKind(e.target.value as TargetKind)}>
            {TARGET_PRESETS.map((p) => (
              <option key={p.kind} value={p.kind}>
                {p.label}
              </option>
            ))}
          </select>
          <button className="btn" data-testid="target-add" onClick={() => setEditing(newTarget(kind))}>
            Add target
          </button>
        </div>
      )}
      {secretsWarning && (
        <div className="notice" data-testid="secrets-warning">
          {secretsWarning}
        </div>
      )}
      {t.error && (
        <div className="alert" role="alert">
          {t.error}
        </div>
      )}
    </section>
  );
}
