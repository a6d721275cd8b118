/**
 * A metric's smallest and largest value over its logged points (run.metricExtremes): kept as points
 * arrive, whatever order and concurrency they come in; filterable and sortable on the server as
 * metrics.<key>.min / .max on both stores; and filled in for runs stored before it existed (the JSON
 * store from the series files, at start).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { PgStore } from '../../api/storage/postgres/pgStore';
import { testApp, type TestApp } from '../helpers/app';
import { usePostgres } from '../helpers/postgres';
import { tempDir } from '../helpers/tmp';
import { DB_FILE, RUNS_DIR, SCHEMA_VERSION } from '../../src/shared/contract/constants';
import { makeRun } from '../helpers/fixtures';

const API = '/api/modellab';
const postgres = usePostgres();
const opened: TestApp[] = [];
afterEach(async () => {
  for (const t of opened.splice(0)) await t.cleanup();
});

const stores = {
  json: async () => testApp(),
  postgres: async () => {
    const db = await postgres.createDatabase();
    const t = await testApp({ openStore: () => PgStore.open(db.url) });
    return { ...t, cleanup: async () => (await t.cleanup(), await db.drop()) };
  },
};

describe.each(Object.keys(stores) as (keyof typeof stores)[])('metrics.<key>.min and .max on the %s store', (kind) => {
  const open = async () => {
    const t = await stores[kind]();
    opened.push(t);
    return t;
  };
  const log = (t: TestApp, id: string, key: string, values: number[]) =>
    request(t.app).post(`${API}/runs/${id}/metrics`).send({ metrics: values.map((value) => ({ key, value })) }).expect(201);
  const names = async (t: TestApp, query: string) => (await request(t.app).get(`${API}/runs?${query}`).expect(200)).body.items.map((r: { name: string }) => r.name);

  it('keeps each key’s extremes on the run, sorts and filters by them on the server, with runs lacking one last', async () => {
    const t = await open();
    const id: Record<string, string> = {};
    for (const name of ['a', 'b', 'c', 'd']) id[name] = (await request(t.app).post(`${API}/runs`).send({ name }).expect(201)).body.id;
    // latest loss: a 0.4, b 0.25; smallest: a 0.2, b 0.25; largest: a 0.9, b 0.6. c logs only a NaN; d never logs loss.
    await log(t, id.a!, 'loss', [0.9, 0.2]);
    await log(t, id.a!, 'loss', [0.4]);
    await log(t, id.b!, 'loss', [0.6, 0.25]);
    await t.services.runs.logMetrics(id.c!, [{ key: 'loss', value: NaN }], () => {}); // as MLflow's client can log it
    await log(t, id.d!, 'acc', [0.5, 0.7]);
    await t.services.runs.flushMetrics();

    const a = (await request(t.app).get(`${API}/runs/${id.a}`).expect(200)).body;
    expect(a.metrics).toEqual({ loss: 0.4 });
    expect(a.metricExtremes).toEqual({ loss: { min: 0.2, max: 0.9 } });
    expect((await request(t.app).get(`${API}/runs/${id.c}`)).body.metricExtremes).toEqual({ loss: { min: null, max: null } });

    expect(await names(t, 'sort=metrics.loss.min:asc')).toEqual(['a', 'b', 'd', 'c']); // no value: newest first
    expect(await names(t, 'sort=metrics.loss.max:desc')).toEqual(['a', 'b', 'd', 'c']);
    expect(await names(t, 'sort=metrics.loss.max:asc')).toEqual(['b', 'a', 'd', 'c']);
    expect(await names(t, 'sort=metrics.loss:asc&limit=2')).toEqual(['b', 'a']);
    expect(await names(t, `filter=${encodeURIComponent('metrics.loss.min < 0.24')}`)).toEqual(['a']);
    expect(await names(t, `filter=${encodeURIComponent('metrics.loss.max >= 0.6 AND metrics.loss < 0.3')}`)).toEqual(['b']);
    expect(await names(t, `filter=${encodeURIComponent('metrics.acc.max = 0.7')}`)).toEqual(['d']);
    // What an SQL injection through the new names gets: a 400 or no match, never an error of the database.
    const hostile = await request(t.app).get(`${API}/runs?sort=${encodeURIComponent("metrics.`x'); DROP TABLE runs;--`.min:asc")}`);
    expect(hostile.status).toBe(200);
    expect(hostile.body.items).toHaveLength(4);
  }, 60_000);

  it('keeps the true extremes of many batches logged to one run at once', async () => {
    const t = await open();
    const runId = (await request(t.app).post(`${API}/runs`).send({ name: 'busy' }).expect(201)).body.id as string;
    // 40 batches of 25 points, values spread so that the smallest and largest come in different batches.
    const batches = Array.from({ length: 40 }, (_, b) => Array.from({ length: 25 }, (_, i) => Math.sin(b * 25 + i) * (1 + ((b * 7) % 11))));
    await Promise.all(batches.map((values) => log(t, runId, 'loss', values)));
    await t.services.runs.flushMetrics();
    const all = batches.flat();
    const run = (await request(t.app).get(`${API}/runs/${runId}`).expect(200)).body;
    expect(run.metricExtremes).toEqual({ loss: { min: Math.min(...all), max: Math.max(...all) } });
  }, 60_000);
});

describe('a data folder from before run.metricExtremes', () => {
  it('gets each run’s extremes from its series files at start, and sorts by them', async () => {
    const dir = await tempDir();
    try {
      // Two runs as an older release wrote them: no metricExtremes field, points in metrics.jsonl.
      const old = (name: string, createdAt: string, loss: number) => {
        const { metricExtremes: _dropped, ...run } = { ...makeRun({ name, metrics: { loss } }), createdAt };
        return run;
      };
      const r1 = old('r1', '2026-01-01T00:00:00.000Z', 0.5);
      const r2 = old('r2', '2026-01-02T00:00:00.000Z', 0.3);
      await writeFile(path.join(dir.dir, DB_FILE), JSON.stringify({ schemaVersion: SCHEMA_VERSION, runs: [r1, r2], datasets: [], artifacts: [], experiments: [], loggedModels: [], registeredModels: [], auth: [] }));
      const points = { [r1.id]: [0.1, 0.7, 0.5], [r2.id]: [0.4, 0.3] };
      for (const [runId, values] of Object.entries(points)) {
        await mkdir(path.join(dir.dir, RUNS_DIR, runId), { recursive: true });
        await writeFile(path.join(dir.dir, RUNS_DIR, runId, 'metrics.jsonl'), values.map((v, s) => `${JSON.stringify({ k: 'loss', v, s, t: 1000 + s })}\n`).join(''));
      }
      const t = await testApp({ dataDir: dir.dir });
      opened.push(t);
      const run1 = (await request(t.app).get(`${API}/runs/${r1.id}`).expect(200)).body;
      expect(run1.metricExtremes).toEqual({ loss: { min: 0.1, max: 0.7 } });
      expect(Object.keys(run1)).toEqual(Object.keys(makeRun())); // in the API's field order
      const sorted = (await request(t.app).get(`${API}/runs?sort=metrics.loss.min:asc`).expect(200)).body.items.map((r: { name: string }) => r.name);
      expect(sorted).toEqual(['r1', 'r2']); // by the latest value it would be r2, r1
      expect((await request(t.app).get(`${API}/runs?sort=metrics.loss:asc`).expect(200)).body.items.map((r: { name: string }) => r.name)).toEqual(['r2', 'r1']);
      // Only the runs read without the field are filled; once written with it, a restart finds none.
      expect(t.store.runsWithoutExtremes!().sort()).toEqual([r1.id, r2.id].sort());
      await t.cleanup();
      opened.splice(opened.indexOf(t), 1);
      const again = await testApp({ dataDir: dir.dir });
      opened.push(again);
      expect(again.store.runsWithoutExtremes!()).toEqual([]);
      expect((await request(again.app).get(`${API}/runs/${r1.id}`).expect(200)).body.metricExtremes).toEqual({ loss: { min: 0.1, max: 0.7 } });
    } finally {
      await dir.cleanup();
    }
  }, 60_000);
});
