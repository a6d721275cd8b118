/** Run tracking beyond CRUD: search, git state, metric series, deletion of run folders, live events. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/app';
import { tempDir } from '../helpers/tmp';

let t: TestApp;
beforeEach(async () => {
  t = await testApp();
});
afterEach(async () => {
  await t.cleanup();
});

const create = (body: object) => request(t.app).post('/api/modellab/runs').send(body);
const log = (id: string, metrics: object[]) => request(t.app).post(`/api/modellab/runs/${id}/metrics`).send({ metrics });

describe('GET /api/modellab/runs?filter=&sort=', () => {
  beforeEach(async () => {
    await create({ name: 'a', status: 'completed', hyperparameters: { lr: 0.1, opt: { name: 'sgd' } }, metrics: { acc: 0.9 } });
    await create({ name: 'b', status: 'completed', hyperparameters: { lr: 0.01, opt: { name: 'adam' } }, metrics: { acc: 0.95 } });
    await create({ name: 'c', status: 'failed', hyperparameters: { lr: 0.001 } });
  });

  it('answers the matches sorted, with total counting all matches', async () => {
    const res = await request(t.app).get('/api/modellab/runs').query({ filter: "status = 'completed' OR params.lr < 0.005", sort: 'metrics.acc:desc', limit: 2 });
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(3);
    expect(res.body.items.map((r: { name: string }) => r.name)).toEqual(['b', 'a']);
    const rest = await request(t.app).get('/api/modellab/runs').query({ filter: "status = 'completed' OR params.lr < 0.005", sort: 'metrics.acc:desc', limit: 2, offset: 2 });
    expect(rest.body.items.map((r: { name: string }) => r.name)).toEqual(['c']); // no acc: last
  });

  it('filters on nested params', async () => {
    const res = await request(t.app).get('/api/modellab/runs').query({ filter: "params.opt.name IN ('adam')" });
    expect(res.body.items.map((r: { name: string }) => r.name)).toEqual(['b']);
  });

  it('answers 400 invalid_filter pointing at the position', async () => {
    const res = await request(t.app).get('/api/modellab/runs').query({ filter: "status = 'completed' AND AND" });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_filter');
    expect(res.body.error.message).toMatch(/at position 26/);
    expect(res.body.error.details.position).toBe(26);
    const sort = await request(t.app).get('/api/modellab/runs').query({ sort: 'nope:asc' });
    expect(sort.status).toBe(400);
  });
});

describe('git state of new runs', () => {
  it('records HEAD, branch and dirty flag of MODELLAB_GIT_DIR unless the run gives a commit', async () => {
    const repo = await tempDir('modellab-git-');
    try {
      const git = (...args: string[]) => execFileSync('git', ['-C', repo.dir, ...args], { encoding: 'utf8' }).trim();
      git('init', '-q', '-b', 'experiments');
      writeFileSync(path.join(repo.dir, 'train.py'), 'print(1)\n');
      git('add', '.');
      git('-c', 'user.name=t', '-c', 'user.email=t@x', 'commit', '-qm', 'first');
      const head = git('rev-parse', 'HEAD');
      writeFileSync(path.join(repo.dir, 'train.py'), 'print(2)\n'); // uncommitted change
      const withGit = await testApp({ gitDir: repo.dir });
      try {
        const run = await request(withGit.app).post('/api/modellab/runs').send({ name: 'x' });
        expect(run.body).toMatchObject({ gitCommit: head, gitBranch: 'experiments', gitDirty: true });
        const given = await request(withGit.app).post('/api/modellab/runs').send({ name: 'y', gitCommit: 'abcdef1' });
        expect(given.body).toMatchObject({ gitCommit: 'abcdef1', gitBranch: null, gitDirty: null });
      } finally {
        await withGit.cleanup();
      }
    } finally {
      await repo.cleanup();
    }
  });

  it('records nulls outside a repository', async () => {
    const run = await create({ name: 'x' });
    expect(run.body).toMatchObject({ gitCommit: null, gitBranch: null, gitDirty: null });
  });
});

describe('POST /api/modellab/runs/:id/metrics', () => {
  it('appends to runs/<id>/metrics.jsonl (not db.json) and sets run.metrics to the value at the largest step', async () => {
    const { body: run } = await create({ name: 'x' });
    const res = await log(run.id, [
      { key: 'loss', value: 1.0, step: 0 },
      { key: 'loss', value: 0.5, step: 2 },
      { key: 'loss', value: 0.7, step: 1 },
      { key: 'acc', value: 0.8 },
    ]);
    expect(res.status).toBe(201);
    expect(res.body.stored).toBe(4);
    const file = path.join(t.dir, 'runs', run.id, 'metrics.jsonl');
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(4);
    expect(readFileSync(path.join(t.dir, 'db.json'), 'utf8')).not.toContain('"s":2');
    const { body: after } = await request(t.app).get(`/api/modellab/runs/${run.id}`);
    expect(after.metrics).toEqual({ loss: 0.5, acc: 0.8 });
  });

  it('defaults step to the next step of that key and timestamp to now', async () => {
    const { body: run } = await create({ name: 'x' });
    const before = Date.now();
    await log(run.id, [{ key: 'loss', value: 3 }, { key: 'loss', value: 2 }]);
    await log(run.id, [{ key: 'loss', value: 1 }]);
    const { body } = await request(t.app).get(`/api/modellab/runs/${run.id}/metrics/loss`);
    expect(body.points.map((p: { step: number }) => p.step)).toEqual([0, 1, 2]);
    expect(body.points[0].timestamp).toBeGreaterThanOrEqual(before);
  });

  it('summarises each key with last, min, max and count', async () => {
    const { body: run } = await create({ name: 'x' });
    await log(run.id, [
      { key: 'loss', value: 0.9, step: 0 },
      { key: 'loss', value: 0.2, step: 5 },
      { key: 'loss', value: 0.4, step: 9 },
      { key: 'lr', value: 0.1, step: 0 },
    ]);
    const res = await request(t.app).get(`/api/modellab/runs/${run.id}/metrics`);
    expect(res.body.items).toEqual([
      { key: 'loss', last: 0.4, lastStep: 9, lastTimestamp: expect.any(Number), min: 0.2, max: 0.9, count: 3, nonFinite: 0 },
      { key: 'lr', last: 0.1, lastStep: 0, lastTimestamp: expect.any(Number), min: 0.1, max: 0.1, count: 1, nonFinite: 0 },
    ]);
  });

  it('stores nothing of a request with one bad point', async () => {
    const { body: run } = await create({ name: 'x' });
    for (const bad of [{ key: 'a', value: 'high' }, { key: 'a', value: null }, { key: '', value: 1 }, { key: 'a', value: 1, step: -1 }, { key: 'a', value: 1, step: 1.5 }]) {
      const res = await log(run.id, [{ key: 'ok', value: 1 }, bad]);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    // 1e999 is valid JSON that parses to Infinity: refused too.
    const inf = await request(t.app).post(`/api/modellab/runs/${run.id}/metrics`).set('Content-Type', 'application/json').send('{"metrics":[{"key":"ok","value":1},{"key":"a","value":1e999}]}');
    expect(inf.status).toBe(400);
    expect(inf.body.error.message).toMatch(/^metrics.1.value: .*Infinity/);
    expect((await request(t.app).get(`/api/modellab/runs/${run.id}/metrics`)).body.items).toEqual([]);
    expect(existsSync(path.join(t.dir, 'runs', run.id, 'metrics.jsonl'))).toBe(false);
  });

  it('accepts 10,000 points in one request and refuses 10,001', async () => {
    const { body: run } = await create({ name: 'x' });
    const points = (n: number) => Array.from({ length: n }, (_, i) => ({ key: 'loss', value: 1 / (i + 1), step: i }));
    const ok = await log(run.id, points(10_000));
    expect(ok.status).toBe(201);
    expect((await log(run.id, points(10_001))).status).toBe(400);
  });

  it('answers 404 for an unknown run or key', async () => {
    expect((await log('nope', [{ key: 'a', value: 1 }])).status).toBe(404);
    const { body: run } = await create({ name: 'x' });
    expect((await request(t.app).get(`/api/modellab/runs/${run.id}/metrics/none`)).status).toBe(404);
  });
});

describe('GET /api/modellab/runs/:id/metrics/:key?maxPoints=', () => {
  it('orders by step and downsamples keeping the first, the last and the extremes', async () => {
    const { body: run } = await create({ name: 'x' });
    const points = Array.from({ length: 1000 }, (_, i) => ({ key: 'loss', value: Math.sin(i / 50) + (i === 437 ? 5 : 0) + (i === 612 ? -5 : 0), step: 999 - i }));
    await log(run.id, points);
    const all = (await request(t.app).get(`/api/modellab/runs/${run.id}/metrics/loss?maxPoints=5000`)).body.points;
    expect(all).toHaveLength(1000);
    expect(all.map((p: { step: number }) => p.step)).toEqual([...Array(1000).keys()]);
    const few = (await request(t.app).get(`/api/modellab/runs/${run.id}/metrics/loss?maxPoints=50`)).body.points;
    expect(few.length).toBeLessThanOrEqual(50);
    expect(few[0].step).toBe(0);
    expect(few.at(-1).step).toBe(999);
    const values = few.map((p: { value: number }) => p.value);
    expect(Math.max(...values)).toBe(Math.max(...all.map((p: { value: number }) => p.value)));
    expect(Math.min(...values)).toBe(Math.min(...all.map((p: { value: number }) => p.value)));
    const steps = few.map((p: { step: number }) => p.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
  });
});

describe('DELETE /api/modellab/runs/:id', () => {
  it('removes the run folder (metric series) and its artifacts folder', async () => {
    const { body: run } = await create({ name: 'x' });
    await log(run.id, [{ key: 'a', value: 1 }]);
    const artifacts = path.join(t.dir, 'artifacts', run.id, 'checkpoints');
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(path.join(artifacts, 'model.pt'), 'weights');
    expect((await request(t.app).delete(`/api/modellab/runs/${run.id}`)).status).toBe(204);
    expect(existsSync(path.join(t.dir, 'runs', run.id))).toBe(false);
    expect(existsSync(path.join(t.dir, 'artifacts', run.id))).toBe(false);
  });
});

describe('GET /api/modellab/events', () => {
  it('streams run and metric events, with the ids and names, and frees the subscription on disconnect', async () => {
    const server = t.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/modellab`;
    const controller = new AbortController();
    try {
      const others = t.services.events.subscribers; // the services' own (the permissions' cache)
      const res = await fetch(`${url}/events`, { signal: controller.signal });
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const reader = res.body!.getReader();
      await expect.poll(() => t.services.events.subscribers).toBe(others + 1);
      const run = (await (await fetch(`${url}/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"live"}' })).json()) as { id: string };
      await fetch(`${url}/runs/${run.id}/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"metrics":[{"key":"loss","value":1}]}' });
      await fetch(`${url}/runs/${run.id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"status":"running"}' });
      let text = '';
      while (!text.includes('event: run.updated')) text += new TextDecoder().decode((await reader.read()).value);
      expect(text).toContain('retry: 3000');
      expect(text).toMatch(new RegExp(`event: run.created\\ndata: \\{"id":"${run.id}","name":"live","status":"pending"`));
      expect(text).toMatch(new RegExp(`event: metrics.logged\\ndata: \\{"runId":"${run.id}","keys":\\["loss"\\],"count":1`));
      expect(text).toMatch(/event: run.updated\ndata: \{[^\n]*"status":"running"/);
      controller.abort();
      await expect.poll(() => t.services.events.subscribers).toBe(others);
    } finally {
      controller.abort();
      server.close();
      server.closeAllConnections();
    }
  });
});
