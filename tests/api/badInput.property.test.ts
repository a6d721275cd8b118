/**
 * Property-based tests of bad input (fast-check), for every endpoint of both APIs: generated bodies,
 * form fields, path ids and query strings that are wrong by construction — a field of the wrong
 * type, a required field missing, nesting past the limit, a body over the size limit, text that is
 * not JSON — with noise on top (odd Unicode keys, `__proto__`/`constructor` keys, duplicate keys
 * whose last copy is the bad one). Every answer must be a 4xx in the endpoint's error shape, the
 * server must stay healthy, and its data (store and files) must be unchanged.
 *
 * The seed is printed; replay a failure with FC_SEED=<seed> (and FC_RUNS to change the run count).
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerOf, listeningApp, type Answer, type ListeningApp } from '../helpers/listening';

const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : Math.floor(Math.random() * 2 ** 31);
const RUNS = process.env.FC_RUNS ? Number(process.env.FC_RUNS) : 25;
console.log(`fast-check seed ${SEED}, ${RUNS} runs per property (replay: FC_SEED=${SEED})`);
fc.configureGlobal({ seed: SEED, numRuns: RUNS, endOnFailure: true });

// ---------------------------------------------------------------- values of the wrong type

const oddText = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('', ' ', '\u0000', '\uD800', '👩‍👩‍👧', 'e\u0301', '\u202Eevil', "' OR 1=1 --", '../../etc/passwd'));
const anyJson = fc.jsonValue({ maxDepth: 3 });
/** Text that can go into a URL (no lone surrogates). */
const urlText = oddText.filter((s) => {
  try {
    encodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
});
const jsonArray = fc.array(anyJson, { maxLength: 3 });
const jsonObject = fc.dictionary(oddText, anyJson, { maxKeys: 3 });
type Kind = 'string' | 'nullableString' | 'number' | 'int64' | 'boolean' | 'object' | 'array' | 'stringList' | 'loggedModelStatus';
/** For each kind of field, values it can never accept. */
const WRONG: Record<Kind, fc.Arbitrary<unknown>> = {
  string: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), jsonArray, jsonObject),
  nullableString: fc.oneof(fc.integer(), fc.boolean(), jsonArray, jsonObject),
  number: fc.oneof(oddText, fc.boolean(), fc.constant(null), jsonArray, jsonObject),
  int64: fc.oneof(oddText.filter((s) => !/^-?\d+$/.test(s)), fc.double({ noInteger: true, noDefaultInfinity: true, noNaN: true }), fc.boolean(), fc.constant(null), jsonArray, jsonObject),
  boolean: fc.oneof(oddText, fc.integer(), jsonArray, jsonObject),
  object: fc.oneof(oddText, fc.integer(), fc.boolean(), fc.constant(null), jsonArray),
  array: fc.oneof(oddText, fc.integer(), fc.boolean(), fc.constant(null), jsonObject),
  stringList: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), jsonObject, fc.array(fc.oneof(fc.integer(), fc.boolean(), jsonObject), { minLength: 1, maxLength: 3 })),
  // A proto enum MLflow's client may send by name or by number: every number but the valid ones (2 READY, 3 UPLOAD_FAILED) is wrong.
  loggedModelStatus: fc.oneof(fc.integer().filter((n) => n !== 2 && n !== 3), fc.double({ noInteger: true }), fc.boolean(), fc.constant(null), jsonArray, jsonObject),
};

/** {a: {a: …}} nested `levels` deep: past the 32-level limit when levels > 32. */
const deepValue = fc.integer({ min: 33, max: 3000 }).chain((levels) =>
  fc.constantFrom('object', 'array').map((shape) => {
    let value: unknown = 1;
    for (let i = 0; i < levels; i++) value = shape === 'object' ? { a: value } : [value];
    return value;
  }),
);

// ---------------------------------------------------------------- the endpoints

interface JsonEndpoint {
  api: 'modellab' | 'mlflow';
  method: 'POST' | 'PUT' | 'PATCH';
  path: (ids: Ids) => string;
  /** A valid body; each case breaks it. */
  base: (ids: Ids) => Record<string, unknown>;
  fields: Record<string, Kind>;
  required: string[];
  /** Unknown keys are refused (strict objects); MLflow's bodies drop them, as protobuf does. */
  strict: boolean;
}
interface Ids {
  runId: string;
  experimentId: string;
  datasetId: string;
  /** A logged model of the run, registered as version 1 of "seeded-model". */
  modelId: string;
}

const ML = '/api/modellab';
const MF = '/api/2.0/mlflow';
const runFields: Record<string, Kind> = {
  name: 'string',
  experimentId: 'string',
  description: 'string',
  status: 'string',
  datasetId: 'nullableString',
  hyperparameters: 'object',
  config: 'object',
  seed: 'number',
  gitCommit: 'string',
  gitBranch: 'nullableString',
  gitDirty: 'boolean',
  tags: 'object',
  notes: 'string',
  metrics: 'object',
};
const { name: _name, experimentId: _e, datasetId: _d, seed: _s, gitCommit: _g, gitBranch: _b, gitDirty: _gd, ...updateFields } = runFields;

