/**
 * MLflow's search grammar (filter, order_by) and paging. A runs/search filter becomes the run filter
 * language's FilterExpr and SortSpecs, searched by the store; experiments are few and filtered here.
 */



import { likeToRegExp, type FieldRef, type FilterExpr, type SortSpec } from '../../../src/shared/runs/filter';
import { invalidParameter } from './protocol';
import { experimentView } from './views';

type Comparator = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';
type EntityType = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';

export interface Clause {
  type: EntityType;
  key: string;
  comparator: Comparator;
  value: string | number | string[];
}

const TYPE_ALIASES: Record<string, EntityType> = {
  metric: 'metric',
  metrics: 'metric',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  dataset: 'dataset',
  datasets: 'dataset',
};

interface Token {
  kind: 'word' | 'quoted' | 'backticked' | 'string' | 'number' | 'op' | 'lparen' | 'rparen' | 'comma';
  text: string;
  at: number;
}

function tokenize(input: string, what: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const bad = (message: string) => invalidParameter(`Invalid ${what} '${input}': ${message} at position ${i}`);
  while (i < input.length) {
    const c = input[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      let text = '';
      while (j < input.length && input[j] !== c) {
        if (input[j] === '\\' && j + 1 < input.length) j++;
        text += input[j];
        j++;
      }
      if (j >= input.length) throw bad(`unterminated ${c === '`' ? 'backtick' : 'quote'}`);
      tokens.push({ kind: c === "'" ? 'string' : c === '"' ? 'quoted' : 'backticked', text, at });
      i = j + 1;
      continue;
    }
    const two = input.slice(i, i + 2);
    if (two === '!=' || two === '>=' || two === '<=' || two === '<>') {
      tokens.push({ kind: 'op', text: two === '<>' ? '!=' : two, at });
      i += 2;
      continue;
    }
    if (c === '=' || c === '>' || c === '<') {
      tokens.push({ kind: 'op', text: c, at });
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c === '(' ? 'lparen' : c === ')' ? 'rparen' : 'comma', text: c, at });
      i++;
      continue;
    }
    const number = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(input.slice(i));
    if (number && (tokens.length === 0 || tokens.at(-1)!.kind === 'op')) {
      tokens.push({ kind: 'number', text: number[0], at });
      i += number[0].length;
      continue;
    }
    const word = /^[A-Za-z0-9_.\-/:]+/.exec(input.slice(i));
    if (!word) throw bad(`unexpected '${c}'`);
    tokens.push({ kind: 'word', text: word[0], at });
    i += word[0].length;
  }
  return tokens;
}

/** `metrics.acc`, `params."my key"`, `tags.\`a.b\``, `attributes.status`, `status` → [type, key]. */
function identifier(tokens: Token[], pos: number, defaultType: EntityType, what: string, input: string): { type: EntityType; key: string; next: number } {
  const t = tokens[pos];
  if (!t) throw invalidParameter(`Invalid ${what} '${input}': expected an identifier at the end`);
  if (t.kind === 'word') {
    const dot = t.text.indexOf('.');
    const prefix = dot > 0 ? TYPE_ALIASES[t.text.slice(0, dot).toLowerCase()] : undefined;
    if (prefix && dot === t.text.length - 1) {
      // `metrics.` followed by a quoted or backticked key
      const quoted = tokens[pos + 1];
      if (!quoted || (quoted.kind !== 'quoted' && quoted.kind !== 'backticked')) throw invalidParameter(`Invalid ${what} '${input}': expected a key after '${t.text}'`);
      return { type: prefix, key: quoted.text, next: pos + 2 };
    }
    if (prefix) return { type: prefix, key: t.text.slice(dot + 1), next: pos + 1 };
    return { type: defaultType, key: t.text, next: pos + 1 };
  }
  if (t.kind === 'quoted' || t.kind === 'backticked') return { type: defaultType, key: t.text, next: pos + 1 };
  throw invalidParameter(`Invalid ${what} '${input}': expected an identifier at position ${t.at}`);
}

