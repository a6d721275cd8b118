/**
 * MLflow's tracking REST API (2.0) over ModelLab's runs, so training scripts that use MLflow's
 * client log to ModelLab unchanged (MLFLOW_TRACKING_URI=http://127.0.0.1:3000):
 *   /api/2.0/mlflow/…            experiments, runs, params, metrics, tags, inputs, metric history
 *   /api/2.0/mlflow-artifacts/…  the proxied artifact store (PUT, GET, list), over ModelLab's artifact folders
 * Bodies and errors are MLflow's: snake_case fields, times in ms, `{error_code, message}`.
 */
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { ARTIFACT_CATEGORIES } from '../../../src/shared/contract/constants';
import { nowIso } from '../../../src/shared/ids';
import { MAX_JSON_DEPTH, pathPastDepth } from '../../../src/shared/jsonDepth';
import { withoutTag, withParams, withStatus, withTags } from './changes';
import { alreadyExists, doesNotExist, invalidParameter, isoFromMs, MAX_BATCH_METRICS, MAX_BATCH_PARAMS, MAX_BATCH_TAGS, MAX_BATCH_TOTAL, MAX_RESULTS_DEFAULT, MlflowError, statusFromMlflow, TAG_MODEL_HISTORY, TAG_RUN_NAME, TAG_USER, toMlflowError } from './protocol';
import { decodePageToken, experimentMatcher, nextPageToken, page, parseOrderBy, parseSearchFilter, runFilterExpr, runSortSpecs, sortExperimentViews } from './search';
import { experimentView, mlflowArtifactPath, runInfo, runView } from './views';
import { newRun } from '../../../src/shared/runs/lifecycle';
import { CreateRunBody } from '../../../src/shared/contract/schemas';
import type { Services } from '../../services';
import type { Experiment, LifecycleStage, Run, RunDatasetInput } from '../../../src/shared/contract/types';
import { AppError } from '../../../src/shared/errors';
import { jsonBody, limitJsonDepth, toAppError } from '../../http';
import { access, type AccessConfig, callerScope, principalOf } from '../../http/access';
import { refuseCreatorTag } from '../../services/runs';
import { decodeArtifactPath, sendArtifact } from '../modellab/artifacts';
import { receiveRawBody } from '../../http/upload';
import * as S from './schemas';
import { registryEndpoints } from './models';
import { LOGGED_MODEL_ID, toMetricValue } from '../../../src/shared/contract/registry';

export interface MlflowConfig {
  /** Who may do what (api/http/access.ts), as for ModelLab's API. */
  access: AccessConfig;
  jsonLimitBytes: number;
  maxUploadBytes: number;
}

/** Drops empty lists, as MLflow's protobuf JSON does (`{}` for a search without results). */
function protoJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(protoJson);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    out[key] = protoJson(v);
  }
  return out;
}

/** The first problem of a request as MLflow words it. */
function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.join('.');
  if (issue.code === 'invalid_type' && issue.input === undefined) throw invalidParameter(`Missing value for required parameter '${field}'.`);
  throw invalidParameter(`Invalid value for parameter '${field}': ${issue.message}`);
}

const VIEW_TO_LIFECYCLE: Record<'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL', LifecycleStage | 'all'> = { ACTIVE_ONLY: 'active', DELETED_ONLY: 'deleted', ALL: 'all' };
const READ_ONLY_POSTS = new Set(['/mlflow/experiments/search', '/mlflow/runs/search', '/mlflow/experiments/list', '/mlflow/logged-models/search', '/mlflow/registered-models/get-latest-versions']);
const MODELLAB_CATEGORIES = new Set<string>(ARTIFACT_CATEGORIES.filter((c) => c !== 'other'));

/** Declares a JSON endpoint: input from the query (GET) or the body (plus path parameters), answer as protobuf JSON. */
export type Endpoint = <T extends z.ZodType>(
  methods: ('get' | 'post' | 'patch' | 'delete')[],
  path: string,
  schema: T,
  fn: (input: z.output<T>, caller: Caller) => Promise<unknown>,
) => void;

