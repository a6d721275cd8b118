/** The Runs table's columns: the fixed ones, and one per chosen hyperparameter or metric (sortable on the server). */
import type { ReactNode } from 'react';
import { formatNumber, Mono, StatusBadge } from '../ui';
import type { Run } from '../../shared/contract/types';
import { previewJson } from '../../shared/jsonDepth';

export const fieldRef = (root: 'params' | 'metrics', key: string) => `${root}.${/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : `\`${key}\``}`;

export interface Column {
  id: string;
  label: string;
  sortField: string;
  width: string;
  render: (run: Run) => ReactNode;
}

export const BASE_COLUMNS: Column[] = [
  { id: 'name', label: 'Name', sortField: 'name', width: 'minmax(180px, 2fr)', render: (r) => r.name },
  { id: 'status', label: 'Status', sortField: 'status', width: '110px', render: (r) => <StatusBadge status={r.status} /> },
  { id: 'created', label: 'Created', sortField: 'createdAt', width: '170px', render: (r) => new Date(r.createdAt).toLocaleString() },
  { id: 'seed', label: 'Seed', sortField: 'seed', width: '110px', render: (r) => <Mono>{r.seed}</Mono> },
  { id: 'commit', label: 'Commit', sortField: 'gitCommit', width: '100px', render: (r) => <Mono>{r.gitCommit?.slice(0, 8) ?? '—'}</Mono> },
];

/** The fixed columns, then the chosen hyperparameters and metrics. */
export function runColumns(shown: { params: string[]; metrics: string[] }): Column[] {
  return [
    ...BASE_COLUMNS,
    ...shown.params.map((key) => ({
      id: `p:${key}`,
      label: key,
      sortField: fieldRef('params', key),
      width: '120px',
      render: (r: Run) => <Mono>{r.hyperparameters[key] === undefined ? '—' : typeof r.hyperparameters[key] === 'object' ? previewJson(r.hyperparameters[key], 8, 200) : String(r.hyperparameters[key])}</Mono>,
    })),
    ...shown.metrics.map((key) => ({
      id: `m:${key}`,
      label: key,
      sortField: fieldRef('metrics', key),
      width: '120px',
      render: (r: Run) => <Mono>{formatNumber(r.metrics[key])}</Mono>,
    })),
  ];
}
