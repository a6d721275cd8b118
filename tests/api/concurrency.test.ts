/**
 * 16 concurrent requests on one object, for every mutating endpoint of both APIs. Every answer is a
 * success or a documented 4xx (never 5xx, nothing logged as failed), and the final state is one that
 * some serial order of the accepted requests produces, checked against a small model of the endpoint
 * (a merge keeps every key, exactly one of competing creates/deletes wins, a replacement leaves one
 * whole request's value, an append keeps every point).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { concurrently, listeningApp, statusCounts, type ListeningApp } from '../helpers/listening';

const N = 16;
const ML = '/api/modellab';
const MF = '/api/2.0/mlflow';

let t: ListeningApp;
beforeEach(async () => {
  t = await listeningApp();
});
afterEach(async () => {
  // No request failed inside the server (a 5xx logs its error).
  expect(t.logged).toEqual([]);
  await t.close();
});

const createRun = async (body: Record<string, unknown> = {}) => {
  const res = await t.call('POST', `${ML}/runs`, { name: 'r', ...body });
  expect(res.status).toBe(201);
  return res.body.id as string;
};
const getRun = async (id: string) => (await t.call('GET', `${ML}/runs/${id}`)).body;
const only4xx = (answers: { status: number }[]) => expect(answers.filter((a) => a.status >= 500)).toEqual([]);

// Binary labels for 16 examples; request i mispredicts the first i of them, so each evaluation is recognisable.
const labels = Array.from({ length: 16 }, (_, k) => (k % 2 ? 'pos' : 'neg'));
const flip = (l: string) => (l === 'pos' ? 'neg' : 'pos');
const evaluationBody = (i: number) => ({
  predictions: labels.map((l, k) => (k < i ? flip(l) : l)),
  labels,
  data: labels.map((_, k) => ({ group: k % 4 === 0 ? 'a' : 'b' })),
  config: { taskType: 'classification', classes: ['neg', 'pos'], sliceAttributes: ['group'], bootstrap: { resamples: 20, seed: i } },
});

/** The four documents of one evaluation folder (current or a history entry), checked to be one evaluation: returns its number of mistakes. */
function wholeEvaluation(dir: string, runId: string): number {
  const read = (name: string) => JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
  const metrics = read('metrics.json');
  const slices = read('slices.json');
  const failures = read('failure_examples.json');
  const predictions = read('predictions.json');
  expect([metrics.runId, slices.runId, failures.runId, predictions.runId]).toEqual([runId, runId, runId, runId]);
  const mistakes = failures.total as number;
  expect(metrics.metrics.accuracy.value).toBeCloseTo((16 - mistakes) / 16, 12);
  // Class indices, example by example: the first `mistakes` are the flipped ones.
  const predicted = predictions.predictions as number[];
  expect(predicted.map((p, k) => p !== (predictions.labels as number[])[k])).toEqual(labels.map((_, k) => k < mistakes));
  // Slice "a" holds examples 0, 4, 8, 12: mistakes among them are those with k < mistakes.
  const sliceA = (slices.slices as { value: string; metrics: { accuracy: { value: number } } }[]).find((s) => s.value === 'a')!;
  const wrongInA = [0, 4, 8, 12].filter((k) => k < mistakes).length;
  expect(sliceA.metrics.accuracy.value).toBeCloseTo((4 - wrongInA) / 4, 12);
  return mistakes;
}

