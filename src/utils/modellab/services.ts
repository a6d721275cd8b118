/** Everything the API needs from the engine, built the same way by the server and the tests. Node only. */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { ArtifactFiles } from './artifacts';
import { ARTIFACTS_DIR } from './constants';
import { DatasetFiles } from './datasets';
import { EventBus } from './events';
import { gitInfoProvider } from './gitInfo';
import { MetricSeriesStore } from './metricSeries';
import type { GitInfo } from './runLifecycle';
import type { Store } from './storage';

export interface Services {
  dataDir: string;
  store: Store;
  datasets: DatasetFiles;
  artifacts: ArtifactFiles;
  series: MetricSeriesStore;
  events: EventBus;
  gitInfo: () => Promise<GitInfo>;
  /** Removes a deleted run's folders: metric series and artifacts. */
  removeRunFiles(runId: string): Promise<void>;
  close(): Promise<void>;
}

export async function openServices(store: Store, dataDir: string, options: { gitDir?: string } = {}): Promise<Services> {
  const datasets = new DatasetFiles(dataDir, store);
  await datasets.init();
  const artifacts = new ArtifactFiles(dataDir, store);
  await artifacts.init();
  const series = new MetricSeriesStore(dataDir);
  return {
    dataDir,
    store,
    datasets,
    artifacts,
    series,
    events: new EventBus(),
    gitInfo: gitInfoProvider(options.gitDir ?? process.cwd()),
    async removeRunFiles(runId) {
      await series.remove(runId); // validates the id as a single path segment
      await rm(path.join(dataDir, ARTIFACTS_DIR, runId), { recursive: true, force: true });
    },
    close: () => series.close(),
  };
}
