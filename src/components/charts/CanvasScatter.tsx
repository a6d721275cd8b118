/**
 * A scatter for up to 10,000 points: the points on a canvas, the grid, ticks and labels in SVG above
 * it, and the nearest point's name and values on hover. Why not recharts: its scatter is an SVG
 * element per point, and drawing 10,000 of them was most of the two seconds the browser spent
 * showing "What matters" for a 10,000-run sweep (a CPU profile: React and recharts building SVG).
 */
import { useEffect, useRef, useState } from 'react';
import { useTheme } from 'styled-components';
import { formatNumber } from '../ui';
import { clearedContext } from './canvas';

export interface ScatterPoint {
  name: string;
  x: number;
  y: number;
  colour: string;
}

const M = { top: 8, right: 16, bottom: 34, left: 60 };

/** About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 times a power of ten). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (lo === hi) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** The data's range widened to whole steps (and a little either side of a single value). */
function domainOf(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) return [lo - (Math.abs(lo) || 1) * 0.05, hi + (Math.abs(hi) || 1) * 0.05];
  const ticks = niceTicks(lo, hi);
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : hi - lo;
  return [Math.min(lo, ticks[0]!), Math.max(hi, ticks.at(-1)! < hi ? ticks.at(-1)! + step : ticks.at(-1)!)];
}

export function CanvasScatter({ points, xLabel, yLabel, height = 260 }: { points: ScatterPoint[]; xLabel: string; yLabel: string; height?: number }) {
  const theme = useTheme();
  const box = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(0);
  const [hover, setHover] = useState<ScatterPoint | null>(null);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setWidth(element.clientWidth));
    observer.observe(element);
    setWidth(element.clientWidth);
    return () => observer.disconnect();
  }, []);

  const [x0, x1] = domainOf(points.map((p) => p.x));
  const [y0, y1] = domainOf(points.map((p) => p.y));
  const plotW = Math.max(10, width - M.left - M.right);
  const plotH = height - M.top - M.bottom;
  const px = (x: number) => M.left + ((x - x0) / (x1 - x0)) * plotW;
  const py = (y: number) => M.top + plotH - ((y - y0) / (y1 - y0)) * plotH;

  useEffect(() => {
    if (width === 0) return;
    const context = clearedContext(canvas.current, width, height);
    if (!context) return;
    context.globalAlpha = 0.75;
    // One path per colour: a fill call per colour instead of per point.
    const byColour = new Map<string, ScatterPoint[]>();
    for (const p of points) (byColour.get(p.colour) ?? byColour.set(p.colour, []).get(p.colour)!).push(p);
    for (const [colour, group] of byColour) {
      context.beginPath();
      for (const p of group) {
        context.moveTo(px(p.x) + 3.5, py(p.y));
        context.arc(px(p.x), py(p.y), 3.5, 0, 2 * Math.PI);
      }
      context.fillStyle = colour;
      context.fill();
    }
    context.globalAlpha = 1;
  });

  const nearest = (mx: number, my: number): ScatterPoint | null => {
    let best: ScatterPoint | null = null;
    let bestD = 10 * 10; // within 10 px
    for (const p of points) {
      const d = (px(p.x) - mx) ** 2 + (py(p.y) - my) ** 2;
      if (d < bestD) {
        bestD = d;
        best = p;
      }
    }
    return best;
  };

  return (
    <div ref={box} style={{ position: 'relative', width: '100%', height }} data-points={points.length}>
      <canvas ref={canvas} style={{ position: 'absolute', inset: 0, width: width || '100%', height }} aria-hidden="true" />
      <svg
        width={width}
        height={height}
        role="img"
        aria-label={`${points.length.toLocaleString('en-US')} runs: ${yLabel} against ${xLabel}`}
        style={{ position: 'absolute', inset: 0 }}
        onPointerMove={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          setHover(nearest(e.clientX - r.left, e.clientY - r.top));
        }}
        onPointerLeave={() => setHover(null)}
      >
        {width > 0 && (
          <>
            {niceTicks(x0, x1).map((t) => (
              <g key={`x${t}`}>
                <line x1={px(t)} x2={px(t)} y1={M.top} y2={M.top + plotH} stroke={theme.colors.chartGrid} strokeDasharray="3 3" />
                <text x={px(t)} y={M.top + plotH + 14} textAnchor="middle" fontSize={12} fill={theme.colors.muted}>
                  {formatNumber(t)}
                </text>
              </g>
            ))}
            {niceTicks(y0, y1).map((t) => (
              <g key={`y${t}`}>
                <line x1={M.left} x2={M.left + plotW} y1={py(t)} y2={py(t)} stroke={theme.colors.chartGrid} strokeDasharray="3 3" />
                <text x={M.left - 6} y={py(t) + 4} textAnchor="end" fontSize={12} fill={theme.colors.muted}>
                  {Number(t.toPrecision(3)).toString()}
                </text>
              </g>
            ))}
            <rect x={M.left} y={M.top} width={plotW} height={plotH} fill="none" stroke={theme.colors.border} />
            <text x={M.left + plotW / 2} y={height - 4} textAnchor="middle" fontSize={12} fill={theme.colors.text}>
              {xLabel}
            </text>
            {hover && <circle cx={px(hover.x)} cy={py(hover.y)} r={6} fill="none" stroke={theme.colors.text} strokeWidth={1.5} />}
          </>
        )}
      </svg>
      {hover && (
        <div
          role="tooltip"
          style={{
            position: 'absolute',
            left: Math.min(px(hover.x) + 10, Math.max(0, width - 200)),
            top: Math.max(0, py(hover.y) - 48),
            background: theme.colors.surface,
            border: `1px solid ${theme.colors.border}`,
            borderRadius: 4,
            padding: '4px 8px',
            fontSize: '0.8rem',
            pointerEvents: 'none',
            whiteSpace: 'nowrap',
          }}
        >
          <strong>{hover.name}</strong>
          <br />
          {xLabel} {formatNumber(hover.x)} · {yLabel} {formatNumber(hover.y)}
        </div>
      )}
    </div>
  );
}
