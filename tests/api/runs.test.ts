import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/app';
import { makeDataset } from '../helpers/fixtures';

let t: TestApp;
beforeEach(async () => {
  t = await testApp();
});
afterEach(async () => {
  await t.cleanup();
});

const create = (body: object) => request(t.app).post('/api/modellab/runs').send(body);

describe('POST /api/modellab/runs', () => {
  it('answers 201 with the full run and a URL-safe id', async () => {
    const res = await create({ name: 'resnet', hyperparameters: { lr: 0.001, arch: { depth: 50 } }, seed: 1234, tags: { team: 'cv' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'resnet',
      status: 'pending',
      seed: 1234,
      hyperparameters: { lr: 0.001, arch: { depth: 50 } },
      tags: { team: 'cv' },
      metrics: {},
      latency: null,
      startedAt: null,
    });
    expect(res.body.id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);
  });

  it('answers 422 when datasetId names no dataset', async () => {
    const res = await create({ name: 'x', datasetId: 'nope' });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('unprocessable_entity');
  });

  it('links a run to an existing dataset version', async () => {
    const dataset = await t.store.createDataset(makeDataset());
    const res = await create({ name: 'x', datasetId: dataset.id });
    expect(res.status).toBe(201);
    expect(res.body.datasetId).toBe(dataset.id);
  });

  it('rejects a name over 256 characters and a hyperparameter value over 64 KB', async () => {
    expect((await create({ name: 'n'.repeat(257) })).status).toBe(400);
    const big = await create({ name: 'x', hyperparameters: { vocab: 'v'.repeat(70_000) } });
    expect(big.status).toBe(400);
    expect(big.body.error.message).toMatch(/^hyperparameters\.vocab: /);
    expect((await create({ name: 'x', hyperparameters: { prompt: 'p'.repeat(60_000) } })).status).toBe(201);
  });

  it('rejects wrong types', async () => {
    for (const body of [{ name: 5 }, { name: 'x', seed: 1.5 }, { name: 'x', tags: { a: 1 } }, { name: 'x', metrics: { a: 'high' } }, [1, 2]]) {
      const res = await create(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });
});

describe('GET /api/modellab/runs/:id', () => {
  it('answers 404 naming the unknown id', async () => {
    const res = await request(t.app).get('/api/modellab/runs/abc');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'not_found', message: expect.stringContaining("'abc'") });
  });
});

describe('PUT /api/modellab/runs/:id', () => {
  it('moves pending → running → completed with timestamps', async () => {
    const { body: run } = await create({ name: 'x' });
    const running = await request(t.app).put(`/api/modellab/runs/${run.id}`).send({ status: 'running' });
    expect(running.status).toBe(200);
    expect(running.body.startedAt).not.toBeNull();
    const done = await request(t.app).put(`/api/modellab/runs/${run.id}`).send({ status: 'completed', metrics: { acc: 0.93 } });
    expect(done.body).toMatchObject({ status: 'completed', metrics: { acc: 0.93 } });
    expect(done.body.endedAt).not.toBeNull();
  });

  it('returns 409 when a completed run is set to running', async () => {
    const { body: run } = await create({ name: 'x', status: 'completed' });
    const res = await request(t.app).put(`/api/modellab/runs/${run.id}`).send({ status: 'running' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
    expect(res.body.error.details).toEqual({ from: 'completed', to: 'running', allowed: [] });
  });

  it('keeps all 50 tags from 50 concurrent PUTs', async () => {
    const { body: run } = await create({ name: 'x' });
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => request(t.app).put(`/api/modellab/runs/${run.id}`).send({ tags: { [`tag${i}`]: `v${i}` } })),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const { body } = await request(t.app).get(`/api/modellab/runs/${run.id}`);
    expect(Object.keys(body.tags)).toHaveLength(50);
    expect(body.tags.tag17).toBe('v17');
  });
});

describe('concurrent creates', () => {
  it('300 concurrent POSTs give 300 runs', async () => {
    const responses = await Promise.all(Array.from({ length: 300 }, (_, i) => create({ name: `r${i}` })));
    expect(responses.filter((r) => r.status === 201)).toHaveLength(300);
    const list = await request(t.app).get('/api/modellab/runs?limit=1000');
    expect(list.body.total).toBe(300);
    expect(new Set(list.body.items.map((r: { id: string }) => r.id)).size).toBe(300);
  });
});

describe('GET /api/modellab/runs', () => {
  it('filters by status and pages', async () => {
    for (let i = 0; i < 3; i++) await create({ name: `p${i}` });
    await create({ name: 'r', status: 'running' });
    const res = await request(t.app).get('/api/modellab/runs?status=pending&limit=2&offset=1');
    expect(res.body).toMatchObject({ total: 3, limit: 2, offset: 1 });
    expect(res.body.items.map((r: { name: string }) => r.name)).toEqual(['p1', 'p0']);
    expect((await request(t.app).get('/api/modellab/runs?status=bogus')).status).toBe(400);
  });

  it('says whether more runs follow, counts alone with limit=0, and pages without the count with count=false', async () => {
    for (let i = 0; i < 3; i++) await create({ name: `p${i}` });
    expect((await request(t.app).get('/api/modellab/runs?limit=2')).body).toMatchObject({ total: 3, more: true });
    expect((await request(t.app).get('/api/modellab/runs?limit=2&offset=1')).body).toMatchObject({ total: 3, more: false });
    expect((await request(t.app).get(`/api/modellab/runs?limit=0&filter=${encodeURIComponent("name != 'p1'")}`)).body).toEqual({ items: [], total: 2, more: true, limit: 0, offset: 0 });
    const page = await request(t.app).get('/api/modellab/runs?limit=2&count=false');
    expect(page.body.items.map((r: { name: string }) => r.name)).toEqual(['p2', 'p1']);
    expect(page.body.more).toBe(true);
    expect((await request(t.app).get('/api/modellab/runs?count=maybe')).status).toBe(400);
  });
});

describe('GET /api/modellab/stats best runs', () => {
  it('names the best run per common metric: highest accuracy, lowest loss', async () => {
    await create({ name: 'a', metrics: { accuracy: 0.8, val_loss: 0.5 } });
    await create({ name: 'b', metrics: { accuracy: 0.9, val_loss: 0.7 } });
    await create({ name: 'c', metrics: { accuracy: 0.85 } });
    const res = await request(t.app).get('/api/modellab/stats');
    expect(res.body.runs.bestByMetric).toEqual([
      { key: 'accuracy', direction: 'max', value: 0.9, runId: expect.any(String), runName: 'b', runsWithKey: 3 },
      { key: 'val_loss', direction: 'min', value: 0.5, runId: expect.any(String), runName: 'a', runsWithKey: 2 },
    ]);
  });
});

describe('DELETE /api/modellab/runs/:id', () => {
  it('answers 204 and then 404', async () => {
    const { body: run } = await create({ name: 'x' });
    expect((await request(t.app).delete(`/api/modellab/runs/${run.id}`)).status).toBe(204);
    expect((await request(t.app).get(`/api/modellab/runs/${run.id}`)).status).toBe(404);
    expect((await request(t.app).delete(`/api/modellab/runs/${run.id}`)).status).toBe(404);
  });
});

describe('GET /api/modellab/stats', () => {
  it('counts datasets and runs by status and lists the 5 most recent runs', async () => {
    await t.store.createDataset(makeDataset());
    for (let i = 0; i < 6; i++) await create({ name: `r${i}`, status: i < 2 ? 'completed' : 'pending' });
    const res = await request(t.app).get('/api/modellab/stats');
    expect(res.body.datasets).toBe(1);
    expect(res.body.runs).toMatchObject({ total: 6, byStatus: { pending: 4, running: 0, completed: 2, failed: 0 } });
    expect(res.body.runs.createdPerDay).toHaveLength(30);
    expect(res.body.runs.createdPerDay.at(-1)).toEqual({ date: new Date().toISOString().slice(0, 10), count: 6 });
    expect(res.body.recentRuns.map((r: { name: string }) => r.name)).toEqual(['r5', 'r4', 'r3', 'r2', 'r1']);
  });
});

describe('run.metrics after a burst of metric logging', () => {
  it('is updated once per turn with the newest values, not once per request', async () => {
    const run = (await create({ name: 'burst' })).body;
    const original = t.store.updateRun.bind(t.store);
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    t.store.updateRun = async (id, change) => {
      calls++;
      await gate; // the first update waits its turn (as behind a row lock) while more points arrive
      return original(id, change);
    };
    for (let i = 1; i <= 10; i++) {
      const res = await request(t.app).post(`/api/modellab/runs/${run.id}/metrics`).send({ metrics: [{ key: 'acc', value: i / 10 }, { key: `only_${i}`, value: i }] });
      expect(res.status).toBe(201);
    }
    release();
    await expect.poll(async () => (await t.store.getRun(run.id)).metrics.acc).toBe(1);
    expect(calls).toBe(1);
    const metrics = (await t.store.getRun(run.id)).metrics;
    for (let i = 1; i <= 10; i++) expect(metrics[`only_${i}`]).toBe(i); // every key of every batch kept
    // Once the waiting update has read its values, the next batch starts a new one.
    await request(t.app).post(`/api/modellab/runs/${run.id}/metrics`).send({ metrics: [{ key: 'acc', value: 0.5 }] });
    await expect.poll(async () => (await t.store.getRun(run.id)).metrics.acc).toBe(0.5);
    expect(calls).toBe(2);
  });
});
