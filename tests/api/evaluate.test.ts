import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/app';

let t: TestApp;
let runId: string;
beforeEach(async () => {
  t = await testApp();
  runId = (await request(t.app).post('/api/modellab/runs').send({ name: 'classifier' })).body.id;
});
afterEach(async () => {
  await t.cleanup();
});

// The seed README's request, filled in.
const body = {
  predictions: ['cat', 'dog', 'dog', 'cat', 'bird', 'cat', 'dog', 'bird'],
  labels: ['cat', 'dog', 'cat', 'cat', 'bird', 'dog', 'dog', 'bird'],
  data: [1, 2, 3, 4, 5, 6, 7, 8].map((i) => ({ age: 20 + i, gender: i % 2 ? 'f' : 'm' })),
  config: { taskType: 'classification', classes: ['cat', 'dog', 'bird'], sliceAttributes: ['gender'], bootstrap: { resamples: 100, seed: 3 } },
};
const evaluations = () => path.join(t.dir, 'artifacts', runId, 'evaluations');

describe('POST /api/modellab/runs/:id/evaluate', () => {
  it('answers the three documents, stores them as artifacts and sets the run metrics', async () => {
    const res = await request(t.app).post(`/api/modellab/runs/${runId}/evaluate`).send(body);
    expect(res.status).toBe(200);
    expect(res.body.metrics).toMatchObject({ runId, taskType: 'classification', n: 8, bootstrap: { resamples: 100, level: 0.95, seed: 3, method: 'percentile' } });
    expect(res.body.metrics.metrics.accuracy.value).toBe(0.75); // 6 of 8 (hand-counted)
    expect(res.body.metrics.confusionMatrix).toEqual({ labels: ['cat', 'dog', 'bird'], matrix: [[2, 1, 0], [1, 2, 0], [0, 0, 2]] });
    expect(res.body.slices.slices.map((s: { value: string; count: number }) => [s.value, s.count])).toEqual([['f', 4], ['m', 4]]);
    expect(res.body.failureExamples).toMatchObject({ runId, total: 2 });
    for (const name of ['metrics.json', 'slices.json', 'failure_examples.json', 'predictions.json']) expect(existsSync(path.join(evaluations(), name)), name).toBe(true);
    expect(JSON.parse(readFileSync(path.join(evaluations(), 'metrics.json'), 'utf8'))).toEqual(res.body.metrics);
    const listed = await request(t.app).get(`/api/modellab/artifacts/${runId}`);
    expect(listed.body.items.map((a: { path: string }) => a.path).sort()).toEqual([
      'evaluations/curves.json',
      'evaluations/failure_examples.json',
      'evaluations/metrics.json',
      'evaluations/predictions.json',
      'evaluations/slices.json',
    ]);
    const run = await request(t.app).get(`/api/modellab/runs/${runId}`);
    expect(run.body.metrics.accuracy).toBe(0.75);
  });

  it('keeps the previous set under evaluations/history/<timestamp>/ when evaluated again', async () => {
    await request(t.app).post(`/api/modellab/runs/${runId}/evaluate`).send(body);
    const again = await request(t.app).post(`/api/modellab/runs/${runId}/evaluate`).send({ ...body, predictions: body.labels });
    expect(again.body.metrics.metrics.accuracy.value).toBe(1);
    const history = readdirSync(path.join(evaluations(), 'history'));
    expect(history).toHaveLength(1);
    const old = JSON.parse(readFileSync(path.join(evaluations(), 'history', history[0]!, 'metrics.json'), 'utf8'));
    expect(old.metrics.accuracy.value).toBe(0.75);
  });

  it('answers 422 with the first offending index and stores nothing', async () => {
    const res = await request(t.app).post(`/api/modellab/runs/${runId}/evaluate`).send({ ...body, labels: [...body.labels.slice(0, 5), 'horse', 'dog', 'bird'] });
    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual({ field: 'labels', index: 5 });
    expect(existsSync(evaluations())).toBe(false);
    expect((await request(t.app).get(`/api/modellab/runs/${runId}`)).body.metrics).toEqual({});
  });

  it('answers 400 for a malformed body and 404 for an unknown run', async () => {
    const res = await request(t.app).post(`/api/modellab/runs/${runId}/evaluate`).send({ ...body, config: { ...body.config, taskType: 'ranking' } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^config.taskType: /);
    expect((await request(t.app).post('/api/modellab/runs/nope/evaluate').send(body)).status).toBe(404);
  });

  it('accepts bodies over the general JSON limit on this route only', async () => {
    const n = 150_000;
    const big = {
      predictions: Array.from({ length: n }, (_, i) => (i % 3 ? 0.8 : 0.3)),
      labels: Array.from({ length: n }, (_, i) => (i % 2 ? 'yes' : 'no')),
      config: { taskType: 'classification', classes: ['no', 'yes'], bootstrap: { resamples: 20 } },
    };
    const size = Buffer.byteLength(JSON.stringify(big));
    expect(size).toBeGreaterThan(1024 * 1024);
    const res = await request(t.app).post(`/api/modellab/runs/${runId}/evaluate`).send(big);
    expect(res.status).toBe(200);
    expect(res.body.metrics.n).toBe(n);
    const elsewhere = await request(t.app).put(`/api/modellab/runs/${runId}`).send({ notes: 'x'.repeat(size) });
    expect(elsewhere.status).toBe(413);
  });
});

describe('GET /api/modellab/runs/:id/report', () => {
  it('renders the evaluation as Markdown and as self-contained, escaped HTML', async () => {
    await request(t.app).put(`/api/modellab/runs/${runId}`).send({ name: '<script>alert(1)</script>' });
    await request(t.app).post(`/api/modellab/runs/${runId}/evaluate`).send(body);
    const md = await request(t.app).get(`/api/modellab/runs/${runId}/report?format=md`);
    expect(md.status).toBe(200);
    expect(md.headers['content-type']).toContain('text/markdown');
    expect(md.headers['content-disposition']).toContain('attachment; filename="modellab-report-_script_alert_1_script_.md"');
    expect(md.text).toMatch(/\| accuracy \| 0\.75 \| \\\[0\.\d+, 1\\\] \|/); // brackets escaped for Markdown
    expect(md.text).toContain('## Confusion matrix (rows: true, columns: predicted)');
    expect(md.text).toContain('| cat | 2 | 1 | 0 |');
    const html = await request(t.app).get(`/api/modellab/runs/${runId}/report`);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html.text).not.toContain('<script>');
    expect(html.text).toContain('<td>accuracy</td><td>0.75</td>');
  });

  it('says when a run has not been evaluated, and refuses an unknown format', async () => {
    const res = await request(t.app).get(`/api/modellab/runs/${runId}/report?format=md`);
    expect(res.text).toContain('has not been evaluated yet');
    expect((await request(t.app).get(`/api/modellab/runs/${runId}/report?format=pdf`)).status).toBe(400);
  });
});

