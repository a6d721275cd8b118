/**
 * run.metrics follows logged points without making the logging call wait: while a run's update waits
 * its turn, later values join it (one update per turn, the newest values), and closing the services
 * waits for the updates under way. The store here takes 100 ms per update, as a busy database might.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { JsonStore } from '../../../../api/storage';
import { openServices, type Services } from '../../../../api/services';
import { makeRun } from '../../../helpers/fixtures';
import { tempDir } from '../../../helpers/tmp';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let store: JsonStore;
let services: Services;
let updates: number;
beforeEach(async () => {
  tmp = await tempDir();
  store = await JsonStore.open(tmp.dir, { log: () => {} });
  const updateRun = store.updateRun.bind(store);
  updates = 0;
  let queue = Promise.resolve();
  // One update at a time, each 100 ms, its change read when its turn comes (as the PostgreSQL store does).
  store.updateRun = (id, change) => {
    updates++;
    const turn = queue.then(() => new Promise((resolve) => setTimeout(resolve, 100))).then(() => updateRun(id, change));
    queue = turn.then(() => undefined, () => undefined);
    return turn;
  };
  services = await openServices(store, tmp.dir);
});
afterEach(async () => {
  await services.close();
  await store.close();
  await tmp.cleanup();
});

const quiet = () => {};

it('folds the values logged while an update waits into it, and ends with the newest', async () => {
  const run = await store.createRun(makeRun());
  for (let step = 0; step < 20; step++) await services.runs.logMetrics(run.id, [{ key: 'loss', value: 1 / (step + 1), step }, { key: 'acc', value: step / 19, step }], quiet);
  expect(updates).toBeLessThanOrEqual(2); // the first, and one that waits behind it holding the rest
  await expect.poll(async () => (await store.getRun(run.id)).metrics, { timeout: 2000 }).toEqual({ loss: 1 / 20, acc: 1 });
});

it('waits for the updates under way when the services close', async () => {
  const run = await store.createRun(makeRun());
  await services.runs.logMetrics(run.id, [{ key: 'loss', value: 3, step: 0 }], quiet);
  await services.runs.logMetrics(run.id, [{ key: 'loss', value: 2, step: 1 }], quiet);
  await services.close();
  expect((await store.getRun(run.id)).metrics).toEqual({ loss: 2 });
  services = await openServices(store, tmp.dir); // afterEach closes it
});
