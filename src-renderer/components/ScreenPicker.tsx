// The desktop app's screen and window picker: the shell's list of sources as thumbnails, screens and
// windows in two groups, a modal dialog (arrow keys move between tiles, Enter or a click picks, Escape or
// Cancel closes; Tab and Shift+Tab cycle within it, and focus goes back where it was once it closes). It answers the capture service's question (services/desktop.ts); in a plain browser
// nothing asks it, and getDisplayMedia shows the browser's own picker.
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { CaptureChoice, CaptureSource, CaptureSourceList } from '../../src-contract/desktop.js';
import { setScreenChooser } from '../services/desktop.js';
import { FOCUSABLE, wrapTab } from './focus-trap.js';

interface Request {
  list: CaptureSourceList;
  answer(choice: CaptureChoice | undefined): void;
}

const GROUPS = [
  { kind: 'screen', title: 'Screens' },
  { kind: 'window', title: 'Windows' },
] as const;

function Tile({ source, selected, onPick, onShare }: { source: CaptureSource; selected: boolean; onPick(): void; onShare(): void }) {
  return (
    <button type="button" className={selected ? 'picker-tile selected' : 'picker-tile'} data-testid="picker-source" data-id={source.id} aria-pressed={selected} onClick={onPick} onDoubleClick={onShare}>
      {source.thumbnail ? <img src={source.thumbnail} alt="" /> : <span className="picker-blank" aria-hidden="true" />}
      <span className="picker-name">
        {source.appIcon && <img className="picker-icon" src={source.appIcon} alt="" />}
        {source.name || source.id}
      </span>
    </button>
  );
}

function Dialog({ request, onClose }: { request: Request; onClose(): void }) {
  const { sources, systemAudio } = request.list;
  const [chosen, setChosen] = useState<string | undefined>(sources[0]?.id);
  const [audio, setAudio] = useState(false);
  const grid = useRef<HTMLDivElement>(null);
  const dialog = useRef<HTMLDivElement>(null);
  const answer = (choice: CaptureChoice | undefined): void => {
    request.answer(choice);
    onClose();
  };
  const share = (id = chosen): void => {
    if (id) answer({ id, ...(systemAudio && audio ? { audio: true } : {}) });
  };
  useEffect(() => {
    // The element that opened the dialog (a Screen button, a layer's source) gets the focus back.
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    grid.current?.querySelector<HTMLButtonElement>('[data-testid="picker-source"]')?.focus();
    return () => {
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  // Arrow keys walk the tiles in reading order (both groups), Home/End jump to the ends.
  const onKey = (e: KeyboardEvent): void => {
    if (e.key === 'Escape') {
      e.preventDefault();
      answer(undefined);
      return;
    }
    if (e.key === 'Tab') {
      const focusable = [...(dialog.current?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? [])];
      const to = wrapTab(focusable.indexOf(document.activeElement as HTMLElement), focusable.length, e.shiftKey);
      if (to !== undefined) {
        e.preventDefault();
        focusable[to]!.focus();
      }
      return;
    }
    const tiles = [...(grid.current?.querySelectorAll<HTMLButtonElement>('[data-testid="picker-source"]') ?? [])];
    const at = tiles.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    const perRow = Math.max(1, Math.round((grid.current?.clientWidth ?? 1) / (tiles[0]?.offsetWidth || 1)));
    const step: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: perRow, ArrowUp: -perRow, Home: -tiles.length, End: tiles.length };
    if (!(e.key in step)) return;
    e.preventDefault();
    const next = tiles[Math.min(tiles.length - 1, Math.max(0, at + step[e.key]!))]!;
    next.focus();
    setChosen(next.dataset.id);
  };
  return (
    <div className="picker-backdrop">
      <div className="panel picker" role="dialog" aria-modal="true" aria-labelledby="picker-title" data-testid="screen-picker" ref={dialog} onKeyDown={onKey}>
        <h2 id="picker-title">Choose what to share</h2>
        <div ref={grid}>
          {GROUPS.map(({ kind, title }) => {
            const group = sources.filter((s) => s.kind === kind);
            if (!group.length) return null;
            return (
              <section key={kind} role="group" aria-labelledby={`picker-${kind}`} data-testid={`picker-${kind}s`}>
                <h3 className="subhead" id={`picker-${kind}`}>
                  {title}
                </h3>
                <div className="picker-grid">
                  {group.map((s) => (
                    <Tile key={s.id} source={s} selected={s.id === chosen} onPick={() => setChosen(s.id)} onShare={() => share(s.id)} />
                  ))}
                </div>
              </section>
            );
          })}
        </div>
        <div className="row">
          {systemAudio && (
            <label className="check">
              <input type="checkbox" data-testid="picker-audio" checked={audio} onChange={(e) => setAudio(e.target.checked)} /> Share system sound
            </label>
          )}
          <span className="grow" />
          <button type="button" className="btn btn-ghost" data-testid="picker-cancel" onClick={() => answer(undefined)}>
            Cancel
          </button>
          <button type="button" className="btn" data-testid="picker-share" disabled={!chosen} onClick={() => share()}>
            Share
          </button>
        </div>
      </div>
    </div>
  );
}

export function ScreenPicker() {
  const [request, setRequest] = useState<Request | undefined>();
  useEffect(() => {
    setScreenChooser(
      (list) =>
        new Promise((resolve) =>
          setRequest((previous) => {
            previous?.answer(undefined); // a newer question replaces an unanswered one
            return { list, answer: resolve };
          }),
        ),
    );
    return () => setScreenChooser(undefined);
  }, []);
  return request ? <Dialog key={request.list.sources.map((s) => s.id).join()} request={request} onClose={() => setRequest(undefined)} /> : null;
}
