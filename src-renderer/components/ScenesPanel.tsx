// Scenes: the list (a click or keys 1–9 switch the program), a new scene from a ready-made layout, the
// transition of the scene being edited, and the program preview with its layer editor.
import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { PIP_CORNERS, TEMPLATE_NAMES, type PipCorner, type TemplateName } from '../../src-contract/scene-templates.js';
import { MAX_TRANSITION_MS } from '../../src-contract/scenes.js';
import { useStudio } from '../store/hooks.js';
import { LayerEditor } from './LayerEditor.js';
import { ProgramPreview } from './ProgramPreview.js';

/** Keys 1–9 switch scenes, except while typing in a field. */
function useSceneKeys(names: string[], switchTo: (name: string) => void): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const target = event.target as HTMLElement | null;
      if (target && (target.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName))) return;
      const n = Number(event.key);
      if (Number.isInteger(n) && n >= 1 && n <= 9 && names[n - 1]) switchTo(names[n - 1]!);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [names, switchTo]);
}

function NewScene() {
  const create = useStudio((s) => s.scenes.create);
  const [template, setTemplate] = useState<TemplateName>('Screen + camera');
  const [corner, setCorner] = useState<PipCorner>('bottom-right');
  const [name, setName] = useState('');
  return (
    <form
      className="row new-scene"
      aria-label="New scene"
      onSubmit={(e) => {
        e.preventDefault();
        void create(template, { name, corner }).then(() => setName(''));
      }}
    >
      <label>
        Layout
        <select data-testid="scene-template" value={template} onChange={(e) => setTemplate(e.target.value as TemplateName)}>
          {TEMPLATE_NAMES.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
      </label>
      {template === 'Screen + camera' && (
        <label>
          Camera corner
          <select data-testid="scene-corner" value={corner} onChange={(e) => setCorner(e.target.value as PipCorner)}>
            {PIP_CORNERS.map((c) => (
              <option key={c} value={c}>
                {c.replace('-', ' ')}
              </option>
            ))}
          </select>
        </label>
      )}
      <label className="grow">
        Name
        <input data-testid="scene-name" value={name} placeholder={template} maxLength={64} onChange={(e) => setName(e.target.value)} />
      </label>
      <button className="btn" type="submit" data-testid="scene-add">
        Add scene
      </button>
    </form>
  );
}

function TransitionPicker({ scene }: { scene: string }) {
  const transition = useStudio((s) => s.scenes.list.find((x) => x.name === scene)?.transition);
  const change = useStudio((s) => s.scenes.change);
  const kind = transition?.kind ?? 'cut';
  const ms = transition?.ms ?? 500;
  const set = (next: { kind: 'cut' | 'fade'; ms: number }): void => change(scene, (s) => ({ ...s, transition: next }));
  return (
    <div className="row" role="group" aria-label={`Transition into ${scene}`}>
      <label>
        Transition into this scene
        <select data-testid="scene-transition" value={kind} onChange={(e) => set({ kind: e.target.value as 'cut' | 'fade', ms })}>
          <option value="cut">Cut</option>
          <option value="fade">Fade</option>
        </select>
      </label>
      {kind === 'fade' && (
        <label>
          Fade (ms)
          <input
            type="number"
            data-testid="scene-transition-ms"
            min={0}
            max={MAX_TRANSITION_MS}
            step={100}
            value={ms}
            onChange={(e) => set({ kind, ms: Math.min(MAX_TRANSITION_MS, Math.max(0, Math.round(Number(e.target.value) || 0))) })}
          />
        </label>
      )}
    </div>
  );
}

export function ScenesPanel() {
  const s = useStudio(useShallow((st) => ({ list: st.scenes.list, shown: st.scenes.shown, editing: st.scenes.editing, error: st.scenes.error, sourceError: st.program.error })));
  const actions = useStudio(useShallow((st) => ({ switchTo: st.scenes.switchTo, edit: st.scenes.edit, remove: st.scenes.remove })));
  const names = s.list.map((x) => x.name);
  useSceneKeys(names, (name) => void actions.switchTo(name));
  const hasProgram = useStudio((st) => st.program.program !== undefined);
  if (!hasProgram) return null;
  return (
    <section className="panel scenes" aria-labelledby="scenes-title">
      <h2 id="scenes-title">Scenes</h2>
      <ProgramPreview />
      <ul className="scene-list" aria-label="Scenes (keys 1–9 switch)">
        {s.list.map((scene, i) => (
          <li key={scene.name} className={scene.name === s.shown ? 'scene on' : 'scene'}>
            <button
              className="scene-switch"
              data-testid="scene-item"
              data-name={scene.name}
              data-active={scene.name === s.shown}
              aria-pressed={scene.name === s.shown}
              aria-keyshortcuts={i < 9 ? String(i + 1) : undefined}
              onClick={() => void actions.switchTo(scene.name)}
            >
              {i < 9 && <kbd>{i + 1}</kbd>} {scene.name}
            </button>
            <button className="btn btn-ghost small" aria-label={`Edit ${scene.name}`} aria-pressed={scene.name === s.editing} onClick={() => actions.edit(scene.name)}>
              Edit
            </button>
            <button className="btn btn-ghost small btn-danger" aria-label={`Delete ${scene.name}`} disabled={scene.name === s.shown} onClick={() => void actions.remove(scene.name)}>
              Delete
            </button>
          </li>
        ))}
      </ul>
      {(s.error || s.sourceError) && (
        <div className="alert" role="alert" data-testid="scenes-error">
          {s.error ?? s.sourceError}
        </div>
      )}
      <NewScene />
      {s.editing && names.includes(s.editing) && (
        <>
          <TransitionPicker scene={s.editing} />
          <LayerEditor scene={s.editing} />
        </>
      )}
    </section>
  );
}
