import { describe, expect, it } from 'vitest';
import { capDepth, formatJsonPath, MAX_JSON_DEPTH, pathPastDepth, previewJson, rawJsonDepth, tooDeepField } from '../../../src/shared/jsonDepth';

/** {a: {a: … 1}} with `levels` objects. */
const nested = (levels: number, key = 'a'): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { [key]: value };
  return value;
};

/** The depth pathPastDepth measures, found by trying limits. */
const parsedDepth = (value: unknown) => {
  let limit = 0;
  while (pathPastDepth(value, limit) !== null) limit++;
  return limit;
};

describe('rawJsonDepth', () => {
  it('is the parsed value\'s nesting, with brackets, quotes and backslashes inside strings not counted', () => {
    const texts = [
      '1',
      '"[[["',
      '{}',
      '{"a": {"b": [1, 2, {"c": null}]}}',
      '["\\"", "[", "\\\\", [["]]]]"]]]',
      '{"k\\"[{": "v\\\\[", "x": [[[]]]}',
      JSON.stringify(nested(40)),
      JSON.stringify({ s: 'é ✓ 😀 [{', t: [{ u: ['\\', '"'] }] }),
    ];
    for (const text of texts) expect(rawJsonDepth(new TextEncoder().encode(text)), text).toBe(parsedDepth(JSON.parse(text)));
  });
});

describe('pathPastDepth', () => {
  it('counts the value itself as level 1 and scalars as no level', () => {
    expect(pathPastDepth(1, 0)).toBeNull();
    expect(pathPastDepth({}, 1)).toBeNull();
    expect(pathPastDepth({}, 0)).toEqual([]);
    expect(pathPastDepth({ a: { b: 1 } }, 2)).toBeNull();
    expect(pathPastDepth({ a: { b: 1 } }, 1)).toEqual(['a']);
    expect(pathPastDepth([[1], [[2]]], 2)).toEqual([1, 0]);
  });

  it('accepts 32 levels and names the path to the 33rd', () => {
    expect(pathPastDepth(nested(MAX_JSON_DEPTH))).toBeNull();
    expect(pathPastDepth(nested(MAX_JSON_DEPTH + 1))).toEqual(Array(MAX_JSON_DEPTH).fill('a'));
  });

  it('walks 100,000 levels without recursion', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000));
    expect(pathPastDepth(deep)).toHaveLength(MAX_JSON_DEPTH);
  });

  it('finds a deep branch beside shallow ones, and takes __proto__ as an ordinary key', () => {
    const value = JSON.parse(`{"x": 1, "y": [1, 2, {"z": 3}], "__proto__": ${JSON.stringify(nested(40))}}`);
    expect(pathPastDepth(value)?.[0]).toBe('__proto__');
  });
});

describe('tooDeepField', () => {
  it('names the first field of a body that nests too deep, with a shortened path', () => {
    const problem = tooDeepField({ name: 'r', hyperparameters: nested(2000) });
    expect(problem).toMatchObject({ field: 'hyperparameters', path: 'hyperparameters.a.a.a.….a.a' });
    expect(problem!.message).toBe('hyperparameters: nested more than 32 levels deep (at hyperparameters.a.a.a.….a.a); flatten it or store it as an artifact');
    expect(tooDeepField({ name: 'r', hyperparameters: nested(32) })).toBeNull();
  });

  it('measures a body that is not an object as a whole', () => {
    expect(tooDeepField(nested(40))?.field).toBe('a');
    expect(tooDeepField(JSON.parse('['.repeat(40) + ']'.repeat(40)))?.field).toBe('body');
    expect(tooDeepField('text')).toBeNull();
  });
});

describe('formatJsonPath', () => {
  it('writes indices in brackets and shortens long paths in the middle', () => {
    expect(formatJsonPath(['data', 3, 'x'])).toBe('data[3].x');
    expect(formatJsonPath([0, 'a'])).toBe('[0].a');
    expect(formatJsonPath(['a', 'b', 'c', 'd', 'e', 'f', 'g'])).toBe('a.b.c.d.….f.g');
  });
});

describe('capDepth and previewJson', () => {
  it('shortens containers past the depth and keeps shallower values whole', () => {
    expect(capDepth({ a: [1, { b: 2 }], c: 'x' }, 2)).toEqual({ a: [1, '{…}'], c: 'x' });
    expect(capDepth([[[]]], 1)).toEqual(['[…]']);
    expect(previewJson({ a: { b: { c: 1 } } }, 2)).toBe('{"a":{"b":{…}}}');
    expect(previewJson(nested(1000))).toBe('{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{…}}}}}}}}}');
    expect(previewJson([1, 'two', null, { x: [true] }])).toBe(JSON.stringify([1, 'two', null, { x: [true] }]));
  });

  it('cuts long text and keeps __proto__ as data, not as a prototype', () => {
    expect(previewJson('x'.repeat(50), 8, 10)).toBe('"xxxxxxxx…');
    const copy = capDepth(JSON.parse('{"__proto__": {"polluted": true}}'), 4) as Record<string, unknown>;
    expect(Object.keys(copy)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(previewJson(copy)).toBe('{"__proto__":{"polluted":true}}');
  });
});
