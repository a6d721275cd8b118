/**
 * Runs: every change to a run, through either API, goes through here — the store's mutation, the
 * files it touches, and exactly one event on the live stream. Users mode: a run is read, changed
 * and deleted with its experiment's permissions (./permissions); searches leave out the runs of
 * experiments the caller may not read.
 */
import type { EventBus } from '../eventBus';
import { profile, type HttpTarget, type ProfileOptions } from '../latencyProfiler';
import { extremesOf, type ArtifactFiles, type MetricInput, type MetricSeries, type RunListOptions, type RunPage, type RunQuery, type Store } from '../storage';
import type { CreateRunData, Dataset, MetricExtreme, MetricSummary, Run, UpdateRunData } from '../../src/shared/contract/types';
import { AppError, badRequest, forbidden, notFound } from '../../src/shared/errors';
import type { EvalInput } from '../../src/shared/evalHarness';
import { nowIso } from '../../src/shared/ids';
import { toMetricValue, type MetricValue } from '../../src/shared/contract/registry';
import type { LatencyResult } from '../../src/shared/latencyStats';
import { newRun, updatedRun, type GitInfo } from '../../src/shared/runs/lifecycle';
import { TAG_USER } from '../../src/shared/runs/mlflowNames';
import { evaluateRun, readEvaluation, type EvaluationDocuments } from './evaluations';
import { readLatency, recordLatency } from './latency';
import type { Permissions } from './permissions';
import { RUN_STATUSES } from '../../src/shared/contract/constants';
import type { BulkRunsInput, DatasetEvalColumns, EvalConfigInput } from '../../src/shared/contract/schemas';
import { Transform, type Readable } from 'node:stream';
import { evalInputFromDataset } from './evalFromDataset';
import { cellOf, defaultColumns, type RunColumn } from '../../src/shared/runs/columns';
import { compareGroups, groupRuns } from '../../src/shared/runs/groups';
import { IMPORTANCE_MODEL, parameterImportance } from '../../src/shared/runs/importance';
import { flatten } from '../../src/shared/compare';
import { GROUP_MAX_RUNS } from '../../src/shared/contract/schemas';
import Papa from 'papaparse';

type Log = (message: string, error: unknown) => void;

/** What selects the runs of an export, a grouping or an importance: a search without its page. */
export type RunSearch = RunQuery;

/**
 * Users mode (`editor` signed in): the mlflow.user tag names who created the run, so no request may
 * set or remove it afterwards (403). Without users anyone may, as in MLflow.
 */
export function refuseCreatorTag(editor: string | null, keys: string[]): void {
  if (editor !== null && keys.includes(TAG_USER)) throw forbidden(`The ${TAG_USER} tag names who created the run; it cannot be changed`);
}

/** What an append changes on the run record: each key's latest value and its extremes so far. */
interface LatestMetrics {
  metrics: Record<string, MetricValue>;
  extremes: Record<string, MetricExtreme>;
}

const least = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
const greatest = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

/**
 * Extremes only widen (points are never taken back one by one): merged so, a summary that arrives
 * late — another connection's append answered after a later one — cannot narrow them again.
 */
function widened(current: Record<string, MetricExtreme>, incoming: Record<string, MetricExtreme>): Record<string, MetricExtreme> {
  const out = { ...current };
  for (const [key, e] of Object.entries(incoming)) {
    const had = Object.hasOwn(out, key) ? out[key]! : { min: null, max: null };
    out[key] = { min: least(had.min, e.min), max: greatest(had.max, e.max) };
  }
  return out;
}

const latestOf = (summaries: MetricSummary[]): LatestMetrics => ({
  metrics: Object.fromEntries(summaries.map((s) => [s.key, toMetricValue(s.last)])),
  extremes: extremesOf(summaries),
});

