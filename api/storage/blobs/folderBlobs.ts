/**
 * The blob store in the data folder (the default): keys are paths under the folder. A file is moved
 * into place by rename and synced with its folder, generated files are replaced durably, copies are
 * hard links. Besides checking each key's segments, every path is checked after resolving: its real
 * path must stay inside its owner's folder (`<root>/<kind>/<owner>`), so a symbolic link planted in a
 * run's folder cannot lead outside it. Node only.
 */
import { createReadStream } from 'node:fs';
import { access, constants, link, lstat, mkdir, readFile, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { forbidden, notFound } from '../../../src/shared/errors';
import { fsyncDir, replaceFilesDurable } from '../durableFile';
import { checkKey, type BlobInfo, type BlobStore, type ByteRange } from './blobStore';

async function exists(p: string): Promise<boolean> {
  return (await lstat(p).catch(() => null)) !== null;
}

/** True when the real path of `target` (or of its deepest existing ancestor) is inside `base`'s real path. */
async function staysInside(base: string, target: string): Promise<boolean> {
  const realBase = await realpath(base);
  let probe = target;
  while (!(await exists(probe))) {
    const parent = path.dirname(probe);
    if (parent === probe) return false;
    probe = parent;
  }
  const real = await realpath(probe);
  return real === realBase || real.startsWith(realBase + path.sep);
}

/** mkdir -p, then syncs the parent of each folder it created: a new folder's name is durable only then. */
async function makeDirs(dir: string): Promise<void> {
  const created = await mkdir(dir, { recursive: true });
  if (created === undefined) return;
  for (let d = dir; d !== path.dirname(created); d = path.dirname(d)) await fsyncDir(path.dirname(d));
}

export class FolderBlobs implements BlobStore {
  readonly kind = 'folder' as const;

  constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  async ping(): Promise<void> {
    await access(this.root, constants.W_OK);
  }

  /** The file of `key` and its owner folder (the first two segments), checked lexically. */
  private pathOf(key: string, prefix = false): { file: string; scope: string } {
    const segments = checkKey(key, prefix);
    const file = path.join(this.root, ...segments);
    const scope = path.join(this.root, ...segments.slice(0, 2));
    if (!file.startsWith(this.root + path.sep)) throw forbidden('path: leaves the data folder');
    return { file, scope };
  }

  /** The checked path for reading: when the owner folder exists, the real path must stay inside it. */
  private async readable(key: string, prefix = false): Promise<string> {
    const { file, scope } = this.pathOf(key, prefix);
    if ((await exists(scope)) && !(await staysInside(scope, file))) throw forbidden('path: resolves outside the run folder');
    return file;
  }

  /** The checked path for writing, its folders made. */
  private async writable(key: string): Promise<string> {
    const { file, scope } = this.pathOf(key);
    await makeDirs(scope);
    if (!(await staysInside(this.root, scope)) || !(await staysInside(scope, path.dirname(file)))) throw forbidden('path: resolves outside the run folder');
    await makeDirs(path.dirname(file));
    return file;
  }

  async putFile(key: string, file: string): Promise<void> {
    const target = await this.writable(key);
    await rename(file, target);
    await fsyncDir(path.dirname(target)); // the upload's bytes are synced; now its name is too
  }

  async putContents(items: { key: string; data: string; contentType: string }[]): Promise<void> {
    const files: { target: string; data: string }[] = [];
    for (const item of items) files.push({ target: await this.writable(item.key), data: item.data });
    await replaceFilesDurable(files);
  }

  async copy(from: string, to: string): Promise<void> {
    const source = await this.readable(from);
    const target = await this.writable(to);
    await link(source, target);
    await fsyncDir(path.dirname(target));
  }

  async stat(key: string): Promise<BlobInfo | null> {
    const file = await this.readable(key);
    const info = await stat(file).catch(() => null);
    return info?.isFile() ? { key, size: info.size, modified: info.mtime } : null;
  }

  async isFolder(key: string): Promise<boolean> {
    const info = await lstat(await this.readable(key)).catch(() => null);
    return info?.isDirectory() ?? false;
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const file = await this.readable(key);
    const stream = createReadStream(file, { ...range, highWaterMark: 256 * 1024 });
    // Surface a missing file as the promise's rejection rather than a stream error.
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? notFound('file', key) : error));
    });
    return stream;
  }

  async readText(key: string): Promise<string | null> {
    return readFile(await this.readable(key), 'utf8').catch(() => null);
  }

  async list(prefix: string): Promise<BlobInfo[]> {
    const base = await this.readable(prefix, true);
    const out: BlobInfo[] = [];
    const walk = async (dir: string, key: string) => {
      for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        if (entry.isSymbolicLink()) continue; // never followed
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full, `${key}${entry.name}/`);
        else if (entry.isFile()) {
          const info = await stat(full).catch(() => null);
          if (info) out.push({ key: key + entry.name, size: info.size, modified: info.mtime });
        }
      }
    };
    await walk(base, prefix);
    return out;
  }

  async delete(key: string): Promise<void> {
    await rm(await this.readable(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.pathOf(prefix, true).file, { recursive: true, force: true });
  }
}
