import { Link, useParams } from 'react-router-dom';
import styled from 'styled-components';
import { Card, CardTitle, Empty, ErrorState, formatDate, Loading, Mono, PageTitle, StatusBadge, Table, TableScroll } from '../../components/ui';
import { useApi } from '../../hooks/useApi';
import { client } from '../../utils/modellab/client';

const Facts = styled.dl`
  display: grid;
  grid-template-columns: max-content 1fr;
  gap: ${({ theme }) => theme.space(2)} ${({ theme }) => theme.space(4)};
  margin: 0;
  dt {
    color: ${({ theme }) => theme.colors.muted};
  }
  dd {
    margin: 0;
    min-width: 0;
    overflow-wrap: anywhere;
  }
`;

function KeyValues({ values, empty }: { values: Record<string, unknown>; empty: string }) {
  const entries = Object.entries(values);
  if (entries.length === 0) return <Empty>{empty}</Empty>;
  return (
    <TableScroll>
      <Table>
        <tbody>
          {entries.map(([key, value]) => (
            <tr key={key}>
              <th>{key}</th>
              <td>
                <Mono>{typeof value === 'string' ? value : JSON.stringify(value)}</Mono>
              </td>
            </tr>
          ))}
        </tbody>
      </Table>
    </TableScroll>
  );
}

export default function RunDetail() {
  const { id = '' } = useParams();
  const { data: run, error, loading, reload } = useApi(() => client.getRun(id), [id]);

  if (loading && !run) return <Loading what="run" />;
  if (error) {
    return (
      <>
        <PageTitle>Run</PageTitle>
        <ErrorState error={error} onRetry={reload} />
        <Link to="/runs">Back to runs</Link>
      </>
    );
  }
  if (!run) return null;
  return (
    <>
      <PageTitle>
        {run.name} <StatusBadge status={run.status} />
      </PageTitle>
      <Card>
        <Facts>
          <dt>Id</dt>
          <dd>
            <Mono>{run.id}</Mono>
          </dd>
          <dt>Seed</dt>
          <dd>
            <Mono>{run.seed}</Mono>
          </dd>
          <dt>Git commit</dt>
          <dd>
            <Mono>{run.gitCommit ?? '—'}</Mono> {run.gitBranch && `(${run.gitBranch}${run.gitDirty ? ', dirty' : ''})`}
          </dd>
          <dt>Dataset</dt>
          <dd>{run.datasetId ? <Mono>{run.datasetId}</Mono> : '—'}</dd>
          <dt>Created</dt>
          <dd>{formatDate(run.createdAt)}</dd>
          <dt>Started</dt>
          <dd>{formatDate(run.startedAt)}</dd>
          <dt>Ended</dt>
          <dd>{formatDate(run.endedAt)}</dd>
          {run.description && (
            <>
              <dt>Description</dt>
              <dd>{run.description}</dd>
            </>
          )}
        </Facts>
      </Card>
      <Card>
        <CardTitle>Metrics</CardTitle>
        <KeyValues values={run.metrics} empty="No metrics logged." />
      </Card>
      <Card>
        <CardTitle>Hyperparameters</CardTitle>
        <KeyValues values={run.hyperparameters} empty="No hyperparameters." />
      </Card>
      <Card>
        <CardTitle>Tags</CardTitle>
        <KeyValues values={run.tags} empty="No tags." />
      </Card>
    </>
  );
}
