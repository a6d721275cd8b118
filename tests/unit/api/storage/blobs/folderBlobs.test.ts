import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FolderBlobs } from '../../../../../api/storage';
import { describeBlobStoreContract } from '../../../../contracts/blobStore';

const roots: string[] = [];
const openFolder = async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'modellab-folder-blobs-'));
  roots.push(root);
  return new FolderBlobs(root);
};
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

describeBlobStoreContract('data folder', openFolder);

describe('FolderBlobs', () => {
  it('refuses a key whose owner folder holds a symbolic link leading out of it, for reading and writing', async () => {
    const blobs = await openFolder();
    const outside = await mkdtemp(path.join(os.tmpdir(), 'modellab-outside-'));
    roots.push(outside);
    await writeFile(path.join(outside, 'secret.txt'), 'secret');
    await mkdir(path.join(blobs.root, 'artifacts', 'r1'), { recursive: true });
    await symlink(outside, path.join(blobs.root, 'artifacts', 'r1', 'other'));
    await expect(blobs.readText('artifacts/r1/other/secret.txt')).rejects.toMatchObject({ status: 403 });
    await expect(blobs.putContents([{ key: 'artifacts/r1/other/new.txt', data: 'x', contentType: 'text/plain' }])).rejects.toMatchObject({ status: 403 });
    // and a listing does not follow it
    expect(await blobs.list('artifacts/r1/')).toEqual([]);
  });
});