/** Who calls (users mode: the signed-in user's name; null without users). */
export interface Caller {
  user: string | null;
}

export function mlflowRouter(services: Services, config: MlflowConfig, log: (message: string, error: unknown) => void): Router {
  const { runs, experiments, series, artifacts, models } = services;
  const router = Router();
  // Searches are reads even when POSTed.
  router.use(access(config.access, { isRead: (req) => ['GET', 'HEAD', 'OPTIONS'].includes(req.method) || (req.method === 'POST' && READ_ONLY_POSTS.has(req.path)) }));
  router.use('/mlflow', jsonBody({ limit: config.jsonLimitBytes, type: () => true }), limitJsonDepth);
  router.use(callerScope);

  /** A JSON endpoint: input from the query (GET) or the body, answer as MLflow's protobuf JSON. */
  const endpoint: Endpoint = (methods, path, schema, fn) => {
    const handler: RequestHandler = async (req, res) => {
      // Path parameters (logged-models/:model_id) join the fields; a DELETE may carry them in either place.
      const fields = req.method === 'GET' ? req.query : req.method === 'DELETE' ? { ...req.query, ...(req.body as object) } : req.body;
      const plain = typeof fields === 'object' && fields !== null && !Array.isArray(fields);
      const input = parse(schema, plain && Object.keys(req.params).length > 0 ? { ...fields, ...req.params } : fields);
      res.json(protoJson(await fn(input, { user: principalOf(res)?.user.name ?? null })));
    };
    for (const method of methods) router[method](`/mlflow/${path}`, handler);
  };

  // ---------------------------------------------------------------- helpers

  /** A store lookup whose 404 becomes MLflow's RESOURCE_DOES_NOT_EXIST with MLflow's wording. */
  const orDoesNotExist = async <T>(lookup: Promise<T>, message: string): Promise<T> => {
    try {
      return await lookup;
    } catch (error) {
      if (error instanceof AppError && error.status === 404) throw doesNotExist(message);
      throw error;
    }
  };
  const experimentOr404 = (id: string) => orDoesNotExist(experiments.get(id), `No Experiment with id=${id} exists`);
  const runOr404 = (id: string) => orDoesNotExist(runs.get(id), `Run with id=${id} not found`);
  const notActive = (id: string, stage: LifecycleStage) => invalidParameter(`The run ${id} must be in the 'active' state. Current state is ${stage}.`);
  const activeRun = async (id: string): Promise<Run> => {
    const run = await runOr404(id);
    if (run.lifecycleStage !== 'active') throw notActive(id, run.lifecycleStage);
    return run;
  };
  /** Applies a change to an active run atomically (the stage is checked inside the store's mutation); one run.updated. */
  const changeRun = (id: string, change: (run: Run) => Run, fields?: string[]): Promise<Run> =>
    orDoesNotExist(
      runs.change(
        id,
        (current) => {
          if (current.lifecycleStage !== 'active') throw notActive(id, current.lifecycleStage);
          return { ...change(current), updatedAt: nowIso() };
        },
        fields,
      ),
      `Run with id=${id} not found`,
    );
  /** Each run's model outputs (MLflow 3's run.outputs), for a page of runs at once. */
  const modelOutputs = async (runIds: string[]) => {
    const byRun = new Map<string, { model_id: string; step: number }[]>();
    const found = await models.searchLogged({ runIds, limit: Number.MAX_SAFE_INTEGER, offset: 0 });
    for (const m of found.items.reverse()) {
      for (const o of m.outputRuns) {
        if (!byRun.has(o.runId)) byRun.set(o.runId, []);
        byRun.get(o.runId)!.push({ model_id: m.id, step: o.step });
      }
    }
    return byRun;
  };
  const fullView = async (run: Run, experiment?: Experiment, outputs?: Map<string, { model_id: string; step: number }[]>) =>
    runView(run, experiment ?? (await experimentOr404(run.experimentId)), await series.summaries(run.id), (outputs ?? (await modelOutputs([run.id]))).get(run.id) ?? []);

  /**
   * Appends metric points; `announce` false when the request's one event is published by another
   * change. Points logged with a model_id (MLflow 3) also become that logged model's latest values;
   * an unknown model is refused before anything is written.
   */
  const logPoints = async (runId: string, metrics: { key: string; value: number; timestamp: number; step?: number | undefined; model_id?: string | undefined }[], announce = true) => {
    if (metrics.length === 0) return;
    const modelIds = [...new Set(metrics.map((m) => m.model_id).filter((id): id is string => !!id))];
    for (const id of modelIds) await orDoesNotExist(models.getLogged(id), `Logged model with ID '${id}' not found.`);
    await runs.logMetrics(
      runId,
      metrics.map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp, step: m.step ?? 0 })),
      log,
      announce,
    );
    for (const id of modelIds) {
      await models.recordMetrics(
        id,
        metrics.filter((m) => m.model_id === id).map((m) => ({ key: m.key, value: m.value, step: m.step ?? 0 })),
      );
    }
  };

  // ---------------------------------------------------------------- experiments

  endpoint(['post'], 'experiments/create', S.CreateExperiment, async (body) => {
    if (await experiments.findByName(body.name)) throw alreadyExists(`Experiment(name=${body.name}) already exists.`);
    const experiment = await experiments.create({
      name: body.name,
      artifactLocation: body.artifact_location ?? null,
      tags: Object.fromEntries((body.tags ?? []).map((t) => [t.key, t.value])),
    });
    return { experiment_id: experiment.id };
  });

  endpoint(['get'], 'experiments/get', S.ExperimentRef, async (q) => ({ experiment: experimentView(await experimentOr404(q.experiment_id)) }));

  endpoint(['get'], 'experiments/get-by-name', S.ExperimentByName, async (q) => {
    const experiment = await experiments.findByName(q.experiment_name);
    if (!experiment) throw doesNotExist(`Could not find experiment with name '${q.experiment_name}'`);
    return { experiment: experimentView(experiment) };
  });

  const searchExperiments = async (q: z.output<typeof S.SearchExperiments>) => {
    const lifecycle = VIEW_TO_LIFECYCLE[q.view_type];
    const matches = experimentMatcher(parseSearchFilter(q.filter));
    const views = (await experiments.list()).filter((e) => lifecycle === 'all' || e.lifecycleStage === lifecycle).map(experimentView).filter(matches);
    const sorted = sortExperimentViews(views, parseOrderBy(q.order_by));
    const result = page(sorted, q.max_results ?? MAX_RESULTS_DEFAULT, q.page_token);
    return { experiments: result.items, ...(result.nextPageToken && { next_page_token: result.nextPageToken }) };
  };
  endpoint(['get', 'post'], 'experiments/search', S.SearchExperiments, searchExperiments);
  // The older clients' call; same answer.
  endpoint(['get', 'post'], 'experiments/list', S.SearchExperiments, searchExperiments);

  endpoint(['post'], 'experiments/update', S.UpdateExperiment, async (body) => {
    await experimentOr404(body.experiment_id);
    const taken = await experiments.findByName(body.new_name);
    if (taken && taken.id !== body.experiment_id) throw alreadyExists(`Experiment(name=${body.new_name}) already exists.`);
    await experiments.change(body.experiment_id, (e) => ({ ...e, name: body.new_name }), ['name']);
    return {};
  });

  /** Deleting an experiment soft-deletes its runs; restoring it brings them back (ExperimentService.setStage). */
  const setExperimentStage = async (id: string, stage: LifecycleStage) => {
    await experimentOr404(id);
    if (stage === 'deleted' && id === '0') throw invalidParameter("Cannot delete the default experiment '0'. This is an internally reserved experiment.");
    await experiments.setStage(id, stage, () => invalidParameter(`Cannot ${stage === 'deleted' ? 'delete' : 'restore'} experiment with id ${id}: it is already ${stage}`));
    return {};
  };
  endpoint(['post'], 'experiments/delete', S.ExperimentRef, (body) => setExperimentStage(body.experiment_id, 'deleted'));
  endpoint(['post'], 'experiments/restore', S.ExperimentRef, (body) => setExperimentStage(body.experiment_id, 'active'));

  endpoint(['post'], 'experiments/set-experiment-tag', S.SetExperimentTag, async (body) => {
    const experiment = await experimentOr404(body.experiment_id);
    if (experiment.lifecycleStage !== 'active') throw invalidParameter(`The experiment ${body.experiment_id} must be in the 'active' state. Current state is deleted.`);
    await experiments.change(body.experiment_id, (e) => ({ ...e, tags: { ...e.tags, [body.key]: body.value } }), ['tags']);
    return {};
  });

  // ---------------------------------------------------------------- runs

  endpoint(['post'], 'runs/create', S.CreateRun, async (body, caller) => {
    const experiment = await experimentOr404(body.experiment_id ?? '0');
    if (experiment.lifecycleStage !== 'active') throw invalidParameter(`The experiment ${experiment.id} must be in the 'active' state. Current state is deleted.`);
    const tags = body.tags ?? [];
    const tagName = tags.find((t) => t.key === TAG_RUN_NAME)?.value;
    if (body.run_name && tagName && body.run_name !== tagName) {
      throw invalidParameter(`Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${body.run_name}', mlflow.runName='${tagName}').`);
    }
    const start = body.start_time ?? Date.now();
    const given = (body.run_name || tagName || '').trim();
    let run = newRun(CreateRunBody.parse({ name: given || 'run', experimentId: experiment.id, status: 'running' }), { commit: null, branch: null, dirty: null }, isoFromMs(start));
    if (!given) run.name = `run-${run.id.slice(0, 8)}`; // MLflow's server also names an unnamed run
    run = withTags(run, [...tags.filter((t) => t.key !== TAG_RUN_NAME), ...(body.user_id ? [{ key: TAG_USER, value: body.user_id }] : [])]);
    const created = await runs.insert(run, caller.user); // users mode: the signed-in user, not the client's OS user
    return { run: await fullView(created, experiment) };
  });

  endpoint(['get'], 'runs/get', S.GetRun, async (q) => ({ run: await fullView(await runOr404(S.runIdOf(q))) }));

  endpoint(['post'], 'runs/update', S.UpdateRun, async (body) => {
    const at = nowIso();
    const run = await changeRun(S.runIdOf(body), (current) => {
      let next = current;
      if (body.status !== undefined) next = withStatus(next, statusFromMlflow(body.status), at, body.end_time);
      else if (body.end_time !== undefined) next = { ...next, endedAt: isoFromMs(body.end_time) };
      if (body.run_name) next = { ...next, name: body.run_name };
      return next;
    });
    return { run_info: runInfo(run, await experimentOr404(run.experimentId)) };
  });

  const setRunStage = async (id: string, stage: LifecycleStage) => {
    await runOr404(id);
    await runs.setStage(id, stage);
    return {};
  };
  endpoint(['post'], 'runs/delete', S.RunOnly, (body) => setRunStage(body.run_id, 'deleted'));
  endpoint(['post'], 'runs/restore', S.RunOnly, (body) => setRunStage(body.run_id, 'active'));

  endpoint(['get', 'post'], 'runs/search', S.SearchRuns, async (q) => {
    // MLflow's grammar parses to the run filter language; the store filters, sorts and pages (on the
    // runs' latest metric values, run.metrics), and only the page's metric series are read.
    const filter = runFilterExpr(parseSearchFilter(q.filter));
    const sort = runSortSpecs(parseOrderBy(q.order_by));
    const offset = decodePageToken(q.page_token);
    const limit = q.max_results ?? MAX_RESULTS_DEFAULT;
    // MLflow answers no total: the page alone (count: false spares PostgreSQL counting every match).
    const found = await runs.search({ limit, offset, experimentIds: q.experiment_ids ?? [], lifecycle: VIEW_TO_LIFECYCLE[q.run_view_type], sort, count: false, ...(filter && { filter }) });
    const experimentById = new Map((await experiments.list()).map((e) => [e.id, e]));
    const outputs = await modelOutputs(found.items.map((r) => r.id));
    const views = await Promise.all(found.items.map((run) => fullView(run, experimentById.get(run.experimentId), outputs)));
    const next = nextPageToken(offset, limit, found.more);
    return { runs: views, ...(next && { next_page_token: next }) };
  });

  endpoint(['post'], 'runs/log-metric', S.LogMetric, async (body) => {
    const runId = S.runIdOf(body);
    await activeRun(runId);
    await logPoints(runId, [body]);
    return {};
  });

  endpoint(['post'], 'runs/log-parameter', S.LogParam, async (body) => {
    await changeRun(S.runIdOf(body), (run) => withParams(run, [body]));
    return {};
  });

  endpoint(['post'], 'runs/set-tag', S.SetTag, async (body, caller) => {
    refuseCreatorTag(caller.user, [body.key]);
    await changeRun(S.runIdOf(body), (run) => withTags(run, [body]));
    return {};
  });

  endpoint(['post'], 'runs/delete-tag', S.DeleteTag, async (body, caller) => {
    refuseCreatorTag(caller.user, [body.key]);
    await changeRun(body.run_id, (run) => withoutTag(run, body.key));
    return {};
  });

  endpoint(['post'], 'runs/log-batch', S.LogBatch, async (body, caller) => {
    const metrics = body.metrics ?? [];
    const params = body.params ?? [];
    const tags = body.tags ?? [];
    refuseCreatorTag(caller.user, tags.map((t) => t.key));
    const over = (what: string, count: number, limit: number) => {
      if (count > limit) {
        throw invalidParameter(`A batch logging request can contain at most ${limit} ${what}. Got ${count} ${what}. Please split up ${what} across multiple requests and try again.`);
      }
    };
    over('metrics', metrics.length, MAX_BATCH_METRICS);
    over('params', params.length, MAX_BATCH_PARAMS);
    over('tags', tags.length, MAX_BATCH_TAGS);
    over('metrics, params, and tags', metrics.length + params.length + tags.length, MAX_BATCH_TOTAL);
    const seen = new Map<string, string>();
    for (const p of params) {
      if (seen.has(p.key) && seen.get(p.key) !== p.value) throw invalidParameter(`Duplicate parameter keys have been submitted: [${p.key}]. Please ensure the request contains only one param value per param key.`);
      seen.set(p.key, p.value);
    }
    // One event per request: run.updated when params or tags change (the metrics ride along), else metrics.logged.
    const changes = params.length > 0 || tags.length > 0;
    if (!changes) await activeRun(body.run_id);
    await logPoints(body.run_id, metrics, !changes);
    if (changes) await changeRun(body.run_id, (run) => withTags(withParams(run, params), tags), ['params', 'tags', ...(metrics.length ? ['metrics'] : [])]);
    return {};
  });

  endpoint(['post'], 'runs/log-inputs', S.LogInputs, async (body) => {
    const datasets = (await services.datasets.list({ limit: Number.MAX_SAFE_INTEGER, offset: 0 })).items;
    const link = (digest: string) => {
      const d = digest.toLowerCase();
      // MLflow digests are short hashes; a ModelLab version matches when its SHA-256 is, or begins with, the digest.
      return datasets.find((v) => v.checksum === d || (d.length >= 8 && /^[0-9a-f]+$/.test(d) && v.checksum.startsWith(d)))?.id ?? null;
    };
    const inputs: RunDatasetInput[] = (body.datasets ?? []).map((i) => ({
      name: i.dataset.name,
      digest: i.dataset.digest,
      sourceType: i.dataset.source_type,
      source: i.dataset.source,
      schema: i.dataset.schema ?? null,
      profile: i.dataset.profile ?? null,
      tags: Object.fromEntries((i.tags ?? []).map((t) => [t.key, t.value])),
      datasetId: link(i.dataset.digest),
    }));
    await changeRun(body.run_id, (run) => {
      const merged = [...run.inputs];
      for (const input of inputs) {
        const at = merged.findIndex((m) => m.name === input.name && m.digest === input.digest);
        if (at >= 0) merged[at] = input;
        else merged.push(input);
      }
      const linked = inputs.find((i) => i.datasetId !== null)?.datasetId ?? null;
      return { ...run, inputs: merged, datasetId: run.datasetId ?? linked };
    });
    return {};
  });

  // mlflow.<flavor>.log_model records the model's metadata here after uploading its files.
  endpoint(['post'], 'runs/log-model', S.LogModel, async (body) => {
    let model: unknown;
    try {
      model = JSON.parse(body.model_json);
    } catch {
      throw invalidParameter("Invalid value for parameter 'model_json': not JSON");
    }
    if (typeof model !== 'object' || model === null || Array.isArray(model)) throw invalidParameter("Invalid value for parameter 'model_json': must be a JSON object");
    if (pathPastDepth(model)) throw invalidParameter(`Invalid value for parameter 'model_json': nested more than ${MAX_JSON_DEPTH} levels deep`);
    await changeRun(body.run_id, (run) => {
      let history: unknown[] = [];
      try {
        const previous = JSON.parse(run.tags[TAG_MODEL_HISTORY] ?? '[]') as unknown;
        if (Array.isArray(previous)) history = previous;
      } catch {
        /* a hand-edited tag: start again */
      }
      return { ...run, tags: { ...run.tags, [TAG_MODEL_HISTORY]: JSON.stringify([...history, model]) } };
    });
    return {};
  });

  endpoint(['get'], 'metrics/get-history', S.GetMetricHistory, async (q) => {
    const runId = S.runIdOf(q);
    await runOr404(runId);
    const points = (await series.points(runId, q.metric_key, Number.POSITIVE_INFINITY)) ?? [];
    const metrics = points.map((p) => ({ key: q.metric_key, value: toMetricValue(p.value), timestamp: p.timestamp, step: p.step }));
    if (q.max_results === undefined && q.page_token === undefined) return { metrics };
    const result = page(metrics, q.max_results ?? MAX_RESULTS_DEFAULT, q.page_token);
    return { metrics: result.items, ...(result.nextPageToken && { next_page_token: result.nextPageToken }) };
  });

  // ---------------------------------------------------------------- proxied artifacts

  /** `<experiment>/<run>/artifacts[/<path>]` → the run and the ModelLab artifact path (null at the root). */
  /**
   * `<experiment>/<run>/artifacts[/<path>]` → the run's folder, or `<experiment>/models/<m-id>/artifacts[/<path>]`
   * → a logged model's (MLflow 3 uploads a model's files there); with the ModelLab artifact path (null at the root).
   */
  const locate = async (raw: string, forWrite: boolean): Promise<{ owner: string; mlflowPath: string; modellabPath: string | null }> => {
    const model = /^([^/]+)\/models\/([^/]+)\/artifacts(?:\/(.*))?$/.exec(raw);
    const match = model ?? /^([^/]+)\/([^/]+)\/artifacts(?:\/(.*))?$/.exec(raw);
    if (!match) throw invalidParameter(`Invalid artifact path '${raw}': expected <experiment_id>/<run_id>/artifacts/<path> or <experiment_id>/models/<model_id>/artifacts/<path>`);
    const [, experimentId, ownerId, rest] = match;
    if (model) {
      if (!LOGGED_MODEL_ID.test(ownerId!)) throw doesNotExist(`Logged model with ID '${ownerId}' not found.`);
      const logged = await orDoesNotExist(models.getLogged(ownerId!), `Logged model with ID '${ownerId}' not found.`);
      if (logged.experimentId !== experimentId) throw doesNotExist(`Logged model with ID '${ownerId}' is not in experiment ${experimentId}`);
    } else {
      const run = forWrite ? await activeRun(ownerId!) : await runOr404(ownerId!);
      if (run.experimentId !== experimentId) throw doesNotExist(`Run with id=${ownerId} is not in experiment ${experimentId}`);
    }
    const mlflowPath = rest ? decodeArtifactPath(rest.replace(/\/+$/, '')) : '';
    if (!mlflowPath) return { owner: ownerId!, mlflowPath, modellabPath: null };
    const first = mlflowPath.split('/')[0]!;
    return { owner: ownerId!, mlflowPath, modellabPath: MODELLAB_CATEGORIES.has(first) ? mlflowPath : `other/${mlflowPath}` };
  };
  const artifactRest = (req: Request) => /^\/mlflow-artifacts\/artifacts\/(.*)$/.exec(req.path)?.[1] ?? '';

  router.put('/mlflow-artifacts/artifacts/*rest', async (req, res) => {
    const { owner, modellabPath } = await locate(artifactRest(req), true);
    if (!modellabPath) throw invalidParameter('An artifact upload needs a file path after artifacts/');
    await artifacts.ensureOwner(owner); // users mode: 403 before the body is read for someone who may only read it
    const [category, ...inner] = modellabPath.split('/');
    const incoming = await artifacts.incoming();
    // Straight to the bucket when the store is one (the path is known before the body).
    const staged = artifacts.stage(owner, { category, path: inner.join('/'), filename: inner.at(-1)! });
    try {
      const upload = await receiveRawBody(req, incoming.dir, inner.at(-1)!, config.maxUploadBytes, staged ? () => staged.blob.stream : undefined);
      await artifacts.save(owner, upload, { category, path: inner.join('/'), overwrite: true, staged });
    } finally {
      await staged?.blob.abort(); // what was not committed leaves nothing in the bucket
      await incoming.cleanup();
    }
    res.json({});
  });

  router.get('/mlflow-artifacts/artifacts/*rest', async (req, res) => {
    const { owner, modellabPath } = await locate(artifactRest(req), false);
    if (!modellabPath) throw invalidParameter('Give the path of a file after artifacts/ (list a folder with GET /api/2.0/mlflow-artifacts/artifacts?path=…)');
    await sendArtifact(req, res, await artifacts.open(owner, modellabPath));
  });

  router.delete('/mlflow-artifacts/artifacts/*rest', async (req, res) => {
    const { owner, modellabPath } = await locate(artifactRest(req), true);
    if (!modellabPath) throw invalidParameter('Give the path of a file after artifacts/');
    await artifacts.remove(owner, modellabPath);
    res.json({});
  });

  // List: the folder's direct entries by base name, as MLflow's server answers.
  router.get('/mlflow-artifacts/artifacts', async (req, res) => {
    const path = typeof req.query.path === 'string' ? req.query.path.replace(/^\/+|\/+$/g, '') : '';
    const { owner, mlflowPath } = await locate(path, false);
    const prefix = mlflowPath ? `${mlflowPath}/` : '';
    const entries = new Map<string, { path: string; is_dir: boolean; file_size?: number }>();
    for (const a of await artifacts.list(owner)) {
      const p = mlflowArtifactPath(a.path);
      if (!p.startsWith(prefix)) continue;
      const [name, ...deeper] = p.slice(prefix.length).split('/');
      if (deeper.length > 0) entries.set(name!, { path: name!, is_dir: true });
      else entries.set(name!, { path: name!, is_dir: false, file_size: a.size });
    }
    res.json(protoJson({ files: [...entries.values()].sort((a, b) => a.path.localeCompare(b.path)) }));
  });

  registryEndpoints(endpoint, services, { orDoesNotExist, runOr404, activeRun });

  // Anything else under /api/2.0 (also a path a client resolved to /api/2.0/ itself) answers in MLflow's shape.
  router.use((req, _res, next) => next(new MlflowError(404, 'ENDPOINT_NOT_FOUND', `No MLflow endpoint ${req.method} ${req.originalUrl}`)));

  // ---------------------------------------------------------------- errors, in MLflow's shape

  router.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = error as { type?: string; message?: string };
    const mlflow =
      e?.type === 'entity.parse.failed'
        ? invalidParameter(`Malformed JSON in the request body: ${e.message}`)
        : e?.type === 'entity.too.large'
          ? new MlflowError(413, 'INVALID_PARAMETER_VALUE', 'Request body too large')
          : // Express's own 4xx (a malformed %-escape in a path) stay 4xx.
            toMlflowError(error instanceof MlflowError ? error : (toAppError(error) ?? error));
    if (mlflow.status >= 500) log(`${req.method} ${req.originalUrl} failed`, error);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (mlflow.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
    res.status(mlflow.status).json({ error_code: mlflow.errorCode, message: mlflow.message });
  });

  return router;
}
