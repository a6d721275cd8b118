/**
 * A page of runs can be sent as the store's JSON text only because it is, byte for byte, what
 * presentRun + JSON.stringify produce: the API's fields in the API's order (RUN_FIELDS) — also for a
 * record stored with its fields in another order (an old db.json's runs, migrated).
 */
import { describe, expect, it } from 'vitest';
import { presentRun } from '../../../../api/routes/presenters';
import { JsonStore } from '../../../../api/storage';
import { RUN_FIELDS } from '../../../../src/shared/contract/constants';
import type { Run } from '../../../../src/shared/contract/types';
import { makeRun } from '../../../helpers/fixtures';
import { tempDir } from '../../../helpers/tmp';

describe('runs as JSON text', () => {
  it('presentRun gives RUN_FIELDS in order', () => {
    expect(Object.keys(presentRun(makeRun({ name: 'r' })))).toEqual([...RUN_FIELDS]);
  });

  it('searchRunsJson answers what presentRun and JSON.stringify answer for searchRuns, whatever order a record was stored in', async () => {
    const dir = await tempDir();
    const store = await JsonStore.open(dir.dir, { log: () => {} });
    try {
      await store.createRun(makeRun({ name: 'a', hyperparameters: { lr: 0.1 }, metrics: { loss: 0.5 } }));
      const reordered = makeRun({ name: 'b', tags: { t: 'x' } });
      const { id, name, ...rest } = reordered;
      await store.createRun({ name, ...rest, id } as Run); // fields in another order
      await store.createRun(makeRun({ name: 'c' }));
      for (const options of [{ limit: 10, offset: 0 }, { limit: 2, offset: 1, sort: { field: { text: 'name', root: 'name', path: [] }, direction: 'asc' as const } }]) {
        const json = await store.searchRunsJson(options);
        const runs = await store.searchRuns(options);
        expect(json.total).toBe(runs.total);
        expect(json.items).toEqual(runs.items.map((r) => JSON.stringify(presentRun(r))));
      }
    } finally {
      await store.close();
      await dir.cleanup();
    }
  });
});
