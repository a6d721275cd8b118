/**
 * Per-experiment and per-model permissions (MODELLAB_AUTH=users): the creator manages what it made;
 * a grant narrows or widens a user's role on one object; `*` makes an object private; lists and
 * counts leave out what the caller may not read; 404 for what it may not read, 403 for what it may
 * read but not change — through ModelLab's API, MLflow's, artifacts and the live stream. Both stores.
 */
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, usersApp } from '../helpers/app';
import { usePostgres } from '../helpers/postgres';

const postgres = usePostgres();

const API = '/api/modellab';
const PASSWORD = 'password-of-';
const as = (name: string) => ({ Authorization: `Basic ${Buffer.from(`${name}:${PASSWORD}${name}`).toString('base64')}` });

describe.each(['json', 'postgres'] as const)('permissions on the %s store', (backend) => {
  let t: TestApp;
  const call = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string, user: string, body?: object) => {
    const r = request(t.app)[method](path).set(as(user));
    return body === undefined ? r : r.send(body);
  };

  beforeAll(async () => {
    t = await usersApp(backend, [['ed', 'editor'], ['eve', 'editor'], ['vi', 'viewer'], ['gus', 'viewer']], postgres.createDatabase);
  }, 120_000);
  afterAll(async () => t?.cleanup());

  it('records who created experiments, runs, datasets, models and versions', async () => {
    const experiment = await call('post', `${API}/experiments`, 'ed', { name: `made-by-ed-${backend}` });
    expect([experiment.status, experiment.body.createdBy]).toEqual([201, 'ed']);
    const run = await call('post', `${API}/runs`, 'ed', { name: 'r', experimentId: experiment.body.id });
    expect(run.body.tags['mlflow.user']).toBe('ed');
    const dataset = await request(t.app).post(`${API}/datasets`).set(as('eve')).attach('file', Buffer.from('a,b\n1,2\n'), 'tiny.csv');
    expect([dataset.status, dataset.body.createdBy]).toEqual([201, 'eve']);
    const model = await call('post', `${API}/models`, 'ed', { name: `model-${backend}` });
    expect([model.status, model.body.createdBy]).toEqual([201, 'ed']);
    // A version's user is who registered it, whatever the client claims (MLflow's user_id).
    const version = await request(t.app).post('/api/2.0/mlflow/model-versions/create').set(as('ed')).send({ name: `model-${backend}`, source: `runs:/${run.body.id}/model`, run_id: run.body.id, user_id: 'someone-else' });
    expect([version.status, version.body.model_version.user_id]).toEqual([200, 'ed']);
  });

  it('a private experiment (* none) is invisible to others: 404, left out of lists and counts, of MLflow searches and of the dashboard', async () => {
    const exp = (await call('post', `${API}/experiments`, 'ed', { name: `private-${backend}` })).body;
    const shared = (await call('post', `${API}/experiments`, 'ed', { name: `shared-${backend}` })).body;
    const hiddenRun = (await call('post', `${API}/runs`, 'ed', { name: 'secret-run', experimentId: exp.id })).body;
    await call('post', `${API}/runs/${hiddenRun.id}/metrics`, 'ed', { metrics: [{ key: 'loss', value: 1, step: 0 }] });
    await request(t.app).post(`${API}/artifacts/${hiddenRun.id}`).set(as('ed')).field('category', 'plots').attach('file', Buffer.from('png'), 'a.png');
    await call('post', `${API}/logged-models`, 'ed', { name: 'secret-model', runId: hiddenRun.id });
    await call('post', `${API}/runs`, 'ed', { name: 'open-run', experimentId: shared.id });
    const before = (await call('get', `${API}/runs?count=true`, 'vi')).body.total;
    expect((await call('put', `${API}/experiments/${exp.id}/permissions`, 'ed', { user: '*', level: 'none' })).status).toBe(200);

    for (const who of ['vi', 'eve']) {
      const experiment = await call('get', `${API}/experiments/${exp.id}`, who);
      expect([experiment.status, experiment.body.error.code, experiment.body.error.message]).toEqual([404, 'not_found', `experiment '${exp.id}' does not exist`]);
      const run = await call('get', `${API}/runs/${hiddenRun.id}`, who);
      expect([run.status, run.body.error.message]).toEqual([404, `run '${hiddenRun.id}' does not exist`]);
      expect((await call('get', `${API}/runs/${hiddenRun.id}/metrics`, who)).status).toBe(404);
      expect((await call('get', `${API}/artifacts/${hiddenRun.id}`, who)).status).toBe(404);
      for (const path of [
        `${API}/runs/${hiddenRun.id}/metrics/loss`,
        `${API}/runs/${hiddenRun.id}/evaluation`,
        `${API}/runs/${hiddenRun.id}/latency`,
        `${API}/runs/${hiddenRun.id}/report`,
        `${API}/artifacts/${hiddenRun.id}/download/plots/a.png`,
        `${API}/compare?runs=${hiddenRun.id},${hiddenRun.id.replace(/.$/, (c: string) => (c === '0' ? '1' : '0'))}`, // another id, never the same one
        `${API}/logged-models?runId=${hiddenRun.id}`,
        `/api/2.0/mlflow/metrics/get-history?run_id=${hiddenRun.id}&metric_key=loss`,
        `/api/2.0/mlflow-artifacts/artifacts/${exp.id}/${hiddenRun.id}/artifacts/plots/a.png`,
        `/api/2.0/mlflow-artifacts/artifacts?path=${exp.id}/${hiddenRun.id}/artifacts`,
      ]) {
        const res = await call('get', path, who);
        if (path.includes('logged-models?')) expect([path, res.body.total]).toEqual([path, 0]);
        else expect([path, res.status]).toEqual([path, 404]);
      }
      const list = (await call('get', `${API}/runs?count=true`, who)).body;
      expect(list.items.map((r: { id: string }) => r.id)).not.toContain(hiddenRun.id);
      expect(list.total).toBe(before - 1);
      expect((await call('get', `${API}/runs?experimentId=${exp.id}&count=true`, who)).body).toMatchObject({ items: [], total: 0 });
      const experiments = (await call('get', `${API}/experiments`, who)).body;
      expect(experiments.items.map((e: { id: string }) => e.id)).not.toContain(exp.id);
      expect(experiments.items.map((e: { id: string }) => e.id)).toContain(shared.id);
      const mlflowGet = await request(t.app).get(`/api/2.0/mlflow/runs/get?run_id=${hiddenRun.id}`).set(as(who));
      expect([mlflowGet.status, mlflowGet.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
      const mlflowSearch = await request(t.app).post('/api/2.0/mlflow/runs/search').set(as(who)).send({ experiment_ids: [exp.id, shared.id] });
      expect(mlflowSearch.body.runs.map((r: { info: { run_id: string } }) => r.info.run_id)).not.toContain(hiddenRun.id);
      expect(mlflowSearch.body.runs).toHaveLength(1);
      const byName = await request(t.app).get(`/api/2.0/mlflow/experiments/get-by-name?experiment_name=private-${backend}`).set(as(who));
      expect(byName.status).toBe(404);
      expect((await call('get', `${API}/stats`, who)).body.runs.total).toBe(before - 1);
    }
    // Its creator and admins still see it.
    expect((await call('get', `${API}/runs/${hiddenRun.id}`, 'ed')).status).toBe(200);
    expect((await call('get', `${API}/runs/${hiddenRun.id}`, 'root')).status).toBe(200);
    expect((await call('get', `${API}/runs?count=true`, 'root')).body.total).toBe(before);
  });

  it('a grant widens a viewer to edit one experiment, and narrows an editor to read: 403 for what they may read but not change', async () => {
    const exp = (await call('post', `${API}/experiments`, 'ed', { name: `grants-${backend}` })).body;
    const edsRun = (await call('post', `${API}/runs`, 'ed', { name: 'eds', experimentId: exp.id })).body;
    // A viewer: read only, until granted.
    expect((await call('post', `${API}/runs`, 'gus', { name: 'g', experimentId: exp.id })).status).toBe(403);
    expect((await call('put', `${API}/experiments/${exp.id}/permissions`, 'ed', { user: 'gus', level: 'edit' })).body).toMatchObject({ user: 'gus', level: 'edit', by: 'ed' });
    const gusRun = await call('post', `${API}/runs`, 'gus', { name: 'g', experimentId: exp.id });
    expect(gusRun.status).toBe(201);
    expect((await call('post', `${API}/runs/${gusRun.body.id}/metrics`, 'gus', { metrics: [{ key: 'loss', value: 1, step: 0 }] })).status).toBe(201);
    expect((await request(t.app).post('/api/2.0/mlflow/runs/log-metric').set(as('gus')).send({ run_id: edsRun.id, key: 'acc', value: 0.5, timestamp: 1, step: 0 })).status).toBe(200);
    expect((await call('post', `${API}/runs`, 'gus', { name: 'elsewhere' })).status).toBe(403); // Default: still a viewer there
    const del = await request(t.app).post('/api/2.0/mlflow/experiments/delete').set(as('gus')).send({ experiment_id: exp.id });
    expect([del.status, del.body.error_code]).toEqual([403, 'PERMISSION_DENIED']); // deleting takes manage
    // An editor narrowed to read.
    await call('put', `${API}/experiments/${exp.id}/permissions`, 'ed', { user: 'eve', level: 'read' });
    expect((await call('get', `${API}/runs/${edsRun.id}`, 'eve')).status).toBe(200);
    const put = await call('put', `${API}/runs/${edsRun.id}`, 'eve', { description: 'mine now' });
    expect([put.status, put.body.error.code]).toEqual([403, 'forbidden']);
    expect((await call('post', `${API}/runs/${edsRun.id}/metrics`, 'eve', { metrics: [{ key: 'loss', value: 1 }] })).status).toBe(403);
    expect((await request(t.app).post(`${API}/artifacts/${edsRun.id}`).set(as('eve')).attach('file', Buffer.from('x'), 'x.txt')).status).toBe(403);
    // Only who manages it lists and sets its grants.
    expect((await call('get', `${API}/experiments/${exp.id}/permissions`, 'eve')).status).toBe(403);
    expect((await call('put', `${API}/experiments/${exp.id}/permissions`, 'gus', { user: 'gus', level: 'manage' })).status).toBe(403);
    const grants = (await call('get', `${API}/experiments/${exp.id}/permissions`, 'ed')).body.items.map((g: { user: string; level: string }) => `${g.user}:${g.level}`);
    expect(grants.sort()).toEqual(['eve:read', 'gus:edit']);
    // Removing a grant gives the role's default back.
    expect((await call('delete', `${API}/experiments/${exp.id}/permissions/eve`, 'ed')).status).toBe(204);
    expect((await call('put', `${API}/runs/${edsRun.id}`, 'eve', { description: 'editor again' })).status).toBe(200);
    // Unknown users and objects: 404.
    expect((await call('put', `${API}/experiments/${exp.id}/permissions`, 'ed', { user: 'nobody', level: 'read' })).status).toBe(404);
    expect((await call('put', `${API}/experiments/99999/permissions`, 'root', { user: 'vi', level: 'read' })).status).toBe(404);
    expect((await call('put', `${API}/experiments/${exp.id}/permissions`, 'ed', { user: 'vi', level: 'owner' })).status).toBe(400);
  });

  it('an editor deletes its own runs, not another editor’s, unless it manages the experiment', async () => {
    const mine = (await call('post', `${API}/runs`, 'eve', { name: 'eves' })).body;
    const theirs = (await call('post', `${API}/runs`, 'ed', { name: 'eds' })).body;
    const refused = await call('delete', `${API}/runs/${theirs.id}`, 'eve');
    expect([refused.status, refused.body.error.code]).toEqual([403, 'forbidden']);
    // In bulk: one run it may not delete refuses the whole request.
    const bulk = await call('post', `${API}/runs/bulk`, 'eve', { action: 'delete', ids: [mine.id, theirs.id] });
    expect([bulk.status, bulk.body.error.code]).toEqual([403, 'forbidden']);
    expect((await call('get', `${API}/runs/${mine.id}`, 'eve')).status).toBe(200);
    expect((await call('delete', `${API}/runs/${mine.id}`, 'eve')).status).toBe(204);
    expect((await call('delete', `${API}/runs/${theirs.id}`, 'root')).status).toBe(204);
  });

  it('registered models: the creator manages, a private model disappears from lists and MLflow searches, a rename keeps its grants', async () => {
    const name = `reg-${backend}`;
    expect((await call('post', `${API}/models`, 'ed', { name })).status).toBe(201);
    await call('put', `${API}/models/${name}/permissions`, 'ed', { user: '*', level: 'none' });
    await call('put', `${API}/models/${name}/permissions`, 'ed', { user: 'gus', level: 'edit' });
    expect((await call('get', `${API}/models/${name}`, 'vi')).status).toBe(404);
    expect((await call('get', `${API}/models`, 'vi')).body.items.map((m: { name: string }) => m.name)).not.toContain(name);
    const search = await request(t.app).get('/api/2.0/mlflow/registered-models/search').set(as('vi'));
    expect((search.body.registered_models ?? []).map((m: { name: string }) => m.name)).not.toContain(name);
    expect((await call('patch', `${API}/models/${name}`, 'gus', { description: 'by gus' })).status).toBe(200);
    expect((await call('delete', `${API}/models/${name}`, 'gus')).status).toBe(403); // manage
    const renamed = await request(t.app).post('/api/2.0/mlflow/registered-models/rename').set(as('ed')).send({ name, new_name: `${name}-2` });
    expect(renamed.status).toBe(200);
    expect((await call('get', `${API}/models/${name}-2`, 'vi')).status).toBe(404); // still private
    expect((await call('patch', `${API}/models/${name}-2`, 'gus', { description: 'still gus' })).status).toBe(200);
    expect((await call('delete', `${API}/models/${name}-2`, 'ed')).status).toBe(204);
  });

  it('the live stream shows a user only the events of what it may read', async () => {
    const exp = (await call('post', `${API}/experiments`, 'ed', { name: `stream-${backend}` })).body;
    await call('put', `${API}/experiments/${exp.id}/permissions`, 'ed', { user: 'vi', level: 'none' });
    const server = t.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${API}`;
    const controller = new AbortController();
    try {
      const res = await fetch(`${url}/events`, { headers: as('vi'), signal: controller.signal });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const hidden = (await call('post', `${API}/runs`, 'ed', { name: 'unseen', experimentId: exp.id })).body;
      const seen = (await call('post', `${API}/runs`, 'ed', { name: 'seen' })).body;
      let text = '';
      while (!text.includes(seen.id)) text += new TextDecoder().decode((await reader.read()).value);
      expect(text).not.toContain(hidden.id);
      expect(text).not.toContain('permission.updated');
    } finally {
      controller.abort();
      server.close();
      server.closeAllConnections();
    }
  });
});
