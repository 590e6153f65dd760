// The layers of one scene: the list (top layer first, as it is seen), add, remove, reorder, and the fields
// of the selected layer. Positions and sizes are percentages of the frame; the program redraws at once and
// the scene is saved a moment after the last change.
import { useEffect, useState } from 'react';
import { SCENE_LAYER_KINDS, type SceneLayer, type SceneLayerKind } from '../../src-contract/scenes.js';
import { useStudio } from '../store/hooks.js';

const KIND_LABELS: Record<SceneLayerKind, string> = { camera: 'Camera', screen: 'Screen', image: 'Image', text: 'Text', color: 'Colour' };
const NO_LAYERS: SceneLayer[] = [];
const IMAGE_FILE = /\.(png|jpe?g|webp)$/i;

/** A new layer of `kind` in the middle of the frame, with what it needs to show something. */
function newLayer(kind: SceneLayerKind, n: number, image: string | undefined): SceneLayer {
  const base = { id: `${kind}-${Date.now().toString(36)}`, name: `${KIND_LABELS[kind]} ${n}`, kind, x: 0.25, y: 0.25, width: 0.5, height: 0.5 };
  if (kind === 'text') return { ...base, y: 0.78, x: 0.05, width: 0.6, height: 0.14, text: 'Your name here', color: '#ffffff', background: '#000000b0', fontSize: 48 };
  if (kind === 'color') return { ...base, color: '#4f8cff' };
  if (kind === 'image') return { ...base, file: image, fit: 'contain' };
  return { ...base, fit: 'cover' };
}

const percent = (v: number | undefined, fallback = 0): number => Math.round((v ?? fallback) * 1000) / 10;

function NumberField(props: { label: string; testId: string; value: number; min: number; max: number; step?: number; onChange(value: number): void }) {
  return (
    <label>
      {props.label}
      <input
        type="number"
        data-testid={props.testId}
        min={props.min}
        max={props.max}
        step={props.step ?? 1}
        value={props.value}
        onChange={(e) => {
          const v = Number(e.target.value);
          if (e.target.value !== '' && Number.isFinite(v)) props.onChange(Math.min(props.max, Math.max(props.min, v)));
        }}
      />
    </label>
  );
}

function ImagePicker({ layer, onChange }: { layer: SceneLayer; onChange(fields: Partial<SceneLayer>): void }) {
  const files = useStudio((s) => s.media.images).filter((f) => !f.error);
  const upload = useStudio((s) => s.media.upload);
  const load = useStudio((s) => s.media.load);
  const [problem, setProblem] = useState<string | undefined>();
  // Pictures may have been added meanwhile (over REST, or from another window): read the folder again.
  useEffect(() => void load(), [load]);
  return (
    <div className="row">
      <label className="grow">
        Image
        <select data-testid="layer-file" value={layer.file ?? ''} onChange={(e) => onChange({ file: e.target.value || undefined })}>
          <option value="">{files.length ? 'Choose an image' : 'No image in the media folder yet'}</option>
          {files.map((f) => (
            <option key={f.name}>{f.name}</option>
          ))}
        </select>
      </label>
      <label className="btn btn-ghost small upload" title="Add a PNG, JPEG or WebP picture to the media folder">
        Upload image…
        <input
          type="file"
          data-testid="layer-upload"
          accept="image/png,image/jpeg,image/webp"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (!file) return;
            if (!IMAGE_FILE.test(file.name)) {
              setProblem(`"${file.name}" is not a PNG, JPEG or WebP picture.`);
              return;
            }
            void upload(file).then((refusal) => {
              setProblem(refusal ? `"${file.name}" was not added: ${refusal}` : undefined);
              if (!refusal) onChange({ file: file.name });
            });
          }}
        />
      </label>
      {problem && (
        <span className="field-error" role="alert">
          {problem}
        </span>
      )}
    </div>
  );
}

const CROP_EDGES = [
  { edge: 'left', label: 'Crop left (%)' },
  { edge: 'top', label: 'Crop top (%)' },
  { edge: 'right', label: 'Crop right (%)' },
  { edge: 'bottom', label: 'Crop bottom (%)' },
] as const;
type CropEdge = (typeof CROP_EDGES)[number]['edge'];
type CropText = Record<CropEdge, string>;

/** Why a crop cannot be used, or undefined when it can: each edge 0–100 %, something left in both directions. */
function cropProblem(text: CropText): string | undefined {
  const v = (edge: CropEdge): number => Number(text[edge] === '' ? 0 : text[edge]);
  for (const { edge } of CROP_EDGES) {
    if (!Number.isFinite(v(edge)) || v(edge) < 0 || v(edge) > 100) return `The ${edge} crop must be a number from 0 to 100 %.`;
  }
  if (v('left') + v('right') >= 100) return 'Left and right crops together must leave some of the picture (less than 100 %).';
  if (v('top') + v('bottom') >= 100) return 'Top and bottom crops together must leave some of the picture (less than 100 %).';
  return undefined;
}

