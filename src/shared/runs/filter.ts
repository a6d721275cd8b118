/**
 * The run filter language and sorting. Browser-safe (the Runs page checks a filter before sending it).
 *
 *   expr       := term (OR term)*
 *   term       := factor (AND factor)*
 *   factor     := NOT factor | '(' expr ')' | comparison
 *   comparison := field op value | field [NOT] IN '(' value (',' value)* ')' | field IS [NOT] NULL
 *   op         := = | != | <> | < | <= | > | >= | [NOT] LIKE | [NOT] ILIKE
 *   field      := name | status | datasetId | seed | gitCommit | gitBranch | gitDirty | createdAt
 *               | startedAt | endedAt | updatedAt | id | description | metrics.<key> | params.<path>
 *               | config.<path> | tags.<key>          (a segment with spaces or dots in `backticks`)
 *   value      := number | 'string' | "string" | true | false | null
 *
 * Keywords are case-insensitive. A number literal compares numerically with numeric values (and
 * numeric strings, as MLflow stores params); a missing value matches only IS NULL.
 *
 * MLflow's spellings are accepted too, so a filter pasted from MLflow works on the Runs page:
 * `attributes.status = 'FINISHED'` (also attribute., attr., run.: MLflow's run attributes),
 * `metric.x`, `param.x`, `tag.x` (MLflow's tags, the system ones included), `dataset.name`
 * (`digest`, `context`: true when any of the run's inputs matches). MLflow's own search parses its
 * grammar to this same FilterExpr, and the store evaluates it (JsonStore in memory; a SQL store
 * would compile it): one language, one LIKE.
 */
import { AppError } from '../errors';
import type { Run } from '../contract/types';
import { MLFLOW_ATTRIBUTES, mlflowAttribute, mlflowTagValue, TAG_DATA_CONTEXT } from './mlflowNames';

export type Literal = number | string | boolean | null;

export interface FieldRef {
  /** The field as written, for messages and sorting keys. */
  text: string;
  /** A run field, or metrics | hyperparameters | config | tags, or MLflow's attributes | mlflowTags | inputs. */
  root: string;
  path: string[];
  /** Sort values as text even when they look like numbers (MLflow sorts params and tags as strings). */
  sortAsText?: boolean;
}

export type FilterExpr =
  | { type: 'or'; items: FilterExpr[] }
  | { type: 'and'; items: FilterExpr[] }
  | { type: 'not'; expr: FilterExpr }
  | { type: 'compare'; field: FieldRef; op: '=' | '!=' | '<' | '<=' | '>' | '>='; value: Literal }
  | { type: 'like'; field: FieldRef; pattern: string; caseInsensitive: boolean; negate: boolean }
  | { type: 'in'; field: FieldRef; values: Literal[]; negate: boolean }
  | { type: 'isNull'; field: FieldRef; negate: boolean };

export const SCALAR_FIELDS = [
  'id',
  'name',
  'description',
  'status',
  'datasetId',
  'experimentId',
  'seed',
  'gitCommit',
  'gitBranch',
  'gitDirty',
  'notes',
  'lifecycleStage',
  'createdAt',
  'startedAt',
  'endedAt',
  'updatedAt',
] as const;
export const NESTED_FIELDS: Record<string, 'metrics' | 'hyperparameters' | 'config' | 'tags'> = {
  metrics: 'metrics',
  params: 'hyperparameters',
  hyperparameters: 'hyperparameters',
  config: 'config',
  tags: 'tags',
};
/**
 * The root of `metrics.<key>.min|max` (path [key, 'min' | 'max']): run.metricExtremes. A metric whose
 * own name ends in .min, .max or .last is written in backticks: metrics.`loss.min`.
 */
export const EXTREMES = 'metricExtremes';
/** metrics and tags keys are single names (a dot inside one needs backticks); params/config walk paths. */
const SINGLE_KEY = new Set(['metrics', 'tags']);
/** MLflow's prefixes: the field they name in a ModelLab filter. */
const MLFLOW_PREFIXES: Record<string, 'attributes' | 'metrics' | 'params' | 'mlflowTags' | 'inputs'> = {
  attribute: 'attributes',
  attributes: 'attributes',
  attr: 'attributes',
  run: 'attributes',
  metric: 'metrics',
  param: 'params',
  parameter: 'params',
  parameters: 'params',
  tag: 'mlflowTags',
  dataset: 'inputs',
  datasets: 'inputs',
};
export const INPUT_KEYS = ['name', 'digest', 'context'];

