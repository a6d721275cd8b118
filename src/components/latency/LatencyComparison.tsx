/**
 * The Compare page's latency card: the runs' p50/p95/p99 and throughput side by side (with the change
 * against the baseline) and their percentile curves overlaid. Runs without a profile show "—".
 */
import { useTheme } from 'styled-components';
import { useApi } from '../../hooks/useApi';
import { client } from '../../apiClient';
import type { Run } from '../../shared/contract/types';
import { RUN_COLOURS } from '../charts/CompareCharts';
import { CompareTableHead } from '../CompareTableHead';
import { PercentileCurve } from '../charts/LatencyCharts';
import { Card, CardTitle, formatNumber, Mono, Table, TableScroll } from '../ui';

const ROWS = [
  { label: 'p50 (ms)', value: (r: Run) => r.latency?.p50 ?? null, lowerIsBetter: true },
  { label: 'p95 (ms)', value: (r: Run) => r.latency?.p95 ?? null, lowerIsBetter: true },
  { label: 'p99 (ms)', value: (r: Run) => r.latency?.p99 ?? null, lowerIsBetter: true },
  { label: 'throughput (req/s)', value: (r: Run) => r.latency?.throughput ?? null, lowerIsBetter: false },
];

function Change({ value, baseline, lowerIsBetter }: { value: number | null; baseline: number | null; lowerIsBetter: boolean }) {
  const theme = useTheme();
  if (value === null || baseline === null || baseline === 0) return <>—</>;
  const change = (value - baseline) / baseline;
  const better = lowerIsBetter ? change < 0 : change > 0;
  return (
    <span style={{ color: change === 0 ? 'inherit' : better ? theme.colors.good : theme.colors.bad, whiteSpace: 'nowrap' }}>
      {change > 0 ? '+' : ''}
      {(change * 100).toFixed(1)}%
    </span>
  );
}

export function LatencyComparison({ runs }: { runs: Run[] }) {
  const profiled = runs.filter((r) => r.latency);
  // run.latency says each of these has a stored profile.
  const curves = useApi(() => Promise.all(profiled.map((r) => client.latencyProfile(r.id))), [profiled.map((r) => `${r.id}@${r.latency!.measuredAt}`).join(',')]);
  if (profiled.length === 0) return null;
  const baseline = runs[0]!;
  const others = runs.slice(1);
  return (
    <Card data-testid="compare-latency">
      <CardTitle>Latency</CardTitle>
      <TableScroll>
        <Table>
          <CompareTableHead label="Measure" runs={runs} />
          <tbody>
            {ROWS.map((row) => (
              <tr key={row.label}>
                <td>{row.label}</td>
                {runs.map((r) => (
                  <td key={r.id}>
                    <Mono>{formatNumber(row.value(r))}</Mono>
                  </td>
                ))}
                {others.map((r) => (
                  <td key={`d${r.id}`}>
                    <Change value={row.value(r)} baseline={row.value(baseline)} lowerIsBetter={row.lowerIsBetter} />
                  </td>
                ))}
              </tr>
            ))}
            <tr>
              <td>measured</td>
              {runs.map((r) => (
                <td key={r.id}>{r.latency ? new Date(r.latency.measuredAt).toLocaleString() : '—'}</td>
              ))}
              {others.map((r) => (
                <td key={`d${r.id}`} />
              ))}
            </tr>
          </tbody>
        </Table>
      </TableScroll>
      {curves.data && (
        <PercentileCurve
          series={profiled.map((r, i) => ({ key: r.id, label: r.name, colour: RUN_COLOURS[runs.indexOf(r) % RUN_COLOURS.length]!, points: curves.data![i]?.percentiles ?? [] }))}
        />
      )}
    </Card>
  );
}
