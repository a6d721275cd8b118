/**
 * The PostgreSQL store against a real server, through the same store contract as the JSON store,
 * whole. Each test gets a database of its own.
 */
import { afterAll, beforeAll } from 'vitest';
import { PgStore } from '../../../../../api/storage/postgres/pgStore';
import { describeStoreContract } from '../../../../contracts/store';
import { startTestPostgres, type TestPostgres } from '../../../../helpers/postgres';

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

describeStoreContract(
  'PgStore',
  async () => {
    const db = await server.createDatabase();
    const store = await PgStore.open(db.url);
    return {
      store,
      cleanup: async () => {
        await store.close();
        await db.drop();
      },
    };
  },
);
