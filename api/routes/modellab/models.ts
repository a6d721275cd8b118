/**
 * /api/modellab/models — the model registry: registered models, their versions (registered from a
 * run's logged model or a path in its artifacts), aliases and stages, and a diff of two versions.
 * /api/modellab/logged-models — the models runs produced, with their files.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../../services';
import { handle } from '../../http';
import {
  AliasParams,
  CreateLoggedModelBody,
  CreateModelVersionBody,
  CreateRegisteredModelBody,
  DiffQuery,
  ListLoggedModelsQuery,
  ListModelsQuery,
  LoggedModelParams,
  ModelNameParams,
  SetAliasBody,
  UpdateLoggedModelBody,
  UpdateModelVersionBody,
  UpdateRegisteredModelBody,
  VersionParams,
  type ModelVersionView,
  type RegisteredModelView,
} from '../../../src/shared/contract/registry';
import type { ListResponse } from '../../../src/shared/contract/types';
import { decodeArtifactPath, receiveArtifact, sendArtifact } from './artifacts';

const UploadQuery = z.object({ overwrite: z.enum(['true', 'false']).optional().transform((v) => v === 'true') });

export function modelsRouter({ models }: Services): Router {
  const router = Router();

  const view = async (name: string): Promise<RegisteredModelView> => models.view(await models.getRegistered(name));
  const versionView = async (name: string, version: number): Promise<ModelVersionView> =>
    models.versionView(await models.getRegistered(name), await models.getVersion(name, version));

  router.get(
    '/',
    handle({ query: ListModelsQuery }, async ({ query }): Promise<ListResponse<RegisteredModelView>> => {
      const found = await models.searchRegistered(query);
      return { ...found, limit: query.limit, offset: query.offset };
    }),
  );

  router.post(
    '/',
    handle({ body: CreateRegisteredModelBody }, async ({ body }, _req, res) => {
      const model = await models.createRegistered(body);
      res.status(201).location(encodeURIComponent(model.name));
      return models.view(model, []);
    }),
  );

  router.get(
    '/:name',
    handle({ params: ModelNameParams }, ({ params }) => view(params.name)),
  );

  router.patch(
    '/:name',
    handle({ params: ModelNameParams, body: UpdateRegisteredModelBody }, async ({ params, body }) => {
      let name = params.name;
      if (body.description !== undefined || body.tags !== undefined) await models.updateRegistered(name, body, Object.keys(body).filter((k) => k !== 'name'));
      if (body.name !== undefined && body.name !== name) name = (await models.renameRegistered(name, body.name)).name;
      return view(name);
    }),
  );

  router.delete(
    '/:name',
    handle({ params: ModelNameParams }, async ({ params }) => {
      await models.deleteRegistered(params.name);
    }),
  );

  // ---- versions

  router.get(
    '/:name/versions',
    handle({ params: ModelNameParams, query: ListModelsQuery }, async ({ params, query }): Promise<ListResponse<ModelVersionView>> => {
      const model = await models.getRegistered(params.name);
      const found = await models.searchVersions({ ...query, name: params.name });
      return { items: found.items.map((v) => models.versionView(model, v)), total: found.total, limit: query.limit, offset: query.offset };
    }),
  );

  router.post(
    '/:name/versions',
    handle({ params: ModelNameParams, body: CreateModelVersionBody }, async ({ params, body }, _req, res) => {
      const inner = body.path?.replace(/^\/+|\/+$/g, '') ?? '';
      const source = body.modelId ? `models:/${body.modelId}` : `runs:/${body.runId}${inner ? `/${inner}` : ''}`;
      const version = await models.createVersion(params.name, { source, runId: body.runId ?? null, modelId: body.modelId ?? null, description: body.description, tags: body.tags, userId: null });
      res.status(201).location(`${encodeURIComponent(params.name)}/versions/${version.version}`);
      return versionView(params.name, version.version);
    }),
  );

  router.get(
    '/:name/versions/:version',
    handle({ params: VersionParams }, ({ params }) => versionView(params.name, params.version)),
  );

  router.patch(
    '/:name/versions/:version',
    handle({ params: VersionParams, body: UpdateModelVersionBody }, async ({ params, body }) => {
      const { name, version } = params;
      if (body.description !== undefined || body.tags !== undefined) await models.updateVersion(name, version, body, Object.keys(body).filter((k) => k === 'description' || k === 'tags'));
      if (body.stage !== undefined) await models.transition(name, version, body.stage, body.archiveExisting);
      return versionView(name, version);
    }),
  );

  router.delete(
    '/:name/versions/:version',
    handle({ params: VersionParams }, async ({ params }) => models.deleteVersion(params.name, params.version)),
  );

  router.get(
    '/:name/diff',
    handle({ params: ModelNameParams, query: DiffQuery }, ({ params, query }) => models.diff(params.name, query.a, query.b)),
  );

  // ---- aliases

  router.get(
    '/:name/aliases/:alias',
    handle({ params: AliasParams }, async ({ params }) => {
      const version = await models.versionByAlias(params.name, params.alias);
      return versionView(params.name, version.version);
    }),
  );

  router.put(
    '/:name/aliases/:alias',
    handle({ params: AliasParams, body: SetAliasBody }, async ({ params, body }) => {
      await models.setAlias(params.name, params.alias, body.version);
      return view(params.name);
    }),
  );

  router.delete(
    '/:name/aliases/:alias',
    handle({ params: AliasParams }, async ({ params }) => {
      await models.deleteAlias(params.name, params.alias);
    }),
  );

  return router;
}

export function loggedModelsRouter({ models, artifacts }: Services, maxUploadBytes: number): Router {
  const router = Router();

  router.get(
    '/',
    handle({ query: ListLoggedModelsQuery }, async ({ query }) => {
      const found = await models.searchLogged({
        limit: query.limit,
        offset: query.offset,
        filter: query.filter,
        ...(query.experimentId && { experimentIds: [query.experimentId] }),
        ...(query.runId && { runIds: [query.runId] }),
      });
      return { items: await models.withSourceRuns(found.items), total: found.total, limit: query.limit, offset: query.offset };
    }),
  );

  router.post(
    '/',
    handle({ body: CreateLoggedModelBody }, async ({ body }, _req, res) => {
      const run = await models.runOf(body.runId);
      const model = await models.createLogged({ name: body.name, experimentId: run.experimentId, sourceRunId: run.id, modelType: body.modelType, params: body.params, tags: body.tags });
      res.status(201).location(model.id);
      return model;
    }),
  );

  router.get(
    '/:id',
    handle({ params: LoggedModelParams }, async ({ params }) => (await models.withSourceRuns([await models.getLogged(params.id)]))[0]),
  );

  router.patch(
    '/:id',
    handle({ params: LoggedModelParams, body: UpdateLoggedModelBody }, async ({ params, body }) => {
      if (body.tags) await models.changeLogged(params.id, (m) => ({ ...m, tags: { ...m.tags, ...body.tags } }), ['tags']);
      if (body.status) await models.finalize(params.id, body.status);
      return models.getLogged(params.id);
    }),
  );

  router.delete(
    '/:id',
    handle({ params: LoggedModelParams }, async ({ params }) => {
      await models.deleteLogged(params.id);
    }),
  );

  // ---- files: stored like a run's artifacts (same limits, checksums and path rules), under the model's id

  router.get(
    '/:id/files',
    handle({ params: LoggedModelParams }, async ({ params }) => {
      await models.getLogged(params.id);
      return { items: await artifacts.list(params.id) };
    }),
  );

  router.post(
    '/:id/files',
    handle({ params: LoggedModelParams, query: UploadQuery }, async ({ params, query }, req, res) => {
      await models.getLogged(params.id);
      // A model's files keep MLflow's layout: everything under other/ (MLmodel, model.pkl, …).
      return receiveArtifact(artifacts, params.id, req, res, maxUploadBytes, { overwrite: query.overwrite, category: 'other' });
    }),
  );

  router.get(
    '/:id/files/*rest',
    handle({ params: LoggedModelParams.passthrough() }, async ({ params }, req, res) => {
      const raw = /^\/[^/]+\/files\/(.*)$/.exec(req.path)?.[1] ?? '';
      await sendArtifact(req, res, await artifacts.open(params.id, decodeArtifactPath(raw)));
    }),
  );

  return router;
}
