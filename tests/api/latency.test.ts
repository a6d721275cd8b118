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
    [{ samplesMs: [1, 2], errorsByKind: { timeout: 3 } }, /^errorsByKind: cannot exceed the number of samples/],
    [{ samplesMs: [1, 2], errorsByKind: { timeout: 0.5 } }, /^errorsByKind\.timeout: /],
    [{ samplesMs: [1, 2], durationMs: 0 }, /^durationMs: /],
    [{ samplesMs: [1, 2], config: { note: 'x'.repeat(20_000) } }, /^config: at most 16 KB/],
  ])('answers 400 for %j and stores nothing', async (body, message) => {
    const res = await request(t.app).post(`/api/modellab/runs/${runId}/latency`).send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
    expect(existsSync(path.join(t.dir, 'artifacts', runId, 'evaluations', 'latency.json'))).toBe(false);
  });

  it("takes the load run's duration and failures with the samples (as the CLI sends them)", async () => {
    const res = await request(t.app)
      .post(`/api/modellab/runs/${runId}/latency`)
      .send({ samplesMs: samples, durationMs: 2000, errorsByKind: { 'status:500': 3, timeout: 1 }, config: { tool: 'modellab profile', concurrency: 8 } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ count: 100, errors: 4, errorsByKind: { 'status:500': 3, timeout: 1 }, throughput: 50, durationMs: 2000 });
    expect(res.body.config).toEqual({ source: 'client samples', tool: 'modellab profile', concurrency: 8 });
    expect(res.body.latency.p50).toBeCloseTo(50.5, 12);
    expect((await request(t.app).get(`/api/modellab/runs/${runId}`)).body.latency.throughput).toBe(50);
  });

  it('answers 404 for an unknown run', async () => {
    expect((await request(t.app).post('/api/modellab/runs/nope/latency').send({ samplesMs: [1] })).status).toBe(404);
  });
});

describe('POST /api/modellab/runs/:id/profile', () => {
  it('sends a JSON object body as JSON (content-type application/json unless a header says otherwise), a text body as it is', async () => {
    const http = await import('node:http');
    const seen: { type: string | undefined; body: string }[] = [];
    const target = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        seen.push({ type: req.headers['content-type'], body });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(target.address() as { port: number }).port}/predict`;
      const profileWith = async (targetSpec: object) => {
        seen.length = 0;
        const res = await request(t.app).post(`/api/modellab/runs/${runId}/profile`).send({ target: { url, method: 'POST', ...targetSpec }, requests: 2, concurrency: 1 });
        expect(res.status).toBe(200);
        return seen[0]!;
      };
      expect(await profileWith({ body: { inputs: [[0.1, 0.2]] } })).toEqual({ type: 'application/json', body: '{"inputs":[[0.1,0.2]]}' });
      expect(await profileWith({ body: [1, 2], headers: { 'Content-Type': 'application/vnd.api+json' } })).toEqual({ type: 'application/vnd.api+json', body: '[1,2]' });
      expect(await profileWith({ body: 'a=1' })).toEqual({ type: undefined, body: 'a=1' });
    } finally {
      target.close();
    }
  });

  it('profiles an allowed local endpoint, stores the result and sets run.latency', async () => {
    const http = await import('node:http');
    const target = http.createServer((_req, res) => setTimeout(() => res.end('ok'), 2));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (target.address() as { port: number }).port;
      const res = await request(t.app).post(`/api/modellab/runs/${runId}/profile`).send({ target: { url: `http://127.0.0.1:${port}/predict` }, warmup: 3, requests: 30, concurrency: 3 });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ count: 30, errors: 0, config: { warmup: 3, concurrency: 3, requests: 30 } });
      expect(res.body.latency.p50).toBeGreaterThanOrEqual(2);
      expect(res.body.throughput).toBeGreaterThan(0);
      const run = (await request(t.app).get(`/api/modellab/runs/${runId}`)).body;
      expect(run.latency).toMatchObject({ p50: res.body.latency.p50, throughput: res.body.throughput });
      expect(existsSync(path.join(t.dir, 'artifacts', runId, 'evaluations', 'latency.json'))).toBe(true);
    } finally {
      target.close();
    }
  });

  it.each(['http://example.com/predict', 'http://10.0.0.1:8000/', 'http://[::2]/', 'http://127.0.0.1.nip.io/'])('answers 403 for %s (not in the allow-list) without profiling', async (url) => {
    const res = await request(t.app).post(`/api/modellab/runs/${runId}/profile`).send({ target: { url }, requests: 1 });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(/MODELLAB_PROFILE_ALLOWED_HOSTS/);
    expect((await request(t.app).get(`/api/modellab/runs/${runId}`)).body.latency).toBeNull();
  });

  it.each([
    [{ target: { url: 'file:///etc/passwd' }, requests: 1 }, /http or https/],
    [{ target: { url: 'http://127.0.0.1/' }, requests: 1, concurrency: 2000 }, /^concurrency: /],
    [{ target: { url: 'http://127.0.0.1/' }, durationMs: 700_000 }, /^durationMs: /],
    [{ target: { url: 'http://127.0.0.1/' }, requests: 1, durationMs: 10 }, /exactly one of requests or durationMs/],
    [{ target: { url: 'http://127.0.0.1/' } }, /exactly one of requests or durationMs/],
  ])('answers 400 for %j', async (body, message) => {
    const res = await request(t.app).post(`/api/modellab/runs/${runId}/profile`).send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
  });
});

describe('GET /api/modellab/runs/:id/latency', () => {
  it('answers the current profile, null before the first one', async () => {
    expect((await request(t.app).get(`/api/modellab/runs/${runId}/latency`)).body).toEqual({ profile: null });
    const stored = (await request(t.app).post(`/api/modellab/runs/${runId}/latency`).send({ samplesMs: samples })).body;
    expect((await request(t.app).get(`/api/modellab/runs/${runId}/latency`)).body).toEqual({ profile: stored });
    expect((await request(t.app).get(`/api/modellab/runs/${'f'.repeat(32)}/latency`)).status).toBe(404);
  });
});
