import { Link, useParams } from 'react-router-dom';
import { RowsTable, SchemaTable } from '../components/datasets/SchemaTable';
import { Card, CardTitle, Copyable, Facts, Empty, ErrorState, formatBytes, formatDate, Loading, Mono, PageTitle, Table, TableScroll } from '../components/ui';
import { useApi } from '../hooks/useApi';
import { client } from '../apiClient';
import type { Dataset } from '../shared/contract/types';


function changes(d: Dataset): string {
  if (!d.schemaChanges) return d.parentId ? '—' : 'first version';
  const { added, removed, typeChanged } = d.schemaChanges;
  const parts = [
    ...added.map((c) => `+${c}`),
    ...removed.map((c) => `−${c}`),
    ...typeChanged.map((c) => `${c.name}: ${c.from} → ${c.to}`),
  ];
  return parts.length ? parts.join(', ') : 'same columns and types';
}

export default function DatasetDetail() {
  const { id = '' } = useParams();
  const dataset = useApi(() => client.getDataset(id), [id]);
  const name = dataset.data?.name;
  const versions = useApi(() => (name ? client.listDatasets({ name, limit: 100 }) : Promise.resolve(null)), [name]);
  const preview = useApi(() => client.previewDataset(id, 20), [id]);

  if (dataset.loading && !dataset.data) return <Loading what="dataset" />;
  if (dataset.error || !dataset.data) {
    return (
      <>
        <PageTitle>Dataset</PageTitle>
        {dataset.error && <ErrorState error={dataset.error} onRetry={dataset.reload} />}
        <Link to="/datasets">Back to datasets</Link>
      </>
    );
  }
  const d = dataset.data;
  return (
    <>
      <PageTitle>
        {d.name} <Mono>v{d.version}</Mono>
      </PageTitle>
      <Card>
        <Facts>
          <dt>File</dt>
          <dd>
            {d.originalFilename} ({d.format.toUpperCase()}, {formatBytes(d.sizeBytes)})
          </dd>
          <dt>Rows × columns</dt>
          <dd>
            {d.rowCount.toLocaleString('en-US')} × {d.columnCount}
          </dd>
          <dt>SHA-256</dt>
          <dd>
            <Copyable value={d.checksum} shown={16} />
          </dd>
          <dt>Created</dt>
          <dd>
            {formatDate(d.createdAt)}
            {d.createdBy && <> by {d.createdBy}</>}
          </dd>
          {d.description && (
            <>
              <dt>Description</dt>
              <dd>{d.description}</dd>
            </>
          )}
          {d.tags.length > 0 && (
            <>
              <dt>Tags</dt>
              <dd>{d.tags.join(', ')}</dd>
            </>
          )}
        </Facts>
        <a href={client.datasetDownloadUrl(d.id)} download>
          Download {d.originalFilename}
        </a>
        {d.warnings.map((w) => (
          <p key={w}>⚠ {w}</p>
        ))}
      </Card>
      <Card>
        <CardTitle>Schema</CardTitle>
        <SchemaTable columns={d.schema.columns} />
      </Card>
      <Card>
        <CardTitle>Version history</CardTitle>
        {versions.error && <ErrorState error={versions.error} onRetry={versions.reload} />}
        {versions.data && (
          <TableScroll>
            <Table data-testid="version-history">
              <thead>
                <tr>
                  <th>Version</th>
                  <th>Rows</th>
                  <th>SHA-256</th>
                  <th>Schema changes</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {versions.data.items.map((v) => (
                  <tr key={v.id}>
                    <td>{v.id === d.id ? <strong>v{v.version}</strong> : <Link to={`/datasets/${v.id}`}>v{v.version}</Link>}</td>
                    <td>{v.rowCount.toLocaleString('en-US')}</td>
                    <td>
                      <Mono>{v.checksum.slice(0, 12)}</Mono>
                    </td>
                    <td>{changes(v)}</td>
                    <td>{formatDate(v.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </TableScroll>
        )}
      </Card>
      <Card>
        <CardTitle>Preview</CardTitle>
        {preview.loading && !preview.data && <Loading what="preview" />}
        {preview.error && <ErrorState error={preview.error} onRetry={preview.reload} />}
        {preview.data && preview.data.rows.length === 0 && <Empty>No rows.</Empty>}
        {preview.data && preview.data.rows.length > 0 && (
          <RowsTable columns={preview.data.columns.map((c) => c.name)} rows={preview.data.rows} testId="dataset-preview" />
        )}
      </Card>
    </>
  );
}
