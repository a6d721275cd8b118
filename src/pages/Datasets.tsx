import { Link } from 'react-router-dom';
import { UploadPanel } from '../components/datasets/UploadPanel';
import { Card, CardTitle, Copyable, Empty, ErrorState, formatBytes, formatDate, Loading, PageTitle, Table, TableScroll } from '../components/ui';
import { useApi } from '../hooks/useApi';
import { client } from '../apiClient';

export default function Datasets() {
  const { data, error, loading, reload } = useApi(() => client.listDatasets({ latest: true, limit: 200 }), []);
  return (
    <>
      <PageTitle>Datasets</PageTitle>
      <UploadPanel onUploaded={reload} />
      <Card>
        <CardTitle>Datasets (latest version of each name)</CardTitle>
        {loading && !data && <Loading what="datasets" />}
        {error && <ErrorState error={error} onRetry={reload} />}
        {data && data.items.length === 0 && <Empty>No datasets yet.</Empty>}
        {data && data.items.length > 0 && (
          <TableScroll>
            <Table data-testid="datasets-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Version</th>
                  <th>Size</th>
                  <th>Rows</th>
                  <th>Columns</th>
                  <th>SHA-256</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((d) => (
                  <tr key={d.id}>
                    <td>
                      <Link to={`/datasets/${d.id}`}>{d.name}</Link>
                    </td>
                    <td>v{d.version}</td>
                    <td>{formatBytes(d.sizeBytes)}</td>
                    <td>{d.rowCount.toLocaleString('en-US')}</td>
                    <td>{d.columnCount}</td>
                    <td>
                      <Copyable value={d.checksum} />
                    </td>
                    <td>{formatDate(d.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </TableScroll>
        )}
      </Card>
    </>
  );
}
