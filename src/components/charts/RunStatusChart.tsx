import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useTheme } from 'styled-components';
import { RUN_STATUSES } from '../../shared/contract/constants';
import type { RunStatus } from '../../shared/contract/types';

export function RunStatusChart({ byStatus }: { byStatus: Record<RunStatus, number> }) {
  const theme = useTheme();
  const data = RUN_STATUSES.map((status) => ({ status, runs: byStatus[status] }));
  return (
    <ResponsiveContainer width="100%" height={220}>
      <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="status" />
        <YAxis allowDecimals={false} width={48} />
        <Tooltip />
        <Bar dataKey="runs" isAnimationActive={false}>
          {data.map((d) => (
            <Cell key={d.status} fill={theme.colors.status[d.status]} />
          ))}
        </Bar>
      </BarChart>
    </ResponsiveContainer>
  );
}
