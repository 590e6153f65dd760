// The program's clock. requestAnimationFrame stops in a hidden tab and a page's own timers are throttled
// there (to once a second, and less after minutes), but a dedicated Worker's timers keep their pace: the
// compositor draws on the Worker's tick, so a streamer can switch to another tab or window while live.

/** The Worker's code: a self-correcting interval that posts the tick's time. */
const WORKER_SOURCE = `
let timer;
onmessage = (event) => {
  clearTimeout(timer);
  const period = event.data.periodMs;
  if (!(period > 0)) return;
  let next = performance.now() + period;
  const tick = () => {
    postMessage(performance.timeOrigin + performance.now());
    next += period;
    const now = performance.now();
    if (next < now - period) next = now + period; // after a stall, do not post a burst of catch-up ticks
    timer = setTimeout(tick, Math.max(0, next - now));
  };
  timer = setTimeout(tick, period);
};
`;

export interface Ticker {
  /** Ticks every `periodMs` (0 pauses). */
  setPeriod(periodMs: number): void;
  stop(): void;
}

/** Calls `onTick` every `periodMs` from a Worker's timer, with the tick's time (performance.timeOrigin +
 *  performance.now() of the Worker, comparable across threads); the page's timer without Workers. */
export function startTicker(periodMs: number, onTick: (postedAt: number) => void): Ticker {
  if (typeof Worker === 'function' && typeof Blob === 'function' && typeof URL.createObjectURL === 'function') {
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    const worker = new Worker(url);
    URL.revokeObjectURL(url);
    worker.onmessage = (event: MessageEvent<number>) => onTick(event.data);
    worker.postMessage({ periodMs });
    return {
      setPeriod: (period) => worker.postMessage({ periodMs: period }),
      stop: () => worker.terminate(),
    };
  }
  const tick = (): void => onTick(performance.timeOrigin + performance.now());
  let timer = setInterval(tick, periodMs);
  return {
    setPeriod: (period) => {
      clearInterval(timer);
      if (period > 0) timer = setInterval(tick, period);
    },
    stop: () => clearInterval(timer),
  };
}
