/**
 * Migrations against a real PostgreSQL server: all applied in order on an empty database, nothing
 * applied twice (also when two processes start together), a failing one leaves the schema as it
 * was, and a database from a newer ModelLab is refused.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../../../../api/storage/postgres/migrate';
import { MIGRATIONS } from '../../../../../api/storage/postgres/migrations';
import { usePostgres } from '../../../../helpers/postgres';
import { makeRun } from '../../../../helpers/fixtures';
import { extremeRowsOf, type FieldRow } from '../../../../../src/shared/runs/fieldRows';
import type { Run } from '../../../../../src/shared/contract/types';

const server = usePostgres();

async function withDatabase(fn: (pools: () => pg.Pool) => Promise<void>): Promise<void> {
  const db = await server.createDatabase();
  const pools: pg.Pool[] = [];
  try {
    await fn(() => {
      const pool = new pg.Pool({ connectionString: db.url, max: 2 });
      pool.on('error', () => {}); // idle connections end when the database is dropped
      pools.push(pool);
      return pool;
    });
  } finally {
    await Promise.all(pools.map((p) => p.end()));
    await db.drop();
  }
}

const tables = async (pool: pg.Pool) =>
  (await pool.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`)).rows.map((r) => r.table_name);

describe('migrate', () => {
  it('applies every migration to an empty database, then nothing', async () => {
    await withDatabase(async (pool) => {
      const p = pool();
      const latest = MIGRATIONS.at(-1)!.version;
      expect(await migrate(p)).toEqual({ from: 0, to: latest, applied: MIGRATIONS.map((m) => m.version) });
      expect(await tables(p)).toEqual(['artifacts', 'audit_log', 'auth_records', 'datasets', 'experiments', 'logged_models', 'metric_chunks', 'metric_summaries', 'modellab_migrations', 'registered_models', 'run_fields', 'runs']);
      expect(await migrate(p)).toEqual({ from: latest, to: latest, applied: [] });
      expect((await p.query('SELECT count(*)::int AS n FROM modellab_migrations')).rows[0].n).toBe(MIGRATIONS.length);
    });
  }, 60_000);

  it('carries the points a version-1 database holds into summaries (version 2) and chunks (version 3)', async () => {
    await withDatabase(async (pool) => {
      const p = pool();
      await migrate(p, MIGRATIONS.slice(0, 1));
      // loss: steps 0, 2, 1 (the latest is the last at the largest step: 0.2), a NaN; acc: one point.
      await p.query(`INSERT INTO metric_points (run_id, key, step, value, timestamp_ms) VALUES
        ('r1', 'loss', 0, 0.9, 10), ('r1', 'acc', 0, 0.5, 11), ('r1', 'loss', 2, 0.3, 12), ('r1', 'loss', 1, 'NaN', 13), ('r1', 'loss', 2, 0.2, 14)`);
      await migrate(p);
      const { PgMetricSeries } = await import('../../../../../api/storage/postgres/pgMetricSeries');
      expect(await new PgMetricSeries(p).summaries('r1')).toEqual([
        { key: 'loss', last: 0.2, lastStep: 2, lastTimestamp: 14, min: 0.2, max: 0.9, count: 4, nonFinite: 1 },
        { key: 'acc', last: 0.5, lastStep: 0, lastTimestamp: 11, min: 0.5, max: 0.5, count: 1, nonFinite: 0 },
      ]);
      // By step, and at step 2 in the order logged.
      expect(await new PgMetricSeries(p).points('r1', 'loss', 100)).toEqual([
        { step: 0, value: 0.9, timestamp: 10 },
        { step: 1, value: NaN, timestamp: 13 },
        { step: 2, value: 0.3, timestamp: 12 },
        { step: 2, value: 0.2, timestamp: 14 },
      ]);
    });
  }, 60_000);

  it('keys the field rows of a version-3 database by their run sequence number (version 4), dropping orphans', async () => {
    await withDatabase(async (pool) => {
      const p = pool();
      await migrate(p, MIGRATIONS.slice(0, 3));
      await p.query(`INSERT INTO runs (id, experiment_id, lifecycle_stage, status, name, created_at, input_count, doc) VALUES ('r1', '0', 'active', 'completed', 'one', 'x', 0, '{}'), ('r2', '0', 'active', 'failed', 'two', 'y', 0, '{}')`);
      await p.query(`DELETE FROM runs WHERE id = 'r1'`); // r2 gets seq 2, whatever r1 had
      await p.query(`INSERT INTO runs (id, experiment_id, lifecycle_stage, status, name, created_at, input_count, doc) VALUES ('r1', '0', 'active', 'completed', 'one', 'x', 0, '{}')`); // seq 3
      await p.query(`ALTER TABLE run_fields DROP CONSTRAINT run_fields_run_id_fkey`); // so an orphan row can exist, as a crash could leave
      await p.query(`INSERT INTO run_fields (run_id, field, num, text, upper, bool) VALUES ('r1', '["status"]', NULL, 'completed', 'COMPLETED', NULL), ('r2', '["status"]', NULL, 'failed', 'FAILED', NULL), ('gone', '["status"]', NULL, 'x', 'X', NULL)`);
      await migrate(p);
      const { rows } = await p.query<{ id: string; text: string }>(`SELECT r.id, f.text FROM run_fields f JOIN runs r ON r.seq = f.run_seq ORDER BY r.id`);
      expect(rows).toEqual([{ id: 'r1', text: 'completed' }, { id: 'r2', text: 'failed' }]);
      expect((await p.query('SELECT count(*)::int AS n FROM run_fields')).rows[0].n).toBe(2);
    });
  }, 60_000);

  it('gives every run of a version-6 database its metricExtremes from the summaries (version 7), after metrics, with their field rows', async () => {
    await withDatabase(async (pool) => {
      const p = pool();
      await migrate(p, MIGRATIONS.filter((m) => m.version <= 6));
      const logged = makeRun({ name: 'logged', metrics: { loss: 0.4, acc: 0.8 }, tags: { latency: 'x' } });
      const never = makeRun({ name: 'never' });
      for (const run of [logged, never]) {
        const { metricExtremes: _dropped, ...doc } = run; // as version 6 stored it
        await p.query(`INSERT INTO runs (id, experiment_id, lifecycle_stage, status, name, created_at, input_count, doc) VALUES ($1, '0', 'active', 'pending', $2, $3, 0, $4)`, [run.id, run.name, run.createdAt, JSON.stringify(doc)]);
      }
      // loss: finite 0.2 … 0.9; acc: only NaN points (no finite extreme); a summary whose run is gone.
      await p.query(`INSERT INTO metric_summaries (run_id, key, count, nonfinite, min, max, last, last_step, last_ts) VALUES
        ($1, 'loss', 3, 0, 0.2, 0.9, 0.4, 2, 1), ($1, 'acc', 1, 1, NULL, NULL, 'NaN', 0, 1), ('gone', 'loss', 1, 0, 1, 1, 1, 0, 1)`, [logged.id]);
      await migrate(p);
      const docs = new Map((await p.query<{ id: string; doc: Run }>('SELECT id, doc FROM runs')).rows.map((r) => [r.id, r.doc]));
      expect(docs.get(logged.id)!.metricExtremes).toEqual({ loss: { min: 0.2, max: 0.9 }, acc: { min: null, max: null } });
      expect(Object.keys(docs.get(logged.id)!)).toEqual(Object.keys(logged)); // after metrics, in the API's order
      expect(docs.get(never.id)).toEqual(never);
      const rows = (await p.query<FieldRow & { run_id: string }>(`SELECT r.id AS run_id, f.field, f.num, f.text, f.upper, f.bool FROM run_fields f JOIN runs r ON r.seq = f.run_seq ORDER BY f.field`)).rows;
      const expected = extremeRowsOf({ loss: { min: 0.2, max: 0.9 } }).sort((a, b) => (a.field < b.field ? -1 : 1));
      expect(rows).toEqual(expected.map((row) => ({ run_id: logged.id, ...row })));
    });
  }, 60_000);

  it('migrates once when several processes start together', async () => {
    await withDatabase(async (pool) => {
      const results = await Promise.all(Array.from({ length: 4 }, () => migrate(pool())));
      expect(results.filter((r) => r.applied.length > 0)).toHaveLength(1);
      expect(results.every((r) => r.to === MIGRATIONS.at(-1)!.version)).toBe(true);
      expect((await pool().query('SELECT count(*)::int AS n FROM modellab_migrations')).rows[0].n).toBe(MIGRATIONS.length);
    });
  }, 60_000);

  it('leaves the schema as it was when a migration fails', async () => {
    await withDatabase(async (pool) => {
      const p = pool();
      await migrate(p);
      const before = await tables(p);
      const broken = [...MIGRATIONS, { version: 99, name: 'half of a change', statements: ['CREATE TABLE extra (id int)', 'SELECT * FROM no_such_table'] }];
      await expect(migrate(p, broken)).rejects.toThrow(/no_such_table/);
      expect(await tables(p)).toEqual(before); // "extra" was rolled back with the rest
      expect((await p.query('SELECT max(version)::int AS v FROM modellab_migrations')).rows[0].v).toBe(MIGRATIONS.at(-1)!.version);
    });
  }, 60_000);

  it('refuses a database migrated by a newer ModelLab', async () => {
    await withDatabase(async (pool) => {
      const p = pool();
      await migrate(p, [...MIGRATIONS, { version: 500, name: 'from the future', statements: [] }]);
      await expect(migrate(p)).rejects.toThrow(/schema version 500, newer than this ModelLab knows/);
    });
  }, 60_000);
});
