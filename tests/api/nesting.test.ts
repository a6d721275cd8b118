/**
 * Free-form JSON nests at most 32 levels: deeper bodies answer 400 naming the field (MLflow's API:
 * INVALID_PARAMETER_VALUE) before anything recursive sees them, and nothing is stored. Records that
 * were stored deeper before the limit existed keep loading through every reader.
 */
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeRun } from '../helpers/fixtures';
import { testApp, type TestApp } from '../helpers/app';

const nested = (levels: number): Record<string, unknown> => {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value as Record<string, unknown>;
};
const ML = '/api/modellab';

let t: TestApp;
beforeEach(async () => {
  t = await testApp();
});
afterEach(async () => {
  expect(t.logged).toEqual([]); // no 5xx
  await t.cleanup();
});

const runCount = async () => (await request(t.app).get(`${ML}/runs`)).body.total as number;

describe('the nesting limit (ModelLab API)', () => {
  it('answers 400 naming the field for 2,000 levels of hyperparameters, and stores nothing', async () => {
    const res = await request(t.app).post(`${ML}/runs`).send({ name: 'deep', hyperparameters: nested(2000) });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toMatch(/^hyperparameters: nested more than 32 levels deep \(at hyperparameters\.a\.a\.a\.…\.a\.a\)/);
    expect(res.body.error.details).toEqual({ field: 'hyperparameters', path: 'hyperparameters.a.a.a.….a.a' });
    expect(await runCount()).toBe(0);
  });

  it('accepts 32 levels (the field counted as level 1) and refuses 33', async () => {
    const ok = await request(t.app).post(`${ML}/runs`).send({ name: 'ok', config: { a: nested(31) } });
    expect(ok.status).toBe(201);
    expect((await request(t.app).get(`${ML}/runs/${ok.body.id}`)).body.config).toEqual({ a: nested(31) });
    const deep = await request(t.app).post(`${ML}/runs`).send({ name: 'deep', config: { a: nested(32) } });
    expect(deep.status).toBe(400);
    expect(deep.body.error.details.field).toBe('config');
    expect(await runCount()).toBe(1);
  });

  it('answers 400 for a body of 100,000 nested arrays (the parser does not recurse)', async () => {
    const res = await request(t.app).post(`${ML}/runs`).set('content-type', 'application/json').send('['.repeat(100_000) + ']'.repeat(100_000));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^body: nested more than 32 levels/);
  });

  it('refuses a deep update and leaves the run as it was', async () => {
    const id = (await request(t.app).post(`${ML}/runs`).send({ name: 'r', hyperparameters: { lr: 0.1 } })).body.id;
    const res = await request(t.app).put(`${ML}/runs/${id}`).send({ hyperparameters: nested(100), tags: { t: 'x' } });
    expect(res.status).toBe(400);
    expect(res.body.error.details.field).toBe('hyperparameters');
    const run = (await request(t.app).get(`${ML}/runs/${id}`)).body;
    expect([run.hyperparameters, run.tags]).toEqual([{ lr: 0.1 }, {}]);
  });

  it('refuses deep evaluation records and latency config without writing anything', async () => {
    const id = (await request(t.app).post(`${ML}/runs`).send({ name: 'r' })).body.id;
    const evaluation = await request(t.app)
      .post(`${ML}/runs/${id}/evaluate`)
      .send({ predictions: ['a', 'b'], labels: ['a', 'b'], data: [{ x: 1 }, { x: nested(40) }], config: { taskType: 'classification', classes: ['a', 'b'] } });
    expect(evaluation.status).toBe(400);
    expect(evaluation.body.error.message).toMatch(/^data: nested more than 32 levels deep \(at data\[1\]\.x\.a/);
    const latency = await request(t.app).post(`${ML}/runs/${id}/latency`).send({ samplesMs: [1], config: { tool: nested(40) } });
    expect(latency.status).toBe(400);
    expect(latency.body.error.details.field).toBe('config');
    expect((await request(t.app).get(`${ML}/artifacts/${id}`)).body.items).toEqual([]);
  });

  it('refuses a deep expectedSchema form field on a dataset upload with 400, storing no version', async () => {
    const res = await request(t.app)
      .post(`${ML}/datasets`)
      .field('expectedSchema', JSON.stringify(nested(50)))
      .attach('file', Buffer.from('x\n1\n'), 'd.csv');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^expectedSchema: nested more than 32 levels deep/);
    expect((await request(t.app).get(`${ML}/datasets`)).body.total).toBe(0);
  });
});

describe('the nesting limit (MLflow API)', () => {
  it('answers 400 INVALID_PARAMETER_VALUE for a deep body and a deep model_json', async () => {
    const runId = (await request(t.app).post('/api/2.0/mlflow/runs/create').send({ experiment_id: '0' })).body.run.info.run_id;
    const batch = await request(t.app).post('/api/2.0/mlflow/runs/log-batch').send({ run_id: runId, params: [{ key: 'k', value: 'v', extra: nested(50) }] });
    expect(batch.status).toBe(400);
    expect(batch.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(batch.body.message).toMatch(/^params: nested more than 32 levels/);
    const model = await request(t.app).post('/api/2.0/mlflow/runs/log-model').send({ run_id: runId, model_json: JSON.stringify(nested(50)) });
    expect(model.status).toBe(400);
    expect(model.body).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: "Invalid value for parameter 'model_json': nested more than 32 levels deep" });
    const run = (await request(t.app).get(`/api/2.0/mlflow/runs/get?run_id=${runId}`)).body.run;
    expect(run.data.params).toBeUndefined();
  });
});

describe('records stored deeper before the limit', () => {
  it('keep loading through the run, list, filter, compare and MLflow readers', async () => {
    // 1,000 levels were accepted before the limit existed; such a record goes in through the store.
    const run = await t.store.createRun({ ...makeRun({ name: 'old-deep' }), hyperparameters: { deep: nested(1000), lr: 0.1 } });
    const other = await t.store.createRun(makeRun({ name: 'other' }));
    const got = await request(t.app).get(`${ML}/runs/${run.id}`);
    expect(got.status).toBe(200);
    expect(got.body.hyperparameters.deep).toEqual(nested(1000));
    expect((await request(t.app).get(`${ML}/runs?filter=${encodeURIComponent('params.lr = 0.1')}`)).body.items.map((r: { id: string }) => r.id)).toEqual([run.id]);
    expect((await request(t.app).get(`${ML}/compare?runs=${run.id},${other.id}`)).status).toBe(200);
    const mlflow = await request(t.app).get(`/api/2.0/mlflow/runs/get?run_id=${run.id}`);
    expect(mlflow.status).toBe(200);
    expect((await request(t.app).post('/api/2.0/mlflow/runs/search').send({ experiment_ids: ['0'] })).body.runs).toHaveLength(2);
    expect((await request(t.app).get(`${ML}/runs/${run.id}/report?format=html`)).status).toBe(200);
  });
});
