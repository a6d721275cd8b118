import { Bar, BarChart, CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
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

/** Latency against percentile on a log scale of 1 / (1 − p), so the tail (99%, 99.9%) is readable. */
export function PercentileCurve({ points }: { points: { percentile: number; ms: number }[] }) {
  const theme = useTheme();
  const data = points.filter((p) => p.percentile < 100).map((p) => ({ x: 1 / (1 - p.percentile / 100), ms: p.ms, percentile: p.percentile }));
  const ticks = [1, 2, 10, 100, 1000, 10000, 100000].filter((t) => t <= (data.at(-1)?.x ?? 1));
  return (
    <ResponsiveContainer width="100%" height={220}>
      <LineChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="x" type="number" scale="log" domain={[1, 'dataMax']} ticks={ticks} tickFormatter={(x: number) => `${Number((100 * (1 - 1 / x)).toPrecision(4))}%`} tick={{ fontSize: 11 }} allowDataOverflow />
        <YAxis width={72} tick={{ fontSize: 12 }} unit=" ms" />
        <Tooltip formatter={(v) => [`${Number(v).toFixed(3)} ms`, 'latency']} labelFormatter={(x) => `p${Number((100 * (1 - 1 / Number(x))).toPrecision(6))}`} />
        <Line type="linear" dataKey="ms" stroke={theme.colors.primary} dot={false} isAnimationActive={false} strokeWidth={2} />
      </LineChart>
    </ResponsiveContainer>
  );
}
