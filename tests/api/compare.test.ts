import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/app';

let t: TestApp;
beforeEach(async () => {
  t = await testApp();
});
afterEach(async () => {
  await t.cleanup();
});

const n = 240;
const labels = Array.from({ length: n }, (_, i) => (i % 3 ? 'pos' : 'neg'));
const data = labels.map((_, i) => ({ region: i % 2 ? 'east' : 'west' }));
const flip = (l: string) => (l === 'pos' ? 'neg' : 'pos');
const baselinePreds = labels.map((l, i) => (i % 8 === 0 ? flip(l) : l)); // 30 errors
const betterPreds = baselinePreds.map((p, i) => (i % 8 === 0 && i < 12 * 8 ? labels[i]! : p)); // 12 of them fixed

async function evaluatedRun(name: string, predictions: string[], hyperparameters: object, runLabels = labels, runData = data) {
  const { body: run } = await request(t.app).post('/api/modellab/runs').send({ name, hyperparameters, metrics: { train_loss: name.length / 10 } });
  const res = await request(t.app)
    .post(`/api/modellab/runs/${run.id}/evaluate`)
    .send({ predictions, labels: runLabels, data: runData, config: { taskType: 'classification', classes: ['neg', 'pos'], sliceAttributes: ['region'], bootstrap: { resamples: 200 } } });
  expect(res.status).toBe(200);
  return run.id as string;
}

describe('GET /api/modellab/compare', () => {
  it('flags a planted difference with McNemar (paired), not noise, and applies Holm', async () => {
    const a = await evaluatedRun('baseline', baselinePreds, { lr: 0.1, opt: { name: 'sgd', momentum: 0.9 }, layers: [64, 32] });
    const b = await evaluatedRun('better', betterPreds, { lr: 0.01, opt: { name: 'sgd', momentum: 0.9 }, layers: [64, 32], dropout: 0.1 });
    const same = await evaluatedRun('same-again', baselinePreds, { lr: 0.1, opt: { name: 'adam', momentum: 0.9 } });
    const res = await request(t.app).get(`/api/modellab/compare?runs=${a},${b},${same}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ baselineRunId: a, alpha: 0.05, correction: 'holm-bonferroni' });
    expect(res.body.runs.map((r: { id: string }) => r.id)).toEqual([a, b, same]);
    const accuracy = res.body.metrics.find((m: { name: string }) => m.name === 'accuracy');
    expect(accuracy.source).toBe('evaluation');
    expect(accuracy.values[a].value).toBeCloseTo(210 / 240, 12);
    expect(accuracy.values[a].ci.lower).toBeLessThan(accuracy.values[a].value);
    const vsBetter = accuracy.differences.find((d: { runId: string }) => d.runId === b);
    expect(vsBetter).toMatchObject({ baselineRunId: a, method: 'mcnemar-exact', significant: true });
    expect(vsBetter.diff).toBeCloseTo(12 / 240, 12);
    expect(vsBetter.pValue).toBeCloseTo(2 / 4096, 12); // 12 discordant pairs, all one way
    expect(vsBetter.adjustedPValue).toBeGreaterThanOrEqual(vsBetter.pValue);
    const vsSame = accuracy.differences.find((d: { runId: string }) => d.runId === same);
    expect(vsSame).toMatchObject({ diff: 0, pValue: 1, significant: false });
    const f1 = res.body.metrics.find((m: { name: string }) => m.name === 'f1_macro');
    expect(f1.differences[0].method).toBe('paired-bootstrap');
    // A logged summary has no per-example data: shown, never tested.
    const logged = res.body.metrics.find((m: { name: string }) => m.name === 'train_loss');
    expect(logged).toMatchObject({ source: 'logged' });
    expect(logged.differences[0]).toMatchObject({ significant: null, method: 'none', reason: expect.stringContaining('no per-example data') });

    const diff = Object.fromEntries(res.body.configDiff.map((d: { path: string; status: string }) => [d.path, d.status]));
    expect(diff).toMatchObject({
      'params.lr': 'mixed',
      'params.opt.name': 'mixed',
      'params.opt.momentum': 'same',
      'params.layers': 'removed',
      'params.dropout': 'added',
    });
    const west = res.body.slices.find((s: { attribute: string; value: string }) => s.attribute === 'region' && s.value === 'west');
    expect(west.metric).toBe('accuracy');
    expect(west.values[a].count).toBe(120);
    expect(west.differences.find((d: { runId: string }) => d.runId === b).method).toBe('paired-bootstrap');
  });

  it('falls back to an unpaired bootstrap when the runs were evaluated on different examples', async () => {
    const a = await evaluatedRun('a', baselinePreds, {});
    const b = await evaluatedRun('b', baselinePreds.slice(0, 200), {}, labels.slice(0, 200), data.slice(0, 200));
    const res = await request(t.app).get(`/api/modellab/compare?runs=${a},${b}`);
    const accuracy = res.body.metrics.find((m: { name: string }) => m.name === 'accuracy');
    expect(accuracy.differences[0].method).toBe('unpaired-bootstrap');
    expect(accuracy.differences[0].significant).toBe(false);
  });

  it('overlays the metric curves the runs share', async () => {
    const ids: string[] = [];
    for (const name of ['x', 'y']) {
      const { body } = await request(t.app).post('/api/modellab/runs').send({ name });
      await request(t.app).post(`/api/modellab/runs/${body.id}/metrics`).send({ metrics: [{ key: 'loss', value: 1 }, { key: 'loss', value: 0.5 }, { key: name, value: 1 }] });
      ids.push(body.id);
    }
    const res = await request(t.app).get(`/api/modellab/compare?runs=${ids.join(',')}`);
    expect(res.body.series.map((s: { key: string }) => s.key)).toEqual(['loss']);
    expect(res.body.series[0].runs[ids[1]!].map((p: { value: number }) => p.value)).toEqual([1, 0.5]);
  });

  it('answers 404 naming an unknown run, 400 for fewer than 2 or more than 10 runs', async () => {
    const { body: run } = await request(t.app).post('/api/modellab/runs').send({ name: 'only' });
    const unknown = await request(t.app).get(`/api/modellab/compare?runs=${run.id},nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain("'nope'");
    expect((await request(t.app).get(`/api/modellab/compare?runs=${run.id}`)).status).toBe(400);
    expect((await request(t.app).get(`/api/modellab/compare?runs=${Array.from({ length: 11 }, (_, i) => `r${i}`).join(',')}`)).status).toBe(400);
    expect((await request(t.app).get('/api/modellab/compare')).status).toBe(400);
  });
});
