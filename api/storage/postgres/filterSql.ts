/**
 * A filter (FilterExpr, the one both APIs' filter strings parse to) as a parameterised SQL condition
 * on a run `r`, over its field rows (run_fields; see src/shared/runs/fieldRows.ts). Every literal and
 * every field name is a parameter: nothing a client writes becomes SQL text.
 *
 * The in-memory filter is the specification (tests compare the two on a real server):
 * - a condition on a missing field is false (IS NULL aside) — a missing field has no row, so each
 *   condition is an EXISTS over the field's rows, which is also "any of its values" for the fields
 *   that hold several (dataset inputs);
 * - a number literal compares the value's number reading (incomparable: only != holds), a boolean
 *   its boolean reading, a text its text, in UTF-16 order as JavaScript compares strings;
 * - LIKE reads the text (ILIKE its case-folded form), with `\` escaping the next character.
 * Known difference: `_` matches one UTF-16 unit in memory and one character here, which differ only
 * for characters outside the Basic Multilingual Plane. Node only.
 */
import { caseFold, fieldKey } from '../../../src/shared/runs/fieldRows';
import { isMany, type FieldRef, type FilterExpr, type Literal, type SortSpec } from '../../../src/shared/runs/filter';

const SQL_OP = { '=': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' } as const;

/** The pattern as PostgreSQL's LIKE … ESCAPE '\' reads it: a lone trailing backslash is a literal one. */
function likePattern(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') out += i + 1 < pattern.length ? `\\${pattern[++i]!}` : '\\\\';
    else out += ch;
  }
  return out;
}

/**
 * Text in UTF-16 code unit order: "C" collation orders UTF-8 bytes, i.e. code points, which agrees
 * with UTF-16 order except that characters above U+FFFF (surrogate pairs in UTF-16) sort after
 * U+E000–U+FFFF here and before them in JavaScript.
 */
const TEXT = 'f.text COLLATE "C"';

export class SqlParams {
  readonly values: unknown[] = [];

  /** A placeholder for `value`, with a cast so PostgreSQL knows its type. */
  add(value: unknown, type: 'text' | 'float8' | 'boolean' | 'text[]' | 'bigint'): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}

/** The condition a present value of the field must meet (a row `f` of run_fields). */
function leafCondition(expr: Exclude<FilterExpr, { type: 'and' | 'or' | 'not' | 'isNull' }>, params: SqlParams): string {
  switch (expr.type) {
    case 'compare':
      return compareCondition(expr.op, expr.value, params);
    case 'in': {
      const found = expr.values.map((literal) => equalCondition(literal, params)).filter((c) => c !== 'FALSE');
      const any = found.length === 0 ? 'FALSE' : `(${found.join(' OR ')})`;
      return expr.negate ? `NOT ${any}` : any;
    }
    case 'like': {
      const pattern = likePattern(expr.pattern);
      const match = expr.caseInsensitive ? `f.upper COLLATE "C" LIKE ${params.add(caseFold(pattern), 'text')} ESCAPE '\\'` : `${TEXT} LIKE ${params.add(pattern, 'text')} ESCAPE '\\'`;
      return expr.negate ? `NOT (${match})` : `(${match})`;
    }
  }
}

function compareCondition(op: keyof typeof SQL_OP, literal: Literal, params: SqlParams): string {
  const incomparable = op === '!=' ? 'TRUE' : 'FALSE';
  if (literal === null) return incomparable;
  if (typeof literal === 'number') return `(CASE WHEN f.num IS NULL THEN ${incomparable} ELSE f.num ${SQL_OP[op]} ${params.add(literal, 'float8')} END)`;
  if (typeof literal === 'boolean') return `(CASE WHEN f.bool IS NULL THEN ${incomparable} ELSE f.bool ${SQL_OP[op]} ${params.add(literal, 'boolean')} END)`;
  return `(${TEXT} ${SQL_OP[op]} ${params.add(literal, 'text')})`;
}

