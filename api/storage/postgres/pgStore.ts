/**
 * The PostgreSQL store (MODELLAB_DATABASE_URL): the same records as the JSON store, each kept whole
 * as a json document (see migrations.ts for why not jsonb) beside the columns queries use, and a run's field rows (fieldRows.ts) for its
 * filters and sorts. Every change is one transaction; a change function (`updateRun(id, change)`)
 * runs on the row locked FOR UPDATE, so concurrent changes to one record apply one after another
 * and none is lost. Node only.
 *
 * It passes the whole store contract, keeps the metric series too (PgMetricSeries), relays live
 * events between processes (PgEventRelay), and keeps users, tokens and sessions (auth_records).
 */
import pg from 'pg';
import { DEFAULT_EXPERIMENT_ID, RUN_STATUSES } from '../../../src/shared/contract/constants';
import { type Artifact, type Dataset, type Experiment, type ExperimentInput, type LifecycleStage, newExperiment, type Run, type RunStatistics, type RunStatus } from '../../../src/shared/contract/types';
import { LOGGED_MODEL_ID, type LoggedModel, type ModelStage, type ModelVersion, newRegisteredModel, type RegisteredModel, type RegisteredModelInput } from '../../../src/shared/contract/registry';
import { conflict, notFound, unprocessable } from '../../../src/shared/errors';
import { nowIso } from '../../../src/shared/ids';
import { KeyedLock } from '../../../src/shared/keyedLock';
import { fieldKey, type FieldRow, fieldRowsOf } from '../../../src/shared/runs/fieldRows';
import { runStatistics } from '../../../src/shared/runs/statistics';
import * as registry from '../../../src/shared/models/registry';
import type { VersionDraft } from '../../../src/shared/models/registry';
import { type AuditDraft, type AuditEntry, type AuditFilter, authKeyOf, type AuthKind, authOwnerOf, type AuthRecords } from '../../../src/shared/auth';
import { GroupCommit } from '../groupCommit';
import { sortSpecsOf, type DatasetDraft, type DatasetListOptions, type LoggedModelListOptions, type Page, type RunListOptions, type RunPage, type RunQuery, type Store, type StoredRecord } from '../store';
import type { MetricSeries } from '../metricSeries';
import { filterSql, sortSql, SqlParams } from './filterSql';
import { isMany } from '../../../src/shared/runs/filter';
import { deleteSeries, PgMetricSeries } from './pgMetricSeries';
import { PgEventRelay } from './pgEventRelay';
import type { EventRelay } from '../../eventBus';
import { migrate } from './migrate';
import { ResilientPool, transaction } from './resilientPool';

type Client = pg.PoolClient;

/** Field rows as the five arrays `unnest($n::text[], $n::float8[], $n::text[], $n::text[], $n::boolean[])` reads. */
const fieldColumns = (rows: FieldRow[]) => [rows.map((r) => r.field), rows.map((r) => r.num), rows.map((r) => r.text), rows.map((r) => r.upper), rows.map((r) => r.bool)];

/** createRun's one statement: $1–$9 the run's columns, $10 its experiment's artifact location, $11–$15 its field rows. */
const CREATE_RUN_SQL = `WITH ready AS (
    SELECT 1 FROM experiments
    WHERE id::text = $2 AND lifecycle_stage <> 'deleted' AND doc->>'artifactLocation' = $10
      AND ($7::text IS NULL OR EXISTS (SELECT 1 FROM datasets WHERE id = $7::text))
  ), run AS (
    INSERT INTO runs (id, experiment_id, lifecycle_stage, status, name, created_at, dataset_id, input_count, doc)
    SELECT $1, $2, $3, $4, $5, $6, $7::text, $8::integer, $9::json FROM ready RETURNING seq
  ), fields AS (
    INSERT INTO run_fields (run_seq, field, num, text, upper, bool)
    SELECT run.seq, f.* FROM run, unnest($11::text[], $12::float8[], $13::text[], $14::text[], $15::boolean[]) AS f
  )
  SELECT seq FROM run`;

/** A copy that shares nothing with the caller's object (the records are JSON). */
const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Runs a write, turning a unique-constraint violation (SQLSTATE 23505) into the error `duplicate` makes (a 409). */
async function refusingDuplicates<T>(write: Promise<T>, duplicate: () => Error): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw duplicate();
    throw error;
  }
}

/** The WHERE conditions of a run search (lifecycle, status, experiments, filter) on the run `r`. */
function runConditions(options: RunQuery, params: SqlParams): string[] {
  const where: string[] = [];
  const lifecycle = options.lifecycle ?? 'active';
  if (lifecycle !== 'all') where.push(`r.lifecycle_stage = ${params.add(lifecycle, 'text')}`);
  if (options.status) where.push(`r.status = ${params.add(options.status, 'text')}`);
  if (options.experimentIds) where.push(`r.experiment_id = ANY(${params.add(options.experimentIds, 'text[]')})`);
  if (options.filter) where.push(filterSql(options.filter, params));
  return where;
}

const whereOf = (conditions: string[]) => (conditions.length ? `WHERE ${conditions.join(' AND ')}` : '');

/**
 * The page (`options.limit` rows after `options.offset`) over every match, sorted: PostgreSQL finds
 * all the matches and keeps the best (a top-N sort). Always right; its cost grows with the matches.
 */
export function searchRunsSql(options: RunListOptions): { text: string; values: unknown[] } {
  return orderedRunsSql('r.doc', options, options);
}

/** `column` of every match of a search, in its order; of the page `page` when given. */
function orderedRunsSql(column: string, options: RunQuery, page?: { limit: number; offset: number }): { text: string; values: unknown[] } {
  const params = new SqlParams();
  const where = runConditions(options, params);
  const specs = sortSpecsOf(options);
  const sort = specs.length > 0 ? sortSql(specs, params) : { joins: '', orderBy: 'r.seq DESC' };
  const paging = page ? ` LIMIT ${params.add(page.limit, 'bigint')} OFFSET ${params.add(page.offset, 'bigint')}` : '';
  return { text: `SELECT ${column} FROM runs r ${sort.joins} ${whereOf(where)} ORDER BY ${sort.orderBy}${paging}`, values: params.values };
}

