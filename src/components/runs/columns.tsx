/** The Runs table's columns: the fixed ones, and one per chosen hyperparameter or metric (sortable on the server). */
import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
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
  // A real link: opens in a new tab with a middle click, and is reached with Tab.
  { id: 'name', label: 'Name', sortField: 'name', width: 'minmax(180px, 2fr)', render: (r) => <Link to={`/runs/${r.id}`} onClick={(e) => e.stopPropagation()}>{r.name}</Link> },
  { id: 'status', label: 'Status', sortField: 'status', width: '110px', render: (r) => <StatusBadge status={r.status} /> },
  { id: 'created', label: 'Created', sortField: 'createdAt', width: '170px', render: (r) => new Date(r.createdAt).toLocaleString() },
  { id: 'seed', label: 'Seed', sortField: 'seed', width: '110px', render: (r) => <Mono>{r.seed}</Mono> },
  { id: 'commit', label: 'Commit', sortField: 'gitCommit', width: '100px', render: (r) => <Mono>{r.gitCommit?.slice(0, 8) ?? '—'}</Mono> },
];

/** The chosen columns as the URL keeps them (`columns=params.lr,metrics.loss`), and back. */
export const columnsParam = (shown: { params: string[]; metrics: string[] }): string => [...shown.params.map((k) => `params.${k}`), ...shown.metrics.map((k) => `metrics.${k}`)].join(',');
export function parseColumnsParam(text: string): { params: string[]; metrics: string[] } {
  const shown = { params: [] as string[], metrics: [] as string[] };
  for (const part of text.split(',')) {
    if (part.startsWith('params.') && part.length > 7) shown.params.push(part.slice(7));
    else if (part.startsWith('metrics.') && part.length > 8) shown.metrics.push(part.slice(8));
  }
  return shown;
}

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
