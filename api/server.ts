/**
 * `npm start`: one process serving the API and the built client.
 * Flags: --api-only (no client, no build; used by tests that only need the API).
 */
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { constants } from 'node:os';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { DataDirLockedError } from './storage';
import { openServices } from './services';
import { type BlobStore, CorruptDatabaseError, JsonStore, parseS3Uri, PgStore, S3Blobs, type Store } from './storage';
import { UI_BASE } from '../src/shared/contract/constants';
import { createApp } from './app';
import { ensureClientBuilt } from './clientBuild';
import { ConfigError, loadConfig } from './config';

/** A database URL without its password, for messages. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an invalid URL)';
  }
}

function fail(message: string, code = 1): never {
  console.error(`ModelLab cannot start: ${message}`);
  process.exit(code);
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 2);
    throw error;
  }
  limitHeapGrowth(config.heapGrowthPercent);
  const clientDir = process.argv.includes('--api-only') ? null : await ensureClientBuilt();

  let store: Store;
  if (config.databaseUrl) {
    // PostgreSQL holds the records (files stay in the data folder); it is migrated on open.
    try {
      store = await PgStore.open(config.databaseUrl, { max: config.databasePoolSize });
    } catch (error) {
      fail(`the database at ${redacted(config.databaseUrl)} cannot be used: ${(error as Error).message}`);
    }
  } else {
    try {
      store = await JsonStore.open(config.dataDir);
    } catch (error) {
      if (error instanceof DataDirLockedError || error instanceof CorruptDatabaseError) fail(error.message);
      throw error;
    }
  }

  let blobs: BlobStore | undefined;
  if (config.artifactUri) {
    // Artifacts and dataset files in a bucket; the data folder keeps the uploads being received.
    const s3 = new S3Blobs(parseS3Uri(config.artifactUri), { endpoint: config.s3EndpointUrl });
    try {
      await s3.ping();
    } catch (error) {
      fail(`the bucket ${config.artifactUri}${config.s3EndpointUrl ? ` at ${config.s3EndpointUrl}` : ''} cannot be reached: ${(error as Error).name} ${(error as Error).message}`);
    }
    blobs = s3;
  }
  const services = await openServices(store, config.dataDir, { gitDir: config.gitDir, sessionHours: config.sessionHours, ...(blobs && { blobs }) });
  if (config.authMode === 'users') {
    if (config.bootstrapAdmin && (await services.auth.bootstrapAdmin(config.bootstrapAdmin.name, config.bootstrapAdmin.password))) {
      console.log(`ModelLab: made the admin '${config.bootstrapAdmin.name}' (MODELLAB_ADMIN_PASSWORD); sign in and change the password`);
    } else if ((await services.auth.listUsers()).length === 0) {
      console.warn('ModelLab: MODELLAB_AUTH=users and no users yet: add one with `npx modellab users add <name> --role admin`, or start with MODELLAB_ADMIN_PASSWORD set');
    }
  }
  const app = createApp({ services, config, clientDir });
  const server: Server = app.listen(config.port, config.host);
  server.on('error', (error) => fail(`cannot listen on ${config.host}:${config.port}: ${error.message}`));
  server.on('listening', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const records = config.databaseUrl ? `records: PostgreSQL ${redacted(config.databaseUrl)}` : 'records: db.json';
    const files = config.artifactUri ? `; files: ${config.artifactUri}` : '';
    console.log(`ModelLab ${config.version} listening on http://${host}:${port}${clientDir ? UI_BASE : ''} (data: ${config.dataDir}; ${records}${files})`);
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`ModelLab: ${signal} received, finishing pending writes…`);
    server.close();
    server.closeIdleConnections();
    await services.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/**
 * The JSON store keeps every run in the JavaScript heap. While a process allocates fast, V8 lets the
 * old generation grow to up to four times what survived the last full collection, and keeps those
 * pages: with 100,000 runs (167 MB live) the heap stood at 502 MB after the creates and RSS at
 * 720 MB, idle or not (bench:runs). A fixed headroom (`percent`) holds it near live × (1 + percent /
 * 100) — but applied to a small heap it makes full collections frequent (creates/s dropped), so it
 * is switched on only while more than 128 MB are in use, and off again below 96 MB. 0: V8's policy.
 */
function limitHeapGrowth(percent: number): void {
  if (percent === 0) return;
  let limited = false;
  const check = () => {
    const used = getHeapStatistics().used_heap_size;
    if (!limited && used > 128 * 1024 * 1024) setFlagsFromString(`--heap-growing-percent=${percent}`);
    else if (limited && used < 96 * 1024 * 1024) setFlagsFromString('--heap-growing-percent=0');
    else return;
    limited = !limited;
  };
  check();
  setInterval(check, 2000).unref();
}

/**
 * glibc gives threads that allocate their own malloc arenas (up to 8 per core), and under a mixed
 * load (libuv's file-system threads, the worker threads) memory freed in them is not given back:
 * `npm run bench:soak` measured RSS creeping from 226 to 489 MB in four minutes with 400 live runs
 * and a 43 MB JavaScript heap; with MALLOC_ARENA_MAX=2 it stayed between 215 and 265 MB. glibc reads
 * the variable only when a process starts, so on Linux the server starts itself once more with it
 * set, unless it is set already (to any value). Signals sent to this process are passed on.
 */
function relaunchWithFewerArenas(): boolean {
  if (process.platform !== 'linux' || process.env.MALLOC_ARENA_MAX !== undefined) return false;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, MALLOC_ARENA_MAX: '2' } });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 1)));
  return true;
}

if (!relaunchWithFewerArenas()) main().catch((error: unknown) => fail(error instanceof Error ? (error.stack ?? error.message) : String(error)));
