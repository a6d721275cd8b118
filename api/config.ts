/** Server configuration from the environment, checked once at start-up. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseS3Uri } from './storage';
import { AUTH_MODES, type AuthMode, PASSWORD, USER_NAME } from '../src/shared/auth';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface AppConfig {
  host: string;
  port: number;
  dataDir: string;
  /** When set, every POST/PUT/PATCH/DELETE needs `Authorization: Bearer <token>` (token mode). */
  apiToken: string | null;
  /** MODELLAB_AUTH: none, token (MODELLAB_API_TOKEN for writes) or users. Default: token when MODELLAB_API_TOKEN is set, else none. */
  authMode: AuthMode;
  /** users mode: the admin made on first start when there are no users (MODELLAB_ADMIN_USER, MODELLAB_ADMIN_PASSWORD). */
  bootstrapAdmin: { name: string; password: string } | null;
  /** MODELLAB_SESSION_HOURS: how long a browser session lasts. */
  sessionHours: number;
  /** Largest JSON request body, in bytes. */
  jsonLimitBytes: number;
  /** Largest uploaded file (datasets, artifacts), in bytes. */
  maxUploadBytes: number;
  /** Largest POST /runs/:id/evaluate body, in bytes. */
  maxEvalBytes: number;
  /** Hosts server-side latency profiling may call (MODELLAB_PROFILE_ALLOWED_HOSTS). */
  profileAllowedHosts: string[];
  /**
   * The git repository whose HEAD new runs record when they do not say (MODELLAB_GIT_DIR). Unset:
   * none — the server's own working directory is ModelLab's checkout, whose commit says nothing
   * about the training code.
   */
  gitDir: string | null;
  /** MODELLAB_DATABASE_URL: the PostgreSQL database that holds the records (null: db.json in dataDir). */
  databaseUrl: string | null;
  /** MODELLAB_DATABASE_POOL_SIZE: connections this process opens to PostgreSQL at most. */
  databasePoolSize: number;
  /** MODELLAB_ARTIFACT_URI: the bucket (s3://bucket/prefix) that holds artifacts and dataset files (null: the data folder). */
  artifactUri: string | null;
  /** MODELLAB_S3_ENDPOINT_URL: an S3-compatible service other than AWS (MinIO, Ceph, R2, …). */
  s3EndpointUrl: string | null;
  /** V8's old-generation growth after each full collection, in percent, once the heap is large (0: V8's own policy). See server.ts. */
  heapGrowthPercent: number;
  version: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
export const isLoopback = (host: string) => LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

export const packageVersion = (): string =>
  (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new ConfigError(`${name} must be an integer between 0 and ${max}, got '${raw}'`);
  }
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const host = env.HOST || '127.0.0.1';
  const apiToken = env.MODELLAB_API_TOKEN || null;
  const authMode = (env.MODELLAB_AUTH || (apiToken ? 'token' : 'none')) as AuthMode;
  if (!AUTH_MODES.includes(authMode)) throw new ConfigError(`MODELLAB_AUTH must be one of ${AUTH_MODES.join(', ')}, got '${env.MODELLAB_AUTH}'`);
  if (authMode === 'token' && !apiToken) throw new ConfigError('MODELLAB_AUTH=token needs MODELLAB_API_TOKEN (the token writes must carry)');
  let bootstrapAdmin: AppConfig['bootstrapAdmin'] = null;
  if (env.MODELLAB_ADMIN_PASSWORD) {
    const name = env.MODELLAB_ADMIN_USER || 'admin';
    if (!USER_NAME.safeParse(name).success) throw new ConfigError(`MODELLAB_ADMIN_USER '${name}' is not a valid user name (letters, digits and . _ @ -)`);
    if (!PASSWORD.safeParse(env.MODELLAB_ADMIN_PASSWORD).success) throw new ConfigError('MODELLAB_ADMIN_PASSWORD must have 8 to 256 characters');
    bootstrapAdmin = { name, password: env.MODELLAB_ADMIN_PASSWORD };
  }
  if (!isLoopback(host) && authMode === 'none' && env.MODELLAB_ALLOW_UNAUTHENTICATED !== '1') {
    throw new ConfigError(
      `Refusing to listen on non-loopback HOST '${host}' without MODELLAB_API_TOKEN: anyone on the network could change or delete your data. ` +
        'Set MODELLAB_API_TOKEN, or MODELLAB_AUTH=users (with MODELLAB_ADMIN_PASSWORD for the first admin), or MODELLAB_ALLOW_UNAUTHENTICATED=1 if that is really what you want.',
    );
  }
  const databaseUrl = env.MODELLAB_DATABASE_URL || null;
  if (databaseUrl !== null) {
    let protocol = '';
    try {
      protocol = new URL(databaseUrl).protocol;
    } catch {
      /* reported below */
    }
    if (protocol !== 'postgres:' && protocol !== 'postgresql:') throw new ConfigError('MODELLAB_DATABASE_URL must be a postgres:// (or postgresql://) URL');
  }
  const artifactUri = env.MODELLAB_ARTIFACT_URI || null;
  if (artifactUri !== null) {
    try {
      parseS3Uri(artifactUri);
    } catch (error) {
      throw new ConfigError(`MODELLAB_ARTIFACT_URI ${(error as Error).message} (got '${artifactUri}')`);
    }
  }
  const s3EndpointUrl = env.MODELLAB_S3_ENDPOINT_URL || null;
  if (s3EndpointUrl !== null && !/^https?:\/\/[^/]+/.test(s3EndpointUrl)) throw new ConfigError(`MODELLAB_S3_ENDPOINT_URL must be an http(s):// URL, got '${s3EndpointUrl}'`);
  if (s3EndpointUrl !== null && artifactUri === null) throw new ConfigError('MODELLAB_S3_ENDPOINT_URL is set but MODELLAB_ARTIFACT_URI is not: set the bucket too (s3://bucket/prefix)');
  return {
    host,
    databaseUrl,
    databasePoolSize: Math.max(1, positiveInt(env, 'MODELLAB_DATABASE_POOL_SIZE', 10, 1000)),
    artifactUri,
    s3EndpointUrl,
    port: positiveInt(env, 'PORT', 3000, 65535),
    dataDir: path.resolve(env.MODELLAB_DATA_DIR || path.join(PROJECT_ROOT, 'modellab-data')),
    apiToken,
    authMode,
    bootstrapAdmin,
    sessionHours: Math.max(1, positiveInt(env, 'MODELLAB_SESSION_HOURS', 24 * 7, 24 * 366)),
    jsonLimitBytes: positiveInt(env, 'MODELLAB_JSON_LIMIT_KB', 1024, 1024 * 1024) * 1024,
    maxUploadBytes: positiveInt(env, 'MODELLAB_MAX_UPLOAD_MB', 500, 1024 * 1024) * 1024 * 1024,
    maxEvalBytes: positiveInt(env, 'MODELLAB_MAX_EVAL_MB', 256, 4096) * 1024 * 1024,
    gitDir: env.MODELLAB_GIT_DIR ? path.resolve(env.MODELLAB_GIT_DIR) : null,
    heapGrowthPercent: positiveInt(env, 'MODELLAB_HEAP_GROWTH_PERCENT', 25, 400),
    profileAllowedHosts: (env.MODELLAB_PROFILE_ALLOWED_HOSTS || 'localhost,127.0.0.1,::1')
      .split(',')
      .map((h) => h.trim().toLowerCase().replace(/^\[|\]$/g, ''))
      .filter(Boolean),
    version: packageVersion(),
  };
}
