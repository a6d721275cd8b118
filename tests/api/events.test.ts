/**
 * Every mutating endpoint of both APIs publishes exactly one documented event on the live stream
 * (and a refused request none). Each request is sent with the bus recorded from just before it.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ModelLabEvent } from '../../api/eventBus';
import { EVENT_TYPES } from '../../src/shared/contract/events';
import { testApp, type TestApp } from '../helpers/app';

let t: TestApp;
let target: Server;
let targetUrl = '';
beforeAll(async () => {
  target = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => target.close(() => resolve())));
beforeEach(async () => {
  t = await testApp();
});
afterEach(async () => {
  await t.cleanup();
});

/** Runs `send` and answers the events it published (progress reports aside) with its status. */
async function eventsOf(send: () => request.Test): Promise<{ status: number; events: ModelLabEvent[] }> {
  const events: ModelLabEvent[] = [];
  const unsubscribe = t.services.events.subscribe((e) => {
    if (e.type !== 'profile.progress') events.push(e);
  });
  try {
    const res = await send();
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { status: res.status, events };
  } finally {
    unsubscribe();
  }
}

const ML = '/api/modellab';
const MF = '/api/2.0/mlflow';

describe('one documented event per mutation', () => {
  it('through ModelLab\'s API', async () => {
    const app = () => request(t.app);
    const expectOne = async (send: () => request.Test, type: string, data: Record<string, unknown> = {}) => {
      const { status, events } = await eventsOf(send);
      expect(status, type).toBeLessThan(300);
      expect(events.map((e) => e.type), `${type}`).toEqual([type]);
      expect(events[0]!.data).toMatchObject(data);
      return events[0]!;
    };
    const runId = (await expectOne(() => app().post(`${ML}/runs`).send({ name: 'r', status: 'running' }), 'run.created')).data.id as string;
    await expectOne(() => app().put(`${ML}/runs/${runId}`).send({ tags: { a: 'b' } }), 'run.updated', { id: runId, fields: ['tags'] });
    await expectOne(() => app().post(`${ML}/runs/${runId}/metrics`).send({ metrics: [{ key: 'loss', value: 1 }] }), 'metrics.logged', { runId, keys: ['loss'], count: 1 });
    await expectOne(
      () => app().post(`${ML}/runs/${runId}/evaluate`).send({ predictions: ['a', 'b'], labels: ['a', 'a'], config: { taskType: 'classification', classes: ['a', 'b'], bootstrap: { resamples: 5 } } }),
      'run.updated',
      { id: runId, fields: ['metrics', 'evaluation'] },
    );
    await expectOne(() => app().post(`${ML}/runs/${runId}/latency`).send({ samplesMs: [1, 2] }), 'run.updated', { id: runId, fields: ['latency'] });
    await expectOne(() => app().post(`${ML}/runs/${runId}/profile`).send({ target: { url: targetUrl }, requests: 3, warmup: 0 }), 'run.updated', { id: runId, fields: ['latency'] });
    await expectOne(() => app().post(`${ML}/artifacts/${runId}`).field('category', 'plots').attach('file', Buffer.from('png'), 'a.png'), 'artifact.created', { runId, path: 'plots/a.png' });
    await expectOne(() => app().delete(`${ML}/artifacts/${runId}/download/plots/a.png`), 'artifact.deleted', { runId, path: 'plots/a.png' });
    const experimentId = (await expectOne(() => app().post(`${ML}/experiments`).send({ name: 'e' }), 'experiment.created')).data.id as string;
    await expectOne(() => app().put(`${ML}/experiments/${experimentId}`).send({ name: 'e2' }), 'experiment.updated', { id: experimentId, fields: ['name'] });
    const datasetId = (await expectOne(() => app().post(`${ML}/datasets`).attach('file', Buffer.from('x\n1\n'), 'd.csv'), 'dataset.created')).data.id as string;
    // The same file again changes nothing: no event.
    expect((await eventsOf(() => app().post(`${ML}/datasets`).attach('file', Buffer.from('x\n1\n'), 'd.csv'))).events).toEqual([]);
    await expectOne(() => app().put(`${ML}/datasets/${datasetId}`).send({ description: 'd' }), 'dataset.updated', { id: datasetId });
    await expectOne(() => app().delete(`${ML}/datasets/${datasetId}`), 'dataset.deleted', { id: datasetId });
    // The registry: a logged model of the run, its files, a registered model, versions, aliases, stages.
    const modelId = (await expectOne(() => app().post(`${ML}/logged-models`).send({ name: 'model', runId }), 'logged_model.created', { runId })).data.id as string;
    await expectOne(() => app().post(`${ML}/logged-models/${modelId}/files`).field('path', 'MLmodel').attach('file', Buffer.from('flavors: {}\n'), 'MLmodel'), 'artifact.created', { runId: modelId, path: 'other/MLmodel' });
    await expectOne(() => app().patch(`${ML}/logged-models/${modelId}`).send({ status: 'ready' }), 'logged_model.updated', { id: modelId, fields: ['status'] });
    await expectOne(() => app().post(`${ML}/models`).send({ name: 'churn' }), 'registered_model.created', { name: 'churn' });
    await expectOne(() => app().patch(`${ML}/models/churn`).send({ description: 'd' }), 'registered_model.updated', { name: 'churn', fields: ['description'] });
    await expectOne(() => app().post(`${ML}/models/churn/versions`).send({ modelId }), 'model_version.created', { name: 'churn', version: 1, modelId });
    await expectOne(() => app().put(`${ML}/models/churn/aliases/champion`).send({ version: 1 }), 'registered_model.updated', { name: 'churn', fields: ['aliases'], alias: 'champion', version: 1 });
    await expectOne(() => app().patch(`${ML}/models/churn/versions/1`).send({ stage: 'Production' }), 'model_version.updated', { name: 'churn', version: 1, fields: ['stage'] });
    await expectOne(() => app().delete(`${ML}/models/churn/aliases/champion`), 'registered_model.updated', { name: 'churn', fields: ['aliases'], version: null });
    // Refused while registered: no event.
    expect((await eventsOf(() => app().delete(`${ML}/runs/${runId}`))).events).toEqual([]);
    await expectOne(() => app().delete(`${ML}/models/churn/versions/1`), 'model_version.deleted', { name: 'churn', version: 1 });
    await expectOne(() => app().patch(`${ML}/models/churn`).send({ name: 'churn2' }), 'registered_model.updated', { name: 'churn2', previousName: 'churn', fields: ['name'] });
    await expectOne(() => app().delete(`${ML}/models/churn2`), 'registered_model.deleted', { name: 'churn2' });
    await expectOne(() => app().delete(`${ML}/runs/${runId}`), 'run.deleted', { id: runId, loggedModels: [modelId] });
    // A refused request publishes nothing.
    expect(await eventsOf(() => app().put(`${ML}/runs/${runId}`).send({ name: 'x' }))).toEqual({ status: 404, events: [] });
  });

  it('through MLflow\'s API', async () => {
    const post = (path: string, body: unknown) => () => request(t.app).post(`${MF}/${path}`).send(body as object);
    const expectOne = async (send: () => request.Test, type: string, data: Record<string, unknown> = {}) => {
      const { status, events } = await eventsOf(send);
      expect(status, type).toBe(200);
      expect(events.map((e) => e.type), type).toEqual([type]);
      expect(events[0]!.data).toMatchObject(data);
    };
    await expectOne(post('experiments/create', { name: 'm' }), 'experiment.created', { id: '1', name: 'm' });
    await expectOne(post('experiments/update', { experiment_id: '1', new_name: 'm2' }), 'experiment.updated', { id: '1', fields: ['name'] });
    await expectOne(post('experiments/set-experiment-tag', { experiment_id: '1', key: 'k', value: 'v' }), 'experiment.updated', { id: '1', fields: ['tags'] });
    const runId = (await request(t.app).post(`${MF}/runs/create`).send({ experiment_id: '1' })).body.run.info.run_id as string;
    await expectOne(post('runs/create', { experiment_id: '1' }), 'run.created');
    await expectOne(post('runs/update', { run_id: runId, status: 'FINISHED' }), 'run.updated', { id: runId });
    await expectOne(post('runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: 1 }), 'metrics.logged', { runId });
    await expectOne(post('runs/log-parameter', { run_id: runId, key: 'p', value: 'v' }), 'run.updated', { id: runId });
    await expectOne(post('runs/set-tag', { run_id: runId, key: 't', value: 'v' }), 'run.updated', { id: runId });
    await expectOne(post('runs/delete-tag', { run_id: runId, key: 't' }), 'run.updated', { id: runId });
    await expectOne(post('runs/log-batch', { run_id: runId, metrics: [{ key: 'm', value: 2, timestamp: 2 }] }), 'metrics.logged', { runId });
    await expectOne(post('runs/log-batch', { run_id: runId, metrics: [{ key: 'm', value: 3, timestamp: 3 }], params: [{ key: 'q', value: '1' }] }), 'run.updated', { id: runId, fields: ['params', 'tags', 'metrics'] });
    await expectOne(post('runs/log-inputs', { run_id: runId, datasets: [{ dataset: { name: 'd', digest: 'abc', source_type: 'local', source: '/d' } }] }), 'run.updated', { id: runId });
    await expectOne(post('runs/log-model', { run_id: runId, model_json: '{"artifact_path":"m"}' }), 'run.updated', { id: runId });
    await expectOne(() => request(t.app).put(`/api/2.0/mlflow-artifacts/artifacts/1/${runId}/artifacts/model/MLmodel`).set('content-type', 'application/octet-stream').send('x'), 'artifact.created', { runId, path: 'other/model/MLmodel' });
    await expectOne(() => request(t.app).delete(`/api/2.0/mlflow-artifacts/artifacts/1/${runId}/artifacts/model/MLmodel`), 'artifact.deleted', { runId, path: 'other/model/MLmodel' });
    // MLflow 3's logged models and the registry.
    const modelId = (await request(t.app).post(`${MF}/logged-models`).send({ experiment_id: '1', name: 'model', source_run_id: runId })).body.model.info.model_id as string;
    await expectOne(post('logged-models', { experiment_id: '1', name: 'other' }), 'logged_model.created');
    await expectOne(() => request(t.app).put(`/api/2.0/mlflow-artifacts/artifacts/1/models/${modelId}/artifacts/MLmodel`).send('x'), 'artifact.created', { runId: modelId, path: 'other/MLmodel' });
    await expectOne(post('runs/outputs', { run_id: runId, models: [{ model_id: modelId, step: 0 }] }), 'logged_model.updated', { runId, fields: ['outputRuns'] });
    await expectOne(() => request(t.app).patch(`${MF}/logged-models/${modelId}`).send({ model_id: modelId, status: 'LOGGED_MODEL_READY' }), 'logged_model.updated', { id: modelId, fields: ['status'] });
    await expectOne(post(`logged-models/${modelId}/params`, { model_id: modelId, params: [{ key: 'k', value: 'v' }] }), 'logged_model.updated', { id: modelId, fields: ['params'] });
    await expectOne(() => request(t.app).patch(`${MF}/logged-models/${modelId}/tags`).send({ model_id: modelId, tags: [{ key: 'k', value: 'v' }] }), 'logged_model.updated', { id: modelId, fields: ['tags'] });
    await expectOne(() => request(t.app).delete(`${MF}/logged-models/${modelId}/tags/k`), 'logged_model.updated', { id: modelId, fields: ['tags'] });
    // A metric with a model id: the run's metrics.logged is the one event.
    await expectOne(post('runs/log-metric', { run_id: runId, key: 'acc', value: 1, timestamp: 1, model_id: modelId }), 'metrics.logged', { runId });
    await expectOne(post('registered-models/create', { name: 'r' }), 'registered_model.created', { name: 'r' });
    await expectOne(post('registered-models/set-tag', { name: 'r', key: 'k', value: 'v' }), 'registered_model.updated', { name: 'r', fields: ['tags'] });
    await expectOne(post('model-versions/create', { name: 'r', source: `models:/${modelId}`, model_id: modelId }), 'model_version.created', { name: 'r', version: 1 });
    await expectOne(post('registered-models/alias', { name: 'r', alias: 'champion', version: '1' }), 'registered_model.updated', { fields: ['aliases'] });
    await expectOne(post('model-versions/transition-stage', { name: 'r', version: '1', stage: 'Staging', archive_existing_versions: false }), 'model_version.updated', { fields: ['stage'] });
    await expectOne(post('model-versions/set-tag', { name: 'r', version: '1', key: 'k', value: 'v' }), 'model_version.updated', { fields: ['tags'] });
    await expectOne(post('registered-models/rename', { name: 'r', new_name: 'r2' }), 'registered_model.updated', { name: 'r2', fields: ['name'] });
    await expectOne(() => request(t.app).delete(`${MF}/model-versions/delete`).send({ name: 'r2', version: '1' }), 'model_version.deleted', { name: 'r2', version: 1, removedAliases: ['champion'] });
    await expectOne(() => request(t.app).delete(`${MF}/registered-models/delete`).send({ name: 'r2' }), 'registered_model.deleted', { name: 'r2' });
    expect((await eventsOf(post('registered-models/create', { name: 'r3' }))).events.map((e) => e.type)).toEqual(['registered_model.created']);
    expect((await eventsOf(post('registered-models/create', { name: 'r3' }))).events).toEqual([]);
    expect((await eventsOf(post('logged-models/search', { experiment_ids: ['1'] }))).events).toEqual([]);
    await expectOne(() => request(t.app).delete(`${MF}/logged-models/${modelId}`), 'logged_model.deleted', { id: modelId });
    await expectOne(post('runs/delete', { run_id: runId }), 'run.updated', { id: runId, fields: ['lifecycleStage'] });
    await expectOne(post('runs/restore', { run_id: runId }), 'run.updated', { id: runId, fields: ['lifecycleStage'] });
    await expectOne(post('experiments/delete', { experiment_id: '1' }), 'experiment.updated', { id: '1', fields: ['lifecycleStage'] });
    await expectOne(post('experiments/restore', { experiment_id: '1' }), 'experiment.updated', { id: '1', fields: ['lifecycleStage'] });
    // Searches are reads; a refused write publishes nothing.
    expect((await eventsOf(post('runs/search', { experiment_ids: ['1'] }))).events).toEqual([]);
    expect((await eventsOf(post('runs/log-parameter', { run_id: runId, key: 'p', value: 'changed' }))).events).toEqual([]);
  });

  it('documents every event type in the README', () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
    const row = readme.split('\n').find((line) => line.startsWith('| `GET /events`'))!;
    for (const type of EVENT_TYPES) expect(row, type).toContain(`\`${type}\``);
  });
});