const JSON_ENDPOINTS: Record<string, JsonEndpoint> = {
  'POST /runs': { api: 'modellab', method: 'POST', path: () => `${ML}/runs`, base: () => ({ name: 'r' }), fields: runFields, required: ['name'], strict: true },
  'PUT /runs/:id': { api: 'modellab', method: 'PUT', path: (i) => `${ML}/runs/${i.runId}`, base: () => ({ description: 'd' }), fields: updateFields, required: [], strict: true },
  'POST /runs/:id/metrics': { api: 'modellab', method: 'POST', path: (i) => `${ML}/runs/${i.runId}/metrics`, base: () => ({ metrics: [{ key: 'loss', value: 1 }] }), fields: { metrics: 'array' }, required: ['metrics'], strict: true },
  'POST /runs/:id/evaluate': {
    api: 'modellab',
    method: 'POST',
    path: (i) => `${ML}/runs/${i.runId}/evaluate`,
    base: () => ({ predictions: ['a', 'b'], labels: ['a', 'b'], data: [{ x: 1 }, { x: 2 }], config: { taskType: 'classification', classes: ['a', 'b'], bootstrap: { resamples: 10 } } }),
    fields: { predictions: 'array', labels: 'array', data: 'array', config: 'object' },
    required: ['predictions', 'labels', 'config'],
    strict: true,
  },
  'POST /runs/:id/latency': {
    api: 'modellab',
    method: 'POST',
    path: (i) => `${ML}/runs/${i.runId}/latency`,
    base: () => ({ samplesMs: [1, 2], durationMs: 10, errorsByKind: { timeout: 1 }, config: { tool: 't' } }),
    fields: { samplesMs: 'array', durationMs: 'number', errorsByKind: 'object', config: 'object' },
    required: ['samplesMs'],
    strict: true,
  },
  'POST /runs/:id/profile': {
    api: 'modellab',
    method: 'POST',
    path: (i) => `${ML}/runs/${i.runId}/profile`,
    base: () => ({ target: { url: 'http://127.0.0.1:9/' }, requests: 1, warmup: 0 }),
    fields: { target: 'object', warmup: 'number', concurrency: 'number', requests: 'number', timeoutMs: 'number' },
    required: ['target'],
    strict: true,
  },
  'POST /experiments': { api: 'modellab', method: 'POST', path: () => `${ML}/experiments`, base: () => ({ name: 'e', tags: { a: 'b' } }), fields: { name: 'string', tags: 'object' }, required: ['name'], strict: true },
  'PUT /experiments/:id': { api: 'modellab', method: 'PUT', path: (i) => `${ML}/experiments/${i.experimentId}`, base: () => ({ name: 'e2' }), fields: { name: 'string', tags: 'object' }, required: [], strict: true },
  'PUT /datasets/:id': { api: 'modellab', method: 'PUT', path: (i) => `${ML}/datasets/${i.datasetId}`, base: () => ({ description: 'd', tags: ['t'] }), fields: { description: 'string', tags: 'array' }, required: [], strict: true },

  'experiments/create': { api: 'mlflow', method: 'POST', path: () => `${MF}/experiments/create`, base: () => ({ name: 'mx' }), fields: { name: 'string', artifact_location: 'string', tags: 'array' }, required: ['name'], strict: false },
  'experiments/update': { api: 'mlflow', method: 'POST', path: () => `${MF}/experiments/update`, base: (i) => ({ experiment_id: i.experimentId, new_name: 'mx' }), fields: { experiment_id: 'string', new_name: 'string' }, required: ['experiment_id', 'new_name'], strict: false },
  'experiments/delete': { api: 'mlflow', method: 'POST', path: () => `${MF}/experiments/delete`, base: (i) => ({ experiment_id: i.experimentId }), fields: { experiment_id: 'string' }, required: ['experiment_id'], strict: false },
  'experiments/restore': { api: 'mlflow', method: 'POST', path: () => `${MF}/experiments/restore`, base: (i) => ({ experiment_id: i.experimentId }), fields: { experiment_id: 'string' }, required: ['experiment_id'], strict: false },
  'experiments/set-experiment-tag': {
    api: 'mlflow',
    method: 'POST',
    path: () => `${MF}/experiments/set-experiment-tag`,
    base: (i) => ({ experiment_id: i.experimentId, key: 'k', value: 'v' }),
    fields: { experiment_id: 'string', key: 'string', value: 'string' },
    required: ['experiment_id', 'key', 'value'],
    strict: false,
  },
  'experiments/search': { api: 'mlflow', method: 'POST', path: () => `${MF}/experiments/search`, base: () => ({ max_results: 10 }), fields: { max_results: 'int64', filter: 'string', order_by: 'stringList', view_type: 'string', page_token: 'string' }, required: [], strict: false },
  'runs/create': { api: 'mlflow', method: 'POST', path: () => `${MF}/runs/create`, base: () => ({ experiment_id: '0' }), fields: { experiment_id: 'string', user_id: 'string', start_time: 'int64', tags: 'array', run_name: 'string' }, required: [], strict: false },
  'runs/update': { api: 'mlflow', method: 'POST', path: () => `${MF}/runs/update`, base: (i) => ({ run_id: i.runId, status: 'RUNNING' }), fields: { run_id: 'string', status: 'string', end_time: 'int64', run_name: 'string' }, required: ['run_id'], strict: false },
  'runs/delete': { api: 'mlflow', method: 'POST', path: () => `${MF}/runs/delete`, base: (i) => ({ run_id: i.runId }), fields: { run_id: 'string' }, required: ['run_id'], strict: false },
  'runs/restore': { api: 'mlflow', method: 'POST', path: () => `${MF}/runs/restore`, base: (i) => ({ run_id: i.runId }), fields: { run_id: 'string' }, required: ['run_id'], strict: false },
  'runs/search': { api: 'mlflow', method: 'POST', path: () => `${MF}/runs/search`, base: () => ({ experiment_ids: ['0'] }), fields: { experiment_ids: 'stringList', filter: 'string', run_view_type: 'string', max_results: 'int64', order_by: 'stringList' }, required: [], strict: false },
  'runs/log-metric': {
    api: 'mlflow',
    method: 'POST',
    path: () => `${MF}/runs/log-metric`,
    base: (i) => ({ run_id: i.runId, key: 'm', value: 1, timestamp: 1, step: 0 }),
    fields: { run_id: 'string', key: 'string', value: 'number', timestamp: 'int64', step: 'int64' },
    required: ['run_id', 'key', 'value', 'timestamp'],
    strict: false,
  },
  'runs/log-parameter': { api: 'mlflow', method: 'POST', path: () => `${MF}/runs/log-parameter`, base: (i) => ({ run_id: i.runId, key: 'p', value: 'v' }), fields: { run_id: 'string', key: 'string', value: 'string' }, required: ['run_id', 'key', 'value'], strict: false },
  'runs/set-tag': { api: 'mlflow', method: 'POST', path: () => `${MF}/runs/set-tag`, base: (i) => ({ run_id: i.runId, key: 't', value: 'v' }), fields: { run_id: 'string', key: 'string', value: 'string' }, required: ['run_id', 'key', 'value'], strict: false },
  'runs/delete-tag': { api: 'mlflow', method: 'POST', path: () => `${MF}/runs/delete-tag`, base: (i) => ({ run_id: i.runId, key: 'seeded' }), fields: { run_id: 'string', key: 'string' }, required: ['run_id', 'key'], strict: false },
  'runs/log-batch': {
    api: 'mlflow',
    method: 'POST',
    path: () => `${MF}/runs/log-batch`,
    base: (i) => ({ run_id: i.runId, metrics: [{ key: 'm', value: 1, timestamp: 1 }], params: [{ key: 'p2', value: 'v' }], tags: [{ key: 't2', value: 'v' }] }),
    fields: { run_id: 'string', metrics: 'array', params: 'array', tags: 'array' },
    required: ['run_id'],
    strict: false,
  },
  'runs/log-inputs': {
    api: 'mlflow',
    method: 'POST',
    path: () => `${MF}/runs/log-inputs`,
    base: (i) => ({ run_id: i.runId, datasets: [{ dataset: { name: 'd', digest: 'abc', source_type: 'local', source: '/d' } }] }),
    fields: { run_id: 'string', datasets: 'array' },
    required: ['run_id'],
    strict: false,
  },
  'runs/log-model': { api: 'mlflow', method: 'POST', path: () => `${MF}/runs/log-model`, base: (i) => ({ run_id: i.runId, model_json: '{"artifact_path":"m"}' }), fields: { run_id: 'string', model_json: 'string' }, required: ['run_id', 'model_json'], strict: false },

  // The model registry, both doors.
  'POST /models': { api: 'modellab', method: 'POST', path: () => `${ML}/models`, base: () => ({ name: 'new-model', description: 'd', tags: { a: 'b' } }), fields: { name: 'string', description: 'string', tags: 'object' }, required: ['name'], strict: true },
  'PATCH /models/:name': { api: 'modellab', method: 'PATCH', path: () => `${ML}/models/seeded-model`, base: () => ({ description: 'd2' }), fields: { name: 'string', description: 'string', tags: 'object' }, required: [], strict: true },
  'POST /models/:name/versions': {
    api: 'modellab',
    method: 'POST',
    path: () => `${ML}/models/seeded-model/versions`,
    base: (i) => ({ modelId: i.modelId, description: 'd', tags: { a: 'b' } }),
    fields: { modelId: 'string', runId: 'string', path: 'string', description: 'string', tags: 'object' },
    required: [],
    strict: true,
  },
  'PATCH /models/:name/versions/:version': {
    api: 'modellab',
    method: 'PATCH',
    path: () => `${ML}/models/seeded-model/versions/1`,
    base: () => ({ stage: 'Staging', archiveExisting: true }),
    fields: { stage: 'string', archiveExisting: 'boolean', description: 'string', tags: 'object' },
    required: [],
    strict: true,
  },
  'PUT /models/:name/aliases/:alias': { api: 'modellab', method: 'PUT', path: () => `${ML}/models/seeded-model/aliases/challenger`, base: () => ({ version: 1 }), fields: { version: 'number' }, required: ['version'], strict: true },
  'POST /logged-models': { api: 'modellab', method: 'POST', path: () => `${ML}/logged-models`, base: (i) => ({ name: 'm2', runId: i.runId, params: { a: 'b' } }), fields: { name: 'string', runId: 'string', modelType: 'nullableString', params: 'object', tags: 'object' }, required: ['name', 'runId'], strict: true },
  'PATCH /logged-models/:id': { api: 'modellab', method: 'PATCH', path: (i) => `${ML}/logged-models/${i.modelId}`, base: () => ({ status: 'failed' }), fields: { status: 'string', tags: 'object' }, required: [], strict: true },
  'logged-models': {
    api: 'mlflow',
    method: 'POST',
    path: () => `${MF}/logged-models`,
    base: (i) => ({ experiment_id: '0', name: 'm2', source_run_id: i.runId, params: [{ key: 'a', value: 'b' }] }),
    fields: { experiment_id: 'string', name: 'string', model_type: 'string', source_run_id: 'string', params: 'array', tags: 'array' },
    required: ['experiment_id'],
    strict: false,
  },
  'logged-models/:id (finalize)': { api: 'mlflow', method: 'PATCH', path: (i) => `${MF}/logged-models/${i.modelId}`, base: () => ({ status: 'LOGGED_MODEL_UPLOAD_FAILED' }), fields: { status: 'loggedModelStatus' }, required: ['status'], strict: false },
  'runs/outputs': { api: 'mlflow', method: 'POST', path: () => `${MF}/runs/outputs`, base: (i) => ({ run_id: i.runId, models: [{ model_id: i.modelId, step: 3 }] }), fields: { run_id: 'string', models: 'array' }, required: ['run_id'], strict: false },
  'registered-models/create': { api: 'mlflow', method: 'POST', path: () => `${MF}/registered-models/create`, base: () => ({ name: 'mx2', description: 'd' }), fields: { name: 'string', description: 'string', tags: 'array' }, required: ['name'], strict: false },
  'model-versions/create': {
    api: 'mlflow',
    method: 'POST',
    path: () => `${MF}/model-versions/create`,
    base: (i) => ({ name: 'seeded-model', source: `models:/${i.modelId}`, model_id: i.modelId }),
    fields: { name: 'string', source: 'string', run_id: 'string', model_id: 'string', description: 'string', tags: 'array' },
    required: ['name', 'source'],
    strict: false,
  },
  'registered-models/alias': { api: 'mlflow', method: 'POST', path: () => `${MF}/registered-models/alias`, base: () => ({ name: 'seeded-model', alias: 'a1', version: '1' }), fields: { name: 'string', alias: 'string', version: 'int64' }, required: ['name', 'alias', 'version'], strict: false },
  'model-versions/transition-stage': {
    api: 'mlflow',
    method: 'POST',
    path: () => `${MF}/model-versions/transition-stage`,
    base: () => ({ name: 'seeded-model', version: '1', stage: 'Staging', archive_existing_versions: true }),
    fields: { name: 'string', version: 'int64', stage: 'string', archive_existing_versions: 'boolean' },
    required: ['name', 'version', 'stage'],
    strict: false,
  },
};

