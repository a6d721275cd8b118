/**
 * The model registry, for ModelLab's routes and MLflow's alike: logged models (with their files, kept
 * like a run's artifacts), registered models, versions and aliases. Every mutation goes through the
 * store's atomic operations and publishes exactly one event.
 *
 * Users mode (./permissions): a logged model goes with its experiment's permissions; a registered
 * model (with its versions and aliases) has its own — read, edit (describe, tag, alias, add
 * versions, rename), manage (delete, share) — and its creator manages it. Registering a version
 * also takes reading its source run or model: no one registers what they cannot see.
 */
import type { EventBus } from '../eventBus';
import type { ArtifactFiles, LoggedModelListOptions, Page, Store } from '../storage';
import {
  LOGGED_MODEL_ID,
  toMetricValue,
  type LoggedModel,
  type LoggedModelStatus,
  type LoggedModelView,
  type ModelStage,
  type ModelVersion,
  type ModelVersionDiff,
  type ModelVersionView,
  type RegisteredModel,
  type RegisteredModelView,
} from '../../src/shared/contract/registry';
import { badRequest, notFound } from '../../src/shared/errors';
import { newId, nowIso } from '../../src/shared/ids';
import { aliasesOf, latestVersions, sourceMissing, type VersionDraft } from '../../src/shared/models/registry';
import { compileRecordFilter, parseRecordFilter, type RecordFields } from '../../src/shared/runs/filter';
import type { CompareResponse } from '../../src/shared/contract/types';
import type { compare } from './compare';
import { currentUser } from './caller';
import type { Permissions } from './permissions';
import type { Level } from '../../src/shared/auth';

/** The fields each kind of registry record can be filtered on (ModelLab's filter language). */
export const REGISTERED_MODEL_FIELDS: RecordFields = { scalars: ['name', 'description', 'createdAt', 'updatedAt', 'lastVersion'], maps: ['tags', 'aliases'] };
export const MODEL_VERSION_FIELDS: RecordFields = {
  scalars: ['name', 'version', 'stage', 'status', 'source', 'runId', 'modelId', 'description', 'userId', 'createdAt', 'updatedAt'],
  maps: ['tags'],
};
export const LOGGED_MODEL_FIELDS: RecordFields = {
  scalars: ['id', 'name', 'experimentId', 'sourceRunId', 'status', 'modelType', 'createdAt', 'updatedAt'],
  maps: ['tags', 'params', 'metrics'],
};

export const recordFilter = <T extends object>(filter: string | undefined, fields: RecordFields): ((record: T) => boolean) | null =>
  filter && filter.trim() ? compileRecordFilter<T>(parseRecordFilter(filter, fields)) : null;

export interface VersionSource {
  /** What the version records as its source. */
  source: string;
  runId: string | null;
  modelId: string | null;
}

export class ModelService {
  constructor(
    private readonly store: Store,
    private readonly files: ArtifactFiles,
    private readonly events: EventBus,
    private readonly compareRuns: (ids: string[]) => ReturnType<typeof compare>,
    private readonly permissions: Permissions,
  ) {}

  /** The experiment a logged model belongs to (404 for an unknown one). */
  readonly experimentOfLogged = async (id: string): Promise<string> => (await this.store.getLoggedModel(id)).experimentId;

  private async requireLogged(id: string, need: Level): Promise<void> {
    if (LOGGED_MODEL_ID.test(id)) await this.permissions.requireOwner(id, need, this.experimentOfLogged); // a malformed id: the store's 404
  }

  // ---------------------------------------------------------------- logged models