/** Parses MLflow's search filter: clauses joined by AND (MLflow has no OR). */
export function parseSearchFilter(input: string | undefined, defaultType: EntityType = 'attribute'): Clause[] {
  if (!input || !input.trim()) return [];
  const what = 'filter';
  const tokens = tokenize(input, what);
  const clauses: Clause[] = [];
  let pos = 0;
  for (;;) {
    const { type, key, next } = identifier(tokens, pos, defaultType, what, input);
    pos = next;
    let comparator: Comparator;
    const t = tokens[pos];
    if (!t) throw invalidParameter(`Invalid ${what} '${input}': expected a comparator after '${key}'`);
    if (t.kind === 'op') comparator = t.text as Comparator;
    else if (t.kind === 'word' && ['LIKE', 'ILIKE', 'IN'].includes(t.text.toUpperCase())) comparator = t.text.toUpperCase() as Comparator;
    else if (t.kind === 'word' && t.text.toUpperCase() === 'NOT' && tokens[pos + 1]?.text.toUpperCase() === 'IN') {
      comparator = 'NOT IN';
      pos++;
    } else throw invalidParameter(`Invalid ${what} '${input}': expected a comparator at position ${t.at}`);
    pos++;
    let value: Clause['value'];
    if (comparator === 'IN' || comparator === 'NOT IN') {
      if (tokens[pos]?.kind !== 'lparen') throw invalidParameter(`Invalid ${what} '${input}': expected '(' after ${comparator}`);
      pos++;
      const list: string[] = [];
      for (;;) {
        const item = tokens[pos];
        if (!item || (item.kind !== 'string' && item.kind !== 'quoted' && item.kind !== 'number')) throw invalidParameter(`Invalid ${what} '${input}': expected a quoted value in the ${comparator} list`);
        list.push(item.text);
        pos++;
        if (tokens[pos]?.kind === 'comma') {
          pos++;
          continue;
        }
        if (tokens[pos]?.kind === 'rparen') {
          pos++;
          break;
        }
        throw invalidParameter(`Invalid ${what} '${input}': expected ',' or ')' in the ${comparator} list`);
      }
      value = list;
    } else {
      const v = tokens[pos];
      if (!v) throw invalidParameter(`Invalid ${what} '${input}': expected a value after '${comparator}'`);
      if (v.kind === 'number') value = Number(v.text);
      else if (v.kind === 'string' || v.kind === 'quoted') value = v.text;
      else throw invalidParameter(`Invalid ${what} '${input}': expected a value at position ${v.at} (strings in quotes)`);
      pos++;
    }
    clauses.push({ type, key, comparator, value });
    if (pos >= tokens.length) break;
    const and = tokens[pos]!;
    if (and.kind !== 'word' || and.text.toUpperCase() !== 'AND') {
      throw invalidParameter(`Invalid ${what} '${input}': expected AND at position ${and.at}${and.text.toUpperCase() === 'OR' ? ' (MLflow search supports AND only)' : ''}`);
    }
    pos++;
  }
  return clauses;
}

/** MLflow's LIKE, with the run filter's one implementation (% any run, _ one character). */
const like = (pattern: string, value: string, insensitive: boolean): boolean => likeToRegExp(pattern, insensitive).test(value);

export function compareString(actual: string | undefined, c: Clause, where: string): boolean {
  if (actual === undefined) return false;
  switch (c.comparator) {
    case '=':
      return actual === c.value;
    case '!=':
      return actual !== c.value;
    case 'LIKE':
      return like(String(c.value), actual, false);
    case 'ILIKE':
      return like(String(c.value), actual, true);
    case 'IN':
      return (c.value as string[]).includes(actual);
    case 'NOT IN':
      return !(c.value as string[]).includes(actual);
    default:
      throw invalidParameter(`Invalid comparator '${c.comparator}' for ${where} '${c.key}': use =, !=, LIKE, ILIKE, IN or NOT IN`);
  }
}

export function compareNumber(actual: number | undefined | null, c: Clause, where: string): boolean {
  if (c.comparator === 'IN' || c.comparator === 'NOT IN' || c.comparator === 'LIKE' || c.comparator === 'ILIKE') {
    throw invalidParameter(`Invalid comparator '${c.comparator}' for ${where} '${c.key}': use =, !=, >, >=, <, <=`);
  }
  const expected = typeof c.value === 'number' ? c.value : Number(c.value);
  if (!Number.isFinite(expected)) throw invalidParameter(`Expected a number for ${where} '${c.key}', got '${String(c.value)}'`);
  if (actual === undefined || actual === null) return false;
  switch (c.comparator) {
    case '=':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '>':
      return actual > expected;
    case '>=':
      return actual >= expected;
    case '<':
      return actual < expected;
    default:
      return actual <= expected;
  }
}

