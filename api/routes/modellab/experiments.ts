/** /api/modellab/experiments — the groups runs belong to ("0" is Default); the same ones MLflow clients see. */
import { Router } from 'express';
import type { Services } from '../../services';
import { handle } from '../../http';
import { CreateExperimentBody, IdParams, ListExperimentsQuery, SaveViewBody, UpdateExperimentBody, VIEW_TAG_PREFIX, ViewParams } from '../../../src/shared/contract/schemas';
import { notFound } from '../../../src/shared/errors';
import type { Experiment, ExperimentSummary, ListResponse } from '../../../src/shared/contract/types';

export function experimentsRouter({ experiments }: Services): Router {
  const router = Router();

  const summary = async (e: Experiment): Promise<ExperimentSummary> => ({
    id: e.id,
    name: e.name,
    artifactLocation: e.artifactLocation,
    lifecycleStage: e.lifecycleStage,
    tags: e.tags,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
    ...(e.createdBy && { createdBy: e.createdBy }),
    runCount: await experiments.runCount(e.id),
  });

  router.get(
    '/',
    handle({ query: ListExperimentsQuery }, async ({ query }): Promise<ListResponse<ExperimentSummary>> => {
      const all = (await experiments.list()).filter((e) => query.lifecycle === 'all' || e.lifecycleStage === query.lifecycle);
      const items = await Promise.all(all.slice(query.offset, query.offset + query.limit).map(summary));
      return { items, total: all.length, limit: query.limit, offset: query.offset };
    }),
  );

  router.post(
    '/',
    handle({ body: CreateExperimentBody }, async ({ body }, _req, res) => {
      const experiment = await experiments.create({ name: body.name, tags: body.tags });
      res.status(201).location(experiment.id);
      return summary(experiment);
    }),
  );

  router.get(
    '/:id',
    handle({ params: IdParams }, async ({ params }) => summary(await experiments.get(params.id))),
  );

  router.put(
    '/:id',
    handle({ params: IdParams, body: UpdateExperimentBody }, async ({ params, body }) =>
      summary(await experiments.change(params.id, (e) => ({ ...e, ...(body.name !== undefined && { name: body.name }), ...(body.tags && { tags: body.tags }) }), Object.keys(body))),
    ),
  );

  // ---- saved views of the runs table (the experiment's modellab.view.<name> tags; one change each)

  router.put(
    '/:id/views/:name',
    handle({ params: ViewParams, body: SaveViewBody }, async ({ params, body }) =>
      summary(await experiments.change(params.id, (e) => ({ ...e, tags: { ...e.tags, [`${VIEW_TAG_PREFIX}${params.name}`]: body.query } }), ['tags'])),
    ),
  );

  router.delete(
    '/:id/views/:name',
    handle({ params: ViewParams }, async ({ params }) => {
      const key = `${VIEW_TAG_PREFIX}${params.name}`;
      await experiments.change(
        params.id,
        (e) => {
          if (!Object.hasOwn(e.tags, key)) throw notFound('view', params.name);
          const { [key]: _gone, ...tags } = e.tags;
          return { ...e, tags };
        },
        ['tags'],
      );
    }),
  );

  return router;
}
