/**
 * Evaluate from a dataset version: POST /runs/:id/evaluate with {datasetId, columns} reads the
 * labels, predictions (labels, scores or probability columns) and slices from the stored file and
 * answers exactly as the same request inline; a missing column or a type mismatch is a 400 before
 * any work.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/app';

const API = '/api/modellab';
let t: TestApp;
let datasetId = '';
let jsonlId = '';
const rows = Array.from({ length: 60 }, (_, i) => ({ id: i, label: i % 3 ? 'cat' : 'dog', pred: i % 5 ? (i % 3 ? 'cat' : 'dog') : i % 3 ? 'dog' : 'cat', score: ((i * 37) % 100) / 100, region: i % 2 ? 'north' : 'south' }));
const bootstrap = { resamples: 100, seed: 5 };

beforeAll(async () => {
  t = await testApp();
  const csv = ['id,label,pred,score,region', ...rows.map((r) => `${r.id},${r.label},${r.pred},${r.score},${r.region}`)].join('\n') + '\n';
  datasetId = (await request(t.app).post(`${API}/datasets`).attach('file', Buffer.from(csv), 'pets.csv')).body.id;
  jsonlId = (await request(t.app).post(`${API}/datasets`).attach('file', Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n')), 'pets.jsonl')).body.id;
}, 30_000);
afterAll(async () => t?.cleanup());

const newRun = async () => (await request(t.app).post(`${API}/runs`).send({ name: 'from-dataset' })).body.id as string;
const strip = (body: { metrics: Record<string, unknown>; slices: Record<string, unknown> }) => ({ metrics: { ...body.metrics, createdAt: null, runId: null, id: null }, slices: { ...body.slices, createdAt: null, runId: null } });

describe('POST /runs/:id/evaluate from a dataset', () => {
  it('reads labels, predicted labels and slices from a CSV version and answers as the inline request does', async () => {
    const fromFile = await request(t.app)
      .post(`${API}/runs/${await newRun()}/evaluate`)
      .send({ datasetId, columns: { label: 'label', prediction: 'pred', slices: ['region'] }, config: { taskType: 'classification', bootstrap } });
    expect(fromFile.status).toBe(200);
    const inline = await request(t.app)
      .post(`${API}/runs/${await newRun()}/evaluate`)
      .send({ labels: rows.map((r) => r.label), predictions: rows.map((r) => r.pred), data: rows.map((r) => ({ region: r.region })), config: { taskType: 'classification', sliceAttributes: ['region'], bootstrap } });
    expect(strip(fromFile.body)).toEqual(strip(inline.body));
    expect((fromFile.body.slices as { slices: unknown[] }).slices).toHaveLength(2);
  });

  it('reports its progress as evaluation.progress events: the bytes read from 0 to the whole file, then evaluating, then the run updated', async () => {
    const run = await newRun();
    const seen: { type: string; data: Record<string, unknown> }[] = [];
    const unsubscribe = t.services.events.subscribe((e) => seen.push({ type: e.type, data: e.data as Record<string, unknown> }));
    const res = await request(t.app)
      .post(`${API}/runs/${run}/evaluate`)
      .send({ datasetId, columns: { label: 'label', prediction: 'pred' }, config: { taskType: 'classification', bootstrap } });
    unsubscribe();
    expect(res.status).toBe(200);
    const size = (await request(t.app).get(`${API}/datasets/${datasetId}`)).body.sizeBytes as number;
    const progress = seen.filter((e) => e.type === 'evaluation.progress').map((e) => e.data);
    expect(progress[0]).toEqual({ runId: run, datasetId, phase: 'reading', done: 0, total: size });
    expect(progress.at(-2)).toEqual({ runId: run, datasetId, phase: 'reading', done: size, total: size });
    expect(progress.at(-1)).toEqual({ runId: run, datasetId, phase: 'evaluating', done: size, total: size });
    const reads = progress.filter((p) => p.phase === 'reading').map((p) => p.done as number);
    expect(reads).toEqual([...reads].sort((a, b) => a - b));
    // Then the evaluation's own event, and no audit or other change for the progress.
    expect(seen.map((e) => e.type).slice(seen.findIndex((e) => e.data.phase === 'evaluating') + 1)).toEqual(['run.updated']);
  });

  it('reads a score column (binary) from JSON Lines, as numbers', async () => {
    const res = await request(t.app)
      .post(`${API}/runs/${await newRun()}/evaluate`)
      .send({ datasetId: jsonlId, columns: { label: 'label', score: 'score' }, config: { taskType: 'classification', classes: ['cat', 'dog'], positiveClass: 'dog', bootstrap } });
    expect(res.status).toBe(200);
    expect(res.body.metrics.metrics.roc_auc.value).toEqual(expect.any(Number));
  });

  it('refuses a missing column or a type mismatch with 400 naming the field, before reading the file; an unknown dataset is 404', async () => {
    const run = await newRun();
    const send = (body: object) => request(t.app).post(`${API}/runs/${run}/evaluate`).send({ config: { taskType: 'classification' }, ...body });
    const missing = await send({ datasetId, columns: { label: 'lable', prediction: 'pred' } });
    expect([missing.status, missing.body.error.details.field]).toEqual([400, 'columns.label']);
    expect(missing.body.error.message).toMatch(/'lable' is not a column of pets v1 \(its columns: id, label, pred, score, region\)/);
    const notNumeric = await send({ datasetId, columns: { label: 'label', score: 'region' } });
    expect([notNumeric.status, notNumeric.body.error.details.field]).toEqual([400, 'columns.score']);
    const regression = await send({ datasetId, columns: { label: 'label', prediction: 'score' }, config: { taskType: 'regression' } });
    expect([regression.status, regression.body.error.details.field]).toEqual([400, 'columns.label']);
    const probabilities = await send({ datasetId, columns: { label: 'label', probabilities: ['score', 'id'] } });
    expect([probabilities.status, probabilities.body.error.details.field]).toEqual([400, 'config.classes']);
    expect((await send({ datasetId, columns: { label: 'label', prediction: 'pred', score: 'score' } })).status).toBe(400);
    expect((await send({ datasetId, columns: { label: 'label', prediction: 'pred' }, labels: ['a'], predictions: ['a'] })).status).toBe(400);
    expect((await send({ datasetId })).status).toBe(400);
    expect((await send({ datasetId: 'nope', columns: { label: 'label', prediction: 'pred' } })).status).toBe(404);
    expect((await request(t.app).get(`${API}/runs/${run}/evaluation`)).body.metrics).toBeNull(); // nothing was evaluated
  });
});