/** The number of matches of a run search. */
export function countRunsSql(options: RunListOptions): { text: string; values: unknown[] } {
  const params = new SqlParams();
  return { text: `SELECT count(*) AS n FROM runs r ${whereOf(runConditions(options, params))}`, values: params.values };
}

/**
 * How many runs, in sort order, a page read through an index examines before giving way to
 * searchRunsSql: CANDIDATES, plus PER_ROW for every row the page skips or returns.
 */
const CANDIDATES = 4000;
const PER_ROW = 8;

/**
 * The page read in the sort's own order: an index gives the runs already sorted (newest first by
 * seq; by a field's number or text through run_fields_num / run_fields_text), each is checked
 * against the conditions with index probes, and reading stops once the page is full — ~50 ÷
 * (the share of runs that match) probes for a page of 50, however many runs match in all. Read
 * within a budget of candidates (`budget`): when fewer than `options.limit` rows come back, the
 * caller cannot tell the end of the matches from the end of the budget and asks searchRunsSql.
 * Null for sorts no single index orders (several keys). The rows come from the leading group of the
 * sort order only — numbers, for a field sorted as a number: texts and missing values sort after
 * them, so a page the numbers fill is the true page.
 */
export function indexedPageSql(
  options: RunListOptions,
  budget = CANDIDATES + PER_ROW * (options.offset + options.limit),
  /** For a field sorted as a number that has no number values at all: its texts lead the order. */
  textsLead = false,
): { text: string; values: unknown[] } | null {
  const specs = sortSpecsOf(options);
  if (specs.length > 1) return null;
  const params = new SqlParams();
  let candidates: string;
  let order: string;
  const spec = specs[0];
  if (spec === undefined) {
    candidates = `SELECT seq AS run_seq FROM runs ORDER BY seq DESC LIMIT ${params.add(budget, 'bigint')}`;
    order = 'c.run_seq DESC';
  } else {
    if (isMany(spec.field)) return null;
    const field = params.add(fieldKey(spec.field), 'text');
    const direction = spec.direction === 'asc' ? 'ASC' : 'DESC';
    // Ties go to the newest run (seq DESC) in both directions, as the in-memory sort breaks them.
    const texts = spec.field.sortAsText || textsLead;
    candidates = texts
      ? `SELECT run_seq, text AS k FROM run_fields WHERE field = ${field} ORDER BY text COLLATE "C" ${direction}, run_seq DESC LIMIT ${params.add(budget, 'bigint')}`
      : `SELECT run_seq, num AS k FROM run_fields WHERE field = ${field} AND num IS NOT NULL ORDER BY num ${direction}, run_seq DESC LIMIT ${params.add(budget, 'bigint')}`;
    order = texts ? `c.k COLLATE "C" ${direction}, c.run_seq DESC` : `c.k ${direction}, c.run_seq DESC`;
  }
  const where = runConditions(options, params);
  const limit = params.add(options.limit, 'bigint');
  const offset = params.add(options.offset, 'bigint');
  // Each candidate is checked on its own (LATERAL … OFFSET 0 keeps the check a subquery run per
  // candidate): left to itself, PostgreSQL misjudges how many field rows a condition matches and
  // hashes all of them (800,000 for status = 'completed' at a million runs, ~0.8 s) before the first row.
  return {
    text: `SELECT r.doc FROM (${candidates}) c CROSS JOIN LATERAL (SELECT r.doc FROM runs r WHERE r.seq = c.run_seq${where.length ? ` AND ${where.join(' AND ')}` : ''} OFFSET 0) r ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`,
    values: params.values,
  };
}

/** The `doc` of the one row `sql` selects by `key` (with FOR UPDATE: locked for the transaction), or what `missing` makes. */
async function docOf<T>(db: Client | pg.Pool, sql: string, key: string, missing: () => Error): Promise<T> {
  const { rows } = await db.query<{ doc: T }>(sql, [key]);
  if (rows.length === 0) throw missing();
  return rows[0]!.doc;
}

