import { Link, useSearchParams } from 'react-router-dom';
import styled from 'styled-components';
import { Button, Card, Empty, ErrorState, formatDate, Loading, Mono, PageTitle, StatusBadge, Table, TableScroll } from '../../components/ui';
import { useApi } from '../../hooks/useApi';
import { client } from '../../utils/modellab/client';
import { RUN_STATUSES } from '../../utils/modellab/constants';
import type { RunStatus } from '../../utils/modellab/types';

const PAGE = 50;

const Toolbar = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space(3)};
  align-items: center;
  margin-bottom: ${({ theme }) => theme.space(3)};
  select {
    font: inherit;
    padding: ${({ theme }) => theme.space(1)};
  }
`;

const Pager = styled.div`
  display: flex;
  gap: ${({ theme }) => theme.space(3)};
  align-items: center;
  justify-content: flex-end;
  margin-top: ${({ theme }) => theme.space(3)};
  flex-wrap: wrap;
`;

const metricPreview = (metrics: Record<string, number>) =>
  Object.entries(metrics)
    .slice(0, 3)
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toPrecision(4)}`)
    .join('  ');

export default function Runs() {
  const [params, setParams] = useSearchParams();
  const status = (RUN_STATUSES as readonly string[]).includes(params.get('status') ?? '') ? (params.get('status') as RunStatus) : undefined;
  const offset = Math.max(0, Number(params.get('offset')) || 0);
  const { data, error, loading, reload } = useApi(() => client.listRuns({ status, offset, limit: PAGE }), [status, offset]);

  const setParam = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value === null || value === '') next.delete(key);
    else next.set(key, value);
    if (key !== 'offset') next.delete('offset');
    setParams(next);
  };

  return (
    <>
      <PageTitle>Runs</PageTitle>
      <Toolbar>
        <label>
          Status{' '}
          <select value={status ?? ''} onChange={(e) => setParam('status', e.target.value)} aria-label="Filter by status">
            <option value="">all</option>
            {RUN_STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        {data && <span>{data.total} run(s)</span>}
      </Toolbar>
      <Card>
        {loading && !data && <Loading what="runs" />}
        {error && <ErrorState error={error} onRetry={reload} />}
        {data && data.items.length === 0 && (
          <Empty>{status ? `No ${status} runs.` : 'No runs yet. Training scripts create them with POST /api/modellab/runs.'}</Empty>
        )}
        {data && data.items.length > 0 && (
          <TableScroll>
            <Table data-testid="runs-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Status</th>
                  <th>Created</th>
                  <th>Seed</th>
                  <th>Commit</th>
                  <th>Metrics</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((run) => (
                  <tr key={run.id}>
                    <td>
                      <Link to={`/runs/${run.id}`}>{run.name}</Link>
                    </td>
                    <td>
                      <StatusBadge status={run.status} />
                    </td>
                    <td>{formatDate(run.createdAt)}</td>
                    <td>
                      <Mono>{run.seed}</Mono>
                    </td>
                    <td>
                      <Mono>{run.gitCommit?.slice(0, 8) ?? '—'}</Mono>
                    </td>
                    <td>
                      <Mono>{metricPreview(run.metrics) || '—'}</Mono>
                    </td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </TableScroll>
        )}
        {data && data.total > PAGE && (
          <Pager>
            <Button disabled={offset === 0} onClick={() => setParam('offset', String(Math.max(0, offset - PAGE)))}>
              Previous
            </Button>
            <span>
              {offset + 1}–{Math.min(offset + PAGE, data.total)} of {data.total}
            </span>
            <Button disabled={offset + PAGE >= data.total} onClick={() => setParam('offset', String(offset + PAGE))}>
              Next
            </Button>
          </Pager>
        )}
      </Card>
    </>
  );
}
