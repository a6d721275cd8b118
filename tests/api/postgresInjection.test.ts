/**
 * SQL injection through everything a client can put in a request to the PostgreSQL store: every
 * filter field (ModelLab's and MLflow's), sort key, and id in a path or a query. The hostile text
 * must arrive as data — found when it is stored as data, refused with a 4xx otherwise — and never
 * as SQL: no 500, and the database is as it was (same runs, tables all there).
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgStore } from '../../api/storage';
import { testApp, type TestApp } from '../helpers/app';
import { usePostgres } from '../helpers/postgres';

const postgres = usePostgres();
let t: TestApp;
let drop: () => Promise<void>;
let runId: string;
beforeAll(async () => {
  const db = await postgres.createDatabase();
  drop = db.drop;
  t = await testApp({ openStore: () => PgStore.open(db.url, { log: () => {} }) });
}, 120_000);
afterAll(async () => {
  await t?.cleanup();
  await drop?.();
});

const HOSTILE = [
  "'; DROP TABLE runs; --",
  "' OR '1'='1",
  '"; DELETE FROM runs; --',
  "x') OR ('a'='a",
  '$1',
  "\\'; SELECT pg_sleep(10); --",
  '1 UNION SELECT doc FROM runs',
  "%' OR 1=1 --",
];
const bq = (s: string) => `\`${s}\``; // a quoted name in ModelLab's grammar (no escapes inside)
const bqm = (s: string) => `\`${s.replace(/\\/g, '\\\\')}\``; // in MLflow's (a backslash escapes)
const sq = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const dq = (s: string) => JSON.stringify(s);

async function tableCounts(): Promise<Record<string, number>> {
  const { app } = t;
  const runs = (await request(app).get('/api/modellab/runs?limit=1')).body.total as number;
  const experiments = (await request(app).get('/api/2.0/mlflow/experiments/search?max_results=1000')).body.experiments.length as number;
  return { runs, experiments };
}

describe('SQL injection against the PostgreSQL store', () => {
  beforeAll(async () => {
    // One run holding every hostile text as a tag key and value, a parameter and its name.
    const tags = Object.fromEntries(HOSTILE.map((h, i) => [h.replace(/[`]/g, ''), `v${i}:${h}`]));
    const res = await request(t.app).post('/api/modellab/runs').send({ name: HOSTILE[0], tags, hyperparameters: { [HOSTILE[1]!]: HOSTILE[2] } });
    expect(res.status).toBe(201);
    runId = res.body.id;
    await request(t.app).post('/api/modellab/runs').send({ name: 'plain', tags: { a: 'b' } });
  });

  it('finds a hostile tag or name by its exact text in ModelLab filters, and nothing more', async () => {
    const before = await tableCounts();
    for (const [i, h] of HOSTILE.entries()) {
      for (const filter of [`tags.${bq(h)} = ${dq(`v${i}:${h}`)}`, `name = ${dq(HOSTILE[0]!)} and tags.${bq(h)} like ${dq(`v${i}:%`)}`]) {
        const res = await request(t.app).get('/api/modellab/runs').query({ filter });
        expect([res.status, res.body.items?.map((r: { id: string }) => r.id)], filter).toEqual([200, [runId]]);
      }
      for (const filter of [`name = ${dq(h)}x`, `metrics.${bq(h)} > 0`, `params.${bq(h)} = ${dq(h)}`, `config.${bq(h)}.x != ${dq(h)}`, `name in (${dq(h)}, ${dq('zz')})`, h]) {
        const res = await request(t.app).get('/api/modellab/runs').query({ filter });
        expect(res.status, filter).not.toBe(500);
        expect([200, 400]).toContain(res.status);
      }
      for (const sort of [h, `tags.${bq(h)}`, `params.${bq(h)}`, `metrics.${bq(h)}`, `-config.${bq(h)}`]) {
        const res = await request(t.app).get('/api/modellab/runs').query({ sort });
        expect([200, 400], sort).toContain(res.status);
      }
    }
    expect(await tableCounts()).toEqual(before);
  });

  it('treats hostile text in MLflow filter_string and order_by as data', async () => {
    const before = await tableCounts();
    for (const [i, h] of HOSTILE.entries()) {
      const found = await request(t.app).post('/api/2.0/mlflow/runs/search').send({ experiment_ids: ['0'], filter: `tags.${bqm(h)} = ${sq(`v${i}:${h}`)}` });
      expect([found.status, found.body.runs?.map((r: { info: { run_id: string } }) => r.info.run_id)], h).toEqual([200, [runId]]);
      for (const filter of [`params.${bqm(h)} LIKE ${sq(h)}`, `metrics.${bqm(h)} >= 1`, `attributes.run_name ILIKE ${sq(h)}`, `tags.x IN (${sq(h)})`, h]) {
        const res = await request(t.app).post('/api/2.0/mlflow/runs/search').send({ experiment_ids: ['0'], filter });
        expect([200, 400], filter).toContain(res.status);
      }
      for (const order of [`params.${bqm(h)} DESC`, `metrics.${bqm(h)}`, h]) {
        const res = await request(t.app).post('/api/2.0/mlflow/runs/search').send({ experiment_ids: ['0'], order_by: [order] });
        expect([200, 400], order).toContain(res.status);
      }
      for (const filter of [`name LIKE ${sq(h)}`, `tags.${bqm(h)} = ${sq(h)}`]) {
        const res = await request(t.app).post('/api/2.0/mlflow/experiments/search').send({ filter, max_results: 10 });
        expect([200, 400], filter).toContain(res.status);
      }
      for (const filter of [`name = ${sq(h)}`, `name LIKE ${sq(h)}`]) {
        for (const what of ['registered-models', 'model-versions']) {
          const res = await request(t.app).get(`/api/2.0/mlflow/${what}/search`).query({ filter });
          expect([200, 400], `${what} ${filter}`).toContain(res.status);
        }
      }
      const logged = await request(t.app).post('/api/2.0/mlflow/logged-models/search').send({ experiment_ids: ['0'], filter: `name = ${sq(h)}` });
      expect([200, 400]).toContain(logged.status);
    }
    expect(await tableCounts()).toEqual(before);
  });

  it('answers 400 or 404 for hostile ids in paths and queries, never 500', async () => {
    const before = await tableCounts();
    for (const h of HOSTILE) {
      const e = encodeURIComponent(h);
      const gets = [
        `/api/modellab/runs/${e}`,
        `/api/modellab/runs/${e}/metrics`,
        `/api/modellab/runs/${e}/metrics/${e}`,
        `/api/modellab/runs/${e}/evaluation`,
        `/api/modellab/experiments/${e}`,
        `/api/modellab/datasets/${e}`,
        `/api/modellab/datasets/${e}/preview`,
        `/api/modellab/artifacts/${e}`,
        `/api/modellab/models/${e}`,
        `/api/modellab/models/${e}/versions/1`,
        `/api/modellab/models/${e}/aliases/${e}`,
        `/api/modellab/logged-models/${e}`,
        `/api/modellab/compare?ids=${e},${e}`,
        `/api/2.0/mlflow/runs/get?run_id=${e}`,
        `/api/2.0/mlflow/experiments/get?experiment_id=${e}`,
        `/api/2.0/mlflow/experiments/get-by-name?experiment_name=${e}`,
        `/api/2.0/mlflow/registered-models/get?name=${e}`,
        `/api/2.0/mlflow/model-versions/get?name=${e}&version=1`,
        `/api/2.0/mlflow/metrics/get-history?run_id=${e}&metric_key=${e}`,
        `/api/2.0/mlflow/logged-models/${e}`,
      ];
      for (const url of gets) {
        const res = await request(t.app).get(url);
        expect([400, 404], url).toContain(res.status);
      }
      for (const [method, url, body] of [
        ['put', `/api/modellab/runs/${e}`, { name: 'x' }],
        ['delete', `/api/modellab/runs/${e}`, undefined],
        ['delete', `/api/modellab/datasets/${e}`, undefined],
        ['delete', `/api/modellab/models/${e}`, undefined],
        ['post', '/api/2.0/mlflow/runs/update', { run_id: h, status: 'FINISHED' }],
        ['post', '/api/2.0/mlflow/runs/delete', { run_id: h }],
        ['post', '/api/2.0/mlflow/runs/set-tag', { run_id: h, key: h, value: h }],
        ['post', '/api/2.0/mlflow/experiments/delete', { experiment_id: h }],
        ['post', '/api/2.0/mlflow/registered-models/delete', { name: h }],
      ] as const) {
        const res = await request(t.app)[method](url).send(body);
        expect([400, 404], `${method} ${url}`).toContain(res.status);
      }
    }
    expect(await tableCounts()).toEqual(before);
    expect((await request(t.app).get(`/api/modellab/runs/${runId}`)).body.name).toBe(HOSTILE[0]);
  });
});

describe('text PostgreSQL cannot store', () => {
  it('answers 422 for a NUL character in a record, and stores nothing', async () => {
    const before = await tableCounts();
    for (const body of [{ name: 'a\u0000b' }, { name: 'ok', tags: { k: 'v\u0000' } }]) {
      const res = await request(t.app).post('/api/modellab/runs').send(body);
      expect([res.status, res.body.error?.code], JSON.stringify(body)).toEqual([422, 'unprocessable_entity']);
      expect(res.body.error.message).toMatch(/NUL/);
    }
    const update = await request(t.app).put(`/api/modellab/runs/${runId}`).send({ notes: 'x\u0000' });
    expect(update.status).toBe(422);
    const mlflow = await request(t.app).post('/api/2.0/mlflow/runs/set-tag').send({ run_id: runId, key: 'k', value: '\u0000' });
    expect([mlflow.status, mlflow.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(await tableCounts()).toEqual(before);
  });
});