/** What part of the source the layer shows, as percentages cut off each edge; saved only when valid. */
function CropFields({ layer, onChange }: { layer: SceneLayer; onChange(fields: Partial<SceneLayer>): void }) {
  const saved = (): CropText => ({
    left: String(percent(layer.crop?.left)),
    top: String(percent(layer.crop?.top)),
    right: String(percent(layer.crop?.right)),
    bottom: String(percent(layer.crop?.bottom)),
  });
  const [text, setText] = useState<CropText>(saved);
  const problem = cropProblem(text);
  const key = JSON.stringify(layer.crop ?? null);
  // The crop changed elsewhere (REST, another window): show it, unless the fields hold an unsaved mistake.
  useEffect(() => {
    if (!cropProblem(text)) setText(saved());
  }, [key]);
  const edit = (edge: CropEdge, value: string): void => {
    const next = { ...text, [edge]: value };
    setText(next);
    if (cropProblem(next)) return;
    const frac = (e: CropEdge): number => Math.round(Number(next[e] || 0) * 10) / 1000;
    const crop = { left: frac('left'), top: frac('top'), right: frac('right'), bottom: frac('bottom') };
    onChange({ crop: crop.left || crop.top || crop.right || crop.bottom ? crop : undefined });
  };
  return (
    <>
      <div className="grid4" role="group" aria-label="Crop">
        {CROP_EDGES.map(({ edge, label }) => (
          <label key={edge}>
            {label}
            <input type="number" data-testid={`layer-crop-${edge}`} min={0} max={100} step={0.5} value={text[edge]} aria-invalid={problem ? true : undefined} onChange={(e) => edit(edge, e.target.value)} />
          </label>
        ))}
      </div>
      {problem && (
        <span className="field-error" role="alert" data-testid="layer-crop-error">
          {problem}
        </span>
      )}
    </>
  );
}

