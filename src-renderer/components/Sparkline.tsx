// A tiny SVG line of the last values (bitrate, fps).
export function Sparkline({ values, label, unit }: { values: number[]; label: string; unit: string }) {
  const WIDTH = 120;
  const HEIGHT = 28;
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? WIDTH / (values.length - 1) : WIDTH;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(HEIGHT - (v / max) * (HEIGHT - 2) - 1).toFixed(1)}`).join(' ');
  const last = values.at(-1) ?? 0;
  return (
    <div className="spark">
      <span className="spark-label">{label}</span>
      <svg width={WIDTH} height={HEIGHT} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} aria-hidden="true">
        {values.length > 1 && <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.5" />}
      </svg>
      <span className="spark-value">
        {Math.round(last)} {unit}
      </span>
    </div>
  );
}
