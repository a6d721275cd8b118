/** GET /api/modellab/compare?runs=<baseline>,<id>[,…] — 2 to 10 runs compared against the first. */
import { Router } from 'express';
import { z } from 'zod';
import { compareRuns, type RunEvaluation } from '../../../src/shared/compare';
import { badRequest } from '../../../src/shared/errors';
import { readEvaluation } from '../../services/evaluations';
import type { Services } from '../../services';
import { handle } from '../../http';
import { presentRun } from '../presenters';
import type { Run } from '../../../src/shared/contract/types';

const CompareQuery = z.object({
  runs: z
    .string()
    .min(1, 'must list run ids separated by commas')
    .transform((text) => text.split(',').map((id) => id.trim()).filter(Boolean)),
});

export function compareRouter({ store, artifacts, series }: Services): Router {
  const router = Router();
  router.get(
    '/compare',
    handle({ query: CompareQuery }, async ({ query }) => {
      const ids = query.runs;
      if (ids.length < 2 || ids.length > 10) throw badRequest(`runs: compare between 2 and 10 runs (got ${ids.length})`);
      if (new Set(ids).size !== ids.length) throw badRequest('runs: a run is listed twice');
      const runs: Run[] = [];
      for (const id of ids) runs.push(await store.getRun(id)); // 404 naming the first unknown id
      const evaluations: RunEvaluation[] = await Promise.all(
        runs.map(async (run) => {
          const docs = await readEvaluation(artifacts, run.id, { predictions: true });
          return {
            metrics: docs.metrics as RunEvaluation['metrics'],
            perExample: docs.predictions as RunEvaluation['perExample'],
            slices: docs.slices as RunEvaluation['slices'],
          };
        }),
      );
      const result = compareRuns(runs, evaluations);
      // Metric curves every run logged, downsampled for overlay.
      const summaries = await Promise.all(runs.map((r) => series.summaries(r.id)));
      const shared = summaries[0]!.map((s) => s.key).filter((key) => summaries.every((list) => list.some((s) => s.key === key)));
      const curves = await Promise.all(
        shared.map(async (key) => ({
          key,
          runs: Object.fromEntries(await Promise.all(runs.map(async (r) => [r.id, (await series.points(r.id, key, 200)) ?? []] as const))),
        })),
      );
      return { runs: runs.map(presentRun), ...result, series: curves };
    }),
  );
  return router;
}
