/** /api/modellab/health and /api/modellab/stats (the dashboard's numbers). */
import { Router } from 'express';
import type { Services } from '../../services';
import type { Health, Stats } from '../../../src/shared/contract/types';
import { handle } from '../../http';
import { AppError } from '../../../src/shared/errors';
import { presentRun } from '../presenters';

export function healthRouter({ runs, health }: Services, version: string): Router {
  const router = Router();

  // 503 in the error shape while the store does not answer (a database that is down or unreachable).
  router.get(
    '/health',
    handle({}, async (): Promise<Health> => {
      try {
        return { status: 'ok', version, ...(await health()) };
      } catch (error) {
        throw new AppError(503, 'unavailable', `The store does not answer: ${(error as Error).message}`);
      }
    }),
  );

  router.get(
    '/stats',
    handle({}, async (): Promise<Stats> => {
      const stats = await runs.stats();
      return { datasets: stats.datasets, runs: stats.runs, recentRuns: stats.recent.map(presentRun) };
    }),
  );

  return router;
}
