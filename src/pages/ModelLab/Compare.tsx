import { useSearchParams } from 'react-router-dom';
import styled from 'styled-components';
import { Card, CardTitle, Empty, ErrorState, Loading, Mono, PageTitle, StatusBadge, Table, TableScroll } from '../../components/ui';
import { useApi } from '../../hooks/useApi';
import { client } from '../../utils/modellab/client';
import type { Run } from '../../utils/modellab/types';

const MAX_RUNS = 10;

const Picker = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space(2)};
  label {
    display: flex;
    gap: ${({ theme }) => theme.space(1)};
    align-items: center;
    border: 1px solid ${({ theme }) => theme.colors.border};
    border-radius: ${({ theme }) => theme.radius};
    padding: ${({ theme }) => `${theme.space(1)} ${theme.space(2)}`};
    max-width: 100%;
    overflow-wrap: anywhere;
  }
`;

const DiffRow = styled.tr<{ $differs: boolean }>`
  background: ${({ $differs }) => ($differs ? '#fff7e0' : 'transparent')};
`;

const show = (value: unknown) => (value === undefined ? '—' : typeof value === 'string' ? value : JSON.stringify(value));

function Rows({ runs, title, pick }: { runs: Run[]; title: string; pick: (run: Run) => Record<string, unknown> }) {
  const keys = [...new Set(runs.flatMap((run) => Object.keys(pick(run))))].sort();
  if (keys.length === 0) return null;
  return (
    <>
      <tr>
        <th colSpan={runs.length + 1}>{title}</th>
      </tr>
      {keys.map((key) => {
        const values = runs.map((run) => show(pick(run)[key]));
        return (
          <DiffRow key={key} $differs={new Set(values).size > 1}>
            <td>{key}</td>
            {values.map((value, i) => (
              <td key={runs[i]!.id}>
                <Mono>{value}</Mono>
              </td>
            ))}
          </DiffRow>
        );
      })}
    </>
  );
}

export default function Compare() {
  const [params, setParams] = useSearchParams();
  const selected = (params.get('runs') ?? '').split(',').filter(Boolean).slice(0, MAX_RUNS);
  const candidates = useApi(() => client.listRuns({ limit: 100 }), []);
  const chosen = useApi(() => Promise.all(selected.map((id) => client.getRun(id))), [selected.join(',')]);

  const toggle = (id: string) => {
    const next = selected.includes(id) ? selected.filter((s) => s !== id) : [...selected, id].slice(0, MAX_RUNS);
    setParams(next.length ? { runs: next.join(',') } : {});
  };

  return (
    <>
      <PageTitle>Compare runs</PageTitle>
      <Card>
        <CardTitle>Pick 2–{MAX_RUNS} runs (the first is the baseline)</CardTitle>
        {candidates.loading && !candidates.data && <Loading what="runs" />}
        {candidates.error && <ErrorState error={candidates.error} onRetry={candidates.reload} />}
        {candidates.data?.items.length === 0 && <Empty>No runs to compare yet.</Empty>}
        <Picker>
          {candidates.data?.items.map((run) => (
            <label key={run.id}>
              <input type="checkbox" checked={selected.includes(run.id)} onChange={() => toggle(run.id)} />
              {run.name}
            </label>
          ))}
        </Picker>
      </Card>
      {selected.length >= 2 && (
        <Card>
          <CardTitle>Side by side</CardTitle>
          {chosen.loading && !chosen.data && <Loading what="selected runs" />}
          {chosen.error && <ErrorState error={chosen.error} onRetry={chosen.reload} />}
          {chosen.data && (
            <TableScroll>
              <Table data-testid="compare-table">
                <thead>
                  <tr>
                    <th />
                    {chosen.data.map((run) => (
                      <th key={run.id}>{run.name}</th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  <tr>
                    <td>status</td>
                    {chosen.data.map((run) => (
                      <td key={run.id}>
                        <StatusBadge status={run.status} />
                      </td>
                    ))}
                  </tr>
                  <Rows runs={chosen.data} title="Run" pick={(r) => ({ seed: r.seed, gitCommit: r.gitCommit, datasetId: r.datasetId })} />
                  <Rows runs={chosen.data} title="Metrics" pick={(r) => r.metrics} />
                  <Rows runs={chosen.data} title="Hyperparameters" pick={(r) => r.hyperparameters} />
                </tbody>
              </Table>
            </TableScroll>
          )}
        </Card>
      )}
    </>
  );
}
