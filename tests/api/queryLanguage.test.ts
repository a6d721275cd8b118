/**
 * One query language: ModelLab's filter strings and MLflow's filter_string parse to the same
 * FilterExpr and are searched by the store, so a filter written in MLflow's words finds the same
 * runs through either door, and runs/search asks the store for one page, not every run.
 */
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { testApp, type TestApp } from '../helpers/app';

let t: TestApp;
let ids: Record<string, string>;
beforeEach(async () => {
  t = await testApp();
  ids = {};
  const mf = (path: string, body: unknown) => request(t.app).post(`/api/2.0/mlflow/${path}`).send(body as object);
  for (const [name, lr, rmse, status] of [
    ['a', '0.1', 0.5, 'FINISHED'],
    ['b', '0.01', 0.3, 'FINISHED'],
    ['c', '0.1', 0.9, 'FAILED'],
    ['d', '1e-3', 0.1, 'RUNNING'],
  ] as const) {
    const id = (await mf('runs/create', { experiment_id: '0', run_name: name })).body.run.info.run_id as string;
    ids[name] = id;
    await mf('runs/log-batch', { run_id: id, metrics: [{ key: 'rmse', value: rmse, timestamp: 1, step: 0 }], params: [{ key: 'lr', value: lr }], tags: [{ key: 'team', value: name < 'c' ? 'x' : 'y' }] });
    await mf('runs/update', { run_id: id, status });
  }
});
afterEach(async () => {
  await t.cleanup();
});

const viaModelLab = async (filter: string) =>
  ((await request(t.app).get(`/api/modellab/runs?filter=${encodeURIComponent(filter)}&sort=name:asc`)).body.items as { name: string }[]).map((r) => r.name);
const viaMlflow = async (filter: string) =>
  ((await request(t.app).post('/api/2.0/mlflow/runs/search').send({ experiment_ids: ['0'], filter, order_by: ['attributes.run_name ASC'] })).body.runs ?? []).map(
    (r: { info: { run_name: string } }) => r.info.run_name,
  );

describe('one query language', () => {
  it.each([
    ["attributes.status = 'FINISHED'", ['a', 'b']],
    ["params.lr = '0.1'", ['a', 'c']],
    ['metrics.rmse < 0.4', ['b', 'd']],
    ["tags.team = 'y' and metrics.rmse > 0.2", ['c']],
    ["attributes.run_name LIKE '%a%'", ['a']],
    ["attributes.status IN ('FAILED', 'RUNNING')", ['c', 'd']],
    ["params.`lr` != '0.1' and attributes.status != 'RUNNING'", ['b']],
  ])('finds the same runs through both APIs: %s', async (filter, expected) => {
    expect(await viaModelLab(filter)).toEqual(expected);
    expect(await viaMlflow(filter)).toEqual(expected);
  });

  it("runs/search is one store search for one page, with MLflow's order and page token", async () => {
    const search = vi.spyOn(t.store, 'searchRuns');
    const first = await request(t.app).post('/api/2.0/mlflow/runs/search').send({ experiment_ids: ['0'], filter: 'metrics.rmse > 0', order_by: ['metrics.rmse DESC'], max_results: 3 });
    expect(first.body.runs.map((r: { info: { run_name: string } }) => r.info.run_name)).toEqual(['c', 'a', 'b']);
    expect(search).toHaveBeenCalledTimes(1);
    expect(search.mock.calls[0]![0]).toMatchObject({ limit: 3, offset: 0, filter: { type: 'compare', op: '>', value: 0 } });
    const second = await request(t.app).post('/api/2.0/mlflow/runs/search').send({ experiment_ids: ['0'], filter: 'metrics.rmse > 0', order_by: ['metrics.rmse DESC'], max_results: 3, page_token: first.body.next_page_token });
    expect(second.body.runs.map((r: { info: { run_name: string } }) => r.info.run_name)).toEqual(['d']);
    expect(second.body.next_page_token).toBeUndefined();
    expect(search.mock.calls[1]![0]).toMatchObject({ limit: 3, offset: 3 });
  });

  it('keeps MLflow\'s own checks: AND only, and comparators per kind of field', async () => {
    const or = await request(t.app).post('/api/2.0/mlflow/runs/search').send({ experiment_ids: ['0'], filter: 'metrics.rmse > 1 or metrics.rmse < 0' });
    expect(or.status).toBe(400);
    expect(or.body.message).toMatch(/AND only/);
    const paramGreater = await request(t.app).post('/api/2.0/mlflow/runs/search').send({ experiment_ids: ['0'], filter: "params.lr > '0.1'" });
    expect(paramGreater.body).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: "Invalid comparator '>' for param 'lr': use =, !=, LIKE, ILIKE, IN or NOT IN" });
    // The Runs page has OR and parentheses.
    expect(await viaModelLab("attributes.status = 'FAILED' or (params.lr = '0.01' and metrics.rmse < 1)")).toEqual(['b', 'c']);
  });
});