export class FilterSyntaxError extends AppError {
  constructor(
    message: string,
    readonly position: number,
    source: string,
  ) {
    super(400, 'invalid_filter', `${message} at position ${position + 1}`, {
      position: position + 1,
      filter: source,
      pointer: `${source}\n${' '.repeat(position)}^`,
    });
  }
}

// ---------------------------------------------------------------- tokenizer

type Token =
  | { kind: 'ident'; text: string; pos: number }
  | { kind: 'quotedIdent'; text: string; pos: number }
  | { kind: 'string'; text: string; pos: number }
  | { kind: 'number'; value: number; text: string; pos: number }
  | { kind: 'op'; text: string; pos: number }
  | { kind: 'punct'; text: '(' | ')' | ',' | '.'; pos: number }
  | { kind: 'end'; pos: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (ch === '(' || ch === ')' || ch === ',' || ch === '.') {
      // A dot followed by a digit after nothing numeric is a number like .5
      if (ch === '.' && /[0-9]/.test(source[i + 1] ?? '') && (tokens.length === 0 || tokens.at(-1)!.kind === 'op' || tokens.at(-1)!.kind === 'punct')) {
        // fall through to number parsing below
      } else {
        tokens.push({ kind: 'punct', text: ch, pos: start });
        i++;
        continue;
      }
    }
    if (ch === "'" || ch === '"') {
      let text = '';
      i++;
      for (;;) {
        if (i >= source.length) throw new FilterSyntaxError('Unterminated string', start, source);
        const c = source[i]!;
        if (c === '\\' && i + 1 < source.length) {
          text += source[i + 1];
          i += 2;
        } else if (c === ch && source[i + 1] === ch) {
          text += ch;
          i += 2;
        } else if (c === ch) {
          i++;
          break;
        } else {
          text += c;
          i++;
        }
      }
      tokens.push({ kind: 'string', text, pos: start });
      continue;
    }
    if (ch === '`') {
      const close = source.indexOf('`', i + 1);
      if (close < 0) throw new FilterSyntaxError('Unterminated `quoted name`', start, source);
      tokens.push({ kind: 'quotedIdent', text: source.slice(i + 1, close), pos: start });
      i = close + 1;
      continue;
    }
    const number = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(source.slice(i));
    if (number && (ch !== '-' || /[\d.]/.test(source[i + 1] ?? ''))) {
      tokens.push({ kind: 'number', value: Number(number[0]), text: number[0], pos: start });
      i += number[0].length;
      continue;
    }
    const op = /^(<=|>=|!=|<>|=|<|>)/.exec(source.slice(i));
    if (op) {
      tokens.push({ kind: 'op', text: op[0] === '<>' ? '!=' : op[0], pos: start });
      i += op[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(source.slice(i));
    if (ident) {
      tokens.push({ kind: 'ident', text: ident[0], pos: start });
      i += ident[0].length;
      continue;
    }
    throw new FilterSyntaxError(`Unexpected character '${ch}'`, start, source);
  }
  tokens.push({ kind: 'end', pos: source.length });
  return tokens;
}

// ---------------------------------------------------------------- parser

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'null', 'like', 'ilike', 'true', 'false']);

