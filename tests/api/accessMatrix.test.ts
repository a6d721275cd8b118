/**
 * Who may call what (MODELLAB_AUTH=users): every endpoint of ModelLab's API and of MLflow's (the
 * artifact proxy and the live stream included) called as anonymous, a viewer, an editor, an admin
 * and a viewer granted `edit` on one experiment and one registered model — each answer's status
 * against the rule the endpoint follows. Objects are made fresh for every call (by the admin), so a
 * delete that succeeds for one caller does not change what the next one meets. The table is checked
 * against the routers themselves: an endpoint added without a row here fails the test.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, usersApp } from '../helpers/app';

const ML = '/api/modellab';
const MF = '/api/2.0/mlflow';
const MA = '/api/2.0/mlflow-artifacts/artifacts';
const WHO = ['anonymous', 'viewer', 'editor', 'admin', 'granted'] as const;
type Who = (typeof WHO)[number];
const USER: Record<Exclude<Who, 'anonymous'>, string> = { viewer: 'vi', editor: 'ed', admin: 'root', granted: 'gr' };
const basic = (name: string) => `Basic ${Buffer.from(`${name}:password-of-${name}`).toString('base64')}`;

/**
 * The rules: open (no user needed); read (any user); self (any user, on its own things); create (an
 * editor's role: new experiments, models, datasets); edit and manage on the object's experiment or
 * model, which is either E (no grants) or G (the granted viewer may edit it); admin.
 */
type Rule = 'open' | 'read' | 'self' | 'create' | 'edit' | 'manage' | 'admin';
type On = 'E' | 'G';

function expected(rule: Rule, on: On, who: Who): 'ok' | 401 | 403 {
  if (who === 'anonymous') return rule === 'open' ? 'ok' : 401;
  if (who === 'admin' || rule === 'open' || rule === 'read' || rule === 'self') return 'ok';
  if (rule === 'admin' || rule === 'manage') return 403;
  if (who === 'viewer') return 403;
  if (who === 'editor') return 'ok';
  return rule === 'edit' && on === 'G' ? 'ok' : 403; // granted: a viewer with edit on G
}

let t: TestApp;
let target: Server;
let targetUrl = '';
let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;
const E = { id: '', model: '' };
const G = { id: '', model: '' };

