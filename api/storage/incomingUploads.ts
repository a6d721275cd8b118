/**
 * Where uploads are received before they are stored: `<dataDir>/<kind>/.incoming/<random>/`, always
 * in the local data folder (whatever holds the stored files). Node only.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

export class IncomingUploads {
  private readonly root: string;

  constructor(dataDir: string, kind: string) {
    this.root = path.join(dataDir, kind, '.incoming');
  }

  /** Creates the folder and removes uploads that a crash interrupted. */
  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    for (const entry of await readdir(this.root)) await rm(path.join(this.root, entry), { recursive: true, force: true });
  }

  /** A private folder for one upload; `cleanup` removes it and whatever is still in it. */
  async create(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
    const dir = path.join(this.root, randomBytes(8).toString('hex'));
    await mkdir(dir, { recursive: true });
    return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
  }
}
