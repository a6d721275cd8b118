/** /api/modellab/experiments — the groups runs belong to ("0" is Default); the same ones MLflow clients see. */
import { Router } from 'express';
import { CreateExperimentBody, IdParams, ListExperimentsQuery, UpdateExperimentBody } from '../../../src/shared/contract/schemas';
import type { Services } from '../../services';
import type { Experiment, ExperimentSummary, ListResponse } from '../../../src/shared/contract/types';
import { nowIso } from '../../../src/shared/ids';
import { handle } from '../../http';

export function experimentsRouter({ store }: Services): Router {
  const router = Router();

  const summary = async (e: Experiment): Promise<ExperimentSummary> => ({
    id: e.id,
    name: e.name,
    artifactLocation: e.artifactLocation,
    lifecycleStage: e.lifecycleStage,
    tags: e.tags,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
    runCount: (await store.listRuns({ limit: 0, offset: 0, experimentIds: [e.id] })).total,
  });

  router.get(
    '/',
    handle({ query: ListExperimentsQuery }, async ({ query }): Promise<ListResponse<ExperimentSummary>> => {
      const all = (await store.listExperiments()).filter((e) => query.lifecycle === 'all' || e.lifecycleStage === query.lifecycle);
      const items = await Promise.all(all.slice(query.offset, query.offset + query.limit).map(summary));
      return { items, total: all.length, limit: query.limit, offset: query.offset };
    }),
  );

  router.post(
    '/',
    handle({ body: CreateExperimentBody }, async ({ body }, _req, res) => {
      const experiment = await store.createExperiment({ name: body.name, tags: body.tags });
      res.status(201).location(experiment.id);
      return summary(experiment);
    }),
  );

  router.get(
    '/:id',
    handle({ params: IdParams }, async ({ params }) => summary(await store.getExperiment(params.id))),
  );

  router.put(
    '/:id',
    handle({ params: IdParams, body: UpdateExperimentBody }, async ({ params, body }) =>
      summary(await store.updateExperiment(params.id, (e) => ({ ...e, ...(body.name !== undefined && { name: body.name }), ...(body.tags && { tags: body.tags }), updatedAt: nowIso() }))),
    ),
  );

  return router;
}