/** The fields of a record kind other than runs: its scalar fields and its keyed maps (`tags.<key>`). */
export interface RecordFields {
  scalars: readonly string[];
  maps: readonly string[];
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
    private readonly record: RecordFields | null = null,
  ) {}

  private peek(): Token {
    return this.tokens[this.i]!;
  }

  get atEnd(): boolean {
    return this.peek().kind === 'end';
  }

  private next(): Token {
    return this.tokens[this.i++]!;
  }

  private fail(message: string, token = this.peek()): never {
    const found = token.kind === 'end' ? 'end of filter' : `'${this.source.slice(token.pos, token.pos + ('text' in token ? token.text.length : 1))}'`;
    throw new FilterSyntaxError(`${message}, found ${found}`, token.pos, this.source);
  }

  private isKeyword(word: string, token = this.peek()): boolean {
    return token.kind === 'ident' && token.text.toLowerCase() === word;
  }

  private keyword(word: string): boolean {
    if (!this.isKeyword(word)) return false;
    this.i++;
    return true;
  }

  parse(): FilterExpr {
    if (this.peek().kind === 'end') this.fail('Expected a condition');
    const expr = this.expr();
    if (this.peek().kind !== 'end') this.fail('Expected AND, OR or the end of the filter');
    return expr;
  }

  private expr(): FilterExpr {
    const items = [this.term()];
    while (this.keyword('or')) items.push(this.term());
    return items.length === 1 ? items[0]! : { type: 'or', items };
  }

  private term(): FilterExpr {
    const items = [this.factor()];
    while (this.keyword('and')) items.push(this.factor());
    return items.length === 1 ? items[0]! : { type: 'and', items };
  }

  private factor(): FilterExpr {
    if (this.keyword('not')) return { type: 'not', expr: this.factor() };
    const token = this.peek();
    if (token.kind === 'punct' && token.text === '(') {
      this.i++;
      const inner = this.expr();
      const close = this.peek();
      if (close.kind !== 'punct' || close.text !== ')') this.fail("Expected ')'");
      this.i++;
      return inner;
    }
    return this.comparison();
  }

  field(): FieldRef {
    const first = this.next();
    if (first.kind !== 'ident' && first.kind !== 'quotedIdent') this.fail('Expected a field name', first);
    if (first.kind === 'ident' && KEYWORDS.has(first.text.toLowerCase())) this.fail('Expected a field name', first);
    const root = first.text;
    const path: string[] = [];
    let lastQuoted = false;
    while (this.peek().kind === 'punct' && (this.peek() as { text: string }).text === '.') {
      this.i++;
      const seg = this.next();
      if (seg.kind !== 'ident' && seg.kind !== 'quotedIdent' && seg.kind !== 'number') this.fail('Expected a name after "."', seg);
      path.push(seg.kind === 'number' ? seg.text : seg.text);
      lastQuoted = seg.kind === 'quotedIdent';
    }
    const text = this.source.slice(first.pos, this.peek().pos).trim();
    if (this.record) return this.recordField(first, root, path, text, this.record);
    const mlflow = first.kind === 'ident' ? MLFLOW_PREFIXES[root] : undefined;
    if (mlflow) {
      if (path.length === 0) this.fail(`Expected ${root}.<key>`, this.peek());
      if (mlflow === 'params') return { text, root: 'params', path };
      if (mlflow === 'metrics') return { text, root: 'metrics', path: [path.join('.')] };
      const key = path.join('.');
      if (mlflow === 'attributes' && !(MLFLOW_ATTRIBUTES as readonly string[]).includes(key)) {
        throw new FilterSyntaxError(`Unknown attribute '${key}'; MLflow's run attributes are ${MLFLOW_ATTRIBUTES.slice(0, 8).join(', ')}`, first.pos, this.source);
      }
      if (mlflow === 'inputs' && !INPUT_KEYS.includes(key)) throw new FilterSyntaxError(`Unknown dataset field '${key}'; use dataset.name, dataset.digest or dataset.context`, first.pos, this.source);
      return { text, root: mlflow, path: [key] };
    }
    if (root in NESTED_FIELDS) {
      if (path.length === 0) this.fail(`Expected ${root}.<key>`, this.peek());
      // metrics.loss.min, metrics.`val.loss`.max: the extremes over the logged points (.last: the latest value).
      const aggregate = root === 'metrics' && path.length > 1 && !lastQuoted ? path.at(-1)! : '';
      if (aggregate === 'min' || aggregate === 'max') return { text, root: EXTREMES, path: [path.slice(0, -1).join('.'), aggregate] };
      if (aggregate === 'last') return { text, root, path: [path.slice(0, -1).join('.')] };
      if (SINGLE_KEY.has(root) && path.length > 1) {
        return { text, root, path: [path.join('.')] };
      }
      return { text, root, path };
    }
    if (!(SCALAR_FIELDS as readonly string[]).includes(root) || path.length > 0) {
      throw new FilterSyntaxError(
        `Unknown field '${text}'; use one of ${SCALAR_FIELDS.join(', ')}, metrics.<key>, params.<path>, config.<path>, tags.<key>`,
        first.pos,
        this.source,
      );
    }
    return { text, root, path };
  }

  private recordField(first: Token, root: string, path: string[], text: string, fields: RecordFields): FieldRef {
    const map = root === 'tag' ? 'tags' : root;
    if (fields.maps.includes(map)) {
      if (path.length === 0) this.fail(`Expected ${root}.<key>`, this.peek());
      return { text, root: map, path: [path.join('.')] };
    }
    if (!fields.scalars.includes(root) || path.length > 0) {
      throw new FilterSyntaxError(`Unknown field '${text}'; use one of ${[...fields.scalars, ...fields.maps.map((m) => `${m}.<key>`)].join(', ')}`, first.pos, this.source);
    }
    return { text, root, path };
  }

  private value(): Literal {
    const token = this.next();
    if (token.kind === 'number') return token.value;
    if (token.kind === 'string') return token.text;
    if (token.kind === 'ident') {
      const word = token.text.toLowerCase();
      if (word === 'true') return true;
      if (word === 'false') return false;
      if (word === 'null') return null;
    }
    return this.fail('Expected a value (a number, a quoted string, true, false or null)', token);
  }

  private comparison(): FilterExpr {
    const field = this.field();
    if (this.keyword('is')) {
      const negate = this.keyword('not');
      if (!this.keyword('null')) this.fail('Expected NULL after IS');
      return { type: 'isNull', field, negate };
    }
    const negate = this.keyword('not');
    if (this.keyword('in')) {
      const open = this.next();
      if (open.kind !== 'punct' || open.text !== '(') this.fail("Expected '(' after IN", open);
      const values = [this.value()];
      for (;;) {
        const t = this.next();
        if (t.kind === 'punct' && t.text === ',') values.push(this.value());
        else if (t.kind === 'punct' && t.text === ')') break;
        else this.fail("Expected ',' or ')' in the IN list", t);
      }
      return { type: 'in', field, values, negate };
    }
    if (this.isKeyword('like') || this.isKeyword('ilike')) {
      const caseInsensitive = this.isKeyword('ilike');
      this.i++;
      const pattern = this.next();
      if (pattern.kind !== 'string') this.fail('Expected a quoted pattern after LIKE', pattern);
      return { type: 'like', field, pattern: pattern.text, caseInsensitive, negate };
    }
    if (negate) this.fail('Expected IN, LIKE or ILIKE after NOT');
    const op = this.next();
    if (op.kind !== 'op') this.fail('Expected an operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS)', op);
    return { type: 'compare', field, op: op.text as '=' | '!=' | '<' | '<=' | '>' | '>=', value: this.value() };
  }
}