  async createLogged(input: { name: string; experimentId: string; sourceRunId: string | null; modelType: string | null; params: Record<string, string>; tags: Record<string, string> }): Promise<LoggedModel> {
    await this.permissions.requireExperiment(input.experimentId, 'edit');
    const experiment = await this.store.getExperiment(input.experimentId).catch(() => null);
    if (!experiment) throw sourceMissing(`experiment '${input.experimentId}' does not exist`);
    const id = `m-${newId()}`;
    const at = nowIso();
    const model = await this.store.createLoggedModel({
      id,
      name: input.name,
      experimentId: input.experimentId,
      sourceRunId: input.sourceRunId,
      status: 'pending',
      statusMessage: null,
      modelType: input.modelType,
      params: input.params,
      tags: input.tags,
      metrics: {},
      outputRuns: input.sourceRunId ? [{ runId: input.sourceRunId, step: 0 }] : [],
      artifactLocation: `${experiment.artifactLocation.replace(/\/+$/, '')}/models/${id}/artifacts`,
      createdAt: at,
      updatedAt: at,
    });
    await this.events.publish('logged_model.created', { id, name: model.name, runId: model.sourceRunId });
    return model;
  }

  /** The run a model is logged from (404 for an unknown run). */
  async runOf(runId: string) {
    await this.permissions.requireRun(runId, 'read');
    return this.store.getRun(runId);
  }

  async getLogged(id: string): Promise<LoggedModel> {
    await this.requireLogged(id, 'read');
    return this.store.getLoggedModel(id);
  }

  /** Logged models with their source run's name, status, dataset version and whether it was evaluated. */
  async withSourceRuns(models: LoggedModel[]): Promise<LoggedModelView[]> {
    const runs = new Map<string, LoggedModelView['sourceRun']>();
    for (const id of new Set(models.map((m) => m.sourceRunId).filter((r): r is string => r !== null))) {
      const run = await this.store.getRun(id).catch(() => null);
      const evaluated = run ? (await this.store.getArtifact(id, 'evaluations/metrics.json')) !== null : false;
      runs.set(id, run && { id: run.id, name: run.name, status: run.status, datasetId: run.datasetId, evaluated });
    }
    return models.map((m) => ({ ...m, sourceRun: m.sourceRunId ? (runs.get(m.sourceRunId) ?? null) : null }));
  }

  /** Only those of experiments the caller may read. */
  async searchLogged(options: LoggedModelListOptions & { filter?: string | undefined }): Promise<Page<LoggedModel>> {
    const where = recordFilter<LoggedModel>(options.filter, LOGGED_MODEL_FIELDS);
    // The store reads no experiment ids (or an empty list) as all of them.
    const requested = options.experimentIds?.length ? options.experimentIds : undefined;
    const experimentIds = await this.permissions.readableExperimentIds(requested);
    if (experimentIds !== requested && experimentIds!.length === 0) return { items: [], total: 0 };
    return this.store.searchLoggedModels({ ...options, ...(experimentIds && { experimentIds }), ...(where && { where }) });
  }

  /** Applies a change to a logged model and announces it. */
  async changeLogged(id: string, change: (current: LoggedModel) => LoggedModel, fields: string[]): Promise<LoggedModel> {
    await this.requireLogged(id, 'edit');
    const model = await this.store.updateLoggedModel(id, (current) => ({ ...change(current), updatedAt: nowIso() }));
    await this.events.publish('logged_model.updated', { id, fields });
    return model;
  }

  finalize(id: string, status: LoggedModelStatus, message: string | null = null): Promise<LoggedModel> {
    return this.changeLogged(id, (m) => ({ ...m, status, statusMessage: message }), ['status']);
  }

  /**
   * Records the latest values of metrics logged with the model's id (MLflow's model_id on a metric).
   * No event of its own: the points were logged to a run, whose metrics.logged (or run.updated) is
   * the request's one event.
   */
  async recordMetrics(id: string, points: { key: string; value: number; step: number }[]): Promise<LoggedModel> {
    await this.requireLogged(id, 'edit');
    return this.store.updateLoggedModel(id, (m) => {
      const metrics = { ...m.metrics };
      for (const p of points) metrics[p.key] = toMetricValue(p.value);
      return { ...m, metrics, updatedAt: nowIso() };
    });
  }

