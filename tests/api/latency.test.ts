import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/app';

let t: TestApp;
let runId: string;
beforeEach(async () => {
  t = await testApp();
  runId = (await request(t.app).post('/api/modellab/runs').send({ name: 'served-model' })).body.id;
});
afterEach(async () => {
  await t.cleanup();
});

const samples = Array.from({ length: 100 }, (_, i) => i + 1);

describe('POST /api/modellab/runs/:id/latency', () => {
  it('computes exact interpolated percentiles, stores evaluations/latency.json and sets run.latency', async () => {
    const res = await request(t.app).post(`/api/modellab/runs/${runId}/latency`).send({ samplesMs: samples });
    expect(res.status).toBe(200);
    expect(res.body.latency.p50).toBeCloseTo(50.5, 12);
    expect(res.body.latency.p95).toBeCloseTo(95.05, 12);
    expect(res.body.latency.p99).toBeCloseTo(99.01, 12);
    expect(res.body).toMatchObject({ count: 100, errors: 0, throughput: null });
    const stored = JSON.parse(readFileSync(path.join(t.dir, 'artifacts', runId, 'evaluations', 'latency.json'), 'utf8'));
    expect(stored).toEqual(res.body);
    const run = (await request(t.app).get(`/api/modellab/runs/${runId}`)).body;
    expect(run.latency).toEqual({ p50: res.body.latency.p50, p95: res.body.latency.p95, p99: res.body.latency.p99, throughput: null, measuredAt: res.body.measuredAt });
  });

  it('keeps the earlier profile as latency-<timestamp>.json', async () => {
    await request(t.app).post(`/api/modellab/runs/${runId}/latency`).send({ samplesMs: samples });
    await request(t.app).post(`/api/modellab/runs/${runId}/latency`).send({ samplesMs: [5, 6, 7] });
    const files = readdirSync(path.join(t.dir, 'artifacts', runId, 'evaluations')).sort();
    expect(files).toHaveLength(2);
    expect(files).toContain('latency.json');
    expect(files.find((f) => f !== 'latency.json')).toMatch(/^latency-\d{4}-\d{2}-\d{2}T[\d-]+Z\.json$/);
    const listed = (await request(t.app).get(`/api/modellab/artifacts/${runId}`)).body.items.map((a: { path: string }) => a.path).sort();
    expect(listed).toEqual(files.map((f) => `evaluations/${f}`));
  });

  it.each([
    [{ samplesMs: [] }, /samplesMs/],
    [{ samplesMs: [1, -2] }, /^samplesMs\.1: must be ≥ 0/],
    [{ samplesMs: [1, 'fast'] }, /^samplesMs\.1: /],
    [{ samplesMs: [1, null] }, /^samplesMs\.1: /],
    [{ samples: [1] }, /samples/],
  ])('answers 400 for %j and stores nothing', async (body, message) => {
    const res = await request(t.app).post(`/api/modellab/runs/${runId}/latency`).send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
    expect(existsSync(path.join(t.dir, 'artifacts', runId, 'evaluations', 'latency.json'))).toBe(false);
  });

  it('answers 404 for an unknown run', async () => {
    expect((await request(t.app).post('/api/modellab/runs/nope/latency').send({ samplesMs: [1] })).status).toBe(404);
  });
});