// ---------------------------------------------------------------- building a bad request

type Breaking = { kind: 'wrongType'; field: string; value: unknown } | { kind: 'missing'; field: string } | { kind: 'deep'; field: string; value: unknown } | { kind: 'notAnObject'; value: unknown } | { kind: 'huge' };
type Noise = { keys: [string, unknown][]; duplicateLast: boolean };

const breakingFor = (e: JsonEndpoint): fc.Arbitrary<Breaking> => {
  const fields = Object.keys(e.fields);
  const options: fc.Arbitrary<Breaking>[] = [
    fc.constantFrom(...fields).chain((field) => WRONG[e.fields[field]!].map((value): Breaking => ({ kind: 'wrongType', field, value }))),
    fc.constantFrom(...fields).chain((field) => deepValue.map((value): Breaking => ({ kind: 'deep', field, value }))),
    fc.oneof(oddText, fc.integer(), fc.boolean(), fc.constant(null), jsonArray).map((value): Breaking => ({ kind: 'notAnObject', value })),
  ];
  if (e.required.length) options.push(fc.constantFrom(...e.required).map((field): Breaking => ({ kind: 'missing', field })));
  return fc.oneof(...options, fc.constant<Breaking>({ kind: 'huge' }));
};
const noiseFor = (e: JsonEndpoint): fc.Arbitrary<Noise> =>
  fc.record({
    // Unknown keys are themselves an error for strict bodies; for MLflow's they ride along with the breaking change.
    keys: fc.array(fc.tuple(fc.oneof(oddText, fc.constantFrom('__proto__', 'constructor', 'prototype')).filter((k) => !(k in e.fields)), anyJson), { maxLength: 3 }),
    duplicateLast: fc.boolean(),
  });

