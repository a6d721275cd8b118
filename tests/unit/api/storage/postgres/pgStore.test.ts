/**
 * The PostgreSQL store against a real server, through the same store contract as the JSON store,
 * whole. Each test gets a database of its own.
 */
import { PgStore } from '../../../../../api/storage/postgres/pgStore';
import { describeStoreContract } from '../../../../contracts/store';
import { usePostgres } from '../../../../helpers/postgres';

const server = usePostgres();

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
