/**
 * MLflow's REST API (2.0) served by ModelLab: request bodies as MLflow's client sends them (from
 * MLflow's REST API reference), the exact response shapes and error codes, and the same runs read
 * back through ModelLab's own API.
 */
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

const M = '/api/2.0/mlflow';
const post = (path: string, body: unknown) => request(t.app).post(`${M}/${path}`).send(body as object);
const get = (path: string, query: Record<string, string | string[]> = {}) => request(t.app).get(`${M}/${path}`).query(query);

async function createRun(body: Record<string, unknown> = {}) {
  const res = await post('runs/create', { experiment_id: '0', start_time: 1700000000000, ...body });
  expect(res.status).toBe(200);
  return res.body.run as { info: { run_id: string; experiment_id: string; artifact_uri: string } };
}

describe('experiments', () => {
  it('has the Default experiment "0" from the start', async () => {
    const res = await get('experiments/get', { experiment_id: '0' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      experiment: {
        experiment_id: '0',
        name: 'Default',
        artifact_location: 'mlflow-artifacts:/0',
        lifecycle_stage: 'active',
        last_update_time: expect.any(Number),
        creation_time: expect.any(Number),
      },
    });
  });

  it('creates, gets by id and by name, and refuses a second experiment of the same name', async () => {
    const created = await post('experiments/create', { name: 'churn-model', tags: [{ key: 'team', value: 'growth' }] });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ experiment_id: '1' });
    const byName = await get('experiments/get-by-name', { experiment_name: 'churn-model' });
    expect(byName.body.experiment).toMatchObject({ experiment_id: '1', name: 'churn-model', artifact_location: 'mlflow-artifacts:/1', lifecycle_stage: 'active', tags: [{ key: 'team', value: 'growth' }] });
    const again = await post('experiments/create', { name: 'churn-model' });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ error_code: 'RESOURCE_ALREADY_EXISTS', message: 'Experiment(name=churn-model) already exists.' });
    expect((await get('experiments/get', { experiment_id: '42' })).body).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'No Experiment with id=42 exists' });
    expect((await get('experiments/get', { experiment_id: '42' })).status).toBe(404);
    const missing = await get('experiments/get-by-name', { experiment_name: 'nope' });
    expect([missing.status, missing.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
  });

  it('searches with a filter, order_by and paging (POST and GET), and lists for older clients', async () => {
    for (const name of ['alpha', 'beta', 'gamma']) await post('experiments/create', { name });
    const filtered = await post('experiments/search', { filter: "name LIKE '%a' AND name != 'gamma'", order_by: ['name DESC'] });
    expect(filtered.body.experiments.map((e: { name: string }) => e.name)).toEqual(['beta', 'alpha']);
    const first = await get('experiments/search', { max_results: '2', order_by: 'experiment_id ASC' });
    expect(first.body.experiments.map((e: { experiment_id: string }) => e.experiment_id)).toEqual(['0', '1']);
    expect(first.body.next_page_token).toEqual(expect.any(String));
    const second = await get('experiments/search', { max_results: '2', order_by: 'experiment_id ASC', page_token: first.body.next_page_token });
    expect(second.body.experiments.map((e: { experiment_id: string }) => e.experiment_id)).toEqual(['2', '3']);
    expect(second.body.next_page_token).toBeUndefined();
    expect((await get('experiments/list')).body.experiments).toHaveLength(4);
    const bad = await post('experiments/search', { filter: "name = 'a' OR name = 'b'" });
    expect([bad.status, bad.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(bad.body.message).toMatch(/AND only/);
  });

  it('renames, soft-deletes (with its runs) and restores; the Default experiment cannot be deleted', async () => {
    const { experiment_id } = (await post('experiments/create', { name: 'old' })).body;
    const run = await createRun({ experiment_id });
    expect((await post('experiments/update', { experiment_id, new_name: 'new' })).body).toEqual({});
    expect((await get('experiments/get', { experiment_id })).body.experiment.name).toBe('new');
    expect((await post('experiments/delete', { experiment_id })).body).toEqual({});
    expect((await get('experiments/get', { experiment_id })).body.experiment.lifecycle_stage).toBe('deleted');
    expect((await get('runs/get', { run_id: run.info.run_id })).body.run.info.lifecycle_stage).toBe('deleted');
    expect((await post('experiments/search', {})).body.experiments.map((e: { name: string }) => e.name)).toEqual(['Default']);
    expect((await post('experiments/search', { view_type: 'DELETED_ONLY' })).body.experiments.map((e: { name: string }) => e.name)).toEqual(['new']);
    const taken = await post('experiments/create', { name: 'new' });
    expect(taken.body.error_code).toBe('RESOURCE_ALREADY_EXISTS'); // names stay taken while deleted
    await post('experiments/restore', { experiment_id });
    expect((await get('runs/get', { run_id: run.info.run_id })).body.run.info.lifecycle_stage).toBe('active');
    const setTag = await post('experiments/set-experiment-tag', { experiment_id, key: 'owner', value: 'ana' });
    expect(setTag.body).toEqual({});
    expect((await get('experiments/get', { experiment_id })).body.experiment.tags).toEqual([{ key: 'owner', value: 'ana' }]);
    const defaultDelete = await post('experiments/delete', { experiment_id: '0' });
    expect([defaultDelete.status, defaultDelete.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
  });
});

describe('runs', () => {
  it('creates a run: the exact response shape, int64 fields as strings accepted', async () => {
    const res = await post('runs/create', {
      experiment_id: '0',
      user_id: 'ana',
      start_time: '1700000000000',
      run_name: 'resnet-baseline',
      tags: [
        { key: 'mlflow.source.name', value: 'train.py' },
        { key: 'mlflow.source.git.commit', value: 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0' },
      ],
    });
    expect(res.status).toBe(200);
    const id = res.body.run.info.run_id;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(res.body).toEqual({
      run: {
        info: {
          run_id: id,
          run_uuid: id,
          run_name: 'resnet-baseline',
          experiment_id: '0',
          user_id: 'ana',
          status: 'RUNNING',
          start_time: 1700000000000,
          artifact_uri: `mlflow-artifacts:/0/${id}/artifacts`,
          lifecycle_stage: 'active',
        },
        data: {
          tags: [
            { key: 'mlflow.source.name', value: 'train.py' },
            { key: 'mlflow.user', value: 'ana' },
            { key: 'mlflow.runName', value: 'resnet-baseline' },
            { key: 'mlflow.source.git.commit', value: 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0' },
          ],
        },
        inputs: {},
      },
    });
  });

  it('names a run created without a name (also a blank one)', async () => {
    for (const body of [{}, { run_name: '   ' }]) {
      const res = await post('runs/create', { experiment_id: '0', ...body });
      expect(res.status).toBe(200);
      expect(res.body.run.info.run_name).toBe(`run-${res.body.run.info.run_id.slice(0, 8)}`);
    }
  });

  it('accepts the legacy run_uuid, and answers MLflow errors for missing and unknown runs', async () => {
    const run = await createRun({ run_name: 'r' });
    expect((await get('runs/get', { run_uuid: run.info.run_id })).body.run.info.run_name).toBe('r');
    const missing = await get('runs/get');
    expect([missing.status, missing.body]).toEqual([400, { error_code: 'INVALID_PARAMETER_VALUE', message: "Invalid value for parameter 'run_id': Missing value for required parameter 'run_id'" }]);
    const unknown = await get('runs/get', { run_id: 'f'.repeat(32) });
    expect([unknown.status, unknown.body]).toEqual([404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Run with id=${'f'.repeat(32)} not found` }]);
    const noEndpoint = await post('runs/frobnicate', {});
    expect([noEndpoint.status, noEndpoint.body.error_code]).toEqual([404, 'ENDPOINT_NOT_FOUND']);
    const malformed = await request(t.app).post(`${M}/runs/create`).set('content-type', 'application/json').send('{"experiment_id": ');
    expect([malformed.status, malformed.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
  });

  it('keeps params immutable: the same value again is fine, a different one is INVALID_PARAMETER_VALUE', async () => {
    const { run_id } = (await createRun()).info;
    expect((await post('runs/log-parameter', { run_id, key: 'lr', value: '0.01' })).body).toEqual({});
    expect((await post('runs/log-parameter', { run_uuid: run_id, key: 'lr', value: '0.01' })).status).toBe(200);
    const changed = await post('runs/log-parameter', { run_id, key: 'lr', value: '0.1' });
    expect(changed.status).toBe(400);
    expect(changed.body).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: `Changing param values is not allowed. Param with key='lr' was already logged with value='0.01' for run ID='${run_id}'. Attempted logging new value '0.1'.`,
    });
  });

  it('overwrites tags, deletes them, and maps mlflow.runName and mlflow.note.content to the run', async () => {
    const { run_id } = (await createRun({ run_name: 'first' })).info;
    await post('runs/set-tag', { run_id, key: 'stage', value: 'dev' });
    await post('runs/set-tag', { run_id, key: 'stage', value: 'prod' });
    await post('runs/set-tag', { run_id, key: 'mlflow.runName', value: 'renamed' });
    await post('runs/set-tag', { run_id, key: 'mlflow.note.content', value: 'trained on v2' });
    const modellab = (await request(t.app).get(`/api/modellab/runs/${run_id}`)).body;
    expect(modellab).toMatchObject({ name: 'renamed', notes: 'trained on v2', tags: { stage: 'prod' } });
    expect((await post('runs/delete-tag', { run_id, key: 'stage' })).body).toEqual({});
    const gone = await post('runs/delete-tag', { run_id, key: 'stage' });
    expect([gone.status, gone.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    const tags = (await get('runs/get', { run_id })).body.run.data.tags;
    expect(tags).toEqual([
      { key: 'mlflow.runName', value: 'renamed' },
      { key: 'mlflow.note.content', value: 'trained on v2' },
    ]);
  });

  it('appends metrics to the time series and answers the history', async () => {
    const { run_id } = (await createRun()).info;
    await post('runs/log-metric', { run_id, key: 'loss', value: 0.9, timestamp: 1700000001000, step: 0 });
    await post('runs/log-metric', { run_id, key: 'loss', value: 0.5, timestamp: '1700000002000', step: '1' });
    await post('runs/log-metric', { run_id, key: 'loss', value: 0.4, timestamp: 1700000003000, step: 2 });
    const history = await get('metrics/get-history', { run_id, metric_key: 'loss' });
    expect(history.body).toEqual({
      metrics: [
        { key: 'loss', value: 0.9, timestamp: 1700000001000, step: 0 },
        { key: 'loss', value: 0.5, timestamp: 1700000002000, step: 1 },
        { key: 'loss', value: 0.4, timestamp: 1700000003000, step: 2 },
      ],
    });
    const paged = await get('metrics/get-history', { run_id, metric_key: 'loss', max_results: '2' });
    expect(paged.body.metrics).toHaveLength(2);
    expect((await get('metrics/get-history', { run_id, metric_key: 'loss', max_results: '2', page_token: paged.body.next_page_token })).body.metrics).toEqual([
      { key: 'loss', value: 0.4, timestamp: 1700000003000, step: 2 },
    ]);
    expect((await get('runs/get', { run_id })).body.run.data.metrics).toEqual([{ key: 'loss', value: 0.4, timestamp: 1700000003000, step: 2 }]);
    expect((await get('metrics/get-history', { run_id, metric_key: 'nope' })).body).toEqual({});
    const text = await post('runs/log-metric', { run_id, key: 'loss', value: 'high', timestamp: 1 });
    expect([text.status, text.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
  });

  it('logs a batch within MLflow’s limits and refuses one over them', async () => {
    const { run_id } = (await createRun()).info;
    const ok = await post('runs/log-batch', {
      run_id,
      metrics: [
        { key: 'acc', value: 0.8, timestamp: 1700000001000, step: 1 },
        { key: 'acc', value: 0.85, timestamp: 1700000002000, step: 2 },
      ],
      params: [
        { key: 'optimizer', value: 'adam' },
        { key: 'batch_size', value: '32' },
      ],
      tags: [{ key: 'framework', value: 'torch' }],
    });
    expect([ok.status, ok.body]).toEqual([200, {}]);
    const run = (await get('runs/get', { run_id })).body.run;
    expect(run.data.params).toEqual([
      { key: 'optimizer', value: 'adam' },
      { key: 'batch_size', value: '32' },
    ]);
    expect(run.data.metrics).toEqual([{ key: 'acc', value: 0.85, timestamp: 1700000002000, step: 2 }]);
    const tooMany = await post('runs/log-batch', { run_id, metrics: Array.from({ length: 1001 }, (_, i) => ({ key: 'm', value: i, timestamp: 1, step: i })) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: 'A batch logging request can contain at most 1000 metrics. Got 1001 metrics. Please split up metrics across multiple requests and try again.',
    });
    const params = await post('runs/log-batch', { run_id, params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: '1' })) });
    expect(params.body.message).toMatch(/at most 100 params\. Got 101/);
    const tags = await post('runs/log-batch', { run_id, tags: Array.from({ length: 101 }, (_, i) => ({ key: `t${i}`, value: '1' })) });
    expect(tags.body.message).toMatch(/at most 100 tags\. Got 101/);
    const conflicting = await post('runs/log-batch', { run_id, params: [{ key: 'optimizer', value: 'sgd' }] });
    expect(conflicting.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await get('runs/get', { run_id })).body.run.data.params).toHaveLength(2); // nothing of a refused batch is kept
  });

  it('finishes a run with runs/update, can resume it, and soft-deletes and restores it', async () => {
    const { run_id } = (await createRun({ run_name: 'r' })).info;
    const finished = await post('runs/update', { run_id, status: 'FINISHED', end_time: 1700000100000 });
    expect(finished.body).toEqual({
      run_info: {
        run_id,
        run_uuid: run_id,
        run_name: 'r',
        experiment_id: '0',
        user_id: '',
        status: 'FINISHED',
        start_time: 1700000000000,
        end_time: 1700000100000,
        artifact_uri: `mlflow-artifacts:/0/${run_id}/artifacts`,
        lifecycle_stage: 'active',
      },
    });
    expect((await request(t.app).get(`/api/modellab/runs/${run_id}`)).body).toMatchObject({ status: 'completed', endedAt: '2023-11-14T22:15:00.000Z' });
    const resumed = await post('runs/update', { run_id, status: 'RUNNING' });
    expect(resumed.body.run_info.status).toBe('RUNNING');
    expect(resumed.body.run_info.end_time).toBeUndefined();
    expect((await post('runs/update', { run_id, status: 'KILLED' })).body.run_info.status).toBe('FAILED');
    const bad = await post('runs/update', { run_id, status: 'DONE' });
    expect(bad.body.error_code).toBe('INVALID_PARAMETER_VALUE');

    expect((await post('runs/delete', { run_id })).body).toEqual({});
    expect((await get('runs/get', { run_id })).body.run.info.lifecycle_stage).toBe('deleted');
    const write = await post('runs/set-tag', { run_id, key: 'a', value: 'b' });
    expect(write.body).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: `The run ${run_id} must be in the 'active' state. Current state is deleted.` });
    expect((await request(t.app).get('/api/modellab/runs')).body.total).toBe(0); // out of ModelLab's lists too
    await post('runs/restore', { run_id });
    expect((await request(t.app).get('/api/modellab/runs')).body.total).toBe(1);
  });
});

describe('runs/log-model', () => {
  it('appends the model metadata to the mlflow.log-model.history tag, as MLflow does', async () => {
    const { run_id } = (await createRun()).info;
    const model = { artifact_path: 'model', flavors: { sklearn: { sklearn_version: '1.2.1' } }, run_id, utc_time_created: '2026-11-27 12:00:00.000000' };
    expect((await post('runs/log-model', { run_id, model_json: JSON.stringify(model) })).body).toEqual({});
    await post('runs/log-model', { run_id, model_json: JSON.stringify({ ...model, artifact_path: 'model2' }) });
    const tag = (await get('runs/get', { run_id })).body.run.data.tags.find((t: { key: string }) => t.key === 'mlflow.log-model.history');
    expect(JSON.parse(tag.value).map((m: { artifact_path: string }) => m.artifact_path)).toEqual(['model', 'model2']);
    const bad = await post('runs/log-model', { run_id, model_json: '[1' });
    expect([bad.status, bad.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
  });
});

describe('runs/search', () => {
  async function seed() {
    const { experiment_id } = (await post('experiments/create', { name: 'sweep' })).body;
    const runs: Record<string, string> = {};
    const specs = [
      { name: 'a', acc: 0.91, lr: '0.01', team: 'vision', status: 'FINISHED', start: 1700000001000 },
      { name: 'b', acc: 0.87, lr: '0.1', team: 'vision', status: 'FINISHED', start: 1700000002000 },
      { name: 'c', acc: 0.95, lr: '0.01', team: 'nlp', status: 'FINISHED', start: 1700000003000 },
      { name: 'd', acc: 0.99, lr: '0.01', team: 'vision', status: 'RUNNING', start: 1700000004000 },
    ];
    for (const s of specs) {
      const { run_id } = (await createRun({ experiment_id, run_name: s.name, start_time: s.start })).info;
      runs[s.name] = run_id;
      await post('runs/log-batch', { run_id, metrics: [{ key: 'acc', value: s.acc, timestamp: s.start, step: 0 }], params: [{ key: 'lr', value: s.lr }], tags: [{ key: 'team', value: s.team }] });
      if (s.status !== 'RUNNING') await post('runs/update', { run_id, status: s.status, end_time: s.start + 1000 });
    }
    return { experiment_id, runs };
  }
  const names = (body: { runs?: { info: { run_name: string } }[] }) => (body.runs ?? []).map((r) => r.info.run_name);

  it("takes MLflow's filter grammar: metrics, params, tags in backticks, attributes", async () => {
    const { experiment_id } = await seed();
    const res = await post('runs/search', {
      experiment_ids: [experiment_id],
      filter: "metrics.acc > 0.9 and params.lr = '0.01' and tags.`team` = 'vision' and attributes.status = 'FINISHED'",
    });
    expect(res.status).toBe(200);
    expect(names(res.body)).toEqual(['a']);
    expect(names((await post('runs/search', { experiment_ids: [experiment_id], filter: 'metrics."acc" >= 0.95' })).body)).toEqual(['d', 'c']);
    expect(names((await post('runs/search', { experiment_ids: [experiment_id], filter: "attributes.run_name IN ('a', 'b') and tags.team LIKE 'vis%'" })).body)).toEqual(['b', 'a']);
    expect(names((await post('runs/search', { experiment_ids: [experiment_id], filter: 'attributes.start_time < 1700000002500' })).body)).toEqual(['b', 'a']);
    expect((await post('runs/search', { experiment_ids: [experiment_id], filter: "metrics.acc > 2" })).body).toEqual({});
    const bad = await post('runs/search', { experiment_ids: [experiment_id], filter: "params.lr > '0.01'" });
    expect([bad.status, bad.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    const unknown = await post('runs/search', { experiment_ids: [experiment_id], filter: "attributes.colour = 'red'" });
    expect(unknown.body.message).toMatch(/Invalid attribute key 'colour'/);
  });

  it('orders by order_by (missing values last), defaults to start_time DESC, and pages with page_token', async () => {
    const { experiment_id } = await seed();
    expect(names((await post('runs/search', { experiment_ids: [experiment_id] })).body)).toEqual(['d', 'c', 'b', 'a']);
    expect(names((await post('runs/search', { experiment_ids: [experiment_id], order_by: ['metrics.acc ASC'] })).body)).toEqual(['b', 'a', 'c', 'd']);
    const first = await post('runs/search', { experiment_ids: [experiment_id], order_by: ['params.lr DESC', 'metrics.`acc` DESC'], max_results: 3 });
    expect(names(first.body)).toEqual(['b', 'd', 'c']);
    const rest = await post('runs/search', { experiment_ids: [experiment_id], order_by: ['params.lr DESC', 'metrics.`acc` DESC'], max_results: 3, page_token: first.body.next_page_token });
    expect(names(rest.body)).toEqual(['a']);
    expect(rest.body.next_page_token).toBeUndefined();
    const viaGet = await get('runs/search', { experiment_ids: experiment_id, max_results: '1' });
    expect(names(viaGet.body)).toEqual(['d']);
    const badToken = await post('runs/search', { experiment_ids: [experiment_id], page_token: 'garbage' });
    expect(badToken.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('leaves deleted runs out unless run_view_type asks for them', async () => {
    const { experiment_id, runs } = await seed();
    await post('runs/delete', { run_id: runs.b });
    expect(names((await post('runs/search', { experiment_ids: [experiment_id] })).body)).toEqual(['d', 'c', 'a']);
    expect(names((await post('runs/search', { experiment_ids: [experiment_id], run_view_type: 'DELETED_ONLY' })).body)).toEqual(['b']);
    expect(names((await post('runs/search', { experiment_ids: [experiment_id], run_view_type: 'ALL' })).body)).toHaveLength(4);
  });
});

describe('one model, two doors', () => {
  it('shows a run logged through MLflow in ModelLab’s API, and a ModelLab run to MLflow clients', async () => {
    const { run_id } = (await createRun({ run_name: 'from-mlflow', tags: [{ key: 'mlflow.source.git.commit', value: 'ABCDEF1234567' }] })).info;
    await post('runs/log-batch', { run_id, params: [{ key: 'lr', value: '0.001' }], metrics: [{ key: 'val_acc', value: 0.9, timestamp: 1700000005000, step: 3 }] });
    await post('runs/update', { run_id, status: 'FINISHED', end_time: 1700000010000 });
    const seen = (await request(t.app).get(`/api/modellab/runs/${run_id}`)).body;
    expect(seen).toMatchObject({
      id: run_id,
      experimentId: '0',
      name: 'from-mlflow',
      status: 'completed',
      hyperparameters: { lr: '0.001' },
      metrics: { val_acc: 0.9 },
      gitCommit: 'abcdef1234567',
      startedAt: '2023-11-14T22:13:20.000Z',
    });
    const series = (await request(t.app).get(`/api/modellab/runs/${run_id}/metrics/val_acc`)).body;
    expect(series.points).toEqual([{ step: 3, value: 0.9, timestamp: 1700000005000 }]);

    const native = (await request(t.app).post('/api/modellab/runs').send({ name: 'native', status: 'running', hyperparameters: { lr: 0.01, layers: [64, 32] }, tags: { team: 'ml' } })).body;
    const viaMlflow = (await get('runs/get', { run_id: native.id })).body.run;
    expect(viaMlflow.info).toMatchObject({ run_id: native.id, run_name: 'native', status: 'RUNNING', experiment_id: '0' });
    expect(viaMlflow.data.params).toEqual([
      { key: 'lr', value: '0.01' },
      { key: 'layers', value: '[64,32]' },
    ]);
    expect(viaMlflow.data.tags).toContainEqual({ key: 'team', value: 'ml' });
    // Params logged in ModelLab are immutable through MLflow too (compared as their string form).
    expect((await post('runs/log-parameter', { run_id: native.id, key: 'lr', value: '0.01' })).status).toBe(200);
    expect((await post('runs/log-parameter', { run_id: native.id, key: 'lr', value: '0.02' })).status).toBe(400);
  });

  it('links log-inputs datasets to the ModelLab version whose checksum matches the digest', async () => {
    const csv = 'x,y\n1,2\n3,4\n';
    const dataset = (await request(t.app).post('/api/modellab/datasets').attach('file', Buffer.from(csv), 'points.csv')).body;
    const { run_id } = (await createRun()).info;
    const res = await post('runs/log-inputs', {
      run_id,
      datasets: [
        { tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset: { name: 'points', digest: dataset.checksum.slice(0, 8), source_type: 'local', source: '{"uri": "points.csv"}' } },
        { dataset: { name: 'other', digest: 'deadbeef', source_type: 'local', source: '{}' } },
      ],
    });
    expect(res.body).toEqual({});
    const run = (await get('runs/get', { run_id })).body.run;
    expect(run.inputs.dataset_inputs).toEqual([
      { tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset: { name: 'points', digest: dataset.checksum.slice(0, 8), source_type: 'local', source: '{"uri": "points.csv"}' } },
      { dataset: { name: 'other', digest: 'deadbeef', source_type: 'local', source: '{}' } },
    ]);
    const modellab = (await request(t.app).get(`/api/modellab/runs/${run_id}`)).body;
    expect(modellab.datasetId).toBe(dataset.id);
    expect(modellab.inputs.map((i: { datasetId: string | null }) => i.datasetId)).toEqual([dataset.id, null]);
    const found = await post('runs/search', { experiment_ids: ['0'], filter: "dataset.context = 'training'" });
    expect(found.body.runs.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([run_id]);
  });

  it('files runs under experiments in ModelLab’s API as well', async () => {
    const { experiment_id } = (await post('experiments/create', { name: 'vision' })).body;
    await createRun({ experiment_id, run_name: 'in-vision' });
    await createRun({ run_name: 'in-default' });
    const experiments = (await request(t.app).get('/api/modellab/experiments')).body;
    expect(experiments.items.map((e: { id: string; name: string; runCount: number }) => [e.id, e.name, e.runCount])).toEqual([
      ['0', 'Default', 1],
      [experiment_id, 'vision', 1],
    ]);
    const listed = (await request(t.app).get('/api/modellab/runs').query({ experimentId: experiment_id })).body;
    expect(listed.items.map((r: { name: string }) => r.name)).toEqual(['in-vision']);
    const filtered = (await request(t.app).get('/api/modellab/runs').query({ filter: `experimentId = '${experiment_id}'` })).body;
    expect(filtered.total).toBe(1);
    const created = await request(t.app).post('/api/modellab/experiments').send({ name: 'nlp' });
    expect([created.status, created.body.name]).toEqual([201, 'nlp']);
    expect((await request(t.app).post('/api/modellab/experiments').send({ name: 'nlp' })).status).toBe(409);
    const badRun = await request(t.app).post('/api/modellab/runs').send({ name: 'x', experimentId: '99' });
    expect([badRun.status, badRun.body.error.code]).toEqual([422, 'unprocessable_entity']);
  });
});

describe('proxied artifacts (mlflow-artifacts)', () => {
  const A = '/api/2.0/mlflow-artifacts/artifacts';

  it('uploads with PUT, lists folders by base name, downloads the same bytes, and shows them in ModelLab', async () => {
    const { run_id, artifact_uri } = (await createRun()).info;
    expect(artifact_uri).toBe(`mlflow-artifacts:/0/${run_id}/artifacts`);
    const base = `${A}/0/${run_id}/artifacts`;
    const model = Buffer.from([0, 1, 2, 3, 255]);
    expect((await request(t.app).put(`${base}/model/model.pkl`).set('content-type', 'application/octet-stream').send(model)).body).toEqual({});
    await request(t.app).put(`${base}/model/MLmodel`).send(Buffer.from('flavors: {}\n'));
    await request(t.app).put(`${base}/plots/loss.png`).set('content-type', 'application/octet-stream').send(Buffer.from('png'));
    const root = await request(t.app).get(A).query({ path: `0/${run_id}/artifacts` });
    expect(root.body).toEqual({ files: [{ path: 'model', is_dir: true }, { path: 'plots', is_dir: true }] });
    const folder = await request(t.app).get(A).query({ path: `0/${run_id}/artifacts/model` });
    expect(folder.body).toEqual({ files: [{ path: 'MLmodel', is_dir: false, file_size: 12 }, { path: 'model.pkl', is_dir: false, file_size: 5 }] });
    const back = await request(t.app).get(`${base}/model/model.pkl`).buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
    expect(back.status).toBe(200);
    expect(Buffer.compare(back.body as Buffer, model)).toBe(0);
    const listed = (await request(t.app).get(`/api/modellab/artifacts/${run_id}`)).body.items.map((a: { path: string }) => a.path).sort();
    expect(listed).toEqual(['other/model/MLmodel', 'other/model/model.pkl', 'plots/loss.png']);
    expect((await request(t.app).delete(`${base}/model/MLmodel`)).body).toEqual({});
    expect((await request(t.app).get(A).query({ path: `0/${run_id}/artifacts/model` })).body.files).toHaveLength(1);
  });

  it('refuses path tricks, a run of another experiment, and bodies over the upload limit', async () => {
    const { run_id } = (await createRun()).info;
    for (const evil of ['..%2F..%2Fdb.json', 'a/../../x', '%2e%2e/x']) {
      const res = await request(t.app).put(`${A}/0/${run_id}/artifacts/${evil}`).send(Buffer.from('x'));
      expect([res.status, res.body.error_code], evil).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    }
    const wrongExperiment = await request(t.app).put(`${A}/7/${run_id}/artifacts/f.txt`).send(Buffer.from('x'));
    expect([wrongExperiment.status, wrongExperiment.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    const missing = await request(t.app).get(`${A}/0/${run_id}/artifacts/nope.txt`);
    expect([missing.status, missing.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    await t.cleanup();
    t = await testApp({ maxUploadBytes: 1024 });
    const { run_id: small } = (await createRun()).info;
    const big = await request(t.app).put(`${A}/0/${small}/artifacts/big.bin`).set('content-type', 'application/octet-stream').send(Buffer.alloc(4096));
    expect([big.status, big.body.error_code]).toEqual([413, 'INVALID_PARAMETER_VALUE']);
    expect((await request(t.app).get(`/api/modellab/artifacts/${small}`)).body.items).toEqual([]);
  });
});

describe('auth', () => {
  it('asks for the token on writes (MLFLOW_TRACKING_TOKEN), not on reads or searches', async () => {
    await t.cleanup();
    t = await testApp({ apiToken: 'secret' });
    const refused = await post('runs/create', { experiment_id: '0' });
    expect([refused.status, refused.body.error_code]).toEqual([401, 'UNAUTHENTICATED']);
    const created = await request(t.app).post(`${M}/runs/create`).set('authorization', 'Bearer secret').send({ experiment_id: '0' });
    expect(created.status).toBe(200);
    expect((await post('runs/search', { experiment_ids: ['0'] })).body.runs).toHaveLength(1);
    expect((await get('runs/get', { run_id: created.body.run.info.run_id })).status).toBe(200);
  });
});

describe('a training session, as a script using MLflow would run it', () => {
  it('creates an experiment, logs a run step by step, finishes, searches it, reads its history — then reads it in ModelLab', async () => {
    // mlflow.set_experiment("mnist")
    expect((await get('experiments/get-by-name', { experiment_name: 'mnist' })).status).toBe(404);
    const { experiment_id } = (await post('experiments/create', { name: 'mnist' })).body;
    // with mlflow.start_run(run_name="cnn"):
    const run = await createRun({ experiment_id, run_name: 'cnn', user_id: 'ana', start_time: Date.now(), tags: [{ key: 'mlflow.source.type', value: 'LOCAL' }] });
    const run_id = run.info.run_id;
    //   mlflow.log_params({...})
    await post('runs/log-batch', { run_id, params: [{ key: 'lr', value: '0.001' }, { key: 'epochs', value: '3' }] });
    //   for epoch in range(3): mlflow.log_metric("loss", …, step=epoch)
    for (const [step, loss] of [0.9, 0.5, 0.3].entries()) {
      expect((await post('runs/log-metric', { run_id, key: 'loss', value: loss, timestamp: Date.now(), step })).status).toBe(200);
    }
    //   mlflow.set_tag / mlflow.log_artifact("confusion.png")
    await post('runs/set-tag', { run_id, key: 'dataset', value: 'mnist-v2' });
    const put = await request(t.app).put(`/api/2.0/mlflow-artifacts/artifacts/${experiment_id}/${run_id}/artifacts/confusion.png`).send(Buffer.from('png bytes'));
    expect(put.status).toBe(200);
    //   mlflow.log_metrics({"accuracy": 0.97}) at the end
    await post('runs/log-batch', { run_id, metrics: [{ key: 'accuracy', value: 0.97, timestamp: Date.now(), step: 0 }] });
    // (leaving the with-block)
    await post('runs/update', { run_id, status: 'FINISHED', end_time: Date.now() });

    // mlflow.search_runs(experiment_names=["mnist"], filter_string="metrics.accuracy > 0.95")
    const found = await post('runs/search', { experiment_ids: [experiment_id], filter: 'metrics.accuracy > 0.95', max_results: 100, order_by: ['attributes.start_time DESC'] });
    expect(found.body.runs).toHaveLength(1);
    const seen = found.body.runs[0];
    expect(seen.info).toMatchObject({ run_id, status: 'FINISHED', run_name: 'cnn', user_id: 'ana' });
    expect(seen.data.params).toEqual([
      { key: 'lr', value: '0.001' },
      { key: 'epochs', value: '3' },
    ]);
    expect(seen.data.metrics.find((m: { key: string }) => m.key === 'loss')).toMatchObject({ value: 0.3, step: 2 });
    // MlflowClient().get_metric_history(run_id, "loss")
    const history = (await get('metrics/get-history', { run_id, metric_key: 'loss' })).body.metrics;
    expect(history.map((m: { step: number; value: number }) => [m.step, m.value])).toEqual([
      [0, 0.9],
      [1, 0.5],
      [2, 0.3],
    ]);

    // The same run through ModelLab's own API.
    const modellab = (await request(t.app).get(`/api/modellab/runs/${run_id}`)).body;
    expect(modellab).toMatchObject({
      experimentId: experiment_id,
      name: 'cnn',
      status: 'completed',
      hyperparameters: { lr: '0.001', epochs: '3' },
      metrics: { loss: 0.3, accuracy: 0.97 },
      tags: { dataset: 'mnist-v2', 'mlflow.user': 'ana', 'mlflow.source.type': 'LOCAL' },
    });
    const loss = (await request(t.app).get(`/api/modellab/runs/${run_id}/metrics/loss`)).body.points.map((p: { value: number }) => p.value);
    expect(loss).toEqual([0.9, 0.5, 0.3]);
    const files = (await request(t.app).get(`/api/modellab/artifacts/${run_id}`)).body.items.map((a: { path: string }) => a.path);
    expect(files).toEqual(['other/confusion.png']);
    const filtered = (await request(t.app).get('/api/modellab/runs').query({ filter: `experimentId = '${experiment_id}' AND metrics.accuracy > 0.95` })).body;
    expect(filtered.items.map((r: { id: string }) => r.id)).toEqual([run_id]);
  });
});

describe('malformed percent-escapes in MLflow paths', () => {
  it('answer 400 INVALID_PARAMETER_VALUE, not 500 (Express refuses to decode the path parameter)', async () => {
    for (const bad of ['%', '%FF', '%ED%A0%80']) {
      const res = await request(t.app).put(`/api/2.0/mlflow-artifacts/artifacts/0/${bad}/artifacts/x.bin`).set('content-type', 'application/octet-stream').send('bytes');
      expect(res.status, bad).toBe(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    }
    expect(t.logged).toEqual([]);
  });
});
