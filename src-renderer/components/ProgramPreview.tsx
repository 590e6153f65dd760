// The program as it is sent: the compositor's own canvas, shown scaled. Over it, when the scene shown is the
// one being edited, a frame per layer that can be dragged to move it and by its corner to resize it;
// the selected frame also moves with the arrow keys (Shift: ten times further).
import { useEffect, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import type { CompositorStats } from '../compositor/compositor.js';
import type { Program } from '../compositor/program.js';
import { useShallow } from 'zustand/react/shallow';
import type { SceneLayer } from '../../src-contract/scenes.js';
import { useStudio } from '../store/hooks.js';

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
/** Fractions kept to 4 decimals: a pixel of 1080p is ~0.0005. */
const round4 = (v: number): number => Math.round(v * 10_000) / 10_000;
const MIN_SIZE = 0.02;

/** A rectangle moved or resized by a drag of (dx, dy) fractions, kept inside the frame. */
function dragged(start: Pick<SceneLayer, 'x' | 'y' | 'width' | 'height'>, dx: number, dy: number, mode: 'move' | 'resize'): Pick<SceneLayer, 'x' | 'y' | 'width' | 'height'> {
  if (mode === 'move') {
    return { x: round4(clamp(start.x + dx, 0, 1 - start.width)), y: round4(clamp(start.y + dy, 0, 1 - start.height)), width: start.width, height: start.height };
  }
  return { x: start.x, y: start.y, width: round4(clamp(start.width + dx, MIN_SIZE, 1 - start.x)), height: round4(clamp(start.height + dy, MIN_SIZE, 1 - start.y)) };
}

function LayerFrames({ scene, layers }: { scene: string; layers: SceneLayer[] }) {
  const selected = useStudio((s) => s.scenes.selectedLayer);
  const selectLayer = useStudio((s) => s.scenes.selectLayer);
  const updateLayer = useStudio((s) => s.scenes.updateLayer);
  const box = useRef<HTMLDivElement>(null);

  const startDrag = (index: number, mode: 'move' | 'resize') => (event: PointerEvent<HTMLElement>) => {
    const layer = layers[index];
    const area = box.current?.getBoundingClientRect();
    if (!layer || !area) return;
    event.preventDefault();
    event.stopPropagation();
    selectLayer(index);
    const target = event.currentTarget;
    target.setPointerCapture(event.pointerId);
    const origin = { px: event.clientX, py: event.clientY };
    const move = (e: globalThis.PointerEvent): void => {
      updateLayer(scene, index, dragged(layer, (e.clientX - origin.px) / area.width, (e.clientY - origin.py) / area.height, mode));
    };
    const end = (): void => {
      target.removeEventListener('pointermove', move);
      target.removeEventListener('pointerup', end);
      target.removeEventListener('pointercancel', end);
    };
    target.addEventListener('pointermove', move);
    target.addEventListener('pointerup', end);
    target.addEventListener('pointercancel', end);
  };

  const nudge = (index: number) => (event: KeyboardEvent<HTMLElement>) => {
    const step = event.shiftKey ? 0.1 : 0.01;
    const moves: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    const delta = moves[event.key];
    const layer = layers[index];
    if (!delta || !layer) return;
    event.preventDefault();
    updateLayer(scene, index, dragged(layer, delta[0], delta[1], event.altKey ? 'resize' : 'move'));
  };

  return (
    <div className="layer-frames" ref={box}>
      {layers.map((layer, i) =>
        layer.visible === false ? null : (
          <div
            key={layer.id ?? i}
            className={i === selected ? 'layer-frame selected' : 'layer-frame'}
            style={{ left: `${layer.x * 100}%`, top: `${layer.y * 100}%`, width: `${layer.width * 100}%`, height: `${layer.height * 100}%` }}
            role="button"
            tabIndex={0}
            aria-label={`${layer.name ?? layer.kind} layer: drag to move, arrow keys to move, Alt+arrow keys to resize`}
            aria-pressed={i === selected}
            data-testid="layer-frame"
            onPointerDown={startDrag(i, 'move')}
            onKeyDown={nudge(i)}
            onFocus={() => selectLayer(i)}
          >
            <span className="layer-frame-label">{layer.name ?? layer.kind}</span>
            <span className="layer-frame-handle" aria-hidden="true" onPointerDown={startDrag(i, 'resize')} />
          </div>
        ),
      )}
    </div>
  );
}

const STATS_INTERVAL_MS = 1000;

/** The program's health as OBS shows it: size, frames per second over the last second, frames missed, draw time. */
function ProgramStats({ program }: { program: Program }) {
  const [view, setView] = useState<{ stats: CompositorStats; fps: number } | undefined>();
  useEffect(() => {
    let last = { frames: program.stats().frames, at: performance.now() };
    const timer = setInterval(() => {
      const stats = program.stats();
      const now = performance.now();
      setView({ stats, fps: ((stats.frames - last.frames) * 1000) / (now - last.at) });
      last = { frames: stats.frames, at: now };
    }, STATS_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [program]);
  if (!view) return null;
  const { stats, fps } = view;
  return (
    <div
      className="program-stats"
      data-testid="program-stats"
      data-frames={stats.frames}
      data-dropped={stats.dropped}
      data-fps={fps.toFixed(1)}
      data-draw-p50={stats.drawMsP50.toFixed(2)}
      data-draw-p95={stats.drawMsP95.toFixed(2)}
      data-direct={stats.direct ? 'true' : 'false'}
      data-surface={stats.surface}
      data-height={stats.height}
    >
      {stats.direct
        ? `${stats.width}×${stats.height} · the capture is sent as it is, nothing to draw`
        : `${stats.width}×${stats.height} · ${fps.toFixed(1)} fps · ${stats.dropped} missed · ${stats.drawMsP50.toFixed(1)} ms a frame`}
    </div>
  );
}

export function ProgramPreview() {
  const program = useStudio((s) => s.program.program);
  const { shown, editing } = useStudio(useShallow((s) => ({ shown: s.scenes.shown, editing: s.scenes.editing })));
  const layers = useStudio((s) => s.scenes.list.find((x) => x.name === s.scenes.editing)?.layers);
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!program || !holder.current) return;
    // The canvas surface is shown as it is drawn; the frame surface's track, or a capture's own track sent
    // while nothing is drawn, play in a <video>.
    const canvas = program.canvas;
    if (canvas) {
      canvas.className = 'program-canvas';
      canvas.setAttribute('data-testid', 'program-canvas');
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', 'Program: the picture your targets receive');
      holder.current.appendChild(canvas);
    }
    const video = document.createElement('video');
    video.className = 'program-canvas program-direct';
    video.setAttribute('data-testid', 'program-direct');
    video.setAttribute('aria-label', 'Program: the picture your targets receive');
    video.muted = true;
    video.playsInline = true;
    holder.current.appendChild(video);
    const show = (track: MediaStreamTrack): void => {
      const onCanvas = canvas !== undefined && track === program.stream.getVideoTracks()[0];
      if (canvas) canvas.hidden = !onCanvas;
      video.hidden = onCanvas;
      if (onCanvas) video.srcObject = null;
      else if ((video.srcObject as MediaStream | null)?.getVideoTracks()[0] !== track) {
        video.srcObject = new MediaStream([track]);
        void video.play().catch(() => undefined);
      }
    };
    show(program.videoTrack);
    const stop = program.onVideoTrack(show);
    return () => {
      stop();
      canvas?.remove();
      video.srcObject = null;
      video.remove();
    };
  }, [program]);
  if (!program) return null;
  return (
    <div className="preview program" data-testid="program-preview" data-scene={shown ?? ''}>
      <div className="program-holder" ref={holder} />
      {editing && editing === shown && layers && <LayerFrames scene={editing} layers={layers} />}
      <div className="onair program-label">Program{shown ? `: ${shown}` : ''}</div>
      <ProgramStats program={program} />
    </div>
  );
}
