/**
 * The PostgreSQL store (MODELLAB_DATABASE_URL): the same records as the JSON store, each kept whole
 * as a jsonb document beside the columns queries use, and a run's field rows (fieldRows.ts) for its
 * filters and sorts. Every change is one transaction; a change function (`updateRun(id, change)`)
 * runs on the row locked FOR UPDATE, so concurrent changes to one record apply one after another
 * and none is lost. Node only.
 *
 * In progress (issue 17): runs, experiments and datasets are here and pass their groups of the store
 * contract; the model registry, logged models and artifact records come next, and the server does
 * not offer this store until they do (their methods answer 501).
 */
import pg from 'pg';
import { DEFAULT_EXPERIMENT_ID, RUN_STATUSES } from '../../../src/shared/contract/constants';
import type { Artifact, Dataset, Experiment, LifecycleStage, Run, RunStatistics, RunStatus } from '../../../src/shared/contract/types';
import type { LoggedModel, ModelStage, ModelVersion, RegisteredModel } from '../../../src/shared/contract/registry';
import { AppError, conflict, notFound, unprocessable } from '../../../src/shared/errors';
import { nowIso } from '../../../src/shared/ids';
import { fieldRowsOf } from '../../../src/shared/runs/fieldRows';
import { runStatistics } from '../../../src/shared/runs/statistics';
import type { VersionDraft } from '../../../src/shared/models/registry';
import type { DatasetDraft, DatasetListOptions, LoggedModelListOptions, Page, RunListOptions, Store } from '../store';
import { filterSql, sortSql, SqlParams } from './filterSql';
import { migrate } from './migrate';

type Client = pg.PoolClient;

const notYet = (what: string) => new AppError(501, 'not_implemented', `${what} is not available in the PostgreSQL store yet`);

/** A unique-constraint violation (SQLSTATE 23505). */
const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505';

export class PgStore implements Store {
  private constructor(private readonly pool: pg.Pool) {}

