/**
 * A real S3-protocol server for tests: s3rver in a child process (tests/helpers/s3rverProcess.mjs)
 * over a temp folder, with one bucket. Gives its endpoint, and what is in the bucket and among the
 * unfinished multipart uploads, so a test can check that nothing was left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { S3Blobs } from '../../api/storage';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 's3rverProcess.mjs');
/** s3rver accepts any key pair that is signed consistently; these are what the tests sign with. */
export const TEST_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface TestS3 {
  endpoint: string;
  bucket: string;
  process: ChildProcess;
  /** A blob store on this server under `s3://<bucket>/<prefix>`. */
  blobs(prefix?: string): S3Blobs;
  /** Every key in the bucket (under `prefix`). */
  keys(prefix?: string): Promise<string[]>;
  /** The multipart uploads begun and neither completed nor aborted. */
  pendingUploads(): Promise<string[]>;
  /** The environment that points a ModelLab server at this bucket. */
  env(prefix?: string): Record<string, string>;
  stop(): Promise<void>;
}

export async function startTestS3(bucket = 'modellab-test'): Promise<TestS3> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'modellab-s3-'));
  const child = spawn(process.execPath, [SCRIPT, dir, bucket], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code} before listening`)));
  });
  const { port, uploadsDir } = JSON.parse(line) as { port: number; uploadsDir: string };
  const endpoint = `http://127.0.0.1:${port}`;
  const blobs = (prefix = '') => new S3Blobs({ bucket, prefix: prefix === '' ? '' : `${prefix.replace(/\/$/, '')}/` }, { endpoint, credentials: TEST_CREDENTIALS });
  const admin = blobs();
  return {
    endpoint,
    bucket,
    process: child,
    blobs,
    async keys(prefix = '') {
      const out: string[] = [];
      let ContinuationToken: string | undefined;
      do {
        const page = await admin.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }));
        out.push(...(page.Contents ?? []).map((o) => o.Key!));
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
      return out.sort();
    },
    pendingUploads: async () => (await readdir(uploadsDir).catch(() => [])).sort(),
    env: (prefix = 'modellab') => ({
      MODELLAB_ARTIFACT_URI: `s3://${bucket}/${prefix}`,
      MODELLAB_S3_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
    }),
    async stop() {
      admin.client.destroy();
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A server for the test file that calls this (started before its tests, stopped after). */
export function useS3(): () => TestS3 {
  let server: TestS3 | null = null;
  beforeAll(async () => {
    server = await startTestS3();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  return () => server!;
}
