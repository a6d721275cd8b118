import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../src/shared/errors';
import { compileFilter, FilterSyntaxError, likeToRegExp, parseFilter, parseSort, runComparator } from '../../../../src/shared/runs/filter';
import type { Run } from '../../../../src/shared/contract/types';
import { makeRun } from '../../../helpers/fixtures';

const runs: Run[] = [
  makeRun({ name: 'resnet-a', status: 'completed', seed: 1, hyperparameters: { lr: 0.1, optimizer: { name: 'sgd', momentum: 0.9 }, layers: 50 }, metrics: { acc: 0.91, loss: 0.3 }, tags: { team: 'vision', 'owner.email': 'a@x' } }),
  makeRun({ name: 'resnet-b', status: 'failed', seed: 2, hyperparameters: { lr: '0.01', optimizer: { name: 'adam' }, layers: 101 }, metrics: { acc: 0.85 }, tags: { team: 'vision' } }),
  makeRun({ name: 'ViT_small', status: 'running', seed: 3, hyperparameters: { lr: 0.001, optimizer: { name: 'adamw' } }, metrics: { 'val acc': 0.5 }, tags: {} }),
  makeRun({ name: '100%_done', status: 'pending', seed: 4, hyperparameters: {}, metrics: {}, config: { data: { split: 'train' } } }),
];

const names = (filter: string) => runs.filter(compileFilter(parseFilter(filter))).map((r) => r.name);

describe('parseFilter + evaluation', () => {
  it.each([
    ["status = 'completed'", ['resnet-a']],
    ["status != 'completed'", ['resnet-b', 'ViT_small', '100%_done']],
    ['metrics.acc > 0.86', ['resnet-a']],
    ['metrics.acc >= 0.85 AND metrics.loss IS NULL', ['resnet-b']],
    // AND binds tighter than OR
    ["status = 'failed' OR status = 'running' AND seed = 3", ['resnet-b', 'ViT_small']],
    ["(status = 'failed' OR status = 'running') AND seed = 2", ['resnet-b']],
    ["NOT status = 'completed' AND seed < 4", ['resnet-b', 'ViT_small']],
    ["NOT (status = 'completed' OR seed >= 3)", ['resnet-b']],
    ["status IN ('failed', 'pending')", ['resnet-b', '100%_done']],
    ["status NOT IN ('failed', 'pending')", ['resnet-a', 'ViT_small']],
    ['metrics.loss IS NOT NULL', ['resnet-a']],
    ['tags.team IS NULL', ['ViT_small', '100%_done']],
    // nested params, and a numeric literal comparing numerically with a numeric string
    ["params.optimizer.name = 'adam'", ['resnet-b']],
    ['params.optimizer.momentum = 0.9', ['resnet-a']],
    ['params.lr < 0.05', ['resnet-b', 'ViT_small']],
    ['params.layers > 60', ['resnet-b']],
    ["config.data.split = 'train'", ['100%_done']],
    // LIKE / ILIKE with wildcards and escapes
    ["name LIKE 'resnet-%'", ['resnet-a', 'resnet-b']],
    ["name LIKE 'vit%'", []],
    ["name ILIKE 'vit%'", ['ViT_small']],
    ["name LIKE 'resnet-_'", ['resnet-a', 'resnet-b']],
    ["name LIKE '100\\%\\_%'", ['100%_done']],
    ["name NOT LIKE 'resnet%'", ['ViT_small', '100%_done']],
    // backticks for keys with spaces or dots; keywords in any case
    ['metrics.`val acc` = 0.5', ['ViT_small']],
    ["tags.`owner.email` = 'a@x'", ['resnet-a']],
    ["status = \"completed\" or SEED = 4".replace('SEED', 'seed'), ['resnet-a', '100%_done']],
    ['seed in (1, 4)', ['resnet-a', '100%_done']],
  ])('%s', (filter, expected) => {
    expect(names(filter)).toEqual(expected);
  });

  it('treats a number compared with a non-numeric value as not matching (but != matches)', () => {
    expect(names('name = 5')).toEqual([]);
    expect(names('name != 5')).toHaveLength(4);
  });
});