/** The request body as text: the valid base broken one way, with the noise keys written in (JSON.stringify would drop a `__proto__` key set by assignment). */
function bodyText(e: JsonEndpoint, ids: Ids, breaking: Breaking, noise: Noise): string {
  if (breaking.kind === 'notAnObject') return JSON.stringify(breaking.value);
  if (breaking.kind === 'huge') return JSON.stringify({ ...e.base(ids), [Object.keys(e.fields)[0]!]: 'x'.repeat(1024 * 1024 + 10) });
  const entries: [string, unknown][] = Object.entries(e.base(ids));
  const set = (field: string, value: unknown) => {
    const at = entries.findIndex(([k]) => k === field);
    if (at >= 0 && !noise.duplicateLast) entries[at] = [field, value];
    else entries.push([field, value]); // a duplicate key: JSON.parse keeps the last, the bad one
  };
  if (breaking.kind === 'missing') entries.splice(entries.findIndex(([k]) => k === breaking.field), 1);
  else set(breaking.field, breaking.value);
  const all = [...noise.keys, ...entries];
  return `{${all.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`;
}

// ---------------------------------------------------------------- the app, its data, and the checks

let t: ListeningApp;
let ids: Ids;

/** Everything a request could change: the store (through the API) and the files of the data folder. */
async function snapshot(): Promise<unknown> {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (!/^db\.(json|wal)$/.test(entry.name)) files.push(`${path.relative(t.dir, full)} ${statSync(full).size}`);
    }
  };
  walk(t.dir);
  const get = async (p: string) => (await t.call('GET', p)).body;
  return {
    files: files.sort(),
    runs: await get(`${ML}/runs?limit=1000`),
    experiments: await get(`${ML}/experiments?lifecycle=all&limit=1000`),
    datasets: await get(`${ML}/datasets?limit=1000`),
    artifacts: await get(`${ML}/artifacts/${ids.runId}`),
    metrics: await get(`${ML}/runs/${ids.runId}/metrics`),
    models: await get(`${ML}/models?limit=1000`),
    versions: await get(`${ML}/models/seeded-model/versions?limit=1000`),
    loggedModels: await get(`${ML}/logged-models?limit=1000`),
  };
}

