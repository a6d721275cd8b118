import { Link } from 'react-router-dom';
import styled from 'styled-components';
import { RunStatusChart } from '../../components/charts/RunStatusChart';
import { Card, CardTitle, Empty, ErrorState, formatDate, Loading, PageTitle, StatusBadge, Table, TableScroll } from '../../components/ui';
import { useApi } from '../../hooks/useApi';
import { client } from '../../utils/modellab/client';
import { RUN_STATUSES } from '../../utils/modellab/constants';

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

export default function Dashboard() {
  const { data, error, loading, reload } = useApi(() => client.stats(), []);

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
          <Card>
            <CardTitle>Runs by status</CardTitle>
            {data.runs.total === 0 ? <Empty>No runs yet.</Empty> : <RunStatusChart byStatus={data.runs.byStatus} />}
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