describe('filter errors', () => {
  const error = (filter: string) => {
    try {
      parseFilter(filter);
    } catch (e) {
      return e as FilterSyntaxError;
    }
    throw new Error('parsed');
  };

  it.each([
    ["status = 'done", 'Unterminated string', 10],
    ["status = 'done' AND", 'Expected a field name', 20],
    ['metrics.acc >', 'Expected a value', 14],
    ["(status = 'a'", "Expected ')'", 14],
    ["status == 'a'", 'Expected a value', 9],
    ['bogus = 1', "Unknown field 'bogus'", 1],
    ["seed IS 'x'", 'Expected NULL after IS', 9],
    ["status IN 'a'", "Expected '(' after IN", 11],
    ['metrics = 1', 'Expected metrics.<key>', 9],
    ["status = 'a' status = 'b'", 'Expected AND, OR or the end of the filter', 14],
    ['seed = 1 $', "Unexpected character '$'", 10],
  ])('%s → %s at position %i', (filter, message, position) => {
    const e = error(filter);
    expect(e).toBeInstanceOf(AppError);
    expect(e.status).toBe(400);
    expect(e.code).toBe('invalid_filter');
    expect(e.message).toContain(message);
    expect(e.message).toContain(`at position ${position}`);
    expect((e.details as { pointer: string }).pointer.split('\n')[1]).toBe(`${' '.repeat(position - 1)}^`);
  });
});

describe('likeToRegExp', () => {
  it('escapes regular expression characters', () => {
    expect(likeToRegExp('a.b*(c)', false).test('a.b*(c)')).toBe(true);
    expect(likeToRegExp('a.b', false).test('axb')).toBe(false);
  });
});

describe('parseSort + runComparator', () => {
  it('sorts numerically with missing values last in both directions', () => {
    const by = (sort: string) => [...runs].sort(runComparator(parseSort(sort))).map((r) => r.name);
    expect(by('metrics.acc:desc')).toEqual(['resnet-a', 'resnet-b', 'ViT_small', '100%_done']);
    expect(by('metrics.acc:asc')).toEqual(['resnet-b', 'resnet-a', 'ViT_small', '100%_done']);
    expect(by('params.lr')).toEqual(['ViT_small', 'resnet-b', 'resnet-a', '100%_done']);
    expect(by('name:desc')).toEqual(['resnet-b', 'resnet-a', 'ViT_small', '100%_done']);
  });

  it('rejects an unknown field', () => {
    expect(() => parseSort('bogus:asc')).toThrow(/Unknown field/);
  });
});

describe("a metric's extremes: metrics.<key>.min and .max", () => {
  // loss logged 0.9, 0.2, 0.4 (latest 0.4, min 0.2); acc 0.5, 0.8, 0.7; a metric named "loss.max" itself.
  const logged: Run[] = [
    { ...makeRun({ name: 'a', metrics: { loss: 0.4, acc: 0.7 } }), metricExtremes: { loss: { min: 0.2, max: 0.9 }, acc: { min: 0.5, max: 0.8 } } },
    { ...makeRun({ name: 'b', metrics: { loss: 0.25 } }), metricExtremes: { loss: { min: 0.25, max: 0.6 } } },
    { ...makeRun({ name: 'c' }), metrics: { loss: 'NaN', 'loss.max': 3 }, metricExtremes: { loss: { min: null, max: null }, 'loss.max': { min: 3, max: 3 } } },
    { ...makeRun({ name: 'd', metrics: { acc: 0.9 } }), metricExtremes: {} }, // set on the run, never logged
  ];
  const matching = (filter: string) => logged.filter(compileFilter(parseFilter(filter))).map((r) => r.name);
  const sorted = (sort: string) => [...logged].sort(runComparator(parseSort(sort))).map((r) => r.name);

  it('parses the aggregate off the key; backticks keep a name ending in .min whole; .last is the latest value', () => {
    expect(parseFilter('metrics.loss.min < 1')).toMatchObject({ field: { root: 'metricExtremes', path: ['loss', 'min'] } });
    expect(parseFilter('metrics.`val.loss`.max < 1')).toMatchObject({ field: { root: 'metricExtremes', path: ['val.loss', 'max'] } });
    expect(parseFilter('metrics.val.loss.max < 1')).toMatchObject({ field: { root: 'metricExtremes', path: ['val.loss', 'max'] } });
    expect(parseFilter('metrics.`loss.max` < 1')).toMatchObject({ field: { root: 'metrics', path: ['loss.max'] } });
    expect(parseFilter('metrics.loss.last < 1')).toMatchObject({ field: { root: 'metrics', path: ['loss'] } });
    expect(parseFilter('metrics.val.loss < 1')).toMatchObject({ field: { root: 'metrics', path: ['val.loss'] } });
    // MLflow's own prefix keeps MLflow's reading: the whole rest is the key.
    expect(parseFilter('metric.loss.min < 1')).toMatchObject({ field: { root: 'metrics', path: ['loss.min'] } });
  });

  it('filters by the extremes, not the latest value', () => {
    expect(matching('metrics.loss.min < 0.24')).toEqual(['a']);
    expect(matching('metrics.loss < 0.3')).toEqual(['b']);
    expect(matching('metrics.loss.max >= 0.6')).toEqual(['a', 'b']);
    expect(matching('metrics.acc.max IS NULL')).toEqual(['b', 'c', 'd']);
    expect(matching('metrics.`loss.max` = 3')).toEqual(['c']);
  });

  it('sorts by them, runs without one last in both directions', () => {
    expect(sorted('metrics.loss.min:asc')).toEqual(['a', 'b', 'c', 'd']);
    expect(sorted('metrics.loss.max:desc')).toEqual(['a', 'b', 'c', 'd']);
    expect(sorted('metrics.loss.max:asc')).toEqual(['b', 'a', 'c', 'd']);
    expect(sorted('metrics.loss:asc')).toEqual(['b', 'a', 'c', 'd']);
  });
});

