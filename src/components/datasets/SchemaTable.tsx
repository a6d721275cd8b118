import { formatNumber, Mono, Table, TableScroll } from '../ui';
import type { ColumnSchema } from '../../shared/contract/types';
import { previewJson } from '../../shared/jsonDepth';

const top = (column: ColumnSchema) =>
  ((column.topValues as { value: unknown; count: number }[] | undefined) ?? [])
    .slice(0, 3)
    .map((t) => `${String(t.value)} (${t.count})`)
    .join(', ');

/** Detected columns with types and statistics (full when from the server, type-only from a browser preview). */
export function SchemaTable({ columns, compact = false }: { columns: ColumnSchema[]; compact?: boolean }) {
  return (
    <TableScroll>
      <Table data-testid="schema-table">
        <thead>
          <tr>
            <th>Column</th>
            <th>Type</th>
            <th>Nulls</th>
            {!compact && (
              <>
                <th>Distinct</th>
                <th>Min</th>
                <th>Max</th>
                <th>Mean</th>
                <th>Std</th>
                <th>Top values</th>
              </>
            )}
          </tr>
        </thead>
        <tbody>
          {columns.map((c) => (
            <tr key={c.name}>
              <td>{c.name}</td>
              <td>
                <Mono>{c.type}</Mono>
                {c.nullable ? '?' : ''}
              </td>
              <td>{formatNumber(c.nullCount)}</td>
              {!compact && (
                <>
                  <td>
                    {c.approximate ? '≈' : ''}
                    {formatNumber(c.distinctCount)}
                  </td>
                  <td>{formatNumber(c.min)}</td>
                  <td>{formatNumber(c.max)}</td>
                  <td>{formatNumber(c.mean)}</td>
                  <td>{c.std === null || c.std === undefined ? '—' : c.type === 'date' || c.type === 'datetime' ? `${formatNumber(c.std)} days` : formatNumber(c.std)}</td>
                  <td>{top(c)}</td>
                </>
              )}
            </tr>
          ))}
        </tbody>
      </Table>
    </TableScroll>
  );
}

/** Rows as a table, values shown as text. */
export function RowsTable({ columns, rows, testId }: { columns: string[]; rows: Record<string, unknown>[]; testId?: string }) {
  return (
    <TableScroll>
      <Table data-testid={testId}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              {columns.map((c) => (
                <td key={c}>{row[c] === null || row[c] === undefined ? <Mono>null</Mono> : typeof row[c] === 'object' ? previewJson(row[c], 8, 500) : String(row[c])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </Table>
    </TableScroll>
  );
}
