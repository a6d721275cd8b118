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

describe('PgStore field rows', () => {
  it('hold exactly the rows of the run as it is after any sequence of changes (only the changed rows are rewritten)', async () => {
    const { fieldRowsOf } = await import('../../../../../src/shared/runs/fieldRows');
    const db = await server.createDatabase();
    const store = await PgStore.open(db.url, { log: () => {} });
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      const run = await store.createRun(makeRun({ name: 'changing', tags: { a: '1', b: '2' }, hyperparameters: { lr: 0.1, opt: { name: 'adam', betas: [0.9, 0.99] } }, metrics: { loss: 1 } }));
      const rowsOf = async () =>
        (await admin.query<{ field: string; num: number | null; text: string; upper: string; bool: boolean | null }>('SELECT field, num, text, upper, bool FROM run_fields WHERE run_seq = (SELECT seq FROM runs WHERE id = $1)', [run.id])).rows.sort((x, y) => (x.field < y.field ? -1 : 1));
      const expected = (r: typeof run) =>
        fieldRowsOf(r, { artifactLocation: () => 'mlflow-artifacts:/0' })
          .map((x) => ({ field: x.field, num: x.num, text: x.text, upper: x.upper, bool: x.bool }))
          .sort((x, y) => (x.field < y.field ? -1 : 1));
      const changes: ((r: typeof run) => typeof run)[] = [
        (r) => ({ ...r, metrics: { ...r.metrics, loss: 0.5, acc: 0.7 } }),
        (r) => ({ ...r, tags: { a: 'changed' } }), // b removed
        (r) => ({ ...r, hyperparameters: { lr: '0.1', opt: { name: 'sgd' } } }), // a number becomes text, a branch goes
        (r) => ({ ...r, status: 'running', name: 'renamed' }),
        (r) => ({ ...r, hyperparameters: {}, tags: {}, metrics: {} }),
      ];
      let current = await store.getRun(run.id);
      expect(await rowsOf()).toEqual(expected(current));
      for (const change of changes) {
        current = await store.updateRun(run.id, change);
        expect(await rowsOf()).toEqual(expected(current));
      }
    } finally {
      await admin.end();
      await store.close();
      await db.drop();
    }
  });
});

describe('PgStore updates from several processes at once', () => {
  it('lose no change to one run, and leave its field rows as its record says', async () => {
    const db = await server.createDatabase();
    const stores = [await PgStore.open(db.url, { log: () => {} }), await PgStore.open(db.url, { log: () => {} })];
    try {
      const run = await stores[0]!.createRun(makeRun({ name: 'contended', tags: {} }));
      let applied = 0;
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          stores[i % 2]!.updateRun(run.id, (current) => {
            applied++;
            return { ...current, tags: { ...current.tags, [`t${i}`]: String(i) }, metrics: { ...current.metrics, [`m${i}`]: i } };
          }),
        ),
      );
      const final = await stores[1]!.getRun(run.id);
      expect(Object.keys(final.tags).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `t${i}`).sort());
      expect(Object.keys(final.metrics)).toHaveLength(40);
      expect(applied).toBe(40);
      // The field rows agree with the record: every tag is found by a filter.
      const { parseFilter } = await import('../../../../../src/shared/runs/filter');
      for (const i of [0, 17, 39]) expect((await stores[0]!.searchRuns({ limit: 5, offset: 0, filter: parseFilter(`tags.t${i} = '${i}' AND metrics.m${i} = ${i}`) })).items.map((r) => r.id)).toEqual([run.id]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await db.drop();
    }
  });
});
