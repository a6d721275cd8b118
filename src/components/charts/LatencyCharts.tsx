import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useTheme } from 'styled-components';

export function LatencyHistogram({ bins }: { bins: { fromMs: number; toMs: number; count: number }[] }) {
  const theme = useTheme();
  const data = bins.map((b) => ({ label: `${Number(b.fromMs.toPrecision(3))}–${Number(b.toMs.toPrecision(3))}`, count: b.count }));
  return (
    <ResponsiveContainer width="100%" height={220}>
      <BarChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="label" tick={{ fontSize: 10 }} minTickGap={16} />
        <YAxis allowDecimals={false} width={48} tick={{ fontSize: 12 }} />
        <Tooltip formatter={(v) => [v, 'requests']} labelFormatter={(l) => `${l} ms`} />
        <Bar dataKey="count" fill={theme.colors.primary} isAnimationActive={false} />
      </BarChart>
    </ResponsiveContainer>
  );
}

export interface PercentileSeries {
  key: string;
  label: string;
  colour?: string;
  points: { percentile: number; ms: number }[];
}

/**
 * Latency against percentile on a log scale of 1 / (1 − p), so the tail (99%, 99.9%) is readable.
 * One line per series (a run's profile); the series share the x positions by percentile.
 */
export function PercentileCurve({ series }: { series: PercentileSeries[] }) {
  const theme = useTheme();
  const rows = new Map<number, Record<string, number>>();
  for (const s of series) {
    for (const p of s.points) {
      if (p.percentile >= 100) continue;
      const row = rows.get(p.percentile) ?? { x: 1 / (1 - p.percentile / 100) };
      row[s.key] = p.ms;
      rows.set(p.percentile, row);
    }
  }
  const data = [...rows.entries()].sort((a, b) => a[0] - b[0]).map(([, row]) => row);
  const ticks = [1, 2, 10, 100, 1000, 10000, 100000].filter((t) => t <= (data.at(-1)?.x ?? 1));
  return (
    <ResponsiveContainer width="100%" height={220}>
      <LineChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="x" type="number" scale="log" domain={[1, 'dataMax']} ticks={ticks} tickFormatter={(x: number) => `${Number((100 * (1 - 1 / x)).toPrecision(4))}%`} tick={{ fontSize: 11 }} allowDataOverflow />
        <YAxis width={72} tick={{ fontSize: 12 }} unit=" ms" />
        <Tooltip formatter={(v, name) => [`${Number(v).toFixed(3)} ms`, name]} labelFormatter={(x) => `p${Number((100 * (1 - 1 / Number(x))).toPrecision(6))}`} />
        {series.length > 1 && <Legend />}
        {series.map((s) => (
          <Line key={s.key} type="linear" dataKey={s.key} name={s.label} stroke={s.colour ?? theme.colors.primary} dot={false} connectNulls isAnimationActive={false} strokeWidth={2} />
        ))}
      </LineChart>
    </ResponsiveContainer>
  );
}
