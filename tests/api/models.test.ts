/**
 * ModelLab's registry API (/api/modellab/models, /api/modellab/logged-models): registering from a
 * run's logged model or a path in its artifacts, aliases, stages, the filter language, the diff of
 * two versions through Compare, and what a careless or hostile client sends.
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

const ML = '/api/modellab';
const app = () => request(t.app);

async function runWithModel(name = 'r') {
  const run = (await app().post(`${ML}/runs`).send({ name, hyperparameters: { lr: 0.1 } })).body as { id: string };
  const model = await app().post(`${ML}/logged-models`).send({ name: 'model', runId: run.id, params: { lr: '0.1' } });
  expect(model.status).toBe(201);
  const upload = await app().post(`${ML}/logged-models/${model.body.id}/files`).field('path', 'model.pkl').attach('file', Buffer.from([1, 2, 3]), 'model.pkl');
  expect(upload.status).toBe(201);
  expect(upload.body).toMatchObject({ runId: model.body.id, path: 'other/model.pkl', size: 3 });
  expect((await app().patch(`${ML}/logged-models/${model.body.id}`).send({ status: 'ready' })).body.status).toBe('ready');
  return { runId: run.id, modelId: model.body.id as string };
}

describe('/api/modellab/models', () => {
  it('registers versions from a logged model and from a run path, numbered 1, 2; lists with aliases and latest versions', async () => {
    const { runId, modelId } = await runWithModel();
    const created = await app().post(`${ML}/models`).send({ name: 'churn', description: 'who leaves', tags: { team: 'growth' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'churn', description: 'who leaves', tags: { team: 'growth' }, aliases: {}, lastVersion: 0, latestVersions: [], versionCount: 0 });
    const v1 = await app().post(`${ML}/models/churn/versions`).send({ modelId });
    expect(v1.status).toBe(201);
    expect(v1.body).toMatchObject({ name: 'churn', version: 1, source: `models:/${modelId}`, runId, modelId, status: 'ready', stage: 'None', aliases: [] });
    const v2 = await app().post(`${ML}/models/churn/versions`).send({ runId, path: 'model' });
    expect(v2.body).toMatchObject({ version: 2, source: `runs:/${runId}/model`, runId, modelId }); // the run's logged model named "model"
    expect((await app().put(`${ML}/models/churn/aliases/champion`).send({ version: 1 })).body.aliases).toEqual({ champion: 1 });
    expect((await app().put(`${ML}/models/churn/aliases/champion`).send({ version: 2 })).body.aliases).toEqual({ champion: 2 });
    expect((await app().get(`${ML}/models/churn/aliases/champion`)).body).toMatchObject({ version: 2, aliases: ['champion'] });
    const list = (await app().get(`${ML}/models`)).body;
    expect(list).toMatchObject({ total: 1, limit: 50, offset: 0, items: [{ name: 'churn', aliases: { champion: 2 }, versionCount: 2, latestVersions: [{ version: 2, stage: 'None' }] }] });
    const versions = (await app().get(`${ML}/models/churn/versions`)).body;
    expect(versions.items.map((v: { version: number; aliases: string[] }) => [v.version, v.aliases])).toEqual([
      [2, ['champion']],
      [1, []],
    ]);
  });

  it('filters models and versions with the filter language, and answers 400 pointing at a bad filter', async () => {
    const { modelId } = await runWithModel();
    for (const [name, team] of [
      ['churn', 'growth'],
      ['fraud', 'risk'],
      ["o'brien", 'risk'],
    ]) await app().post(`${ML}/models`).send({ name, tags: { team } });
    for (let i = 0; i < 3; i++) await app().post(`${ML}/models/fraud/versions`).send({ modelId });
    await app().patch(`${ML}/models/fraud/versions/2`).send({ stage: 'Production' });
    const risk = (await app().get(`${ML}/models`).query({ filter: "tags.team = 'risk' and name like 'f%'" })).body;
    expect(risk.items.map((m: { name: string }) => m.name)).toEqual(['fraud']);
    expect((await app().get(`${ML}/models`).query({ filter: "name = 'o''brien' or name = \"o'brien\"" })).body.total).toBe(1);
    // SQL in a filter is just text that matches nothing.
    expect((await app().get(`${ML}/models`).query({ filter: "name = 'x'' OR 1=1 --'" })).body.total).toBe(0);
    const prod = (await app().get(`${ML}/models/fraud/versions`).query({ filter: "stage = 'Production'" })).body;
    expect(prod.items.map((v: { version: number }) => v.version)).toEqual([2]);
    expect((await app().get(`${ML}/models/fraud/versions`).query({ filter: 'version >= 2', limit: 1 })).body).toMatchObject({ total: 2, limit: 1, items: [{ version: 3 }] });
    const bad = await app().get(`${ML}/models`).query({ filter: 'owner = 1' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_filter');
    expect(bad.body.error.message).toContain("Unknown field 'owner'");
  });

  it('moves stages with archiveExisting, edits description and tags, renames and deletes', async () => {
    const { modelId } = await runWithModel();
    await app().post(`${ML}/models`).send({ name: 'm' });
    for (let i = 0; i < 2; i++) await app().post(`${ML}/models/m/versions`).send({ modelId });
    await app().patch(`${ML}/models/m/versions/1`).send({ stage: 'Production' });
    const moved = await app().patch(`${ML}/models/m/versions/2`).send({ stage: 'Production', archiveExisting: true, description: 'better', tags: { checked: 'yes' } });
    expect(moved.body).toMatchObject({ stage: 'Production', description: 'better', tags: { checked: 'yes' } });
    expect((await app().get(`${ML}/models/m/versions/1`)).body.stage).toBe('Archived');
    const renamed = await app().patch(`${ML}/models/m`).send({ name: 'm2', description: 'renamed' });
    expect(renamed.body).toMatchObject({ name: 'm2', description: 'renamed', versionCount: 2 });
    expect((await app().get(`${ML}/models/m`)).status).toBe(404);
    await app().post(`${ML}/models`).send({ name: 'taken' });
    expect((await app().patch(`${ML}/models/m2`).send({ name: 'taken' })).status).toBe(409);
    expect((await app().delete(`${ML}/models/m2/versions/1`)).body).toEqual({ removedAliases: [] });
    expect((await app().delete(`${ML}/models/m2`)).status).toBe(204);
    expect((await app().get(`${ML}/models/m2/versions/2`)).status).toBe(404);
  });

  it('diffs two versions: their runs compared with paired significance when evaluated on the same examples, and their config', async () => {
    const labels = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? 'a' : 'b'));
    const good = labels.map((l, i) => (i % 10 === 0 ? (l === 'a' ? 'b' : 'a') : l)); // 90% right
    const poor = labels.map((l, i) => (i % 5 < 2 ? (l === 'a' ? 'b' : 'a') : l)); // 60% right
    const ids: string[] = [];
    for (const [predictions, lr] of [
      [poor, 0.1],
      [good, 0.01],
    ] as const) {
      const run = (await app().post(`${ML}/runs`).send({ name: `lr-${lr}`, hyperparameters: { lr } })).body as { id: string };
      const ev = await app().post(`${ML}/runs/${run.id}/evaluate`).send({ predictions, labels, config: { taskType: 'classification', classes: ['a', 'b'], bootstrap: { resamples: 200, seed: 1 } } });
      expect(ev.status).toBe(200);
      ids.push(run.id);
    }
    await app().post(`${ML}/models`).send({ name: 'clf' });
    for (const runId of ids) expect((await app().post(`${ML}/models/clf/versions`).send({ runId, path: 'model' })).status).toBe(201);
    const diff = await app().get(`${ML}/models/clf/diff`).query({ a: '1', b: '2' });
    expect(diff.status).toBe(200);
    expect(diff.body.a).toMatchObject({ version: 1, runId: ids[0] });
    const accuracy = diff.body.compare.metrics.find((m: { name: string }) => m.name === 'accuracy');
    expect(accuracy.values[ids[0]!].value).toBeCloseTo(0.6, 10);
    expect(accuracy.values[ids[1]!].value).toBeCloseTo(0.9, 10);
    expect(accuracy.differences[0]).toMatchObject({ runId: ids[1], baselineRunId: ids[0], method: 'mcnemar-exact' });
    expect(accuracy.differences[0].diff).toBeCloseTo(0.3, 10);
    // Discordant pairs, by hand: the good run is right and the poor one wrong on 18 examples, the reverse on none,
    // so McNemar's exact (two-sided binomial) p = 2 · 0.5^18.
    expect(accuracy.differences[0].pValue).toBeCloseTo(2 * 0.5 ** 18, 12);
    expect(diff.body.compare.configDiff).toContainEqual({ path: 'params.lr', status: 'changed', values: { [ids[0]!]: 0.1, [ids[1]!]: 0.01 } });
    const same = await app().get(`${ML}/models/clf/diff`).query({ a: '1', b: '1' });
    expect(same.body).toMatchObject({ compare: null, reason: 'both versions come from the same run' });
    expect((await app().get(`${ML}/models/clf/diff`).query({ a: '1', b: '9' })).status).toBe(404);
  });

  it('answers bad input with the error shape and changes nothing', async () => {
    const { runId, modelId } = await runWithModel();
    await app().post(`${ML}/models`).send({ name: 'm' });
    const cases: [request.Test, number, string][] = [
      [app().post(`${ML}/models`).send({ name: 'm' }), 409, 'conflict'],
      [app().post(`${ML}/models`).send({ name: '../etc' }), 400, 'invalid_request'],
      [app().post(`${ML}/models`).send({ name: 'x', extra: 1 }), 400, 'invalid_request'],
      [app().post(`${ML}/models`).send({ name: 42 }), 400, 'invalid_request'],
      [app().post(`${ML}/models`).send({ name: 'x'.repeat(300) }), 400, 'invalid_request'],
      [app().post(`${ML}/models/m/versions`).send({}), 400, 'invalid_request'],
      [app().post(`${ML}/models/m/versions`).send({ modelId: 'm-nothex' }), 400, 'invalid_request'],
      [app().post(`${ML}/models/m/versions`).send({ modelId: `m-${'0'.repeat(32)}` }), 422, 'unprocessable_entity'],
      [app().post(`${ML}/models/m/versions`).send({ runId: 'f'.repeat(32) }), 422, 'unprocessable_entity'],
      [app().post(`${ML}/models/nope/versions`).send({ modelId }), 404, 'not_found'],
      [app().put(`${ML}/models/m/aliases/latest`).send({ version: 1 }), 400, 'invalid_request'],
      [app().put(`${ML}/models/m/aliases/v2`).send({ version: 1 }), 400, 'invalid_request'],
      [app().put(`${ML}/models/m/aliases/champion`).send({ version: 1 }), 404, 'not_found'],
      [app().put(`${ML}/models/m/aliases/champion`).send({ version: -1 }), 400, 'invalid_request'],
      [app().patch(`${ML}/models/m/versions/1`).send({ stage: 'Live' }), 400, 'invalid_request'],
      [app().get(`${ML}/models/m/versions/abc`), 400, 'invalid_request'],
      [app().get(`${ML}/logged-models/../../db.json`), 404, 'not_found'],
      [app().get(`${ML}/logged-models/${modelId}/files/..%2F..%2Fdb.json`), 400, 'invalid_request'],
      [app().post(`${ML}/logged-models`).send({ name: 'x', runId: 'f'.repeat(32) }), 404, 'not_found'],
      [app().patch(`${ML}/logged-models/${modelId}`).send({ status: 'done' }), 400, 'invalid_request'],
    ];
    for (const [req, status, code] of cases) {
      const res = await req;
      expect([res.status, res.body.error?.code], `${req.method} ${req.url}`).toEqual([status, code]);
    }
    expect((await app().get(`${ML}/models/m`)).body).toMatchObject({ lastVersion: 0, aliases: {} });
    expect((await app().get(`${ML}/models`)).body.total).toBe(1);
    expect((await app().get(`${ML}/logged-models`).query({ runId })).body.total).toBe(1);
  });

  it('presents a logged model with its source run: name, status, dataset version, whether it was evaluated', async () => {
    const dataset = (await app().post(`${ML}/datasets`).attach('file', Buffer.from('x,y\n1,2\n'), 'train.csv')).body as { id: string };
    const run = (await app().post(`${ML}/runs`).send({ name: 'trained', datasetId: dataset.id })).body as { id: string };
    const model = (await app().post(`${ML}/logged-models`).send({ name: 'model', runId: run.id })).body as { id: string };
    expect((await app().get(`${ML}/logged-models/${model.id}`)).body.sourceRun).toEqual({ id: run.id, name: 'trained', status: 'pending', datasetId: dataset.id, evaluated: false });
    await app().post(`${ML}/runs/${run.id}/evaluate`).send({ predictions: ['a', 'b'], labels: ['a', 'b'], config: { taskType: 'classification', classes: ['a', 'b'], bootstrap: { resamples: 5 } } });
    expect((await app().get(`${ML}/logged-models`).query({ runId: run.id })).body.items[0].sourceRun).toMatchObject({ datasetId: dataset.id, evaluated: true });
  });

  it('refuses to delete a registered logged model (409) and deletes it with its files otherwise', async () => {
    const { modelId } = await runWithModel();
    await app().post(`${ML}/models`).send({ name: 'm' });
    await app().post(`${ML}/models/m/versions`).send({ modelId });
    const refused = await app().delete(`${ML}/logged-models/${modelId}`);
    expect([refused.status, refused.body.error.details]).toEqual([409, { versions: [{ name: 'm', version: 1 }] }]);
    expect((await app().get(`${ML}/logged-models/${modelId}/files`)).body.items).toHaveLength(1);
    await app().delete(`${ML}/models/m/versions/1`);
    expect((await app().delete(`${ML}/logged-models/${modelId}`)).status).toBe(204);
    expect((await app().get(`${ML}/logged-models/${modelId}`)).status).toBe(404);
  });
});
