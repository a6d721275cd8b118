/**
 * MLflow 3's logged models and MLflow's model registry over ModelLab's ModelService, as MLflow's
 * service.proto and model_registry.proto define them and its 3.x Python client calls them:
 *   /mlflow/logged-models…            create, get, finalize, delete, search, params, tags
 *   /mlflow/runs/outputs              a run's model outputs (run.outputs.model_outputs)
 *   /mlflow/registered-models/…       create, get, rename, update, delete, search, latest versions, tags, aliases
 *   /mlflow/model-versions/…          create, get, update, delete, search, stages, download URI, tags
 * Version numbers are strings in answers; errors are MLflow's codes and wording.
 */
import type { Run } from '../../../src/shared/contract/types';
import { MODEL_STAGES, modelName, type LoggedModel, type ModelStage, type ModelVersion, type RegisteredModel } from '../../../src/shared/contract/registry';
import { AppError } from '../../../src/shared/errors';
import { aliasesOf, latestVersions } from '../../../src/shared/models/registry';
import type { Services } from '../../services';
import type { Endpoint } from './index';
import { alreadyExists, doesNotExist, invalidParameter, MAX_RESULTS_DEFAULT, TAG_USER } from './protocol';
import { compareNumber, compareString, page, parseOrderBy, parseSearchFilter, type Clause, type OrderTerm } from './search';
import { loggedModelView, loggedStatusFromMlflow, modelVersionView, registeredModelView } from './views';
import * as S from './schemas';

interface Helpers {
  orDoesNotExist: <T>(lookup: Promise<T>, message: string) => Promise<T>;
  runOr404: (id: string) => Promise<Run>;
  activeRun: (id: string) => Promise<Run>;
}

const REGISTRY_MAX_RESULTS_DEFAULT = 100;
const VERSIONS_MAX_RESULTS_DEFAULT = 10_000;
const toRecord = (items: { key: string; value: string }[] | undefined) => Object.fromEntries((items ?? []).map((t) => [t.key, t.value]));

/** A stage as MLflow's server takes it: any case, answered in canonical form. */
function canonicalStage(stage: string): ModelStage {
  const found = MODEL_STAGES.find((s) => s.toLowerCase() === stage.toLowerCase());
  if (!found) throw invalidParameter(`Invalid Model Version stage: ${stage}. Value must be one of ${MODEL_STAGES.join(', ')}.`);
  return found;
}

function checkedName(name: string): string {
  const result = modelName.safeParse(name);
  if (!result.success) throw invalidParameter(`Invalid value '${name}' for parameter 'name': ${result.error.issues[0]!.message}`);
  return result.data;
}

/** A condition on a registry record's tag: `!=` also holds when the tag is absent (so the client's prompt filter keeps every model). */
const tagMatches = (tags: Record<string, string>, c: Clause) => (Object.hasOwn(tags, c.key) ? compareString(tags[c.key], c, 'tag') : c.comparator === '!=' || c.comparator === 'NOT IN');

function loggedModelMatcher(clauses: Clause[]): (m: LoggedModel) => boolean {
  return (m) =>
    clauses.every((c) => {
      switch (c.type) {
        case 'metric': {
          const v = m.metrics[c.key];
          return compareNumber(v === undefined ? undefined : Number(v), c, 'metric');
        }
        case 'param':
          return compareString(m.params[c.key], c, 'param');
        case 'tag':
          return tagMatches(m.tags, c);
        case 'attribute':
          switch (c.key) {
            case 'name':
              return compareString(m.name, c, 'attribute');
            case 'model_id':
              return compareString(m.id, c, 'attribute');
            case 'source_run_id':
              return compareString(m.sourceRunId ?? undefined, c, 'attribute');
            case 'model_type':
              return compareString(m.modelType ?? undefined, c, 'attribute');
            case 'status':
              return compareString(loggedModelView(m).info.status, c, 'attribute');
            case 'creation_timestamp':
            case 'creation_time':
              return compareNumber(Date.parse(m.createdAt), c, 'attribute');
            case 'last_updated_timestamp':
              return compareNumber(Date.parse(m.updatedAt), c, 'attribute');
            default:
              throw invalidParameter(`Invalid attribute key '${c.key}' for logged models: use name, model_id, source_run_id, model_type, status, creation_timestamp, last_updated_timestamp`);
          }
        default:
          throw invalidParameter(`Invalid entity type '${c.type}' for logged models: use attributes, metrics, params or tags`);
      }
    });
}

