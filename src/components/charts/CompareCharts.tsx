/** Charts of the Compare page: radar of headline metrics, slices, parallel coordinates (the curves: CurvesChart). */
import { useTheme } from 'styled-components';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  PolarAngleAxis,
  PolarGrid,
  PolarRadiusAxis,
  Radar,
  RadarChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';

export const RUN_COLOURS = ['#4f46e5', '#e5484d', '#1f9d55', '#f59e0b', '#0ea5e9', '#a855f7', '#14b8a6', '#ec4899', '#64748b', '#84cc16'];

/** rows: one per metric, `{metric, <runId>: value in [0, 1]}`. */
export function MetricRadar({ rows, runs }: { rows: Record<string, number | string>[]; runs: { id: string; name: string }[] }) {
  return (
    <ResponsiveContainer width="100%" height={320}>
      <RadarChart data={rows} outerRadius="70%">
        <PolarGrid />
        <PolarAngleAxis dataKey="metric" tick={{ fontSize: 11 }} />
        <PolarRadiusAxis domain={[0, 1]} tick={false} axisLine={false} />
        {runs.map((r, i) => (
          <Radar key={r.id} name={r.name} dataKey={r.id} stroke={RUN_COLOURS[i % RUN_COLOURS.length]} fill={RUN_COLOURS[i % RUN_COLOURS.length]} fillOpacity={0.12} isAnimationActive={false} />
        ))}
        <Legend />
        <Tooltip formatter={(v) => Number(v).toFixed(3)} />
      </RadarChart>
    </ResponsiveContainer>
  );
}


/**
 * Parallel coordinates: one vertical axis per numeric hyperparameter and the chosen metric last,
 * each run a polyline, every axis scaled to its own [min, max]. Drawn as plain SVG (Recharts has no
 * parallel-coordinates chart).
 */
export function ParallelCoordinates({ axes, runs }: { axes: { name: string; values: Record<string, number | null> }[]; runs: { id: string; name: string }[] }) {
  const theme = useTheme();
  const width = Math.max(320, axes.length * 120);
  const height = 240;
  const pad = 28;
  const x = (i: number) => pad + (i * (width - 2 * pad)) / Math.max(1, axes.length - 1);
  const scales = axes.map((a) => {
    const vs = Object.values(a.values).filter((v): v is number => v !== null);
    const lo = Math.min(...vs);
    const hi = Math.max(...vs);
    return (v: number) => height - pad - ((v - lo) / (hi - lo || 1)) * (height - 2 * pad);
  });
  return (
    <div style={{ overflowX: 'auto' }}>
      <svg width={width} height={height} role="img" aria-label="Parallel coordinates of hyperparameters and the chosen metric" data-testid="parallel-coordinates">
        {axes.map((a, i) => (
          <g key={a.name}>
            <line x1={x(i)} x2={x(i)} y1={pad} y2={height - pad} stroke={theme.colors.chartGrid} />
            <text x={x(i)} y={14} fontSize={11} textAnchor="middle">
              {a.name}
            </text>
          </g>
        ))}
        {runs.map((r, k) => {
          const points = axes
            .map((a, i) => (a.values[r.id] === null || a.values[r.id] === undefined ? null : `${x(i)},${scales[i]!(a.values[r.id]!)}`))
            .filter(Boolean)
            .join(' ');
          return <polyline key={r.id} points={points} fill="none" stroke={RUN_COLOURS[k % RUN_COLOURS.length]} strokeWidth={2} opacity={0.8}><title>{r.name}</title></polyline>;
        })}
      </svg>
    </div>
  );
}

/** One group of bars per slice, one bar per run (the slice's headline metric). */
export function SliceBars({ rows, runs }: { rows: Record<string, number | string | null>[]; runs: { id: string; name: string }[] }) {
  return (
    <ResponsiveContainer width="100%" height={Math.max(200, rows.length * 36)}>
      <BarChart data={rows} layout="vertical" margin={{ top: 8, right: 16, bottom: 0, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" horizontal={false} />
        <XAxis type="number" tick={{ fontSize: 12 }} />
        <YAxis type="category" dataKey="slice" width={120} tick={{ fontSize: 11 }} />
        <Tooltip formatter={(v) => Number(v).toFixed(4)} />
        <Legend />
        {runs.map((r, i) => (
          <Bar key={r.id} dataKey={r.id} name={r.name} fill={RUN_COLOURS[i % RUN_COLOURS.length]} isAnimationActive={false} />
        ))}
      </BarChart>
    </ResponsiveContainer>
  );
}
