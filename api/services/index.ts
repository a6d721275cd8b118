/**
 * The service layer: every mutation, cascade, file clean-up and event publication, for ModelLab's
 * routes and MLflow's alike. Built the same way by the server and the tests. Node only.
 */
import { EventBus } from '../eventBus';
import { gitInfoProvider, noGitInfo } from '../gitInfo';
import { ArtifactFiles, type BlobStore, DatasetFiles, FolderBlobs, type MetricSeries, MetricSeriesStore, type Store } from '../storage';
import { ArtifactService } from './artifacts';
import { AuthService } from './auth';
import { compare } from './compare';
import { DatasetService } from './datasets';
import { ExperimentService } from './experiments';
import { ModelService } from './models';
import { RunService } from './runs';
import { closeEvalWorkers } from '../workers/evaluateOffThread';
import { AuditTrail } from './audit';
import { Permissions } from './permissions';

export interface Services {
  dataDir: string;
  events: EventBus;
  runs: RunService;
  experiments: ExperimentService;
  datasets: DatasetService;
  artifacts: ArtifactService;
  models: ModelService;
  /** Users, sessions and personal access tokens (used in MODELLAB_AUTH=users mode). */
  auth: AuthService;
  /** Per-experiment and per-model permissions (users mode). */
  permissions: Permissions;
  /** The audit log (users mode: every mutation of a signed-in user). */
  audit: AuditTrail;
  /** Metric series reads (MLflow's views show each run's latest points), with the run's read permission checked. */
  series: Pick<MetricSeries, 'summaries' | 'points'>;
  compare(ids: string[]): ReturnType<typeof compare>;
  /** Where records and files live, and whether the store and the blob store answer (rejects with the reason when not). */
  health(): Promise<{ store: Store['backend']; artifacts: BlobStore['kind'] }>;
  close(): Promise<void>;
}

/**
 * `blobs` holds artifacts and dataset files (default: the data folder); `dataDir` always holds the
 * incoming uploads, and with the JSON store the records and metric series too.
 */
export async function openServices(store: Store, dataDir: string, options: { gitDir?: string | null; blobs?: BlobStore; sessionHours?: number } = {}): Promise<Services> {
  const blobs = options.blobs ?? new FolderBlobs(dataDir);
  const datasetFiles = new DatasetFiles(dataDir, store, blobs);
  await datasetFiles.init();
  const artifactFiles = new ArtifactFiles(dataDir, store, blobs);
  await artifactFiles.init();
  // Files in the data folder, unless the store keeps the series itself (PostgreSQL: every process sees every point).
  const series = store.metricSeries?.() ?? new MetricSeriesStore(dataDir);
  // With a shared store, events published by any process reach every process's stream.
  const relay = store.eventRelay ? await store.eventRelay((m) => console.warn(m)) : null;
  const events = new EventBus();
  if (relay) events.relayThrough(relay);
  const audit = new AuditTrail(store, events);
  const permissions = new Permissions(store, events);
  const runs = new RunService(store, series, artifactFiles, events, options.gitDir ? gitInfoProvider(options.gitDir) : noGitInfo, permissions, async (id) => {
    const dataset = await store.getDataset(id);
    return { dataset, stream: (await datasetFiles.open(dataset)).stream };
  });
  const filled = await runs.backfillExtremes();
  if (filled > 0) console.warn(`Filled the metric extremes (metrics.<key>.min and .max) of ${filled} runs from their series`);
  const compareRuns = (ids: string[]) => compare(runs, series, ids);
  const models = new ModelService(store, artifactFiles, events, compareRuns, permissions);
  return {
    dataDir,
    events,
    runs,
    experiments: new ExperimentService(store, events, permissions),
    datasets: new DatasetService(store, datasetFiles, events, permissions),
    artifacts: new ArtifactService(artifactFiles, events, permissions, models.experimentOfLogged),
    models,
    auth: new AuthService(store, options.sessionHours),
    permissions,
    audit,
    series: {
      summaries: async (runId) => (await permissions.requireRun(runId, 'read'), series.summaries(runId)),
      points: async (runId, key, maxPoints) => (await permissions.requireRun(runId, 'read'), series.points(runId, key, maxPoints)),
    },
    compare: compareRuns,
    health: async () => {
      await Promise.all([store.ping(), blobs.ping()]);
      return { store: store.backend, artifacts: blobs.kind };
    },
    close: async () => {
      await runs.flushMetrics();
      await relay?.close();
      await series.close();
      await closeEvalWorkers(); // the warm evaluation threads kept after a large evaluation
    },
  };
}

export type { ArtifactService, DatasetService, ExperimentService, ModelService, RunService };
export type { ModelLabEvent } from '../eventBus';
export type { RunSearch } from './runs';
export type { ArtifactContent, StagedUpload, UploadSink } from '../storage';
