/** The model registry: every registered model with its aliases and the latest version per stage; live. */
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import styled from 'styled-components';
import { AliasBadge, StageBadge } from '../components/models/badges';
import { Button, Card, Empty, ErrorState, Field, formatDate, InlineError, Loading, Mono, PageTitle, Table, TableScroll } from '../components/ui';
import { useApi } from '../hooks/useApi';
import { useLiveEvents } from '../hooks/useLiveEvents';
import { client } from '../apiClient';

const Bar = styled.form`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space(2)};
  align-items: flex-end;
  margin-bottom: ${({ theme }) => theme.space(4)};
  > label {
    flex: 1 1 260px;
  }
`;

const REGISTRY_EVENTS = ['registered_model.created', 'registered_model.updated', 'registered_model.deleted', 'model_version.created', 'model_version.updated', 'model_version.deleted'] as const;

export default function Models() {
  const [params, setParams] = useSearchParams();
  const filter = params.get('filter') ?? '';
  const [draft, setDraft] = useState(filter);
  const models = useApi(() => client.listModels({ filter, limit: 200 }), [filter]);
  useLiveEvents([...REGISTRY_EVENTS], () => models.reload(), 300);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setParams(draft.trim() ? { filter: draft.trim() } : {});
  };

  return (
    <>
      <PageTitle>Models</PageTitle>
      <Bar onSubmit={apply} role="search">
        <Field>
          <span>
            Filter, e.g. <Mono>name like &apos;churn%&apos; and tags.team = &apos;risk&apos;</Mono>
          </span>
          <input value={draft} onChange={(e) => setDraft(e.target.value)} aria-label="Filter models" />
        </Field>
        <Button type="submit">Apply</Button>
      </Bar>
      {models.error && <ErrorState error={models.error} onRetry={models.reload} />}
      {models.loading && !models.data && <Loading what="models" />}
      {models.data && models.data.items.length === 0 && (
        <Empty>
          {filter ? 'No registered model matches the filter.' : 'No registered models yet. Register one from a run’s Models tab, or with mlflow.register_model(…).'}
        </Empty>
      )}
      {models.data && models.data.items.length > 0 && (
        <Card>
          <TableScroll>
            <Table data-testid="models-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Aliases</th>
                  <th>Latest versions</th>
                  <th>Versions</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {models.data.items.map((m) => (
                  <tr key={m.name} data-testid={`model-row-${m.name}`}>
                    <td>
                      <Link to={`/models/${encodeURIComponent(m.name)}`}>{m.name}</Link>
                    </td>
                    <td>
                      {Object.entries(m.aliases).length === 0
                        ? '—'
                        : Object.entries(m.aliases)
                            .sort(([a], [b]) => (a < b ? -1 : 1))
                            .map(([alias, version]) => <AliasBadge key={alias} alias={alias} version={version} />)}
                    </td>
                    <td>
                      {m.latestVersions.length === 0
                        ? '—'
                        : m.latestVersions.map((v) => (
                            <span key={v.version} style={{ marginRight: 8 }}>
                              v{v.version} <StageBadge stage={v.stage} />
                            </span>
                          ))}
                    </td>
                    <td>{m.versionCount}</td>
                    <td>{formatDate(m.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </TableScroll>
        </Card>
      )}
      {models.data && models.data.total > models.data.items.length && <InlineError>Showing the first {models.data.items.length} of {models.data.total}; narrow the filter.</InlineError>}
    </>
  );
}