const STRING_ATTRIBUTES = ['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'lifecycle_stage'];
const NUMBER_ATTRIBUTES = ['start_time', 'end_time', 'created', 'Created'];
const STRING_COMPARATORS: Comparator[] = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];
const NUMBER_COMPARATORS: Comparator[] = ['=', '!=', '>', '>=', '<', '<='];

/** The field of the run filter language an MLflow identifier names. */
function runField(type: EntityType, key: string): FieldRef {
  switch (type) {
    case 'metric':
      return { text: `metrics.${key}`, root: 'metrics', path: [key] };
    case 'param':
      return { text: `params.${key}`, root: 'params', path: [key], sortAsText: true };
    case 'tag':
      return { text: `tags.${key}`, root: 'mlflowTags', path: [key], sortAsText: true };
    case 'dataset':
      return { text: `dataset.${key}`, root: 'inputs', path: [key] };
    default:
      return { text: `attributes.${key}`, root: 'attributes', path: [key], sortAsText: STRING_ATTRIBUTES.includes(key) };
  }
}

const isNumeric = (type: EntityType, key: string) => type === 'metric' || (type === 'attribute' && NUMBER_ATTRIBUTES.includes(key));

/**
 * runs/search's filter, checked as MLflow checks it, as the run filter language's FilterExpr (null
 * for none): the store searches with it, as it does for ModelLab's own filters.
 */
export function runFilterExpr(clauses: Clause[]): FilterExpr | null {
  const items = clauses.map((c): FilterExpr => {
    const where = c.type;
    if (c.type === 'attribute' && !STRING_ATTRIBUTES.includes(c.key) && !NUMBER_ATTRIBUTES.includes(c.key)) {
      throw invalidParameter(`Invalid attribute key '${c.key}' specified. Valid keys are ${[...STRING_ATTRIBUTES, 'start_time', 'end_time', 'created'].join(', ')}`);
    }
    if (c.type === 'dataset' && c.key !== 'name' && c.key !== 'digest' && c.key !== 'context') throw invalidParameter(`Invalid dataset key '${c.key}': use name, digest or context`);
    const field = runField(c.type, c.key);
    if (isNumeric(c.type, c.key)) {
      if (!NUMBER_COMPARATORS.includes(c.comparator)) throw invalidParameter(`Invalid comparator '${c.comparator}' for ${where} '${c.key}': use =, !=, >, >=, <, <=`);
      const expected = typeof c.value === 'number' ? c.value : Number(c.value);
      if (!Number.isFinite(expected)) throw invalidParameter(`Expected a number for ${where} '${c.key}', got '${String(c.value)}'`);
      return { type: 'compare', field, op: c.comparator as '=' | '!=' | '>' | '>=' | '<' | '<=', value: expected };
    }
    if (!STRING_COMPARATORS.includes(c.comparator)) throw invalidParameter(`Invalid comparator '${c.comparator}' for ${where} '${c.key}': use =, !=, LIKE, ILIKE, IN or NOT IN`);
    if (c.comparator === 'IN' || c.comparator === 'NOT IN') return { type: 'in', field, values: (c.value as string[]).map(String), negate: c.comparator === 'NOT IN' };
    if (c.comparator === 'LIKE' || c.comparator === 'ILIKE') return { type: 'like', field, pattern: String(c.value), caseInsensitive: c.comparator === 'ILIKE', negate: false };
    return { type: 'compare', field, op: c.comparator as '=' | '!=', value: String(c.value) };
  });
  return items.length === 0 ? null : items.length === 1 ? items[0]! : { type: 'and', items };
}

export interface OrderTerm {
  type: EntityType;
  key: string;
  ascending: boolean;
}

/** `metrics.acc DESC`, `attributes.start_time`, `params.\`lr\` ASC` → terms. */
export function parseOrderBy(items: string[] | undefined, defaultType: EntityType = 'attribute'): OrderTerm[] {
  return (items ?? []).map((item) => {
    const tokens = tokenize(item, 'order_by');
    const { type, key, next } = identifier(tokens, 0, defaultType, 'order_by', item);
    const direction = tokens[next];
    if (next + (direction ? 1 : 0) !== tokens.length || (direction && !['ASC', 'DESC'].includes(direction.text.toUpperCase()))) {
      throw invalidParameter(`Invalid order_by clause '${item}': expected an identifier and ASC or DESC`);
    }
    return { type, key, ascending: direction?.text.toUpperCase() !== 'DESC' };
  });
}