function expectErrorShape(api: 'modellab' | 'mlflow', answer: Answer, what: string): void {
  const context = `${what} → ${answer.status} ${answer.text.slice(0, 300)}`;
  expect(answer.status >= 400 && answer.status < 500, context).toBe(true);
  if (api === 'modellab') {
    expect(typeof answer.body?.error?.code, context).toBe('string');
    expect(typeof answer.body?.error?.message, context).toBe('string');
  } else {
    expect(typeof answer.body?.error_code, context).toBe('string');
    expect(typeof answer.body?.message, context).toBe('string');
  }
}

const send = (method: string, p: string, text: string, contentType?: string) => t.send(method, p, text, contentType);

let before: unknown;
beforeAll(async () => {
  t = await listeningApp();
  const runId = (await t.call('POST', `${ML}/runs`, { name: 'seeded', tags: { seeded: 'yes' }, hyperparameters: { lr: 0.1 } })).body.id;
  await t.call('POST', `${MF}/runs/set-tag`, { run_id: runId, key: 'seeded', value: 'yes' });
  await t.call('POST', `${ML}/runs/${runId}/metrics`, { metrics: [{ key: 'loss', value: 0.5, step: 0 }] });
  await t.upload(`${ML}/artifacts/${runId}`, { name: 'w.bin', content: 'weights' }, { category: 'checkpoints' });
  const experimentId = (await t.call('POST', `${ML}/experiments`, { name: 'seeded-exp' })).body.id;
  const datasetId = (await t.upload(`${ML}/datasets`, { name: 'd.csv', content: 'x,y\n1,2\n' }, { name: 'seeded-ds' })).body.id;
  const modelId = (await t.call('POST', `${ML}/logged-models`, { name: 'model', runId })).body.id;
  await t.call('POST', `${ML}/models`, { name: 'seeded-model' });
  await t.call('POST', `${ML}/models/seeded-model/versions`, { modelId });
  await t.call('PUT', `${ML}/models/seeded-model/aliases/champion`, { version: 1 });
  ids = { runId, experimentId, datasetId, modelId };
  before = await snapshot();
});
afterAll(async () => {
  expect(t.logged).toEqual([]); // nothing failed inside the server
  await t.close();
});

/** After each property: healthy, unchanged, no prototype polluted. */
async function expectUnchanged(): Promise<void> {
  expect((await t.call('GET', `${ML}/health`)).status).toBe(200);
  expect(await snapshot()).toEqual(before);
  expect(Object.keys(Object.prototype)).toEqual([]);
}

describe('bad JSON bodies: 4xx in the endpoint\'s error shape, nothing changed', () => {
  for (const [name, e] of Object.entries(JSON_ENDPOINTS)) {
    it(name, async () => {
      await fc.assert(
        fc.asyncProperty(breakingFor(e), noiseFor(e), async (breaking, noise) => {
          const text = bodyText(e, ids, breaking, noise);
          const answer = await send(e.method, e.path(ids), text);
          expectErrorShape(e.api, answer, `${e.method} ${e.path(ids)} ${breaking.kind} ${text.slice(0, 200)}`);
        }),
      );
      await expectUnchanged();
    });
  }
});

