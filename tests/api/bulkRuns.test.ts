/**
 * The runs table's workbench API (issue 19): one request changes many runs — tag, status, delete —
 * all or nothing, with one event; the runs a search matches export as CSV (every page, streamed,
 * chosen columns, a metric's min and max from its series); a run's metric history as CSV.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelLabEvent } from '../../api/services';
import { testApp, type TestApp } from '../helpers/app';
import { makeRun } from '../helpers/fixtures';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

const API = '/api/modellab';
let t: TestApp;
beforeEach(async () => {
  t = await testApp();
});
afterEach(async () => t.cleanup());

const createRuns = async (n: number, fields: (i: number) => object = () => ({})) => {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await request(t.app).post(`${API}/runs`).send({ name: `r${i}`, ...fields(i) }).expect(201)).body.id);
  return ids;
};
const events = () => {
  const seen: ModelLabEvent[] = [];
  t.services.events.subscribe((e) => seen.push(e));
  return seen;
};
const bulk = (body: object) => request(t.app).post(`${API}/runs/bulk`).send(body);

describe('POST /runs/bulk', () => {
  it('tags many runs in one request, merging the tags, with one event', async () => {
    const ids = await createRuns(3, (i) => ({ tags: { keep: String(i) } }));
    const seen = events();
    const res = await bulk({ action: 'tag', ids, tags: { sweep: 's7' } });
    expect([res.status, res.body]).toEqual([200, { action: 'tag', count: 3, ids }]);
    for (const [i, id] of ids.entries()) expect((await request(t.app).get(`${API}/runs/${id}`)).body.tags).toEqual({ keep: String(i), sweep: 's7' });
    expect(seen.map((e) => [e.type, e.data])).toEqual([['runs.updated', { ids, fields: ['tags'] }]]);
  });

  it('changes status all or nothing: one run the status machine refuses leaves every run as it was (409)', async () => {
    const ids = await createRuns(3, (i) => ({ status: i === 1 ? 'completed' : 'pending' }));
    const seen = events();
    const refused = await bulk({ action: 'status', ids, status: 'running' });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'conflict']);
    expect((await request(t.app).get(`${API}/runs?count=true&status=running`)).body.total).toBe(0);
    expect(seen).toEqual([]);
    const ok = await bulk({ action: 'status', ids: [ids[0], ids[2]], status: 'running' });
    expect(ok.status).toBe(200);
    expect((await request(t.app).get(`${API}/runs?count=true&status=running`)).body.total).toBe(2);
  });

  it('deletes many runs with their files, or none: an unknown id is 404 and a registered run 409, with nothing deleted', async () => {
    const ids = await createRuns(4);
    for (const id of ids) {
      await request(t.app).post(`${API}/runs/${id}/metrics`).send({ metrics: [{ key: 'loss', value: 1, step: 0 }] }).expect(201);
      await request(t.app).post(`${API}/artifacts/${id}`).attach('file', Buffer.from('w'), 'w.bin').expect(201);
    }
    await request(t.app).post(`${API}/models`).send({ name: 'kept' }).expect(201);
    await request(t.app).post(`${API}/models/kept/versions`).send({ runId: ids[3], path: 'model' }).expect(201);
    const unknown = await bulk({ action: 'delete', ids: [ids[0], '9'.repeat(32)] });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'not_found']);
    const registered = await bulk({ action: 'delete', ids: [ids[2], ids[3]] });
    expect([registered.status, registered.body.error.code]).toEqual([409, 'conflict']);
    expect((await request(t.app).get(`${API}/runs?count=true`)).body.total).toBe(4);
    expect(existsSync(path.join(t.dir, 'runs', ids[2]!))).toBe(true);

    const seen = events();
    const res = await bulk({ action: 'delete', ids: ids.slice(0, 3) });
    expect([res.status, res.body.count]).toEqual([200, 3]);
    expect((await request(t.app).get(`${API}/runs`)).body.items.map((r: { id: string }) => r.id)).toEqual([ids[3]]);
    for (const id of ids.slice(0, 3)) {
      expect(existsSync(path.join(t.dir, 'runs', id))).toBe(false);
      expect(existsSync(path.join(t.dir, 'artifacts', id))).toBe(false);
    }
    expect(seen.map((e) => [e.type, e.data])).toEqual([['runs.deleted', { ids: ids.slice(0, 3) }]]);
  });

  it('answers 400 for a body it cannot act on, changing nothing', async () => {
    const ids = await createRuns(2);
    for (const body of [
      { action: 'tag', ids },
      { action: 'tag', ids, tags: {} },
      { action: 'status', ids },
      { action: 'status', ids, status: 'running', tags: { a: 'b' } },
      { action: 'delete', ids: [] },
      { action: 'delete', ids: [ids[0], ids[0]] },
      { action: 'archive', ids },
      { action: 'delete', ids: Array.from({ length: 10_001 }, (_, i) => String(i)) },
      { action: 'delete', ids: 'all' },
    ]) {
      const res = await bulk(body);
      expect([JSON.stringify(body).slice(0, 60), res.status, res.body.error.code]).toEqual([JSON.stringify(body).slice(0, 60), 400, 'invalid_request']);
    }
    expect((await request(t.app).get(`${API}/runs?count=true`)).body.total).toBe(2);
  });
});

describe('GET /runs/export', () => {
  const csv = async (query: string) => {
    const res = await request(t.app).get(`${API}/runs/export?${query}`).buffer(true).parse((stream, done) => {
      let text = '';
      stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
      stream.on('end', () => done(null, text));
    });
    return { res, rows: res.status === 200 ? Papa.parse<string[]>((res.body as string).trim(), { skipEmptyLines: true }).data : [] };
  };

  it('streams every matching run, in the search order, past the page size, with the chosen columns', async () => {
    const ids = await createRuns(1_203, (i) => ({ hyperparameters: { lr: i / 1000, optimizer: { name: i % 2 ? 'adam' : 'sgd' } }, tags: { parity: i % 2 ? 'odd' : 'even' }, metrics: { acc: (i % 100) / 100 } }));
    const { res, rows } = await csv(`columns=${encodeURIComponent('id,name,params.lr,params.optimizer.name,tags.parity,metrics.acc')}&filter=${encodeURIComponent("tags.parity = 'odd'")}&sort=name:asc`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="runs\.csv"/);
    expect(rows[0]).toEqual(['id', 'name', 'params.lr', 'params.optimizer.name', 'tags.parity', 'metrics.acc']);
    const odd = ids.map((id, i) => ({ id, i })).filter(({ i }) => i % 2 === 1).sort((a, b) => (`r${a.i}` < `r${b.i}` ? -1 : 1));
    expect(rows.length - 1).toBe(odd.length); // 601: three pages and a bit
    expect(rows.slice(1).map((r) => r[0])).toEqual(odd.map((o) => o.id));
    const i = odd[0]!.i;
    expect(rows[1]).toEqual([ids[i], `r${i}`, String(i / 1000), 'adam', 'odd', String((i % 100) / 100)]);
  }, 60_000);

  it('streams a 10,000-run export as the client reads it: a client that stops reading stops the server reading runs', async () => {
    // 10,000 runs of ~1.8 KB each: about 18 MB of CSV, several times what the sockets' buffers hold.
    const pad = 'x'.repeat(80);
    for (let from = 0; from < 10_000; from += 1000) {
      await Promise.all(
        Array.from({ length: 1000 }, (_, j) => {
          const i = from + j;
          const hyperparameters = Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`p${k}`, `${pad}-${i}-${k}`]));
          return t.store.createRun({ ...makeRun({ name: `run-${String(i).padStart(5, '0')}` }), hyperparameters });
        }),
      );
    }
    let served = 0; // runs handed to the export by the store so far
    const getRuns = t.store.getRuns.bind(t.store);
    t.store.getRuns = async (ids) => {
      const runs = await getRuns(ids);
      served += runs.length;
      return runs;
    };
    const server = t.app.listen(0);
    try {
      const { port } = server.address() as AddressInfo;
      const response = await new Promise<IncomingMessage>((resolve, reject) => http.get(`http://127.0.0.1:${port}${API}/runs/export?format=csv&sort=name:asc`, resolve).on('error', reject));
      expect(response.statusCode).toBe(200);
      // Read nothing for a while: the server must wait for the client, not read on into memory.
      response.pause();
      let before = -1;
      for (let i = 0; i < 100 && served !== before; i++) {
        before = served;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(served).toBeGreaterThan(0);
      expect(served).toBeLessThan(10_000 / 2); // stalled within the sockets' buffers, far from the end
      const stalledAt = served;
      console.log(`export stalled after ${stalledAt} of 10,000 runs while the client read nothing`);
      // Then read it all: every run once, in order.
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.resume();
      await new Promise((resolve) => response.on('end', resolve));
      const lines = text.trim().split('\n');
      expect(lines).toHaveLength(10_001);
      expect(lines[1]!.split(',')[1]).toBe('run-00000');
      expect(lines[10_000]!.split(',')[1]).toBe('run-09999');
      expect(served).toBe(10_000);
      expect(stalledAt).toBeLessThan(served);
      expect(text.length).toBeGreaterThan(15_000_000);
    } finally {
      server.close();
    }
  }, 120_000);

  it('exports the runs that matched when it began, each once, while runs are created and deleted under it', async () => {
    const ids = await createRuns(1_250); // three pages of 500, newest first
    // Between pages: a new run (it would push the next page down by one) and the deletion of a run
    // not yet written (it would pull the next page up by one) — paging by offset repeated or skipped runs.
    const getRuns = t.store.getRuns.bind(t.store);
    const deleted: string[] = [];
    let pages = 0;
    t.store.getRuns = async (page) => {
      if (pages++ > 0) {
        await t.store.createRun(makeRun({ name: `late-${pages}` }));
        const victim = ids[ids.length - 1 - (500 * (pages - 1) + 100)]!; // on the page about to be read, newest first
        expect(victim).toEqual(expect.any(String));
        await t.store.deleteRuns([victim]);
        deleted.push(victim);
      }
      return getRuns(page);
    };
    const { rows } = await csv('columns=id,name');
    const exported = rows.slice(1).map((r) => r[0]!);
    expect(new Set(exported).size).toBe(exported.length); // none twice
    expect(deleted).toHaveLength(2);
    expect(exported).toEqual([...ids].reverse().filter((id) => !deleted.includes(id))); // every other run, in order; no late one
  }, 60_000);

  it('gives a metric’s latest, smallest and largest value over its points, and empty cells for what a run lacks', async () => {
    const [a, b] = await createRuns(2);
    await request(t.app).post(`${API}/runs/${a}/metrics`).send({ metrics: [0.9, 0.2, 0.5].map((value, step) => ({ key: 'loss', value, step })) }).expect(201);
    const { rows } = await csv(`columns=${encodeURIComponent('name,metrics.loss,metrics.loss.min,metrics.loss.max,params.missing')}&sort=name:asc`);
    expect(rows).toEqual([
      ['name', 'metrics.loss', 'metrics.loss.min', 'metrics.loss.max', 'params.missing'],
      ['r0', '0.5', '0.2', '0.9', ''],
      ['r1', '', '', '', ''],
    ]);
    void b;
  });

  it('defaults to identity, every param and every metric; quotes commas and defuses formulas', async () => {
    await createRuns(1, () => ({ name: '=HYPERLINK("http://x")', description: 'a, "b"', hyperparameters: { lr: 0.1 }, metrics: { acc: 0.5 } }));
    const { rows } = await csv('');
    expect(rows[0]).toEqual(['id', 'name', 'status', 'experimentId', 'createdAt', 'params.lr', 'metrics.acc']);
    expect(rows[1]![1]).toBe(`'=HYPERLINK("http://x")`);
    const { rows: described } = await csv('columns=description');
    expect(described[1]).toEqual(['a, "b"']);
  });

  it('refuses a bad column, filter or sort with 400 before sending anything', async () => {
    await createRuns(1);
    for (const [query, message] of [
      ['columns=nope', /columns: 'nope' is not a column/],
      ['columns=name,name', /named twice/],
      [`filter=${encodeURIComponent('metrics.acc >')}`, /.+/],
      ['sort=name:sideways', /.+/],
      ['format=xlsx', /format/],
    ] as const) {
      const res = await request(t.app).get(`${API}/runs/export?${query}`);
      expect([query, res.status, res.headers['content-type']]).toEqual([query, 400, expect.stringContaining('application/json')]);
      expect(res.body.error.message).toMatch(message);
    }
  });
});

describe('GET /runs/:id/metrics/:key?format=csv', () => {
  it('answers every point as logged, not downsampled, with NaN and infinities as pandas reads them', async () => {
    const [id] = await createRuns(1);
    const points = Array.from({ length: 3_000 }, (_, step) => ({ key: 'loss', value: 1 / (step + 1), step, timestamp: 1_700_000_000_000 + step }));
    await request(t.app).post(`${API}/runs/${id}/metrics`).send({ metrics: points }).expect(201);
    await request(t.app).post('/api/2.0/mlflow/runs/log-batch').send({ run_id: id, metrics: [{ key: 'loss', value: 'NaN', timestamp: 1, step: 3_000 }, { key: 'loss', value: '-Infinity', timestamp: 2, step: 3_001 }] }).expect(200);
    const res = await request(t.app).get(`${API}/runs/${id}/metrics/loss?format=csv`);
    expect([res.status, res.headers['content-type']]).toEqual([200, 'text/csv; charset=utf-8']);
    const rows = Papa.parse<string[]>(res.text.trim()).data;
    expect(rows[0]).toEqual(['step', 'value', 'timestamp']);
    expect(rows).toHaveLength(3_003);
    expect(rows[1]).toEqual(['0', '1', '1700000000000']);
    expect(rows.slice(-2)).toEqual([['3000', 'NaN', '1'], ['3001', '-inf', '2']]);
    expect((await request(t.app).get(`${API}/runs/${id}/metrics/nope?format=csv`)).status).toBe(404);
  });
});

describe('saved views: PUT and DELETE /experiments/:id/views/:name', () => {
  it('keeps a named query per experiment as its modellab.view.<name> tag, replaces it by name, deletes it', async () => {
    const exp = (await request(t.app).post(`${API}/experiments`).send({ name: 'viewed', tags: { team: 'cv' } })).body;
    const saved = await request(t.app).put(`${API}/experiments/${exp.id}/views/best runs`).send({ query: 'filter=metrics.acc+>+0.9&columns=params.lr' });
    expect(saved.status).toBe(200);
    expect(saved.body.tags).toEqual({ team: 'cv', 'modellab.view.best runs': 'filter=metrics.acc+>+0.9&columns=params.lr' });
    await request(t.app).put(`${API}/experiments/${exp.id}/views/best runs`).send({ query: 'sort=name:asc' }).expect(200);
    const mlflow = await request(t.app).get(`/api/2.0/mlflow/experiments/get?experiment_id=${exp.id}`);
    expect(mlflow.body.experiment.tags).toContainEqual({ key: 'modellab.view.best runs', value: 'sort=name:asc' });
    await request(t.app).delete(`${API}/experiments/${exp.id}/views/best runs`).expect(204);
    expect((await request(t.app).get(`${API}/experiments/${exp.id}`)).body.tags).toEqual({ team: 'cv' });
    expect((await request(t.app).delete(`${API}/experiments/${exp.id}/views/best runs`)).status).toBe(404);
    expect((await request(t.app).put(`${API}/experiments/${exp.id}/views/a%2Fb`).send({ query: '' })).status).toBe(400);
    expect((await request(t.app).put(`${API}/experiments/${exp.id}/views/x`).send({ query: 1 })).status).toBe(400);
    expect((await request(t.app).put(`${API}/experiments/99999/views/x`).send({ query: '' })).status).toBe(404);
  });
});

describe('GET /runs/groups and GET /compare/groups', () => {
  it('groups the runs that differ only in seed, with each metric’s mean and interval, and compares two groups across seeds', async () => {
    const exp = (await request(t.app).post(`${API}/experiments`).send({ name: 'seeds' })).body;
    const make = async (lr: number, seed: number, acc: number) =>
      (await request(t.app).post(`${API}/runs`).send({ name: `lr${lr}-s${seed}`, experimentId: exp.id, seed, hyperparameters: { lr, seed, optimizer: 'adam' }, metrics: { acc } })).body.id as string;
    const low = [await make(0.1, 1, 0.8), await make(0.1, 2, 0.82), await make(0.1, 3, 0.81)];
    const high = [await make(0.2, 1, 0.9), await make(0.2, 2, 0.91)];
    await request(t.app).post(`${API}/runs`).send({ name: 'elsewhere', hyperparameters: { lr: 0.1 } }); // another experiment
    const res = await request(t.app).get(`${API}/runs/groups?experimentId=${exp.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: 2, runs: 5, truncated: false });
    expect(res.body.items.map((g: { key: string; n: number; runIds: string[] }) => [g.key, g.n, [...g.runIds].sort()])).toEqual([
      ['lr=0.1, optimizer=adam', 3, [...low].sort()],
      ['lr=0.2, optimizer=adam', 2, [...high].sort()],
    ]);
    expect(res.body.items[0].metrics.acc.mean).toBeCloseTo(0.81, 12);
    expect(res.body.items[0].metrics.acc.ci.lower).toBeGreaterThanOrEqual(0.8);

    const byColumn = await request(t.app).get(`${API}/runs/groups?experimentId=${exp.id}&by=${encodeURIComponent('params.optimizer')}`);
    expect(byColumn.body.items.map((g: { key: string; n: number }) => [g.key, g.n])).toEqual([['optimizer=adam', 5]]);
    expect((await request(t.app).get(`${API}/runs/groups?by=nonsense`)).status).toBe(400);

    const compared = await request(t.app).get(`${API}/compare/groups?a=${low.join(',')}&b=${high.join(',')}`);
    expect(compared.status).toBe(200);
    expect(compared.body.a.n).toBe(3);
    expect(compared.body.b.n).toBe(2);
    const acc = compared.body.differences.find((d: { metric: string }) => d.metric === 'acc');
    expect(acc.diff).toBeCloseTo(0.905 - 0.81, 12);
    expect(acc.ci.lower).toBeGreaterThan(0);
    expect(compared.body.warning).toMatch(/fewer than 3 seeds/);
    expect((await request(t.app).get(`${API}/compare/groups?a=${low[0]}&b=${low[0]}`)).status).toBe(400);
    expect((await request(t.app).get(`${API}/compare/groups?a=${low[0]}&b=${'0'.repeat(32)}`)).status).toBe(404);
  });
});

describe('GET /runs/importance', () => {
  it('answers each varying parameter’s Spearman ρ and forest importance for the metric, over the runs that have it', async () => {
    const exp = (await request(t.app).post(`${API}/experiments`).send({ name: 'importance' })).body;
    for (let i = 0; i < 40; i++) {
      const lr = i / 40;
      await request(t.app).post(`${API}/runs`).send({ name: `i${i}`, experimentId: exp.id, hyperparameters: { lr, batch: 32, opt: { name: i % 2 ? 'adam' : 'sgd' }, noise: (i * 7) % 5 }, metrics: { acc: lr } });
    }
    await request(t.app).post(`${API}/runs`).send({ name: 'no-metric', experimentId: exp.id, hyperparameters: { lr: 9 } });
    const res = await request(t.app).get(`${API}/runs/importance?metric=acc&experimentId=${exp.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ metric: 'acc', n: 40, model: expect.stringMatching(/^random forest/), truncated: false });
    expect(res.body.items.map((i: { param: string }) => i.param).sort()).toEqual(['lr', 'noise', 'opt.name']); // batch never varies
    const lr = res.body.items.find((i: { param: string }) => i.param === 'lr');
    expect(res.body.items[0].param).toBe('lr');
    expect(lr.spearman).toBe(1); // acc = lr
    expect(lr.importance).toBeGreaterThan(0.8);
    expect((await request(t.app).get(`${API}/runs/importance`)).status).toBe(400); // metric is required
    expect((await request(t.app).get(`${API}/runs/importance?metric=nope&experimentId=${exp.id}`)).body).toMatchObject({ n: 0, items: [] });
  });
});