describe('sortRuns', () => {
  it('gives the same first page by partial selection as by a full sort, ties in input order', async () => {
    const { sortRuns } = await import('../../../../src/shared/runs/filter');
    const many = Array.from({ length: 500 }, (_, i) => makeRun({ name: `r${i}`, metrics: i % 7 === 0 ? {} : { acc: (i * 37) % 101 } }));
    for (const sort of ['metrics.acc:desc', 'metrics.acc:asc', 'name:asc']) {
      const spec = parseSort(sort);
      const full = sortRuns(many, spec).map((r) => r.name);
      expect(sortRuns(many, spec, 20).map((r) => r.name)).toEqual(full.slice(0, 20));
      expect(sortRuns(many, spec, 60).map((r) => r.name)).toEqual(full.slice(0, 60));
    }
  });
});

describe("MLflow's spellings in the run filter language", () => {
  const withInputs: Run = {
    ...makeRun({ name: 'logged-by-mlflow', status: 'completed', hyperparameters: { lr: '0.1', 'batch size': 32 }, metrics: { 'val acc': 0.7 }, tags: { 'mlflow.user': 'ana' } }),
    inputs: [
      { name: 'pets', digest: 'abc123', sourceType: 'local', source: '/d', schema: null, profile: null, tags: { 'mlflow.data.context': 'train' }, datasetId: null },
      { name: 'pets-eval', digest: 'def456', sourceType: 'local', source: '/e', schema: null, profile: null, tags: { 'mlflow.data.context': 'eval' }, datasetId: null },
    ],
  };
  const all = [...runs, withInputs];
  const match = (filter: string) => all.filter(compileFilter(parseFilter(filter))).map((r) => r.name);

  it.each([
    ["attributes.status = 'FINISHED'", ['resnet-a', 'logged-by-mlflow']],
    ["attribute.status IN ('FAILED', 'RUNNING')", ['resnet-b', 'ViT_small']],
    ["run.run_name LIKE 'resnet-%'", ['resnet-a', 'resnet-b']],
    ["attributes.user_id = 'ana'", ['logged-by-mlflow']],
    ["params.lr = '0.1'", ['resnet-a', 'logged-by-mlflow']], // a number 0.1 and MLflow's string '0.1' alike
    ["param.`batch size` = '32'", ['logged-by-mlflow']],
    ['metric.`val acc` > 0.6', ['logged-by-mlflow']],
    ["tag.`mlflow.runName` = 'ViT_small'", ['ViT_small']], // MLflow's system tag: the run's name
    ["dataset.context = 'eval'", ['logged-by-mlflow']], // any of the run's inputs
    ["dataset.name = 'pets' AND dataset.digest = 'def456'", ['logged-by-mlflow']],
    ["attributes.lifecycle_stage = 'active' AND attributes.start_time > 0", all.map((r) => r.name)],
  ])('%s', (filter, expected) => {
    expect(match(filter)).toEqual(expected);
  });

  it('names the unknown attribute or dataset field', () => {
    expect(() => parseFilter("attributes.color = 'red'")).toThrow(/Unknown attribute 'color'; MLflow's run attributes are run_id, run_name, status/);
    expect(() => parseFilter("dataset.size = 'big'")).toThrow(/Unknown dataset field 'size'/);
  });
});