/** runs/search's order: the terms, missing values last, then MLflow's default: start_time DESC, run_id ASC. */
export function runSortSpecs(terms: OrderTerm[]): SortSpec[] {
  const specs = terms.map((term): SortSpec => {
    if (term.type === 'dataset') throw invalidParameter(`Invalid order_by entity '${term.type}'`);
    if (term.type === 'attribute' && !STRING_ATTRIBUTES.includes(term.key) && !NUMBER_ATTRIBUTES.includes(term.key)) throw invalidParameter(`Invalid order_by attribute '${term.key}'`);
    return { field: runField(term.type, term.key), direction: term.ascending ? 'asc' : 'desc' };
  });
  return [...specs, { field: runField('attribute', 'start_time'), direction: 'desc' }, { field: runField('attribute', 'run_id'), direction: 'asc' }];
}

/** experiments/search: name, tags and creation/update times. */
export function experimentMatcher(clauses: Clause[]): (e: ReturnType<typeof experimentView>) => boolean {
  for (const c of clauses) {
    if (c.type === 'attribute' && !['name', 'creation_time', 'last_update_time', 'experiment_id'].includes(c.key)) {
      throw invalidParameter(`Invalid attribute key '${c.key}' specified. Valid keys are name, creation_time, last_update_time`);
    }
    if (c.type !== 'attribute' && c.type !== 'tag') throw invalidParameter(`Invalid entity type '${c.type}' for experiments: use attributes or tags`);
  }
  return (e) =>
    clauses.every((c) => {
      if (c.type === 'tag') return compareString(e.tags.find((t) => t.key === c.key)?.value, c, 'tag');
      if (c.key === 'name') return compareString(e.name, c, 'attribute');
      if (c.key === 'experiment_id') return compareString(e.experiment_id, c, 'attribute');
      return compareNumber(c.key === 'creation_time' ? e.creation_time : e.last_update_time, c, 'attribute');
    });
}

export function sortExperimentViews<T extends ReturnType<typeof experimentView>>(items: T[], terms: OrderTerm[]): T[] {
  const all: OrderTerm[] = [...terms, { type: 'attribute', key: 'creation_time', ascending: false }, { type: 'attribute', key: 'experiment_id', ascending: true }];
  const value = (e: T, t: OrderTerm): string | number => {
    if (t.type !== 'attribute') throw invalidParameter(`Invalid order_by clause for experiments: '${t.type}.${t.key}'`);
    switch (t.key) {
      case 'name':
        return e.name;
      case 'experiment_id':
        return Number(e.experiment_id);
      case 'creation_time':
        return e.creation_time;
      case 'last_update_time':
        return e.last_update_time;
      default:
        throw invalidParameter(`Invalid order_by attribute '${t.key}': use name, experiment_id, creation_time or last_update_time`);
    }
  };
  return [...items].sort((a, b) => {
    for (const t of all) {
      const x = value(a, t);
      const y = value(b, t);
      if (x === y) continue;
      const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : 1;
      return t.ascending ? order : -order;
    }
    return 0;
  });
}

// ---------------------------------------------------------------- paging

export function decodePageToken(token: string | undefined): number {
  if (!token) return 0;
  try {
    const parsed = JSON.parse(atob(token)) as { offset?: unknown };
    if (typeof parsed.offset === 'number' && Number.isInteger(parsed.offset) && parsed.offset >= 0) return parsed.offset;
  } catch {
    /* below */
  }
  throw invalidParameter(`Invalid page token '${token}'`);
}

/** The token of the page after `offset + limit`, when more items follow. */
export const nextPageToken = (offset: number, limit: number, more: boolean): string | undefined => (more ? btoa(JSON.stringify({ offset: offset + limit })) : undefined);

/** One page of `items` from the token's offset, with the token of the next page when there is one. */
export function page<T>(items: T[], maxResults: number, token: string | undefined): { items: T[]; nextPageToken?: string } {
  const offset = decodePageToken(token);
  const slice = items.slice(offset, offset + maxResults);
  const next = offset + maxResults;
  return next < items.length ? { items: slice, nextPageToken: btoa(JSON.stringify({ offset: next })) } : { items: slice };
}
