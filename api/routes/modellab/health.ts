/** /api/modellab/health and /api/modellab/stats (the dashboard's numbers). */
import { Router } from 'express';
import type { Store } from '../../storage';
import type { Health, Stats } from '../../../src/shared/contract/types';
import { handle } from '../../http';
import { presentRun } from '../presenters';

export function healthRouter(store: Store, version: string): Router {
  const router = Router();

  router.get('/health', handle({}, (): Health => ({ status: 'ok', version })));

  router.get(
    '/stats',
    handle({}, async (): Promise<Stats> => {
      const [runs, recent, datasets] = await Promise.all([
        store.runStatistics(),
        store.listRuns({ limit: 5, offset: 0 }),
        store.listDatasets({ limit: 1, offset: 0 }),
      ]);
      return { datasets: datasets.total, runs, recentRuns: recent.items.map(presentRun) };
    }),
  );

  return router;
}
