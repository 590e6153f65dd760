// Every setting of castbridge.properties (docs/DESIGN.md §6) with its explanation, validated as you type.
import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useStudio } from '../store/hooks.js';
import { settingsSelectors, type SettingItem } from '../store/settings.js';

export function SettingsPanel() {
  const st = useStudio(
    useShallow((s) => ({ items: s.settings.items, drafts: s.settings.drafts, errors: s.settings.errors, notice: s.settings.notice, file: s.settings.file, saving: s.settings.saving })),
  );
  const edit = useStudio((s) => s.settings.edit);
  const save = useStudio((s) => s.settings.save);
  const canSave = useStudio(settingsSelectors.canSave);
  return (
    <main className="settings panel" data-testid="settings-panel">
      <div className="settings-head">
        <div>
          <h2>Settings</h2>
          {st.file && (
            <p className="muted small">
              Saved in {st.file}. Empty a number, port, address or true/false field to go back to its default.
            </p>
          )}
        </div>
        <button className="btn btn-primary" data-testid="settings-save" disabled={!canSave} onClick={() => void save()}>
          {st.saving ? 'Saving…' : 'Save settings'}
        </button>
      </div>
      {st.notice && (
        <div className="notice" role="status" data-testid="settings-notice">
          {st.notice}
        </div>
      )}
      {st.items.length === 0 && <p className="muted">Loading settings…</p>}
      <div className="settings-list">
        {st.items.map((item) => {
          const value = st.drafts[item.key] ?? item.value;
          const error = st.errors[item.key];
          return (
            <label key={item.key} className={error ? 'setting invalid' : 'setting'} data-testid={`setting-${item.key}`}>
              <span className="setting-key">
                {item.key}
                {item.restart && <span className="badge setting-flag">applies after a restart</span>}
                {item.overridden && <span className="badge setting-flag">set with --set for this run</span>}
              </span>
              <SettingInput item={item} value={value} invalid={!!error} onChange={(v) => edit(item.key, v)} />
              <span className="setting-desc">
                {item.description} <span className="muted">Default: {item.default === '' ? '(empty)' : item.default}</span>
              </span>
              {error && <span className="field-error">{error}</span>}
            </label>
          );
        })}
      </div>
    </main>
  );
}

/** An RTMP URL setting may end in a stream key (docs/DESIGN.md §7): hidden like the targets' keys, shown on demand. */
function SettingInput(props: { item: SettingItem; value: string; invalid: boolean; onChange: (value: string) => void }) {
  const { item, value, invalid, onChange } = props;
  const [shown, setShown] = useState(false);
  const input = (secret: boolean) => (
    <input
      type={secret && !shown ? 'password' : 'text'}
      autoComplete="off"
      spellCheck={false}
      value={value}
      placeholder={item.default}
      onChange={(e) => onChange(e.target.value)}
      aria-invalid={invalid}
    />
  );
  if (item.type !== 'rtmpUrl') return input(false);
  return (
    <div className="key-row">
      {input(true)}
      <button type="button" className="btn btn-ghost" data-testid={`setting-toggle-${item.key}`} onClick={() => setShown(!shown)}>
        {shown ? 'Hide' : 'Show'}
      </button>
    </div>
  );
}
