/** The header row of a Compare table: a label column, one column per run in its colour, then one Δ column per non-baseline run. */
import type { Run } from '../shared/contract/types';
import { RUN_COLOURS } from './charts/CompareCharts';

export function CompareTableHead({ label, runs }: { label: string; runs: Run[] }) {
  return (
    <thead>
      <tr>
        <th>{label}</th>
        {runs.map((r, i) => (
          <th key={r.id} style={{ color: RUN_COLOURS[i % RUN_COLOURS.length] }}>
            {r.name}
          </th>
        ))}
        {runs.slice(1).map((r) => (
          <th key={`d${r.id}`}>Δ {r.name}</th>
        ))}
      </tr>
    </thead>
  );
}
