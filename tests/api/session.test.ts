/**
 * A scripted session through both APIs — experiments, runs, metrics, a dataset upload, artifacts,
 * evaluations, latency, compare, search, the MLflow calls a training script makes, and a few errors —
 * whose answers (status, content type, body) must stay byte-identical across refactors. Ids, hashes,
 * times and random seeds are normalised (ids and hashes to their order of first appearance, so a
 * changed link between objects still shows). The recording is tests/fixtures/session/responses.json;
 * `UPDATE_SESSION=1 npx vitest run tests/api/session.test.ts` rewrites it (only for a deliberate change).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { expect, it } from 'vitest';
import { PgStore } from '../../api/storage/postgres/pgStore';
import { testApp, type TestApp } from '../helpers/app';
import { usePostgres } from '../helpers/postgres';

const RECORDING = path.resolve(import.meta.dirname, '../fixtures/session/responses.json');

interface Exchange {
  step: string;
  request: string;
  status: number;
  contentType: string | null;
  body: unknown;
}

/** Stable placeholders: every distinct id or hash gets the next number in order of appearance. */
function normaliser() {
  const seen = new Map<string, string>();
  const token = (kind: string, value: string) => {
    if (!seen.has(value)) seen.set(value, `<${kind}${[...seen.values()].filter((v) => v.startsWith(`<${kind}`)).length + 1}>`);
    return seen.get(value)!;
  };
  const text = (s: string) =>
    s
      .replace(/\b[0-9a-f]{64}\b/g, (m) => token('sha', m))
      .replace(/\b[0-9a-f]{32}\b/g, (m) => token('id', m))
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}[:-]\d{2}[:-]\d{2}[.-]\d{3}Z/g, '<time>');
  const MS_FIELDS = new Set(['start_time', 'end_time', 'creation_time', 'last_update_time', 'timestamp', 'lastTimestamp']);
  // Calendar days (the dashboard's last 30 days) relative to today, so the recording holds on any day.
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const value = (v: unknown, key = ''): unknown => {
    if (typeof v === 'string' && key === 'date' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return `<today${Math.round((Date.parse(v) - today) / 86_400_000)}>`;
    if (typeof v === 'string' && key === 'store') return '<store>'; // the health check names the backend
    if (typeof v === 'string') return text(v);
    if (typeof v === 'number') {
      if (MS_FIELDS.has(key) && v > 1e12) return '<ms>';
      if (key === 'seed' && v > 1e6) return '<seed>';
      return v;
    }
    if (Array.isArray(v)) return v.map((x) => value(x, key));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [text(k), value(x, k)]));
    return v;
  };
  return { text, value };
}

const postgres = usePostgres();

it('answers a scripted session exactly as recorded', async () => {
  const t = await testApp();
  try {
    await expectRecordedSession(t, true);
  } finally {
    await t.cleanup();
  }
});

it('answers the same session exactly the same on the PostgreSQL store', async () => {
  const db = await postgres.createDatabase();
  const t = await testApp({ openStore: () => PgStore.open(db.url) });
  try {
    await expectRecordedSession(t, false);
  } finally {
    await t.cleanup();
    await db.drop();
  }
}, 60_000);

