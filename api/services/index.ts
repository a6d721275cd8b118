/** Everything the API needs from the engine, built the same way by the server and the tests. Node only. */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { ArtifactFiles } from '../storage';
import { ARTIFACTS_DIR } from '../../src/shared/contract/constants';
import { DatasetFiles } from '../storage';
import { EventBus } from '../eventBus';
import { gitInfoProvider } from '../gitInfo';
import { type MetricInput, MetricSeriesStore } from '../storage';
import { AppError } from '../../src/shared/errors';
import { nowIso } from '../../src/shared/ids';
import type { MetricSummary } from '../../src/shared/contract/types';
import type { GitInfo } from '../../src/shared/runs/lifecycle';
import type { Store } from '../storage';

export interface Services {
  dataDir: string;
  store: Store;
  datasets: DatasetFiles;
  artifacts: ArtifactFiles;
  series: MetricSeriesStore;
  events: EventBus;
  gitInfo: () => Promise<GitInfo>;
  /**
   * Deletes a run with its folders (metric series, artifacts), after any evaluation or upload of it
   * that is being written, so none of them leaves files behind for a run that no longer exists.
   */
  deleteRun(runId: string): Promise<void>;
  /**
   * Appends metric points to a run's series (durable before it resolves), updates run.metrics with
   * the latest values and announces them. 404 for an unknown run, before anything is written.
   */
  logMetrics(runId: string, points: MetricInput[], log: (message: string, error: unknown) => void): Promise<{ stored: number; summaries: MetricSummary[] }>;
  close(): Promise<void>;
}

export async function openServices(store: Store, dataDir: string, options: { gitDir?: string } = {}): Promise<Services> {
  const datasets = new DatasetFiles(dataDir, store);
  await datasets.init();
  const artifacts = new ArtifactFiles(dataDir, store);
  await artifacts.init();
  const series = new MetricSeriesStore(dataDir);
  const events = new EventBus();
  return {
    dataDir,
    store,
    datasets,
    artifacts,
    series,
    events,
    gitInfo: gitInfoProvider(options.gitDir ?? process.cwd()),
    deleteRun: (runId) =>
      artifacts.exclusive(runId, async () => {
        await store.deleteRun(runId);
        await series.remove(runId); // validates the id as a single path segment
        await rm(path.join(dataDir, ARTIFACTS_DIR, runId), { recursive: true, force: true });
      }),
    async logMetrics(runId, points, log) {
      await store.getRun(runId); // 404 before anything is written
      const result = await series.append(runId, points);
      const latest = Object.fromEntries(result.summaries.map((s) => [s.key, s.last]));
      // The points are durable in the series file, the source of truth, before this resolves.
      // run.metrics is a summary derived from it: applied now (reads see it at once) and written
      // with the next group commit, without making every logging call wait for a db.json flush.
      store
        .updateRun(runId, (run) => ({ ...run, metrics: { ...run.metrics, ...latest }, updatedAt: nowIso() }))
        .catch((error: unknown) => {
          if (!(error instanceof AppError && error.status === 404)) log(`updating run.metrics of ${runId} failed`, error);
        });
      events.publish('metrics.logged', { runId, keys: result.summaries.map((s) => s.key), count: result.stored });
      return result;
    },
    close: () => series.close(),
  };
}
