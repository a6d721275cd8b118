/**
 * The PostgreSQL store against a real server, through the same store contract as the JSON store,
 * whole. Each test gets a database of its own.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PgStore } from '../../../../../api/storage/postgres/pgStore';
import { makeRun } from '../../../../helpers/fixtures';
import { describeStoreContract } from '../../../../contracts/store';
import { usePostgres } from '../../../../helpers/postgres';

const server = usePostgres();

describeStoreContract(
  'PgStore',
  async () => {
    const db = await server.createDatabase();
    const store = await PgStore.open(db.url, { log: () => {} });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await db.drop();
      },
    };
  },
);

describe('PgStore when the database drops its connections', () => {
  it('logs the loss, stays up, and serves again on new connections', async () => {
    const db = await server.createDatabase();
    const logged: string[] = [];
    const store = await PgStore.open(db.url, { log: (m) => logged.push(m) });
    try {
      const run = await store.createRun(makeRun({ name: 'survives' }));
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
      await admin.end();
      await expect.poll(() => logged.length).toBeGreaterThan(0);
      expect(logged[0]).toMatch(/a database connection was lost/);
      expect((await store.getRun(run.id)).name).toBe('survives');
      await store.ping();
    } finally {
      await store.close();
      await db.drop();
    }
  });
});
