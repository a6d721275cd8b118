/**
 * The contract every BlobStore passes (the data folder and an S3-compatible bucket): what a key
 * holds after each operation, ranges, listings, deletes and the refusals. Call it with a factory.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../api/storage';

async function bytes(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
const text = async (stream: AsyncIterable<unknown>) => (await bytes(stream)).toString('utf8');

export function describeBlobStoreContract(name: string, open: () => Promise<BlobStore>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let blobs: BlobStore;
    let scratch: string;
    let owner: string;
    beforeAll(async () => {
      scratch = await mkdtemp(path.join(os.tmpdir(), 'modellab-blob-contract-'));
    });
    afterAll(async () => {
      await rm(scratch, { recursive: true, force: true });
    });
    beforeEach(async () => {
      blobs = await open();
      owner = `artifacts/r${randomBytes(6).toString('hex')}`; // each test its own owner folder
    });
    const localFile = async (content: string | Buffer) => {
      const file = path.join(scratch, randomBytes(6).toString('hex'));
      await writeFile(file, content);
      return file;
    };

    it('stores a file at a key, replaces it, and reads it back whole or by range', async () => {
      await blobs.putFile(`${owner}/other/a/b.txt`, await localFile('0123456789'), 'text/plain');
      expect(await blobs.readText(`${owner}/other/a/b.txt`)).toBe('0123456789');
      expect(await text(await blobs.read(`${owner}/other/a/b.txt`, { start: 2, end: 5 }))).toBe('2345');
      const info = await blobs.stat(`${owner}/other/a/b.txt`);
      expect(info).toMatchObject({ key: `${owner}/other/a/b.txt`, size: 10 });
      expect(Math.abs(info!.modified.getTime() - Date.now())).toBeLessThan(60_000);
      await blobs.putFile(`${owner}/other/a/b.txt`, await localFile('new'), 'text/plain');
      expect(await blobs.readText(`${owner}/other/a/b.txt`)).toBe('new');
    });

    it('keeps a file of several parts byte for byte', async () => {
      const big = randomBytes(9 * 1024 * 1024 + 123); // over one 8 MB part in a bucket
      await blobs.putFile(`${owner}/checkpoints/m.bin`, await localFile(big), 'application/octet-stream');
      expect((await bytes(await blobs.read(`${owner}/checkpoints/m.bin`))).equals(big)).toBe(true);
      const across = await bytes(await blobs.read(`${owner}/checkpoints/m.bin`, { start: 8 * 1024 * 1024 - 5, end: 8 * 1024 * 1024 + 4 }));
      expect(across.equals(big.subarray(8 * 1024 * 1024 - 5, 8 * 1024 * 1024 + 5))).toBe(true);
      expect((await blobs.stat(`${owner}/checkpoints/m.bin`))!.size).toBe(big.length);
    });

    it('answers null / false / 404 for what is not there', async () => {
      expect(await blobs.stat(`${owner}/other/none.txt`)).toBeNull();
      expect(await blobs.readText(`${owner}/other/none.txt`)).toBeNull();
      expect(await blobs.isFolder(`${owner}/other`)).toBe(false);
      await expect(blobs.read(`${owner}/other/none.txt`)).rejects.toMatchObject({ status: 404 });
      expect(await blobs.list(`${owner}/`)).toEqual([]);
    });

    it('tells a folder from a file', async () => {
      await blobs.putFile(`${owner}/evaluations/history/x/metrics.json`, await localFile('{}'), 'application/json');
      expect(await blobs.isFolder(`${owner}/evaluations/history`)).toBe(true);
      expect(await blobs.isFolder(`${owner}/evaluations/history/x`)).toBe(true);
      expect(await blobs.isFolder(`${owner}/evaluations/history/x/metrics.json`)).toBe(false);
      expect(await blobs.stat(`${owner}/evaluations/history`)).toBeNull();
    });

    it('writes generated contents and copies a file to a new key', async () => {
      await blobs.putContents([
        { key: `${owner}/evaluations/metrics.json`, data: '{"a":1}', contentType: 'application/json' },
        { key: `${owner}/evaluations/slices.json`, data: '[]', contentType: 'application/json' },
      ]);
      await blobs.copy(`${owner}/evaluations/metrics.json`, `${owner}/evaluations/history/1/metrics.json`);
      await blobs.putContents([{ key: `${owner}/evaluations/metrics.json`, data: '{"a":2}', contentType: 'application/json' }]);
      expect(await blobs.readText(`${owner}/evaluations/history/1/metrics.json`)).toBe('{"a":1}');
      expect(await blobs.readText(`${owner}/evaluations/metrics.json`)).toBe('{"a":2}');
    });

    it('lists every file under a prefix with its size, and nothing of other owners', async () => {
      await blobs.putContents([
        { key: `${owner}/plots/a.png`, data: 'aa', contentType: 'image/png' },
        { key: `${owner}/plots/deep/er/b.png`, data: 'bbb', contentType: 'image/png' },
        { key: `${owner}x/plots/c.png`, data: 'c', contentType: 'image/png' },
      ]);
      const listed = (await blobs.list(`${owner}/`)).map((b) => [b.key, b.size]).sort();
      expect(listed).toEqual([
        [`${owner}/plots/a.png`, 2],
        [`${owner}/plots/deep/er/b.png`, 3],
      ]);
    });

    it('deletes a file, and everything under a prefix', async () => {
      await blobs.putContents([
        { key: `${owner}/plots/a.png`, data: 'a', contentType: 'image/png' },
        { key: `${owner}/plots/b.png`, data: 'b', contentType: 'image/png' },
        { key: `${owner}/other/c.txt`, data: 'c', contentType: 'text/plain' },
      ]);
      await blobs.delete(`${owner}/plots/a.png`);
      await blobs.delete(`${owner}/plots/missing.png`); // nothing to do is not an error
      expect((await blobs.list(`${owner}/`)).map((b) => b.key).sort()).toEqual([`${owner}/other/c.txt`, `${owner}/plots/b.png`]);
      await blobs.deletePrefix(`${owner}/`);
      expect(await blobs.list(`${owner}/`)).toEqual([]);
    });

    it('refuses keys with empty, dot-dot, backslash or control-character segments before touching anything', async () => {
      for (const key of [`${owner}/../escape`, `${owner}//x`, `${owner}/a\\b`, `${owner}/a\u0000b`, `/${owner}/x`, `${owner}/./x`]) {
        await expect(blobs.stat(key)).rejects.toThrow(/invalid blob key/);
        await expect(blobs.putContents([{ key, data: 'x', contentType: 'text/plain' }])).rejects.toThrow(/invalid blob key/);
      }
      await expect(blobs.deletePrefix('artifacts/../')).rejects.toThrow(/invalid blob key/);
    });

    it('answers its ping', async () => {
      await expect(blobs.ping()).resolves.toBeUndefined();
    });
  });
}
