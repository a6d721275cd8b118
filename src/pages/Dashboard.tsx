import { Link } from 'react-router-dom';
import styled from 'styled-components';
import { CountChart } from '../components/charts/CountChart';
import { RunStatusChart } from '../components/charts/RunStatusChart';
import { Card, CardTitle, Empty, ErrorState, formatDate, formatNumber, Loading, Mono, PageTitle, StatusBadge, Table, TableScroll } from '../components/ui';
import { useApi } from '../hooks/useApi';
import { useLiveEvents } from '../hooks/useLiveEvents';
import { client } from '../apiClient';
import { RUN_STATUSES } from '../shared/contract/constants';

const Tiles = styled.div`
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(140px, 1fr));
  gap: ${({ theme }) => theme.space(3)};
  margin-bottom: ${({ theme }) => theme.space(4)};
`;

const Tile = styled(Card)`
  margin: 0;
  dt {
    color: ${({ theme }) => theme.colors.muted};
    font-size: 0.85rem;
  }
  dd {
    margin: ${({ theme }) => theme.space(1)} 0 0;
    font-size: 1.6rem;
    font-weight: 700;
  }
`;

const Columns = styled.div`
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(min(100%, 420px), 1fr));
  gap: 0 ${({ theme }) => theme.space(4)};
`;

export default function Dashboard() {
  const { data, error, loading, reload } = useApi(() => client.stats(), []);
  // Live: any change to runs or datasets refreshes the numbers (at most once a second).
  useLiveEvents(['run.created', 'run.updated', 'run.deleted', 'metrics.logged', 'experiment.updated', 'dataset.created', 'dataset.deleted'], reload, 1000);

  return (
    <>
      <PageTitle>Dashboard</PageTitle>
      {loading && !data && <Loading what="statistics" />}
      {error && <ErrorState error={error} onRetry={reload} />}
      {data && (
        <>
          <Tiles>
            <Tile as="dl" data-testid="stat-datasets">
              <dt>Datasets</dt>
              <dd>{data.datasets}</dd>
            </Tile>
            <Tile as="dl" data-testid="stat-runs">
              <dt>Runs</dt>
              <dd>{data.runs.total}</dd>
            </Tile>
            {RUN_STATUSES.map((status) => (
              <Tile as="dl" key={status} data-testid={`stat-${status}`}>
                <dt>{status[0]!.toUpperCase() + status.slice(1)}</dt>
                <dd>{data.runs.byStatus[status]}</dd>
              </Tile>
            ))}
          </Tiles>
          <Columns>
            <Card>
              <CardTitle>Runs by status</CardTitle>
              {data.runs.total === 0 ? <Empty>No runs yet.</Empty> : <RunStatusChart byStatus={data.runs.byStatus} />}
            </Card>
            <Card>
              <CardTitle>Runs created per day (last 30 days, UTC)</CardTitle>
              {data.runs.total === 0 ? <Empty>No runs yet.</Empty> : <CountChart data={data.runs.createdPerDay} />}
            </Card>
          </Columns>
          <Card>
            <CardTitle>Best run per headline metric</CardTitle>
            {data.runs.bestByMetric.length === 0 ? (
              <Empty>No run has logged a metric yet.</Empty>
            ) : (
              <TableScroll>
                <Table data-testid="best-runs">
                  <thead>
                    <tr>
                      <th>Metric</th>
                      <th>Best</th>
                      <th>Run</th>
                      <th>Runs with it</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.runs.bestByMetric.map((b) => (
                      <tr key={b.key}>
                        <td>
                          <Mono>{b.key}</Mono> ({b.direction === 'max' ? 'higher' : 'lower'} is better)
                        </td>
                        <td>
                          <Mono>{formatNumber(b.value)}</Mono>
                        </td>
                        <td>
                          <Link to={`/runs/${b.runId}`}>{b.runName}</Link>
                        </td>
                        <td>{b.runsWithKey}</td>
                      </tr>
                    ))}
                  </tbody>
                </Table>
              </TableScroll>
            )}
          </Card>
          <Card>
            <CardTitle>Recent runs</CardTitle>
            {data.recentRuns.length === 0 ? (
              <Empty>
                No runs yet. Create one from the <Link to="/runs">Runs</Link> page or with <code>POST /api/modellab/runs</code>.
              </Empty>
            ) : (
              <TableScroll>
                <Table>
                  <thead>
                    <tr>
                      <th>Name</th>
                      <th>Status</th>
                      <th>Created</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.recentRuns.map((run) => (
                      <tr key={run.id}>
                        <td>
                          <Link to={`/runs/${run.id}`}>{run.name}</Link>
                        </td>
                        <td>
                          <StatusBadge status={run.status} />
                        </td>
                        <td>{formatDate(run.createdAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </Table>
              </TableScroll>
            )}
          </Card>
        </>
      )}
    </>
  );
}
