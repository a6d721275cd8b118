/**
 * `modellab migrate`: a data folder made by the current release (the JSON store and the data
 * folder's files, through the API) copied into PostgreSQL and a bucket. Afterwards the API over
 * PostgreSQL + the bucket answers exactly what the API over the folder answers; the folder is
 * byte for byte as it was; a second run copies nothing; a run killed half-way and run again
 * completes with the same result.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDataFolder } from '../../api/migration';
import { PgStore } from '../../api/storage';
import { testApp, type TestApp } from '../helpers/app';
import { usePostgres } from '../helpers/postgres';
import { TEST_CREDENTIALS, useS3 } from '../helpers/s3';
import { ROOT } from '../helpers/server';
import { tempDir } from '../helpers/tmp';

const postgres = usePostgres();
const s3 = useS3();
const CLI = path.join(ROOT, 'api/modellab.mjs');
const RUNS = 1500;

let source: { dir: string; cleanup: () => Promise<void> };
let owners: string[] = [];
let sweepId = '';
let datasetIds: string[] = [];
/** A personal access token of the source's user 'ada' (MODELLAB_AUTH=users), to use against the target. */
let adaToken = '';

const AUDIT = [
  { at: '2026-01-01T00:00:00.000Z', user: 'ada', action: 'login', objectType: 'user', objectId: 'ada', address: '10.0.0.1' },
  { at: '2026-01-01T00:00:01.000Z', user: 'ada', action: 'run.created', objectType: 'run', objectId: 'r1', address: '10.0.0.1' },
  { at: '2026-01-01T00:00:02.000Z', user: '-', action: 'login.failed', objectType: 'user', objectId: 'eve', address: '10.0.0.2' },
];

/** Every file under the folder with its SHA-256: equal means nothing was changed, added or removed. */
async function fingerprint(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (sub: string) => {
    for (const entry of await readdir(path.join(dir, sub), { withFileTypes: true })) {
      const rel = path.join(sub, entry.name);
      if (entry.isDirectory()) await walk(rel);
      else out[rel] = createHash('sha256').update(await readFile(path.join(dir, rel))).digest('hex');
    }
  };
  await walk('');
  return out;
}

/** The data folder a user of the current release has: every kind of record and file, made through the API. */
async function makeSource(dir: string): Promise<void> {
  const t = await testApp({ dataDir: dir });
  try {
    const api = request(t.app);
    await t.services.auth.createUser({ name: 'ada', password: 'ada-password-1', role: 'admin' });
    adaToken = (await t.services.auth.createToken('ada', 'ci', null)).token;
    await t.services.auth.login('ada', 'ada-password-1', '127.0.0.1'); // a session: not copied (the browser signs in again)
    // A grant and the audit log a users-mode server leaves (written to the store directly: this server runs without users).
    await t.store.createAuthRecord('permission', { id: 'experiment:ada:0', object: 'experiment', objectId: '0', user: 'ada', level: 'manage', by: 'ada', updatedAt: '2026-01-01T00:00:00.000Z' });
    await t.store.appendAudit(AUDIT);
    const exp = (await api.post('/api/modellab/experiments').send({ name: 'churn', tags: { team: 'growth' } })).body;
    const gone = (await api.post('/api/modellab/experiments').send({ name: 'abandoned' })).body;
    const v1 = (await api.post('/api/modellab/datasets').attach('file', Buffer.from('age,label\n31,1\n42,0\n'), 'people.csv')).body;
    const v2 = (await api.post('/api/modellab/datasets').attach('file', Buffer.from('age,label\n31,1\n42,0\n27,1\n'), 'people.csv')).body;
    datasetIds = [v1.id, v2.id];
    const rich = (await api.post('/api/modellab/runs').send({ name: 'rich', experimentId: exp.id, datasetId: v2.id, seed: 7, hyperparameters: { lr: 0.01, layers: [64, 32] }, tags: { stage: 'dev' } })).body;
    await api.post(`/api/modellab/runs/${rich.id}/metrics`).send({ metrics: Array.from({ length: 120 }, (_, i) => ({ key: i % 2 ? 'loss' : 'acc', value: 1 / (i + 1), step: Math.floor(i / 2) })) });
    await api.put(`/api/modellab/runs/${rich.id}`).send({ status: 'running' });
    await api.post(`/api/modellab/artifacts/${rich.id}`).attach('file', Buffer.from('weights'.repeat(1000)), 'model.pt');
    await api.post(`/api/modellab/runs/${rich.id}/evaluate`).send({ predictions: ['a', 'b', 'b'], labels: ['a', 'b', 'a'], config: { taskType: 'classification', classes: ['a', 'b'], bootstrap: { resamples: 20, seed: 1 } } });
    // A file put in the run's folder by hand, without a record.
    await mkdir(path.join(dir, 'artifacts', rich.id, 'plots'), { recursive: true });
    await writeFile(path.join(dir, 'artifacts', rich.id, 'plots', 'by-hand.svg'), '<svg/>');
    const model = (await api.post('/api/modellab/logged-models').send({ name: 'clf', runId: rich.id })).body;
    await api.post(`/api/modellab/logged-models/${model.id}/files`).attach('file', Buffer.from('pickle'), 'model.pkl');
    await api.post('/api/modellab/models').send({ name: 'churn-model', description: 'prod' });
    await api.post('/api/modellab/models/churn-model/versions').send({ modelId: model.id });
    await api.post('/api/modellab/models/churn-model/versions').send({ runId: rich.id, path: 'checkpoints' });
    await api.put('/api/modellab/models/churn-model/aliases/champion').send({ version: 1 });
    owners = [rich.id, model.id];
    for (let i = 0; i < RUNS; i++) {
      const run = (await api.post('/api/modellab/runs').send({ name: `sweep-${i}`, experimentId: i % 3 ? exp.id : '0', hyperparameters: { lr: i / RUNS, i }, metrics: { acc: (i % 97) / 97 } })).body;
      if (i === 5) await api.delete(`/api/modellab/runs/${run.id}`); // deleted for good
      if (i === 6) await request(t.app).post('/api/2.0/mlflow/runs/delete').send({ run_id: run.id }); // soft-deleted
      if (i === 10) sweepId = run.id;
    }
    await api.delete(`/api/modellab/experiments/${gone.id}`);
  } finally {
    await t.cleanup();
  }
}