async function expectRecordedSession(t: TestApp, mayRecord: boolean): Promise<void> {
  const norm = normaliser();
  const log: Exchange[] = [];
  const agent = request.agent(t.app);
  const record = async (step: string, method: 'get' | 'post' | 'put' | 'delete', url: string, send?: (r: request.Test) => request.Test) => {
    let r = agent[method](url);
    if (send) r = send(r);
    // Every body as raw bytes, whatever its type, then JSON or UTF-8 text.
    const res = await r.buffer(true).parse((stream, done) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => done(null, Buffer.concat(chunks)));
    });
    const contentType = res.headers['content-type'] ?? null;
    const raw = (res.body as Buffer).toString('utf8');
    const body = contentType?.includes('json') && raw ? JSON.parse(raw) : raw;
    log.push({ step, request: `${method.toUpperCase()} ${norm.text(url)}`, status: res.status, contentType, body: norm.value(body) });
    return { status: res.status, body: body as any };
  };
  const json = (body: unknown) => (r: request.Test) => r.send(body as object);
  const ML = '/api/modellab';
  const MF = '/api/2.0/mlflow';

  // ---- ModelLab
  await record('health', 'get', `${ML}/health`);
  const exp = (await record('create experiment', 'post', `${ML}/experiments`, json({ name: 'vision', tags: { team: 'cv' } }))).body;
  await record('list experiments', 'get', `${ML}/experiments`);
  const runs: string[] = [];
  for (const [i, lr] of [0.1, 0.01, 0.001].entries()) {
    const res = await record(
      `create run ${i}`,
      'post',
      `${ML}/runs`,
      json({ name: `resnet-${i}`, experimentId: exp.id, seed: 42 + i, hyperparameters: { lr, optimizer: { name: 'adam', beta: 0.9 } }, config: { epochs: 3 }, tags: { sweep: 's1' }, gitCommit: 'abcdef1' }),
    );
    runs.push(res.body.id);
  }
  const [a, b, c] = runs as [string, string, string];
  await record('start run', 'put', `${ML}/runs/${a}`, json({ status: 'running', tags: { stage: 'train' } }));
  await record('log metrics', 'post', `${ML}/runs/${a}/metrics`, json({ metrics: Array.from({ length: 12 }, (_, s) => ({ key: s % 2 ? 'loss' : 'acc', value: 1 / (s + 1), step: s, timestamp: 1_700_000_000_000 + s })) }));
  await record('metric summaries', 'get', `${ML}/runs/${a}/metrics`);
  await record('metric series', 'get', `${ML}/runs/${a}/metrics/loss?maxPoints=4`);
  await record('finish run', 'put', `${ML}/runs/${a}`, json({ status: 'completed', metrics: { val_acc: 0.9 } }));
  await record('bad transition', 'put', `${ML}/runs/${a}`, json({ status: 'running' }));

  const csv = 'id,label,score,group\n' + Array.from({ length: 40 }, (_, i) => `${i},${i % 3 ? 'cat' : 'dog'},${(i * 37) % 100 / 100},g${i % 2}`).join('\n') + '\n';
  const ds = (await record('upload dataset', 'post', `${ML}/datasets`, (r) => r.field('name', 'pets').field('tags', 'a,b').attach('file', Buffer.from(csv), 'pets.csv'))).body;
  await record('list datasets', 'get', `${ML}/datasets`);
  await record('dataset preview', 'get', `${ML}/datasets/${ds.id}/preview?limit=3`);
  await record('update dataset', 'put', `${ML}/datasets/${ds.id}`, json({ description: 'pets v1' }));
  await record('notes on a run', 'put', `${ML}/runs/${b}`, json({ notes: 'uses pets' }));

  await record('upload artifact', 'post', `${ML}/artifacts/${a}`, (r) => r.field('category', 'checkpoints').field('path', 'epoch-1/model.pt').attach('file', Buffer.from('weights'), 'model.pt'));
  await record('list artifacts', 'get', `${ML}/artifacts/${a}`);
  await record('download artifact', 'get', `${ML}/artifacts/${a}/download/checkpoints/epoch-1/model.pt`);

  const labels = Array.from({ length: 30 }, (_, i) => (i % 3 ? 'cat' : 'dog'));
  const evalBody = (wrongEvery: number) => ({
    predictions: labels.map((l, i) => (i % wrongEvery === 0 ? (l === 'cat' ? 'dog' : 'cat') : l)),
    labels,
    data: labels.map((_, i) => ({ group: `g${i % 2}`, size: i })),
    config: { taskType: 'classification', classes: ['cat', 'dog'], sliceAttributes: ['group'], bootstrap: { resamples: 200, seed: 7 } },
  });
  await record('evaluate a', 'post', `${ML}/runs/${a}/evaluate`, json(evalBody(5)));
  await record('evaluate b', 'post', `${ML}/runs/${b}/evaluate`, json(evalBody(4)));
  await record('evaluate a again', 'post', `${ML}/runs/${a}/evaluate`, json(evalBody(6)));
  await record('evaluation document', 'get', `${ML}/artifacts/${a}/download/evaluations/metrics.json`);
  await record('report', 'get', `${ML}/runs/${a}/report?format=md`);
  await record('latency', 'post', `${ML}/runs/${b}/latency`, json({ samplesMs: Array.from({ length: 50 }, (_, i) => 5 + (i % 7)), durationMs: 1000 }));
  await record('compare', 'get', `${ML}/compare?runs=${a},${b}`);
  await record('search', 'get', `${ML}/runs?filter=${encodeURIComponent("params.optimizer.name = 'adam' and metrics.accuracy > 0.5")}&sort=metrics.accuracy:desc`);
  await record('search by experiment', 'get', `${ML}/runs?experimentId=${exp.id}&sort=name:asc&limit=2&offset=1`);
  await record('bad filter', 'get', `${ML}/runs?filter=${encodeURIComponent('metrics.acc >')}`);
  await record('stats', 'get', `${ML}/stats`);
  await record('unknown run', 'get', `${ML}/runs/${'0'.repeat(32)}`);

  // ---- MLflow, as its client calls it
  const mexp = (await record('mlflow create experiment', 'post', `${MF}/experiments/create`, json({ name: 'mlflow-exp', tags: [{ key: 'k', value: 'v' }] }))).body.experiment_id;
  await record('mlflow get experiment', 'get', `${MF}/experiments/get?experiment_id=${mexp}`);
  await record('mlflow get by name', 'get', `${MF}/experiments/get-by-name?experiment_name=mlflow-exp`);
  await record('mlflow search experiments', 'post', `${MF}/experiments/search`, json({ max_results: 10, filter: "name LIKE 'mlflow%'" }));
  const mrun = (await record('mlflow create run', 'post', `${MF}/runs/create`, json({ experiment_id: mexp, run_name: 'sk-1', start_time: 1_700_000_000_000, tags: [{ key: 'mlflow.user', value: 'ana' }] }))).body.run.info.run_id;
  await record(
    'mlflow log batch',
    'post',
    `${MF}/runs/log-batch`,
    json({ run_id: mrun, metrics: [{ key: 'rmse', value: 0.5, timestamp: 1_700_000_000_001, step: 0 }, { key: 'rmse', value: 0.4, timestamp: 1_700_000_000_002, step: 1 }], params: [{ key: 'alpha', value: '0.5' }], tags: [{ key: 'stage', value: 'dev' }] }),
  );
  await record('mlflow log metric', 'post', `${MF}/runs/log-metric`, json({ run_id: mrun, key: 'r2', value: 0.8, timestamp: 1_700_000_000_003, step: 0 }));
  await record('mlflow set tag', 'post', `${MF}/runs/set-tag`, json({ run_id: mrun, key: 'note', value: 'x' }));
  await record('mlflow change param', 'post', `${MF}/runs/log-parameter`, json({ run_id: mrun, key: 'alpha', value: '0.7' }));
  await record('mlflow log inputs', 'post', `${MF}/runs/log-inputs`, json({ run_id: mrun, datasets: [{ dataset: { name: 'pets', digest: ds.checksum.slice(0, 8), source_type: 'local', source: '/d/pets.csv' } }] }));
  await record('mlflow log model', 'post', `${MF}/runs/log-model`, json({ run_id: mrun, model_json: JSON.stringify({ artifact_path: 'model', flavors: { sklearn: {} } }) }));
  await record('mlflow upload artifact', 'put', `/api/2.0/mlflow-artifacts/artifacts/${mexp}/${mrun}/artifacts/model/MLmodel`, (r) => r.set('content-type', 'application/octet-stream').send('flavors: {}\n'));
  await record('mlflow list artifacts', 'get', `/api/2.0/mlflow-artifacts/artifacts?path=${mexp}/${mrun}/artifacts/model`);
  await record('mlflow download artifact', 'get', `/api/2.0/mlflow-artifacts/artifacts/${mexp}/${mrun}/artifacts/model/MLmodel`);
  await record('mlflow get run', 'get', `${MF}/runs/get?run_id=${mrun}`);
  await record('mlflow metric history', 'get', `${MF}/metrics/get-history?run_id=${mrun}&metric_key=rmse`);
  await record('mlflow search runs', 'post', `${MF}/runs/search`, json({ experiment_ids: [mexp, exp.id], filter: "metrics.rmse < 1 and params.alpha = '0.5'", order_by: ['metrics.rmse ASC'] }));
  await record('mlflow search all', 'post', `${MF}/runs/search`, json({ experiment_ids: [exp.id], max_results: 2 }));
  await record('mlflow finish run', 'post', `${MF}/runs/update`, json({ run_id: mrun, status: 'FINISHED', end_time: 1_700_000_000_100 }));
  await record('mlflow bad filter', 'post', `${MF}/runs/search`, json({ experiment_ids: [mexp], filter: 'metrics.rmse <<' }));
  await record('mlflow unknown run', 'get', `${MF}/runs/get?run_id=${'0'.repeat(32)}`);
  await record('mlflow delete run', 'post', `${MF}/runs/delete`, json({ run_id: mrun }));
  await record('mlflow delete experiment', 'post', `${MF}/experiments/delete`, json({ experiment_id: mexp }));
  await record('modellab sees the deleted experiment', 'get', `${ML}/experiments?lifecycle=all`);

  await record('delete run', 'delete', `${ML}/runs/${c}`);
  await record('deleted run', 'get', `${ML}/runs/${c}`);
  await record('runs at the end', 'get', `${ML}/runs?limit=100`);

  if (mayRecord && process.env.UPDATE_SESSION === '1') {
    mkdirSync(path.dirname(RECORDING), { recursive: true });
    writeFileSync(RECORDING, `${JSON.stringify(log, null, 1)}\n`);
  }
  expect(existsSync(RECORDING), `${RECORDING} is missing: record it with UPDATE_SESSION=1`).toBe(true);
  const recorded = JSON.parse(readFileSync(RECORDING, 'utf8')) as Exchange[];
  expect(log.map((e) => `${e.step}: ${e.request}`)).toEqual(recorded.map((e) => `${e.step}: ${e.request}`));
  for (let i = 0; i < recorded.length; i++) expect(log[i], recorded[i]!.step).toEqual(recorded[i]);
}