export class RunService {
  /** Per run: the latest metric values (and extremes) of an update of run.metrics that has not yet read them. */
  private readonly latestWaiting = new Map<string, LatestMetrics>();
  /** Updates of run.metrics under way. */
  private readonly refreshing = new Set<Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly series: MetricSeries,
    private readonly artifacts: ArtifactFiles,
    private readonly events: EventBus,
    private readonly gitInfo: () => Promise<GitInfo>,
    private readonly permissions: Permissions,
    /** A stored dataset version's file, for evaluations read from one. */
    private readonly datasetFile: (id: string) => Promise<{ dataset: Dataset; stream: Readable }>,
  ) {}

  async search(options: RunListOptions): Promise<RunPage> {
    const visible = await this.visible(options);
    return visible ? this.store.searchRuns(visible) : { items: [], total: 0, more: false };
  }

  /** A page of runs as the API's JSON text, when the store can give it without re-serialising (null: use search). */
  searchJson(options: RunListOptions): Promise<RunPage<string>> | null {
    const searchJson = this.store.searchRunsJson?.bind(this.store);
    if (!searchJson) return null;
    return this.visible(options).then((visible) => (visible ? searchJson(visible) : { items: [], total: 0, more: false }));
  }

  /** The search narrowed to the experiments the caller may read (null: none of those asked for). */
  private async visible(options: RunListOptions): Promise<RunListOptions | null> {
    const ids = await this.permissions.readableExperimentIds(options.experimentIds);
    if (ids === options.experimentIds) return options;
    return ids!.length > 0 ? { ...options, experimentIds: ids } : null;
  }

  async get(id: string): Promise<Run> {
    await this.permissions.requireRun(id, 'read');
    return this.store.getRun(id);
  }

  /**
   * A run from ModelLab's create request: git details from MODELLAB_GIT_DIR unless given. `creator`
   * (users mode: who is signed in) becomes its MLflow user (the mlflow.user tag), whatever was sent.
   */
  async create(data: CreateRunData, creator: string | null = null): Promise<Run> {
    const git = data.gitCommit ? { commit: null, branch: null, dirty: null } : await this.gitInfo();
    return this.insert(newRun(data, git), creator);
  }

  /** Stores a run record built by the caller (MLflow's create, which names and tags it its own way); `creator` as for create. */
  async insert(record: Run, creator: string | null = null): Promise<Run> {
    await this.permissions.requireExperiment(record.experimentId, 'edit');
    if (creator !== null) record.tags = { ...record.tags, [TAG_USER]: creator };
    const run = await this.store.createRun(record);
    await this.events.publish('run.created', { id: run.id, name: run.name, status: run.status });
    return run;
  }

  /** ModelLab's update: tags and metrics merge, the rest replaces; the status machine's 409s. `editor`: see refuseCreatorTag. */
  update(id: string, patch: UpdateRunData, editor: string | null = null): Promise<Run> {
    refuseCreatorTag(editor, Object.keys(patch.tags ?? {}));
    return this.change(id, (current) => updatedRun(current, patch), Object.keys(patch));
  }

  /** Applies `change` to the run atomically (inside the store's mutation) and announces it. */
  async change(id: string, change: (current: Run) => Run, fields?: string[]): Promise<Run> {
    await this.permissions.requireRun(id, 'edit');
    const run = await this.store.updateRun(id, change);
    await this.events.publish('run.updated', { id: run.id, name: run.name, status: run.status, ...(fields && { fields }) });
    return run;
  }

  /** Deleting a run: manage on its experiment, or edit for the user who created it (its mlflow.user tag). */
  private requireDelete(id: string): Promise<void> {
    return this.permissions.requireRunDelete(id, async () => (await this.store.getRun(id)).tags[TAG_USER] ?? null);
  }

  /** MLflow's soft delete and restore: permitted as deleting is (manage, or edit for the run's creator). */
  async setStage(id: string, stage: Run['lifecycleStage']): Promise<Run> {
    await this.requireDelete(id);
    return this.change(id, (r) => ({ ...r, lifecycleStage: stage, updatedAt: nowIso() }), ['lifecycleStage']);
  }

  /**
   * Deletes the run with its folders (metric series, artifacts) and its logged models, after any
   * evaluation or upload of it that is being written, so none of them leaves files behind for a run
   * that no longer exists. 409 (nothing deleted) while a model version is registered from it.
   */
  async delete(id: string): Promise<void> {
    await this.requireDelete(id);
    const loggedModels = await this.removeRuns([id]);
    await this.events.publish('run.deleted', { id, ...(loggedModels.length > 0 && { loggedModels }) });
  }

  /**
   * Deletes the runs in one store change (404 or 409: none deleted), then their folders and the
   * logged models they produced, each under its artifact lock (taken in id order, so two
   * overlapping deletes cannot wait on each other). Answers the logged models removed.
   */
  private async removeRuns(ids: string[]): Promise<string[]> {
    const sorted = [...ids].sort();
    const holdAll = (i: number, work: () => Promise<{ loggedModels: string[] }>): Promise<{ loggedModels: string[] }> =>
      i === sorted.length ? work() : this.artifacts.exclusive(sorted[i]!, () => holdAll(i + 1, work));
    const { loggedModels } = await holdAll(0, async () => {
      const deleted = await this.store.deleteRuns(ids); // 409 while a version is registered from one
      for (const id of ids) {
        await this.series.remove(id); // validates the id as a single path segment
        await this.artifacts.removeAll(id);
      }
      return deleted;
    });
    // The runs' logged models went with them (their ids are checked m-<hex>, one path segment).
    for (const modelId of loggedModels) await this.artifacts.exclusive(modelId, () => this.artifacts.removeAll(modelId));
    return loggedModels;
  }

  /**
   * One change to many runs (the runs table's bulk actions), all or nothing: every run's permission
   * is checked first (delete: as deleting one; tag, status: edit), then the store applies the change
   * to all of them in one atomic step — the status machine's 409, a registered run's 409 or an
   * unknown id's 404 leaves every run as it was. One event for the request.
   */
  async bulk(input: BulkRunsInput, editor: string | null = null): Promise<{ action: BulkRunsInput['action']; count: number; ids: string[] }> {
    const { action, ids } = input;
    if (action === 'delete') {
      for (const id of ids) await this.requireDelete(id);
      const loggedModels = await this.removeRuns(ids);
      await this.events.publish('runs.deleted', { ids, ...(loggedModels.length > 0 && { loggedModels }) });
      return { action, count: ids.length, ids };
    }
    for (const id of ids) await this.permissions.requireRun(id, 'edit');
    const patch: UpdateRunData = action === 'tag' ? { tags: input.tags! } : { status: input.status! };
    refuseCreatorTag(editor, Object.keys(patch.tags ?? {}));
    await this.store.updateRuns(ids, (current) => updatedRun(current, patch));
    await this.events.publish('runs.updated', { ids, fields: action === 'tag' ? ['tags'] : ['status'] });
    return { action, count: ids.length, ids };
  }

  /**
   * The runs a search matches (the first GROUP_MAX_RUNS), grouped: by everything but their seeds,
   * or by the values of chosen columns; each group with its metrics' means and bootstrap intervals.
   */
  async groups(options: RunSearch, by: 'seed-free' | RunColumn[]) {
    const { runs, truncated } = await this.firstMatching(options);
    const items = groupRuns(runs, by);
    return { items, total: items.length, runs: runs.length, truncated };
  }

  /** The first GROUP_MAX_RUNS runs a search matches, in its order, and whether more matched. */
  private async firstMatching(options: RunSearch): Promise<{ runs: Run[]; truncated: boolean }> {
    const ids = await this.matchingIds(options); // one snapshot, as the export reads it
    const runs: Run[] = [];
    for (let i = 0; i < Math.min(ids.length, GROUP_MAX_RUNS); i += 1000) runs.push(...(await this.store.getRuns(ids.slice(i, Math.min(i + 1000, GROUP_MAX_RUNS)))));
    return { runs, truncated: ids.length > GROUP_MAX_RUNS };
  }

  /** Every id a search matches among the runs the caller may read, in its order, read at once. */
  private async matchingIds(options: RunSearch): Promise<string[]> {
    const visible = await this.visible({ ...options, limit: 0, offset: 0 });
    return visible ? this.store.searchRunIds(visible) : [];
  }

  /**
   * Which hyperparameters matter for `metric` over the runs a search matches (the first
   * GROUP_MAX_RUNS that have a finite latest value of it): Spearman's ρ and a random forest's
   * importance per parameter (src/shared/runs/importance). Parameters with one value throughout
   * are left out: nothing can be learnt from them.
   */
  async importance(options: RunSearch, metric: string) {
    const { runs, truncated } = await this.firstMatching(options);
    const usable = runs.filter((r) => typeof r.metrics[metric] === 'number' && Number.isFinite(r.metrics[metric]));
    const paths = new Set<string>();
    const leaves = usable.map((r) => flatten(r.hyperparameters, '', new Map()));
    for (const l of leaves) for (const key of l.keys()) paths.add(key);
    const params: Record<string, unknown[]> = {};
    for (const path of paths) {
      const values = leaves.map((l) => (l.has(path) ? l.get(path) : null));
      if (new Set(values.map((v) => JSON.stringify(v))).size > 1) params[path] = values;
    }
    const items = parameterImportance(params, usable.map((r) => r.metrics[metric] as number));
    return { metric, n: usable.length, model: IMPORTANCE_MODEL, items, truncated };
  }

  /** Two configurations across their seeds (each a list of runs): the difference of each shared metric's mean. */
  async compareGroups(a: string[], b: string[]) {
    const both = new Set(a);
    const twice = b.find((id) => both.has(id));
    if (twice !== undefined) throw badRequest(`run '${twice}' is in both groups`);
    const load = async (ids: string[]) => {
      const out: Run[] = [];
      for (const id of ids) out.push(await this.get(id)); // 404 naming the first unknown (or hidden) run
      return out;
    };
    const [ra, rb] = [await load(a), await load(b)];
    return { a: { n: ra.length, runIds: a }, b: { n: rb.length, runIds: b }, ...compareGroups(ra, rb) };
  }

  /**
   * The runs a search matches — all of them, in its order — as CSV text, a piece at a time (memory
   * holds their ids and one page of runs, however many match). The header comes from `columns`, or from
   * the first page's params and metrics when none are given. Text cells that a spreadsheet would
   * run as a formula (starting with = + - @) get a leading apostrophe.
   */
  async *exportCsv(options: RunSearch, columns: RunColumn[] | null, pageSize = 500): AsyncGenerator<string> {
    // The matching ids first, in one read, then the runs a page at a time by id: runs created or
    // deleted while the export streams (a sweep still running) shift nothing — paging by offset
    // repeated a run at a page's edge for each one created, and skipped one for each deleted.
    const ids = await this.matchingIds(options);
    let header: RunColumn[] | null = columns;
    for (let offset = 0; offset === 0 || offset < ids.length; offset += pageSize) {
      const runs = await this.store.getRuns(ids.slice(offset, offset + pageSize)); // deleted since: left out
      if (offset === 0) {
        header ??= defaultColumns(runs);
        yield `${Papa.unparse([header.map((c) => c.text)], { escapeFormulae: true })}\r\n`;
      }
      const rows = runs.map((run) => header!.map((c) => cellOf(run, c)));
      if (rows.length > 0) yield `${Papa.unparse(rows, { escapeFormulae: true })}\r\n`;
    }
  }

  /**
   * Appends metric points (durable before this resolves), updates run.metrics with the latest values
   * and announces them with metrics.logged — unless `announce` is false, when the caller publishes
   * the one event of a larger change (MLflow's log-batch). 404 for an unknown run, before any write.
   */
  async logMetrics(runId: string, points: MetricInput[], log: Log, announce = true): Promise<{ stored: number; summaries: MetricSummary[] }> {
    await this.permissions.requireRun(runId, 'edit');
    // 404 before anything is written: checked in the append itself when the series can (PostgreSQL), else read first.
    const result = this.series.appendToRun ? await this.series.appendToRun(runId, points) : (await this.store.getRun(runId), await this.series.append(runId, points));
    if (!result) throw notFound('run', runId);
    const latest = latestOf(result.summaries);
    // The points are durable in the series, the source of truth, before this resolves. run.metrics
    // is a summary derived from it: applied without making the logging call wait for it (the JSON
    // store applies it at once and writes it with the next group commit). While a run's update
    // waits its turn (PostgreSQL: behind the run's previous update), later values join it instead of
    // queueing a transaction each: under a burst of logging, one update per turn, the newest values.
    // (Not spaced out in time: MLflow's scripts log a metric, then search by it at once.)
    const waiting = this.latestWaiting.get(runId);
    if (waiting) {
      Object.assign(waiting.metrics, latest.metrics);
      waiting.extremes = widened(waiting.extremes, latest.extremes);
    } else {
      this.latestWaiting.set(runId, latest);
      this.refreshMetrics(runId, latest, log);
    }
    if (announce) await this.events.publish('metrics.logged', { runId, keys: result.summaries.map((s) => s.key), count: result.stored });
    return result;
  }

  /** Starts the update of run.metrics (and run.metricExtremes) with `values` (those logged while it waited join them). */
  private refreshMetrics(runId: string, values: LatestMetrics, log: Log): void {
    const done = this.store
      .updateRun(runId, (run) => {
        if (this.latestWaiting.get(runId) === values) this.latestWaiting.delete(runId); // values read now: later ones start a new update
        return { ...run, metrics: { ...run.metrics, ...values.metrics }, metricExtremes: widened(run.metricExtremes, values.extremes), updatedAt: nowIso() };
      })
      .then(
        () => undefined,
        (error: unknown) => {
          if (this.latestWaiting.get(runId) === values) this.latestWaiting.delete(runId);
          if (!(error instanceof AppError && error.status === 404)) log(`updating run.metrics of ${runId} failed`, error);
        },
      )
      .finally(() => this.refreshing.delete(done));
    this.refreshing.add(done);
  }

  /**
   * Fills run.metricExtremes from the series for the runs the store read without it (records written
   * before it existed: Store.runsWithoutExtremes; PostgreSQL's migration 7 fills its own), merged
   * with any extremes logged since. Only runs with a series change. Answers how many did.
   */
  async backfillExtremes(): Promise<number> {
    let filled = 0;
    for (const id of this.store.runsWithoutExtremes?.() ?? []) {
      const summaries = await this.series.summaries(id);
      if (summaries.length === 0) continue;
      const extremes = extremesOf(summaries);
      await this.store.updateRun(id, (current) => ({ ...current, metricExtremes: widened(current.metricExtremes, extremes) })).then(
        () => filled++,
        (error: unknown) => {
          if (!(error instanceof AppError && error.status === 404)) throw error; // deleted meanwhile
        },
      );
    }
    return filled;
  }

  /** Waits for the updates of run.metrics under way (shutting down: none is cut off). */
  async flushMetrics(): Promise<void> {
    while (this.refreshing.size > 0) await Promise.all([...this.refreshing]);
  }

  async metricSummaries(runId: string): Promise<MetricSummary[]> {
    await this.get(runId);
    return this.series.summaries(runId);
  }

  async metricPoints(runId: string, key: string, maxPoints: number) {
    await this.get(runId);
    return this.series.points(runId, key, maxPoints);
  }

  async evaluate(runId: string, input: EvalInput): Promise<EvaluationDocuments> {
    await this.permissions.requireRun(runId, 'edit');
    const docs = await evaluateRun(this.store, this.artifacts, runId, input);
    await this.events.publish('run.updated', { id: runId, fields: ['metrics', 'evaluation'] });
    return docs;
  }

  /**
   * An evaluation whose labels, predictions and slices are a dataset version's columns: the mapping
   * is checked against the version's schema (400) before the file is read, then evaluated as an
   * inline request would be.
   */
  async evaluateFromDataset(runId: string, datasetId: string, columns: DatasetEvalColumns, config: EvalConfigInput): Promise<EvaluationDocuments> {
    await this.permissions.requireRun(runId, 'edit');
    await this.store.getRun(runId); // 404 before reading anything
    const { dataset, stream } = await this.datasetFile(datasetId);
    // evaluation.progress while it works: the file's bytes read (the first and last always, between
    // them at most every 200 ms), then the evaluating itself.
    const total = dataset.sizeBytes;
    const report = (phase: 'reading' | 'evaluating', done: number) => void this.events.publish('evaluation.progress', { runId, datasetId, phase, done, total });
    let read = 0;
    let reported = Date.now();
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        read += chunk.length;
        if (Date.now() - reported >= 200 && read < total) {
          reported = Date.now();
          report('reading', read);
        }
        callback(null, chunk);
      },
    });
    stream.on('error', (error) => counted.destroy(error));
    let input: EvalInput;
    try {
      report('reading', 0);
      input = await evalInputFromDataset(dataset, stream.pipe(counted), columns, config);
      report('reading', read);
    } finally {
      stream.destroy();
      counted.destroy();
    }
    report('evaluating', total);
    return this.evaluate(runId, input);
  }

  async evaluation(runId: string, options: { predictions?: boolean } = {}) {
    await this.permissions.requireRun(runId, 'read');
    return readEvaluation(this.artifacts, runId, options);
  }

  async recordLatency(runId: string, result: LatencyResult) {
    await this.permissions.requireRun(runId, 'edit');
    const stored = await recordLatency(this.store, this.artifacts, runId, result);
    await this.events.publish('run.updated', { id: runId, fields: ['latency'] });
    return stored;
  }

  async latency(runId: string) {
    await this.permissions.requireRun(runId, 'read');
    return readLatency(this.store, this.artifacts, runId);
  }

  /**
   * Profiles an endpoint from the server and stores the result like recordLatency. The host is
   * checked against the allow-list before any connection or DNS lookup: profiling must not become a
   * way to make the server call arbitrary hosts.
   */
  async profile(runId: string, target: HttpTarget, options: Omit<ProfileOptions, 'onProgress'>, allowedHosts: string[]) {
    const url = new URL(target.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('target.url: must be http or https');
    const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
    if (!allowedHosts.includes(host)) throw forbidden(`target host '${host}' is not in MODELLAB_PROFILE_ALLOWED_HOSTS (${allowedHosts.join(', ')})`);
    await this.permissions.requireRun(runId, 'edit');
    await this.store.getRun(runId);
    const result = await profile(target, { ...options, onProgress: (progress) => void this.events.publish('profile.progress', { runId, ...progress }) });
    return this.recordLatency(runId, result);
  }

  /** The dashboard's numbers. */
  async stats() {
    const [runs, recent, datasets] = await Promise.all([this.statistics(), this.search({ limit: 5, offset: 0 }), this.store.listDatasets({ limit: 1, offset: 0 })]);
    return { runs, recent: recent.items, datasets: datasets.total };
  }

  /**
   * The store's statistics, or for a caller some experiments are hidden from, the counts of the
   * runs it may read (the per-day and best-run panels stay empty for it: they are computed over
   * every run, and would tell of hidden ones).
   */
  private async statistics() {
    if (!(await this.permissions.hiddenExperiments())) return this.store.runStatistics();
    const count = async (status?: (typeof RUN_STATUSES)[number]) => (await this.search({ limit: 0, offset: 0, ...(status && { status }) })).total ?? 0;
    const counts = await Promise.all(RUN_STATUSES.map((status) => count(status)));
    return { total: await count(), byStatus: Object.fromEntries(RUN_STATUSES.map((s, i) => [s, counts[i]!])) as Record<(typeof RUN_STATUSES)[number], number>, createdPerDay: [], bestByMetric: [] };
  }
}