/** Parses a filter; throws FilterSyntaxError (400 invalid_filter, with the position) when malformed. */
export function parseFilter(source: string): FilterExpr {
  return new Parser(tokenize(source), source).parse();
}

/** Parses a filter over another kind of record (registered models, versions, logged models): same grammar, that kind's fields. */
export function parseRecordFilter(source: string, fields: RecordFields): FilterExpr {
  return new Parser(tokenize(source), source, fields).parse();
}

/** Compiles a filter over records whose fields are plain properties and keyed maps (see parseRecordFilter). */
export function compileRecordFilter<T extends object>(expr: FilterExpr): (record: T) => boolean {
  const access = (field: FieldRef) => {
    const key = field.path[0];
    if (key === undefined) return (record: T) => (record as Record<string, unknown>)[field.root] ?? undefined;
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') return () => undefined;
    return (record: T) => {
      const map = (record as Record<string, unknown>)[field.root];
      return map !== null && typeof map === 'object' && Object.hasOwn(map, key) ? (map as Record<string, unknown>)[key] : undefined;
    };
  };
  return compileWith(expr, access, () => false);
}

// ---------------------------------------------------------------- evaluation

/** What a filter may need from outside the run record: an experiment's artifact location (MLflow's artifact_uri). */
export interface FilterContext {
  artifactLocation(experimentId: string): string | undefined;
}
const NO_CONTEXT: FilterContext = { artifactLocation: () => undefined };

/** Fields that hold several values per run (its dataset inputs): a condition holds when it holds for any. */
export const isMany = (field: FieldRef) => field.root === 'inputs';

/** A function reading a field from a run (undefined when absent), resolved once per filter. */
export function fieldAccessor(field: FieldRef, context: FilterContext = NO_CONTEXT): (run: Run) => unknown {
  if (field.root === 'attributes') {
    const key = field.path[0]!;
    return (run) => mlflowAttribute(run, key, (id) => context.artifactLocation(id));
  }
  if (field.root === 'mlflowTags') {
    const key = field.path[0]!;
    return (run) => mlflowTagValue(run, key);
  }
  if (field.root === 'inputs') {
    const key = field.path[0]!;
    return (run) => run.inputs.map((input) => (key === 'context' ? input.tags[TAG_DATA_CONTEXT] : key === 'name' ? input.name : input.digest));
  }
  if (field.root === EXTREMES) {
    const [key, aggregate] = field.path as [string, 'min' | 'max'];
    if (UNSAFE_KEYS.has(key)) return () => undefined;
    return (run) => {
      const extreme = run.metricExtremes?.[key];
      return typeof extreme === 'object' && extreme !== null ? (extreme[aggregate] ?? undefined) : undefined;
    };
  }
  const nested = NESTED_FIELDS[field.root];
  if (!nested) {
    const key = field.root as keyof Run;
    return (run) => run[key] ?? undefined;
  }
  const path = field.path;
  // Inherited members are not fields: a path through one of these names never matches.
  if (path.some((key) => key === '__proto__' || key === 'constructor' || key === 'prototype')) return () => undefined;
  const own = (value: unknown) => (typeof value === 'function' ? undefined : value);
  const read: (run: Run) => Record<string, unknown> | undefined =
    nested === 'metrics' ? (run) => run.metrics : nested === 'tags' ? (run) => run.tags : nested === 'config' ? (run) => run.config : (run) => run.hyperparameters;
  if (path.length === 1) {
    const key = path[0]!;
    return (run) => {
      const holder = read(run);
      return holder === undefined ? undefined : own(holder[key]);
    };
  }
  return (run) => {
    let value: unknown = read(run);
    for (let i = 0; i < path.length; i++) {
      if (value === null || typeof value !== 'object') return undefined;
      value = own((value as Record<string, unknown>)[path[i]!]);
    }
    return value;
  };
}

