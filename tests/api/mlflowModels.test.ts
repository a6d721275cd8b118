/**
 * MLflow 3's logged models and MLflow's model registry, driven with the requests MLflow 3.x's Python
 * client sends (field names and types from service.proto and model_registry.proto: int64 as JSON
 * numbers, enums by name, versions as strings), flow by flow, then read back through ModelLab's API:
 *   1. a run with mlflow.<flavor>.log_model(…, name="model")
 *   2. mlflow.register_model("runs:/<run>/model", …) and register_model("models:/m-…", …)
 *   3. set_registered_model_alias, then pyfunc.load_model("models:/name@champion")
 *   4. search_logged_models, search_registered_models, search_model_versions
 */
import { createHash } from 'node:crypto';
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
const A = '/api/2.0/mlflow-artifacts/artifacts';
const post = (path: string, body: unknown) => request(t.app).post(`${M}/${path}`).send(body as object);
const patch = (path: string, body: unknown) => request(t.app).patch(`${M}/${path}`).send(body as object);
const del = (path: string, body: unknown) => request(t.app).delete(`${M}/${path}`).send(body as object);
const get = (path: string, query: Record<string, string | string[]> = {}) => request(t.app).get(`${M}/${path}`).query(query);
const ok = <T extends { status: number; body: unknown }>(res: T): T => {
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res;
};
const download = (url: string) =>
  request(t.app)
    .get(url)
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });

/** The files mlflow.sklearn.log_model writes (MLmodel, the pickle, the environment files). */
const MODEL_FILES: Record<string, Buffer> = {
  MLmodel: Buffer.from('artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n  sklearn:\n    pickled_model: model.pkl\n'),
  'model.pkl': Buffer.from([0x80, 0x04, 0x95, 0x00, 0xff, 0x2e]),
  'conda.yaml': Buffer.from('name: mlflow-env\ndependencies:\n- python=3.11\n'),
  'python_env.yaml': Buffer.from('python: 3.11\nbuild_dependencies:\n- pip\n'),
  'requirements.txt': Buffer.from('mlflow==3.1.0\nscikit-learn==1.5.0\n'),
};

/** Flow 1, request by request as the client makes it: a run, log_model(name="model"), a metric on the model, the run finished. */
async function logRunWithModel(experimentId = '0') {
  const run = ok(await post('runs/create', { experiment_id: experimentId, start_time: 1760000000000, tags: [{ key: 'mlflow.user', value: 'ana' }], run_name: 'rf-200' })).body.run;
  const runId: string = run.info.run_id;
  ok(await post('runs/log-batch', { run_id: runId, params: [{ key: 'n_estimators', value: '200' }] }));
  // log_model: create the logged model, upload its files to its artifact_uri, link it as the run's output, finalize.
  const created = ok(
    await post('logged-models', {
      experiment_id: experimentId,
      name: 'model',
      source_run_id: runId,
      model_type: 'sklearn',
      params: [{ key: 'n_estimators', value: '200' }],
      tags: [{ key: 'mlflow.source.name', value: 'train.py' }],
    }),
  ).body.model;
  expect(created.info).toMatchObject({ experiment_id: experimentId, name: 'model', source_run_id: runId, status: 'LOGGED_MODEL_PENDING', model_type: 'sklearn' });
  const modelId: string = created.info.model_id;
  expect(modelId).toMatch(/^m-[0-9a-f]{32}$/);
  expect(created.info.artifact_uri).toBe(`mlflow-artifacts:/${experimentId}/models/${modelId}/artifacts`);
  const base = `${A}/${experimentId}/models/${modelId}/artifacts`;
  for (const [name, bytes] of Object.entries(MODEL_FILES)) ok(await request(t.app).put(`${base}/${name}`).set('content-type', 'application/octet-stream').send(bytes));
  ok(await post('runs/outputs', { run_id: runId, models: [{ model_id: modelId, step: 0 }] }));
  const finalized = ok(await patch(`logged-models/${modelId}`, { model_id: modelId, status: 'LOGGED_MODEL_READY' })).body.model;
  expect(finalized.info.status).toBe('LOGGED_MODEL_READY');
  // A metric logged while the model is active carries its id.
  ok(await post('runs/log-batch', { run_id: runId, metrics: [{ key: 'accuracy', value: 0.91, timestamp: 1760000001000, step: 0, model_id: modelId }] }));
  ok(await post('runs/update', { run_id: runId, run_uuid: runId, status: 'FINISHED', end_time: 1760000002000 }));
  return { runId, modelId, base };
}