  /** Connects, migrates (once, whatever other processes start at the same time) and adds the Default experiment. */
  static async open(url: string, options: { max?: number } = {}): Promise<PgStore> {
    const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
    try {
      await migrate(pool);
      const store = new PgStore(pool);
      const at = nowIso();
      const experiment: Experiment = { id: DEFAULT_EXPERIMENT_ID, name: 'Default', artifactLocation: `mlflow-artifacts:/${DEFAULT_EXPERIMENT_ID}`, lifecycleStage: 'active', tags: {}, createdAt: at, updatedAt: at };
      await pool.query('INSERT INTO experiments (id, name, lifecycle_stage, doc) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [Number(experiment.id), experiment.name, 'active', experiment]);
      return store;
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  /** Runs `fn` in one transaction (rolled back when it throws, and what it threw rethrown). */
  private async tx<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  // ---- runs

  private async artifactLocationOf(client: Client | pg.Pool, experimentId: string): Promise<string | undefined> {
    const { rows } = await client.query<{ location: string }>(`SELECT doc->>'artifactLocation' AS location FROM experiments WHERE id::text = $1`, [experimentId]);
    return rows[0]?.location;
  }

  /** The run's row and its field rows, replacing any it had. */
  private async writeRun(client: Client, run: Run, insert: boolean): Promise<void> {
    const values = [run.id, run.experimentId, run.lifecycleStage, run.status, run.name, run.createdAt, run.datasetId, run.inputs.length, JSON.stringify(run)];
    if (insert) {
      await client.query('INSERT INTO runs (id, experiment_id, lifecycle_stage, status, name, created_at, dataset_id, input_count, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', values);
    } else {
      await client.query('UPDATE runs SET experiment_id = $2, lifecycle_stage = $3, status = $4, name = $5, created_at = $6, dataset_id = $7, input_count = $8, doc = $9 WHERE id = $1', values);
      await client.query('DELETE FROM run_fields WHERE run_id = $1', [run.id]);
    }
    const location = await this.artifactLocationOf(client, run.experimentId);
    const rows = fieldRowsOf(run, { artifactLocation: (id) => (id === run.experimentId ? location : undefined) });
    if (rows.length === 0) return;
    await client.query('INSERT INTO run_fields (run_id, field, num, text, upper, bool) SELECT $1, * FROM unnest($2::text[], $3::float8[], $4::text[], $5::text[], $6::boolean[])', [
      run.id,
      rows.map((r) => r.field),
      rows.map((r) => r.num),
      rows.map((r) => r.text),
      rows.map((r) => r.upper),
      rows.map((r) => r.bool),
    ]);
  }

  async createRun(run: Run): Promise<Run> {
    const stored = JSON.parse(JSON.stringify(run)) as Run;
    return this.tx(async (client) => {
      const experiment = await client.query<{ stage: string }>('SELECT lifecycle_stage AS stage FROM experiments WHERE id::text = $1', [run.experimentId]);
      if (experiment.rows.length === 0) throw unprocessable(`experimentId '${run.experimentId}' does not name an existing experiment`, { field: 'experimentId' });
      if (experiment.rows[0]!.stage === 'deleted') throw unprocessable(`experiment '${run.experimentId}' is deleted; restore it first`, { field: 'experimentId' });
      if (run.datasetId !== null && (await client.query('SELECT 1 FROM datasets WHERE id = $1', [run.datasetId])).rows.length === 0) {
        throw unprocessable(`datasetId '${run.datasetId}' does not name an existing dataset version`, { field: 'datasetId' });
      }
      try {
        await this.writeRun(client, stored, true);
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict(`run '${run.id}' already exists`);
        throw error;
      }
      return stored;
    });
  }

  async getRun(id: string): Promise<Run> {
    const { rows } = await this.pool.query<{ doc: Run }>('SELECT doc FROM runs WHERE id = $1', [id]);
    if (rows.length === 0) throw notFound('run', id);
    return rows[0]!.doc;
  }

  async searchRuns(options: RunListOptions): Promise<Page<Run>> {
    const params = new SqlParams();
    const where: string[] = [];
    const lifecycle = options.lifecycle ?? 'active';
    if (lifecycle !== 'all') where.push(`r.lifecycle_stage = ${params.add(lifecycle, 'text')}`);
    if (options.status) where.push(`r.status = ${params.add(options.status, 'text')}`);
    if (options.experimentIds) where.push(`r.experiment_id = ANY(${params.add(options.experimentIds, 'text[]')})`);
    if (options.filter) where.push(filterSql(options.filter, params));
    const sort = options.sort ? sortSql(Array.isArray(options.sort) ? options.sort : [options.sort], params) : { joins: '', orderBy: 'r.seq DESC' };
    const limit = params.add(options.limit, 'bigint');
    const offset = params.add(options.offset, 'bigint');
    const { rows } = await this.pool.query<{ doc: Run; total: string }>(
      `SELECT r.doc, count(*) OVER () AS total FROM runs r ${sort.joins} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${sort.orderBy} LIMIT ${limit} OFFSET ${offset}`,
      params.values,
    );
    if (rows.length > 0) return { items: rows.map((r) => r.doc), total: Number(rows[0]!.total) };
    // An offset past the end returns no row to carry the total: count on its own.
    if (options.offset === 0) return { items: [], total: 0 };
    return { items: [], total: (await this.searchRuns({ ...options, sort: undefined, limit: 1, offset: 0 })).total };
  }

  async updateRun(id: string, change: (current: Run) => Run): Promise<Run> {
    return this.tx(async (client) => {
      const { rows } = await client.query<{ doc: Run }>('SELECT doc FROM runs WHERE id = $1 FOR UPDATE', [id]);
      if (rows.length === 0) throw notFound('run', id);
      const next = JSON.parse(JSON.stringify({ ...change(rows[0]!.doc), id })) as Run;
      await this.writeRun(client, next, false);
      return next;
    });
  }

  async deleteRun(id: string): Promise<{ loggedModels: string[] }> {
    return this.tx(async (client) => {
      const { rowCount } = await client.query('DELETE FROM runs WHERE id = $1', [id]);
      if (rowCount === 0) throw notFound('run', id);
      await client.query('DELETE FROM artifacts WHERE owner = $1', [id]);
      await client.query('DELETE FROM metric_points WHERE run_id = $1', [id]);
      return { loggedModels: [] };
    });
  }

  async countRunsByStatus(): Promise<Record<RunStatus, number>> {
    const counts = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>;
    const { rows } = await this.pool.query<{ status: RunStatus; n: number }>(`SELECT status, count(*)::int AS n FROM runs WHERE lifecycle_stage = 'active' GROUP BY status`);
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  }

  async runStatistics(): Promise<RunStatistics> {
    const { rows } = await this.pool.query<{ doc: Run }>(`SELECT doc FROM runs WHERE lifecycle_stage = 'active' ORDER BY seq`);
    return runStatistics(rows.map((r) => r.doc));
  }

  // ---- datasets

  async createDataset(dataset: Dataset): Promise<Dataset> {
    try {
      await this.pool.query('INSERT INTO datasets (id, name, version, doc) VALUES ($1, $2, $3, $4)', [dataset.id, dataset.name, dataset.version, JSON.stringify(dataset)]);
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`dataset '${dataset.id}' already exists`);
      throw error;
    }
    return JSON.parse(JSON.stringify(dataset)) as Dataset;
  }

  async addDatasetVersion(draft: DatasetDraft, diff: (parent: Dataset, child: DatasetDraft) => Dataset['schemaChanges']): Promise<{ dataset: Dataset; deduplicated: boolean }> {
    return this.tx(async (client) => {
      // One version of a name at a time: concurrent uploads of it are numbered one after another.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`dataset:${draft.name}`]);
      const parent = await this.latestDatasetVersionWith(client, draft.name);
      if (parent && parent.checksum === draft.checksum) return { dataset: parent, deduplicated: true };
      const dataset: Dataset = JSON.parse(
        JSON.stringify({ ...draft, version: parent ? parent.version + 1 : 1, parentId: parent ? parent.id : null, schemaChanges: parent ? diff(parent, draft) : null }),
      ) as Dataset;
      try {
        await client.query('INSERT INTO datasets (id, name, version, doc) VALUES ($1, $2, $3, $4)', [dataset.id, dataset.name, dataset.version, JSON.stringify(dataset)]);
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict(`dataset '${dataset.id}' already exists`);
        throw error;
      }
      return { dataset, deduplicated: false };
    });
  }

  private async latestDatasetVersionWith(client: Client | pg.Pool, name: string): Promise<Dataset | null> {
    const { rows } = await client.query<{ doc: Dataset }>('SELECT doc FROM datasets WHERE name = $1 ORDER BY version DESC LIMIT 1', [name]);
    return rows[0]?.doc ?? null;
  }

  latestDatasetVersion(name: string): Promise<Dataset | null> {
    return this.latestDatasetVersionWith(this.pool, name);
  }

  async getDataset(id: string): Promise<Dataset> {
    const { rows } = await this.pool.query<{ doc: Dataset }>('SELECT doc FROM datasets WHERE id = $1', [id]);
    if (rows.length === 0) throw notFound('dataset', id);
    return rows[0]!.doc;
  }

  async listDatasets(options: DatasetListOptions): Promise<Page<Dataset>> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (options.name !== undefined) where.push(`d.name = $${values.push(options.name)}`);
    if (options.latest) where.push('d.version = (SELECT max(version) FROM datasets l WHERE l.name = d.name)');
    const { rows } = await this.pool.query<{ doc: Dataset; total: string }>(
      `SELECT d.doc, count(*) OVER () AS total FROM datasets d ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.seq DESC LIMIT $${values.push(options.limit)} OFFSET $${values.push(options.offset)}`,
      values,
    );
    const total = rows.length > 0 ? Number(rows[0]!.total) : Number((await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM datasets d ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`, values.slice(0, -2))).rows[0]!.n);
    return { items: rows.map((r) => r.doc), total };
  }

  async updateDataset(id: string, change: (current: Dataset) => Dataset): Promise<Dataset> {
    return this.tx(async (client) => {
      const { rows } = await client.query<{ doc: Dataset }>('SELECT doc FROM datasets WHERE id = $1 FOR UPDATE', [id]);
      if (rows.length === 0) throw notFound('dataset', id);
      const next = JSON.parse(JSON.stringify({ ...change(rows[0]!.doc), id })) as Dataset;
      await client.query('UPDATE datasets SET name = $2, version = $3, doc = $4 WHERE id = $1', [id, next.name, next.version, JSON.stringify(next)]);
      return next;
    });
  }

  async deleteDataset(id: string): Promise<void> {
    await this.tx(async (client) => {
      const { rows } = await client.query<{ id: string }>('SELECT id FROM datasets WHERE id = $1 FOR UPDATE', [id]);
      if (rows.length === 0) throw notFound('dataset', id);
      const users = (await client.query<{ id: string; name: string }>('SELECT id, name FROM runs WHERE dataset_id = $1 ORDER BY seq', [id])).rows;
      if (users.length > 0) {
        const names = users.slice(0, 10).map((r) => `'${r.name}' (${r.id})`).join(', ');
        throw conflict(`Dataset '${id}' is linked to ${users.length} run(s): ${names}${users.length > 10 ? ', …' : ''}; delete or relink them first`, { runs: users });
      }
      await client.query('DELETE FROM datasets WHERE id = $1', [id]);
    });
  }

  // ---- experiments

  async createExperiment(input: { name: string; artifactLocation?: string | null; tags?: Record<string, string> }): Promise<Experiment> {
    return this.tx(async (client) => {
      await client.query('LOCK TABLE experiments IN SHARE ROW EXCLUSIVE MODE'); // numbering: one at a time
      await this.refuseTakenName(client, input.name, null);
      const { rows } = await client.query<{ next: string }>('SELECT coalesce(max(id) + 1, 0) AS next FROM experiments');
      const id = String(rows[0]!.next);
      const at = nowIso();
      const experiment: Experiment = { id, name: input.name, artifactLocation: input.artifactLocation || `mlflow-artifacts:/${id}`, lifecycleStage: 'active', tags: input.tags ?? {}, createdAt: at, updatedAt: at };
      await client.query('INSERT INTO experiments (id, name, lifecycle_stage, doc) VALUES ($1, $2, $3, $4)', [Number(id), experiment.name, 'active', JSON.stringify(experiment)]);
      return experiment;
    });
  }

  private async refuseTakenName(client: Client, name: string, exceptId: string | null): Promise<void> {
    const { rows } = await client.query<{ id: string }>('SELECT id::text AS id FROM experiments WHERE name = $1', [name]);
    const other = rows.find((r) => r.id !== exceptId);
    if (other) throw conflict(`Experiment '${name}' already exists.`, { id: other.id });
  }

  async getExperiment(id: string): Promise<Experiment> {
    const { rows } = await this.pool.query<{ doc: Experiment }>('SELECT doc FROM experiments WHERE id::text = $1', [id]);
    if (rows.length === 0) throw notFound('experiment', id);
    return rows[0]!.doc;
  }

  async findExperimentByName(name: string): Promise<Experiment | null> {
    const { rows } = await this.pool.query<{ doc: Experiment }>('SELECT doc FROM experiments WHERE name = $1', [name]);
    return rows[0]?.doc ?? null;
  }

  async listExperiments(): Promise<Experiment[]> {
    return (await this.pool.query<{ doc: Experiment }>('SELECT doc FROM experiments ORDER BY id')).rows.map((r) => r.doc);
  }

  async updateExperiment(id: string, change: (current: Experiment) => Experiment): Promise<Experiment> {
    return this.tx(async (client) => {
      await client.query('LOCK TABLE experiments IN SHARE ROW EXCLUSIVE MODE'); // names: one change at a time
      const { rows } = await client.query<{ doc: Experiment }>('SELECT doc FROM experiments WHERE id::text = $1 FOR UPDATE', [id]);
      if (rows.length === 0) throw notFound('experiment', id);
      const next = JSON.parse(JSON.stringify({ ...change(rows[0]!.doc), id })) as Experiment;
      await this.refuseTakenName(client, next.name, id);
      await client.query('UPDATE experiments SET name = $2, lifecycle_stage = $3, doc = $4 WHERE id::text = $1', [id, next.name, next.lifecycleStage, JSON.stringify(next)]);
      return next;
    });
  }

  async setExperimentLifecycle(id: string, stage: LifecycleStage, refuse: (current: Experiment) => Error): Promise<Experiment> {
    return this.tx(async (client) => {
      const { rows } = await client.query<{ doc: Experiment }>('SELECT doc FROM experiments WHERE id::text = $1 FOR UPDATE', [id]);
      if (rows.length === 0) throw notFound('experiment', id);
      const current = rows[0]!.doc;
      if (current.lifecycleStage === stage) throw refuse(current);
      const at = nowIso();
      const next: Experiment = { ...current, lifecycleStage: stage, updatedAt: at };
      await client.query('UPDATE experiments SET lifecycle_stage = $2, doc = $3 WHERE id::text = $1', [id, stage, JSON.stringify(next)]);
      const from: LifecycleStage = stage === 'deleted' ? 'active' : 'deleted';
      const moving = await client.query<{ doc: Run }>('SELECT doc FROM runs WHERE experiment_id = $1 AND lifecycle_stage = $2 ORDER BY seq FOR UPDATE', [id, from]);
      for (const { doc } of moving.rows) await this.writeRun(client, { ...doc, lifecycleStage: stage, updatedAt: at }, false);
      return next;
    });
  }

  // ---- artifact records, logged models and the model registry: next (see the file's opening comment)

  putArtifact(_artifact: Artifact): Promise<Artifact> {
    return Promise.reject(notYet('Artifact records'));
  }
  getArtifact(_runId: string, _path: string): Promise<Artifact | null> {
    return Promise.reject(notYet('Artifact records'));
  }
  listArtifacts(_runId: string): Promise<Artifact[]> {
    return Promise.reject(notYet('Artifact records'));
  }
  deleteArtifact(_runId: string, _path: string): Promise<boolean> {
    return Promise.reject(notYet('Artifact records'));
  }
  createLoggedModel(_model: LoggedModel): Promise<LoggedModel> {
    return Promise.reject(notYet('Logged models'));
  }
  getLoggedModel(_id: string): Promise<LoggedModel> {
    return Promise.reject(notYet('Logged models'));
  }
  searchLoggedModels(_options: LoggedModelListOptions): Promise<Page<LoggedModel>> {
    return Promise.reject(notYet('Logged models'));
  }
  updateLoggedModel(_id: string, _change: (current: LoggedModel) => LoggedModel): Promise<LoggedModel> {
    return Promise.reject(notYet('Logged models'));
  }
  deleteLoggedModel(_id: string): Promise<void> {
    return Promise.reject(notYet('Logged models'));
  }
  createRegisteredModel(_input: { name: string; description: string; tags: Record<string, string> }): Promise<RegisteredModel> {
    return Promise.reject(notYet('The model registry'));
  }
  getRegisteredModel(_name: string): Promise<RegisteredModel> {
    return Promise.reject(notYet('The model registry'));
  }
  listRegisteredModels(): Promise<{ model: RegisteredModel; versions: ModelVersion[] }[]> {
    return Promise.reject(notYet('The model registry'));
  }
  updateRegisteredModel(_name: string, _change: (current: RegisteredModel) => RegisteredModel): Promise<RegisteredModel> {
    return Promise.reject(notYet('The model registry'));
  }
  renameRegisteredModel(_name: string, _newName: string): Promise<RegisteredModel> {
    return Promise.reject(notYet('The model registry'));
  }
  deleteRegisteredModel(_name: string): Promise<void> {
    return Promise.reject(notYet('The model registry'));
  }
  createModelVersion(_name: string, _draft: VersionDraft): Promise<ModelVersion> {
    return Promise.reject(notYet('The model registry'));
  }
  getModelVersion(_name: string, _version: number): Promise<ModelVersion> {
    return Promise.reject(notYet('The model registry'));
  }
  listModelVersions(_name?: string): Promise<ModelVersion[]> {
    return Promise.reject(notYet('The model registry'));
  }
  updateModelVersion(_name: string, _version: number, _change: (current: ModelVersion) => ModelVersion): Promise<ModelVersion> {
    return Promise.reject(notYet('The model registry'));
  }
  transitionModelVersionStage(_name: string, _version: number, _stage: ModelStage, _archiveExisting: boolean): Promise<ModelVersion> {
    return Promise.reject(notYet('The model registry'));
  }
  deleteModelVersion(_name: string, _version: number): Promise<{ removedAliases: string[] }> {
    return Promise.reject(notYet('The model registry'));
  }
  setRegisteredModelAlias(_name: string, _alias: string, _version: number): Promise<RegisteredModel> {
    return Promise.reject(notYet('The model registry'));
  }
  deleteRegisteredModelAlias(_name: string, _alias: string): Promise<RegisteredModel> {
    return Promise.reject(notYet('The model registry'));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
