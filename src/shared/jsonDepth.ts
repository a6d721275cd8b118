/**
 * The nesting limit for free-form JSON (hyperparameters, config, tags, notes, evaluation records,
 * MLflow values). Deeply nested input made recursive code further on (structured clones,
 * stringifying, the UI's tree) overflow the stack, so a body is measured here first, without
 * recursion: the walk keeps its own stack and stops at the first value past the limit.
 * Browser-safe.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * The deepest nesting of containers in raw JSON text (bytes), without parsing it: brackets inside
 * strings do not count. A parsed value nests no deeper than its text, so a body whose text stays
 * within the limit needs no walk of the parsed value (that walk was ~90 ms of an evaluation of
 * 200,000 examples with data rows; this scan of its 7 MB is a few). For text that is not JSON the
 * figure means nothing, but such a body never parses.
 */
export function rawJsonDepth(bytes: Uint8Array): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === 0x5c) i++; // backslash: skip the escaped byte
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > deepest) deepest = depth;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return deepest;
}

/**
 * The path to the first container nested deeper than `limit` inside `value` (the value itself, when
 * it is an object or array, is level 1), or null when there is none. `{"a": {"b": 1}}` has 2 levels.
 */
export function pathPastDepth(value: unknown, limit = MAX_JSON_DEPTH): (string | number)[] | null {
  if (typeof value !== 'object' || value === null || !nestsDeeper(value, limit)) return null;
  return pathToFirstTooDeep(value, limit);
}

/**
 * The common case, asked of every request body: is anything nested deeper than `limit`? Two plain
 * stacks, no objects or key lists per node (this runs on every create and every evaluation).
 */
function nestsDeeper(value: object, limit: number): boolean {
  const nodes: object[] = [value];
  const levels: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const level = levels.pop()!;
    if (level > limit) return true;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const child: unknown = node[i];
        if (typeof child === 'object' && child !== null) {
          nodes.push(child);
          levels.push(level + 1);
        }
      }
    } else {
      for (const key in node) {
        if (!Object.prototype.hasOwnProperty.call(node, key)) continue;
        const child: unknown = (node as Record<string, unknown>)[key];
        if (typeof child === 'object' && child !== null) {
          nodes.push(child);
          levels.push(level + 1);
        }
      }
    }
  }
  return false;
}

/** The rare case: where the first too-deep container is, for the error message. */
function pathToFirstTooDeep(value: object, limit: number): (string | number)[] | null {
  // Each entry: a container, its level, and the key under which its parent holds it.
  const stack: { node: object; level: number; parent: number; key: string | number }[] = [{ node: value, level: 1, parent: -1, key: '' }];
  const visited: { parent: number; key: string | number }[] = [];
  while (stack.length > 0) {
    const { node, level, parent, key } = stack.pop()!;
    const index = visited.push({ parent, key }) - 1;
    if (level > limit) {
      const path: (string | number)[] = [];
      for (let i = index; i > 0; i = visited[i]!.parent) path.push(visited[i]!.key);
      return path.reverse();
    }
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) {
        const child: unknown = node[i];
        if (typeof child === 'object' && child !== null) stack.push({ node: child, level: level + 1, parent: index, key: i });
      }
    } else {
      for (const [k, child] of Object.entries(node)) {
        if (typeof child === 'object' && child !== null) stack.push({ node: child, level: level + 1, parent: index, key: k });
      }
    }
  }
  return null;
}

/** "a.b[3].c" for a path, shortened in the middle past `max` segments. */
export function formatJsonPath(path: (string | number)[], max = 6): string {
  const shown = path.length > max ? [...path.slice(0, max - 2), '…', ...path.slice(-2)] : path;
  let out = '';
  for (const segment of shown) out += typeof segment === 'number' ? `[${segment}]` : out === '' ? segment : `.${segment}`;
  return out;
}

/** `{path, message}` when `value` nests deeper than the limit ("nested more than 32 levels deep (at a.b.…)"), else null. */
export function nestingProblem(value: unknown, limit = MAX_JSON_DEPTH): { path: (string | number)[]; message: string } | null {
  const path = pathPastDepth(value, limit);
  return path ? { path, message: `nested more than ${limit} levels deep (at ${formatJsonPath(path) || '(root)'})` } : null;
}

/**
 * The first field of a parsed body nested deeper than the limit: `{field, path, message}` or null.
 * A body that is an object is measured field by field (each field may nest `limit` levels);
 * any other body as a whole.
 */
export function tooDeepField(body: unknown, limit = MAX_JSON_DEPTH): { field: string; path: string; message: string } | null {
  if (typeof body !== 'object' || body === null) return null;
  const fields: [string, unknown][] = Array.isArray(body) ? [['body', body]] : Object.entries(body);
  for (const [field, value] of fields) {
    const past = pathPastDepth(value, limit);
    if (past) {
      const path = formatJsonPath(Array.isArray(body) ? past : [field, ...past]) || field;
      return { field, path, message: `${field}: nested more than ${limit} levels deep (at ${path}); flatten it or store it as an artifact` };
    }
  }
  return null;
}

/**
 * A copy of `value` in which containers past `maxDepth` levels are replaced by the text "{…}" or
 * "[…]": safe to stringify or render whatever was stored (the recursion is bounded by maxDepth).
 */
export function capDepth(value: unknown, maxDepth: number): unknown {
  const copy = (v: unknown, level: number): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    if (level >= maxDepth) return Array.isArray(v) ? '[…]' : '{…}';
    if (Array.isArray(v)) return v.map((x) => copy(x, level + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: copy(x, level + 1), enumerable: true, writable: true, configurable: true });
    return out;
  };
  return copy(value, 0);
}

/** One line of JSON for display: containers past `maxDepth` levels written as {…} or […], the text cut at `maxChars`. */
export function previewJson(value: unknown, maxDepth = 8, maxChars = 2000): string {
  const write = (v: unknown, level: number): string => {
    if (typeof v !== 'object' || v === null) return JSON.stringify(v) ?? 'null';
    if (level >= maxDepth) return Array.isArray(v) ? '[…]' : '{…}';
    if (Array.isArray(v)) return `[${v.map((x) => write(x, level + 1)).join(',')}]`;
    return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${write(x, level + 1)}`).join(',')}}`;
  };
  const text = write(value, 0);
  return text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
}
