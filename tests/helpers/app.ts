import type { Express } from 'express';
import { createApp, type AppOptions } from '../../api/app';
import { DatasetFiles } from '../../src/utils/modellab/datasets';
import { JsonStore } from '../../src/utils/modellab/storage';
import { tempDir } from './tmp';

export interface TestApp {
  app: Express;
  store: JsonStore;
  dir: string;
  logged: string[];
  cleanup: () => Promise<void>;
}

/** createApp over a JsonStore in a fresh temp folder. */
export async function testApp(
  options: Partial<Omit<AppOptions, 'store' | 'datasetFiles'>> & { apiToken?: string | null; jsonLimitBytes?: number; maxUploadBytes?: number } = {},
): Promise<TestApp> {
  const tmp = await tempDir();
  const store = await JsonStore.open(tmp.dir, { log: () => {} });
  const datasetFiles = new DatasetFiles(tmp.dir, store);
  await datasetFiles.init();
  const logged: string[] = [];
  const app = createApp({
    store,
    config: {
      apiToken: options.apiToken ?? null,
      jsonLimitBytes: options.jsonLimitBytes ?? 1024 * 1024,
      maxUploadBytes: options.maxUploadBytes ?? 500 * 1024 * 1024,
      version: '9.9.9',
    },
    datasetFiles,
    clientDir: options.clientDir ?? null,
    log: (message, error) => logged.push(`${message}: ${String(error)}`),
  });
  return {
    app,
    store,
    dir: tmp.dir,
    logged,
    cleanup: async () => {
      await store.close();
      await tmp.cleanup();
    },
  };
}