describe('flow 1: a run logs a model (log_model)', () => {
  it('creates, uploads, links and finalizes the logged model; ModelLab shows it on the run with its files', async () => {
    const { runId, modelId } = await logRunWithModel();
    const model = ok(await get(`logged-models/${modelId}`)).body.model;
    expect(model).toEqual({
      info: {
        model_id: modelId,
        experiment_id: '0',
        name: 'model',
        creation_timestamp_ms: expect.any(Number),
        last_updated_timestamp_ms: expect.any(Number),
        artifact_uri: `mlflow-artifacts:/0/models/${modelId}/artifacts`,
        status: 'LOGGED_MODEL_READY',
        model_type: 'sklearn',
        source_run_id: runId,
        tags: [{ key: 'mlflow.source.name', value: 'train.py' }],
      },
      data: {
        params: [{ key: 'n_estimators', value: '200' }],
        metrics: [{ key: 'accuracy', value: 0.91, timestamp: expect.any(Number), step: 0, model_id: modelId }],
      },
    });
    // The run lists it among its outputs (MLflow 3's run.outputs.model_outputs).
    const run = ok(await get('runs/get', { run_id: runId })).body.run;
    expect(run.outputs).toEqual({ model_outputs: [{ model_id: modelId, step: 0 }] });
    // ModelLab: the run's models, with the files and their checksums.
    const listed = ok(await request(t.app).get('/api/modellab/logged-models').query({ runId })).body;
    expect(listed).toMatchObject({ total: 1, items: [{ id: modelId, name: 'model', sourceRunId: runId, status: 'ready', metrics: { accuracy: 0.91 } }] });
    const files = ok(await request(t.app).get(`/api/modellab/logged-models/${modelId}/files`)).body.items;
    expect(files.map((f: { path: string }) => f.path).sort()).toEqual(['other/MLmodel', 'other/conda.yaml', 'other/model.pkl', 'other/python_env.yaml', 'other/requirements.txt']);
    const pkl = files.find((f: { path: string }) => f.path === 'other/model.pkl');
    expect(pkl).toMatchObject({ size: 6, sha256: createHash('sha256').update(MODEL_FILES['model.pkl']!).digest('hex') });
    const back = await download(`/api/modellab/logged-models/${modelId}/files/other/model.pkl`);
    expect(Buffer.compare(back.body as Buffer, MODEL_FILES['model.pkl']!)).toBe(0);
  });

  it('refuses what MLflow refuses: an unknown experiment or run, a bad status, an unknown model, path tricks in its files', async () => {
    const missingExperiment = await post('logged-models', { experiment_id: '42', name: 'm' });
    expect([missingExperiment.status, missingExperiment.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    const missingRun = await post('logged-models', { experiment_id: '0', name: 'm', source_run_id: 'f'.repeat(32) });
    expect([missingRun.status, missingRun.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    const { modelId } = await logRunWithModel();
    const badStatus = await patch(`logged-models/${modelId}`, { model_id: modelId, status: 'DONE' });
    expect([badStatus.status, badStatus.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    // Finalizing ends an upload: back to PENDING (by name or as the proto's number 1) is refused; 3 is UPLOAD_FAILED.
    for (const status of ['LOGGED_MODEL_PENDING', 1, 0]) {
      const res = await patch(`logged-models/${modelId}`, { model_id: modelId, status });
      expect([res.status, res.body.error_code], String(status)).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    }
    expect(ok(await patch(`logged-models/${modelId}`, { model_id: modelId, status: 3 })).body.model.info.status).toBe('LOGGED_MODEL_UPLOAD_FAILED');
    const unknown = await get(`logged-models/m-${'0'.repeat(32)}`);
    expect([unknown.status, unknown.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    for (const evil of ['..%2F..%2Fdb.json', 'a/../../x', '%2e%2e/x']) {
      const res = await request(t.app).put(`${A}/0/models/${modelId}/artifacts/${evil}`).send(Buffer.from('x'));
      expect([res.status, res.body.error_code], evil).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    }
    const otherExperiment = await request(t.app).put(`${A}/7/models/${modelId}/artifacts/x.txt`).send(Buffer.from('x'));
    expect([otherExperiment.status, otherExperiment.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    const metricOnUnknown = await post('runs/log-metric', { run_id: (await logRunWithModel()).runId, key: 'x', value: 1, timestamp: 1, model_id: `m-${'1'.repeat(32)}` });
    expect([metricOnUnknown.status, metricOnUnknown.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
  });

  it('logs params and tags on the model, deletes a tag, and deletes the model with its files', async () => {
    const { modelId } = await logRunWithModel();
    ok(await post(`logged-models/${modelId}/params`, { model_id: modelId, params: [{ key: 'max_depth', value: '8' }] }));
    ok(await patch(`logged-models/${modelId}/tags`, { model_id: modelId, tags: [{ key: 'stage', value: 'candidate' }] }));
    let info = ok(await get(`logged-models/${modelId}`)).body.model;
    expect(info.data.params).toContainEqual({ key: 'max_depth', value: '8' });
    expect(info.info.tags).toContainEqual({ key: 'stage', value: 'candidate' });
    ok(await del(`logged-models/${modelId}/tags/stage`, {}));
    info = ok(await get(`logged-models/${modelId}`)).body.model;
    expect(info.info.tags).not.toContainEqual({ key: 'stage', value: 'candidate' });
    const again = await del(`logged-models/${modelId}/tags/stage`, {});
    expect([again.status, again.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    ok(await del(`logged-models/${modelId}`, {}));
    expect((await get(`logged-models/${modelId}`)).status).toBe(404);
    expect((await request(t.app).get(`/api/modellab/logged-models/${modelId}/files`)).status).toBe(404);
  });
});

describe('flow 2: register_model', () => {
  it('from runs:/<run>/model: the client’s calls in order, version "1" READY, the model tagged with its versions', async () => {
    const { runId, modelId } = await logRunWithModel();
    // create_registered_model, tolerated when it exists.
    const created = ok(await post('registered-models/create', { name: 'churn' })).body;
    expect(created).toEqual({ registered_model: { name: 'churn', creation_timestamp: expect.any(Number), last_updated_timestamp: expect.any(Number) } });
    const exists = await post('registered-models/create', { name: 'churn' });
    expect([exists.status, exists.body]).toEqual([400, { error_code: 'RESOURCE_ALREADY_EXISTS', message: 'Registered Model (name=churn) already exists.' }]);
    // Is runs:/<run>/model a folder of the run? The repository root is …/artifacts/model, so the path repeats; none: 200 {}.
    expect(ok(await request(t.app).get(A).query({ path: `0/${runId}/artifacts/model/model` })).body).toEqual({});
    // Then the run's logged model named "model": its outputs, and a search by name.
    expect(ok(await get('runs/get', { run_id: runId, run_uuid: runId })).body.run.outputs.model_outputs).toEqual([{ model_id: modelId, step: 0 }]);
    const found = ok(await post('logged-models/search', { experiment_ids: ['0'], filter: "name = 'model'", max_results: 100 })).body.models;
    expect(found.map((m: { info: { model_id: string; source_run_id: string } }) => [m.info.model_id, m.info.source_run_id])).toEqual([[modelId, runId]]);
    const version = ok(await post('model-versions/create', { name: 'churn', source: `models:/${modelId}`, run_id: runId, model_id: modelId })).body.model_version;
    expect(version).toEqual({
      name: 'churn',
      version: '1',
      creation_timestamp: expect.any(Number),
      last_updated_timestamp: expect.any(Number),
      current_stage: 'None',
      source: `models:/${modelId}`,
      run_id: runId,
      status: 'READY',
      model_id: modelId,
    });
    // _await_model_version_creation polls until READY.
    expect(ok(await get('model-versions/get', { name: 'churn', version: '1' })).body.model_version.status).toBe('READY');
    ok(await patch(`logged-models/${modelId}/tags`, { model_id: modelId, tags: [{ key: 'mlflow.modelVersions', value: '[{"name": "churn", "version": "1"}]' }] }));
    // A plain runs:/ source (as MLflow 2's client sends it) is resolved to the run's logged model too.
    const v2 = ok(await post('model-versions/create', { name: 'churn', source: `runs:/${runId}/model`, run_id: runId })).body.model_version;
    expect(v2).toMatchObject({ version: '2', source: `runs:/${runId}/model`, run_id: runId, model_id: modelId });
    // ModelLab's registry has the same objects.
    const ml = ok(await request(t.app).get('/api/modellab/models/churn')).body;
    expect(ml).toMatchObject({ name: 'churn', lastVersion: 2, versionCount: 2, latestVersions: [{ version: 2, stage: 'None', runId, modelId }] });
  });

  it('from models:/m-…: the next number, and 20 concurrent registrations get 20 distinct numbers', async () => {
    const { modelId, runId } = await logRunWithModel();
    ok(await post('registered-models/create', { name: 'fraud', tags: [{ key: 'team', value: 'risk' }], description: 'card fraud' }));
    const first = ok(await post('model-versions/create', { name: 'fraud', source: `models:/${modelId}`, model_id: modelId })).body.model_version;
    expect(first).toMatchObject({ version: '1', run_id: runId, model_id: modelId });
    const many = await Promise.all(Array.from({ length: 20 }, () => post('model-versions/create', { name: 'fraud', source: `models:/${modelId}`, model_id: modelId })));
    const numbers = many.map((r) => Number(ok(r).body.model_version.version)).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
  });

  it('answers MLflow’s errors: unknown model or version, an unknown run or model as the source, a bad name', async () => {
    const missing = await get('registered-models/get', { name: 'nope' });
    expect([missing.status, missing.body]).toEqual([404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Registered Model with name=nope not found' }]);
    ok(await post('registered-models/create', { name: 'm' }));
    const noVersion = await get('model-versions/get', { name: 'm', version: '3' });
    expect([noVersion.status, noVersion.body]).toEqual([404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Model Version (name=m, version=3) not found' }]);
    const badSource = await post('model-versions/create', { name: 'm', source: `models:/m-${'a'.repeat(32)}` });
    expect([badSource.status, badSource.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    const badRun = await post('model-versions/create', { name: 'm', source: `runs:/${'b'.repeat(32)}/model` });
    expect([badRun.status, badRun.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    const badName = await post('registered-models/create', { name: 'a/b' });
    expect([badName.status, badName.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(ok(await get('registered-models/get', { name: 'm' })).body.registered_model).not.toHaveProperty('latest_versions');
  });
});

describe('flow 3: aliases and loading models:/name@alias', () => {
  it('sets champion, resolves it to the download URI, lists and downloads the same bytes; moves it atomically', async () => {
    const { modelId } = await logRunWithModel();
    ok(await post('registered-models/create', { name: 'churn' }));
    ok(await post('model-versions/create', { name: 'churn', source: `models:/${modelId}`, model_id: modelId }));
    ok(await post('model-versions/create', { name: 'churn', source: `models:/${modelId}`, model_id: modelId }));
    expect(ok(await post('registered-models/alias', { name: 'churn', alias: 'champion', version: '1' })).body).toEqual({});
    // pyfunc.load_model("models:/churn@champion"): the version by alias, its download URI, then the files.
    const byAlias = ok(await get('registered-models/alias', { name: 'churn', alias: 'champion' })).body.model_version;
    expect(byAlias).toMatchObject({ name: 'churn', version: '1', aliases: ['champion'] });
    const uri = ok(await get('model-versions/get-download-uri', { name: 'churn', version: byAlias.version })).body.artifact_uri;
    expect(uri).toBe(`mlflow-artifacts:/0/models/${modelId}/artifacts`);
    const listing = ok(await request(t.app).get(A).query({ path: uri.slice('mlflow-artifacts:/'.length) })).body.files;
    expect(listing.map((f: { path: string }) => f.path).sort()).toEqual(Object.keys(MODEL_FILES).sort());
    for (const f of listing as { path: string; file_size: number }[]) {
      const bytes = await download(`${A}/${uri.slice('mlflow-artifacts:/'.length)}/${f.path}`);
      expect(bytes.status).toBe(200);
      expect(Buffer.compare(bytes.body as Buffer, MODEL_FILES[f.path]!), f.path).toBe(0);
      expect(f.file_size).toBe(MODEL_FILES[f.path]!.length);
    }
    // The registered model lists its aliases; moving champion to 2 leaves it on 2 only.
    ok(await post('registered-models/alias', { name: 'churn', alias: 'champion', version: '2' }));
    const model = ok(await get('registered-models/get', { name: 'churn' })).body.registered_model;
    expect(model.aliases).toEqual([{ alias: 'champion', version: '2' }]);
    expect(ok(await get('model-versions/get', { name: 'churn', version: '1' })).body.model_version).not.toHaveProperty('aliases');
    // Deleting the aliased version removes the alias; a deleted alias answers 404.
    ok(await del('model-versions/delete', { name: 'churn', version: '2' }));
    const gone = await get('registered-models/alias', { name: 'churn', alias: 'champion' });
    expect([gone.status, gone.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    ok(await post('registered-models/alias', { name: 'churn', alias: 'challenger', version: '1' }));
    ok(await del('registered-models/alias', { name: 'churn', alias: 'challenger' }));
    expect((await del('registered-models/alias', { name: 'churn', alias: 'challenger' })).status).toBe(404);
    const toMissing = await post('registered-models/alias', { name: 'churn', alias: 'champion', version: '9' });
    expect([toMissing.status, toMissing.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
  });

  it('resolves a runs:/ version without a logged model to the run’s folder', async () => {
    const run = ok(await post('runs/create', { experiment_id: '0', start_time: 1 })).body.run.info.run_id as string;
    await request(t.app).put(`${A}/0/${run}/artifacts/model/MLmodel`).send(Buffer.from('flavors: {}\n'));
    ok(await post('registered-models/create', { name: 'legacy' }));
    ok(await post('model-versions/create', { name: 'legacy', source: `runs:/${run}/model`, run_id: run }));
    expect(ok(await get('model-versions/get-download-uri', { name: 'legacy', version: '1' })).body.artifact_uri).toBe(`mlflow-artifacts:/0/${run}/artifacts/model`);
  });
});

describe('flow 4: searches, stages, tags, rename and delete', () => {
  it('searches logged models, registered models (with the client’s prompt filter) and versions', async () => {
    const a = await logRunWithModel();
    const b = await logRunWithModel();
    ok(await post('runs/log-metric', { run_id: b.runId, key: 'accuracy', value: 0.42, timestamp: 2, step: 1, model_id: b.modelId }));
    const good = ok(await post('logged-models/search', { experiment_ids: ['0'], filter: 'metrics.accuracy > 0.5', order_by: [{ field_name: 'creation_timestamp', ascending: true }] })).body.models;
    expect(good.map((m: { info: { model_id: string } }) => m.info.model_id)).toEqual([a.modelId]);
    const bySource = ok(await post('logged-models/search', { experiment_ids: ['0'], filter: `source_run_id = '${b.runId}'` })).body.models;
    expect(bySource.map((m: { info: { model_id: string } }) => m.info.model_id)).toEqual([b.modelId]);
    const paged = ok(await post('logged-models/search', { experiment_ids: ['0'], max_results: 1 })).body;
    expect(paged.models).toHaveLength(1);
    expect(ok(await post('logged-models/search', { experiment_ids: ['0'], max_results: 1, page_token: paged.next_page_token })).body.models).toHaveLength(1);

    for (const name of ['churn', 'churn-lite', 'fraud']) ok(await post('registered-models/create', { name }));
    ok(await post('registered-models/create', { name: 'summarize', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] }));
    ok(await post('model-versions/create', { name: 'churn', source: `models:/${a.modelId}`, model_id: a.modelId }));
    ok(await post('model-versions/create', { name: 'fraud', source: `models:/${b.modelId}`, model_id: b.modelId }));
    const clientFilter = "name LIKE 'ch%' AND tags.`mlflow.prompt.is_prompt` != 'true'";
    const registered = ok(await get('registered-models/search', { filter: clientFilter, max_results: '100' })).body.registered_models;
    expect(registered.map((m: { name: string }) => m.name)).toEqual(['churn', 'churn-lite']);
    expect(registered[0].latest_versions).toMatchObject([{ version: '1', current_stage: 'None' }]);
    const noPrompts = ok(await get('registered-models/search', { filter: "tags.`mlflow.prompt.is_prompt` != 'true'" })).body.registered_models;
    expect(noPrompts.map((m: { name: string }) => m.name)).toEqual(['churn', 'churn-lite', 'fraud']);
    const versions = ok(await get('model-versions/search', { filter: "name = 'fraud'" })).body.model_versions;
    expect(versions.map((v: { name: string; version: string }) => `${v.name}/${v.version}`)).toEqual(['fraud/1']);
    const byRun = ok(await get('model-versions/search', { filter: `run_id = '${a.runId}'` })).body.model_versions;
    expect(byRun.map((v: { name: string }) => v.name)).toEqual(['churn']);
    const bad = await get('registered-models/search', { filter: "owner = 'x'" });
    expect([bad.status, bad.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
  });

  it('transitions stages (archiving existing ones on request), answers the latest per stage, and edits tags and descriptions', async () => {
    const { modelId } = await logRunWithModel();
    ok(await post('registered-models/create', { name: 'm' }));
    for (let i = 0; i < 3; i++) ok(await post('model-versions/create', { name: 'm', source: `models:/${modelId}`, model_id: modelId }));
    expect(ok(await post('model-versions/transition-stage', { name: 'm', version: '1', stage: 'production', archive_existing_versions: false })).body.model_version.current_stage).toBe('Production');
    ok(await post('model-versions/transition-stage', { name: 'm', version: '2', stage: 'Staging', archive_existing_versions: false }));
    ok(await post('model-versions/transition-stage', { name: 'm', version: '3', stage: 'Production', archive_existing_versions: true }));
    const latest = ok(await post('registered-models/get-latest-versions', { name: 'm' })).body.model_versions;
    expect(latest.map((v: { version: string; current_stage: string }) => [v.version, v.current_stage])).toEqual([
      ['1', 'Archived'],
      ['2', 'Staging'],
      ['3', 'Production'],
    ]);
    const staging = ok(await get('registered-models/get-latest-versions', { name: 'm', stages: 'Staging' })).body.model_versions;
    expect(staging.map((v: { version: string }) => v.version)).toEqual(['2']);
    const badStage = await post('model-versions/transition-stage', { name: 'm', version: '1', stage: 'Live', archive_existing_versions: false });
    expect([badStage.status, badStage.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);

    ok(await post('registered-models/set-tag', { name: 'm', key: 'team', value: 'risk' }));
    ok(await post('model-versions/set-tag', { name: 'm', version: '3', key: 'validated', value: 'yes' }));
    expect(ok(await patch('registered-models/update', { name: 'm', description: 'churn model' })).body.registered_model.description).toBe('churn model');
    expect(ok(await patch('model-versions/update', { name: 'm', version: '3', description: 'best so far' })).body.model_version.description).toBe('best so far');
    let model = ok(await get('registered-models/get', { name: 'm' })).body.registered_model;
    expect(model.tags).toEqual([{ key: 'team', value: 'risk' }]);
    ok(await del('registered-models/delete-tag', { name: 'm', key: 'team' }));
    ok(await del('model-versions/delete-tag', { name: 'm', version: '3', key: 'validated' }));
    model = ok(await get('registered-models/get', { name: 'm' })).body.registered_model;
    expect(model).not.toHaveProperty('tags');
    expect(ok(await get('model-versions/get', { name: 'm', version: '3' })).body.model_version).not.toHaveProperty('tags');
  });

  it('renames a model (versions follow), refuses a taken name, deletes it with its versions', async () => {
    const { modelId } = await logRunWithModel();
    ok(await post('registered-models/create', { name: 'a' }));
    ok(await post('registered-models/create', { name: 'b' }));
    ok(await post('model-versions/create', { name: 'a', source: `models:/${modelId}`, model_id: modelId }));
    const taken = await post('registered-models/rename', { name: 'a', new_name: 'b' });
    expect([taken.status, taken.body.error_code]).toEqual([400, 'RESOURCE_ALREADY_EXISTS']);
    expect(ok(await post('registered-models/rename', { name: 'a', new_name: 'c' })).body.registered_model.name).toBe('c');
    expect(ok(await get('model-versions/get', { name: 'c', version: '1' })).body.model_version.name).toBe('c');
    expect((await get('registered-models/get', { name: 'a' })).status).toBe(404);
    ok(await del('registered-models/delete', { name: 'c' }));
    expect((await get('model-versions/get', { name: 'c', version: '1' })).status).toBe(404);
  });

  it('answers GET /api/3.0/mlflow/server-info', async () => {
    expect(ok(await request(t.app).get('/api/3.0/mlflow/server-info')).body).toEqual({ store_type: 'SqlStore' });
  });
});

describe('NaN and infinities', () => {
  it('accepts "NaN", "Infinity", "-Infinity" from log-metric and log-batch and answers them the same way; ModelLab spells and counts them', async () => {
    const runId = ok(await post('runs/create', { experiment_id: '0', start_time: 1 })).body.run.info.run_id as string;
    ok(await post('runs/log-metric', { run_id: runId, key: 'loss', value: 0.5, timestamp: 1, step: 0 }));
    ok(await post('runs/log-metric', { run_id: runId, key: 'loss', value: 'NaN', timestamp: 2, step: 1 }));
    ok(await post('runs/log-batch', { run_id: runId, metrics: [{ key: 'loss', value: 'Infinity', timestamp: 3, step: 2 }, { key: 'grad', value: '-Infinity', timestamp: 3, step: 0 }] }));
    const history = ok(await get('metrics/get-history', { run_id: runId, metric_key: 'loss' })).body.metrics;
    expect(history.map((m: { value: unknown }) => m.value)).toEqual([0.5, 'NaN', 'Infinity']);
    const run = ok(await get('runs/get', { run_id: runId })).body.run;
    expect(run.data.metrics).toEqual(
      expect.arrayContaining([
        { key: 'loss', value: 'Infinity', timestamp: 3, step: 2 },
        { key: 'grad', value: '-Infinity', timestamp: 3, step: 0 },
      ]),
    );
    // ModelLab: the run's latest values, the summaries (with how many points are not finite) and the series.
    const ml = ok(await request(t.app).get(`/api/modellab/runs/${runId}`)).body;
    expect(ml.metrics).toEqual({ loss: 'Infinity', grad: '-Infinity' });
    const summaries = ok(await request(t.app).get(`/api/modellab/runs/${runId}/metrics`)).body.items;
    expect(summaries.find((s: { key: string }) => s.key === 'loss')).toMatchObject({ last: 'Infinity', min: 0.5, max: 0.5, count: 3, nonFinite: 2 });
    expect(summaries.find((s: { key: string }) => s.key === 'grad')).toMatchObject({ last: '-Infinity', min: null, max: null, count: 1, nonFinite: 1 });
    const series = ok(await request(t.app).get(`/api/modellab/runs/${runId}/metrics/loss`)).body.points;
    expect(series.map((p: { value: unknown }) => p.value)).toEqual([0.5, 'NaN', 'Infinity']);
    // Still refused: anything else that is not a number.
    for (const value of ['nan', 'inf', '1e3', null, true]) {
      const res = await post('runs/log-metric', { run_id: runId, key: 'loss', value, timestamp: 4 });
      expect([res.status, res.body.error_code], String(value)).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    }
    // And they survive a restart of the series (read back from metrics.jsonl).
    await t.services.close(); // drops the in-memory series; the next read loads metrics.jsonl
    expect(ok(await get('metrics/get-history', { run_id: runId, metric_key: 'loss' })).body.metrics.map((m: { value: unknown }) => m.value)).toEqual([0.5, 'NaN', 'Infinity']);
  });
});

describe('the run behind a registered model', () => {
  it('cannot be deleted through ModelLab while a version comes from it (409 naming the versions); afterwards it goes with its logged models', async () => {
    const { runId, modelId } = await logRunWithModel();
    ok(await post('registered-models/create', { name: 'churn' }));
    ok(await post('model-versions/create', { name: 'churn', source: `models:/${modelId}`, model_id: modelId }));
    const refused = await request(t.app).delete(`/api/modellab/runs/${runId}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('conflict');
    expect(refused.body.error.message).toContain('churn v1');
    expect(refused.body.error.details).toEqual({ versions: [{ name: 'churn', version: 1 }] });
    expect((await request(t.app).get(`/api/modellab/runs/${runId}`)).status).toBe(200);
    expect((await request(t.app).get(`/api/modellab/logged-models/${modelId}/files`)).body.items).toHaveLength(5);
    ok(await del('model-versions/delete', { name: 'churn', version: '1' }));
    expect((await request(t.app).delete(`/api/modellab/runs/${runId}`)).status).toBe(204);
    expect((await get(`logged-models/${modelId}`)).status).toBe(404);
  });
});