describe('ModelLab API: 16 concurrent requests on one object', () => {
  it('POST /runs/:id/evaluate: all answer 200, the documents and run.metrics come from one evaluation, every other set is whole in history', async () => {
    const runId = await createRun();
    const answers = await concurrently(N, (i) => t.call('POST', `${ML}/runs/${runId}/evaluate`, evaluationBody(i)));
    expect(statusCounts(answers)).toEqual({ 200: N });
    const dir = path.join(t.dir, 'artifacts', runId, 'evaluations');
    const current = wholeEvaluation(dir, runId);
    expect((await getRun(runId)).metrics.accuracy).toBeCloseTo((16 - current) / 16, 12);
    const history = readdirSync(path.join(dir, 'history'));
    expect(history).toHaveLength(N - 1);
    const seen = [current, ...history.map((h) => wholeEvaluation(path.join(dir, 'history', h), runId))];
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
    // The set applied last is the newest: its createdAt is after every archived one.
    const createdAt = (d: string) => JSON.parse(readFileSync(path.join(d, 'metrics.json'), 'utf8')).createdAt as string;
    for (const h of history) expect(createdAt(path.join(dir, 'history', h)) <= createdAt(dir)).toBe(true);
    // Records follow the files: five current documents (the curves among them) and 15 × 5 archived ones, each hash matching its bytes.
    const listed = (await t.call('GET', `${ML}/artifacts/${runId}`)).body.items as { path: string; sha256: string }[];
    expect(listed).toHaveLength(5 * N);
    for (const a of listed) expect(a.sha256).toBe(createHash('sha256').update(readFileSync(path.join(t.dir, 'artifacts', runId, a.path))).digest('hex'));
  });

  it('POST /runs/:id/evaluate while the run is deleted: 200 or 404, and nothing is left on disk', async () => {
    const runId = await createRun();
    const answers = await concurrently(N, (i) => (i === N / 2 ? t.call('DELETE', `${ML}/runs/${runId}`) : t.call('POST', `${ML}/runs/${runId}/evaluate`, evaluationBody(i))));
    only4xx(answers);
    expect(answers[N / 2]!.status).toBe(204);
    for (const a of answers) expect([200, 204, 404]).toContain(a.status);
    expect(existsSync(path.join(t.dir, 'artifacts', runId))).toBe(false);
    expect((await t.call('GET', `${ML}/runs/${runId}`)).status).toBe(404);
  });

  it('POST /runs/:id/latency: all answer 200, latency.json and run.latency agree, the 15 others are archived under distinct names', async () => {
    const runId = await createRun();
    const answers = await concurrently(N, (i) => t.call('POST', `${ML}/runs/${runId}/latency`, { samplesMs: [i + 1, i + 1, i + 1] }));
    expect(statusCounts(answers)).toEqual({ 200: N });
    const dir = path.join(t.dir, 'artifacts', runId, 'evaluations');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(N);
    const p50s = files.map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')).latency.p50 as number);
    expect(p50s.sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    const current = JSON.parse(readFileSync(path.join(dir, 'latency.json'), 'utf8'));
    const run = await getRun(runId);
    expect(run.latency).toEqual({ p50: current.latency.p50, p95: current.latency.p95, p99: current.latency.p99, throughput: null, measuredAt: current.measuredAt });
    for (const f of files.filter((f) => f !== 'latency.json')) expect(JSON.parse(readFileSync(path.join(dir, f), 'utf8')).measuredAt <= current.measuredAt).toBe(true);
  });

  describe('POST /runs/:id/profile', () => {
    let target: Server;
    let targetUrl: string;
    beforeAll(async () => {
      target = createServer((_req, res) => res.end('ok'));
      await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
      targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/predict`;
    });
    afterAll(() => new Promise<void>((resolve) => target.close(() => resolve())));

    it('all answer 200 and every profile is kept (one current, 15 archived)', async () => {
      const runId = await createRun();
      const answers = await concurrently(N, () => t.call('POST', `${ML}/runs/${runId}/profile`, { target: { url: targetUrl }, requests: 5, warmup: 0, concurrency: 1 }));
      expect(statusCounts(answers)).toEqual({ 200: N });
      const dir = path.join(t.dir, 'artifacts', runId, 'evaluations');
      expect(readdirSync(dir).filter((f) => /^latency(-.+)?\.json$/.test(f))).toHaveLength(N);
      const current = JSON.parse(readFileSync(path.join(dir, 'latency.json'), 'utf8'));
      expect(current.count).toBe(5);
      expect((await getRun(runId)).latency.measuredAt).toBe(current.measuredAt);
    });
  });

  it('POST /runs with one name: 16 runs with distinct ids', async () => {
    const answers = await concurrently(N, () => t.call('POST', `${ML}/runs`, { name: 'same' }));
    expect(statusCounts(answers)).toEqual({ 201: N });
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(N);
    expect((await t.call('GET', `${ML}/runs?filter=${encodeURIComponent("name = 'same'")}`)).body.total).toBe(N);
  });

  it('PUT /runs/:id merging tags: every key is kept', async () => {
    const runId = await createRun({ tags: { keep: 'yes' } });
    const answers = await concurrently(N, (i) => t.call('PUT', `${ML}/runs/${runId}`, { tags: { [`k${i}`]: String(i) } }));
    expect(statusCounts(answers)).toEqual({ 200: N });
    expect((await getRun(runId)).tags).toEqual({ keep: 'yes', ...Object.fromEntries(Array.from({ length: N }, (_, i) => [`k${i}`, String(i)])) });
  });

  it('PUT /runs/:id racing to terminal states: exactly one wins, the rest answer 409, and the run ends in the winner\'s state', async () => {
    const runId = await createRun({ status: 'running' });
    const answers = await concurrently(N, (i) => t.call('PUT', `${ML}/runs/${runId}`, { status: i % 2 ? 'completed' : 'failed' }));
    const accepted = answers.filter((a) => a.status === 200);
    const winner = accepted[0]!.body.status as string;
    // After the first, a request for the same state is a no-op (200) and one for the other state is refused.
    expect(accepted.every((a) => a.body.status === winner)).toBe(true);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(N / 2);
    expect(answers.filter((a) => a.status === 409).every((a) => a.body.error.code === 'conflict')).toBe(true);
    expect((await getRun(runId)).status).toBe(winner);
  });

  it('PUT /runs/:id replacing hyperparameters: the run holds one request\'s object whole', async () => {
    const runId = await createRun();
    const answers = await concurrently(N, (i) => t.call('PUT', `${ML}/runs/${runId}`, { hyperparameters: { a: i, b: i * 2, nested: { c: i } } }));
    expect(statusCounts(answers)).toEqual({ 200: N });
    const { a, b, nested } = (await getRun(runId)).hyperparameters;
    expect([b, nested.c]).toEqual([a * 2, a]);
  });

  it('DELETE /runs/:id: one 204, the others 404, folders gone', async () => {
    const runId = await createRun();
    await t.call('POST', `${ML}/runs/${runId}/metrics`, { metrics: [{ key: 'loss', value: 1 }] });
    await t.call('POST', `${ML}/runs/${runId}/latency`, { samplesMs: [1] });
    const answers = await concurrently(N, () => t.call('DELETE', `${ML}/runs/${runId}`));
    expect(statusCounts(answers)).toEqual({ 204: 1, 404: N - 1 });
    expect(existsSync(path.join(t.dir, 'artifacts', runId))).toBe(false);
    expect(existsSync(path.join(t.dir, 'metrics', runId))).toBe(false);
  });

  it('POST /runs/:id/metrics: every point is kept and run.metrics holds the series\' last value', async () => {
    const runId = await createRun();
    const answers = await concurrently(N, (i) => t.call('POST', `${ML}/runs/${runId}/metrics`, { metrics: Array.from({ length: 10 }, (_, j) => ({ key: 'loss', value: i * 10 + j, step: i * 10 + j })) }));
    expect(statusCounts(answers)).toEqual({ 201: N });
    const series = (await t.call('GET', `${ML}/runs/${runId}/metrics/loss?maxPoints=100000`)).body.points as { step: number; value: number }[];
    expect(series.map((p) => p.step).sort((a, b) => a - b)).toEqual(Array.from({ length: N * 10 }, (_, k) => k));
    const summary = (await t.call('GET', `${ML}/runs/${runId}/metrics`)).body.items[0];
    expect(summary).toMatchObject({ key: 'loss', count: N * 10, last: N * 10 - 1, lastStep: N * 10 - 1 });
    await new Promise((resolve) => setTimeout(resolve, 50)); // run.metrics follows the series asynchronously
    expect((await getRun(runId)).metrics.loss).toBe(N * 10 - 1);
  });

  it('POST /experiments with one name: one 201, the others 409', async () => {
    const answers = await concurrently(N, () => t.call('POST', `${ML}/experiments`, { name: 'exp' }));
    expect(statusCounts(answers)).toEqual({ 201: 1, 409: N - 1 });
    expect((await t.call('GET', `${ML}/experiments`)).body.items.filter((e: { name: string }) => e.name === 'exp')).toHaveLength(1);
  });

  it('PUT /experiments/:id renaming 16 experiments to one name: one wins, the others 409', async () => {
    const ids = await Promise.all(Array.from({ length: N }, async (_, i) => (await t.call('POST', `${ML}/experiments`, { name: `e${i}` })).body.id as string));
    const answers = await concurrently(N, (i) => t.call('PUT', `${ML}/experiments/${ids[i]}`, { name: 'taken' }));
    expect(statusCounts(answers)).toEqual({ 200: 1, 409: N - 1 });
    const names = (await t.call('GET', `${ML}/experiments?limit=100`)).body.items.map((e: { name: string }) => e.name);
    expect(names.filter((n: string) => n === 'taken')).toHaveLength(1);
  });

  it('POST /datasets with one name and different files: versions 1–16, no duplicates', async () => {
    const answers = await concurrently(N, (i) => t.upload(`${ML}/datasets`, { name: 'd.csv', content: `x,y\n${i},${i * 2}\n` }, { name: 'ds' }));
    expect(statusCounts(answers)).toEqual({ 201: N });
    expect(answers.map((a) => a.body.version).sort((a: number, b: number) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
  });

  it('POST /datasets with one name and the same file: one version, the same id for all', async () => {
    const answers = await concurrently(N, () => t.upload(`${ML}/datasets`, { name: 'd.csv', content: 'x,y\n1,2\n' }, { name: 'ds' }));
    only4xx(answers);
    expect(answers.every((a) => a.status === 200 || a.status === 201)).toBe(true);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect((await t.call('GET', `${ML}/datasets?name=ds`)).body.total).toBe(1);
  });

  it('PUT /datasets/:id: the version holds one request\'s description and tags together', async () => {
    const id = (await t.upload(`${ML}/datasets`, { name: 'd.csv', content: 'x\n1\n' }, { name: 'ds' })).body.id;
    const answers = await concurrently(N, (i) => t.call('PUT', `${ML}/datasets/${id}`, { description: `d${i}`, tags: [`t${i}`] }));
    expect(statusCounts(answers)).toEqual({ 200: N });
    const stored = (await t.call('GET', `${ML}/datasets/${id}`)).body;
    expect(stored.tags).toEqual([stored.description.replace('d', 't')]);
  });

  it('DELETE /datasets/:id: one 204, the others 404, the file gone', async () => {
    const id = (await t.upload(`${ML}/datasets`, { name: 'd.csv', content: 'x\n1\n' }, { name: 'ds' })).body.id;
    const answers = await concurrently(N, () => t.call('DELETE', `${ML}/datasets/${id}`));
    expect(statusCounts(answers)).toEqual({ 204: 1, 404: N - 1 });
    expect(readdirSync(path.join(t.dir, 'datasets')).filter((f) => f.includes(id))).toEqual([]);
  });

  it('POST /artifacts/:runId to one path with overwrite: one record whose checksum matches the bytes served', async () => {
    const runId = await createRun();
    const answers = await concurrently(N, (i) => t.upload(`${ML}/artifacts/${runId}?overwrite=true`, { name: 'w.bin', content: `weights ${i} `.repeat(1000) }, { category: 'checkpoints' }));
    expect(statusCounts(answers)).toEqual({ 201: N });
    const listed = (await t.call('GET', `${ML}/artifacts/${runId}`)).body.items;
    expect(listed).toHaveLength(1);
    const served = await fetch(`${t.url}${ML}/artifacts/${runId}/download/checkpoints/w.bin`).then((r) => r.arrayBuffer());
    expect(listed[0].sha256).toBe(createHash('sha256').update(Buffer.from(served)).digest('hex'));
  });

  it('POST /artifacts/:runId to one path without overwrite: one 201, the others 409', async () => {
    const runId = await createRun();
    const answers = await concurrently(N, (i) => t.upload(`${ML}/artifacts/${runId}`, { name: 'w.bin', content: `w${i}` }, { category: 'checkpoints' }));
    expect(statusCounts(answers)).toEqual({ 201: 1, 409: N - 1 });
    const winner = answers.find((a) => a.status === 201)!.body;
    const served = await fetch(`${t.url}${ML}/artifacts/${runId}/download/checkpoints/w.bin`).then((r) => r.text());
    expect(createHash('sha256').update(served).digest('hex')).toBe(winner.sha256);
  });

  it('DELETE /artifacts/:runId/download/<path>: one 204, the others 404', async () => {
    const runId = await createRun();
    await t.upload(`${ML}/artifacts/${runId}`, { name: 'w.bin', content: 'w' }, { category: 'checkpoints' });
    const answers = await concurrently(N, () => t.call('DELETE', `${ML}/artifacts/${runId}/download/checkpoints/w.bin`));
    expect(statusCounts(answers)).toEqual({ 204: 1, 404: N - 1 });
    expect((await t.call('GET', `${ML}/artifacts/${runId}`)).body.items).toEqual([]);
  });
});

describe('MLflow API: 16 concurrent requests on one object', () => {
  const mlflowRun = async (experimentId = '0') => (await t.call('POST', `${MF}/runs/create`, { experiment_id: experimentId })).body.run.info.run_id as string;
  const mlflowGet = async (runId: string) => (await t.call('GET', `${MF}/runs/get?run_id=${runId}`)).body.run;

  it('experiments/create with one name: one 200, the others 400 RESOURCE_ALREADY_EXISTS', async () => {
    const answers = await concurrently(N, () => t.call('POST', `${MF}/experiments/create`, { name: 'exp' }));
    expect(statusCounts(answers)).toEqual({ 200: 1, 400: N - 1 });
    expect(answers.filter((a) => a.status === 400).every((a) => a.body.error_code === 'RESOURCE_ALREADY_EXISTS')).toBe(true);
  });

  it('experiments/update renaming to distinct names: all 200, the experiment holds one of them', async () => {
    const id = (await t.call('POST', `${MF}/experiments/create`, { name: 'exp' })).body.experiment_id;
    const answers = await concurrently(N, (i) => t.call('POST', `${MF}/experiments/update`, { experiment_id: id, new_name: `n${i}` }));
    expect(statusCounts(answers)).toEqual({ 200: N });
    expect((await t.call('GET', `${MF}/experiments/get?experiment_id=${id}`)).body.experiment.name).toMatch(/^n\d+$/);
  });

  it('experiments/delete: one 200, the others 400, and every run of the experiment is deleted', async () => {
    const id = (await t.call('POST', `${MF}/experiments/create`, { name: 'exp' })).body.experiment_id;
    const runs = await Promise.all(Array.from({ length: 5 }, () => mlflowRun(id)));
    const answers = await concurrently(N, () => t.call('POST', `${MF}/experiments/delete`, { experiment_id: id }));
    expect(statusCounts(answers)).toEqual({ 200: 1, 400: N - 1 });
    expect(answers.filter((a) => a.status === 400).every((a) => a.body.error_code === 'INVALID_PARAMETER_VALUE')).toBe(true);
    for (const r of runs) expect((await mlflowGet(r)).info.lifecycle_stage).toBe('deleted');
  });

  it('experiments/delete and restore interleaved: the runs end in the experiment\'s stage', async () => {
    const id = (await t.call('POST', `${MF}/experiments/create`, { name: 'exp' })).body.experiment_id;
    const runs = await Promise.all(Array.from({ length: 8 }, () => mlflowRun(id)));
    const answers = await concurrently(N, (i) => t.call('POST', `${MF}/experiments/${i % 2 ? 'restore' : 'delete'}`, { experiment_id: id }));
    only4xx(answers);
    const stage = (await t.call('GET', `${MF}/experiments/get?experiment_id=${id}`)).body.experiment.lifecycle_stage;
    for (const r of runs) expect((await mlflowGet(r)).info.lifecycle_stage).toBe(stage);
    // Accepted changes alternate: deletes and restores differ by at most one, as in a serial order.
    const accepted = (kind: string) => answers.filter((a, i) => a.status === 200 && (i % 2 ? 'restore' : 'delete') === kind).length;
    expect(accepted('delete') - accepted('restore')).toBe(stage === 'deleted' ? 1 : 0);
  });

  it('experiments/set-experiment-tag with distinct keys: every tag is kept', async () => {
    const id = (await t.call('POST', `${MF}/experiments/create`, { name: 'exp' })).body.experiment_id;
    const answers = await concurrently(N, (i) => t.call('POST', `${MF}/experiments/set-experiment-tag`, { experiment_id: id, key: `k${i}`, value: String(i) }));
    expect(statusCounts(answers)).toEqual({ 200: N });
    expect((await t.call('GET', `${MF}/experiments/get?experiment_id=${id}`)).body.experiment.tags).toHaveLength(N);
  });

  it('runs/create: 16 runs', async () => {
    const answers = await concurrently(N, () => t.call('POST', `${MF}/runs/create`, { experiment_id: '0', run_name: 'same' }));
    expect(statusCounts(answers)).toEqual({ 200: N });
    expect(new Set(answers.map((a) => a.body.run.info.run_id)).size).toBe(N);
  });

  it('runs/update to FINISHED and FAILED: all 200 (MLflow lets a status change again), the run ends in one of them', async () => {
    const runId = await mlflowRun();
    const answers = await concurrently(N, (i) => t.call('POST', `${MF}/runs/update`, { run_id: runId, status: i % 2 ? 'FINISHED' : 'FAILED', end_time: 1000 + i }));
    expect(statusCounts(answers)).toEqual({ 200: N });
    const info = (await mlflowGet(runId)).info;
    expect(['FINISHED', 'FAILED']).toContain(info.status);
    // end_time and status come from the same request: odd i ↔ FINISHED.
    expect((Number(info.end_time) - 1000) % 2 === 1).toBe(info.status === 'FINISHED');
  });

  it('runs/delete and runs/restore: idempotent as in MLflow, all 200', async () => {
    const runId = await mlflowRun();
    expect(statusCounts(await concurrently(N, () => t.call('POST', `${MF}/runs/delete`, { run_id: runId })))).toEqual({ 200: N });
    expect((await mlflowGet(runId)).info.lifecycle_stage).toBe('deleted');
    expect(statusCounts(await concurrently(N, () => t.call('POST', `${MF}/runs/restore`, { run_id: runId })))).toEqual({ 200: N });
    expect((await mlflowGet(runId)).info.lifecycle_stage).toBe('active');
  });

  it('runs/log-metric: every point is kept', async () => {
    const runId = await mlflowRun();
    const answers = await concurrently(N, (i) => t.call('POST', `${MF}/runs/log-metric`, { run_id: runId, key: 'loss', value: i, timestamp: 1000 + i, step: i }));
    expect(statusCounts(answers)).toEqual({ 200: N });
    const history = (await t.call('GET', `${MF}/metrics/get-history?run_id=${runId}&metric_key=loss`)).body.metrics;
    expect(history.map((m: { step: number }) => Number(m.step)).sort((a: number, b: number) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  it('runs/log-parameter with one key and different values: one 200, the others 400, the value is the winner\'s', async () => {
    const runId = await mlflowRun();
    const answers = await concurrently(N, (i) => t.call('POST', `${MF}/runs/log-parameter`, { run_id: runId, key: 'lr', value: String(i) }));
    expect(statusCounts(answers)).toEqual({ 200: 1, 400: N - 1 });
    const winner = answers.findIndex((a) => a.status === 200);
    expect((await mlflowGet(runId)).data.params).toEqual([{ key: 'lr', value: String(winner) }]);
  });

  it('runs/log-parameter with one key and one value: all 200 (re-logging the same value is allowed)', async () => {
    const runId = await mlflowRun();
    expect(statusCounts(await concurrently(N, () => t.call('POST', `${MF}/runs/log-parameter`, { run_id: runId, key: 'lr', value: '0.1' })))).toEqual({ 200: N });
  });

  it('runs/set-tag with distinct keys, then delete-tag of one key: every tag kept; one delete 200, the others 404', async () => {
    const runId = await mlflowRun();
    expect(statusCounts(await concurrently(N, (i) => t.call('POST', `${MF}/runs/set-tag`, { run_id: runId, key: `k${i}`, value: String(i) })))).toEqual({ 200: N });
    const tags = (await mlflowGet(runId)).data.tags.filter((tag: { key: string }) => /^k\d+$/.test(tag.key));
    expect(tags).toHaveLength(N);
    const deletes = await concurrently(N, () => t.call('POST', `${MF}/runs/delete-tag`, { run_id: runId, key: 'k0' }));
    expect(statusCounts(deletes)).toEqual({ 200: 1, 404: N - 1 });
  });

  it('runs/log-batch: every metric, param and tag of every batch is kept', async () => {
    const runId = await mlflowRun();
    const answers = await concurrently(N, (i) =>
      t.call('POST', `${MF}/runs/log-batch`, {
        run_id: runId,
        metrics: [{ key: 'm', value: i, timestamp: 1, step: i }],
        params: [{ key: `p${i}`, value: String(i) }],
        tags: [{ key: `t${i}`, value: String(i) }],
      }),
    );
    expect(statusCounts(answers)).toEqual({ 200: N });
    const run = await mlflowGet(runId);
    expect(run.data.params).toHaveLength(N);
    expect(run.data.tags.filter((tag: { key: string }) => /^t\d+$/.test(tag.key))).toHaveLength(N);
    expect((await t.call('GET', `${MF}/metrics/get-history?run_id=${runId}&metric_key=m`)).body.metrics).toHaveLength(N);
  });

  it('runs/log-inputs with distinct datasets: every input is kept', async () => {
    const runId = await mlflowRun();
    const answers = await concurrently(N, (i) =>
      t.call('POST', `${MF}/runs/log-inputs`, { run_id: runId, datasets: [{ dataset: { name: `d${i}`, digest: `abc${i}`, source_type: 'local', source: `/data/${i}` } }] }),
    );
    expect(statusCounts(answers)).toEqual({ 200: N });
    expect((await mlflowGet(runId)).inputs.dataset_inputs).toHaveLength(N);
  });

  it('runs/log-model: every model is kept in the history', async () => {
    const runId = await mlflowRun();
    const answers = await concurrently(N, (i) => t.call('POST', `${MF}/runs/log-model`, { run_id: runId, model_json: JSON.stringify({ artifact_path: `m${i}` }) }));
    expect(statusCounts(answers)).toEqual({ 200: N });
    const tag = (await mlflowGet(runId)).data.tags.find((x: { key: string }) => x.key === 'mlflow.log-model.history');
    expect(JSON.parse(tag.value)).toHaveLength(N);
  });

  it('mlflow-artifacts PUT to one path: one file whose record matches the bytes served; DELETE: one 200, the others 404', async () => {
    const runId = await mlflowRun();
    const url = `${t.url}/api/2.0/mlflow-artifacts/artifacts/0/${runId}/artifacts/model/model.pkl`;
    const puts = await concurrently(N, (i) => fetch(url, { method: 'PUT', body: `model ${i} `.repeat(500) }).then((r) => r.status));
    expect(puts).toEqual(Array(N).fill(200));
    const served = Buffer.from(await (await fetch(url)).arrayBuffer());
    const listed = (await t.call('GET', `${ML}/artifacts/${runId}`)).body.items;
    expect(listed).toHaveLength(1);
    expect(listed[0].sha256).toBe(createHash('sha256').update(served).digest('hex'));
    const deletes = await concurrently(N, () => fetch(url, { method: 'DELETE' }).then((r) => r.status));
    expect(deletes.sort()).toEqual([200, ...Array(N - 1).fill(404)]);
  });
});