/** A request as the admin, for making fixtures. */
const root = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string) => request(t.app)[method](path).set('Authorization', basic('root'));
async function ok<T = Record<string, unknown>>(r: request.Test): Promise<T> {
  const res = await r;
  if (res.status >= 300) throw new Error(`fixture failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as T;
}

const fx = {
  experiment: (on: On) => (on === 'E' ? E.id : G.id),
  /** A fresh experiment; on G, the granted user may edit it. */
  async freshExperiment(on: On) {
    const { id } = await ok<{ id: string }>(root('post', `${ML}/experiments`).send({ name: unique('exp') }));
    if (on === 'G') await ok(root('put', `${ML}/experiments/${id}/permissions`).send({ user: 'gr', level: 'edit' }));
    return id;
  },
  async run(on: On) {
    return (await ok<{ id: string }>(root('post', `${ML}/runs`).send({ name: unique('run'), experimentId: fx.experiment(on) }))).id;
  },
  async runWithMetric(on: On) {
    const id = await fx.run(on);
    await ok(root('post', `${ML}/runs/${id}/metrics`).send({ metrics: [{ key: 'loss', value: 0.5, step: 0 }] }));
    return id;
  },
  async evaluatedRun(on: On) {
    const id = await fx.run(on);
    await ok(root('post', `${ML}/runs/${id}/evaluate`).send(EVAL));
    return id;
  },
  async artifact(on: On) {
    const id = await fx.run(on);
    await ok(root('post', `${ML}/artifacts/${id}`).field('category', 'plots').attach('file', Buffer.from('png'), 'a.png'));
    return { run: id, path: 'plots/a.png' };
  },
  async dataset() {
    return (await ok<{ id: string }>(root('post', `${ML}/datasets`).attach('file', Buffer.from(`a,b\n${++counter},2\n`), 'd.csv'))).id;
  },
  /** A fresh registered model; on G, the granted user may edit it. */
  async model(on: On) {
    const name = unique(`model-${on}`);
    await ok(root('post', `${ML}/models`).send({ name }));
    if (on === 'G') await ok(root('put', `${ML}/models/${name}/permissions`).send({ user: 'gr', level: 'edit' }));
    return name;
  },
  async version(on: On) {
    const name = await fx.model(on);
    const run = await fx.run('E');
    await ok(root('post', `${ML}/models/${name}/versions`).send({ runId: run, path: 'model' }));
    await ok(root('post', `${ML}/models/${name}/versions`).send({ runId: run, path: 'model' }));
    await ok(root('put', `${ML}/models/${name}/aliases/champion`).send({ version: 1 }));
    return { name, run };
  },
  async logged(on: On) {
    const run = await fx.run(on);
    const { id } = await ok<{ id: string }>(root('post', `${ML}/logged-models`).send({ name: unique('lm'), runId: run }));
    await ok(root('post', `${ML}/logged-models/${id}/files`).attach('file', Buffer.from('weights'), 'w.bin'));
    return { id, run };
  },
  async user() {
    const name = unique('user');
    await ok(root('post', `${ML}/users`).send({ name, password: 'password-of-someone', role: 'viewer' }));
    return name;
  },
};

const EVAL = { predictions: ['a', 'b', 'a', 'b'], labels: ['a', 'b', 'b', 'b'], config: { taskType: 'classification', classes: ['a', 'b'], bootstrap: { resamples: 50, seed: 1 } } };
const mlflowRun = async (on: On) => {
  const id = await fx.run(on);
  return { id, experiment: fx.experiment(on) };
};

/** A caller: the request with its credentials (none for anonymous). */
type Call = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string) => request.Test;
const callerOf =
  (who: Who): Call =>
  (method, path) => {
    const r = request(t.app)[method](path);
    return who === 'anonymous' ? r : r.set('Authorization', basic(USER[who]));
  };

interface Row {
  /** METHOD and the path as the router declares it. */
  route: string;
  rule: Rule;
  on?: On;
  call: (as: Call, who: Who) => Promise<request.Response>;
}

const rows: Row[] = [
  // ---------------------------------------------------------------- ModelLab: health, sign-in, tokens, users
  { route: 'GET /health', rule: 'open', call: (as) => as('get', `${ML}/health`) },
  { route: 'POST /auth/login', rule: 'open', call: (as) => as('post', `${ML}/auth/login`).send({ username: 'vi', password: 'password-of-vi' }) },
  { route: 'GET /auth/me', rule: 'self', call: (as) => as('get', `${ML}/auth/me`) },
  { route: 'POST /auth/logout', rule: 'self', call: (as) => as('post', `${ML}/auth/logout`) },
  { route: 'GET /tokens', rule: 'self', call: (as) => as('get', `${ML}/tokens`) },
  { route: 'POST /tokens', rule: 'self', call: (as) => as('post', `${ML}/tokens`).send({ name: 'matrix' }) },
  {
    route: 'DELETE /tokens/:id',
    rule: 'self',
    call: async (as, who) => {
      const own = who === 'anonymous' ? { id: '0123456789abcdef' } : (await callerOf(who)('post', `${ML}/tokens`).send({ name: 'to-revoke' })).body;
      return as('delete', `${ML}/tokens/${own.id}`);
    },
  },
  { route: 'GET /users', rule: 'admin', call: (as) => as('get', `${ML}/users`) },
  { route: 'POST /users', rule: 'admin', call: (as) => as('post', `${ML}/users`).send({ name: unique('u'), password: 'password-of-u', role: 'viewer' }) },
  { route: 'PUT /users/:name', rule: 'admin', call: async (as) => as('put', `${ML}/users/${await fx.user()}`).send({ role: 'editor' }) },
  { route: 'DELETE /users/:name', rule: 'admin', call: async (as) => as('delete', `${ML}/users/${await fx.user()}`) },
  { route: 'GET /permissions', rule: 'admin', call: (as) => as('get', `${ML}/permissions`) },
  { route: 'GET /audit', rule: 'admin', call: (as) => as('get', `${ML}/audit`) },
  { route: 'GET /stats', rule: 'read', call: (as) => as('get', `${ML}/stats`) },
  { route: 'GET /compare', rule: 'read', call: async (as) => as('get', `${ML}/compare?runs=${await fx.evaluatedRun('E')},${await fx.evaluatedRun('G')}`) },

  // ---------------------------------------------------------------- experiments and their permissions
  { route: 'GET /experiments', rule: 'read', call: (as) => as('get', `${ML}/experiments`) },
  { route: 'POST /experiments', rule: 'create', call: (as) => as('post', `${ML}/experiments`).send({ name: unique('new-exp') }) },
  { route: 'GET /experiments/:id', rule: 'read', call: (as) => as('get', `${ML}/experiments/${E.id}`) },
  { route: 'PUT /experiments/:id', rule: 'edit', on: 'G', call: async (as) => as('put', `${ML}/experiments/${await fx.freshExperiment('G')}`).send({ name: unique('renamed') }) },
  { route: 'PUT /experiments/:id/views/:name', rule: 'edit', on: 'G', call: (as) => as('put', `${ML}/experiments/${G.id}/views/${unique('v')}`).send({ query: 'sort=name:asc' }) },
  {
    route: 'DELETE /experiments/:id/views/:name',
    rule: 'edit',
    on: 'E',
    call: async (as) => {
      const name = unique('v');
      await ok(root('put', `${ML}/experiments/${E.id}/views/${name}`).send({ query: '' }));
      return as('delete', `${ML}/experiments/${E.id}/views/${name}`);
    },
  },
  { route: 'GET /experiments/:id/permissions', rule: 'manage', on: 'G', call: (as) => as('get', `${ML}/experiments/${G.id}/permissions`) },
  { route: 'PUT /experiments/:id/permissions', rule: 'manage', on: 'G', call: async (as) => as('put', `${ML}/experiments/${await fx.freshExperiment('G')}/permissions`).send({ user: 'vi', level: 'read' }) },
  { route: 'DELETE /experiments/:id/permissions/:user', rule: 'manage', on: 'G', call: async (as) => as('delete', `${ML}/experiments/${await fx.freshExperiment('G')}/permissions/gr`) },

  // ---------------------------------------------------------------- runs
  { route: 'GET /runs', rule: 'read', call: (as) => as('get', `${ML}/runs?count=true`) },
  { route: 'POST /runs', rule: 'edit', on: 'G', call: (as) => as('post', `${ML}/runs`).send({ name: 'matrix', experimentId: G.id }) },
  { route: 'POST /runs/bulk', rule: 'edit', on: 'G', call: async (as) => as('post', `${ML}/runs/bulk`).send({ action: 'tag', ids: [await fx.run('G'), await fx.run('G')], tags: { k: 'v' } }) },
  { route: 'GET /runs/importance', rule: 'read', call: (as) => as('get', `${ML}/runs/importance?metric=acc&experimentId=${E.id}`) },
  { route: 'GET /runs/groups', rule: 'read', call: (as) => as('get', `${ML}/runs/groups?experimentId=${E.id}`) },
  { route: 'GET /compare/groups', rule: 'read', call: async (as) => as('get', `${ML}/compare/groups?a=${await fx.run('E')}&b=${await fx.run('G')}`) },
  { route: 'GET /runs/export', rule: 'read', call: (as) => as('get', `${ML}/runs/export?experimentId=${E.id}`) },
  { route: 'GET /runs/:id', rule: 'read', call: async (as) => as('get', `${ML}/runs/${await fx.run('E')}`) },
  { route: 'PUT /runs/:id', rule: 'edit', on: 'E', call: async (as) => as('put', `${ML}/runs/${await fx.run('E')}`).send({ description: 'changed' }) },
  { route: 'DELETE /runs/:id', rule: 'manage', on: 'G', call: async (as) => as('delete', `${ML}/runs/${await fx.run('G')}`) },
  { route: 'POST /runs/:id/metrics', rule: 'edit', on: 'G', call: async (as) => as('post', `${ML}/runs/${await fx.run('G')}/metrics`).send({ metrics: [{ key: 'loss', value: 1 }] }) },
  { route: 'GET /runs/:id/metrics', rule: 'read', call: async (as) => as('get', `${ML}/runs/${await fx.runWithMetric('E')}/metrics`) },
  { route: 'GET /runs/:id/metrics/:key', rule: 'read', call: async (as) => as('get', `${ML}/runs/${await fx.runWithMetric('E')}/metrics/loss`) },
  { route: 'POST /runs/:id/evaluate', rule: 'edit', on: 'E', call: async (as) => as('post', `${ML}/runs/${await fx.run('E')}/evaluate`).send(EVAL) },
  { route: 'GET /runs/:id/evaluation', rule: 'read', call: async (as) => as('get', `${ML}/runs/${await fx.evaluatedRun('E')}/evaluation`) },
  { route: 'POST /runs/:id/latency', rule: 'edit', on: 'G', call: async (as) => as('post', `${ML}/runs/${await fx.run('G')}/latency`).send({ samplesMs: [1, 2, 3] }) },
  {
    route: 'GET /runs/:id/latency',
    rule: 'read',
    call: async (as) => {
      const id = await fx.run('E');
      await ok(root('post', `${ML}/runs/${id}/latency`).send({ samplesMs: [1, 2, 3] }));
      return as('get', `${ML}/runs/${id}/latency`);
    },
  },
  { route: 'POST /runs/:id/profile', rule: 'edit', on: 'G', call: async (as) => as('post', `${ML}/runs/${await fx.run('G')}/profile`).send({ target: { url: targetUrl }, requests: 3 }) },
  { route: 'GET /runs/:id/report', rule: 'read', call: async (as) => as('get', `${ML}/runs/${await fx.evaluatedRun('E')}/report?format=md`) },

  // ---------------------------------------------------------------- artifacts
  { route: 'GET /artifacts/:runId', rule: 'read', call: async (as) => as('get', `${ML}/artifacts/${(await fx.artifact('E')).run}`) },
  { route: 'POST /artifacts/:runId', rule: 'edit', on: 'G', call: async (as) => as('post', `${ML}/artifacts/${await fx.run('G')}`).field('category', 'plots').attach('file', Buffer.from('png'), 'b.png') },
  {
    route: 'GET /artifacts/:runId/download/*rest',
    rule: 'read',
    call: async (as) => {
      const a = await fx.artifact('E');
      return as('get', `${ML}/artifacts/${a.run}/download/${a.path}`);
    },
  },
  {
    route: 'DELETE /artifacts/:runId/download/*rest',
    rule: 'edit',
    on: 'E',
    call: async (as) => {
      const a = await fx.artifact('E');
      return as('delete', `${ML}/artifacts/${a.run}/download/${a.path}`);
    },
  },

  // ---------------------------------------------------------------- datasets (roles only)
  { route: 'GET /datasets', rule: 'read', call: (as) => as('get', `${ML}/datasets`) },
  { route: 'POST /datasets', rule: 'create', call: (as) => as('post', `${ML}/datasets`).attach('file', Buffer.from(`x,y\n${++counter},1\n`), 'up.csv') },
  { route: 'GET /datasets/:id', rule: 'read', call: async (as) => as('get', `${ML}/datasets/${await fx.dataset()}`) },
  { route: 'GET /datasets/:id/preview', rule: 'read', call: async (as) => as('get', `${ML}/datasets/${await fx.dataset()}/preview`) },
  { route: 'GET /datasets/:id/download', rule: 'read', call: async (as) => as('get', `${ML}/datasets/${await fx.dataset()}/download`) },
  { route: 'POST /datasets/:id/validate', rule: 'create', call: async (as) => as('post', `${ML}/datasets/${await fx.dataset()}/validate`).attach('file', Buffer.from('a,b\n1,2\n'), 'v.csv') },
  { route: 'PUT /datasets/:id', rule: 'create', call: async (as) => as('put', `${ML}/datasets/${await fx.dataset()}`).send({ description: 'd' }) },
  { route: 'DELETE /datasets/:id', rule: 'create', call: async (as) => as('delete', `${ML}/datasets/${await fx.dataset()}`) },

  // ---------------------------------------------------------------- registered models, versions, aliases, their permissions
  { route: 'GET /models', rule: 'read', call: (as) => as('get', `${ML}/models`) },
  { route: 'POST /models', rule: 'create', call: (as) => as('post', `${ML}/models`).send({ name: unique('new-model') }) },
  { route: 'GET /models/:name', rule: 'read', call: async (as) => as('get', `${ML}/models/${await fx.model('E')}`) },
  { route: 'PATCH /models/:name', rule: 'edit', on: 'G', call: async (as) => as('patch', `${ML}/models/${await fx.model('G')}`).send({ description: 'd' }) },
  { route: 'DELETE /models/:name', rule: 'manage', on: 'G', call: async (as) => as('delete', `${ML}/models/${await fx.model('G')}`) },
  { route: 'GET /models/:name/versions', rule: 'read', call: async (as) => as('get', `${ML}/models/${(await fx.version('E')).name}/versions`) },
  { route: 'POST /models/:name/versions', rule: 'edit', on: 'G', call: async (as) => as('post', `${ML}/models/${await fx.model('G')}/versions`).send({ runId: await fx.run('E'), path: 'model' }) },
  { route: 'GET /models/:name/versions/:version', rule: 'read', call: async (as) => as('get', `${ML}/models/${(await fx.version('E')).name}/versions/1`) },
  { route: 'PATCH /models/:name/versions/:version', rule: 'edit', on: 'E', call: async (as) => as('patch', `${ML}/models/${(await fx.version('E')).name}/versions/1`).send({ description: 'd' }) },
  { route: 'DELETE /models/:name/versions/:version', rule: 'manage', on: 'G', call: async (as) => as('delete', `${ML}/models/${(await fx.version('G')).name}/versions/2`) },
  { route: 'GET /models/:name/diff', rule: 'read', call: async (as) => as('get', `${ML}/models/${(await fx.version('E')).name}/diff?a=1&b=2`) },
  { route: 'GET /models/:name/aliases/:alias', rule: 'read', call: async (as) => as('get', `${ML}/models/${(await fx.version('E')).name}/aliases/champion`) },
  { route: 'PUT /models/:name/aliases/:alias', rule: 'edit', on: 'G', call: async (as) => as('put', `${ML}/models/${(await fx.version('G')).name}/aliases/best`).send({ version: 2 }) },
  { route: 'DELETE /models/:name/aliases/:alias', rule: 'edit', on: 'E', call: async (as) => as('delete', `${ML}/models/${(await fx.version('E')).name}/aliases/champion`) },
  { route: 'GET /models/:name/permissions', rule: 'manage', on: 'G', call: (as) => as('get', `${ML}/models/${G.model}/permissions`) },
  { route: 'PUT /models/:name/permissions', rule: 'manage', on: 'G', call: async (as) => as('put', `${ML}/models/${await fx.model('G')}/permissions`).send({ user: 'vi', level: 'edit' }) },
  { route: 'DELETE /models/:name/permissions/:user', rule: 'manage', on: 'G', call: async (as) => as('delete', `${ML}/models/${await fx.model('G')}/permissions/gr`) },

  // ---------------------------------------------------------------- logged models (their run's experiment decides)
  { route: 'GET /logged-models', rule: 'read', call: (as) => as('get', `${ML}/logged-models`) },
  { route: 'POST /logged-models', rule: 'edit', on: 'G', call: async (as) => as('post', `${ML}/logged-models`).send({ name: 'lm', runId: await fx.run('G') }) },
  { route: 'GET /logged-models/:id', rule: 'read', call: async (as) => as('get', `${ML}/logged-models/${(await fx.logged('E')).id}`) },
  { route: 'PATCH /logged-models/:id', rule: 'edit', on: 'E', call: async (as) => as('patch', `${ML}/logged-models/${(await fx.logged('E')).id}`).send({ tags: { k: 'v' } }) },
  { route: 'DELETE /logged-models/:id', rule: 'manage', on: 'G', call: async (as) => as('delete', `${ML}/logged-models/${(await fx.logged('G')).id}`) },
  { route: 'GET /logged-models/:id/files', rule: 'read', call: async (as) => as('get', `${ML}/logged-models/${(await fx.logged('E')).id}/files`) },
  { route: 'POST /logged-models/:id/files', rule: 'edit', on: 'G', call: async (as) => as('post', `${ML}/logged-models/${(await fx.logged('G')).id}/files?overwrite=true`).attach('file', Buffer.from('w2'), 'w.bin') },
  { route: 'GET /logged-models/:id/files/*rest', rule: 'read', call: async (as) => as('get', `${ML}/logged-models/${(await fx.logged('E')).id}/files/other/w.bin`) },

  // ---------------------------------------------------------------- MLflow: experiments
  { route: 'POST mlflow/experiments/create', rule: 'create', call: (as) => as('post', `${MF}/experiments/create`).send({ name: unique('mf-exp') }) },
  { route: 'GET mlflow/experiments/get', rule: 'read', call: (as) => as('get', `${MF}/experiments/get?experiment_id=${E.id}`) },
  { route: 'GET mlflow/experiments/get-by-name', rule: 'read', call: (as) => as('get', `${MF}/experiments/get-by-name?experiment_name=matrix-E`) },
  { route: 'GET mlflow/experiments/search', rule: 'read', call: (as) => as('get', `${MF}/experiments/search?max_results=10`) },
  { route: 'POST mlflow/experiments/search', rule: 'read', call: (as) => as('post', `${MF}/experiments/search`).send({ max_results: 10 }) },
  { route: 'GET mlflow/experiments/list', rule: 'read', call: (as) => as('get', `${MF}/experiments/list`) },
  { route: 'POST mlflow/experiments/list', rule: 'read', call: (as) => as('post', `${MF}/experiments/list`).send({}) },
  { route: 'POST mlflow/experiments/update', rule: 'edit', on: 'G', call: async (as) => as('post', `${MF}/experiments/update`).send({ experiment_id: await fx.freshExperiment('G'), new_name: unique('mf-renamed') }) },
  { route: 'POST mlflow/experiments/delete', rule: 'manage', on: 'G', call: async (as) => as('post', `${MF}/experiments/delete`).send({ experiment_id: await fx.freshExperiment('G') }) },
  {
    route: 'POST mlflow/experiments/restore',
    rule: 'manage',
    on: 'G',
    call: async (as) => {
      const id = await fx.freshExperiment('G');
      await ok(root('post', `${MF}/experiments/delete`).send({ experiment_id: id }));
      return as('post', `${MF}/experiments/restore`).send({ experiment_id: id });
    },
  },
  { route: 'POST mlflow/experiments/set-experiment-tag', rule: 'edit', on: 'E', call: (as) => as('post', `${MF}/experiments/set-experiment-tag`).send({ experiment_id: E.id, key: 'k', value: 'v' }) },

  // ---------------------------------------------------------------- MLflow: runs
  { route: 'POST mlflow/runs/create', rule: 'edit', on: 'G', call: (as) => as('post', `${MF}/runs/create`).send({ experiment_id: G.id, run_name: 'mf' }) },
  { route: 'GET mlflow/runs/get', rule: 'read', call: async (as) => as('get', `${MF}/runs/get?run_id=${await fx.run('E')}`) },
  { route: 'POST mlflow/runs/update', rule: 'edit', on: 'E', call: async (as) => as('post', `${MF}/runs/update`).send({ run_id: await fx.run('E'), status: 'RUNNING' }) },
  { route: 'POST mlflow/runs/delete', rule: 'manage', on: 'G', call: async (as) => as('post', `${MF}/runs/delete`).send({ run_id: await fx.run('G') }) },
  {
    route: 'POST mlflow/runs/restore',
    rule: 'manage',
    on: 'G',
    call: async (as) => {
      const id = await fx.run('G');
      await ok(root('post', `${MF}/runs/delete`).send({ run_id: id }));
      return as('post', `${MF}/runs/restore`).send({ run_id: id });
    },
  },
  { route: 'GET mlflow/runs/search', rule: 'read', call: (as) => as('get', `${MF}/runs/search?experiment_ids=${E.id}`) },
  { route: 'POST mlflow/runs/search', rule: 'read', call: (as) => as('post', `${MF}/runs/search`).send({ experiment_ids: [E.id, G.id] }) },
  { route: 'POST mlflow/runs/log-metric', rule: 'edit', on: 'G', call: async (as) => as('post', `${MF}/runs/log-metric`).send({ run_id: await fx.run('G'), key: 'm', value: 1, timestamp: 1, step: 0 }) },
  { route: 'POST mlflow/runs/log-parameter', rule: 'edit', on: 'E', call: async (as) => as('post', `${MF}/runs/log-parameter`).send({ run_id: await fx.run('E'), key: 'p', value: '1' }) },
  { route: 'POST mlflow/runs/set-tag', rule: 'edit', on: 'G', call: async (as) => as('post', `${MF}/runs/set-tag`).send({ run_id: await fx.run('G'), key: 't', value: '1' }) },
  {
    route: 'POST mlflow/runs/delete-tag',
    rule: 'edit',
    on: 'E',
    call: async (as) => {
      const id = await fx.run('E');
      await ok(root('post', `${MF}/runs/set-tag`).send({ run_id: id, key: 't', value: '1' }));
      return as('post', `${MF}/runs/delete-tag`).send({ run_id: id, key: 't' });
    },
  },
  { route: 'POST mlflow/runs/log-batch', rule: 'edit', on: 'G', call: async (as) => as('post', `${MF}/runs/log-batch`).send({ run_id: await fx.run('G'), metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }], params: [{ key: 'p', value: '1' }] }) },
  {
    route: 'POST mlflow/runs/log-inputs',
    rule: 'edit',
    on: 'E',
    call: async (as) => as('post', `${MF}/runs/log-inputs`).send({ run_id: await fx.run('E'), datasets: [{ dataset: { name: 'd', digest: 'abc', source_type: 'local', source: '/d' } }] }),
  },
  { route: 'POST mlflow/runs/log-model', rule: 'edit', on: 'G', call: async (as) => as('post', `${MF}/runs/log-model`).send({ run_id: await fx.run('G'), model_json: JSON.stringify({ artifact_path: 'model', flavors: {} }) }) },
  { route: 'GET mlflow/metrics/get-history', rule: 'read', call: async (as) => as('get', `${MF}/metrics/get-history?run_id=${await fx.runWithMetric('E')}&metric_key=loss`) },
  {
    route: 'POST mlflow/runs/outputs',
    rule: 'edit',
    on: 'G',
    call: async (as) => {
      const m = await fx.logged('G');
      return as('post', `${MF}/runs/outputs`).send({ run_id: await fx.run('G'), models: [{ model_id: m.id, step: 1 }] });
    },
  },

  // ---------------------------------------------------------------- MLflow: logged models
  { route: 'POST mlflow/logged-models', rule: 'edit', on: 'G', call: (as) => as('post', `${MF}/logged-models`).send({ experiment_id: G.id, name: 'mf-lm' }) },
  { route: 'GET mlflow/logged-models/:model_id', rule: 'read', call: async (as) => as('get', `${MF}/logged-models/${(await fx.logged('E')).id}`) },
  { route: 'PATCH mlflow/logged-models/:model_id', rule: 'edit', on: 'G', call: async (as) => as('patch', `${MF}/logged-models/${(await fx.logged('G')).id}`).send({ status: 'LOGGED_MODEL_READY' }) },
  { route: 'DELETE mlflow/logged-models/:model_id', rule: 'manage', on: 'G', call: async (as) => as('delete', `${MF}/logged-models/${(await fx.logged('G')).id}`) },
  { route: 'POST mlflow/logged-models/search', rule: 'read', call: (as) => as('post', `${MF}/logged-models/search`).send({ experiment_ids: [E.id] }) },
  { route: 'POST mlflow/logged-models/:model_id/params', rule: 'edit', on: 'E', call: async (as) => as('post', `${MF}/logged-models/${(await fx.logged('E')).id}/params`).send({ params: [{ key: 'p', value: '1' }] }) },
  { route: 'PATCH mlflow/logged-models/:model_id/tags', rule: 'edit', on: 'G', call: async (as) => as('patch', `${MF}/logged-models/${(await fx.logged('G')).id}/tags`).send({ tags: [{ key: 't', value: '1' }] }) },
  {
    route: 'DELETE mlflow/logged-models/:model_id/tags/:tag_key',
    rule: 'edit',
    on: 'E',
    call: async (as) => {
      const m = await fx.logged('E');
      await ok(root('patch', `${MF}/logged-models/${m.id}/tags`).send({ tags: [{ key: 't', value: '1' }] }));
      return as('delete', `${MF}/logged-models/${m.id}/tags/t`);
    },
  },
  {
    route: 'DELETE mlflow/logged-models/:model_id/tags',
    rule: 'edit',
    on: 'G',
    call: async (as) => {
      const m = await fx.logged('G');
      await ok(root('patch', `${MF}/logged-models/${m.id}/tags`).send({ tags: [{ key: 't', value: '1' }] }));
      return as('delete', `${MF}/logged-models/${m.id}/tags`).send({ tag_key: 't' });
    },
  },

  // ---------------------------------------------------------------- MLflow: the registry
  { route: 'POST mlflow/registered-models/create', rule: 'create', call: (as) => as('post', `${MF}/registered-models/create`).send({ name: unique('mf-model') }) },
  { route: 'GET mlflow/registered-models/get', rule: 'read', call: async (as) => as('get', `${MF}/registered-models/get?name=${await fx.model('E')}`) },
  { route: 'POST mlflow/registered-models/rename', rule: 'edit', on: 'G', call: async (as) => as('post', `${MF}/registered-models/rename`).send({ name: await fx.model('G'), new_name: unique('mf-renamed-model') }) },
  { route: 'PATCH mlflow/registered-models/update', rule: 'edit', on: 'E', call: async (as) => as('patch', `${MF}/registered-models/update`).send({ name: await fx.model('E'), description: 'd' }) },
  { route: 'DELETE mlflow/registered-models/delete', rule: 'manage', on: 'G', call: async (as) => as('delete', `${MF}/registered-models/delete`).send({ name: await fx.model('G') }) },
  { route: 'GET mlflow/registered-models/search', rule: 'read', call: (as) => as('get', `${MF}/registered-models/search`) },
  { route: 'GET mlflow/registered-models/get-latest-versions', rule: 'read', call: async (as) => as('get', `${MF}/registered-models/get-latest-versions?name=${(await fx.version('E')).name}`) },
  { route: 'POST mlflow/registered-models/get-latest-versions', rule: 'read', call: async (as) => as('post', `${MF}/registered-models/get-latest-versions`).send({ name: (await fx.version('E')).name }) },
  { route: 'POST mlflow/registered-models/set-tag', rule: 'edit', on: 'G', call: async (as) => as('post', `${MF}/registered-models/set-tag`).send({ name: await fx.model('G'), key: 'k', value: 'v' }) },
  {
    route: 'DELETE mlflow/registered-models/delete-tag',
    rule: 'edit',
    on: 'E',
    call: async (as) => {
      const name = await fx.model('E');
      await ok(root('post', `${MF}/registered-models/set-tag`).send({ name, key: 'k', value: 'v' }));
      return as('delete', `${MF}/registered-models/delete-tag`).send({ name, key: 'k' });
    },
  },
  { route: 'POST mlflow/registered-models/alias', rule: 'edit', on: 'G', call: async (as) => as('post', `${MF}/registered-models/alias`).send({ name: (await fx.version('G')).name, alias: 'a', version: '2' }) },
  { route: 'DELETE mlflow/registered-models/alias', rule: 'edit', on: 'E', call: async (as) => as('delete', `${MF}/registered-models/alias`).send({ name: (await fx.version('E')).name, alias: 'champion' }) },
  { route: 'GET mlflow/registered-models/alias', rule: 'read', call: async (as) => as('get', `${MF}/registered-models/alias?name=${(await fx.version('E')).name}&alias=champion`) },
  { route: 'POST mlflow/model-versions/create', rule: 'edit', on: 'G', call: async (as) => as('post', `${MF}/model-versions/create`).send({ name: await fx.model('G'), source: `runs:/${await fx.run('E')}/model` }) },
  { route: 'GET mlflow/model-versions/get', rule: 'read', call: async (as) => as('get', `${MF}/model-versions/get?name=${(await fx.version('E')).name}&version=1`) },
  { route: 'PATCH mlflow/model-versions/update', rule: 'edit', on: 'G', call: async (as) => as('patch', `${MF}/model-versions/update`).send({ name: (await fx.version('G')).name, version: '1', description: 'd' }) },
  { route: 'DELETE mlflow/model-versions/delete', rule: 'manage', on: 'G', call: async (as) => as('delete', `${MF}/model-versions/delete`).send({ name: (await fx.version('G')).name, version: '2' }) },
  { route: 'GET mlflow/model-versions/search', rule: 'read', call: async (as) => as('get', `${MF}/model-versions/search?filter=${encodeURIComponent(`name='${(await fx.version('E')).name}'`)}`) },
  { route: 'POST mlflow/model-versions/transition-stage', rule: 'edit', on: 'E', call: async (as) => as('post', `${MF}/model-versions/transition-stage`).send({ name: (await fx.version('E')).name, version: '1', stage: 'Staging' }) },
  { route: 'GET mlflow/model-versions/get-download-uri', rule: 'read', call: async (as) => as('get', `${MF}/model-versions/get-download-uri?name=${(await fx.version('E')).name}&version=1`) },
  { route: 'POST mlflow/model-versions/set-tag', rule: 'edit', on: 'G', call: async (as) => as('post', `${MF}/model-versions/set-tag`).send({ name: (await fx.version('G')).name, version: '1', key: 'k', value: 'v' }) },
  {
    route: 'DELETE mlflow/model-versions/delete-tag',
    rule: 'edit',
    on: 'E',
    call: async (as) => {
      const { name } = await fx.version('E');
      await ok(root('post', `${MF}/model-versions/set-tag`).send({ name, version: '1', key: 'k', value: 'v' }));
      return as('delete', `${MF}/model-versions/delete-tag`).send({ name, version: '1', key: 'k' });
    },
  },

  // ---------------------------------------------------------------- MLflow: the artifact proxy
  {
    route: 'PUT mlflow-artifacts/artifacts/*rest',
    rule: 'edit',
    on: 'G',
    call: async (as) => {
      const r = await mlflowRun('G');
      return as('put', `${MA}/${r.experiment}/${r.id}/artifacts/model/MLmodel`).set('content-type', 'application/octet-stream').send('flavors: {}\n');
    },
  },
  {
    route: 'GET mlflow-artifacts/artifacts/*rest',
    rule: 'read',
    call: async (as) => {
      const r = await mlflowRun('E');
      await ok(root('put', `${MA}/${r.experiment}/${r.id}/artifacts/model/MLmodel`).set('content-type', 'application/octet-stream').send('flavors: {}\n'));
      return as('get', `${MA}/${r.experiment}/${r.id}/artifacts/model/MLmodel`);
    },
  },
  {
    route: 'DELETE mlflow-artifacts/artifacts/*rest',
    rule: 'edit',
    on: 'E',
    call: async (as) => {
      const r = await mlflowRun('E');
      await ok(root('put', `${MA}/${r.experiment}/${r.id}/artifacts/model/MLmodel`).set('content-type', 'application/octet-stream').send('flavors: {}\n'));
      return as('delete', `${MA}/${r.experiment}/${r.id}/artifacts/model/MLmodel`);
    },
  },
  { route: 'GET mlflow-artifacts/artifacts', rule: 'read', call: async (as) => as('get', `${MA}?path=${E.id}/${await fx.run('E')}/artifacts`) },
];

beforeAll(async () => {
  t = await usersApp('json', [['vi', 'viewer'], ['ed', 'editor'], ['gr', 'viewer']]);
  target = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
  E.id = (await ok<{ id: string }>(root('post', `${ML}/experiments`).send({ name: 'matrix-E' }))).id;
  G.id = await fx.freshExperiment('G');
  E.model = await fx.model('E');
  G.model = await fx.model('G');
}, 60_000);
afterAll(async () => {
  target?.close();
  await t?.cleanup();
});

describe('every endpoint, as every kind of caller', () => {
  it('covers every route the routers declare', () => {
    const declared = new Set<string>();
    for (const { method, path } of declaredRoutes()) {
      if (path.startsWith(ML)) declared.add(`${method} ${path.slice(ML.length)}`);
      else if (path.startsWith('/api/2.0/')) declared.add(`${method} ${path.slice('/api/2.0/'.length)}`);
    }
    const covered = new Set(rows.map((r) => r.route).concat('GET /events'));
    expect([...declared].filter((route) => !covered.has(route)).sort()).toEqual([]);
    expect([...covered].filter((route) => !declared.has(route)).sort()).toEqual([]);
  });

  it.each(rows)('$route', async (row) => {
    const answers: string[] = [];
    const wanted: string[] = [];
    for (const who of WHO) {
      const res = await row.call(callerOf(who), who);
      const want = expected(row.rule, row.on ?? 'E', who);
      const got = res.status >= 200 && res.status < 300 ? 'ok' : res.status;
      answers.push(`${who}: ${got}${typeof got === 'number' && got !== want ? ` ${JSON.stringify(res.body).slice(0, 200)}` : ''}`);
      wanted.push(`${who}: ${want}`);
      if (typeof want === 'number' && row.route.includes('mlflow') && !row.route.includes('artifacts')) {
        expect(res.body.error_code, `${row.route} as ${who}`).toBe(want === 401 ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED');
      }
    }
    expect(answers).toEqual(wanted);
  });

  it('GET /events: 401 without a user, a stream for every user', async () => {
    const server = t.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${ML}/events`;
    try {
      for (const who of WHO) {
        const controller = new AbortController();
        const res = await fetch(url, { signal: controller.signal, headers: who === 'anonymous' ? {} : { authorization: basic(USER[who]) } });
        expect([who, res.status]).toEqual([who, who === 'anonymous' ? 401 : 200]);
        controller.abort();
      }
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: string | string[];
}

/** Every route of the app with its full path, from the routers' own layers (Express 5's router keeps each mount path as rawPath). */
function declaredRoutes(): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const path of ([] as string[]).concat(layer.route.path)) {
          for (const method of Object.keys(layer.route.methods)) if (method !== '_all') out.push({ method: method.toUpperCase(), path: `${prefix}${path}`.replace(/(.)\/$/, '$1') });
        }
      } else if (layer.handle.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk((t.app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return out;
}
