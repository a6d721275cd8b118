/** GET /api/modellab/compare?runs=<baseline>,<id>[,…] — 2 to 10 runs compared against the first. */
import { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../../services';
import { handle } from '../../http';
import { presentRun } from '../presenters';
import { CompareGroupsQuery } from '../../../src/shared/contract/schemas';

const CompareQuery = z.object({
  runs: z
    .string()
    .min(1, 'must list run ids separated by commas')
    .transform((text) => text.split(',').map((id) => id.trim()).filter(Boolean)),
});

export function compareRouter({ compare, runs }: Services): Router {
  const router = Router();
  router.get(
    '/compare/groups',
    handle({ query: CompareGroupsQuery }, async ({ query }) => runs.compareGroups(query.a, query.b)),
  );
  router.get(
    '/compare',
    handle({ query: CompareQuery }, async ({ query }) => {
      const { runs, result, series } = await compare(query.runs);
      return { runs: runs.map(presentRun), ...result, series };
    }),
  );
  return router;
}