/** Which camera a camera layer shows: stored as the deviceId; a label (from the REST API) also matches. */
function CameraPicker({ layer, onChange }: { layer: SceneLayer; onChange(fields: Partial<SceneLayer>): void }) {
  const cameras = useStudio((s) => s.devices.cameras);
  const found = layer.device ? (cameras.find((c) => c.deviceId === layer.device) ?? cameras.find((c) => c.label === layer.device)) : undefined;
  return (
    <label>
      Camera
      <select data-testid="layer-device" value={found?.deviceId ?? layer.device ?? ''} onChange={(e) => onChange({ device: e.target.value || undefined })}>
        <option value="">The studio's camera</option>
        {cameras.map((c, i) => (
          <option key={c.deviceId} value={c.deviceId}>
            {c.label || `Camera ${i + 1}`}
          </option>
        ))}
        {layer.device && !found && <option value={layer.device}>{layer.device} (not connected: shows the studio's camera)</option>}
      </select>
    </label>
  );
}

function LayerFields({ scene, index, layer }: { scene: string; index: number; layer: SceneLayer }) {
  const updateLayer = useStudio((s) => s.scenes.updateLayer);
  const set = (fields: Partial<SceneLayer>): void => updateLayer(scene, index, fields);
  // Position and size in percent; the far edges stay inside the frame (x + width ≤ 100 %).
  const frac = (v: number): number => Math.round(v * 10) / 1000;
  return (
    <fieldset className="layer-fields" aria-label={`${layer.name ?? layer.kind} settings`}>
      <div className="grid4">
        <NumberField label="Left (%)" testId="layer-x" value={percent(layer.x)} min={0} max={100 - percent(layer.width)} step={0.5} onChange={(v) => set({ x: frac(v) })} />
        <NumberField label="Top (%)" testId="layer-y" value={percent(layer.y)} min={0} max={100 - percent(layer.height)} step={0.5} onChange={(v) => set({ y: frac(v) })} />
        <NumberField label="Width (%)" testId="layer-width" value={percent(layer.width)} min={1} max={100 - percent(layer.x)} step={0.5} onChange={(v) => set({ width: frac(v) })} />
        <NumberField label="Height (%)" testId="layer-height" value={percent(layer.height)} min={1} max={100 - percent(layer.y)} step={0.5} onChange={(v) => set({ height: frac(v) })} />
        <NumberField label="Opacity (%)" testId="layer-opacity" value={percent(layer.opacity, 1)} min={0} max={100} onChange={(v) => set({ opacity: frac(v) })} />
        <label className="check">
          <input type="checkbox" data-testid="layer-visible" checked={layer.visible !== false} onChange={(e) => set({ visible: e.target.checked })} /> Visible
        </label>
      </div>
      {layer.kind === 'text' && (
        <div className="grid4">
          <label className="span2">
            Text
            <input data-testid="layer-text" value={layer.text ?? ''} maxLength={500} onChange={(e) => set({ text: e.target.value })} />
          </label>
          <NumberField label="Size (px at 1080p)" testId="layer-font-size" value={layer.fontSize ?? 48} min={1} max={1000} onChange={(v) => set({ fontSize: v })} />
          <label>
            Text colour
            <input type="color" data-testid="layer-color" value={(layer.color ?? '#ffffff').slice(0, 7)} onChange={(e) => set({ color: e.target.value })} />
          </label>
          <label className="check">
            <input type="checkbox" data-testid="layer-box" checked={layer.background !== undefined} onChange={(e) => set({ background: e.target.checked ? '#000000b0' : undefined })} /> Box behind the text
          </label>
          {layer.background !== undefined && (
            <label>
              Box colour
              <input type="color" data-testid="layer-background" value={layer.background.slice(0, 7)} onChange={(e) => set({ background: `${e.target.value}${layer.background!.slice(7)}` })} />
            </label>
          )}
        </div>
      )}
      {layer.kind === 'color' && (
        <label>
          Colour
          <input type="color" data-testid="layer-color" value={(layer.color ?? '#000000').slice(0, 7)} onChange={(e) => set({ color: e.target.value })} />
        </label>
      )}
      {layer.kind === 'image' && <ImagePicker layer={layer} onChange={set} />}
      {layer.kind === 'camera' && <CameraPicker layer={layer} onChange={set} />}
      {(layer.kind === 'camera' || layer.kind === 'screen' || layer.kind === 'image') && <CropFields key={layer.id ?? index} layer={layer} onChange={set} />}
      {(layer.kind === 'camera' || layer.kind === 'screen' || layer.kind === 'image') && (
        <label>
          Fit
          <select data-testid="layer-fit" value={layer.fit ?? 'cover'} onChange={(e) => set({ fit: e.target.value as 'cover' | 'contain' })}>
            <option value="cover">Fill the box (crop the edges)</option>
            <option value="contain">Show it whole</option>
          </select>
        </label>
      )}
    </fieldset>
  );
}

export function LayerEditor({ scene }: { scene: string }) {
  const layers = useStudio((s) => s.scenes.list.find((x) => x.name === scene)?.layers) ?? NO_LAYERS;
  const selected = useStudio((s) => s.scenes.selectedLayer);
  const selectLayer = useStudio((s) => s.scenes.selectLayer);
  const change = useStudio((s) => s.scenes.change);
  const firstImage = useStudio((s) => s.media.images.find((f) => !f.error)?.name);
  const [kind, setKind] = useState<SceneLayerKind>('text');
  const setLayers = (fn: (l: SceneLayer[]) => SceneLayer[]): void => change(scene, (s) => ({ ...s, layers: fn(s.layers) }));
  const move = (i: number, by: number): void => {
    const j = i + by;
    if (j < 0 || j >= layers.length) return;
    setLayers((l) => {
      const next = [...l];
      [next[i], next[j]] = [next[j]!, next[i]!];
      return next;
    });
    selectLayer(j);
  };
  const order = layers.map((_, i) => i).reverse();
  const current = selected !== undefined ? layers[selected] : undefined;
  return (
    <div className="layer-editor" aria-label={`Layers of ${scene}`}>
      <h3 className="subhead">Layers of “{scene}” (top first)</h3>
      <ul className="layer-list">
        {order.map((i) => {
          const layer = layers[i]!;
          const label = layer.name ?? KIND_LABELS[layer.kind];
          return (
            <li key={layer.id ?? i} className={i === selected ? 'layer-row selected' : 'layer-row'} data-testid="layer-row" data-kind={layer.kind}>
              <button className="layer-pick" aria-pressed={i === selected} onClick={() => selectLayer(i)}>
                {label} <span className="muted">{KIND_LABELS[layer.kind]}{layer.visible === false ? ' · hidden' : ''}</span>
              </button>
              <button className="btn btn-ghost small" aria-label={`Move ${label} up`} disabled={i === layers.length - 1} onClick={() => move(i, 1)}>
                ↑
              </button>
              <button className="btn btn-ghost small" aria-label={`Move ${label} down`} disabled={i === 0} onClick={() => move(i, -1)}>
                ↓
              </button>
              <button
                className="btn btn-ghost small btn-danger"
                aria-label={`Remove ${label}`}
                onClick={() => {
                  setLayers((l) => l.filter((_, k) => k !== i));
                  selectLayer(undefined);
                }}
              >
                Remove
              </button>
            </li>
          );
        })}
      </ul>
      <div className="row">
        <label>
          New layer
          <select data-testid="layer-kind" value={kind} onChange={(e) => setKind(e.target.value as SceneLayerKind)}>
            {SCENE_LAYER_KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_LABELS[k]}
              </option>
            ))}
          </select>
        </label>
        <button
          className="btn"
          data-testid="layer-add"
          disabled={layers.length >= 32}
          onClick={() => {
            setLayers((l) => [...l, newLayer(kind, l.length + 1, firstImage)]);
            selectLayer(layers.length);
          }}
        >
          Add layer
        </button>
      </div>
      {current && selected !== undefined && <LayerFields scene={scene} index={selected} layer={current} />}
    </div>
  );
}