/** What a client sees: the same requests through both deployments must answer the same. */
async function observe(t: TestApp): Promise<unknown> {
  const api = request(t.app);
  const seen: Record<string, unknown> = {};
  const body = async (url: string) => (await api.get(url)).body;
  const bytes = async (url: string) => createHash('sha256').update((await api.get(url).buffer(true).parse((res, cb) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => cb(null, Buffer.concat(chunks)));
  })).body as Buffer).digest('hex');
  for (let offset = 0; offset < RUNS + 10; offset += 1000) seen[`runs ${offset}`] = await body(`/api/modellab/runs?lifecycle=all&limit=1000&offset=${offset}`);
  seen.filtered = await body(`/api/modellab/runs?filter=${encodeURIComponent('metrics.acc > 0.5 and params.lr < 0.3')}&sort=-metrics.acc&limit=50`);
  seen.mlflow = (await api.post('/api/2.0/mlflow/runs/search').send({ experiment_ids: ['0', '1'], max_results: 100, run_view_type: 'ALL' })).body;
  seen.experiments = (await api.post('/api/2.0/mlflow/experiments/search').send({ view_type: 'ALL', max_results: 100 })).body;
  seen.datasets = await body('/api/modellab/datasets');
  for (const id of datasetIds) {
    seen[`dataset ${id}`] = await bytes(`/api/modellab/datasets/${id}/download`);
    seen[`preview ${id}`] = await body(`/api/modellab/datasets/${id}/preview`);
  }
  for (const owner of owners) {
    const listing = owner.startsWith('m-') ? await body(`/api/modellab/logged-models/${owner}/files`) : await body(`/api/modellab/artifacts/${owner}`);
    seen[`artifacts ${owner}`] = listing;
    for (const a of (listing as { items: { path: string }[] }).items) {
      seen[`file ${owner}/${a.path}`] = owner.startsWith('m-') ? await bytes(`/api/modellab/logged-models/${owner}/files/${a.path}`) : await bytes(`/api/modellab/artifacts/${owner}/download/${a.path}`);
    }
  }
  seen.series = await body(`/api/modellab/runs/${owners[0]}/metrics/loss`);
  seen.evaluation = await body(`/api/modellab/runs/${owners[0]}/evaluation`);
  seen.registry = await body('/api/modellab/models');
  seen.versions = await body('/api/modellab/models/churn-model/versions');
  seen.alias = await body('/api/modellab/models/churn-model/aliases/champion');
  seen.logged = await body('/api/modellab/logged-models');
  seen.stats = await body('/api/modellab/stats');
  return seen;
}

