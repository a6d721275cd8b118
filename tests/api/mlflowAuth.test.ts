/**
 * An MLflow client's session against a users-mode server, once with MLFLOW_TRACKING_USERNAME and
 * MLFLOW_TRACKING_PASSWORD (the client sends them as HTTP Basic) and once with MLFLOW_TRACKING_TOKEN
 * (sent as Bearer): the calls a training script's fluent API makes, in its order — find or create the
 * experiment, start a run (tagged with the OS user, as the client does), log params and metrics,
 * upload an artifact through the proxy, end the run, search, register the model — all answered; the
 * run and the version carry the signed-in user, not the OS user; the audit log has each change under
 * that user; wrong or revoked credentials get MLflow's UNAUTHENTICATED and a viewer PERMISSION_DENIED.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, usersApp } from '../helpers/app';

const MF = '/api/2.0/mlflow';
let t: TestApp;
let token = '';
let tokenId = '';

beforeAll(async () => {
  t = await usersApp('json', [['scientist', 'editor'], ['reader', 'viewer']]);
  const made = await request(t.app).post('/api/modellab/tokens').set('Authorization', `Basic ${Buffer.from('scientist:password-of-scientist').toString('base64')}`).send({ name: 'training box' });
  token = made.body.token;
  tokenId = made.body.id;
}, 30_000);
afterAll(async () => t?.cleanup());

const CREDENTIALS = {
  'MLFLOW_TRACKING_USERNAME/PASSWORD (Basic)': () => `Basic ${Buffer.from('scientist:password-of-scientist').toString('base64')}`,
  'MLFLOW_TRACKING_TOKEN (Bearer)': () => `Bearer ${token}`,
};

describe.each(Object.entries(CREDENTIALS))('a training script with %s', (label, authorization) => {
  it('runs its whole session, and its changes carry the signed-in user', async () => {
    const suffix = label.includes('Basic') ? 'basic' : 'bearer';
    const call = (method: 'get' | 'post' | 'put' | 'patch', path: string) => request(t.app)[method](path).set('Authorization', authorization()).set('User-Agent', 'mlflow-python-client/3.1.0');
    const auditBefore = (await t.store.listAudit({ user: 'scientist', limit: 1, offset: 0 })).total;

    const missing = await call('get', `${MF}/experiments/get-by-name?experiment_name=churn-${suffix}`);
    expect([missing.status, missing.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    const experimentId = (await call('post', `${MF}/experiments/create`).send({ name: `churn-${suffix}` }).expect(200)).body.experiment_id as string;
    const created = await call('post', `${MF}/runs/create`)
      .send({ experiment_id: experimentId, start_time: Date.now(), run_name: 'xgb', tags: [{ key: 'mlflow.user', value: 'jovyan' }, { key: 'mlflow.source.name', value: 'train.py' }] })
      .expect(200);
    const runId = created.body.run.info.run_id as string;
    expect(created.body.run.info.user_id).toBe('scientist');
    await call('post', `${MF}/runs/log-batch`).send({ run_id: runId, params: [{ key: 'max_depth', value: '6' }], metrics: [], tags: [] }).expect(200);
    for (let step = 0; step < 3; step++) await call('post', `${MF}/runs/log-metric`).send({ run_id: runId, key: 'auc', value: 0.8 + step / 100, timestamp: Date.now(), step }).expect(200);
    await call('put', `/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/model/model.pkl`).set('Content-Type', 'application/octet-stream').send(Buffer.from('pickle')).expect(200);
    await call('post', `${MF}/runs/update`).send({ run_id: runId, status: 'FINISHED', end_time: Date.now() }).expect(200);
    const got = (await call('get', `${MF}/runs/get?run_id=${runId}`).expect(200)).body.run;
    expect(got.data.tags.find((tag: { key: string }) => tag.key === 'mlflow.user').value).toBe('scientist'); // not the OS user
    expect(got.data.metrics.find((m: { key: string }) => m.key === 'auc').value).toBeCloseTo(0.82);
    const found = (await call('post', `${MF}/runs/search`).send({ experiment_ids: [experimentId], filter: 'metrics.auc > 0.81' }).expect(200)).body.runs;
    expect(found.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([runId]);
    await call('post', `${MF}/registered-models/create`).send({ name: `churn-model-${suffix}` }).expect(200);
    const version = (await call('post', `${MF}/model-versions/create`).send({ name: `churn-model-${suffix}`, source: `runs:/${runId}/model`, run_id: runId }).expect(200)).body.model_version;
    expect(version.user_id).toBe('scientist');
    const uri = (await call('get', `${MF}/model-versions/get-download-uri?name=churn-model-${suffix}&version=${version.version}`).expect(200)).body.artifact_uri;
    expect(uri).toBe(`mlflow-artifacts:/${experimentId}/${runId}/artifacts/model`);
    expect((await call('get', `/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/model/model.pkl`).expect(200)).body.toString()).toBe('pickle');

    // experiment, run, params, 3 metrics, artifact, run end, model, version: one entry each, under the user.
    const audit = await t.store.listAudit({ user: 'scientist', limit: 100, offset: 0 });
    expect(audit.total - auditBefore).toBe(10);
    expect(audit.items.slice(0, 10).map((e) => e.action).reverse()).toEqual([
      'experiment.created',
      'run.created',
      'run.updated',
      'metrics.logged',
      'metrics.logged',
      'metrics.logged',
      'artifact.created',
      'run.updated',
      'registered_model.created',
      'model_version.created',
    ]);
  });
});

describe('credentials the MLflow API refuses', () => {
  it("answers a wrong password, an unknown token and a revoked one with 401 UNAUTHENTICATED, and a viewer's write with 403 PERMISSION_DENIED", async () => {
    const wrong = await request(t.app).post(`${MF}/runs/search`).set('Authorization', `Basic ${Buffer.from('scientist:not-it').toString('base64')}`).send({});
    expect([wrong.status, wrong.body.error_code]).toEqual([401, 'UNAUTHENTICATED']);
    expect(wrong.headers['www-authenticate']).toBeDefined();
    const unknown = await request(t.app).post(`${MF}/runs/search`).set('Authorization', 'Bearer mlp_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').send({});
    expect([unknown.status, unknown.body.error_code]).toEqual([401, 'UNAUTHENTICATED']);
    const viewer = await request(t.app).post(`${MF}/experiments/create`).set('Authorization', `Basic ${Buffer.from('reader:password-of-reader').toString('base64')}`).send({ name: 'not-mine' });
    expect([viewer.status, viewer.body.error_code]).toEqual([403, 'PERMISSION_DENIED']);
    await request(t.app).delete(`/api/modellab/tokens/${tokenId}`).set('Authorization', `Bearer ${token}`).expect(204);
    const revoked = await request(t.app).post(`${MF}/runs/search`).set('Authorization', `Bearer ${token}`).send({});
    expect([revoked.status, revoked.body.error_code]).toEqual([401, 'UNAUTHENTICATED']);
  });
});
