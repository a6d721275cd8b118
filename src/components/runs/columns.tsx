/**
 * The Runs table's columns, in the column language the CSV export reads (src/shared/runs/columns.ts):
 * `name,status,createdAt,params.lr,metrics.loss,metrics.loss.min`. The URL keeps them in the order
 * shown (`columns`) with any width changed by hand (`widths=name:240,metrics.loss.min:90`); every
 * column sorts on the server by the same name in the filter language.
 */
import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { formatNumber, Mono, StatusBadge } from '../ui';
import type { Run } from '../../shared/contract/types';
import { previewJson } from '../../shared/jsonDepth';
import { cellOf, parseColumn, type RunColumn } from '../../shared/runs/columns';

/** A name as the filter and column languages write it: in backticks unless it is a plain word. */
const quoted = (key: string) => (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : `\`${key}\``);
export const fieldRef = (root: 'params' | 'metrics', key: string) => `${root}.${quoted(key)}`;
/** A metric's column: its latest value (`metrics.loss`), or its smallest or largest over the points logged. */
export const metricColumn = (key: string, aggregate: 'last' | 'min' | 'max') => `metrics.${quoted(key)}${aggregate === 'last' ? '' : `.${aggregate}`}`;

export interface Column {
  /** The column language's text: the URL's name for it. */
  text: string;
  label: string;
  /** The filter language's name of what it shows: the server sorts by it. */
  sortField: string;
  /** Its width in pixels (the default, or the URL's). */
  width: number;
  render: (run: Run) => ReactNode;
}

const BASE: Record<string, { label: string; width: number; render: (r: Run) => ReactNode }> = {
  // A real link: opens in a new tab with a middle click, and is reached with Tab.
  name: { label: 'Name', width: 220, render: (r) => <Link to={`/runs/${r.id}`} onClick={(e) => e.stopPropagation()}>{r.name}</Link> },
  status: { label: 'Status', width: 110, render: (r) => <StatusBadge status={r.status} /> },
  createdAt: { label: 'Created', width: 170, render: (r) => new Date(r.createdAt).toLocaleString() },
  seed: { label: 'Seed', width: 110, render: (r) => <Mono>{r.seed}</Mono> },
  gitCommit: { label: 'Commit', width: 100, render: (r) => <Mono>{r.gitCommit?.slice(0, 8) ?? '—'}</Mono> },
};
export const BASE_COLUMNS = Object.keys(BASE);
export const MIN_WIDTH = 48;
export const MAX_WIDTH = 1200;

/** The column of a text the URL holds; null for one the column language refuses. */
function columnOf(text: string, widths: ReadonlyMap<string, number>): Column | null {
  let parsed: RunColumn;
  try {
    parsed = parseColumn(text);
  } catch {
    return null;
  }
  const base = BASE[text];
  const width = widths.get(text) ?? base?.width ?? 120;
  if (base) return { text, label: base.label, sortField: text, width, render: base.render };
  const sortField = parsed.kind === 'metric' ? metricColumn(parsed.key, parsed.aggregate) : text;
  const label = parsed.kind === 'metric' ? `${parsed.key}${parsed.aggregate === 'last' ? '' : ` (${parsed.aggregate})`}` : parsed.kind === 'params' || parsed.kind === 'config' ? parsed.path.join('.') : parsed.kind === 'tag' ? `tag ${parsed.key}` : text;
  return {
    text,
    label,
    sortField,
    width,
    render: (r) => {
      if (parsed.kind === 'params' || parsed.kind === 'config') {
        // Objects shown shortened, never serialised whole for a cell.
        let at: unknown = parsed.kind === 'params' ? r.hyperparameters : r.config;
        for (const key of parsed.path) at = typeof at === 'object' && at !== null && !Array.isArray(at) && Object.hasOwn(at, key) ? (at as Record<string, unknown>)[key] : undefined;
        if (typeof at === 'object' && at !== null) return <Mono>{previewJson(at, 8, 200)}</Mono>;
      }
      const value = cellOf(r, parsed);
      return <Mono>{value === null ? '—' : typeof value === 'number' ? formatNumber(value) : String(value)}</Mono>;
    },
  };
}

/**
 * The `columns` parameter as a list of texts. The name (the run's link) is always shown: a list
 * without it — as written before columns could be moved, only params. and metrics. — gets the fixed
 * columns it lacks in front.
 */
export function parseColumnsParam(text: string): string[] {
  const parts = [...new Set(text.split(',').map((p) => p.trim()).filter(Boolean))];
  return parts.includes('name') ? parts : [...BASE_COLUMNS.filter((b) => !parts.includes(b)), ...parts];
}

/** `widths=name:240,metrics.loss.min:90`: the widths changed by hand, clamped to a usable range. */
export function parseWidthsParam(text: string): Map<string, number> {
  const widths = new Map<string, number>();
  for (const part of text.split(',')) {
    const at = part.lastIndexOf(':');
    const px = Number(part.slice(at + 1));
    if (at > 0 && Number.isFinite(px)) widths.set(part.slice(0, at), Math.round(Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, px))));
  }
  return widths;
}
export const widthsParam = (widths: ReadonlyMap<string, number>, shown: readonly string[]) =>
  shown.flatMap((text) => (widths.has(text) ? [`${text}:${widths.get(text)}`] : [])).join(',');

/** The columns shown, in order (texts the column language refuses are left out). */
export const runColumns = (texts: readonly string[], widths: ReadonlyMap<string, number>): Column[] => texts.flatMap((t) => columnOf(t, widths) ?? []);

/** `texts` with `text` moved one place left (-1) or right (+1). */
export function moved(texts: readonly string[], text: string, by: -1 | 1): string[] {
  const i = texts.indexOf(text);
  const j = i + by;
  if (i < 0 || j < 0 || j >= texts.length) return [...texts];
  const next = [...texts];
  [next[i], next[j]] = [next[j]!, next[i]!];
  return next;
}

/** `texts` with `text` placed where `before` is (a header dropped on another). */
export function placed(texts: readonly string[], text: string, before: string): string[] {
  if (text === before || !texts.includes(text) || !texts.includes(before)) return [...texts];
  const rest = texts.filter((t) => t !== text);
  const at = rest.indexOf(before) + (texts.indexOf(text) < texts.indexOf(before) ? 1 : 0);
  return [...rest.slice(0, at), text, ...rest.slice(at)];
}
