/** /api/modellab/datasets — dataset versions. Upload arrives with the datasets issue. */
import { Router } from 'express';
import { IdParams, ListQuery } from '../../src/utils/modellab/schemas';
import type { Store } from '../../src/utils/modellab/storage';
import type { Dataset, ListResponse } from '../../src/utils/modellab/types';
import { handle } from '../http';
import { presentDataset } from '../presenters';

export function datasetsRouter(store: Store): Router {
  const router = Router();

  router.get(
    '/',
    handle({ query: ListQuery }, async ({ query }): Promise<ListResponse<Dataset>> => {
      const page = await store.listDatasets(query);
      return { items: page.items.map(presentDataset), total: page.total, limit: query.limit, offset: query.offset };
    }),
  );

  router.get(
    '/:id',
    handle({ params: IdParams }, async ({ params }) => presentDataset(await store.getDataset(params.id))),
  );

  router.delete(
    '/:id',
    handle({ params: IdParams }, async ({ params }) => {
      await store.deleteDataset(params.id);
    }),
  );

  return router;
}
