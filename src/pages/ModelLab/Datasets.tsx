import { Card, Empty, ErrorState, formatDate, Loading, Mono, PageTitle, Table, TableScroll } from '../../components/ui';
import { useApi } from '../../hooks/useApi';
import { client } from '../../utils/modellab/client';

export default function Datasets() {
  const { data, error, loading, reload } = useApi(() => client.listDatasets({ limit: 100 }), []);
  return (
    <>
      <PageTitle>Datasets</PageTitle>
      <Card>
        {loading && !data && <Loading what="datasets" />}
        {error && <ErrorState error={error} onRetry={reload} />}
        {data && data.items.length === 0 && <Empty>No datasets yet.</Empty>}
        {data && data.items.length > 0 && (
          <TableScroll>
            <Table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Version</th>
                  <th>Rows</th>
                  <th>Columns</th>
                  <th>SHA-256</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((d) => (
                  <tr key={d.id}>
                    <td>{d.name}</td>
                    <td>v{d.version}</td>
                    <td>{d.rowCount}</td>
                    <td>{d.columnCount}</td>
                    <td>
                      <Mono>{d.checksum.slice(0, 12)}</Mono>
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