export class PgStore implements Store {
  /**
   * Changes to one record from this process apply in the order they were asked for (as the JSON
   * store applies them): each waits for the previous one's commit before taking the row. Between
   * processes, the row lock alone orders them.
   */
  private readonly inOrder = new KeyedLock();
  /** Audit entries of concurrent requests go in one INSERT. */
  private readonly auditCommits = new GroupCommit<AuditDraft>((entries) => this.writeAudit(entries));
  /** Experiments' artifact locations as createRun last found them (fixed when an experiment is made: no API changes one). */
  private readonly experimentLocations = new Map<string, string>();
  readonly backend = 'postgres' as const;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
  ) {}

  /** Connects, migrates (once, whatever other processes start at the same time) and adds the Default experiment. */
  static async open(url: string, options: { max?: number; log?: (message: string) => void } = {}): Promise<PgStore> {
    const pool = new ResilientPool({ connectionString: url, max: options.max ?? 10 });
    // An idle connection the server drops (a restart, an administrator) is an 'error' on the pool;
    // unheard, it would end the process. The pool replaces it; requests meanwhile fail (the health check says 503).
    const log = options.log ?? ((message: string) => console.warn(message));
    pool.on('error', (error) => log(`modellab: a database connection was lost: ${error.message}`));
    try {
      await migrate(pool);
      const store = new PgStore(pool, url);
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
  private tx<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    return transaction(this.pool, fn);
  }

  // ---- runs

  private async artifactLocationOf(client: Client | pg.Pool, experimentId: string): Promise<string | undefined> {
    const { rows } = await client.query<{ location: string }>(`SELECT doc->>'artifactLocation' AS location FROM experiments WHERE id::text = $1`, [experimentId]);
    if (rows[0]) this.experimentLocations.set(experimentId, rows[0].location);
    return rows[0]?.location;
  }

  /**
   * The run's row and its field rows (`location`: its experiment's artifact location, when the
   * caller has it). A new run (`previous` null) is inserted; a changed one is updated and only the
   * field rows that differ from `previous`'s are replaced — a metrics or tag merge touches a few of
   * the ~60 rows, not all of them.
   */
  private async writeRun(client: Client, run: Run, previous: Run | null, location?: string): Promise<void> {
    const values = [run.id, run.experimentId, run.lifecycleStage, run.status, run.name, run.createdAt, run.datasetId, run.inputs.length, JSON.stringify(run)];
    const locations = new Map<string, string | undefined>();
    if (location !== undefined) locations.set(run.experimentId, location);
    for (const experimentId of [run.experimentId, previous?.experimentId]) {
      if (experimentId !== undefined && !locations.has(experimentId)) locations.set(experimentId, this.experimentLocations.get(experimentId) ?? (await this.artifactLocationOf(client, experimentId)));
    }
    const context = { artifactLocation: (id: string) => locations.get(id) };
    const rows = fieldRowsOf(run, context);
    if (previous === null) {
      const { rows: written } = await client.query<{ seq: string }>('INSERT INTO runs (id, experiment_id, lifecycle_stage, status, name, created_at, dataset_id, input_count, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq', values);
      await client.query('INSERT INTO run_fields (run_seq, field, num, text, upper, bool) SELECT $1, * FROM unnest($2::text[], $3::float8[], $4::text[], $5::text[], $6::boolean[])', [written[0]!.seq, ...fieldColumns(rows)]);
      return;
    }
    // The row, and in the same statement the field rows that changed: the old ones deleted (the
    // statement's snapshot does not see the new ones), the new ones inserted.
    const same = (a: FieldRow, b: FieldRow) => a.num === b.num && a.text === b.text && a.upper === b.upper && a.bool === b.bool;
    const before = new Map(fieldRowsOf(previous, context).map((r) => [r.field, r]));
    const after = new Set(rows.map((r) => r.field));
    const changed = rows.filter((r) => !(before.has(r.field) && same(before.get(r.field)!, r)));
    const stale = [...before.keys()].filter((field) => !after.has(field)).concat(changed.filter((r) => before.has(r.field)).map((r) => r.field));
    await client.query(
      `WITH run AS (
         UPDATE runs SET experiment_id = $2, lifecycle_stage = $3, status = $4, name = $5, created_at = $6, dataset_id = $7, input_count = $8, doc = $9 WHERE id = $1 RETURNING seq
       ), gone AS (
         DELETE FROM run_fields f USING run WHERE f.run_seq = run.seq AND f.field = ANY($10::text[])
       )
       INSERT INTO run_fields (run_seq, field, num, text, upper, bool)
       SELECT run.seq, u.* FROM run, unnest($11::text[], $12::float8[], $13::text[], $14::text[], $15::boolean[]) AS u`,
      [...values, stale, ...fieldColumns(changed)],
    );
  }

  /**
   * A new run in one statement (autocommit: one round trip instead of a transaction's five): its row
   * and field rows are written only while its experiment is active with the artifact location the
   * field rows were made with (cached: set at creation) and its dataset exists. When they are not
   * written — a missing or deleted experiment or dataset, a location not yet known — the
   * transaction below says which, or writes the run after all.
   */
  async createRun(run: Run): Promise<Run> {
    const stored = copy(run);
    const location = this.experimentLocations.get(run.experimentId);
    if (location !== undefined) {
      const rows = fieldRowsOf(stored, { artifactLocation: (id) => (id === run.experimentId ? location : undefined) });
      const written = await refusingDuplicates(
        this.pool.query(CREATE_RUN_SQL, [stored.id, stored.experimentId, stored.lifecycleStage, stored.status, stored.name, stored.createdAt, stored.datasetId, stored.inputs.length, JSON.stringify(stored), location, ...fieldColumns(rows)]),
        () => conflict(`run '${run.id}' already exists`),
      );
      if (written.rows.length === 1) return stored;
    }
    return this.tx(async (client) => {
      const experiment = await client.query<{ stage: string; location: string }>(`SELECT lifecycle_stage AS stage, doc->>'artifactLocation' AS location FROM experiments WHERE id::text = $1`, [run.experimentId]);
      if (experiment.rows.length === 0) throw unprocessable(`experimentId '${run.experimentId}' does not name an existing experiment`, { field: 'experimentId' });
      if (experiment.rows[0]!.stage === 'deleted') throw unprocessable(`experiment '${run.experimentId}' is deleted; restore it first`, { field: 'experimentId' });
      if (run.datasetId !== null && (await client.query('SELECT 1 FROM datasets WHERE id = $1', [run.datasetId])).rows.length === 0) {
        throw unprocessable(`datasetId '${run.datasetId}' does not name an existing dataset version`, { field: 'datasetId' });
      }
      await refusingDuplicates(this.writeRun(client, stored, null, experiment.rows[0]!.location), () => conflict(`run '${run.id}' already exists`));
      this.experimentLocations.set(run.experimentId, experiment.rows[0]!.location);
      return stored;
    });
  }

  /**
   * A copied record, as it is (migration): inserted unless its id is taken, then read back. The one
   * exception is the Default experiment every store makes when first opened: while it is as made
   * (never changed), the copied one replaces it.
   */
  restore(entry: StoredRecord): Promise<{ stored: StoredRecord['record']; inserted: boolean }> {
    const doc = JSON.stringify(entry.record);
    return this.tx(async (client) => {
      const readBack = async (inserted: boolean, sql: string, ...key: string[]) => {
        const { rows } = await client.query<{ doc: StoredRecord['record'] }>(sql, key);
        if (!rows[0]) throw new Error(`the ${entry.kind} just written cannot be read back`);
        return { stored: rows[0].doc, inserted };
      };
      const wrote = (result: pg.QueryResult) => (result.rowCount ?? 0) > 0;
      switch (entry.kind) {
        case 'experiment': {
          const e = entry.record;
          const result = await client.query(
            `INSERT INTO experiments (id, name, lifecycle_stage, doc) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, lifecycle_stage = excluded.lifecycle_stage, doc = excluded.doc
             WHERE experiments.id = ${Number(DEFAULT_EXPERIMENT_ID)} AND experiments.doc->>'createdAt' = experiments.doc->>'updatedAt' AND experiments.doc->>'name' = 'Default'
               AND NOT EXISTS (SELECT 1 FROM runs WHERE experiment_id = $1::text)`,
            [Number(e.id), e.name, e.lifecycleStage, doc],
          );
          return readBack(wrote(result), 'SELECT doc FROM experiments WHERE id::text = $1', e.id);
        }
        case 'dataset': {
          const d = entry.record;
          const result = await client.query('INSERT INTO datasets (id, name, version, doc) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING', [d.id, d.name, d.version, doc]);
          return readBack(wrote(result), 'SELECT doc FROM datasets WHERE id = $1', d.id);
        }
        case 'run': {
          const { rows } = await client.query<{ doc: Run }>('SELECT doc FROM runs WHERE id = $1', [entry.record.id]);
          if (rows[0]) return { stored: rows[0].doc, inserted: false };
          await this.writeRun(client, entry.record, null);
          return readBack(true, 'SELECT doc FROM runs WHERE id = $1', entry.record.id);
        }
        case 'loggedModel': {
          const m = entry.record;
          const result = await client.query('INSERT INTO logged_models (id, experiment_id, source_run_id, name, doc) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING', [m.id, m.experimentId, m.sourceRunId, m.name, doc]);
          return readBack(wrote(result), 'SELECT doc FROM logged_models WHERE id = $1', m.id);
        }
        case 'artifact': {
          const a = entry.record;
          const result = await client.query('INSERT INTO artifacts (owner, path, doc) VALUES ($1, $2, $3) ON CONFLICT (owner, path) DO NOTHING', [a.runId, a.path, doc]);
          return readBack(wrote(result), 'SELECT doc FROM artifacts WHERE owner = $1 AND path = $2', a.runId, a.path);
        }
        case 'user':
        case 'token':
        case 'permission': {
          const key = authKeyOf(entry.kind, entry.record);
          const result = await client.query('INSERT INTO auth_records (kind, key, owner, doc) VALUES ($1, $2, $3, $4) ON CONFLICT (kind, key) DO NOTHING', [entry.kind, key, authOwnerOf(entry.kind, entry.record), doc]);
          return readBack(wrote(result), 'SELECT doc FROM auth_records WHERE kind = $1 AND key = $2', entry.kind, key);
        }
        case 'registeredModel': {
          const name = entry.record.model.name;
          const result = await client.query('INSERT INTO registered_models (name, doc) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, doc]);
          return readBack(wrote(result), 'SELECT doc FROM registered_models WHERE name = $1', name);
        }
      }
    });
  }

  getRun(id: string): Promise<Run> {
    return docOf(this.pool, 'SELECT doc FROM runs WHERE id = $1', id, () => notFound('run', id));
  }

  /**
   * The page, read in index order when the sort allows (indexedPageSql), else over every match; and,
   * unless options.count is false, the count of every match, on a second connection at the same time.
   */
  async searchRuns(options: RunListOptions): Promise<RunPage> {
    const counting = options.count === false ? null : countRunsSql(options);
    const count = counting === null ? Promise.resolve(null) : this.pool.query<{ n: string }>(counting.text, counting.values).then((r) => Number(r.rows[0]!.n));
    const [page, total] = await Promise.all([this.pageOfRuns(options), count]);
    return { items: page.items, total, more: page.more };
  }

  /** One statement: the ids as of its snapshot. */
  async searchRunIds(options: RunQuery): Promise<string[]> {
    const query = orderedRunsSql('r.id', options);
    return (await this.pool.query<{ id: string }>(query.text, query.values)).rows.map((r) => r.id);
  }

  async getRuns(ids: string[]): Promise<Run[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.pool.query<{ doc: Run }>('SELECT doc FROM runs WHERE id = ANY($1::text[])', [ids]);
    const byId = new Map(rows.map((r) => [r.doc.id, r.doc]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  private async pageOfRuns(options: RunListOptions): Promise<{ items: Run[]; more: boolean }> {
    // One row past the page says whether more follow (for a count alone too: limit 0).
    const ask = { ...options, limit: options.limit + 1 };
    const indexed = indexedPageSql(ask);
    if (indexed) {
      const { rows } = await this.pool.query<{ doc: Run }>(indexed.text, indexed.values);
      if (rows.length === ask.limit) return { items: rows.slice(0, options.limit).map((r) => r.doc), more: true };
      // A field sorted as a number whose values are all texts (dates, names): its texts lead.
      const spec = sortSpecsOf(options)[0];
      if (rows.length === 0 && spec && !spec.field.sortAsText) {
        const { rows: numbers } = await this.pool.query('SELECT 1 FROM run_fields WHERE field = $1 AND num IS NOT NULL LIMIT 1', [fieldKey(spec.field)]);
        const texts = numbers.length === 0 ? indexedPageSql(ask, undefined, true) : null;
        const { rows: found } = texts ? await this.pool.query<{ doc: Run }>(texts.text, texts.values) : { rows: [] };
        if (found.length === ask.limit) return { items: found.slice(0, options.limit).map((r) => r.doc), more: true };
      }
      // Fewer: the matches ended, or the candidates read did (budget, or the sort's leading group) — the full query tells.
    }
    const query = searchRunsSql(ask);
    const { rows } = await this.pool.query<{ doc: Run }>(query.text, query.values);
    return { items: rows.slice(0, options.limit).map((r) => r.doc), more: rows.length > options.limit };
  }

  async updateRun(id: string, change: (current: Run) => Run): Promise<Run> {
    return this.inOrder.run(`run:${id}`, () => this.tx(async (client) => {
      const current = await docOf<Run>(client, 'SELECT doc FROM runs WHERE id = $1 FOR UPDATE', id, () => notFound('run', id));
      const next = copy({ ...change(current), id });
      await this.writeRun(client, next, current);
      return next;
    }));
  }

  async updateRuns(ids: string[], change: (current: Run) => Run): Promise<Run[]> {
    return this.tx(async (client) => {
      // Locked in id order, so two bulk changes over overlapping runs cannot deadlock.
      const { rows } = await client.query<{ doc: Run }>('SELECT doc FROM runs WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [ids]);
      const byId = new Map(rows.map((r) => [r.doc.id, r.doc]));
      const unknown = ids.find((id) => !byId.has(id));
      if (unknown !== undefined) throw notFound('run', unknown);
      const next = ids.map((id) => copy({ ...change(byId.get(id)!), id })); // every change computed before any is written
      for (const run of next) await this.writeRun(client, run, byId.get(run.id)!);
      return next;
    });
  }

  async deleteRun(id: string): Promise<{ loggedModels: string[] }> {
    return this.deleteRuns([id]);
  }

  async deleteRuns(ids: string[]): Promise<{ loggedModels: string[] }> {
    return this.tx(async (client) => {
      const { rows: found } = await client.query<{ id: string }>('SELECT id FROM runs WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [ids]);
      const present = new Set(found.map((r) => r.id));
      const unknown = ids.find((id) => !present.has(id));
      if (unknown !== undefined) throw notFound('run', unknown);
      const produced = (await client.query<{ id: string }>('SELECT id FROM logged_models WHERE source_run_id = ANY($1::text[]) ORDER BY seq FOR UPDATE', [ids])).rows.map((r) => r.id);
      registry.refuseRegistered(ids.length === 1 ? `Run '${ids[0]}'` : `Runs ${ids.join(', ')}`, await this.versionsFrom(client, ids, produced));
      const { rows: gone } = await client.query<{ seq: string }>('DELETE FROM runs WHERE id = ANY($1::text[]) RETURNING seq', [ids]);
      await client.query('DELETE FROM run_fields WHERE run_seq = ANY($1::bigint[])', [gone.map((g) => g.seq)]);
      await deleteSeries(client, ids);
      await client.query('DELETE FROM logged_models WHERE id = ANY($1::text[])', [produced]);
      await client.query('DELETE FROM artifacts WHERE owner = ANY($1::text[])', [[...ids, ...produced]]);
      return { loggedModels: produced };
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
    await this.insertDataset(this.pool, dataset);
    return copy(dataset);
  }

  async addDatasetVersion(draft: DatasetDraft, diff: (parent: Dataset, child: DatasetDraft) => Dataset['schemaChanges']): Promise<{ dataset: Dataset; deduplicated: boolean }> {
    return this.tx(async (client) => {
      // One version of a name at a time: concurrent uploads of it are numbered one after another.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`dataset:${draft.name}`]);
      const parent = await this.latestDatasetVersionWith(client, draft.name);
      if (parent && parent.checksum === draft.checksum) return { dataset: parent, deduplicated: true };
      const dataset: Dataset = copy({ ...draft, version: parent ? parent.version + 1 : 1, parentId: parent ? parent.id : null, schemaChanges: parent ? diff(parent, draft) : null });
      await this.insertDataset(client, dataset);
      return { dataset, deduplicated: false };
    });
  }

  private async insertDataset(db: Client | pg.Pool, dataset: Dataset): Promise<void> {
    const insert = db.query('INSERT INTO datasets (id, name, version, doc) VALUES ($1, $2, $3, $4)', [dataset.id, dataset.name, dataset.version, JSON.stringify(dataset)]);
    await refusingDuplicates(insert, () => conflict(`dataset '${dataset.id}' already exists`));
  }

  private async latestDatasetVersionWith(client: Client | pg.Pool, name: string): Promise<Dataset | null> {
    const { rows } = await client.query<{ doc: Dataset }>('SELECT doc FROM datasets WHERE name = $1 ORDER BY version DESC LIMIT 1', [name]);
    return rows[0]?.doc ?? null;
  }

  latestDatasetVersion(name: string): Promise<Dataset | null> {
    return this.latestDatasetVersionWith(this.pool, name);
  }

  getDataset(id: string): Promise<Dataset> {
    return docOf(this.pool, 'SELECT doc FROM datasets WHERE id = $1', id, () => notFound('dataset', id));
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
    return this.inOrder.run(`dataset:${id}`, () => this.tx(async (client) => {
      const current = await docOf<Dataset>(client, 'SELECT doc FROM datasets WHERE id = $1 FOR UPDATE', id, () => notFound('dataset', id));
      const next = copy({ ...change(current), id });
      await client.query('UPDATE datasets SET name = $2, version = $3, doc = $4 WHERE id = $1', [id, next.name, next.version, JSON.stringify(next)]);
      return next;
    }));
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

  async createExperiment(input: ExperimentInput): Promise<Experiment> {
    return this.tx(async (client) => {
      await client.query('LOCK TABLE experiments IN SHARE ROW EXCLUSIVE MODE'); // numbering: one at a time
      await this.refuseTakenName(client, input.name, null);
      const { rows } = await client.query<{ next: string }>('SELECT coalesce(max(id) + 1, 0) AS next FROM experiments');
      const id = String(rows[0]!.next);
      const at = nowIso();
      const experiment = newExperiment(id, input, at);
      await client.query('INSERT INTO experiments (id, name, lifecycle_stage, doc) VALUES ($1, $2, $3, $4)', [Number(id), experiment.name, 'active', JSON.stringify(experiment)]);
      return experiment;
    });
  }

  private async refuseTakenName(client: Client, name: string, exceptId: string | null): Promise<void> {
    const { rows } = await client.query<{ id: string }>('SELECT id::text AS id FROM experiments WHERE name = $1', [name]);
    const other = rows.find((r) => r.id !== exceptId);
    if (other) throw conflict(`Experiment '${name}' already exists.`, { id: other.id });
  }

  getExperiment(id: string): Promise<Experiment> {
    return docOf(this.pool, 'SELECT doc FROM experiments WHERE id::text = $1', id, () => notFound('experiment', id));
  }

  async findExperimentByName(name: string): Promise<Experiment | null> {
    const { rows } = await this.pool.query<{ doc: Experiment }>('SELECT doc FROM experiments WHERE name = $1', [name]);
    return rows[0]?.doc ?? null;
  }

  async listExperiments(): Promise<Experiment[]> {
    return (await this.pool.query<{ doc: Experiment }>('SELECT doc FROM experiments ORDER BY id')).rows.map((r) => r.doc);
  }

  async updateExperiment(id: string, change: (current: Experiment) => Experiment): Promise<Experiment> {
    return this.inOrder.run(`experiment:${id}`, () => this.tx(async (client) => {
      await client.query('LOCK TABLE experiments IN SHARE ROW EXCLUSIVE MODE'); // names: one change at a time
      const current = await docOf<Experiment>(client, 'SELECT doc FROM experiments WHERE id::text = $1 FOR UPDATE', id, () => notFound('experiment', id));
      const next = copy({ ...change(current), id });
      await this.refuseTakenName(client, next.name, id);
      await client.query('UPDATE experiments SET name = $2, lifecycle_stage = $3, doc = $4 WHERE id::text = $1', [id, next.name, next.lifecycleStage, JSON.stringify(next)]);
      return next;
    }));
  }

  async setExperimentLifecycle(id: string, stage: LifecycleStage, refuse: (current: Experiment) => Error): Promise<Experiment> {
    return this.tx(async (client) => {
      const current = await docOf<Experiment>(client, 'SELECT doc FROM experiments WHERE id::text = $1 FOR UPDATE', id, () => notFound('experiment', id));
      if (current.lifecycleStage === stage) throw refuse(current);
      const at = nowIso();
      const next: Experiment = { ...current, lifecycleStage: stage, updatedAt: at };
      await client.query('UPDATE experiments SET lifecycle_stage = $2, doc = $3 WHERE id::text = $1', [id, stage, JSON.stringify(next)]);
      const from: LifecycleStage = stage === 'deleted' ? 'active' : 'deleted';
      const moving = await client.query<{ doc: Run }>('SELECT doc FROM runs WHERE experiment_id = $1 AND lifecycle_stage = $2 ORDER BY seq FOR UPDATE', [id, from]);
      for (const { doc } of moving.rows) await this.writeRun(client, { ...doc, lifecycleStage: stage, updatedAt: at }, doc);
      return next;
    });
  }

  // ---- artifact records

  async putArtifact(artifact: Artifact): Promise<Artifact> {
    return this.tx(async (client) => {
      const isModel = LOGGED_MODEL_ID.test(artifact.runId);
      const owner = await client.query(isModel ? 'SELECT 1 FROM logged_models WHERE id = $1 FOR SHARE' : 'SELECT 1 FROM runs WHERE id = $1 FOR SHARE', [artifact.runId]);
      if (owner.rows.length === 0) throw notFound(isModel ? 'logged model' : 'run', artifact.runId);
      const stored = copy(artifact);
      // A replaced record keeps its place in the list (seq), as a Map key does in the JSON store.
      await client.query('INSERT INTO artifacts (owner, path, doc) VALUES ($1, $2, $3) ON CONFLICT (owner, path) DO UPDATE SET doc = excluded.doc', [artifact.runId, artifact.path, JSON.stringify(stored)]);
      return stored;
    });
  }

  async getArtifact(runId: string, path: string): Promise<Artifact | null> {
    const { rows } = await this.pool.query<{ doc: Artifact }>('SELECT doc FROM artifacts WHERE owner = $1 AND path = $2', [runId, path]);
    return rows[0]?.doc ?? null;
  }

  async listArtifacts(runId: string): Promise<Artifact[]> {
    return (await this.pool.query<{ doc: Artifact }>('SELECT doc FROM artifacts WHERE owner = $1 ORDER BY seq', [runId])).rows.map((r) => r.doc);
  }

  async deleteArtifact(runId: string, path: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM artifacts WHERE owner = $1 AND path = $2', [runId, path]);
    return (rowCount ?? 0) > 0;
  }

  // ---- logged models

  async createLoggedModel(model: LoggedModel): Promise<LoggedModel> {
    return this.tx(async (client) => {
      if ((await client.query('SELECT 1 FROM experiments WHERE id::text = $1', [model.experimentId])).rows.length === 0) {
        throw unprocessable(`experimentId '${model.experimentId}' does not name an existing experiment`, { field: 'experimentId' });
      }
      if (model.sourceRunId !== null && (await client.query('SELECT 1 FROM runs WHERE id = $1 FOR SHARE', [model.sourceRunId])).rows.length === 0) {
        throw unprocessable(`run '${model.sourceRunId}' does not exist`, { field: 'sourceRunId' });
      }
      const stored = copy(model);
      const insert = client.query('INSERT INTO logged_models (id, experiment_id, source_run_id, name, doc) VALUES ($1, $2, $3, $4, $5)', [model.id, model.experimentId, model.sourceRunId, model.name, JSON.stringify(stored)]);
      await refusingDuplicates(insert, () => conflict(`logged model '${model.id}' already exists`));
      return stored;
    });
  }

  getLoggedModel(id: string): Promise<LoggedModel> {
    return docOf(this.pool, 'SELECT doc FROM logged_models WHERE id = $1', id, () => notFound('logged model', id));
  }

  async searchLoggedModels(options: LoggedModelListOptions): Promise<Page<LoggedModel>> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (options.experimentIds && options.experimentIds.length > 0) where.push(`experiment_id = ANY($${values.push(options.experimentIds)}::text[])`);
    if (options.runIds) {
      const at = values.push(options.runIds);
      where.push(`(source_run_id = ANY($${at}::text[]) OR EXISTS (SELECT 1 FROM json_array_elements(doc->'outputRuns') o WHERE o->>'runId' = ANY($${at}::text[])))`);
    }
    if (options.name !== undefined) where.push(`name = $${values.push(options.name)}`);
    const { rows } = await this.pool.query<{ doc: LoggedModel }>(`SELECT doc FROM logged_models ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC`, values);
    // The registry's own filter language is a predicate over the record: applied here.
    const matching = rows.map((r) => r.doc).filter((m) => options.where === undefined || options.where(m));
    return { items: matching.slice(options.offset, options.offset + options.limit), total: matching.length };
  }

  async updateLoggedModel(id: string, change: (current: LoggedModel) => LoggedModel): Promise<LoggedModel> {
    return this.inOrder.run(`loggedModel:${id}`, () => this.tx(async (client) => {
      const current = await docOf<LoggedModel>(client, 'SELECT doc FROM logged_models WHERE id = $1 FOR UPDATE', id, () => notFound('logged model', id));
      const next = copy({ ...change(copy(current)), id, experimentId: current.experimentId, createdAt: current.createdAt });
      await client.query('UPDATE logged_models SET source_run_id = $2, name = $3, doc = $4 WHERE id = $1', [id, next.sourceRunId, next.name, JSON.stringify(next)]);
      return next;
    }));
  }

  async deleteLoggedModel(id: string): Promise<void> {
    await this.tx(async (client) => {
      if ((await client.query('SELECT 1 FROM logged_models WHERE id = $1 FOR UPDATE', [id])).rows.length === 0) throw notFound('logged model', id);
      registry.refuseRegistered(`Logged model '${id}'`, await this.versionsFrom(client, [], [id]));
      await client.query('DELETE FROM logged_models WHERE id = $1', [id]);
      await client.query('DELETE FROM artifacts WHERE owner = $1', [id]);
    });
  }

  /** The versions registered from any of these runs or logged models. */
  private async versionsFrom(client: Client, runIds: string[], modelIds: string[]): Promise<ModelVersion[]> {
    const { rows } = await client.query<{ doc: registry.RegistryEntry }>(
      `SELECT doc FROM registered_models m WHERE EXISTS (SELECT 1 FROM json_array_elements(m.doc->'versions') v WHERE v->>'runId' = ANY($1::text[]) OR v->>'modelId' = ANY($2::text[])) ORDER BY seq`,
      [runIds, modelIds],
    );
    return rows.flatMap((r) => r.doc.versions.filter((v) => (v.runId !== null && runIds.includes(v.runId)) || (v.modelId !== null && modelIds.includes(v.modelId))));
  }

  // ---- registered models and versions (the rules: src/shared/models/registry.ts)

  /** Applies a registry rule to one entry, locked for the transaction; returns what the rule returns. */
  private async changeEntry<T>(name: string, rule: (entry: registry.RegistryEntry, at: string, client: Client) => Promise<{ entry: registry.RegistryEntry; result: T }> | { entry: registry.RegistryEntry; result: T }): Promise<T> {
    return this.inOrder.run(`model:${name}`, () => this.tx(async (client) => {
      const current = await docOf<registry.RegistryEntry>(client, 'SELECT doc FROM registered_models WHERE name = $1 FOR UPDATE', name, () => registry.unknownRegistered(name));
      const out = await rule(current, nowIso(), client);
      const entry = copy(out.entry);
      const write =
        entry.model.name === name
          ? client.query('UPDATE registered_models SET doc = $2 WHERE name = $1', [name, JSON.stringify(entry)])
          : // A renamed model moves to the end of the list, as in the JSON store.
            client.query(`UPDATE registered_models SET name = $2, doc = $3, seq = nextval(pg_get_serial_sequence('registered_models', 'seq')) WHERE name = $1`, [name, entry.model.name, JSON.stringify(entry)]);
      await refusingDuplicates(write, () => conflict(`Registered model '${entry.model.name}' already exists.`, { name: entry.model.name }));
      return copy(out.result);
    }));
  }

  async createRegisteredModel(input: RegisteredModelInput): Promise<RegisteredModel> {
    const entry: registry.RegistryEntry = { model: newRegisteredModel(input, nowIso()), versions: [] };
    const insert = this.pool.query('INSERT INTO registered_models (name, doc) VALUES ($1, $2)', [input.name, JSON.stringify(entry)]);
    await refusingDuplicates(insert, () => conflict(`Registered model '${input.name}' already exists.`, { name: input.name }));
    return copy(entry.model);
  }

  private entry(name: string): Promise<registry.RegistryEntry> {
    return docOf(this.pool, 'SELECT doc FROM registered_models WHERE name = $1', name, () => registry.unknownRegistered(name));
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return (await this.entry(name)).model;
  }

  async listRegisteredModels(): Promise<{ model: RegisteredModel; versions: ModelVersion[] }[]> {
    const { rows } = await this.pool.query<{ doc: registry.RegistryEntry }>('SELECT doc FROM registered_models');
    return rows.map((r) => r.doc).sort((a, b) => (a.model.name < b.model.name ? -1 : a.model.name > b.model.name ? 1 : 0));
  }

  updateRegisteredModel(name: string, change: (current: RegisteredModel) => RegisteredModel): Promise<RegisteredModel> {
    return this.changeEntry(name, (entry, at) => {
      const next = change(copy(entry.model));
      const model: RegisteredModel = { ...entry.model, description: next.description, tags: next.tags, updatedAt: at };
      return { entry: { model, versions: entry.versions }, result: model };
    });
  }

  renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    return this.changeEntry(name, (entry, at) => {
      const renamed = registry.renameEntry(entry, newName, at);
      return { entry: renamed, result: renamed.model };
    });
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    const { rowCount } = await this.pool.query('DELETE FROM registered_models WHERE name = $1', [name]);
    if (rowCount === 0) throw registry.unknownRegistered(name);
  }

  createModelVersion(name: string, draft: VersionDraft): Promise<ModelVersion> {
    return this.changeEntry(name, async (entry, at, client) => {
      // The source is locked until the version is stored: a delete of it waits, then sees the version.
      if (draft.runId !== null && (await client.query('SELECT 1 FROM runs WHERE id = $1 FOR SHARE', [draft.runId])).rows.length === 0) throw registry.sourceMissing(`run '${draft.runId}' does not exist`);
      if (draft.modelId !== null && (await client.query('SELECT 1 FROM logged_models WHERE id = $1 FOR SHARE', [draft.modelId])).rows.length === 0) throw registry.sourceMissing(`logged model '${draft.modelId}' does not exist`);
      const out = registry.addVersion(entry, draft, at);
      return { entry: out.entry, result: out.version };
    });
  }

  async getModelVersion(name: string, version: number): Promise<ModelVersion> {
    return registry.findVersion(await this.entry(name), version);
  }

  async listModelVersions(name?: string): Promise<ModelVersion[]> {
    if (name !== undefined) return (await this.entry(name)).versions;
    return (await this.pool.query<{ doc: registry.RegistryEntry }>('SELECT doc FROM registered_models ORDER BY seq')).rows.flatMap((r) => r.doc.versions);
  }

  updateModelVersion(name: string, version: number, change: (current: ModelVersion) => ModelVersion): Promise<ModelVersion> {
    return this.changeEntry(name, (entry, at) => {
      // The stage moves through transitionModelVersionStage only (it may archive other versions).
      const out = registry.changeVersion(entry, version, (current) => ({ ...change(current), stage: current.stage }), at);
      return { entry: out.entry, result: out.version };
    });
  }

  transitionModelVersionStage(name: string, version: number, stage: ModelStage, archiveExisting: boolean): Promise<ModelVersion> {
    return this.changeEntry(name, (entry, at) => {
      const out = registry.transitionStage(entry, version, stage, archiveExisting, at);
      return { entry: out.entry, result: out.version };
    });
  }

  deleteModelVersion(name: string, version: number): Promise<{ removedAliases: string[] }> {
    return this.changeEntry(name, (entry, at) => {
      const out = registry.removeVersion(entry, version, at);
      return { entry: out.entry, result: { removedAliases: out.removedAliases } };
    });
  }

  setRegisteredModelAlias(name: string, alias: string, version: number): Promise<RegisteredModel> {
    return this.changeEntry(name, (entry, at) => {
      const next = registry.setAlias(entry, alias, version, at);
      return { entry: next, result: next.model };
    });
  }

  deleteRegisteredModelAlias(name: string, alias: string): Promise<RegisteredModel> {
    return this.changeEntry(name, (entry, at) => {
      const next = registry.deleteAlias(entry, alias, at);
      return { entry: next, result: next.model };
    });
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  metricSeries(): MetricSeries {
    return new PgMetricSeries(this.pool);
  }

  // ---- users, tokens, sessions

  async createAuthRecord<K extends AuthKind>(kind: K, record: AuthRecords[K]): Promise<void> {
    const key = authKeyOf(kind, record);
    await refusingDuplicates(this.pool.query('INSERT INTO auth_records (kind, key, owner, doc) VALUES ($1, $2, $3, $4)', [kind, key, authOwnerOf(kind, record), JSON.stringify(record)]), () =>
      conflict(`${kind} '${key}' already exists`, { kind, key }),
    );
  }

  async getAuthRecord<K extends AuthKind>(kind: K, key: string): Promise<AuthRecords[K] | null> {
    const { rows } = await this.pool.query<{ doc: AuthRecords[K] }>('SELECT doc FROM auth_records WHERE kind = $1 AND key = $2', [kind, key]);
    return rows[0]?.doc ?? null;
  }

  async listAuthRecords<K extends AuthKind>(kind: K): Promise<AuthRecords[K][]> {
    const { rows } = await this.pool.query<{ doc: AuthRecords[K] }>('SELECT doc FROM auth_records WHERE kind = $1 ORDER BY seq', [kind]);
    return rows.map((r) => r.doc);
  }

  async updateAuthRecord<K extends AuthKind>(kind: K, key: string, change: (current: AuthRecords[K]) => AuthRecords[K]): Promise<AuthRecords[K]> {
    return this.tx(async (client) => {
      const { rows } = await client.query<{ doc: AuthRecords[K] }>('SELECT doc FROM auth_records WHERE kind = $1 AND key = $2 FOR UPDATE', [kind, key]);
      if (!rows[0]) throw notFound(kind, key);
      const current = rows[0].doc;
      const next = change(current);
      if (authKeyOf(kind, next) !== key) throw new Error(`an update of ${kind} '${key}' may not change its key`);
      await client.query('UPDATE auth_records SET doc = $3 WHERE kind = $1 AND key = $2', [kind, key, JSON.stringify(next)]);
      return next;
    });
  }

  async deleteAuthRecord(kind: AuthKind, key: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      kind === 'user'
        ? `DELETE FROM auth_records WHERE (kind = 'user' AND key = $1) OR (kind <> 'user' AND owner = $1 AND EXISTS (SELECT 1 FROM auth_records WHERE kind = 'user' AND key = $1))`
        : 'DELETE FROM auth_records WHERE kind = $2 AND key = $1',
      kind === 'user' ? [key] : [key, kind],
    );
    return (rowCount ?? 0) > 0;
  }

  appendAudit(entries: AuditDraft[]): Promise<void> {
    return this.auditCommits.add(entries);
  }

  private async writeAudit(entries: AuditDraft[]): Promise<void> {
    const column = (pick: (e: AuditDraft) => string) => entries.map(pick);
    await this.pool.query(
      `INSERT INTO audit_log (at, actor, action, object_type, object_id, address)
       SELECT at, actor, action, object_type, object_id, address
       FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS e(at, actor, action, object_type, object_id, address, n) ORDER BY n`,
      [column((e) => e.at), column((e) => e.user), column((e) => e.action), column((e) => e.objectType), column((e) => e.objectId), column((e) => e.address)],
    );
  }

  async listAudit(filter: AuditFilter): Promise<{ items: AuditEntry[]; total: number }> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (filter.user !== undefined) where.push(`actor = $${values.push(filter.user)}`);
    if (filter.action !== undefined) where.push(`action = $${values.push(filter.action)}`);
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const [page, count] = await Promise.all([
      this.pool.query<{ seq: string; at: Date; actor: string; action: string; object_type: string; object_id: string; address: string }>(
        `SELECT seq, at, actor, action, object_type, object_id, address FROM audit_log ${clause} ORDER BY seq DESC LIMIT $${values.length + 1} OFFSET $${values.length + 2}`,
        [...values, filter.limit, filter.offset],
      ),
      this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM audit_log ${clause}`, values),
    ]);
    return {
      items: page.rows.map((r) => ({ seq: Number(r.seq), at: r.at.toISOString(), user: r.actor, action: r.action, objectType: r.object_type, objectId: r.object_id, address: r.address })),
      total: Number(count.rows[0]!.n),
    };
  }

  eventRelay(log: (message: string) => void): Promise<EventRelay> {
    return PgEventRelay.start(this.url, this.pool, log);
  }

  async close(): Promise<void> {
    await this.auditCommits.settled();
    await this.pool.end();
  }
}
