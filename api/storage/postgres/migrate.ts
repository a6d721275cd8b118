/**
 * Applies the pending migrations in one transaction under a transaction-level advisory lock: two
 * processes starting together on one database migrate it once (the second waits for the lock, then
 * finds nothing to do), and a migration that fails leaves the schema as it was. Node only.
 */
import type { Pool } from 'pg';
import { MIGRATIONS, type Migration } from './migrations';

/** The advisory lock's key: any constant ModelLab alone uses ("ModL" in ASCII). */
export const MIGRATION_LOCK = 0x4d6f644c;

export interface MigrationResult {
  from: number;
  to: number;
  applied: number[];
}

export async function migrate(pool: Pool, migrations: Migration[] = MIGRATIONS): Promise<MigrationResult> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS modellab_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM modellab_migrations');
    const from = rows[0]?.version ?? 0;
    const known = Math.max(0, ...migrations.map((m) => m.version));
    if (from > known) throw new Error(`the database is at schema version ${from}, newer than this ModelLab knows (${known}); upgrade ModelLab`);
    const applied: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (migration.version <= from) continue;
      for (const statement of migration.statements) await client.query(statement);
      await migration.apply?.(client);
      await client.query('INSERT INTO modellab_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    return { from, to: applied.at(-1) ?? from, applied };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
