/**
 * The PostgreSQL store's schema, as numbered migrations applied in order at start. Each record keeps
 * its whole document (`doc`, the same JSON the JSON store holds) beside the columns a query filters,
 * orders or joins on, so the store's rules — the ones in src/shared/ both stores follow — see the
 * same records whatever the backend. `doc` is `json`, not `jsonb`: jsonb reorders object keys, and a
 * run's tags and params are presented in the order they were given (the scripted session test
 * caught it). Never edit a migration that has shipped: add the next one.
 */
import type { PoolClient } from 'pg';
import { extremeRowsOf, type FieldRow } from '../../../src/shared/runs/fieldRows';
export interface Migration {
  version: number;
  name: string;
  statements: string[];
  /** Work after the statements that SQL alone would get wrong (values computed as the stores' shared code computes them). */
  apply?: (client: PoolClient) => Promise<void>;
}

/** Summaries read per round trip while migration 7 writes the extremes' field rows. */
const EXTREME_BATCH = 5000;

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'records and metric series',
    statements: [
      `CREATE TABLE experiments (
         id bigint PRIMARY KEY,
         name text NOT NULL UNIQUE,
         lifecycle_stage text NOT NULL,
         doc json NOT NULL
       )`,
      // seq: creation order, the default (newest-first) order of every list.
      `CREATE TABLE runs (
         id text PRIMARY KEY,
         seq bigserial NOT NULL UNIQUE,
         experiment_id text NOT NULL,
         lifecycle_stage text NOT NULL,
         status text NOT NULL,
         name text NOT NULL,
         created_at text NOT NULL,
         dataset_id text,
         input_count integer NOT NULL DEFAULT 0,
         doc json NOT NULL
       )`,
      `CREATE INDEX runs_lifecycle_seq ON runs (lifecycle_stage, seq DESC)`,
      `CREATE INDEX runs_experiment_seq ON runs (experiment_id, seq DESC)`,
      `CREATE INDEX runs_status_seq ON runs (status, seq DESC)`,
      `CREATE INDEX runs_created_at ON runs (created_at DESC, seq DESC)`,
      `CREATE INDEX runs_name ON runs (name, seq DESC)`,
      `CREATE INDEX runs_dataset ON runs (dataset_id) WHERE dataset_id IS NOT NULL`,
      // Every field a filter or sort can name, with its number, text and boolean readings made by
      // the same code as the in-memory filter (src/shared/runs/fieldRows.ts): a filter compiles to
      // conditions on these rows (filterSql.ts). upper: the text as a case-insensitive match sees it.
      `CREATE TABLE run_fields (
         run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
         field text NOT NULL,
         num double precision,
         text text NOT NULL,
         upper text NOT NULL,
         bool boolean
       )`,
      `CREATE INDEX run_fields_run ON run_fields (run_id, field)`,
      `CREATE INDEX run_fields_num ON run_fields (field, num, run_id) WHERE num IS NOT NULL`,
      `CREATE INDEX run_fields_text ON run_fields (field, text COLLATE "C", run_id)`,
      `CREATE TABLE datasets (
         id text PRIMARY KEY,
         seq bigserial NOT NULL UNIQUE,
         name text NOT NULL,
         version integer NOT NULL,
         doc json NOT NULL,
         UNIQUE (name, version)
       )`,
      // An artifact belongs to a run or to a logged model (owner: the run's or the model's id).
      `CREATE TABLE artifacts (
         owner text NOT NULL,
         path text NOT NULL,
         seq bigserial NOT NULL UNIQUE,
         doc json NOT NULL,
         PRIMARY KEY (owner, path)
       )`,
      `CREATE TABLE logged_models (
         id text PRIMARY KEY,
         seq bigserial NOT NULL UNIQUE,
         experiment_id text NOT NULL,
         source_run_id text,
         name text NOT NULL,
         doc json NOT NULL
       )`,
      `CREATE INDEX logged_models_experiment ON logged_models (experiment_id, seq DESC)`,
      // One row per registered model with its versions and aliases (as the JSON store keeps it), so a
      // registration, an alias move or a rename is one row written in one transaction.
      `CREATE TABLE registered_models (
         name text PRIMARY KEY,
         seq bigserial NOT NULL,
         doc json NOT NULL
       )`,
      // Metric points; value is a double precision, which holds NaN and the infinities.
      `CREATE TABLE metric_points (
         run_id text NOT NULL,
         key text NOT NULL,
         seq bigserial NOT NULL,
         step bigint NOT NULL,
         value double precision NOT NULL,
         timestamp_ms bigint NOT NULL,
         PRIMARY KEY (run_id, key, seq)
       )`,
      `CREATE INDEX metric_points_series ON metric_points (run_id, key, step, seq)`,
    ],
  },
  {
    version: 2,
    name: 'metric summaries kept as points arrive',
    statements: [
      // Each key's summary, updated in the transaction that appends its points: reading or appending
      // no longer aggregates every point of the key (bench:postgres logged 13,744 points/s with the
      // summaries recomputed from all points on each append). ord: the order keys first appeared.
      `CREATE TABLE metric_summaries (
         run_id text NOT NULL,
         key text NOT NULL,
         ord bigserial NOT NULL,
         count bigint NOT NULL,
         nonfinite bigint NOT NULL,
         min double precision,
         max double precision,
         last double precision NOT NULL,
         last_step bigint NOT NULL,
         last_ts bigint NOT NULL,
         PRIMARY KEY (run_id, key)
       )`,
      `INSERT INTO metric_summaries (run_id, key, count, nonfinite, min, max, last, last_step, last_ts)
       SELECT run_id, key, count(*),
         count(*) FILTER (WHERE value IN ('NaN', 'Infinity', '-Infinity')),
         min(value) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')),
         max(value) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')),
         (array_agg(value ORDER BY step DESC, seq DESC))[1],
         (array_agg(step ORDER BY step DESC, seq DESC))[1],
         (array_agg(timestamp_ms ORDER BY step DESC, seq DESC))[1]
       FROM metric_points GROUP BY run_id, key ORDER BY min(seq)`,
    ],
  },
  {
    version: 3,
    name: 'metric points stored a batch per key per row',
    statements: [
      // One row per key of each append, its points as arrays in arrival order: a batch of 1,000
      // points is a few rows and index entries instead of 1,000 (one INSERT of 1,000 rows with two
      // indexes cost 12–20 ms in bench:postgres, which capped logging at about 65,000 points/s).
      // A series is read by unnesting its rows in order (seq, then the position in the row).
      `CREATE TABLE metric_chunks (
         run_id text NOT NULL,
         key text NOT NULL,
         seq bigserial NOT NULL,
         steps bigint[] NOT NULL,
         vals double precision[] NOT NULL,
         timestamps bigint[] NOT NULL,
         PRIMARY KEY (run_id, key, seq)
       )`,
      `INSERT INTO metric_chunks (run_id, key, steps, vals, timestamps)
       SELECT run_id, key, array_agg(step ORDER BY seq), array_agg(value ORDER BY seq), array_agg(timestamp_ms ORDER BY seq)
       FROM metric_points GROUP BY run_id, key ORDER BY min(seq)`,
      `DROP TABLE metric_points`,
    ],
  },
  {
    version: 4,
    name: 'field rows keyed by the run sequence number',
    statements: [
      // A run's field rows carry its sequence number (runs.seq, increasing) instead of its random
      // 32-character id: a new run's rows go at the end of the (run, field) index instead of at random
      // leaf pages. Inserting a run's 60 rows took 4.4 ms after a random id and 1.2–1.7 ms after adjacent
      // ones (bench:postgres created 300–375 runs/s on an empty database). The rows are deleted with
      // their run by the store (no foreign key to check on every row).
      `ALTER TABLE run_fields ADD COLUMN run_seq bigint`,
      `UPDATE run_fields f SET run_seq = r.seq FROM runs r WHERE r.id = f.run_id`,
      `DELETE FROM run_fields WHERE run_seq IS NULL`,
      `ALTER TABLE run_fields ALTER COLUMN run_seq SET NOT NULL`,
      `DROP INDEX run_fields_run`,
      `DROP INDEX run_fields_num`,
      `DROP INDEX run_fields_text`,
      `ALTER TABLE run_fields DROP COLUMN run_id`,
      `CREATE INDEX run_fields_run ON run_fields (run_seq, field)`,
      `CREATE INDEX run_fields_num ON run_fields (field, num, run_seq) WHERE num IS NOT NULL`,
      `CREATE INDEX run_fields_text ON run_fields (field, text COLLATE "C", run_seq)`,
    ],
  },
  {
    version: 5,
    name: 'users, personal access tokens and browser sessions',
    statements: [
      // One table for the three kinds (src/shared/auth): few rows, each read by its key. owner: the
      // user a token or session belongs to (a user's own name for a user), so deleting a user takes
      // its tokens and sessions in the same statement.
      `CREATE TABLE auth_records (
         kind text NOT NULL,
         key text NOT NULL,
         owner text NOT NULL,
         seq bigserial NOT NULL,
         doc json NOT NULL,
         PRIMARY KEY (kind, key)
       )`,
      `CREATE INDEX auth_records_owner ON auth_records (owner)`,
    ],
  },
  {
    version: 6,
    name: 'the audit log',
    statements: [
      // Append-only, apart from the records: every mutation in users mode adds a row. Listed newest
      // first, filtered by user or action.
      `CREATE TABLE audit_log (
         seq bigserial PRIMARY KEY,
         at timestamptz NOT NULL,
         actor text NOT NULL,
         action text NOT NULL,
         object_type text NOT NULL,
         object_id text NOT NULL,
         address text NOT NULL
       )`,
      `CREATE INDEX audit_log_actor ON audit_log (actor, seq)`,
      `CREATE INDEX audit_log_action ON audit_log (action, seq)`,
    ],
  },
  {
    version: 7,
    name: 'each run keeps its metrics\' extremes (metricExtremes)',
    statements: [
      // run.metricExtremes from the summaries, placed after metrics (doc is json: json_object_agg
      // keeps the order given), {} for a run without any.
      `UPDATE runs r SET doc = (
         SELECT json_object_agg(k, v ORDER BY o) FROM (
           SELECT e.key AS k, e.value AS v, e.ord * 2 AS o FROM json_each(r.doc) WITH ORDINALITY AS e(key, value, ord)
           UNION ALL
           SELECT 'metricExtremes',
             COALESCE((SELECT json_object_agg(ms.key, json_build_object('min', ms.min, 'max', ms.max) ORDER BY ms.ord) FROM metric_summaries ms WHERE ms.run_id = r.id), '{}'::json),
             COALESCE((SELECT e.ord * 2 + 1 FROM json_each(r.doc) WITH ORDINALITY AS e(key, value, ord) WHERE e.key = 'metrics'), 1000)
         ) x
       ) WHERE r.doc->'metricExtremes' IS NULL`,
    ],
    // Their field rows, made by the code that makes every other run's (a number's text as JavaScript
    // writes it), in batches in key order.
    apply: async (client) => {
      let after: [string, string] = ['', ''];
      for (;;) {
        const { rows } = await client.query<{ run_seq: string; run_id: string; key: string; min: number | null; max: number | null }>(
          `SELECT r.seq AS run_seq, ms.run_id, ms.key, ms.min, ms.max FROM metric_summaries ms JOIN runs r ON r.id = ms.run_id
           WHERE (ms.run_id, ms.key) > ($1, $2) ORDER BY ms.run_id, ms.key LIMIT ${EXTREME_BATCH}`,
          after,
        );
        if (rows.length === 0) return;
        const seqs: string[] = [];
        const fields: FieldRow[] = [];
        for (const row of rows) {
          for (const field of extremeRowsOf({ [row.key]: { min: row.min, max: row.max } })) {
            seqs.push(row.run_seq);
            fields.push(field);
          }
        }
        await client.query(
          `INSERT INTO run_fields (run_seq, field, num, text, upper, bool) SELECT * FROM unnest($1::bigint[], $2::text[], $3::float8[], $4::text[], $5::text[], $6::boolean[])`,
          [seqs, fields.map((f) => f.field), fields.map((f) => f.num), fields.map((f) => f.text), fields.map((f) => f.upper), fields.map((f) => f.bool)],
        );
        after = [rows.at(-1)!.run_id, rows.at(-1)!.key];
      }
    },
  },
];
