/**
 * Bulk loading of runs into a PostgreSQL store for bench:postgres: the same rows the store writes
 * for a created run (runs and run_fields, from newRun and fieldRowsOf, as PgStore.writeRun makes
 * them), inserted a batch at a time with run_fields' indexes dropped meanwhile and built at the end,
 * as one would load a database of this size. Only the benchmark's set-up: the API's own creates are
 * measured separately.
 */
import pg from 'pg';
import { CreateRunBody } from '../../src/shared/contract/schemas';
import { newRun } from '../../src/shared/runs/lifecycle';
import { fieldRowsOf } from '../../src/shared/runs/fieldRows';
import type { Run } from '../../src/shared/contract/types';

const RUN_FIELD_INDEXES = [
  `CREATE INDEX run_fields_run ON run_fields (run_seq, field)`,
  `CREATE INDEX run_fields_num ON run_fields (field, num, run_seq) WHERE num IS NOT NULL`,
  `CREATE INDEX run_fields_text ON run_fields (field, text COLLATE "C", run_seq)`,
];

export async function bulkLoadRuns(url: string, from: number, to: number, body: (i: number) => string, progress: (done: number) => void): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  try {
    const indexes = (await pool.query<{ indexname: string; indexdef: string }>(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'run_fields'`)).rows;
    for (const ix of indexes) await pool.query(`DROP INDEX ${ix.indexname}`);
    const git = { commit: null, branch: null, dirty: null };
    const BATCH = 2000;
    let done = 0;
    const batches: Promise<void>[] = [];
    for (let start = from; start < to; start += BATCH) {
      const runs: Run[] = [];
      for (let i = start; i < Math.min(to, start + BATCH); i++) runs.push(newRun(CreateRunBody.parse(JSON.parse(body(i))), git));
      const f = { run: [] as string[], field: [] as string[], num: [] as (number | null)[], text: [] as string[], upper: [] as string[], bool: [] as (boolean | null)[] };
      for (const run of runs) {
        for (const row of fieldRowsOf(run, { artifactLocation: () => 'mlflow-artifacts:/0' })) {
          f.run.push(run.id);
          f.field.push(row.field);
          f.num.push(row.num);
          f.text.push(row.text);
          f.upper.push(row.upper);
          f.bool.push(row.bool);
        }
      }
      const write = (async () => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const { rows: inserted } = await client.query<{ id: string; seq: string }>(
            'INSERT INTO runs (id, experiment_id, lifecycle_stage, status, name, created_at, dataset_id, input_count, doc) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::json[]) RETURNING id, seq',
            [runs.map((r) => r.id), runs.map((r) => r.experimentId), runs.map((r) => r.lifecycleStage), runs.map((r) => r.status), runs.map((r) => r.name), runs.map((r) => r.createdAt), runs.map((r) => r.datasetId), runs.map((r) => r.inputs.length), runs.map((r) => JSON.stringify(r))],
          );
          const seqOf = new Map(inserted.map((r) => [r.id, r.seq]));
          await client.query('INSERT INTO run_fields (run_seq, field, num, text, upper, bool) SELECT * FROM unnest($1::bigint[], $2::text[], $3::float8[], $4::text[], $5::text[], $6::boolean[])', [f.run.map((id) => seqOf.get(id)), f.field, f.num, f.text, f.upper, f.bool]);
          await client.query('COMMIT');
        } finally {
          client.release();
        }
        done += runs.length;
        progress(done);
      })();
      batches.push(write);
      if (batches.length >= 2) await batches.shift();
    }
    await Promise.all(batches);
    // Built at the end, in parallel on a connection each (DDL of the schema's migration, as it is).
    const ddl = indexes.length > 0 ? indexes.map((ix) => ix.indexdef) : RUN_FIELD_INDEXES;
    await Promise.all(ddl.map((statement) => pool.query(statement)));
    await pool.query('ANALYZE runs');
    await pool.query('ANALYZE run_fields');
  } finally {
    await pool.end();
  }
}