async function targetApp(url: string, prefix: string): Promise<TestApp> {
  return testApp({ openStore: () => PgStore.open(url, { log: () => {} }), blobs: s3().blobs(prefix) });
}

let expected: unknown;
let before: Record<string, string>;
beforeAll(async () => {
  source = await tempDir();
  await makeSource(source.dir);
  before = await fingerprint(source.dir);
  const reference = await testApp({ dataDir: source.dir });
  try {
    expected = await observe(reference);
  } finally {
    await reference.cleanup();
  }
  // A file no server has listed yet, so without a record (observe() looks at other runs' files).
  await mkdir(path.join(source.dir, 'artifacts', sweepId, 'reports'), { recursive: true });
  await writeFile(path.join(source.dir, 'artifacts', sweepId, 'reports', 'later.txt'), 'unrecorded');
  before = await fingerprint(source.dir); // a server opening the folder compacts its log once; that is the state migrate sees
}, 240_000);
afterAll(async () => {
  await source?.cleanup();
});

describe('modellab migrate', () => {
  it('copies every record, series and file; the target answers as the folder did; the folder is unchanged; a second run copies nothing', async () => {
    const db = await postgres.createDatabase();
    const lines: string[] = [];
    try {
      const first = await migrateDataFolder({ dataDir: source.dir, databaseUrl: db.url, blobs: s3().blobs('first'), report: (l) => lines.push(l), progressMs: 50 });
      expect(first.problems).toEqual([]);
      expect(first.counts.run).toEqual({ copied: RUNS, alreadyThere: 0, differs: 0 }); // RUNS + 1 made, one deleted
      expect(first.counts.experiment.copied).toBe(3);
      expect(first.counts.dataset.copied).toBe(2);
      expect(first.counts.metricSeries.copied).toBe(1);
      expect(first.counts.registeredModel.copied).toBe(1);
      expect(first.counts.loggedModel.copied).toBe(1);
      expect([first.counts.user.copied, first.counts.token.copied, first.counts.permission.copied]).toEqual([1, 1, 1]);
      expect(first.counts.auditEntry).toEqual({ copied: AUDIT.length, alreadyThere: 0, differs: 0 });
      // model.pt, 5 evaluation documents, the logged model's file, by-hand.svg, later.txt (no record); and the 2 dataset files.
      expect(first.counts.file.copied).toBe(11);
      expect(await s3().blobs('first').readText(`artifacts/${sweepId}/reports/later.txt`)).toBe('unrecorded');
      expect(lines.some((l) => /^runs: [\d,]+ of 1,500$/.test(l))).toBe(true);
      expect(await fingerprint(source.dir)).toEqual(before);

      const target = await targetApp(db.url, 'first');
      try {
        expect(await observe(target)).toEqual(expected);
        expect(await target.store.listAuthRecords('session')).toEqual([]);
      } finally {
        await target.cleanup();
      }
      // In users mode the target knows the user's password and token.
      const users = await testApp({ openStore: () => PgStore.open(db.url, { log: () => {} }), blobs: s3().blobs('first'), authMode: 'users' });
      try {
        expect((await request(users.app).get('/api/modellab/runs?limit=1').set('Authorization', `Basic ${Buffer.from('ada:ada-password-1').toString('base64')}`)).status).toBe(200);
        expect((await request(users.app).get('/api/modellab/runs?limit=1').set('Authorization', `Bearer ${adaToken}`)).status).toBe(200);
        // … and its grants and audit log, oldest first as written.
        expect((await request(users.app).get('/api/modellab/experiments/0/permissions').set('Authorization', `Bearer ${adaToken}`)).body.items).toEqual([{ user: 'ada', level: 'manage', by: 'ada', updatedAt: '2026-01-01T00:00:00.000Z' }]);
        const audit = (await request(users.app).get('/api/modellab/audit').set('Authorization', `Bearer ${adaToken}`)).body;
        expect(audit.items.slice(-AUDIT.length).map(({ seq: _seq, ...entry }: { seq: number }) => entry)).toEqual([...AUDIT].reverse());
      } finally {
        await users.cleanup();
      }

      const second = await migrateDataFolder({ dataDir: source.dir, databaseUrl: db.url, blobs: s3().blobs('first'), report: () => {} });
      expect(second.problems).toEqual([]);
      expect(second.counts.run).toEqual({ copied: 0, alreadyThere: RUNS, differs: 0 });
      expect(second.counts.file).toEqual({ copied: 0, alreadyThere: 11, differs: 0 });
      expect(second.counts.metricSeries).toEqual({ copied: 0, alreadyThere: 1, differs: 0 });
      expect(second.counts.user).toEqual({ copied: 0, alreadyThere: 1, differs: 0 });
      expect(second.counts.auditEntry).toEqual({ copied: 0, alreadyThere: AUDIT.length, differs: 0 });
      expect(second.counts.token).toEqual({ copied: 0, alreadyThere: 1, differs: 0 }); // used on the target since: its last use is not a difference
    } finally {
      await db.drop();
    }
  }, 240_000);

  it('refuses a folder a live server holds, and reports a record the target holds differently without overwriting it', async () => {
    const db = await postgres.createDatabase();
    try {
      const live = await testApp({ dataDir: source.dir });
      try {
        await expect(migrateDataFolder({ dataDir: source.dir, databaseUrl: db.url, blobs: null, report: () => {} })).rejects.toThrow(/in use by another ModelLab server/);
      } finally {
        await live.cleanup();
      }
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const first = await migrateDataFolder({ dataDir: source.dir, databaseUrl: db.url, blobs: null, report: () => {} });
      expect(first.counts.file).toEqual({ copied: 0, alreadyThere: 0, differs: 0 }); // no bucket: files stay
      await client.query(`UPDATE runs SET doc = jsonb_set(doc::jsonb, '{name}', '"changed in the target"')::json WHERE id = $1`, [owners[0]]);
      await client.end();
      const again = await migrateDataFolder({ dataDir: source.dir, databaseUrl: db.url, blobs: null, report: () => {} });
      expect(again.problems).toEqual([`run ${owners[0]}: the target holds another record under this id (kept as it is)`]);
      expect(again.counts.run.differs).toBe(1);
    } finally {
      await db.drop();
    }
  }, 240_000);

  it('picks up where it stopped when killed half-way (the command itself)', async () => {
    const db = await postgres.createDatabase();
    const env = { ...process.env, AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1', MODELLAB_S3_ENDPOINT_URL: s3().endpoint };
    const args = [CLI, 'migrate', '--to', db.url, '--artifacts', `s3://${s3().bucket}/resumed`, '--data-dir', source.dir];
    const client = new pg.Client({ connectionString: db.url });
    try {
      const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d));
      child.stderr.on('data', (d: Buffer) => (output += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      // Kill it once some runs are in (the tables exist once it has migrated the database).
      for (let n = 0; n < 300; ) {
        await new Promise((r) => setTimeout(r, 25));
        if (child.exitCode !== null) throw new Error(`migrate exited before it could be interrupted:\n${output}`);
        n = await client
          .connect()
          .catch(() => undefined)
          .then(() => client.query('SELECT count(*)::int AS n FROM runs'))
          .then((r) => r.rows[0].n as number)
          .catch(() => 0);
      }
      child.kill('SIGKILL');
      await exited;
      const partial = (await client.query('SELECT count(*)::int AS n FROM runs')).rows[0].n as number;
      expect(partial).toBeLessThan(RUNS);

      const resumed = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, args, { env, timeout: 180_000 }, (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr })),
      );
      expect(resumed.stderr).toBe('');
      expect(resumed.code).toBe(0);
      const runsLine = /runs\s+(\d+) copied\s+(\d+) already there/.exec(resumed.stdout);
      expect(runsLine && Number(runsLine[1]) + Number(runsLine[2])).toBe(RUNS);
      expect(Number(runsLine![2])).toBeGreaterThanOrEqual(partial);
      expect(resumed.stdout).toMatch(/files\s+\d+ copied\s+\d+ already there/);
      const target = await targetApp(db.url, 'resumed');
      try {
        expect(await observe(target)).toEqual(expected);
      } finally {
        await target.cleanup();
      }
      expect(await fingerprint(source.dir)).toEqual(before);
    } finally {
      await client.end().catch(() => undefined);
      await db.drop();
    }
  }, 240_000);
});