/** A logged model's value for an order_by field name (`metrics.<key>` and `params.<key>` too). */
function loggedModelField(m: LoggedModel, field: string): string | number | undefined {
  if (field.startsWith('metrics.')) {
    const v = m.metrics[field.slice('metrics.'.length)];
    return v === undefined ? undefined : Number(v);
  }
  if (field.startsWith('params.')) return m.params[field.slice('params.'.length)];
  switch (field) {
    case 'name':
      return m.name;
    case 'model_id':
      return m.id;
    case 'creation_timestamp':
    case 'creation_time':
      return Date.parse(m.createdAt);
    case 'last_updated_timestamp':
      return Date.parse(m.updatedAt);
    default:
      throw invalidParameter(`Invalid order_by field '${field}' for logged models`);
  }
}

function registeredModelMatcher(clauses: Clause[]): (m: RegisteredModel) => boolean {
  return (m) =>
    clauses.every((c) => {
      if (c.type === 'tag') return tagMatches(m.tags, c);
      if (c.type === 'attribute' && c.key === 'name') return compareString(m.name, c, 'attribute');
      throw invalidParameter(`Invalid filter '${c.type}.${c.key}' for registered models: use name or tags.<key>`);
    });
}

function modelVersionMatcher(clauses: Clause[]): (v: ModelVersion) => boolean {
  return (v) =>
    clauses.every((c) => {
      if (c.type === 'tag') return tagMatches(v.tags, c);
      if (c.type !== 'attribute') throw invalidParameter(`Invalid filter '${c.type}.${c.key}' for model versions: use name, version_number, run_id, source_path or tags.<key>`);
      switch (c.key) {
        case 'name':
          return compareString(v.name, c, 'attribute');
        case 'run_id':
          return compareString(v.runId ?? undefined, c, 'attribute');
        case 'source_path':
          return compareString(v.source, c, 'attribute');
        case 'version_number':
          return compareNumber(v.version, c, 'attribute');
        case 'current_stage':
          return compareString(v.stage, c, 'attribute');
        default:
          throw invalidParameter(`Invalid attribute '${c.key}' for model versions: use name, version_number, run_id, source_path or current_stage`);
      }
    });
}

/**
 * Sorted by `terms`, then `defaults` (missing values last in either direction), and the page the
 * token names: what each registry search answers.
 */
function orderAndPage<T>(
  items: T[],
  terms: OrderTerm[],
  value: (item: T, key: string) => string | number | undefined,
  defaults: OrderTerm[],
  maxResults: number,
  token: string | undefined,
): { items: T[]; nextPageToken?: string } {
  const all = [...terms, ...defaults];
  const sorted = [...items].sort((a, b) => {
    for (const t of all) {
      const x = value(a, t.key);
      const y = value(b, t.key);
      if (x === y) continue;
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : 1;
      return t.ascending ? order : -order;
    }
    return 0;
  });
  return page(sorted, maxResults, token);
}

