import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseS3Uri, S3Blobs } from '../../../../../api/storage';
import { describeBlobStoreContract } from '../../../../contracts/blobStore';
import { TEST_CREDENTIALS, useS3 } from '../../../../helpers/s3';

const s3 = useS3();
describeBlobStoreContract('S3 bucket (s3rver)', async () => s3().blobs(`contract-${randomBytes(4).toString('hex')}`));

describe('S3Blobs', () => {
  const scratch = mkdtemp(path.join(os.tmpdir(), 'modellab-s3-test-'));
  afterAll(async () => rm(await scratch, { recursive: true, force: true }));

  it('keeps every key under its prefix', async () => {
    const blobs = s3().blobs('team/a');
    await blobs.putContents([{ key: 'artifacts/r1/other/x.txt', data: 'x', contentType: 'text/plain' }]);
    expect(await s3().keys('team/')).toEqual(['team/a/artifacts/r1/other/x.txt']);
    expect((await blobs.list('artifacts/r1/')).map((b) => b.key)).toEqual(['artifacts/r1/other/x.txt']);
  });

  it('aborts a multipart upload whose part fails: no parts are left and the key keeps its old content', async () => {
    const blobs = s3().blobs('abort');
    const key = 'artifacts/r1/checkpoints/fail-part-2.bin';
    await blobs.putContents([{ key, data: 'old', contentType: 'application/octet-stream' }]);
    const file = path.join(await scratch, 'big.bin');
    await writeFile(file, randomBytes(20 * 1024 * 1024)); // three 8 MB parts; the test server refuses the second
    await expect(blobs.putFile(key, file, 'application/octet-stream')).rejects.toMatchObject({ status: 503, code: 'artifact_store_unavailable' });
    expect(await s3().pendingUploads()).toEqual([]);
    expect(await blobs.readText(key)).toBe('old');
  });

  it('answers 503 artifact_store_unavailable when the bucket does not answer, and its ping rejects', async () => {
    const blobs = new S3Blobs({ bucket: 'modellab-test', prefix: '' }, { endpoint: 'http://127.0.0.1:9', credentials: TEST_CREDENTIALS });
    await expect(blobs.stat('artifacts/r1/other/x')).rejects.toMatchObject({ status: 503, code: 'artifact_store_unavailable' });
    await expect(blobs.ping()).rejects.toThrow();
    blobs.client.destroy();
  });

  it('parses s3:// URIs and refuses what is not one', () => {
    expect(parseS3Uri('s3://my-bucket')).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(parseS3Uri('s3://my-bucket/team/modellab/')).toEqual({ bucket: 'my-bucket', prefix: 'team/modellab/' });
    for (const bad of ['http://x/y', 's3://', 's3://UPPER/x', 's3://ok-bucket/../x', 's3://ok-bucket/a//b']) expect(() => parseS3Uri(bad)).toThrow();
  });
});