export function fieldValue(run: Run, field: FieldRef): unknown {
  return fieldAccessor(field)(run);
}

export const asNumber = (value: unknown): number | null => {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
};

/** A boolean, or the text 'true'/'false' as one; null otherwise (what a comparison with true or false reads). */
export const asBoolean = (value: unknown): boolean | null => (typeof value === 'boolean' ? value : value === 'true' ? true : value === 'false' ? false : null);

export const asText = (value: unknown): string => (typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value));

/** Compares a present value with a literal: negative, zero, positive, or null when incomparable. */
function compareTo(value: unknown, literal: Literal): number | null {
  if (literal === null) return null;
  if (typeof literal === 'number') {
    const n = asNumber(value);
    return n === null ? null : n - literal;
  }
  if (typeof literal === 'boolean') {
    const b = asBoolean(value);
    return b === null ? null : b === literal ? 0 : b ? 1 : -1;
  }
  const text = asText(value);
  return text < literal ? -1 : text > literal ? 1 : 0;
}

/** LIKE pattern → RegExp: % any run, _ one character, \% \_ \\ literal. */
export function likeToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) {
      out += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (ch === '%') out += '[\\s\\S]*';
    else if (ch === '_') out += '[\\s\\S]';
    else out += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, caseInsensitive ? 'i' : '');
}

const isMissing = (value: unknown) => value === undefined || value === null;

/**
 * Compiles a filter into a predicate: field paths resolved and LIKE patterns built once, so a
 * search over 10,000 runs costs a few closure calls per run. A condition on a field with several
 * values per run (dataset inputs) holds when it holds for any of them.
 */
export function compileFilter(expr: FilterExpr, context: FilterContext = NO_CONTEXT): (run: Run) => boolean {
  return compileWith(expr, (field) => fieldAccessor(field, context), isMany);
}

function compileWith<R>(expr: FilterExpr, access: (field: FieldRef) => (record: R) => unknown, many: (field: FieldRef) => boolean): (record: R) => boolean {
  switch (expr.type) {
    case 'or': {
      const items = expr.items.map((item) => compileWith(item, access, many));
      return (run) => {
        for (let i = 0; i < items.length; i++) if (items[i]!(run)) return true;
        return false;
      };
    }
    case 'and': {
      const items = expr.items.map((item) => compileWith(item, access, many));
      return (run) => {
        for (let i = 0; i < items.length; i++) if (!items[i]!(run)) return false;
        return true;
      };
    }
    case 'not': {
      const inner = compileWith(expr.expr, access, many);
      return (run) => !inner(run);
    }
    default: {
      // A condition on a field: its test applied to the field's value, or to any of its values.
      const test = leafTest(expr);
      const get = access(expr.field);
      if (many(expr.field)) return (run) => (get(run) as unknown[]).some(test);
      return (run) => test(get(run));
    }
  }
}

type Leaf = Exclude<FilterExpr, { type: 'or' | 'and' | 'not' }>;