export function registryEndpoints(endpoint: Endpoint, services: Services, { orDoesNotExist, runOr404, activeRun }: Helpers): void {
  const { models } = services;

  const loggedOr404 = (id: string) => orDoesNotExist(models.getLogged(id), `Logged model with ID '${id}' not found.`);
  const registeredOr404 = (name: string) => orDoesNotExist(models.getRegistered(name), `Registered Model with name=${name} not found`);
  const versionOr404 = (name: string, version: number) => orDoesNotExist(models.getVersion(name, version), `Model Version (name=${name}, version=${version}) not found`);
  /** A store change whose 404 names the registered model or version in MLflow's words. */
  const onVersion = <T>(name: string, version: number, work: Promise<T>) => orDoesNotExist(work, `Model Version (name=${name}, version=${version}) not found`);

  const registeredView = async (name: string) => {
    const model = await registeredOr404(name);
    return registeredModelView(model, (await models.view(model)).latestVersions);
  };
  const versionView = async (v: ModelVersion) => modelVersionView(v, aliasesOf(await models.getRegistered(v.name), v.version));

  // ---------------------------------------------------------------- logged models

  endpoint(['post'], 'logged-models', S.CreateLoggedModel, async (body) => {
    await orDoesNotExist(services.experiments.get(body.experiment_id), `No Experiment with id=${body.experiment_id} exists`);
    if (body.source_run_id) {
      const run = await runOr404(body.source_run_id);
      if (run.experimentId !== body.experiment_id) throw invalidParameter(`Run ${run.id} is not in experiment ${body.experiment_id}`);
    }
    const model = await models.createLogged({
      name: body.name?.trim() || `model-${Math.random().toString(16).slice(2, 10)}`,
      experimentId: body.experiment_id,
      sourceRunId: body.source_run_id ?? null,
      modelType: body.model_type ?? null,
      params: toRecord(body.params),
      tags: toRecord(body.tags),
    });
    return { model: loggedModelView(model) };
  });

  endpoint(['get'], 'logged-models/:model_id', S.LoggedModelRef, async (q) => ({ model: loggedModelView(await loggedOr404(q.model_id)) }));

  endpoint(['patch'], 'logged-models/:model_id', S.FinalizeLoggedModel, async (body) => {
    const status = loggedStatusFromMlflow(body.status);
    // Finalizing ends the upload: READY or UPLOAD_FAILED (as MLflow's store), never back to PENDING.
    if (status !== 'ready' && status !== 'failed') throw invalidParameter(`Invalid value '${String(body.status)}' for parameter 'status': use LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED`);
    await loggedOr404(body.model_id);
    return { model: loggedModelView(await models.finalize(body.model_id, status)) };
  });

  endpoint(['delete'], 'logged-models/:model_id', S.LoggedModelRef, async (body) => {
    await loggedOr404(body.model_id);
    await models.deleteLogged(body.model_id);
    return {};
  });

  endpoint(['post'], 'logged-models/search', S.SearchLoggedModels, async (body) => {
    const matches = loggedModelMatcher(parseSearchFilter(body.filter));
    const all = await models.searchLogged({ experimentIds: body.experiment_ids ?? [], limit: Number.MAX_SAFE_INTEGER, offset: 0 });
    const terms = (body.order_by ?? []).map((o): OrderTerm => ({ type: 'attribute', key: o.field_name, ascending: o.ascending !== false }));
    const result = orderAndPage(
      all.items.filter(matches),
      terms,
      loggedModelField,
      [
        { type: 'attribute', key: 'creation_timestamp', ascending: false },
        { type: 'attribute', key: 'model_id', ascending: true },
      ],
      body.max_results ?? MAX_RESULTS_DEFAULT,
      body.page_token,
    );
    return { models: result.items.map(loggedModelView), ...(result.nextPageToken && { next_page_token: result.nextPageToken }) };
  });

  endpoint(['post'], 'logged-models/:model_id/params', S.LogLoggedModelParams, async (body) => {
    await loggedOr404(body.model_id);
    const params = toRecord(body.params);
    await models.changeLogged(body.model_id, (m) => ({ ...m, params: { ...m.params, ...params } }), ['params']);
    return {};
  });

  endpoint(['patch'], 'logged-models/:model_id/tags', S.SetLoggedModelTags, async (body) => {
    await loggedOr404(body.model_id);
    const tags = toRecord(body.tags);
    await models.changeLogged(body.model_id, (m) => ({ ...m, tags: { ...m.tags, ...tags } }), ['tags']);
    return {};
  });

  const deleteLoggedTag = async (body: { model_id: string; tag_key: string }) => {
    const model = await loggedOr404(body.model_id);
    if (!Object.hasOwn(model.tags, body.tag_key)) throw doesNotExist(`No tag with key '${body.tag_key}' found for logged model '${body.model_id}'.`);
    await models.changeLogged(
      body.model_id,
      (m) => {
        const tags = { ...m.tags };
        delete tags[body.tag_key];
        return { ...m, tags };
      },
      ['tags'],
    );
    return {};
  };
  endpoint(['delete'], 'logged-models/:model_id/tags/:tag_key', S.DeleteLoggedModelTag, deleteLoggedTag);
  endpoint(['delete'], 'logged-models/:model_id/tags', S.DeleteLoggedModelTag, deleteLoggedTag);

  endpoint(['post'], 'runs/outputs', S.LogOutputs, async (body) => {
    await activeRun(body.run_id);
    const outputs = (body.models ?? []).map((m) => ({ modelId: m.model_id, step: m.step ?? 0 }));
    for (const o of outputs) await loggedOr404(o.modelId);
    if (outputs.length > 0) await models.linkOutputs(body.run_id, outputs);
    return {};
  });

  // ---------------------------------------------------------------- registered models

  endpoint(['post'], 'registered-models/create', S.CreateRegisteredModel, async (body) => {
    const name = checkedName(body.name);
    try {
      await models.createRegistered({ name, description: body.description ?? '', tags: toRecord(body.tags) });
    } catch (error) {
      if (error instanceof AppError && error.status === 409) throw alreadyExists(`Registered Model (name=${name}) already exists.`);
      throw error;
    }
    return { registered_model: await registeredView(name) };
  });

  endpoint(['get'], 'registered-models/get', S.RegisteredModelRef, async (q) => ({ registered_model: await registeredView(q.name) }));

  endpoint(['post'], 'registered-models/rename', S.RenameRegisteredModel, async (body) => {
    await registeredOr404(body.name);
    const newName = checkedName(body.new_name);
    try {
      await models.renameRegistered(body.name, newName);
    } catch (error) {
      if (error instanceof AppError && error.status === 409) throw alreadyExists(`Registered Model (name=${newName}) already exists.`);
      throw error;
    }
    return { registered_model: await registeredView(newName) };
  });

  endpoint(['patch'], 'registered-models/update', S.UpdateRegisteredModel, async (body) => {
    await registeredOr404(body.name);
    if (body.description !== undefined) await models.updateRegistered(body.name, { description: body.description }, ['description']);
    return { registered_model: await registeredView(body.name) };
  });

  endpoint(['delete'], 'registered-models/delete', S.RegisteredModelRef, async (body) => {
    await registeredOr404(body.name);
    await models.deleteRegistered(body.name);
    return {};
  });

  endpoint(['get'], 'registered-models/search', S.SearchRegistry, async (q) => {
    const matches = registeredModelMatcher(parseSearchFilter(q.filter));
    const all = (await models.searchRegistered({ limit: Number.MAX_SAFE_INTEGER, offset: 0 })).items.filter(matches);
    const result = orderAndPage(
      all,
      parseOrderBy(q.order_by),
      (m, key) => (key === 'name' ? m.name : key === 'last_updated_timestamp' || key === 'timestamp' ? Date.parse(m.updatedAt) : key === 'creation_timestamp' ? Date.parse(m.createdAt) : undefined),
      [{ type: 'attribute', key: 'name', ascending: true }],
      q.max_results ?? REGISTRY_MAX_RESULTS_DEFAULT,
      q.page_token,
    );
    return {
      registered_models: result.items.map((m) => registeredModelView(m, m.latestVersions)),
      ...(result.nextPageToken && { next_page_token: result.nextPageToken }),
    };
  });

  endpoint(['get', 'post'], 'registered-models/get-latest-versions', S.GetLatestVersions, async (q) => {
    const model = await registeredOr404(q.name);
    const versions = (await models.searchVersions({ name: q.name, limit: Number.MAX_SAFE_INTEGER, offset: 0 })).items;
    return { model_versions: latestVersions(versions, q.stages).map((v) => modelVersionView(v, aliasesOf(model, v.version))) };
  });

  endpoint(['post'], 'registered-models/set-tag', S.SetRegisteredModelTag, async (body) => {
    await registeredOr404(body.name);
    await models.updateRegistered(body.name, { tags: { ...(await models.getRegistered(body.name)).tags, [body.key]: body.value } }, ['tags']);
    return {};
  });

  endpoint(['delete'], 'registered-models/delete-tag', S.DeleteRegisteredModelTag, async (body) => {
    const model = await registeredOr404(body.name);
    const tags = { ...model.tags };
    delete tags[body.key];
    await models.updateRegistered(body.name, { tags }, ['tags']);
    return {};
  });

  endpoint(['post'], 'registered-models/alias', S.SetAlias, async (body) => {
    await registeredOr404(body.name);
    await onVersion(body.name, body.version, models.setAlias(body.name, body.alias, body.version));
    return {};
  });

  endpoint(['delete'], 'registered-models/alias', S.AliasRef, async (body) => {
    await registeredOr404(body.name);
    await orDoesNotExist(models.deleteAlias(body.name, body.alias), `Registered model alias ${body.alias} not found.`);
    return {};
  });

  endpoint(['get'], 'registered-models/alias', S.AliasRef, async (q) => {
    await registeredOr404(q.name);
    const version = await orDoesNotExist(models.versionByAlias(q.name, q.alias), `Registered model alias ${q.alias} not found.`);
    return { model_version: await versionView(version) };
  });

  // ---------------------------------------------------------------- model versions

  endpoint(['post'], 'model-versions/create', S.CreateModelVersion, async (body) => {
    await registeredOr404(body.name);
    const tags = toRecord(body.tags);
    const version = await models.createVersion(body.name, {
      source: body.source,
      runId: body.run_id || null,
      modelId: body.model_id || null,
      description: body.description ?? '',
      tags,
      userId: tags[TAG_USER] ?? null,
    });
    return { model_version: await versionView(version) };
  });

  endpoint(['get'], 'model-versions/get', S.ModelVersionRef, async (q) => {
    await registeredOr404(q.name);
    return { model_version: await versionView(await versionOr404(q.name, q.version)) };
  });

  endpoint(['patch'], 'model-versions/update', S.UpdateModelVersion, async (body) => {
    await registeredOr404(body.name);
    await versionOr404(body.name, body.version);
    const v = body.description === undefined ? await models.getVersion(body.name, body.version) : await models.updateVersion(body.name, body.version, { description: body.description }, ['description']);
    return { model_version: await versionView(v) };
  });

  endpoint(['delete'], 'model-versions/delete', S.ModelVersionRef, async (body) => {
    await registeredOr404(body.name);
    await onVersion(body.name, body.version, models.deleteVersion(body.name, body.version));
    return {};
  });

  endpoint(['get'], 'model-versions/search', S.SearchRegistry, async (q) => {
    const matches = modelVersionMatcher(parseSearchFilter(q.filter));
    const all = (await models.searchVersions({ limit: Number.MAX_SAFE_INTEGER, offset: 0 })).items.filter(matches);
    const result = orderAndPage(
      all,
      parseOrderBy(q.order_by),
      (v, key) => (key === 'name' ? v.name : key === 'version_number' ? v.version : key === 'creation_timestamp' ? Date.parse(v.createdAt) : key === 'last_updated_timestamp' ? Date.parse(v.updatedAt) : undefined),
      [
        { type: 'attribute', key: 'name', ascending: true },
        { type: 'attribute', key: 'version_number', ascending: false },
      ],
      q.max_results ?? VERSIONS_MAX_RESULTS_DEFAULT,
      q.page_token,
    );
    const registered = new Map<string, RegisteredModel>();
    for (const v of result.items) if (!registered.has(v.name)) registered.set(v.name, await models.getRegistered(v.name));
    return {
      model_versions: result.items.map((v) => modelVersionView(v, aliasesOf(registered.get(v.name)!, v.version))),
      ...(result.nextPageToken && { next_page_token: result.nextPageToken }),
    };
  });

  endpoint(['post'], 'model-versions/transition-stage', S.TransitionStage, async (body) => {
    await registeredOr404(body.name);
    const stage = canonicalStage(body.stage);
    const v = await onVersion(body.name, body.version, models.transition(body.name, body.version, stage, body.archive_existing_versions ?? false));
    return { model_version: await versionView(v) };
  });

  endpoint(['get'], 'model-versions/get-download-uri', S.ModelVersionRef, async (q) => {
    await registeredOr404(q.name);
    return { artifact_uri: await models.downloadUri(await versionOr404(q.name, q.version)) };
  });

  endpoint(['post'], 'model-versions/set-tag', S.SetModelVersionTag, async (body) => {
    await registeredOr404(body.name);
    const v = await versionOr404(body.name, body.version);
    await models.updateVersion(body.name, body.version, { tags: { ...v.tags, [body.key]: body.value } }, ['tags']);
    return {};
  });

  endpoint(['delete'], 'model-versions/delete-tag', S.DeleteModelVersionTag, async (body) => {
    await registeredOr404(body.name);
    const v = await versionOr404(body.name, body.version);
    const tags = { ...v.tags };
    delete tags[body.key];
    await models.updateVersion(body.name, body.version, { tags }, ['tags']);
    return {};
  });
}