  /** A run lists models among its outputs (MLflow's runs/outputs): one change per model, one event for the request. */
  async linkOutputs(runId: string, outputs: { modelId: string; step: number }[]): Promise<void> {
    await this.permissions.requireRun(runId, 'edit');
    await this.store.getRun(runId);
    for (const o of outputs) await this.getLogged(o.modelId);
    for (const o of outputs) {
      await this.store.updateLoggedModel(o.modelId, (m) => ({
        ...m,
        outputRuns: [...m.outputRuns.filter((r) => !(r.runId === runId && r.step === o.step)), { runId, step: o.step }],
        updatedAt: nowIso(),
      }));
    }
    await this.events.publish('logged_model.updated', { ids: outputs.map((o) => o.modelId), runId, fields: ['outputRuns'] });
  }

  async deleteLogged(id: string): Promise<void> {
    if (!LOGGED_MODEL_ID.test(id)) throw badRequest(`invalid logged model id '${id}'`);
    await this.requireLogged(id, 'manage');
    await this.files.exclusive(id, async () => {
      await this.store.deleteLoggedModel(id); // 409 while a version is registered from it
      await this.files.removeAll(id);
    });
    await this.events.publish('logged_model.deleted', { id });
  }

  // ---------------------------------------------------------------- registered models

  async view(model: RegisteredModel, versions?: ModelVersion[]): Promise<RegisteredModelView> {
    const all = versions ?? (await this.store.listModelVersions(model.name));
    return { ...model, latestVersions: latestVersions(all), versionCount: all.length };
  }

  versionView = (model: RegisteredModel, v: ModelVersion): ModelVersionView => ({ ...v, aliases: aliasesOf(model, v.version) });

  async createRegistered(input: { name: string; description: string; tags: Record<string, string> }): Promise<RegisteredModel> {
    this.permissions.requireRole('edit');
    const model = await this.store.createRegisteredModel({ ...input, createdBy: currentUser()?.name ?? null });
    await this.events.publish('registered_model.created', { name: model.name });
    return model;
  }

  async getRegistered(name: string): Promise<RegisteredModel> {
    await this.permissions.requireModel(name, 'read');
    return this.store.getRegisteredModel(name);
  }

  /** Registered models matching a filter (name order), a page of them with their latest versions. */
  async searchRegistered(options: { filter?: string | undefined; limit: number; offset: number }): Promise<Page<RegisteredModelView>> {
    const keep = recordFilter<RegisteredModel>(options.filter, REGISTERED_MODEL_FIELDS);
    const readable = await this.permissions.readable('model', await this.store.listRegisteredModels(), (e) => e.model.name);
    const matching = readable.filter((e) => keep === null || keep(e.model));
    const items = await Promise.all(matching.slice(options.offset, options.offset + options.limit).map((e) => this.view(e.model, e.versions)));
    return { items, total: matching.length };
  }

  async updateRegistered(name: string, patch: { description?: string | undefined; tags?: Record<string, string> | undefined }, fields: string[]): Promise<RegisteredModel> {
    await this.permissions.requireModel(name, 'edit');
    const model = await this.store.updateRegisteredModel(name, (m) => ({ ...m, ...(patch.description !== undefined && { description: patch.description }), ...(patch.tags !== undefined && { tags: patch.tags }) }));
    await this.events.publish('registered_model.updated', { name, fields });
    return model;
  }

  async renameRegistered(name: string, newName: string): Promise<RegisteredModel> {
    await this.permissions.requireModel(name, 'edit');
    const model = await this.store.renameRegisteredModel(name, newName);
    await this.permissions.renameModel(name, newName);
    await this.events.publish('registered_model.updated', { name: newName, previousName: name, fields: ['name'] });
    return model;
  }

