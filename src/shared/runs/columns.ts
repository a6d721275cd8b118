/**
 * The runs table's and the CSV export's columns (issue 19): a comma-separated list such as
 * `name,status,params.lr,params.optimizer.name,tags.stage,metrics.loss,metrics.loss.min`.
 *
 * - a run field: id, name, status, experimentId, createdAt, … (SCALAR_FIELDS);
 * - `params.<path>` (or `hyperparameters.`) and `config.<path>`: a value in those objects, dots walk it;
 * - `tags.<key>`: a tag (the key may hold dots: all that follows `tags.`);
 * - `metrics.<key>` or `metrics.<key>.last|min|max`: the metric's latest value (run.metrics) or its
 *   extreme over every logged point (run.metricExtremes). A key holding dots is written in
 *   backticks: metrics.`val.loss`.min. The filter language reads these names the same way.
 *
 * Pure: the browser and the server read the same columns.
 */
import { badRequest } from '../errors';
import type { MetricValue } from '../contract/registry';
import type { Run } from '../contract/types';
import { SCALAR_FIELDS } from './filter';

export const METRIC_AGGREGATES = ['last', 'min', 'max'] as const;
export type MetricAggregate = (typeof METRIC_AGGREGATES)[number];

export type RunColumn =
  | { text: string; kind: 'field'; field: (typeof SCALAR_FIELDS)[number] }
  | { text: string; kind: 'params' | 'config'; path: string[] }
  | { text: string; kind: 'tag'; key: string }
  | { text: string; kind: 'metric'; key: string; aggregate: MetricAggregate };

export const MAX_COLUMNS = 500;

export function parseColumn(text: string): RunColumn {
  const t = text.trim();
  const bad = (why: string) => badRequest(`columns: '${t}' ${why}`, { column: t });
  if ((SCALAR_FIELDS as readonly string[]).includes(t)) return { text: t, kind: 'field', field: t as (typeof SCALAR_FIELDS)[number] };
  const dot = t.indexOf('.');
  const root = dot < 0 ? t : t.slice(0, dot);
  const rest = dot < 0 ? '' : t.slice(dot + 1);
  if (!rest) throw bad(`is not a column: use a run field (${SCALAR_FIELDS.join(', ')}) or params.…, config.…, tags.…, metrics.…`);
  if (root === 'params' || root === 'hyperparameters' || root === 'config') {
    const path = rest.split('.');
    if (path.some((p) => p === '')) throw bad('has an empty name between dots');
    return { text: t, kind: root === 'config' ? 'config' : 'params', path };
  }
  if (root === 'tags') return { text: t, kind: 'tag', key: rest };
  if (root === 'metrics') {
    const quoted = /^`([^`]+)`(?:\.(last|min|max))?$/.exec(rest);
    if (quoted) return { text: t, kind: 'metric', key: quoted[1]!, aggregate: (quoted[2] as MetricAggregate | undefined) ?? 'last' };
    if (rest.includes('`')) throw bad('has an unclosed backtick');
    const last = rest.lastIndexOf('.');
    const tail = last < 0 ? '' : rest.slice(last + 1);
    if ((METRIC_AGGREGATES as readonly string[]).includes(tail)) return { text: t, kind: 'metric', key: rest.slice(0, last), aggregate: tail as MetricAggregate };
    return { text: t, kind: 'metric', key: rest, aggregate: 'last' };
  }
  throw bad(`is not a column: use a run field (${SCALAR_FIELDS.join(', ')}) or params.…, config.…, tags.…, metrics.…`);
}

/** 400 for an unknown column, an empty list, more than MAX_COLUMNS or one named twice. */
export function parseColumns(spec: string): RunColumn[] {
  const parts = spec.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) throw badRequest('columns: name at least one column', { column: '' });
  if (parts.length > MAX_COLUMNS) throw badRequest(`columns: at most ${MAX_COLUMNS}`, { column: '' });
  const seen = new Set<string>();
  return parts.map((p) => {
    if (seen.has(p)) throw badRequest(`columns: '${p}' is named twice`, { column: p });
    seen.add(p);
    return parseColumn(p);
  });
}

const walk = (value: unknown, path: string[]): unknown => {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || Array.isArray(at) || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
};

/** A metric value as a cell: a number, or NaN and the infinities spelled as MLflow (and pandas) read them. */
const metricCell = (value: MetricValue | number | null | undefined): number | string | null => (value === undefined || value === null ? null : value);

/**
 * One cell: a number, string or boolean; null when the run has no such value. Objects and arrays
 * (a nested params value) as JSON text.
 */
export function cellOf(run: Run, column: RunColumn): string | number | boolean | null {
  switch (column.kind) {
    case 'field': {
      const v = run[column.field];
      return v === undefined ? null : v;
    }
    case 'params':
    case 'config': {
      const v = walk(column.kind === 'params' ? run.hyperparameters : run.config, column.path);
      if (v === undefined || v === null) return null;
      return typeof v === 'object' ? JSON.stringify(v) : (v as string | number | boolean);
    }
    case 'tag':
      return Object.hasOwn(run.tags, column.key) ? run.tags[column.key]! : null;
    case 'metric': {
      if (column.aggregate === 'last') return metricCell(Object.hasOwn(run.metrics, column.key) ? run.metrics[column.key] : undefined);
      const extreme = Object.hasOwn(run.metricExtremes, column.key) ? run.metricExtremes[column.key] : undefined;
      return metricCell(extreme?.[column.aggregate]);
    }
  }
}

/** Params and config paths of a value, leaves only (what a default export shows). */
function leafPaths(value: Record<string, unknown>, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) out.push(...leafPaths(v as Record<string, unknown>, [...prefix, key]));
    else out.push([...prefix, key]);
  }
  return out;
}

const quoteMetric = (key: string) => (key.includes('.') || key.includes(',') ? `\`${key}\`` : key);

/** Without a column list: the run's identity, then every params path and metric key the given runs have. */
export function defaultColumns(runs: readonly Run[]): RunColumn[] {
  const params = new Set<string>();
  const metrics = new Set<string>();
  for (const run of runs) {
    for (const path of leafPaths(run.hyperparameters)) params.add(path.join('.'));
    for (const key of Object.keys(run.metrics)) metrics.add(key);
  }
  const texts = ['id', 'name', 'status', 'experimentId', 'createdAt', ...[...params].sort().map((p) => `params.${p}`), ...[...metrics].sort().map((k) => `metrics.${quoteMetric(k)}`)];
  return texts.slice(0, MAX_COLUMNS).map(parseColumn);
}
