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

  it('sends and checks the SDK\'s CRC32 checksums only where an operation requires them', async () => {
    // Uploads carry no x-amz-checksum-* header (the server's own SHA-256 is the artifact's checksum).
    const blobs = s3().blobs('checksums');
    const sent: string[] = [];
    blobs.client.middlewareStack.add((next) => async (args) => {
      const headers = (args.request as { headers?: Record<string, string> }).headers ?? {};
      sent.push(...Object.keys(headers).filter((h) => h.toLowerCase().startsWith('x-amz-checksum') || h.toLowerCase() === 'x-amz-sdk-checksum-algorithm'));
      return next(args);
    }, { step: 'finalizeRequest' });
    await blobs.putContents([{ key: 'a.txt', data: 'abc', contentType: 'text/plain' }]);
    expect(await blobs.readText('a.txt')).toBe('abc');
    expect(sent).toEqual([]);
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

  /** Writes `data` into a staged blob in chunks of `chunk` bytes (the way an upload arrives), and ends it. */
  async function writeStaged(stream: NodeJS.WritableStream, data: Buffer, chunk = 64 * 1024): Promise<void> {
    for (let i = 0; i < data.length; i += chunk) {
      if (!stream.write(data.subarray(i, i + chunk))) await new Promise((r) => stream.once('drain', r));
    }
    await new Promise<void>((resolve, reject) => {
      stream.once('error', reject);
      stream.end(() => resolve());
    });
  }

  it('stages a file of several parts invisibly: the key keeps its old content until commit, then holds the new bytes whole', async () => {
    const blobs = s3().blobs('staged');
    const key = 'artifacts/r1/checkpoints/model.pt';
    await blobs.putContents([{ key, data: 'old', contentType: 'application/octet-stream' }]);
    const data = randomBytes(8 * 1024 * 1024 * 2 + 12345); // two full 8 MB parts and a short last one
    const staged = blobs.stage(key, 'application/octet-stream');
    await writeStaged(staged.stream, data, 100_003); // chunks that straddle part boundaries
    expect(await s3().pendingUploads()).toHaveLength(1);
    expect(await blobs.readText(key)).toBe('old');
    await staged.commit();
    await staged.abort(); // a no-op after the commit
    const stored = Buffer.concat(await (await blobs.read(key)).toArray());
    expect(stored.equals(data)).toBe(true);
    expect(await s3().pendingUploads()).toEqual([]);
  });

  it('stores a staged file smaller than one part with one PUT at commit, and an empty one', async () => {
    const blobs = s3().blobs('staged-small');
    for (const data of [Buffer.from('tiny weights'), Buffer.alloc(0)]) {
      const key = `artifacts/r1/other/f${data.length}.bin`;
      const staged = blobs.stage(key, 'application/octet-stream');
      await writeStaged(staged.stream, data);
      expect(await blobs.stat(key)).toBeNull(); // nothing before the commit
      await staged.commit();
      expect(Buffer.concat(await (await blobs.read(key)).toArray()).equals(data)).toBe(true);
    }
    expect(await s3().pendingUploads()).toEqual([]);
  });

  it('aborting a staged file after several parts removes every part and leaves the key as it was', async () => {
    const blobs = s3().blobs('staged-abort');
    const key = 'artifacts/r1/checkpoints/refused.pt';
    const staged = blobs.stage(key, 'application/octet-stream');
    await writeStaged(staged.stream, randomBytes(8 * 1024 * 1024 * 3));
    expect(await s3().pendingUploads()).toHaveLength(1);
    await staged.abort();
    await staged.abort(); // twice is harmless
    expect(await s3().pendingUploads()).toEqual([]);
    expect(await blobs.stat(key)).toBeNull();
    await expect(staged.commit()).rejects.toThrow(/unaborted/);
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