  async deleteRegistered(name: string): Promise<void> {
    await this.permissions.requireModel(name, 'manage');
    await this.store.deleteRegisteredModel(name);
    await this.permissions.forget('model', name);
    await this.events.publish('registered_model.deleted', { name });
  }

  async setAlias(name: string, alias: string, version: number): Promise<RegisteredModel> {
    await this.permissions.requireModel(name, 'edit');
    const model = await this.store.setRegisteredModelAlias(name, alias, version);
    await this.events.publish('registered_model.updated', { name, fields: ['aliases'], alias, version });
    return model;
  }

  async deleteAlias(name: string, alias: string): Promise<RegisteredModel> {
    await this.permissions.requireModel(name, 'edit');
    const model = await this.store.deleteRegisteredModelAlias(name, alias);
    await this.events.publish('registered_model.updated', { name, fields: ['aliases'], alias, version: null });
    return model;
  }

  async versionByAlias(name: string, alias: string): Promise<ModelVersion> {
    await this.permissions.requireModel(name, 'read');
    const model = await this.store.getRegisteredModel(name);
    const version = Object.hasOwn(model.aliases, alias) ? model.aliases[alias] : undefined;
    if (version === undefined) throw notFound('alias', `${name}@${alias}`);
    return this.store.getModelVersion(name, version);
  }

  // ---------------------------------------------------------------- versions

  /**
   * What a source URI names: `models:/m-…` a logged model; `runs:/<run>/<path>` a run (and its
   * logged model of that name, when it has one); `mlflow-artifacts:/<exp>/<run>/artifacts/…` or
   * `…/models/<m-id>/artifacts` the run or model behind that folder. Unknown runs and models are 422.
   */
  async resolveSource(source: string, runId: string | null, modelId: string | null): Promise<VersionSource> {
    const model = /^models:\/(m-[0-9a-f]{32})\/?$/.exec(source)?.[1];
    if (model) modelId ??= model;
    const run = /^runs:\/([^/]+)(?:\/(.*))?$/.exec(source);
    if (run) {
      runId ??= run[1]!;
      const inner = (run[2] ?? '').replace(/\/+$/, '');
      if (!modelId && inner && !inner.includes('/')) {
        const produced = await this.store.searchLoggedModels({ runIds: [runId], name: inner, limit: 1, offset: 0 });
        modelId = produced.items[0]?.id ?? null;
      }
    }
    const proxied = /^mlflow-artifacts:\/[^/]+\/(?:models\/(m-[0-9a-f]{32})|([0-9a-f]{32}))\/artifacts(?:\/|$)/.exec(source);
    if (proxied?.[1]) modelId ??= proxied[1];
    if (proxied?.[2]) runId ??= proxied[2];
    if (modelId) {
      const logged = await this.store.getLoggedModel(modelId).catch(() => null);
      if (!logged) throw sourceMissing(`logged model '${modelId}' does not exist`);
      runId ??= logged.sourceRunId;
    }
    if (runId && !(await this.store.getRun(runId).catch(() => null))) throw sourceMissing(`run '${runId}' does not exist`);
    return { source, runId, modelId };
  }

  async createVersion(name: string, input: { source: string; runId: string | null; modelId: string | null; description: string; tags: Record<string, string>; userId: string | null }): Promise<ModelVersion> {
    await this.permissions.requireModel(name, 'edit');
    await this.store.getRegisteredModel(name); // 404 before resolving the source
    const resolved = await this.resolveSource(input.source, input.runId, input.modelId);
    if (resolved.runId) await this.permissions.requireRun(resolved.runId, 'read');
    if (resolved.modelId) await this.requireLogged(resolved.modelId, 'read');
    // Users mode: the signed-in user registered it, whatever the client says (MLflow's user_id).
    const draft: VersionDraft = { ...resolved, status: 'ready', statusMessage: null, description: input.description, tags: input.tags, userId: currentUser()?.name ?? input.userId };
    const version = await this.store.createModelVersion(name, draft);
    await this.events.publish('model_version.created', { name, version: version.version, runId: version.runId, modelId: version.modelId });
    return version;
  }