describe('bodies that are not JSON, or not declared as JSON', () => {
  const notJson = fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter((s) => {
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    }),
    fc.constantFrom('{"name": "r",}', '{"name": "r"', "{'name': 'r'}", '{"name": NaN}', '\uFEFF{"a":1', '{"a":1}{"b":2}'),
  );
  it('every JSON endpoint answers 400 (or 415 for another content type)', async () => {
    const endpoints = Object.values(JSON_ENDPOINTS);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...endpoints), notJson, fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'), async (e, text, type) => {
        const answer = await send(e.method, e.path(ids), text, type);
        expectErrorShape(e.api, answer, `${e.method} ${e.path(ids)} ${type} ${JSON.stringify(text)}`);
      }),
      { numRuns: RUNS * 5 },
    );
    await expectUnchanged();
  });
});

describe('ids in paths', () => {
  const badId = fc.oneof(
    urlText.filter((s) => s.length > 0).map(encodeURIComponent),
    fc.constantFrom('..', '../..', '%2e%2e', '%2F', 'a'.repeat(300), '%00', 'nonexistent', "1'%20OR%20'1'%3D'1", '__proto__', 'constructor', '%ED%A0%80', '%FF', '%'),
  );
  const routes: { method: string; path: (id: string) => string; api: 'modellab' | 'mlflow'; body?: unknown }[] = [
    { method: 'GET', path: (id) => `${ML}/runs/${id}`, api: 'modellab' },
    { method: 'PUT', path: (id) => `${ML}/runs/${id}`, api: 'modellab', body: { description: 'x' } },
    { method: 'DELETE', path: (id) => `${ML}/runs/${id}`, api: 'modellab' },
    { method: 'POST', path: (id) => `${ML}/runs/${id}/metrics`, api: 'modellab', body: { metrics: [{ key: 'a', value: 1 }] } },
    { method: 'GET', path: (id) => `${ML}/runs/${id}/metrics/loss`, api: 'modellab' },
    { method: 'POST', path: (id) => `${ML}/runs/${id}/latency`, api: 'modellab', body: { samplesMs: [1] } },
    { method: 'POST', path: (id) => `${ML}/runs/${id}/evaluate`, api: 'modellab', body: { predictions: ['a'], labels: ['a'], config: { taskType: 'classification', classes: ['a', 'b'] } } },
    { method: 'GET', path: (id) => `${ML}/runs/${id}/report`, api: 'modellab' },
    { method: 'GET', path: (id) => `${ML}/experiments/${id}`, api: 'modellab' },
    { method: 'PUT', path: (id) => `${ML}/experiments/${id}`, api: 'modellab', body: { name: 'x' } },
    { method: 'GET', path: (id) => `${ML}/datasets/${id}`, api: 'modellab' },
    { method: 'PUT', path: (id) => `${ML}/datasets/${id}`, api: 'modellab', body: { description: 'x' } },
    { method: 'DELETE', path: (id) => `${ML}/datasets/${id}`, api: 'modellab' },
    { method: 'GET', path: (id) => `${ML}/datasets/${id}/preview`, api: 'modellab' },
    { method: 'GET', path: (id) => `${ML}/artifacts/${id}`, api: 'modellab' },
    { method: 'DELETE', path: (id) => `${ML}/artifacts/${id}/download/checkpoints/w.bin`, api: 'modellab' },
    { method: 'GET', path: (id) => `${ML}/compare?runs=${id},${id}x`, api: 'modellab' },
    { method: 'GET', path: (id) => `${MF}/runs/get?run_id=${id}`, api: 'mlflow' },
    { method: 'GET', path: (id) => `${MF}/experiments/get?experiment_id=${id}`, api: 'mlflow' },
    { method: 'POST', path: () => `${MF}/runs/delete`, api: 'mlflow' },
    { method: 'POST', path: () => `${MF}/experiments/delete`, api: 'mlflow' },
    { method: 'GET', path: (id) => `${MF}/metrics/get-history?run_id=${id}&metric_key=loss`, api: 'mlflow' },
    { method: 'PUT', path: (id) => `/api/2.0/mlflow-artifacts/artifacts/0/${id}/artifacts/x.bin`, api: 'mlflow', body: 'bytes' },
    { method: 'GET', path: (id) => `/api/2.0/mlflow-artifacts/artifacts?path=0/${id}/artifacts`, api: 'mlflow' },
    { method: 'GET', path: (id) => `${ML}/models/${id}`, api: 'modellab' },
    { method: 'DELETE', path: (id) => `${ML}/models/${id}`, api: 'modellab' },
    { method: 'POST', path: (id) => `${ML}/models/${id}/versions`, api: 'modellab', body: { runId: 'f'.repeat(32) } },
    // The id in the first segment after /models: a client resolves '..' (also %2e%2e) in a URL before
    // sending it, so `models/seeded-model/aliases/..` would reach DELETE /models/seeded-model itself.
    { method: 'GET', path: (id) => `${ML}/models/${id}/versions/1`, api: 'modellab' },
    { method: 'DELETE', path: (id) => `${ML}/models/${id}/versions/1`, api: 'modellab' },
    { method: 'PUT', path: (id) => `${ML}/models/${id}/aliases/champion`, api: 'modellab', body: { version: 1 } },
    { method: 'DELETE', path: (id) => `${ML}/models/${id}/aliases/champion`, api: 'modellab' },
    // Prefixed, so that no id is a dot segment the client would resolve away.
    { method: 'GET', path: (id) => `${ML}/models/seeded-model/versions/v${encodeURIComponent(id)}`, api: 'modellab' },
    { method: 'PUT', path: (id) => `${ML}/models/seeded-model/aliases/a${encodeURIComponent(id)}`, api: 'modellab', body: { version: 7 } },
    { method: 'GET', path: (id) => `${ML}/logged-models/${id}`, api: 'modellab' },
    { method: 'DELETE', path: (id) => `${ML}/logged-models/${id}`, api: 'modellab' },
    { method: 'GET', path: (id) => `${ML}/logged-models/${id}/files`, api: 'modellab' },
    { method: 'GET', path: (id) => `${MF}/logged-models/${id}`, api: 'mlflow' },
    { method: 'DELETE', path: (id) => `${MF}/logged-models/${id}`, api: 'mlflow' },
    { method: 'GET', path: (id) => `${MF}/registered-models/get?name=${id}`, api: 'mlflow' },
    { method: 'GET', path: (id) => `${MF}/model-versions/get?name=seeded-model&version=${id}`, api: 'mlflow' },
    { method: 'GET', path: (id) => `${MF}/registered-models/alias?name=seeded-model&alias=${id}`, api: 'mlflow' },
    { method: 'PUT', path: (id) => `/api/2.0/mlflow-artifacts/artifacts/0/models/${id}/artifacts/x.bin`, api: 'mlflow', body: 'bytes' },
  ];
  it('unknown, malformed and hostile ids answer 4xx on every route', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), badId, async (route, id) => {
        const p = route.path(id);
        const raw = (() => {
          try {
            return decodeURIComponent(id);
          } catch {
            return id;
          }
        })();
        const body = route.path.length === 0 ? { run_id: raw, experiment_id: raw } : route.body;
        const answer =
          body === undefined
            ? await t.call(route.method, p)
            : typeof body === 'string'
              ? await send(route.method, p, body, 'application/octet-stream')
              : await t.call(route.method, p, body);
        expectErrorShape(route.api, answer, `${route.method} ${p}`);
      }),
      { numRuns: RUNS * 10 },
    );
    await expectUnchanged();
  });
});

