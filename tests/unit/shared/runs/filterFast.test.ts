/**
 * The generated-code filter (the server's fast path) answers exactly what the closure compiler
 * answers, for generated filters over generated runs: every kind of condition, nested params,
 * missing and odd values, AND/OR/NOT; and its field reader reads what fieldAccessor reads.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileColumnFilter, compileFilter, compileFilterFast, fieldAccessor, fieldAccessorFast, parseFilter, type FieldRef, type FilterExpr } from '../../../../src/shared/runs/filter';
import { makeRun } from '../../../helpers/fixtures';
import type { Run } from '../../../../src/shared/contract/types';

const FIELDS = [
  'name',
  'status',
  'seed',
  'datasetId',
  'gitDirty',
  'createdAt',
  'metrics.loss',
  'metrics.acc',
  'params.lr',
  'params.optimizer.name',
  'params.optimizer.momentum',
  'params.layers',
  'params.__proto__',
  'config.a.b.c',
  'tags.team',
  'tags.`odd key`',
  'attributes.status',
  'tag.mlflow.runName',
  'dataset.name',
];

// Texts that read as numbers ('1', '0.1') meet numbers equal to them (1, 0.1) among the values.
const literal = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double({ min: -2, max: 2, noNaN: true }), fc.constantFrom('adam', 'sgd', '0.1', '1', 'completed', 'risk', '', 'NaN'), fc.boolean(), fc.constant(null));
const leaf: fc.Arbitrary<FilterExpr> = fc.constantFrom(...FIELDS).chain((text) => {
  const field = (parseFilter(`${text} IS NULL`) as Extract<FilterExpr, { type: 'isNull' }>).field;
  return fc.oneof(
    fc.record({ op: fc.constantFrom('=', '!=', '<', '<=', '>', '>=' as const), value: literal }).map(({ op, value }): FilterExpr => ({ type: 'compare', field, op: op as '=', value })),
    fc.record({ values: fc.array(literal, { minLength: 1, maxLength: 3 }), negate: fc.boolean() }).map(({ values, negate }): FilterExpr => ({ type: 'in', field, values, negate })),
    fc.record({ pattern: fc.constantFrom('a%', '%m%', '_dam', 'risk', '%'), caseInsensitive: fc.boolean(), negate: fc.boolean() }).map((l): FilterExpr => ({ type: 'like', field, ...l })),
    fc.boolean().map((negate): FilterExpr => ({ type: 'isNull', field, negate })),
  );
});
const expr: fc.Arbitrary<FilterExpr> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('and'), tie('or'), tie('not')),
  and: fc.array(tie('node'), { minLength: 2, maxLength: 3 }).map((items): FilterExpr => ({ type: 'and', items: items as FilterExpr[] })),
  or: fc.array(tie('node'), { minLength: 2, maxLength: 3 }).map((items): FilterExpr => ({ type: 'or', items: items as FilterExpr[] })),
  not: tie('node').map((e): FilterExpr => ({ type: 'not', expr: e as FilterExpr })),
})).node as fc.Arbitrary<FilterExpr>;

const value = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double({ min: -2, max: 2, noNaN: true }), fc.constantFrom('adam', 'sgd', '0.1', '1', 'risk', 'NaN', 'Infinity', 0.1), fc.boolean(), fc.constant(null));
const run: fc.Arbitrary<Run> = fc
  .record({
    status: fc.constantFrom('pending', 'running', 'completed', 'failed' as const),
    metrics: fc.dictionary(fc.constantFrom('loss', 'acc'), fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom('NaN', 'Infinity'))),
    lr: fc.option(value, { nil: undefined }),
    optimizer: fc.option(fc.oneof(fc.record({ name: value, momentum: value }), value), { nil: undefined }),
    team: fc.option(fc.constantFrom('risk', 'growth', ''), { nil: undefined }),
    inputs: fc.array(fc.constantFrom('train', 'eval'), { maxLength: 2 }),
  })
  .map((r) => {
    const base = makeRun({ name: 'adam-run', status: r.status, metrics: {} });
    return JSON.parse(
      JSON.stringify({
        ...base,
        metrics: r.metrics,
        hyperparameters: { ...(r.lr !== undefined && { lr: r.lr }), ...(r.optimizer !== undefined && { optimizer: r.optimizer }), layers: [64, 32] },
        config: { a: { b: { c: 1 } } },
        tags: { ...(r.team !== undefined && { team: r.team }), 'odd key': 'x' },
        inputs: r.inputs.map((name) => ({ name, digest: 'abc', sourceType: 'local', source: '/d', schema: null, profile: null, tags: {}, datasetId: null })),
      }),
    ) as Run;
  });

describe('compileFilterFast', () => {
  it('answers what compileFilter answers', () => {
    fc.assert(
      fc.property(expr, fc.array(run, { minLength: 1, maxLength: 8 }), (e, runs) => {
        const slow = compileFilter(e);
        const fast = compileFilterFast(e);
        for (const r of runs) expect(fast(r)).toBe(slow(r));
      }),
      { numRuns: 400 },
    );
  });

  it('answers what compileFilter answers when it reads field columns (the JSON store\'s search)', () => {
    let compiled = 0;
    fc.assert(
      fc.property(expr, fc.array(run, { minLength: 1, maxLength: 8 }), (e, runs) => {
        const slow = compileFilter(e);
        const columnOf = (field: FieldRef) => runs.map(fieldAccessorFast(field));
        const fast = compileColumnFilter(e, columnOf);
        if (!fast) return; // a field without a column: the caller falls back
        compiled++;
        runs.forEach((r, i) => expect(fast(i)).toBe(slow(r)));
      }),
      { numRuns: 600 },
    );
    expect(compiled).toBeGreaterThan(300);
  });

  it('keeps the leaf tests\' coercions where the columns take a shortcut (text equal to a number, NaN, missing)', () => {
    const values = [1, 0.1, '1', '0.1', 'adam', 'NaN', 'Infinity', null, undefined, true, -0];
    const runs = values.map((lr, i) => makeRun({ name: `r${i}`, hyperparameters: lr === undefined ? {} : { lr } }));
    const filters = ["params.lr = '1'", "params.lr = '0.1'", 'params.lr = 1', 'params.lr != 1', 'params.lr > 0', "params.lr IN ('1', 'adam')", "params.lr NOT IN ('1', 'adam')", "params.lr IN ('0.1', 2)", 'params.lr <= 0'];
    for (const text of filters) {
      const e = parseFilter(text);
      const fast = compileColumnFilter(e, (field) => runs.map(fieldAccessorFast(field)))!;
      expect(runs.filter((_, i) => fast(i)).map((r) => r.name), text).toEqual(runs.filter(compileFilter(e)).map((r) => r.name));
    }
  });

  it('reads every field as fieldAccessor reads it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIELDS), run, (text, r) => {
        const field = (parseFilter(`${text} IS NULL`) as Extract<FilterExpr, { type: 'isNull' }>).field;
        expect(fieldAccessorFast(field)(r)).toEqual(fieldAccessor(field)(r));
      }),
      { numRuns: 300 },
    );
  });

  it('finds the same runs for a typical sweep filter', () => {
    const runs = Array.from({ length: 50 }, (_, i) => makeRun({ name: `r${i}`, status: i % 5 ? 'completed' : 'failed', hyperparameters: { optimizer: { name: ['sgd', 'adam', 'adamw'][i % 3] } }, metrics: { m: (i % 10) / 10 } }));
    const e = parseFilter("status = 'completed' AND params.optimizer.name IN ('adam', 'adamw') AND metrics.m > 0.25");
    const fast = runs.filter(compileFilterFast(e)).map((r) => r.name);
    expect(fast).toEqual(runs.filter(compileFilter(e)).map((r) => r.name));
    // By hand: i % 5 ≠ 0, i % 3 ∈ {1, 2}, i % 10 ≥ 3.
    expect(fast).toEqual(runs.filter((_, i) => i % 5 !== 0 && i % 3 !== 0 && i % 10 >= 3).map((r) => r.name));
  });
});
