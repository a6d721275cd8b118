/** /api/modellab/health and /api/modellab/stats (the dashboard's numbers). */
import { Router } from 'express';
import type { Services } from '../../services';
import type { Health, Stats } from '../../../src/shared/contract/types';
import { handle } from '../../http';
import { presentRun } from '../presenters';

export function healthRouter({ runs }: Services, version: string): Router {
  const router = Router();

  router.get('/health', handle({}, (): Health => ({ status: 'ok', version })));

  router.get(
    '/stats',
    handle({}, async (): Promise<Stats> => {
      const stats = await runs.stats();
      return { datasets: stats.datasets, runs: stats.runs, recentRuns: stats.recent.map(presentRun) };
    }),
  );

  return router;
}
