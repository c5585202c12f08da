/**
 * Charts drawn as SVG (no chart library, no inline styles: the CSP allows
 * none): horizontal bars and a heat-map grid. Each chart also carries a
 * table of its figures for screen readers.
 */
import type { ReactNode } from 'react';

export interface Bar {
  readonly label: string;
  readonly value: number;
  /** Shown instead of the value (e.g. `<5` for a suppressed cell). */
  readonly display?: string;
}

export function BarChart({
  title,
  bars,
}: {
  readonly title: string;
  readonly bars: readonly Bar[];
}): ReactNode {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const rowHeight = 22;
  const labelWidth = 170;
  const width = 560;
  return (
    <figure className="chart">
      <svg
        role="img"
        aria-label={title}
        viewBox={`0 0 ${width} ${Math.max(1, bars.length) * rowHeight + 4}`}
        width="100%"
        preserveAspectRatio="xMinYMin meet"
      >
        {bars.map((b, i) => {
          const w = ((width - labelWidth - 60) * b.value) / max;
          const y = i * rowHeight + 2;
          return (
            <g key={b.label}>
              <text x={0} y={y + 15} className="chart-label">
                {b.label}
              </text>
              <rect
                x={labelWidth}
                y={y + 3}
                width={Math.max(0, w)}
                height={rowHeight - 8}
                className="chart-bar"
              />
              <text x={labelWidth + w + 6} y={y + 15} className="chart-value">
                {b.display ?? String(b.value)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>{title}</figcaption>
    </figure>
  );
}

/** A grid of cells shaded by value in five steps (classes heat-0..heat-4). */
export function HeatMap({
  title,
  cells,
}: {
  readonly title: string;
  readonly cells: readonly Bar[];
}): ReactNode {
  const max = Math.max(1, ...cells.map((c) => c.value));
  const columns = 6;
  const size = 86;
  const rows = Math.max(1, Math.ceil(cells.length / columns));
  return (
    <figure className="chart">
      <svg
        role="img"
        aria-label={title}
        viewBox={`0 0 ${columns * size} ${rows * size}`}
        width="100%"
        preserveAspectRatio="xMinYMin meet"
      >
        {cells.map((c, i) => {
          const x = (i % columns) * size;
          const y = Math.floor(i / columns) * size;
          const step = c.display !== undefined ? 0 : Math.min(4, Math.floor((c.value / max) * 4.999));
          return (
            <g key={c.label}>
              <rect x={x + 2} y={y + 2} width={size - 4} height={size - 4} className={`heat-${step}`} />
              <text x={x + 8} y={y + 30} className={step >= 3 ? 'heat-text-light' : 'heat-text'}>
                {c.label}
              </text>
              <text x={x + 8} y={y + 58} className={step >= 3 ? 'heat-text-light' : 'heat-text'}>
                {c.display ?? String(c.value)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>{title}</figcaption>
    </figure>
  );
}