/** The test a condition applies to one value of its field (missing values match only IS NULL). */
function leafTest(expr: Leaf): (value: unknown) => boolean {
  switch (expr.type) {
    case 'isNull':
      return expr.negate ? (value) => !isMissing(value) : isMissing;
    case 'compare': {
      const { op, value: literal } = expr;
      const test: (c: number) => boolean =
        op === '=' ? (c) => c === 0 : op === '!=' ? (c) => c !== 0 : op === '<' ? (c) => c < 0 : op === '<=' ? (c) => c <= 0 : op === '>' ? (c) => c > 0 : (c) => c >= 0;
      if (typeof literal === 'number') {
        // Fast path: numeric fields compared with a number (metrics, seed, most params).
        return (value) => {
          if (isMissing(value)) return false;
          const n = typeof value === 'number' ? value : asNumber(value);
          return n === null || Number.isNaN(n) ? op === '!=' : test(n - literal);
        };
      }
      return (value) => {
        if (isMissing(value)) return false;
        const c = compareTo(value, literal);
        return c === null ? op === '!=' : test(c);
      };
    }
    case 'in': {
      const { values, negate } = expr;
      // Sets for the common cases: a string value against string literals, a number against numbers.
      const strings = new Set(values.filter((v): v is string => typeof v === 'string'));
      const numbers = new Set(values.filter((v): v is number => typeof v === 'number'));
      const others = values.filter((v) => typeof v === 'boolean');
      return (value) => {
        if (isMissing(value)) return false;
        let found = false;
        if (typeof value === 'string') {
          found = strings.has(value) || (numbers.size > 0 && numbers.has(asNumber(value) ?? NaN));
        } else if (typeof value === 'number') {
          found = numbers.has(value) || (strings.size > 0 && strings.has(String(value)));
        }
        if (!found && (others.length > 0 || typeof value === 'object' || typeof value === 'boolean')) {
          found = values.some((literal) => compareTo(value, literal) === 0);
        }
        return negate ? !found : found;
      };
    }
    case 'like': {
      const re = likeToRegExp(expr.pattern, expr.caseInsensitive);
      const negate = expr.negate;
      return (value) => {
        if (isMissing(value)) return false;
        const found = re.test(asText(value));
        return negate ? !found : found;
      };
    }
  }
}

// ---------------------------------------------------------------- generated code (the server's fast path)

export const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * JavaScript source reading a plain or nested run field into `v` with the semantics of
 * fieldAccessor, or null for fields it leaves to fieldAccessor (MLflow attributes, tags, inputs).
 */
function fieldSource(field: FieldRef): string | null {
  if (field.root === EXTREMES) {
    const [key, aggregate] = field.path;
    if (UNSAFE_KEYS.has(key!)) return 'v = undefined;';
    return `v = run.metricExtremes; v = v === undefined ? undefined : own(v[${JSON.stringify(key)}]); v = v === undefined || v === null || typeof v !== 'object' ? undefined : (v[${JSON.stringify(aggregate)}] ?? undefined);`;
  }
  const nested = NESTED_FIELDS[field.root];
  if (!nested) {
    if (!(SCALAR_FIELDS as readonly string[]).includes(field.root)) return null;
    return `v = run[${JSON.stringify(field.root)}] ?? undefined;`;
  }
  const path = field.path;
  if (path.some((key) => UNSAFE_KEYS.has(key))) return 'v = undefined;';
  let source = `v = run[${JSON.stringify(nested)}];`;
  if (path.length === 1) return `${source} v = v === undefined ? undefined : own(v[${JSON.stringify(path[0])}]);`;
  for (const key of path) source += ` v = v === null || typeof v !== 'object' ? undefined : own(v[${JSON.stringify(key)}]);`;
  return source;
}

const ownValue = (value: unknown) => (typeof value === 'function' ? undefined : value);

/** Whether generated code can run here (a browser page's Content-Security-Policy may forbid it). */
const canGenerate = (() => {
  try {
    return new Function('return true')() === true;
  } catch {
    return false;
  }
})();

/**
 * compileFilter's predicate as generated code: one function per condition, reading its field with
 * constant property names, called from one function with the filter's AND/OR/NOT structure. Same
 * results as compileFilter (the tests compare them on generated filters and runs); the conditions'
 * tests are compileFilter's own. Why: in compileFilter every condition goes through the same few
 * closures, whose property reads and calls see every field of every filter and turn megamorphic —
 * 500 ns per run for a three-condition filter over 10,000 runs (profiled); here each site sees one.
 */