describe('a large evaluation', () => {
  it('runs off the main thread: the server answers other requests meanwhile', async () => {
    const n = 60_000;
    const big = {
      predictions: Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 1000),
      labels: Array.from({ length: n }, (_, i) => (i % 3 ? 'yes' : 'no')),
      config: { taskType: 'classification', classes: ['no', 'yes'], bootstrap: { resamples: 400 } },
    };
    const server = t.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/modellab`;
    try {
      let evaluated = false;
      const evaluation = fetch(`${base}/runs/${runId}/evaluate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(big) }).then(async (r) => {
        evaluated = true;
        return { status: r.status, body: (await r.json()) as { metrics: { n: number } } };
      });
      // While it runs, health checks keep answering.
      let answeredDuring = 0;
      while (!evaluated) {
        const started = Date.now();
        const res = await fetch(`${base}/health`);
        if (res.status === 200 && !evaluated && Date.now() - started < 1000) answeredDuring++;
        await new Promise((r) => setTimeout(r, 50));
      }
      const result = await evaluation;
      expect(result.status).toBe(200);
      expect(result.body.metrics.n).toBe(n);
      expect(answeredDuring).toBeGreaterThan(3);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });

  it('reports invalid input found in the worker as 422 with the index', async () => {
    const n = 30_000;
    const labels: string[] = Array.from({ length: n }, (_, i) => (i % 3 ? 'yes' : 'no'));
    labels[20_000] = 'maybe';
    const res = await request(t.app)
      .post(`/api/modellab/runs/${runId}/evaluate`)
      .send({ predictions: labels.map(() => 0.5), labels, config: { taskType: 'classification', classes: ['no', 'yes'], bootstrap: { resamples: 100 } } });
    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual({ field: 'labels', index: 20_000 });
  });
});

describe('GET /api/modellab/runs/:id/evaluation', () => {
  it('answers the stored documents as one set, nulls before the first evaluation, and 404 for an unknown run', async () => {
    expect((await request(t.app).get(`/api/modellab/runs/${runId}/evaluation`)).body).toEqual({ metrics: null, slices: null, failureExamples: null, curves: null });
    const evaluated = await request(t.app).post(`/api/modellab/runs/${runId}/evaluate`).send(body);
    const res = await request(t.app).get(`/api/modellab/runs/${runId}/evaluation`);
    expect(res.status).toBe(200);
    const { curves, ...documents } = res.body;
    expect(documents).toEqual(evaluated.body);
    expect(curves).toMatchObject({ runId, taskType: body.config.taskType, downsampled: false });
    expect((await request(t.app).get(`/api/modellab/runs/${'f'.repeat(32)}/evaluation`)).status).toBe(404);
  });
});
