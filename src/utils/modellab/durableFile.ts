/** Crash-safe file replacement for the server side: temp file → fsync → rename → fsync the folder. */
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

const tempPrefix = (target: string) => `.${path.basename(target)}.`;
const TEMP_SUFFIX = '.tmp';

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `target` with `data` so that after a crash at any instant the file holds either the old
 * or the new content in full, and once this resolves the new content survives power loss.
 */
export async function writeFileDurable(target: string, data: string | Uint8Array | Uint8Array[]): Promise<void> {
  const dir = path.dirname(target);
  const temp = path.join(dir, `${tempPrefix(target)}${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
  const handle = await open(temp, 'wx', 0o644);
  try {
    try {
      // An array of parts goes out with writev: no copy of the whole file into one buffer.
      if (Array.isArray(data)) await writeAll(handle, data);
      else await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDir(dir);
}

async function writeAll(handle: FileHandle, parts: Uint8Array[], start = 0): Promise<void> {
  const BATCH = 1024; // IOV_MAX on Linux
  let position = start;
  for (let i = 0; i < parts.length; i += BATCH) {
    let batch = parts.slice(i, i + BATCH);
    let expected = batch.reduce((n, p) => n + p.length, 0);
    while (expected > 0) {
      const { bytesWritten } = await handle.writev(batch, position);
      position += bytesWritten;
      expected -= bytesWritten;
      if (expected > 0) {
        // A short write: drop what went out and retry the rest.
        let skip = bytesWritten;
        while (skip >= batch[0]!.length) {
          skip -= batch[0]!.length;
          batch = batch.slice(1);
        }
        batch = [batch[0]!.subarray(skip), ...batch.slice(1)];
      }
    }
  }
}

/** Removes temp files a crashed writer left beside `target` (they never hold acknowledged data). */
export async function removeStaleTempFiles(target: string): Promise<string[]> {
  const dir = path.dirname(target);
  const prefix = tempPrefix(target);
  const stale = (await readdir(dir)).filter((name) => name.startsWith(prefix) && name.endsWith(TEMP_SUFFIX));
  await Promise.all(stale.map((name) => rm(path.join(dir, name), { force: true })));
  return stale;
}

/**
 * An append-only file whose appends are durable when they resolve (write, then fdatasync). Used as
 * the store's write-ahead log: a group commit appends only what changed instead of rewriting db.json.
 */
export class AppendLog {
  private handle: FileHandle | null = null;
  /** Bytes in the file (durable ones once no append is running). */
  size = 0;

  constructor(readonly file: string) {}

  async open(): Promise<void> {
    this.handle = await open(this.file, 'a+', 0o644);
    this.size = (await this.handle.stat()).size;
  }

  async append(parts: Uint8Array[]): Promise<void> {
    const bytes = parts.reduce((n, p) => n + p.length, 0);
    await writeAll(this.handle!, parts, this.size);
    await this.handle!.datasync();
    this.size += bytes;
  }

  /** Cuts the file back to `size` bytes (a failed append, or everything after a new snapshot). */
  async truncate(size = 0): Promise<void> {
    await this.handle!.truncate(size);
    await this.handle!.sync();
    this.size = size;
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = null;
  }
}