/** Equality with a literal, false (never NULL, so that NOT keeps its meaning) when the reading is missing. */
function equalCondition(literal: Literal, params: SqlParams): string {
  if (literal === null) return 'FALSE';
  if (typeof literal === 'number') return `COALESCE(f.num = ${params.add(literal, 'float8')}, FALSE)`;
  if (typeof literal === 'boolean') return `COALESCE(f.bool = ${params.add(literal, 'boolean')}, FALSE)`;
  return `${TEXT} = ${params.add(literal, 'text')}`;
}

const rowsOf = (field: FieldRef, params: SqlParams, run: string) => `run_fields f WHERE f.run_seq = ${run}.seq AND f.field = ${params.add(fieldKey(field), 'text')}`;

/** The filter as a SQL boolean expression on the run aliased `run` (never NULL: two-valued logic holds). */
export function filterSql(expr: FilterExpr, params: SqlParams, run = 'r'): string {
  switch (expr.type) {
    case 'and':
    case 'or':
      return `(${expr.items.map((item) => filterSql(item, params, run)).join(expr.type === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `(NOT ${filterSql(expr.expr, params, run)})`;
    case 'isNull': {
      // (Each placeholder made is used: PostgreSQL refuses a parameter it cannot type.)
      const rows = rowsOf(expr.field, params, run);
      if (expr.negate) return `EXISTS (SELECT 1 FROM ${rows})`;
      // A field of several values is null when any of them is missing: fewer rows than inputs.
      if (isMany(expr.field)) return `(${run}.input_count > (SELECT count(*) FROM ${rows}))`;
      return `(NOT EXISTS (SELECT 1 FROM ${rows}))`;
    }
    default:
      return `EXISTS (SELECT 1 FROM ${rowsOf(expr.field, params, run)} AND ${leafCondition(expr, params)})`;
  }
}

/**
 * ORDER BY terms for sort keys, as the in-memory sort orders (sortRuns): per key, numbers (the
 * value's number reading, unless the field sorts as text) before texts before missing values in
 * both directions, numbers numerically and texts in UTF-16 order in the key's direction; ties go to
 * the next key, then newest first. `joins` are the LEFT JOINs that bring each key's row.
 */
export function sortSql(specs: SortSpec[], params: SqlParams, run = 'r'): { joins: string; orderBy: string } {
  const joins: string[] = [];
  const terms: string[] = [];
  specs.forEach((spec, i) => {
    if (isMany(spec.field)) throw new SortNotSupportedError(spec.field.text);
    const s = `s${i}`;
    joins.push(`LEFT JOIN run_fields ${s} ON ${s}.run_seq = ${run}.seq AND ${s}.field = ${params.add(fieldKey(spec.field), 'text')}`);
    const numeric = spec.field.sortAsText ? 'FALSE' : `${s}.num IS NOT NULL`;
    const direction = spec.direction === 'asc' ? 'ASC' : 'DESC';
    terms.push(`(CASE WHEN ${s}.run_seq IS NULL THEN 2 WHEN ${numeric} THEN 0 ELSE 1 END)`);
    terms.push(`(CASE WHEN ${s}.run_seq IS NOT NULL AND ${numeric} THEN ${s}.num END) ${direction} NULLS LAST`);
    terms.push(`(CASE WHEN ${s}.run_seq IS NOT NULL AND NOT (${numeric}) THEN ${s}.text END) COLLATE "C" ${direction} NULLS LAST`);
  });
  terms.push(`${run}.seq DESC`);
  return { joins: joins.join(' '), orderBy: terms.join(', ') };
}

/** Sorting by a field with several values per run (dataset inputs) is not offered by this store. */
export class SortNotSupportedError extends Error {
  constructor(readonly field: string) {
    super(`cannot sort by ${field}: a run has several values of it`);
  }
}
