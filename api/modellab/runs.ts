/** /api/modellab/runs — run CRUD. */
import { Router } from 'express';
import { parseFilter, parseSort } from '../../src/utils/modellab/runFilter';
import { newRun, updatedRun } from '../../src/utils/modellab/runLifecycle';
import { CreateRunBody, IdParams, ListRunsQuery, UpdateRunBody } from '../../src/utils/modellab/schemas';
import type { Store } from '../../src/utils/modellab/storage';
import type { ListResponse, Run } from '../../src/utils/modellab/types';
import { handle } from '../http';
import { presentRun } from '../presenters';

const NO_GIT = { commit: null, branch: null, dirty: null };

export function runsRouter(store: Store): Router {
  const router = Router();

  router.get(
    '/',
    handle({ query: ListRunsQuery }, async ({ query }): Promise<ListResponse<Run>> => {
      const page = await store.listRuns({
        limit: query.limit,
        offset: query.offset,
        ...(query.status && { status: query.status }),
        ...(query.filter?.trim() && { filter: parseFilter(query.filter) }),
        ...(query.sort?.trim() && { sort: parseSort(query.sort) }),
      });
      return { items: page.items.map(presentRun), total: page.total, limit: query.limit, offset: query.offset };
    }),
  );

  router.post(
    '/',
    handle({ body: CreateRunBody }, async ({ body }, _req, res) => {
      const run = await store.createRun(newRun(body, NO_GIT));
      res.status(201).location(`${run.id}`);
      return presentRun(run);
    }),
  );

  router.get(
    '/:id',
    handle({ params: IdParams }, async ({ params }) => presentRun(await store.getRun(params.id))),
  );

  router.put(
    '/:id',
    handle({ params: IdParams, body: UpdateRunBody }, async ({ params, body }) =>
      presentRun(await store.updateRun(params.id, (current) => updatedRun(current, body))),
    ),
  );

  router.delete(
    '/:id',
    handle({ params: IdParams }, async ({ params }) => {
      await store.deleteRun(params.id);
    }),
  );

  return router;
}