export function compileFilterFast(expr: FilterExpr, context: FilterContext = NO_CONTEXT): (run: Run) => boolean {
  if (!canGenerate) return compileFilter(expr, context);
  const tests: ((value: unknown) => boolean)[] = [];
  const getters: ((run: Run) => unknown)[] = [];
  const functions: string[] = [];
  const emit = (e: FilterExpr): string => {
    if (e.type === 'and' || e.type === 'or') return `(${e.items.map(emit).join(e.type === 'and' ? ' && ' : ' || ')})`;
    if (e.type === 'not') return `!${emit(e.expr)}`;
    const i = functions.length;
    tests.push(leafTest(e));
    const read = fieldSource(e.field);
    if (read === null || isMany(e.field)) {
      getters.push(fieldAccessor(e.field, context));
      const test = isMany(e.field) ? `g${i}(run).some(t${i})` : `t${i}(g${i}(run))`;
      functions.push(`const g${i} = getters[${getters.length - 1}]; const t${i} = tests[${i}]; function c${i}(run) { return ${test}; }`);
    } else {
      functions.push(`const t${i} = tests[${i}]; function c${i}(run) { let v; ${read} return t${i}(v); }`);
    }
    return `c${i}(run)`;
  };
  const root = emit(expr);
  const source = `${functions.join('\n')}\nreturn function filter(run) { return ${root}; };`;
  return new Function('tests', 'getters', 'own', source)(tests, getters, ownValue) as (run: Run) => boolean;
}

/**
 * A filter over columns — each field's values for every run, by position — as generated code:
 * `(index) => boolean`. `columnOf` answers a field's column, or null for a field it does not keep
 * (then this answers null and the caller filters the records). Same tests as compileFilter.
 */
export function compileColumnFilter(expr: FilterExpr, columnOf: (field: FieldRef) => unknown[] | null): ((index: number) => boolean) | null {
  if (!canGenerate) return null;
  const tests: ((value: unknown) => boolean)[] = [];
  const columns: unknown[][] = [];
  const functions: string[] = [];
  const literals: unknown[] = [];
  let complete = true;
  const emit = (e: FilterExpr): string => {
    if (e.type === 'and' || e.type === 'or') return `(${e.items.map(emit).join(e.type === 'and' ? ' && ' : ' || ')})`;
    if (e.type === 'not') return `!${emit(e.expr)}`;
    const column = columnOf(e.field);
    if (!column) {
      complete = false;
      return 'false';
    }
    const i = functions.length;
    tests.push(leafTest(e));
    columns.push(column);
    literals.push(e.type === 'compare' ? e.value : null);
    let body = `return ${isMany(e.field) ? `col${i}[index].some(t${i})` : `t${i}(col${i}[index])`};`;
    if (!isMany(e.field) && e.type === 'compare' && typeof e.value === 'number' && Number.isFinite(e.value)) {
      // A number compared with a number, inline: what leafTest's numeric path computes, test(v − literal),
      // without two closure calls per run (they were most of a search of 100,000 runs). Anything
      // else (missing, text, NaN) goes through the leaf test as before.
      const op = { '=': '===', '!=': '!==', '<': '<', '<=': '<=', '>': '>', '>=': '>=' }[e.op];
      body = `const v = col${i}[index]; return typeof v === 'number' && v === v ? (v - lit${i}) ${op} 0 : t${i}(v);`;
    } else if (!isMany(e.field) && e.type === 'compare' && e.op === '=' && typeof e.value === 'string') {
      // The same text is equal whatever else the comparison considers.
      body = `const v = col${i}[index]; return v === lit${i} || t${i}(v);`;
    } else if (!isMany(e.field) && e.type === 'in' && e.values.some((x) => typeof x === 'string')) {
      // A text value among the literal texts is found (leafTest's first check); the rest as before.
      literals[i] = new Set(e.values.filter((x) => typeof x === 'string'));
      body = `const v = col${i}[index]; return typeof v === 'string' && lit${i}.has(v) ? ${e.negate ? 'false' : 'true'} : t${i}(v);`;
    }
    functions.push(`const col${i} = columns[${i}]; const t${i} = tests[${i}]; const lit${i} = literals[${i}]; function c${i}(index) { ${body} }`);
    return `c${i}(index)`;
  };
  const root = emit(expr);
  if (!complete) return null;
  const source = `${functions.join('\n')}\nreturn function filter(index) { return ${root}; };`;
  return new Function('tests', 'columns', 'literals', source)(tests, columns, literals) as (index: number) => boolean;
}

/** fieldAccessor as generated code for plain and nested fields (sort keys read them once per run). */
export function fieldAccessorFast(field: FieldRef, context: FilterContext = NO_CONTEXT): (run: Run) => unknown {
  const read = canGenerate ? fieldSource(field) : null;
  if (read === null) return fieldAccessor(field, context);
  return new Function('own', `return function get(run) { let v; ${read} return v; };`)(ownValue) as (run: Run) => unknown;
}

// ---------------------------------------------------------------- sorting

export interface SortSpec {
  field: FieldRef;
  direction: 'asc' | 'desc';
}

