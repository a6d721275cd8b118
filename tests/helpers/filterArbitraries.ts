/**
 * Generated runs and filters for property tests of the filter language: runs with nested, odd and
 * missing values of every kind a filter reads, and filters over every kind of field (scalar, nested
 * params and config, metrics, tags, MLflow's attributes and tags, dataset inputs).
 */
import fc from 'fast-check';
import { parseFilter, type FieldRef, type FilterExpr, type Literal } from '../../src/shared/runs/filter';
import { makeRun } from './fixtures';
import type { Run } from '../../src/shared/contract/types';

export const FIELDS = [
  'name', 'status', 'seed', 'datasetId', 'gitDirty', 'gitCommit', 'notes', 'createdAt', 'endedAt', 'experimentId', 'lifecycleStage',
  'metrics.loss', 'metrics.acc', 'metrics.`a.b`', 'metrics.loss.min', 'metrics.loss.max', 'metrics.`a.b`.min', 'metrics.acc.last', 'metrics.`loss.max`', 'params.lr', 'hyperparameters.lr', 'params.optimizer', 'params.optimizer.name', 'params.optimizer.momentum',
  'params.layers', 'params.layers.0', 'params.layers.1', 'params.layers.length', 'params.lr.length', 'params.constructor', 'params.toString', 'params.__proto__',
  'config.a.b.c', 'config.a', 'tags.team', 'tags.`odd key`', 'tags.`mlflow.note.content`',
  'attributes.run_id', 'attributes.run_name', 'attributes.status', 'attributes.start_time', 'attributes.end_time', 'attributes.user_id', 'attributes.artifact_uri', 'attributes.lifecycle_stage', 'attributes.created',
  'tag.mlflow.runName', 'tag.mlflow.user', 'tag.`mlflow.note.content`', 'tag.`mlflow.source.git.commit`', 'tag.team',
  'dataset.name', 'dataset.digest', 'dataset.context',
];
export const fieldOf = (text: string): FieldRef => (parseFilter(`${text} IS NULL`) as Extract<FilterExpr, { type: 'isNull' }>).field;

const value = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double({ noNaN: true }), fc.constantFrom('adam', '0.1', ' 1e3 ', '', 'true', 'false', '0x10', 'NaN', 'Infinity', 'é'), fc.boolean(), fc.constant(null));
const tree = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, value, tie('array'), tie('object')),
  array: fc.array(tie('node'), { maxLength: 3 }),
  object: fc.dictionary(fc.constantFrom('name', 'momentum', 'b', 'c', 'constructor', 'length'), tie('node'), { maxKeys: 3 }),
})).node;
export const run: fc.Arbitrary<Run> = fc
  .record({
    lr: fc.option(tree, { nil: undefined }),
    optimizer: fc.option(tree, { nil: undefined }),
    layers: fc.option(tree, { nil: undefined }),
    a: fc.option(tree, { nil: undefined }),
    metrics: fc.dictionary(fc.constantFrom('loss', 'acc', 'a.b'), fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom('NaN', '-Infinity'))),
    extremes: fc.dictionary(
      fc.constantFrom('loss', 'a.b', 'loss.max'),
      fc.record({ min: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true, min: -2, max: 2 }), { nil: null }), max: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true, min: -2, max: 2 }), { nil: null }) }),
    ),
    tags: fc.dictionary(fc.constantFrom('team', 'odd key', 'mlflow.user', 'mlflow.note.content', 'mlflow.runName'), fc.constantFrom('risk', '', '12')),
    notes: fc.constantFrom('', 'a note'),
    gitCommit: fc.constantFrom(null, 'abc1234'),
    inputs: fc.array(fc.record({ name: fc.constantFrom('train', 'eval'), context: fc.option(fc.constantFrom('training', 'eval'), { nil: undefined }) }), { maxLength: 3 }),
  })
  .map((r) => {
    const base = makeRun({ name: 'r', notes: r.notes });
    const hyperparameters: Record<string, unknown> = {};
    if (r.lr !== undefined) hyperparameters.lr = r.lr;
    if (r.optimizer !== undefined) hyperparameters.optimizer = r.optimizer;
    if (r.layers !== undefined) hyperparameters.layers = r.layers;
    return JSON.parse(
      JSON.stringify({
        ...base,
        gitCommit: r.gitCommit,
        metrics: r.metrics,
        metricExtremes: r.extremes,
        tags: r.tags,
        hyperparameters,
        config: r.a === undefined ? {} : { a: r.a },
        inputs: r.inputs.map((i) => ({ name: i.name, digest: `d-${i.name}`, sourceType: 'local', source: '/d', schema: null, profile: null, tags: i.context === undefined ? {} : { 'mlflow.data.context': i.context }, datasetId: null })),
      }),
    ) as Run;
  });


export const literal: fc.Arbitrary<Literal> = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.double({ min: -2, max: 2, noNaN: true }),
  fc.constantFrom('adam', 'sgd', '0.1', '1', 'true', 'risk', '', 'NaN', 'FINISHED', 'completed', 'train', 'é', '{"k":1}'),
  fc.boolean(),
  fc.constant(null),
);

const leaf: fc.Arbitrary<FilterExpr> = fc.constantFrom(...FIELDS).chain((text) => {
  const field = fieldOf(text);
  return fc.oneof(
    fc.record({ op: fc.constantFrom('=', '!=', '<', '<=', '>', '>=' as const), value: literal }).map(({ op, value }): FilterExpr => ({ type: 'compare', field, op: op as '=', value })),
    fc.record({ values: fc.array(literal, { minLength: 1, maxLength: 3 }), negate: fc.boolean() }).map(({ values, negate }): FilterExpr => ({ type: 'in', field, values, negate })),
    fc
      .record({ pattern: fc.constantFrom('a%', '%m%', '_dam', 'risk', '%', 'É%', '%\\%', '\\', '1_', '%train%'), caseInsensitive: fc.boolean(), negate: fc.boolean() })
      .map((l): FilterExpr => ({ type: 'like', field, ...l })),
    fc.boolean().map((negate): FilterExpr => ({ type: 'isNull', field, negate })),
  );
});

/** Filters of up to a few levels of AND, OR and NOT over generated conditions. */
export const filterExpr: fc.Arbitrary<FilterExpr> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('and'), tie('or'), tie('not')),
  and: fc.array(tie('node'), { minLength: 2, maxLength: 3 }).map((items): FilterExpr => ({ type: 'and', items: items as FilterExpr[] })),
  or: fc.array(tie('node'), { minLength: 2, maxLength: 3 }).map((items): FilterExpr => ({ type: 'or', items: items as FilterExpr[] })),
  not: tie('node').map((e): FilterExpr => ({ type: 'not', expr: e as FilterExpr })),
})).node as fc.Arbitrary<FilterExpr>;

export type { FieldRef };