describe('query strings', () => {
  const notAnInt = fc.oneof(fc.stringMatching(/^[a-z]{1,8}$/), fc.integer({ max: -1 }).map(String), fc.double({ min: 0.1, max: 1e3, noInteger: true }).map(String), fc.constantFrom('1e999', 'NaN'));
  const badLimit = fc.oneof(notAnInt, fc.constantFrom('0', '999999999999'));
  /** A runs search takes limit=0 (the count alone). */
  const badRunsLimit = fc.oneof(notAnInt, fc.constantFrom('-1', '999999999999'));
  const badFilter = fc.oneof(
    fc.constantFrom("' OR 1=1 --", 'metrics.acc >', 'params.lr = 1; DROP TABLE runs; --', 'status = ', '(((', 'name ~ 1', "tags.a = 'x' OR", '= 1'),
    urlText.map((s) => `${s} ===`),
  );
  const badSort = fc.oneof(fc.constantFrom('name:sideways', 'metrics.:desc', ':asc'), fc.stringMatching(/^[a-z]{1,6}$/).map((s) => `${s}:up`));
  const cases: fc.Arbitrary<{ path: string; api: 'modellab' | 'mlflow' }> = fc.oneof(
    badRunsLimit.map((v) => ({ path: `${ML}/runs?limit=${encodeURIComponent(v)}`, api: 'modellab' as const })),
    urlText.filter((s) => !['true', 'false', ''].includes(s)).map((v) => ({ path: `${ML}/runs?count=${encodeURIComponent(v)}`, api: 'modellab' as const })),
    notAnInt.map((v) => ({ path: `${ML}/runs?offset=${encodeURIComponent(v)}`, api: 'modellab' as const })),
    fc.constant({ path: `${ML}/runs?limit=1&limit=2`, api: 'modellab' as const }),
    urlText.filter((s) => !['pending', 'running', 'completed', 'failed', ''].includes(s)).map((v) => ({ path: `${ML}/runs?status=${encodeURIComponent(v)}`, api: 'modellab' as const })),
    badFilter.map((v) => ({ path: `${ML}/runs?filter=${encodeURIComponent(v)}`, api: 'modellab' as const })),
    badSort.map((v) => ({ path: `${ML}/runs?sort=${encodeURIComponent(v)}`, api: 'modellab' as const })),
    badLimit.map((v) => ({ path: `${ML}/datasets?limit=${encodeURIComponent(v)}`, api: 'modellab' as const })),
    urlText.filter((s) => !['active', 'deleted', 'all', ''].includes(s)).map((v) => ({ path: `${ML}/experiments?lifecycle=${encodeURIComponent(v)}`, api: 'modellab' as const })),
    notAnInt.map((v) => ({ path: `${ML}/runs/${ids.runId}/metrics/loss?maxPoints=${encodeURIComponent(v)}`, api: 'modellab' as const })),
    urlText.filter((s) => !['html', 'md', ''].includes(s)).map((v) => ({ path: `${ML}/runs/${ids.runId}/report?format=${encodeURIComponent(v)}`, api: 'modellab' as const })),
    badFilter.map((v) => ({ path: `${MF}/runs/search?experiment_ids=0&filter=${encodeURIComponent(v)}`, api: 'mlflow' as const })),
    badLimit.map((v) => ({ path: `${MF}/runs/search?experiment_ids=0&max_results=${encodeURIComponent(v)}`, api: 'mlflow' as const })),
    badFilter.map((v) => ({ path: `${MF}/experiments/search?filter=${encodeURIComponent(v)}`, api: 'mlflow' as const })),
    urlText.map((v) => ({ path: `${MF}/runs/search?experiment_ids=0&page_token=${encodeURIComponent(`!${v}`)}`, api: 'mlflow' as const })),
    badFilter.map((v) => ({ path: `${ML}/models?filter=${encodeURIComponent(v)}`, api: 'modellab' as const })),
    badLimit.map((v) => ({ path: `${ML}/models?limit=${encodeURIComponent(v)}`, api: 'modellab' as const })),
    badFilter.map((v) => ({ path: `${ML}/models/seeded-model/versions?filter=${encodeURIComponent(v)}`, api: 'modellab' as const })),
    badFilter.map((v) => ({ path: `${ML}/logged-models?filter=${encodeURIComponent(v)}`, api: 'modellab' as const })),
    notAnInt.map((v) => ({ path: `${ML}/models/seeded-model/diff?a=1&b=${encodeURIComponent(v)}`, api: 'modellab' as const })),
    badFilter.map((v) => ({ path: `${MF}/registered-models/search?filter=${encodeURIComponent(v)}`, api: 'mlflow' as const })),
    badFilter.map((v) => ({ path: `${MF}/model-versions/search?filter=${encodeURIComponent(v)}`, api: 'mlflow' as const })),
    badLimit.map((v) => ({ path: `${MF}/registered-models/search?max_results=${encodeURIComponent(v)}`, api: 'mlflow' as const })),
  );
  it('wrong types, out-of-range numbers, bad filters and sorts answer 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async ({ path: p, api }) => {
        expectErrorShape(api, await t.call('GET', p), `GET ${p}`);
      }),
      { numRuns: RUNS * 10 },
    );
    await expectUnchanged();
  });
});

