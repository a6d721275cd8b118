/**
 * A run as rows of (field, value): every field a filter or a sort can name, with the value's number,
 * text and boolean readings computed here, by the same functions the in-memory filter uses. A SQL
 * store keeps these rows beside the run and compiles a filter to conditions on them, so the database
 * never has to reproduce JavaScript's coercions (what counts as a number, an object's text) — the
 * two stores agree by construction. MLflow's store does the same with its params, metrics and tags
 * tables. Pure: no DOM, no Node.
 */
import type { Run } from '../contract/types';
import { asBoolean, asNumber, asText, EXTREMES, type FieldRef, type FilterContext, INPUT_KEYS, NESTED_FIELDS, SCALAR_FIELDS, UNSAFE_KEYS } from './filter';
import { MLFLOW_ATTRIBUTES, mlflowAttribute, mlflowSystemTags, TAG_DATA_CONTEXT, TAG_GIT_COMMIT, TAG_NOTE, TAG_RUN_NAME } from './mlflowNames';

const SYSTEM_TAGS = new Set([TAG_RUN_NAME, TAG_GIT_COMMIT, TAG_NOTE]);

export interface FieldRow {
  /** fieldKey() of the field. */
  field: string;
  /** The value as a number (asNumber): null when it is not one. */
  num: number | null;
  /** The value as text (asText): what text comparisons and LIKE read. */
  text: string;
  /** A boolean, or the text 'true'/'false'; null otherwise (what a comparison with true/false reads). */
  bool: boolean | null;
  /** The text as a case-insensitive LIKE sees it (caseFold). */
  upper: string;
}

/**
 * Each UTF-16 unit as JavaScript's case-insensitive regular expressions (without the u flag) compare
 * it: its upper case when that is one unit and does not take a non-ASCII unit to ASCII (the
 * specification's Canonicalize). A SQL store matches ILIKE on this form of the value and the pattern.
 */
export function caseFold(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const up = ch.toUpperCase();
    out += up.length !== 1 || (ch.charCodeAt(0) >= 128 && up.charCodeAt(0) < 128) ? ch : up;
  }
  return out;
}

/**
 * A field's row key: its root (params and hyperparameters are one) and path, as a JSON array — one
 * key per field whatever its names hold (a separator character could occur in a key), and no NUL
 * character, which PostgreSQL's text cannot hold.
 */
export function fieldKey(field: Pick<FieldRef, 'root' | 'path'>): string {
  return JSON.stringify([NESTED_FIELDS[field.root] ?? field.root, ...field.path]);
}

function rowOf(field: string, value: unknown): FieldRow | null {
  if (value === undefined || value === null || typeof value === 'function') return null; // missing: no row
  const text = asText(value);
  return { field, num: asNumber(value), text, bool: asBoolean(value), upper: caseFold(text) };
}

/** The rows of a run's metric extremes: metrics.<key>.min and .max. */
export function extremeRowsOf(extremes: Run['metricExtremes']): FieldRow[] {
  const rows: FieldRow[] = [];
  for (const [key, extreme] of Object.entries(extremes)) {
    if (UNSAFE_KEYS.has(key) || typeof extreme !== 'object' || extreme === null) continue;
    for (const aggregate of ['min', 'max'] as const) {
      const row = rowOf(fieldKey({ root: EXTREMES, path: [key, aggregate] }), extreme[aggregate]);
      if (row) rows.push(row);
    }
  }
  return rows;
}

/**
 * The rows of one run. Nested params and config give a row for every node of their trees — objects
 * and arrays too (their text is their JSON), and an array's length — skipping paths through names a
 * filter never reads (__proto__, constructor, prototype).
 */
export function fieldRowsOf(run: Run, context: FilterContext): FieldRow[] {
  const rows: FieldRow[] = [];
  const add = (root: string, path: string[], value: unknown) => {
    const row = rowOf(fieldKey({ root, path }), value);
    if (row) rows.push(row);
  };
  for (const name of SCALAR_FIELDS) add(name, [], run[name]);
  for (const [key, value] of Object.entries(run.metrics)) if (!UNSAFE_KEYS.has(key)) add('metrics', [key], value);
  rows.push(...extremeRowsOf(run.metricExtremes ?? {}));
  for (const [key, value] of Object.entries(run.tags)) if (!UNSAFE_KEYS.has(key)) add('tags', [key], value);
  const walk = (root: string, path: string[], value: unknown) => {
    add(root, path, value);
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) add(root, [...path, 'length'], value.length);
    for (const [key, child] of Object.entries(value)) if (!UNSAFE_KEYS.has(key)) walk(root, [...path, key], child);
  };
  for (const [key, value] of Object.entries(run.hyperparameters)) if (!UNSAFE_KEYS.has(key)) walk('hyperparameters', [key], value);
  for (const [key, value] of Object.entries(run.config)) if (!UNSAFE_KEYS.has(key)) walk('config', [key], value);
  for (const key of MLFLOW_ATTRIBUTES) add('attributes', [key], mlflowAttribute(run, key, (id) => context.artifactLocation(id)));
  // MLflow's run name, commit and note tags come from the run's own fields only (mlflowTagValue).
  for (const [key, value] of mlflowSystemTags(run)) add('mlflowTags', [key], value);
  for (const [key, value] of Object.entries(run.tags)) if (!UNSAFE_KEYS.has(key) && !SYSTEM_TAGS.has(key)) add('mlflowTags', [key], value);
  for (const input of run.inputs ?? []) {
    for (const key of INPUT_KEYS) add('inputs', [key], key === 'context' ? input.tags[TAG_DATA_CONTEXT] : key === 'name' ? input.name : input.digest);
  }
  return rows;
}
