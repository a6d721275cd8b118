import type { Express } from 'express';
import { createApp, type AppOptions } from '../../api/app';
import { openServices, type Services } from '../../api/services';
import type { BlobStore, Store } from '../../api/storage';
import { JsonStore } from '../../api/storage/json/jsonStore';
import { tempDir } from './tmp';

export interface TestApp {
  app: Express;
  store: Store;
  services: Services;
  dir: string;
  logged: string[];
  cleanup: () => Promise<void>;
}

/**
 * A users-mode app (MODELLAB_AUTH=users) on the JSON store or on a database of its own, with the admin
 * `root` and the given users; everyone's password is `password-of-<name>`.
 */
export async function usersApp(backend: 'json' | 'postgres', users: [string, 'viewer' | 'editor' | 'admin'][], createDatabase?: () => Promise<{ url: string; drop: () => Promise<void> }>): Promise<TestApp> {
  const db = backend === 'postgres' ? await createDatabase!() : null;
  const { PgStore } = await import('../../api/storage/postgres/pgStore');
  const t = await testApp({ authMode: 'users', ...(db && { openStore: () => PgStore.open(db.url) }) });
  await t.services.auth.bootstrapAdmin('root', 'password-of-root');
  for (const [name, role] of users) await t.services.auth.createUser({ name, password: `password-of-${name}`, role });
  return { ...t, cleanup: async () => (await t.cleanup(), await db?.drop()) };
}

/** createApp over a JsonStore in a fresh temp folder. */
export async function testApp(
  options: Partial<Omit<AppOptions, 'services'>> & {
    apiToken?: string | null;
    /** MODELLAB_AUTH (default: token with an apiToken, else none). */
    authMode?: 'none' | 'token' | 'users';
    jsonLimitBytes?: number;
    maxUploadBytes?: number;
    maxEvalBytes?: number;
    /** null: no repository (MODELLAB_GIT_DIR unset); default: the temp folder (not a repository). */
    gitDir?: string | null;
    /** Another store than a JsonStore in the temp folder (the files still go there). */
    openStore?: (dataDir: string) => Promise<Store>;
    /** Where artifacts and dataset files go (default: the temp folder). */
    blobs?: BlobStore;
    /** A data folder of the caller's instead of a temp one (left in place by cleanup). */
    dataDir?: string;
  } = {},
): Promise<TestApp> {
  const tmp = options.dataDir ? { dir: options.dataDir, cleanup: async () => {} } : await tempDir();
  const store: Store = options.openStore ? await options.openStore(tmp.dir) : await JsonStore.open(tmp.dir, { log: () => {} });
  // Outside any repository unless a test asks for one, so runs do not pick up this checkout's HEAD.
  const services = await openServices(store, tmp.dir, { gitDir: options.gitDir === undefined ? tmp.dir : options.gitDir, ...(options.blobs && { blobs: options.blobs }) });
  const logged: string[] = [];
  const app = createApp({
    config: {
      apiToken: options.apiToken ?? null,
      ...(options.authMode && { authMode: options.authMode }),
      jsonLimitBytes: options.jsonLimitBytes ?? 1024 * 1024,
      maxUploadBytes: options.maxUploadBytes ?? 500 * 1024 * 1024,
      maxEvalBytes: options.maxEvalBytes ?? 256 * 1024 * 1024,
      version: '9.9.9',
    },
    services,
    clientDir: options.clientDir ?? null,
    log: (message, error) => logged.push(`${message}: ${String(error)}`),
  });
  return {
    app,
    store,
    services,
    dir: tmp.dir,
    logged,
    cleanup: async () => {
      await services.close();
      await store.close();
      await tmp.cleanup();
    },
  };
}
