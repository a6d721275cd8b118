/**
 * The runs CSV export read by pandas: a fixed set of runs (text with commas, quotes, a newline and
 * non-ASCII; numbers; missing values; a metric's min over its points) exports to exactly the file
 * tests/fixtures/export/runs.csv, which pandas.read_csv reads as tests/fixtures/export/pandas.json
 * says (tests/fixtures/generate_export_fixture.py) — the values a user gets in a DataFrame.
 * UPDATE_EXPORT_FIXTURE=1 rewrites runs.csv (then regenerate pandas.json).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/app';

const HERE = path.resolve(import.meta.dirname, '../fixtures/export');
const COLUMNS = 'name,status,seed,params.lr,params.opt.name,params.layers,tags.note,metrics.acc,metrics.loss.min,metrics.loss.max';
let t: TestApp;

beforeAll(async () => {
  t = await testApp();
  const runs = [
    { name: 'alpha', seed: 1, hyperparameters: { lr: 0.001, opt: { name: 'adam' }, layers: [64, 32] }, tags: { note: 'plain' }, metrics: { acc: 0.91 } },
    { name: 'beta, with a comma', seed: 2, hyperparameters: { lr: 0.01, opt: { name: 'sgd' } }, tags: { note: 'says "hi"' }, metrics: { acc: 0.5 } },
    { name: 'gamma', seed: 3, hyperparameters: { lr: 1e-5 }, tags: { note: 'two\nlines' }, metrics: {} },
    { name: 'δέλτα — ünïcödé', seed: 4, hyperparameters: { opt: { name: 'rmsprop' } }, tags: {}, metrics: { acc: 1 } },
  ];
  for (const run of runs) {
    const { id } = (await request(t.app).post('/api/modellab/runs').send(run)).body;
    if (run.name === 'alpha') await request(t.app).post(`/api/modellab/runs/${id}/metrics`).send({ metrics: [3, 0.25, 1].map((value, step) => ({ key: 'loss', value, step })) });
  }
});
afterAll(async () => t?.cleanup());

it('exports the fixed runs to exactly the file pandas reads as the fixture says', async () => {
  const res = await request(t.app).get(`/api/modellab/runs/export?sort=name:asc&columns=${encodeURIComponent(COLUMNS)}`);
  expect(res.status).toBe(200);
  if (process.env.UPDATE_EXPORT_FIXTURE === '1') writeFileSync(path.join(HERE, 'runs.csv'), res.text);
  expect(res.text).toBe(readFileSync(path.join(HERE, 'runs.csv'), 'utf8'));
  const pandas = JSON.parse(readFileSync(path.join(HERE, 'pandas.json'), 'utf8')) as { columns: string[]; dtypes: Record<string, string>; rows: unknown[][] };
  // What a user gets from pd.read_csv: the columns as named, numbers as numbers, text intact, gaps as NaN.
  expect(pandas.columns).toEqual(COLUMNS.split(','));
  expect(pandas.dtypes).toMatchObject({ seed: 'int64', 'params.lr': 'float64', 'metrics.acc': 'float64', 'metrics.loss.min': 'float64', name: 'object', 'tags.note': 'object' });
  expect(pandas.rows).toEqual([
    ['alpha', 'pending', 1, 0.001, 'adam', '[64,32]', 'plain', 0.91, 0.25, 3],
    ['beta, with a comma', 'pending', 2, 0.01, 'sgd', null, 'says "hi"', 0.5, null, null],
    ['gamma', 'pending', 3, 1e-5, null, null, 'two\nlines', null, null, null],
    ['δέλτα — ünïcödé', 'pending', 4, null, 'rmsprop', null, null, 1, null, null],
  ]);
});