  async getVersion(name: string, version: number): Promise<ModelVersion> {
    await this.permissions.requireModel(name, 'read');
    return this.store.getModelVersion(name, version);
  }

  /** Versions matching a filter, newest first; of one model, or of all. */
  async searchVersions(options: { name?: string | undefined; filter?: string | undefined; limit: number; offset: number }): Promise<Page<ModelVersion>> {
    const keep = recordFilter<ModelVersion>(options.filter, MODEL_VERSION_FIELDS);
    if (options.name !== undefined) await this.permissions.requireModel(options.name, 'read');
    const readable = await this.permissions.readable('model', await this.store.listModelVersions(options.name), (v) => v.name);
    const all = readable.filter((v) => keep === null || keep(v));
    all.sort((a, b) => (a.name === b.name ? b.version - a.version : a.name < b.name ? -1 : 1));
    return { items: all.slice(options.offset, options.offset + options.limit), total: all.length };
  }

  async updateVersion(name: string, version: number, patch: { description?: string | undefined; tags?: Record<string, string> | undefined }, fields: string[]): Promise<ModelVersion> {
    await this.permissions.requireModel(name, 'edit');
    const updated = await this.store.updateModelVersion(name, version, (v) => ({
      ...v,
      ...(patch.description !== undefined && { description: patch.description }),
      ...(patch.tags !== undefined && { tags: patch.tags }),
    }));
    await this.events.publish('model_version.updated', { name, version, fields });
    return updated;
  }

  async transition(name: string, version: number, stage: ModelStage, archiveExisting: boolean): Promise<ModelVersion> {
    await this.permissions.requireModel(name, 'edit');
    const updated = await this.store.transitionModelVersionStage(name, version, stage, archiveExisting);
    await this.events.publish('model_version.updated', { name, version, fields: ['stage'], stage });
    return updated;
  }

  async deleteVersion(name: string, version: number): Promise<{ removedAliases: string[] }> {
    await this.permissions.requireModel(name, 'manage');
    const result = await this.store.deleteModelVersion(name, version);
    await this.events.publish('model_version.deleted', { name, version, removedAliases: result.removedAliases });
    return result;
  }

  /** Where a version's files are, as an artifact URI MLflow's client can download from. */
  async downloadUri(v: ModelVersion): Promise<string> {
    if (v.modelId) return (await this.store.getLoggedModel(v.modelId)).artifactLocation;
    const run = /^runs:\/([^/]+)(?:\/(.*))?$/.exec(v.source);
    if (run) {
      const found = await this.store.getRun(run[1]!);
      const experiment = await this.store.getExperiment(found.experimentId);
      const inner = (run[2] ?? '').replace(/^\/+|\/+$/g, '');
      return `${experiment.artifactLocation.replace(/\/+$/, '')}/${found.id}/artifacts${inner ? `/${inner}` : ''}`;
    }
    return v.source;
  }

  /** Two versions side by side: their runs through Compare (paired tests when both were evaluated on the same examples). */
  async diff(name: string, a: number, b: number): Promise<ModelVersionDiff> {
    await this.permissions.requireModel(name, 'read');
    const model = await this.store.getRegisteredModel(name);
    const [va, vb] = await Promise.all([this.store.getModelVersion(name, a), this.store.getModelVersion(name, b)]);
    const views = { a: this.versionView(model, va), b: this.versionView(model, vb) };
    if (!va.runId || !vb.runId) return { ...views, compare: null, reason: 'a version without a source run has nothing to compare' };
    if (va.runId === vb.runId) return { ...views, compare: null, reason: 'both versions come from the same run' };
    const { runs, result, series } = await this.compareRuns([va.runId, vb.runId]);
    const compared: CompareResponse = { runs, ...result, series };
    return { ...views, compare: compared, reason: null };
  }
}