describe('multipart uploads', () => {
  const badPath = fc.oneof(
    fc.constantFrom('../x', '../../etc/passwd', '/abs', 'a//b', 'a/./b', 'a\\b', 'C:/x', '%2e%2e/x', 'a/', 'x\u0000y', '.', '..', 'a'.repeat(300) + '/b'),
    oddText.map((s) => `../${s}`),
  );
  const badCategory = oddText.filter((s) => !['checkpoints', 'plots', 'reports', 'evaluations', 'other', 'models', 'data', ''].includes(s));
  it('artifact uploads with path tricks, unknown categories or no file answer 4xx and store nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          badPath.map((p) => ({ fields: { path: p }, file: true })),
          badCategory.map((c) => ({ fields: { category: c }, file: true })),
          fc.constant({ fields: { path: 'ok.bin' }, file: false }),
          fc.constant({ fields: { path: 'ok.bin', unknown: 'x' }, file: true }),
        ),
        async ({ fields, file }) => {
          const form = new FormData();
          for (const [k, v] of Object.entries(fields)) form.append(k, v);
          if (file) form.append('file', new Blob(['bytes']), 'f.bin');
          const answer = await answerOf(await fetch(`${t.url}${ML}/artifacts/${ids.runId}`, { method: 'POST', body: form }));
          expectErrorShape('modellab', answer, `upload ${JSON.stringify(fields)}`);
        },
      ),
      { numRuns: RUNS * 3 },
    );
    await expectUnchanged();
  });

  it('dataset uploads with bad fields answer 4xx and store no version', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ tags: fc.constantFrom('[1,2]', '[', '[{"a":1}]', '["' + 'x'.repeat(200) + '"]') }),
          fc.record({ expectedSchema: fc.oneof(oddText.filter((s) => s.trim() !== ''), fc.constantFrom('{"columns": 3}', '{"columns": [{"name": 1}]}', '[]', '{"x": 1}')) }),
          fc.record({ name: fc.constantFrom(' ', 'x'.repeat(300)) }),
          fc.record({ bogus: oddText }),
        ),
        async (fields) => {
          const form = new FormData();
          for (const [k, v] of Object.entries(fields)) form.append(k, v);
          form.append('file', new Blob(['a,b\n1,2\n']), 'd.csv');
          const answer = await answerOf(await fetch(`${t.url}${ML}/datasets`, { method: 'POST', body: form }));
          expectErrorShape('modellab', answer, `dataset upload ${JSON.stringify(fields)}`);
        },
      ),
      { numRuns: RUNS * 3 },
    );
    await expectUnchanged();
  });
});