/** Parses `field:asc|desc` (direction defaults to asc). */
export function parseSort(source: string): SortSpec {
  const match = /^(.*?)(?::(asc|desc))?$/i.exec(source.trim())!;
  const fieldText = match[1]!;
  const parser = new Parser(tokenize(fieldText), fieldText);
  const field = parser.field();
  if (!parser.atEnd) {
    throw new FilterSyntaxError(`sort must be <field>:asc or <field>:desc`, 0, source);
  }
  return { field, direction: (match[2]?.toLowerCase() as 'asc' | 'desc' | undefined) ?? 'asc' };
}

/** A sort key computed once per run: missing, a number, or text. */
type SortKey = { missing: true } | { missing: false; num: number | null; text: string };

function sortKey(value: unknown): SortKey {
  if (isMissing(value)) return { missing: true };
  return { missing: false, num: asNumber(value), text: typeof value === 'number' ? '' : asText(value) };
}

function compareKeys(a: SortKey, b: SortKey, sign: number): number {
  if (a.missing || b.missing) return a.missing === b.missing ? 0 : a.missing ? 1 : -1;
  if (a.num !== null && b.num !== null) return sign * (a.num - b.num);
  if (a.num !== null || b.num !== null) return a.num !== null ? -1 : 1; // numbers before text
  return sign * (a.text < b.text ? -1 : a.text > b.text ? 1 : 0);
}

/** A comparator for runs by a field: numbers numerically, then strings, missing values last in both directions. */
export function runComparator(sort: SortSpec): (a: Run, b: Run) => number {
  const get = fieldAccessor(sort.field);
  const sign = sort.direction === 'asc' ? 1 : -1;
  return (a, b) => compareKeys(sortKey(get(a)), sortKey(get(b)), sign);
}

/**
 * The runs at positions [0, count) of the order by `sort` (one key, or several: the first decides,
 * ties go to the next), computing each run's keys once (stable: ties keep their input order). Keys
 * live in typed arrays (no object per run), and for a first page out of thousands only the best
 * `count` are kept in a sorted buffer instead of sorting everything.
 */
export function sortRuns<T = Run>(
  runs: T[],
  sort: SortSpec | SortSpec[],
  count = runs.length,
  context: FilterContext = NO_CONTEXT,
  /**
   * Where a store keeps field values apart from the records: a field's reader by position in `runs`
   * (null: read the record). With readers for every key, `runs` may be anything (e.g. positions).
   */
  valuesOf?: (field: FieldRef) => ((position: number) => unknown) | null,
): T[] {
  const specs = Array.isArray(sort) ? sort : [sort];
  const n = runs.length;
  // Per key — kind: 0 number, 1 text, 2 missing; the order numbers < text < missing in both directions.
  const keys = specs.map((spec) => {
    const byPosition = valuesOf?.(spec.field) ?? null;
    const read = fieldAccessorFast(spec.field, context);
    const get = byPosition ? (_item: T, position: number) => byPosition(position) : (item: T) => read(item as unknown as Run);
    const kind = new Uint8Array(n);
    const num = new Float64Array(n);
    const text: string[] = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const value = get(runs[i]!, i);
      if (isMissing(value)) kind[i] = 2;
      else {
        const asNum = spec.field.sortAsText ? null : typeof value === 'number' ? (Number.isFinite(value) ? value : null) : asNumber(value);
        if (asNum !== null) num[i] = asNum;
        else {
          kind[i] = 1;
          text[i] = asText(value);
        }
      }
    }
    return { kind, num, text, sign: spec.direction === 'asc' ? 1 : -1 };
  });
  const cmp = (a: number, b: number): number => {
    for (const { kind, num, text, sign } of keys) {
      if (kind[a] !== kind[b]) return kind[a]! - kind[b]!;
      const c = kind[a] === 0 ? sign * (num[a]! - num[b]!) : kind[a] === 1 ? sign * (text[a]! < text[b]! ? -1 : text[a]! > text[b]! ? 1 : 0) : 0;
      if (c !== 0) return c;
    }
    return a - b;
  };
  let order: number[];
  if (count * 8 >= n) {
    order = Array.from({ length: n }, (_, i) => i).sort(cmp);
  } else {
    order = [];
    for (let i = 0; i < n; i++) {
      if (order.length === count && cmp(i, order[count - 1]!) >= 0) continue;
      let lo = 0;
      let hi = order.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cmp(order[mid]!, i) <= 0) lo = mid + 1;
        else hi = mid;
      }
      order.splice(lo, 0, i);
      if (order.length > count) order.pop();
    }
  }
  return order.slice(0, count).map((i) => runs[i]!);
}
